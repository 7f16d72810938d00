//! Real camera-workers for the integration tests: the built `camera-worker` binary, run as
//! `camera-worker run` against simulated RTSP cameras from meteor-sim, killed, frozen and
//! restarted as a test needs.

use meteor_sim::serve::{CameraConfig, Codec, ServerConfig, SimServer};
use meteor_sim::{Background, MeteorSpec, RenderSpec};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `camera-worker` binary: `$CAMERA_WORKER_BIN`, else `<target>/<profile>/camera-worker`
/// next to these tests (what `cargo nextest run --workspace` or `cargo build -p camera-worker`
/// puts there). Panics with what to do when it is missing: these tests are about real workers.
pub fn worker_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = match std::env::var_os("CAMERA_WORKER_BIN") {
            Some(p) => PathBuf::from(p),
            None => {
                // <target>/<profile>/deps/<test binary>
                let exe = std::env::current_exe().unwrap();
                let profile_dir = exe.parent().and_then(Path::parent).unwrap();
                profile_dir.join("camera-worker")
            }
        };
        assert!(
            bin.is_file(),
            "no camera-worker binary at {}: build it into the same target directory first \
             (`cargo build -p camera-worker`, or run `cargo nextest run --workspace`), or set \
             CAMERA_WORKER_BIN",
            bin.display()
        );
        warn_if_stale(&bin);
        bin
    })
    .clone()
}

