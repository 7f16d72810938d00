//! The night window on a simulated clock, through the real streamer on a simulated camera:
//! by day the stream and its counters run while detection sleeps (no events although the
//! camera shows meteors); when the clock reaches the night, detection starts, and the
//! records carry the simulated clock's times.

mod support;

use camera_worker::ingest::rtsp::{RtspOpener, Transport};
use camera_worker::live::{self, status::DetectionState, RunCmd};
use chrono::{DateTime, Utc};
use clap::Parser;
use meteor_core::clock::SimulatedClock;
use meteor_sim::serve::CameraConfig;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{meteor_loop, serve};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    run: RunCmd,
}

fn wait(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn detection_sleeps_by_day_and_wakes_at_dusk() {
    let server = serve(vec![
        CameraConfig::new("/cam1", meteor_loop(41)).with_keyframe_interval(1.0)
    ]);
    let url = server.url("/cam1");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let cli = Cli::parse_from([
        "run",
        "--url",
        &url,
        "--output",
        &out,
        "--camera",
        "berlin",
        "--enable-time-window",
        "true",
        "--latitude",
        "52.52",
        "--longitude",
        "13.405",
        "--timezone",
        "Europe/Berlin",
        "--sun-altitude",
        "nautical",
    ]);
    // Noon in Berlin on the winter solstice.
    let noon: DateTime<Utc> = "2026-12-21T11:00:00Z".parse().unwrap();
    let clock = SimulatedClock::new(noon);
    let shared = live::build(&cli.run, Arc::new(clock.clone())).unwrap();
    let window = shared.window.clone().unwrap();
    assert!(!window.is_active(noon));
    let streamer = live::spawn_streamer(
        shared.clone(),
        Box::new(RtspOpener::new(url, Transport::Tcp, Duration::from_secs(3))),
        Duration::from_secs(3),
    );

    // Daytime: frames flow, detection sleeps through two meteors of the loop.
    wait("out_of_window", Duration::from_secs(20), || {
        shared.status.snapshot().state == Some(DetectionState::OutOfWindow)
    });
    let f0 = shared.status.snapshot().frames;
    std::thread::sleep(Duration::from_secs(17));
    let snap = shared.status.snapshot();
    assert!(snap.connected && snap.frames > f0 + 300, "{snap:?}");
    assert_eq!(snap.state, Some(DetectionState::OutOfWindow));
    assert_eq!(shared.catalog.lock().unwrap().total(), 0, "detected by day");

    // Dusk: detection starts on the same connection.
    let night = window.tonight(noon);
    let dusk = night.start.unwrap();
    clock.set(dusk + chrono::Duration::minutes(5));
    assert!(shared.window_active());
    wait("detecting", Duration::from_secs(5), || {
        shared.status.snapshot().state == Some(DetectionState::Detecting)
    });
    assert_eq!(shared.status.snapshot().reconnects, 0);
    wait("a meteor at night", Duration::from_secs(40), || {
        shared.catalog.lock().unwrap().total() > 0
    });
    let d = shared.catalog.lock().unwrap().newest().unwrap();
    // Times come from the simulated clock (the clock stands still in this test).
    let t = d.detection.start_time;
    assert!(
        t >= dusk && t < dusk + chrono::Duration::minutes(10),
        "record time {t} is not on the simulated clock (dusk {dusk})"
    );

    // Dawn: back to sleep, nothing lost.
    clock.set(night.end.unwrap() + chrono::Duration::minutes(1));
    wait("out_of_window at dawn", Duration::from_secs(5), || {
        shared.status.snapshot().state == Some(DetectionState::OutOfWindow)
    });
    shared.shutdown.store(true, Ordering::Relaxed);
    streamer.join().unwrap();
}
