//! Helpers shared by the dashboard's integration tests: a dashboard served in-process on a
//! free port, HTTP helpers, free and closed ports, waiting for a condition, and for a
//! camera's cache.
#![allow(dead_code)]

pub mod browser;
pub mod stub;
pub mod workers;

use clap::Parser;
use dashboard::{App, Cli, Config};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A CSV row: column name to cell.
pub type Row = std::collections::HashMap<String, String>;

/// A CSV file's rows (the header row checked against every row's length by the csv reader).
pub fn parse_csv(text: &str) -> Vec<Row> {
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let names: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    rd.records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{e} in {text}"));
            names
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// A dashboard serving in this process.
pub struct Dash {
    pub app: Arc<App>,
    pub port: u16,
}

impl Dash {
    /// `cameras` as in CAMERAS; `extra` more command-line flags.
    pub async fn start(cameras: &str, extra: &[&str]) -> Dash {
        let mut args = vec!["dashboard", "--cameras", cameras, "--bind", "127.0.0.1"];
        args.extend_from_slice(extra);
        let cli = Cli::try_parse_from(args).expect("arguments");
        let config = Config::from_args(&cli.serve).expect("config");
        let app = App::new(config);
        dashboard::poller::spawn(&app);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let router = dashboard::web::router(app.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.ok() });
        Dash { app, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = client().get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn json(&self, path: &str) -> Value {
        let (status, v) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = client().request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A plain GET of one of the dashboard's paths.
    pub async fn raw(&self, path: &str) -> reqwest::Response {
        client().get(self.url(path)).send().await.unwrap()
    }

    /// The status and content type of a GET.
    pub async fn kind(&self, path: &str) -> (u16, String) {
        let r = self.raw(path).await;
        let kind = r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap();
        (r.status().as_u16(), kind.to_string())
    }

    pub async fn metrics(&self) -> String {
        self.raw("/metrics").await.text().await.unwrap()
    }

    /// `GET /detections.csv` with `query`: its headers and rows (see [`parse_csv`]).
    pub async fn csv(&self, query: &str) -> (reqwest::header::HeaderMap, Vec<Row>) {
        let r = self.raw(&format!("/detections.csv{query}")).await;
        let headers = r.headers().clone();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "GET /detections.csv{query}: {text}");
        (headers, parse_csv(&text))
    }

    /// Waits until `n` cameras are in `state` (`None`: all of them).
    pub async fn until_state(&self, state: &str, n: Option<usize>, limit: Duration) {
        wait_for(&format!("{n:?} cameras {state}"), limit, || async {
            let v = self.json("/api/cameras").await;
            let all = v["cameras"].as_array().unwrap();
            let hits = all.iter().filter(|c| c["state"] == state).count();
            (hits == n.unwrap_or(all.len())).then_some(())
        })
        .await
    }

    /// The camera named `name` in /api/cameras.
    pub async fn camera(&self, name: &str) -> Value {
        let v = self.json("/api/cameras").await;
        v["cameras"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no camera {name} in {v}"))
    }
}

/// A worker's JSON answer (status, body; `Null` when it is not JSON).
pub async fn get_json(url: &str) -> (u16, Value) {
    let r = client().get(url).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A port where nothing listens for the rest of the test: the socket is bound but never
/// listens (connections are refused) and is kept, so no server the test starts later is
/// handed the same port by the kernel (a released port is soon given out again).
pub fn closed_port() -> u16 {
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = s.local_addr().unwrap().port();
    std::mem::forget(s);
    port
}

/// A port that was free a moment ago, for a server the test is about to start.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Polls `f` every 100 ms until it gives `Some`, or panics after `limit` naming `what`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let t0 = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if t0.elapsed() > limit {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The child's exit status once it exits, polled every 50 ms; `None` after `limit`.
pub fn wait_exit(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// The target directory the tests run from (…/target/debug/deps/test-binary → …/target).
pub fn target_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .and_then(|p| p.parent())
        .and_then(|p| p.parent())
        .unwrap()
        .to_path_buf()
}

/// `<target>/test-screenshots`, created.
pub fn screenshot_dir() -> std::path::PathBuf {
    let d = target_dir().join("test-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The ids of a `/detections` answer, in order.
pub fn ids(v: &Value) -> Vec<String> {
    v["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until the dashboard's cache of camera `name` holds `n` records from a full read.
pub async fn synced(d: &Dash, name: &str, n: u64) {
    wait_for(
        &format!("{name} to have {n} cached detections"),
        Duration::from_secs(10),
        || async {
            let c = d.camera(name).await;
            (c["detections_synced"] == json!(true) && c["cached_detections"] == json!(n))
                .then_some(())
        },
    )
    .await;
}
