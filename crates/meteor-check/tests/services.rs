//! The service checks against real processes: the camera-worker binary fed by a simulated
//! RTSP camera (meteor-sim), and the dashboard binary in front of it. A healthy worker, a
//! tiny memory limit, a camera that never answers, a stalled stream, a killed worker, and
//! workers learned from the dashboard.

mod support;

use std::time::Duration;
use support::{check, check_json, component, sim_camera, start_worker, wait_until, Service};

const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn healthy_worker_is_ok_and_a_tiny_memory_limit_warns() {
    let sim = sim_camera(31);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let w = start_worker("cam1", &sim.url("/cam1"), &out);
    let worker = format!("cam1={}", w.url());
    let root = out.to_str().unwrap();
    let args = ["--worker", worker.as_str(), "--output", root];

    let v = wait_until("a healthy report", DEADLINE, || {
        let (code, v) = check_json(&args);
        (code == 0).then_some(v)
    });
    assert_eq!(v["status"], "ok");
    let h = component(&v, "worker cam1");
    assert_eq!(
        (h["status"].as_str(), h["kind"].as_str()),
        (Some("ok"), Some("worker"))
    );
    assert_eq!(h["data"]["reported_status"], "ok");
    let s = component(&v, "stream cam1");
    assert_eq!(s["status"], "ok", "{s:#}");
    assert_eq!(s["data"]["connected"], true);
    assert_eq!(s["data"]["resolution"], "640x360");
    assert!(
        s["data"]["last_frame_age_s"].as_f64().unwrap() < 60.0,
        "{s:#}"
    );
    let m = component(&v, "memory cam1");
    assert_eq!(m["status"], "ok", "{m:#}");
    let rss = m["data"]["rss_bytes"].as_u64().unwrap();
    assert!(rss > 1 << 20, "{m:#}");
    assert_eq!(component(&v, "store cam1")["status"], "ok");

    // Human: a summary, then worker, stream, memory, store, disk, writable.
    let human = check(&args);
    assert_eq!(human.code, 0, "{human:?}");
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{}", human.stdout);
    assert!(
        lines[1..].iter().all(|l| l.starts_with("OK   ")),
        "{}",
        human.stdout
    );
    assert!(
        lines[2].starts_with("OK   stream cam1: connected, last frame"),
        "{}",
        lines[2]
    );
    let verbose = check(&[&args[..], &["--verbose"]].concat());
    assert!(verbose.stdout.contains("codec: "), "{}", verbose.stdout);
    let quiet = check(&[&args[..], &["--quiet"]].concat());
    assert_eq!((quiet.code, quiet.stdout.as_str()), (0, ""), "{quiet:?}");

    // A memory limit below what it uses: a warning, nothing worse.
    let (code, v) = check_json(&[&args[..], &["--max-rss", "1M"]].concat());
    assert_eq!(code, 1, "{v:#}");
    let m = component(&v, "memory cam1");
    assert_eq!(m["status"], "warn", "{m:#}");
    assert_eq!(m["data"]["max_rss_bytes"], 1 << 20);
    assert!(
        m["detail"]
            .as_str()
            .unwrap()
            .contains("over the limit 1.0 MiB"),
        "{m:#}"
    );
    assert_eq!(
        v["summary"].as_str().unwrap(),
        "0 critical, 1 warning, 5 ok: memory cam1"
    );
}

#[test]
fn a_camera_that_never_answers_warns_then_is_critical() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // Nothing listens there.
    let rtsp = format!("rtsp://127.0.0.1:{}/cam1", support::free_port());
    let w = start_worker("cam1", &rtsp, &out);
    let worker = format!("cam1={}", w.url());

    // Just started: no frame yet is a warning while the worker is younger than the limit.
    let (code, v) = check_json(&["--worker", &worker, "--max-frame-age", "600"]);
    assert_eq!(code, 1, "{v:#}");
    let s = component(&v, "stream cam1");
    assert_eq!(s["status"], "warn", "{s:#}");
    assert!(
        s["detail"].as_str().unwrap().contains("no frame yet"),
        "{s:#}"
    );
    // The worker's own stream self-check is passed on.
    let h = component(&v, "worker cam1");
    assert_eq!(h["status"], "warn", "{h:#}");
    assert!(
        h["detail"]
            .as_str()
            .unwrap()
            .starts_with("self-check stream warn"),
        "{h:#}"
    );

    // Older than the limit and still no frame: critical.
    let v = wait_until("the stream critical", DEADLINE, || {
        let (code, v) = check_json(&["--worker", &worker, "--max-frame-age", "1"]);
        (code == 2).then_some(v)
    });
    let s = component(&v, "stream cam1");
    assert_eq!(s["status"], "crit", "{s:#}");
    assert!(
        s["detail"]
            .as_str()
            .unwrap()
            .contains("not connected, no frame"),
        "{s:#}"
    );
}

