//! What the meteor-check tests share: running `meteor-check` and reading its JSON, building
//! detection stores on disk, small tmpfs mounts (unmounted by a guard, also on panic), and
//! the real camera-worker and dashboard binaries of this workspace as child processes.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one `meteor-check` run printed and how it exited.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\nstderr: {}", self.stdout, self.stderr))
    }
}

/// Runs `meteor-check` with `args` and none of its environment variables inherited.
pub fn check(args: &[&str]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_meteor-check"));
    for var in [
        "DASHBOARD_URL",
        "WORKERS",
        "OUTPUT_DIR",
        "MAX_FRAME_AGE",
        "DISK_WARN_PERCENT",
        "DISK_CRIT_PERCENT",
        "MAX_RSS",
        "CHECK_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.args(args).output().expect("running meteor-check");
    Out {
        code: out.status.code().expect("meteor-check killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `meteor-check --json ARGS`; the exit code and the document, checked to agree.
pub fn check_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = check(&all);
    let v = out.json();
    assert_eq!(v["exit_code"], out.code, "{v:#}");
    (out.code, v)
}

/// The component called `name` (`"stream cam1"`); panics with the report when missing.
pub fn component<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["components"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no component {name:?} in {report:#}"))
}

/// Polls `f` every 200 ms until it holds; panics naming `what` after `timeout`.
pub fn wait_until<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ---------------------------------------------------------------------------------------
// Detection stores.

/// A valid `detections.jsonl` record for `id` naming its three files.
pub fn record(id: &str, camera: &str) -> Value {
    json!({
        "id": id, "camera": camera,
        "start_time": "2026-08-12T22:17:01.560Z", "end_time": "2026-08-12T22:17:02.080Z",
        "start_offset_s": 1.56, "end_offset_s": 2.08, "duration_s": 0.56,
        "start_xy": [100.0, 50.0], "end_xy": [300.0, 150.0], "length_px": 223.6,
        "speed_px_s": 399.0, "peak_brightness": 105.0, "peak_snr": 28.2, "confidence": 0.98,
        "sensitivity": "medium", "frames": 14, "width": 640, "height": 360,
        "clip": format!("meteor_{id}.mp4"), "clip_method": "remux", "clip_start_offset_s": 0.48,
        "composite": format!("meteor_{id}_composite.jpg"),
        "composite_original": format!("meteor_{id}_composite_original.jpg"),
        "track": [[1.56, 100.0, 50.0], [2.0, 300.0, 150.0]]
    })
}

/// The three file names of event `id`.
pub fn event_files(id: &str) -> [String; 3] {
    [
        format!("meteor_{id}.mp4"),
        format!("meteor_{id}_composite.jpg"),
        format!("meteor_{id}_composite_original.jpg"),
    ]
}

pub fn append_line(path: &Path, line: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

/// Writes event `id` into camera directory `dir`: its files, then its record.
pub fn add_event(dir: &Path, id: &str) {
    std::fs::create_dir_all(dir).unwrap();
    for f in event_files(id) {
        std::fs::write(dir.join(f), b"not really a video, but not empty").unwrap();
    }
    let cam = dir.file_name().unwrap().to_string_lossy().into_owned();
    append_line(&dir.join("detections.jsonl"), &record(id, &cam).to_string());
}

/// Appends an annotation line (`{"id", "at", ...extra}`) to the camera's annotations.jsonl.
pub fn annotate(dir: &Path, id: &str, extra: Value) {
    let mut a = json!({"id": id, "at": "2026-08-13T08:00:00.000Z"});
    a.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    append_line(&dir.join("annotations.jsonl"), &a.to_string());
}

// ---------------------------------------------------------------------------------------
// tmpfs.

/// A tmpfs mounted on a temporary directory; unmounted (and the directory removed) on drop.
pub struct Tmpfs {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `4m`); panics clearly when mounting is refused (these
    /// tests need root, or CAP_SYS_ADMIN).
    pub fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let p = path.display().to_string();
        if let Err(e) = run(
            "mount",
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", &p],
        ) {
            panic!("these tests mount a small tmpfs and need root (or CAP_SYS_ADMIN): {e}");
        }
        Tmpfs { path, _dir: dir }
    }

    /// Remounts it read-only.
    pub fn remount_ro(&self) {
        run(
            "mount",
            &["-o", "remount,ro", &self.path.display().to_string()],
        )
        .unwrap_or_else(|e| panic!("remounting read-only: {e}"));
    }

    /// Percent used as `df` counts it.
    pub fn used_percent(&self) -> f64 {
        meteor_check::disk::usage(&self.path)
            .unwrap()
            .used_percent()
    }

    /// Adds a filler file so that at least `percent` of the volume is used.
    pub fn fill_to(&self, percent: f64, name: &str) {
        let u = meteor_check::disk::usage(&self.path).unwrap();
        let usable = u.used_bytes + u.available_bytes;
        let want = (usable as f64 * percent / 100.0).ceil() as u64;
        let add = want.saturating_sub(u.used_bytes);
        std::fs::write(self.path.join(name), vec![0x55u8; add as usize]).unwrap();
        let now = self.used_percent();
        assert!(now >= percent, "filled to {now:.1}%, wanted {percent}%");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let p = self.path.display().to_string();
        if run("umount", &[&p]).is_err() {
            let _ = run("umount", &["-l", &p]);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Services.

/// A binary of another package of this workspace, next to the test executable
/// (`target/<profile>/deps/<test>` -> `target/<profile>/<name>`).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let bin = profile_dir.join(name);
    assert!(
        bin.is_file(),
        "{} is missing: build it first (`cargo build -p {name}`; building the workspace's tests \
         builds it too)",
        bin.display()
    );
    bin
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child service (camera-worker or dashboard) on 127.0.0.1, killed on drop.
pub struct Service {
    child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Service {
    /// Starts `bin ARGS` with `env` on a port the system picks (its log says which); waits
    /// for its /healthz.
    pub fn start(bin: &str, args: &[&str], env: &[(&str, String)], log: PathBuf) -> Service {
        let logf = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(workspace_bin(bin))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("WEB_PORT", "0")
            .env("BIND", "127.0.0.1")
            .env("RUST_LOG", "info")
            .stdout(logf.try_clone().unwrap())
            .stderr(logf)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {bin}: {e}"));
        let port = meteor_service::wait_for_port(&log, 0, &mut child, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{bin}: {e}"));
        let mut s = Service {
            child: Some(child),
            port,
            log,
        };
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let url = s.url();
        wait_until(
            &format!("{bin} answering /healthz"),
            Duration::from_secs(30),
            || {
                if let Some(st) = s.child.as_mut().unwrap().try_wait().unwrap() {
                    panic!("{bin} exited with {st}:\n{}", s.logs());
                }
                http.get(format!("{url}/healthz")).send().ok().map(|_| ())
            },
        );
        s
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `camera-worker run` for camera `cam` on `rtsp`, writing to `<output>/<cam>`.
pub fn start_worker(cam: &str, rtsp: &str, output: &Path) -> Service {
    let env = [
        ("RTSP_URL", rtsp.to_string()),
        ("CAMERA_NAME", cam.to_string()),
        ("OUTPUT_DIR", output.join(cam).display().to_string()),
        ("STREAM_TIMEOUT", "3".to_string()),
    ];
    Service::start(
        "camera-worker",
        &["run"],
        &env,
        output.with_file_name(format!("{cam}.log")),
    )
}

/// A simulated camera at `/cam1`: 6 s of empty sky at 640x360, 25 fps, looped.
pub fn sim_camera(seed: u64) -> meteor_sim::serve::SimServer {
    use meteor_sim::serve::{CameraConfig, ServerConfig, SimServer};
    let spec = meteor_sim::RenderSpec::custom(seed, 640, 360, 25.0, 6.0);
    SimServer::start(ServerConfig::new(vec![
        CameraConfig::new("/cam1", spec).with_keyframe_interval(1.0)
    ]))
    .expect("starting the simulated camera")
}
