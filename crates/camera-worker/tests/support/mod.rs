//! Running `camera-worker run` for real against simulated RTSP cameras: a child process with
//! the environment compose passes, its log captured to a file, and a blocking HTTP client
//! for its API on 127.0.0.1.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use meteor_core::Detection;
use meteor_sim::serve::{CameraConfig, ServedEvent, ServerConfig, SimServer};
use meteor_sim::{MeteorSpec, RenderSpec};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A 16 s loop at 640x360, 25 fps, with two bright meteors (at 4-4.6 s and 10-10.8 s).
pub fn meteor_loop(seed: u64) -> RenderSpec {
    RenderSpec::custom(seed, 640, 360, 25.0, 16.0)
        .with_event(MeteorSpec::new(
            [80.0, 60.0],
            [330.0, 170.0],
            4.0,
            4.6,
            25.0,
        ))
        .with_event(MeteorSpec::new(
            [560.0, 50.0],
            [380.0, 230.0],
            10.0,
            10.8,
            25.0,
        ))
}

/// A 6 s loop with nothing but sky and noise.
pub fn empty_loop(seed: u64) -> RenderSpec {
    RenderSpec::custom(seed, 640, 360, 25.0, 6.0)
}

/// How far a record's start may lie from the truth: the simulator sends a client's first
/// keyframe interval at once, as a camera does, the jitter buffer spreads that burst out, and
/// the worker dates frames by their arrival (see `Frame::running_ns`), so records land within
/// about 0.04 s of the truth; the rest is room for a starved machine (the simulator's pusher
/// running late, the worker's first frames waiting for a core).
pub const LAG_S: f64 = 1.0;

pub fn secs(d: chrono::Duration) -> f64 {
    d.num_milliseconds() as f64 / 1e3
}

/// Whether both ends of `d` lie within 15 px of the path of the served meteor `e`.
pub fn on_path(d: &Detection, e: &ServedEvent) -> bool {
    let (Some(a), Some(b)) = (e.event.start_xy, e.event.end_xy) else {
        return false;
    };
    meteor_sim::dist_to_segment(d.start_xy, a, b) <= 15.0
        && meteor_sim::dist_to_segment(d.end_xy, a, b) <= 15.0
}

/// Whether `d` is the served meteor `e`: on its path, starting within `LAG_S` of it.
pub fn is_served(d: &Detection, e: &ServedEvent) -> bool {
    secs(d.start_time - e.start).abs() <= LAG_S && on_path(d, e)
}

/// The served events that started after `after` and ended over 4 s ago: those the worker
/// must have reported by now.
pub fn due(served: &[ServedEvent], after: DateTime<Utc>) -> Vec<&ServedEvent> {
    served
        .iter()
        .filter(|e| e.start > after && e.end + chrono::Duration::seconds(4) < Utc::now())
        .collect()
}

pub fn serve(cams: Vec<CameraConfig>) -> SimServer {
    SimServer::start(ServerConfig::new(cams)).expect("starting the simulated cameras")
}

pub struct Worker {
    child: Option<Child>,
    pub port: u16,
    pub output: PathBuf,
    pub log: PathBuf,
    env: Vec<(String, String)>,
    http: reqwest::blocking::Client,
}

impl Worker {
    /// Starts a worker on `url` writing to `output`, with extra environment variables.
    pub fn start(url: &str, output: &Path, env: &[(&str, &str)]) -> Worker {
        Worker::start_logged(url, output, &output.with_extension("log"), env)
    }