#[test]
fn a_stalled_stream_is_critical_and_named() {
    let sim = sim_camera(32);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let w = start_worker("cam1", &sim.url("/cam1"), &out);
    let worker = format!("cam1={}", w.url());
    let args = ["--worker", worker.as_str(), "--max-frame-age", "2"];
    wait_until("a healthy report", DEADLINE, || {
        (check(&args).code == 0).then_some(())
    });

    sim.stall("/cam1", true).unwrap();
    let v = wait_until("the stalled stream critical", DEADLINE, || {
        let (code, v) = check_json(&args);
        (code == 2 && component(&v, "worker cam1")["status"] == "warn").then_some(v)
    });
    let s = component(&v, "stream cam1");
    assert_eq!(s["status"], "crit", "{s:#}");
    assert!(
        s["data"]["last_frame_age_s"].as_f64().unwrap() > 2.0,
        "{s:#}"
    );
    assert!(s["detail"].as_str().unwrap().contains("(max 2 s)"), "{s:#}");
    assert!(
        v["summary"].as_str().unwrap().contains("stream cam1"),
        "{v:#}"
    );
    let quiet = check(&[&args[..], &["--quiet"]].concat());
    assert_eq!(quiet.code, 2);
    assert!(
        quiet.stdout.contains("CRIT stream cam1: "),
        "{}",
        quiet.stdout
    );

    sim.stall("/cam1", false).unwrap();
    wait_until("the stream back", DEADLINE, || {
        (check(&args).code == 0).then_some(())
    });
}

#[test]
fn the_dashboard_names_its_workers_and_a_killed_worker_is_critical() {
    let sim = sim_camera(33);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut w = start_worker("cam1", &sim.url("/cam1"), &out);
    let dash = Service::start(
        "dashboard",
        &[],
        &[
            ("CAMERAS", format!("cam1={}", w.url())),
            ("POLL_INTERVAL", "500ms".into()),
            ("REQUEST_TIMEOUT", "1".into()),
        ],
        dir.path().join("dashboard.log"),
    );
    let url = dash.url();
    let args = [
        "--dashboard",
        url.as_str(),
        "--output",
        out.to_str().unwrap(),
    ];

    let v = wait_until("a healthy report", DEADLINE, || {
        let (code, v) = check_json(&args);
        (code == 0).then_some(v)
    });
    let d = component(&v, "dashboard");
    assert_eq!(d["kind"], "dashboard");
    assert_eq!(d["data"]["workers"], serde_json::json!(["cam1"]));
    assert_eq!(component(&v, "memory dashboard")["status"], "ok");
    assert_eq!(component(&v, "stream cam1")["status"], "ok");

    w.kill();
    let v = wait_until("the killed worker critical", DEADLINE, || {
        let (code, v) = check_json(&args);
        (code == 2 && component(&v, "dashboard")["status"] == "warn").then_some(v)
    });
    let h = component(&v, "worker cam1");
    assert_eq!(h["status"], "crit", "{h:#}");
    assert_eq!(h["data"]["reachable"], false);
    assert!(
        h["detail"].as_str().unwrap().contains("does not answer"),
        "{h:#}"
    );
    // Its stream and memory cannot be asked: only the worker line.
    let names: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"stream cam1"), "{names:?}");
    assert!(
        component(&v, "dashboard")["detail"]
            .as_str()
            .unwrap()
            .contains("workers warn"),
        "{v:#}"
    );

    // The same worker named directly.
    let worker = format!("cam1={}", w.url());
    let (code, v) = check_json(&["--worker", &worker]);
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(component(&v, "worker cam1")["status"], "crit");

    // And the dashboard gone too.
    drop(dash);
    let (code, v) = check_json(&["--dashboard", &url]);
    assert_eq!(code, 2, "{v:#}");
    let d = component(&v, "dashboard");
    assert_eq!(d["status"], "crit");
    assert!(d["detail"].as_str().unwrap().contains("--worker"), "{d:#}");
}
