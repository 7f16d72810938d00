//! Running `camera-worker run` for real against simulated RTSP cameras: a child process with
//! the environment compose passes, its log captured to a file, and a blocking HTTP client
//! for its API on 127.0.0.1.
#![allow(dead_code)]

use meteor_core::Detection;
use meteor_sim::serve::{CameraConfig, ServerConfig, SimServer};
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

pub fn serve(cams: Vec<CameraConfig>) -> SimServer {
    SimServer::start(ServerConfig::new(cams)).expect("starting the simulated cameras")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        let mut all: Vec<(String, String)> = vec![
            ("RTSP_URL".into(), url.into()),
            ("CAMERA_NAME".into(), "cam1".into()),
            ("OUTPUT_DIR".into(), output.display().to_string()),
            ("BIND".into(), "127.0.0.1".into()),
            ("STREAM_TIMEOUT".into(), "3".into()),
            ("RUST_LOG".into(), "info".into()),
        ];
        for (k, v) in env {
            all.retain(|(a, _)| a != k);
            all.push((k.to_string(), v.to_string()));
        }
        let mut w = Worker {
            child: None,
            port: free_port(),
            output: output.to_path_buf(),
            log: output.with_extension("log"),
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
        let child = Command::new(env!("CARGO_BIN_EXE_camera-worker"))
            .arg("run")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("WEB_PORT", self.port.to_string())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("starting camera-worker run");
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
