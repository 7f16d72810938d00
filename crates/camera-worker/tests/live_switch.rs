//! A camera changing resolution and frame rate mid-stream (a day/night profile switch), on
//! the same connection and across a reconnect: the worker relearns (with a WARN), the switch
//! itself produces no event, the next meteor is found with a clip at the new size and rate,
//! /stats shows the new format, and an exclusion mask of the old size is rescaled (a WARN).

mod common;
mod support;

use chrono::{DateTime, Utc};
use meteor_core::Detection;
use meteor_sim::serve::{CameraConfig, ServedEvent, SimServer};
use meteor_sim::RenderSpec;
use std::time::Duration;
use support::{meteor_loop, meteor_loop_at, on_path, serve, Worker, LAG_S};

/// Renders (and caches) a loop ahead, so a switch to it takes effect at once.
fn prerender(spec: &RenderSpec) {
    drop(serve(vec![CameraConfig::new("/warm", spec.clone())]));
}

/// The served event `d` is, if any: on its path, starting while it was shown (plus lag).
fn served_as<'a>(d: &Detection, served: &'a [ServedEvent]) -> Option<&'a ServedEvent> {
    served.iter().find(|e| {
        let lag = chrono::Duration::milliseconds((LAG_S * 1e3) as i64);
        let slack = chrono::Duration::milliseconds(300);
        d.start_time >= e.start - slack && d.start_time <= e.end + lag && on_path(d, e)
    })
}

/// Waits for a meteor found at `width` with its clip, then checks it, the other detections
/// and /stats against the switch at `switched` to `w`x`h`@`fps`.
fn check_after_switch(
    w: &Worker,
    server: &SimServer,
    switched: DateTime<Utc>,
    (width, height, fps): (u32, u32, f64),
) {
    w.wait_for(
        &format!("a meteor with its clip at {width}x{height}"),
        Duration::from_secs(45),
        |w| {
            w.detections()
                .iter()
                .any(|d| d.width == width && d.start_time > switched && d.clip.is_some())
        },
    );
    let found = w.detections();
    let d = found
        .iter()
        .find(|d| d.width == width && d.start_time > switched)
        .unwrap();
    assert_eq!(d.height, height);
    let clip = w.output.join(d.clip.as_ref().unwrap());
    let probe = common::probe(&clip);
    assert_eq!(
        (probe.width, probe.height, probe.fps),
        (width as i32, height as i32, fps),
        "{}",
        clip.display()
    );
    let stats = w.stats();
    assert_eq!(stats["resolution"], format!("{width}x{height}"), "{stats}");
    let source_fps = stats["source_fps"].as_f64().unwrap();
    assert!((source_fps - fps).abs() < 0.01, "{stats}");

    // Every detection is a meteor the camera showed: nothing came of the switch itself.
    // Nothing is shown from the switch to the new loop's first meteor 4 s later.
    let served = server.truth("/cam1").unwrap();
    for d in &found {
        assert!(
            served_as(d, &served).is_some(),
            "a false event at {} ({}x{}); the switch was at {switched}; served {served:?}",
            d.start_time,
            d.width,
            d.height
        );
        if d.width == width && d.start_time > switched {
            let after = (d.start_time - switched).num_milliseconds() as f64 / 1e3;
            assert!(after >= 3.7, "an event {after:.2} s after the switch");
        }
    }
}

#[test]
fn resolution_and_rate_switches_on_the_same_connection() {
    let night = meteor_loop_at(52, 480, 270, 15.0);
    let faster = meteor_loop_at(52, 480, 270, 25.0);
    prerender(&night);
    prerender(&faster);
    let server = serve(vec![CameraConfig::new("/cam1", meteor_loop(51))]);
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&server.url("/cam1"), &dir.path().join("cam1"), &[]);
    w.wait_for("detecting at 640x360", Duration::from_secs(20), |w| {
        let s = w.stats();
        s["resolution"] == "640x360" && s["frames"].as_u64().unwrap_or(0) >= 50
    });
    let switched = server.switch("/cam1", night).unwrap().start;
    check_after_switch(&w, &server, switched, (480, 270, 15.0));
    let logs = w.logs();
    assert!(
        logs.contains("resolution changed; relearning the background"),
        "{logs}"
    );
    // the frame rate alone: the tracker's gates and durations follow it
    let switched = server.switch("/cam1", faster).unwrap().start;
    check_after_switch(&w, &server, switched, (480, 270, 25.0));
    let logs = w.logs();
    assert!(
        logs.contains("frame rate changed; relearning the background"),
        "{logs}"
    );
    assert_eq!(w.stats()["reconnects"], 0, "a switch cost a reconnect");
}

#[test]
fn an_old_size_mask_is_rescaled_across_a_reconnect_at_a_new_size() {
    use opencv::core::{Mat, Rect, Scalar, Size, CV_8UC1};
    use opencv::imgproc;
    let dir = tempfile::tempdir().unwrap();
    // the sky is the top three quarters of a 640x360 frame
    let mut img =
        Mat::new_size_with_default(Size::new(640, 360), CV_8UC1, Scalar::all(255.0)).unwrap();
    imgproc::rectangle(
        &mut img,
        Rect::new(0, 270, 640, 90),
        Scalar::all(0.0),
        imgproc::FILLED,
        imgproc::LINE_8,
        0,
    )
    .unwrap();
    let mask = dir.path().join("mask.png");
    std::fs::write(&mask, camera_worker::picture::png(&img).unwrap()).unwrap();

    let night = meteor_loop_at(54, 800, 450, 12.5);
    prerender(&night);
    let server = serve(vec![CameraConfig::new("/cam1", meteor_loop(53))]);
    let mask_env = mask.display().to_string();
    let w = Worker::start(
        &server.url("/cam1"),
        &dir.path().join("cam1"),
        &[("MASK_IMAGE", mask_env.as_str())],
    );
    w.wait_for("detecting at 640x360", Duration::from_secs(20), |w| {
        let s = w.stats();
        s["resolution"] == "640x360" && s["frames"].as_u64().unwrap_or(0) >= 50
    });
    assert!(!w.logs().contains("rescaling the mask"), "{}", w.logs());

    // the camera restarts with its night profile: a new connection at a new size and rate
    server.stop();
    let switched = server.switch("/cam1", night).unwrap().start;
    server.restart().unwrap();
    check_after_switch(&w, &server, switched, (800, 450, 12.5));
    let logs = w.logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("WARN") && l.contains("rescaling the mask")),
        "{logs}"
    );
    assert!(w.stats()["reconnects"].as_u64().unwrap() >= 1);
}