/// Says so when a source file of camera-worker or meteor-core is newer than the binary.
fn warn_if_stale(bin: &Path) {
    fn newest(dir: &Path) -> Option<std::time::SystemTime> {
        let mut t = None;
        for e in std::fs::read_dir(dir).ok()?.flatten() {
            let p = e.path();
            let m = if p.is_dir() {
                newest(&p)
            } else {
                e.metadata().and_then(|m| m.modified()).ok()
            };
            t = t.max(m);
        }
        t
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let built = std::fs::metadata(bin).and_then(|m| m.modified()).ok();
    let src = ["crates/camera-worker/src", "crates/meteor-core/src"]
        .iter()
        .filter_map(|d| newest(&root.join(d)))
        .max();
    if let (Some(b), Some(s)) = (built, src) {
        if s > b {
            eprintln!(
                "WARNING: {} is older than the camera-worker sources; rebuild it",
                bin.display()
            );
        }
    }
}

/// A 20 s loop at 640x360, 25 fps, with one bright meteor `at` seconds in (so each camera
/// shows a new meteor every 20 s).
pub fn meteor_loop(seed: u64, at: f64) -> RenderSpec {
    RenderSpec::custom(seed, 640, 360, 25.0, 20.0)
        .with_background(Background::clear_night())
        .with_event(MeteorSpec::new(
            [90.0, 70.0],
            [420.0, 230.0],
            at,
            at + 0.8,
            14.0,
        ))
}

/// Simulated cameras at `/cam1`, `/cam2`, ... each with its own meteor time, in the codecs
/// given (H.264 for the cameras after them).
pub fn sim_server(n: usize, codecs: &[Codec]) -> SimServer {
    let cams = (0..n)
        .map(|i| {
            CameraConfig::new(
                format!("/cam{}", i + 1),
                meteor_loop(40 + i as u64, 5.0 + 3.0 * i as f64),
            )
            .with_codec(codecs.get(i).copied().unwrap_or(Codec::H264))
        })
        .collect();
    SimServer::start(ServerConfig::new(cams)).expect("simulated cameras")
}

/// Simulated cameras `/cam1`..`/camN` and one ready worker for each (`cam1`..`camN`, writing
/// under `dir`); `env(i)` gives worker `i`'s extra environment (1-based).
pub async fn fleet(
    n: usize,
    dir: &Path,
    env: impl Fn(usize) -> Vec<(&'static str, &'static str)>,
) -> (SimServer, Vec<Worker>) {
    fleet_codecs(n, &[], dir, env).await
}

/// [`fleet`] with the cameras' codecs (H.264 for those after the list).
pub async fn fleet_codecs(
    n: usize,
    codecs: &[Codec],
    dir: &Path,
    env: impl Fn(usize) -> Vec<(&'static str, &'static str)>,
) -> (SimServer, Vec<Worker>) {
    let codecs = codecs.to_vec();
    let sim = tokio::task::spawn_blocking(move || sim_server(n, &codecs))
        .await
        .unwrap();
    let mut workers: Vec<Worker> = (1..=n)
        .map(|i| {
            let name = format!("cam{i}");
            let rtsp = sim.url(&format!("/cam{i}"));
            Worker::start(&name, &rtsp, &dir.join(&name), &env(i))
        })
        .collect();
    for w in &mut workers {
        w.wait_ready(Duration::from_secs(60));
    }
    (sim, workers)
}

/// `CAMERAS` for these workers, by their names.
pub fn cameras_of(workers: &[Worker]) -> Vec<String> {
    workers
        .iter()
        .map(|w| format!("{}={}", w.name, w.url()))
        .collect()
}

/// One `camera-worker run` process.
pub struct Worker {
    pub name: String,
    pub port: u16,
    pub out: PathBuf,
    pub rtsp: String,
    pub env: Vec<(String, String)>,
    child: Option<Child>,
}

impl Worker {
    /// Starts a worker for `rtsp`, writing into `out`, on a port the system picks (a port
    /// picked here and freed could be taken by another test before the worker binds it).
    pub fn start(name: &str, rtsp: &str, out: &Path, env: &[(&str, &str)]) -> Worker {
        let mut w = Worker {
            name: name.into(),
            port: 0,
            out: out.into(),
            rtsp: rtsp.into(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            child: None,
        };
        w.spawn();
        w
    }

    /// Starts the process on `port`, or on a port of the system's choice while it is 0.
    fn spawn(&mut self) {
        std::fs::create_dir_all(&self.out).unwrap();
        let path = self.out.with_extension("log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        let logged = log.metadata().unwrap().len();
        let mut cmd = Command::new(worker_bin());
        cmd.arg("run")
            .env("RTSP_URL", &self.rtsp)
            .env("CAMERA_NAME", &self.name)
            .env("OUTPUT_DIR", &self.out)
            .env("WEB_PORT", self.port.to_string())
            .env("BIND", "127.0.0.1")
            .env("BUFFER", "6")
            // The "listening" line tells the port.
            .env("RUST_LOG", "warn,camera_worker::http=info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("starting camera-worker");
        if self.port == 0 {
            self.port =
                meteor_service::wait_for_port(&path, logged, &mut child, Duration::from_secs(60))
                    .unwrap_or_else(|e| panic!("worker {}: {e}", self.name));
        }
        self.child = Some(child);
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Waits until its /healthz answers.
    pub fn wait_ready(&mut self, limit: Duration) {
        let t0 = Instant::now();
        let url = format!("{}/healthz", self.url());
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(st)) = c.try_wait() {
                    panic!(
                        "worker {} exited ({st}); see {}",
                        self.name,
                        self.out.with_extension("log").display()
                    );
                }
            }
            if plain_http::get_ok(&url) {
                return;
            }
            assert!(
                t0.elapsed() < limit,
                "worker {} not ready after {limit:?}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGKILL, and waits for it to go.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and output directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// SIGSTOP (`freeze = true`) or SIGCONT: a worker that accepts connections but never
    /// answers.
    pub fn freeze(&self, freeze: bool) {
        let sig = if freeze { "-STOP" } else { "-CONT" };
        let st = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
    }
}

impl Drop for Worker {
    /// SIGKILL also ends a frozen (SIGSTOPped) process.
    fn drop(&mut self) {
        self.kill();
    }
}

/// A tiny blocking GET for readiness checks (no runtime needed).
mod plain_http {
    use std::io::{Read, Write};
    pub fn get_ok(url: &str) -> bool {
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let Ok(mut s) = std::net::TcpStream::connect(host) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
        if write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 16];
        matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[9..12] == b"200")
    }
}
