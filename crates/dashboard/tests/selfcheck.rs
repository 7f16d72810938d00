//! The dashboard's self-check, for real: the binary with one worker answering (a stub) and one
//! silent logs a WARN naming the silent one at every SELF_CHECK_INTERVAL, and /healthz and
//! /metrics show the same; SIGTERM ends it cleanly.

mod common;

use common::stub::Stub;
use common::{closed_port, get_json, wait_for};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_worker_is_logged_and_reported() {
    let stub = Stub::start("cam1", None).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dashboard.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dashboard"))
        .env(
            "CAMERAS",
            format!(
                "cam1={},cam2=http://127.0.0.1:{}",
                stub.url(),
                closed_port()
            ),
        )
        .env("WEB_PORT", "0")
        .env("BIND", "127.0.0.1")
        .env("POLL_INTERVAL", "200ms")
        .env("SELF_CHECK_INTERVAL", "1")
        .env("RUST_LOG", "info")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let port = meteor_service::wait_for_port(&log, 0, &mut child, Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("dashboard: {e}"));
    let base = format!("http://127.0.0.1:{port}");

    let line = wait_for(
        "a self-check WARN naming cam2",
        Duration::from_secs(15),
        || async {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.lines()
                .find(|l| {
                    l.contains("WARN")
                        && l.contains("self-check: workers warn")
                        && l.contains("answer; silent: cam2")
                })
                .map(str::to_string)
        },
    )
    .await;
    assert!(
        line.contains("silent: cam2") && !line.contains("cam1,"),
        "{line}"
    );

    let (status, h) = get_json(&format!("{base}/healthz")).await;
    assert_eq!(status, 200);
    assert_eq!(h["status"], "warn", "{h}");
    let workers = h["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "workers")
        .unwrap();
    assert_eq!(workers["detail"], "1 of 2 workers answer; silent: cam2");
    let clock = h["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "clock")
        .unwrap();
    assert_eq!(clock["status"], "ok");

    let metrics = common::client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("meteor_health_status{component=\"workers\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("meteor_health_status{component=\"clock\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("meteor_dashboard_clock_jumps_total 0"),
        "{metrics}"
    );

    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let code =
        common::wait_exit(&mut child, Duration::from_secs(10)).expect("no exit 10 s after SIGTERM");
    assert!(code.success(), "{code:?}");
}
