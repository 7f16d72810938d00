//! A live worker through camera faults: a camera that goes away and comes back, one that
//! freezes with its connection open, and one that sends undecodable frames. Each time the
//! state shows it, the worker reconnects within 10 s of the camera's return, never crashes,
//! and no event comes out of the fault or the reconnect. A worker starved of CPU for
//! seconds keeps its pre-roll to its size afterwards.

mod support;

use meteor_sim::serve::CameraConfig;
use std::time::{Duration, Instant};
use support::{empty_loop, metric, serve, Worker};

fn frames(w: &Worker) -> u64 {
    w.stats()["frames"].as_u64().unwrap()
}

/// Waits for detection to run on fresh frames; returns how long it took.
fn wait_detecting(w: &Worker, within: Duration) -> Duration {
    let t = Instant::now();
    w.wait_for("detecting", within, |w| {
        let s = w.stats();
        s["connected"] == true && s["detection_state"] == "detecting"
    });
    let before = frames(w);
    w.wait_for("frames flowing", Duration::from_secs(5), |w| {
        frames(w) > before + 10
    });
    t.elapsed()
}

fn start(seed: u64) -> (meteor_sim::serve::SimServer, tempfile::TempDir, Worker) {
    let server = serve(vec![
        CameraConfig::new("/cam1", empty_loop(seed)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&server.url("/cam1"), &dir.path().join("out"), &[]);
    wait_detecting(&w, Duration::from_secs(20));
    (server, dir, w)
}

fn assert_no_events(w: &Worker) {
    let found = w.detections();
    assert!(found.is_empty(), "events out of a fault: {found:#?}");
    assert_eq!(w.stats()["detections"]["total"], 0);
}

#[test]
fn camera_going_away_and_coming_back() {
    let (server, _dir, w) = start(21);
    std::thread::sleep(Duration::from_secs(2));
    server.stop();
    w.wait_for("stream_lost", Duration::from_secs(8), |w| {
        w.state() == "stream_lost"
    });
    let s = w.stats();
    assert_eq!(s["connected"], false);
    assert!(s["last_error"].is_string(), "{s}");
    std::thread::sleep(Duration::from_secs(6));
    server.restart().unwrap();
    let took = wait_detecting(&w, Duration::from_secs(12));
    assert!(
        took <= Duration::from_secs(10),
        "reconnected after {took:?}"
    );
    assert!(w.stats()["reconnects"].as_u64().unwrap() >= 1);
    std::thread::sleep(Duration::from_secs(4));
    assert_no_events(&w);
    let log = w.logs();
    assert!(log.contains("reconnecting in"), "no reconnect line:\n{log}");
    assert!(log.matches("connected 640x360").count() >= 2, "{log}");
}

#[test]
fn frozen_camera_counts_as_lost() {
    let (server, _dir, w) = start(22);
    server.stall("/cam1", true).unwrap();
    // STREAM_TIMEOUT is 3 s in the tests.
    w.wait_for("stream_lost", Duration::from_secs(8), |w| {
        w.state() == "stream_lost"
    });
    assert!(w.stats()["last_frame_age_s"].as_f64().unwrap() >= 2.5);
    std::thread::sleep(Duration::from_secs(3));
    server.stall("/cam1", false).unwrap();
    let took = wait_detecting(&w, Duration::from_secs(12));
    assert!(took <= Duration::from_secs(10), "recovered after {took:?}");
    std::thread::sleep(Duration::from_secs(3));
    assert_no_events(&w);
}

#[test]
fn garbage_from_the_camera() {
    let (server, _dir, w) = start(23);
    server.garbage("/cam1", true).unwrap();
    std::thread::sleep(Duration::from_secs(8));
    // Still serving, whatever state the garbage left it in.
    let s = w.stats();
    assert!(s["uptime_s"].as_f64().unwrap() > 8.0, "{s}");
    server.garbage("/cam1", false).unwrap();
    let took = wait_detecting(&w, Duration::from_secs(14));
    assert!(took <= Duration::from_secs(12), "recovered after {took:?}");
    std::thread::sleep(Duration::from_secs(3));
    assert_no_events(&w);
}

#[test]
fn starved_worker_keeps_its_preroll_bounded() {
    let server = serve(vec![
        CameraConfig::new("/cam1", empty_loop(24)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    // A stall shorter than STREAM_TIMEOUT: the connection stays, the backlog arrives in a rush
    // (some of it without timestamps, as rtspsrc hands it over).
    let w = Worker::start(
        &server.url("/cam1"),
        &dir.path().join("out"),
        &[("STREAM_TIMEOUT", "30")],
    );
    wait_detecting(&w, Duration::from_secs(20));
    let pid = w.pid().unwrap().to_string();
    let signal = |sig: &str| {
        let st = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(st.success(), "kill {sig} {pid}");
    };
    signal("-STOP");
    std::thread::sleep(Duration::from_secs(6));
    signal("-CONT");
    // The ring fills to its size (max(BUFFER, the longest event with margins) = 15 s) and
    // stays there. (An untimed keyframe in the backlog once kept it from ever dropping a GOP
    // again: it grew by the stream's bit rate all night.)
    let held = || {
        let m = w.metrics_text();
        metric(&m, "meteor_preroll_seconds").unwrap_or_else(|| panic!("no preroll gauge:\n{m}"))
    };
    std::thread::sleep(Duration::from_secs(14));
    let first = held();
    std::thread::sleep(Duration::from_secs(8));
    let second = held();
    assert!(
        second <= 18.0,
        "the pre-roll held {first} s, then {second} s, 8 s later (15 s and a keyframe interval at most)"
    );
    assert_eq!(
        w.stats()["reconnects"],
        0,
        "the stall was meant to keep the connection"
    );
}