    /// [`Worker::start`] with the log kept at `log` (off a disk the test fills).
    pub fn start_logged(url: &str, output: &Path, log: &Path, env: &[(&str, &str)]) -> Worker {
        let mut all: Vec<(String, String)> = vec![
            ("RTSP_URL".into(), url.into()),
            ("CAMERA_NAME".into(), "cam1".into()),
            ("OUTPUT_DIR".into(), output.display().to_string()),
            ("BIND".into(), "127.0.0.1".into()),
            ("STREAM_TIMEOUT".into(), "3".into()),
            // WORKER_LOG=camera_worker::engine=debug shows why tracks were refused.
            (
                "RUST_LOG".into(),
                // (The "listening" line tells the port.)
                std::env::var("WORKER_LOG").unwrap_or_else(|_| "info".into())
                    + ",camera_worker::http=info",
            ),
        ];
        for (k, v) in env {
            all.retain(|(a, _)| a != k);
            all.push((k.to_string(), v.to_string()));
        }
        let mut w = Worker {
            child: None,
            // The system picks (a port picked here and freed could be taken before the
            // worker binds it); restarts keep it.
            port: 0,
            output: output.to_path_buf(),
            log: log.to_path_buf(),
            env: all,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        };
        w.spawn();
        w
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let logged = log.metadata().unwrap().len();
        let mut child = Command::new(env!("CARGO_BIN_EXE_camera-worker"))
            .arg("run")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("WEB_PORT", self.port.to_string())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("starting camera-worker run");
        if self.port == 0 {
            self.port = meteor_service::wait_for_port(
                &self.log,
                logged,
                &mut child,
                Duration::from_secs(20),
            )
            .unwrap_or_else(|e| panic!("the worker: {e}"));
        }
        self.child = Some(child);
        let t = Instant::now();
        while self.try_get("/healthz").is_none() {
            if let Some(st) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("the worker exited with {st}:\n{}", self.logs());
            }
            assert!(t.elapsed() < Duration::from_secs(20), "no HTTP after 20 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn try_get(&self, path: &str) -> Option<Value> {
        let r = self.http.get(self.url(path)).send().ok()?;
        r.json().ok()
    }

    pub fn http(&self) -> &reqwest::blocking::Client {
        &self.http
    }

    pub fn get(&self, path: &str) -> Value {
        let r = self.http.get(self.url(path)).send().unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().unwrap()
    }

    pub fn stats(&self) -> Value {
        self.get("/stats")
    }

    pub fn detections(&self) -> Vec<Detection> {
        let v = self.get("/detections?limit=1000");
        serde_json::from_value(v["detections"].clone()).unwrap()
    }

    /// Waits until `f` holds, polling every 100 ms; panics with `what` and the log after
    /// `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, mut f: impl FnMut(&Worker) -> bool) {
        let t = Instant::now();
        while !f(self) {
            assert!(
                t.elapsed() < timeout,
                "{what}: not within {timeout:?}; stats {}\nlog:\n{}",
                self.try_get("/stats").unwrap_or_default(),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn state(&self) -> String {
        self.stats()["detection_state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits for the exit; returns whether it exited cleanly.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let t = Instant::now();
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st.success();
            }
            if t.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops and starts the worker again on the same port, output and environment.
    pub fn restart(&mut self) {
        assert!(
            self.stop(),
            "the worker did not stop cleanly:\n{}",
            self.logs()
        );
        self.spawn();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A small tmpfs mounted for one test (a disk that can be filled), unmounted on drop even
/// when the test panics. Needs root, as the tests have here; refused mounts fail the test.
pub struct Tmpfs {
    pub dir: tempfile::TempDir,
}

impl Tmpfs {
    pub fn mount(size_mb: u64) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "mounting a {size_mb} MB tmpfs at {} failed (these tests need root): {}",
            dir.path().display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` until the filesystem has at most `leave` bytes available.
    pub fn fill(&self, name: &str, leave: u64) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.path().join(name)).unwrap();
        let chunk = vec![0x5a_u8; 64 * 1024];
        loop {
            let avail = available(self.path());
            if avail <= leave {
                break;
            }
            let n = (avail - leave).min(chunk.len() as u64) as usize;
            if f.write_all(&chunk[..n]).is_err() {
                break;
            }
        }
        let _ = f.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Bytes available on the filesystem holding `path` (as `df` shows).
pub fn available(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}

/// One sample of the worker's /metrics text, e.g. `meteor_records_pending`.
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

impl Worker {
    pub fn metrics_text(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .and_then(|r| r.text())
            .unwrap_or_default()
    }

    /// The `status` of the named check in /healthz.
    pub fn health_of(&self, component: &str) -> String {
        let h = self.get("/healthz");
        h["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == component)
            .and_then(|c| c["status"].as_str())
            .unwrap_or("missing")
            .to_string()
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the worker again after [`Worker::kill9`] (same port, output, environment).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the worker is still running");
        self.spawn();
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Waits for the process to exit; its status, or None after `within`.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let t = Instant::now();
        let child = self.child.as_mut()?;
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                self.child = None;
                return Some(st);
            }
            if t.elapsed() > within {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// [`meteor_loop`]'s scene at another size and frame rate (a camera's night profile): the
/// same two meteors at the same times, their paths scaled to the frame.
pub fn meteor_loop_at(seed: u64, width: u32, height: u32, fps: f64) -> RenderSpec {
    let (sx, sy) = (width as f64 / 640.0, height as f64 / 360.0);
    let at = |x: f64, y: f64| [x * sx, y * sy];
    RenderSpec::custom(seed, width, height, fps, 16.0)
        .with_event(MeteorSpec::new(
            at(80.0, 60.0),
            at(330.0, 170.0),
            4.0,
            4.6,
            25.0,
        ))
        .with_event(MeteorSpec::new(
            at(560.0, 50.0),
            at(380.0, 230.0),
            10.0,
            10.8,
            25.0,
        ))
}
