//! Transports of real cameras, on simulated ones: RTP over UDP with lost packets (counted in
//! /stats and /metrics; the frames the decoder had to patch never become meteors, and the
//! stream goes on), H.265 with AAC audio and a metadata stream over UDP (every meteor found,
//! no queue grows for a minute), RTSP_TRANSPORT=auto falling back to UDP when the camera
//! refuses TCP, and a network delay that wanders (clips stay at the camera's rate).

mod common;
mod support;

use meteor_sim::serve::CameraConfig;
use std::time::{Duration, Instant};
use support::{due, empty_loop, metric, secs, serve, Worker, LAG_S};

#[test]
fn lost_packets_are_counted_and_damaged_frames_make_no_meteor() {
    let server = serve(vec![
        CameraConfig::new("/cam1", empty_loop(81)).with_keyframe_interval(2.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(
        &server.url("/cam1"),
        &dir.path().join("cam1"),
        &[("RTSP_TRANSPORT", "udp")],
    );
    w.wait_for("detecting", Duration::from_secs(20), |w| {
        w.state() == "detecting"
    });
    assert_eq!(w.stats()["lost_packets"], 0);

    // A lossy link for 20 s: one video packet in 10 goes missing.
    server.packet_loss("/cam1", 10).unwrap();
    let t = Instant::now();
    w.wait_for("lost packets counted", Duration::from_secs(10), |w| {
        w.stats()["lost_packets"].as_u64().unwrap_or(0) > 0
    });
    while t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(500));
    }
    server.packet_loss("/cam1", 0).unwrap();
    let s = w.stats();
    let lost = s["lost_packets"].as_u64().unwrap();
    let corrupt = s["corrupt_frames"].as_u64().unwrap();
    eprintln!("lost {lost} packets, {corrupt} corrupted frames kept from detection: {s}");
    let m = w.metrics_text();
    assert_eq!(
        metric(&m, "meteor_rtp_packets_lost_total"),
        Some(lost as f64),
        "{m}"
    );

    // The stream goes on, and nothing it showed was a meteor.
    let frames = s["frames"].as_u64().unwrap();
    w.wait_for("frames after the loss", Duration::from_secs(10), |w| {
        w.stats()["frames"].as_u64().unwrap_or(0) > frames + 50
    });
    assert!(
        w.detections().is_empty(),
        "damaged frames became meteors: {:?}",
        w.detections()
    );
    assert_eq!(w.stats()["detection_state"], "detecting");
}

/// Every meteor the camera showed after `after` (and ended 4 s before now) was found.
fn all_found(
    server: &meteor_sim::serve::SimServer,
    w: &Worker,
    after: chrono::DateTime<chrono::Utc>,
) -> usize {
    let found = w.detections();
    let served = server.truth("/cam1").unwrap();
    let due = due(&served, after);
    for e in &due {
        let nearest = found
            .iter()
            .map(|d| secs(d.start_time - e.start))
            .min_by(|a, b| a.abs().total_cmp(&b.abs()));
        assert!(
            nearest.is_some_and(|s| s.abs() <= LAG_S),
            "missed the meteor of {e:?} (the nearest record starts {nearest:?} s from it); \
             found {found:#?}\n{}",
            w.logs()
        );
    }
    due.len()
}

#[test]
fn h265_with_aac_audio_and_metadata_over_udp_finds_the_meteors_and_no_queue_grows() {
    use meteor_sim::serve::{Audio, Codec};
    let server = serve(vec![CameraConfig::new("/cam1", support::meteor_loop(82))
        .with_codec(Codec::H265)
        .with_audio(Audio::Aac)
        .with_metadata(true)
        .with_keyframe_interval(1.0)]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cam1");
    let w = Worker::start(&server.url("/cam1"), &out, &[("RTSP_TRANSPORT", "udp")]);
    w.wait_for("connected", Duration::from_secs(20), |w| {
        w.stats()["connected"] == true
    });
    let connected = chrono::Utc::now() + chrono::Duration::milliseconds(2500);
    // A minute (nearly four loops): the queues are sampled every second meanwhile.
    let t = Instant::now();
    let (mut max_queue, mut max_pending) = (0.0f64, 0.0f64);
    while t.elapsed() < Duration::from_secs(60) {
        let m = w.metrics_text();
        max_queue = max_queue.max(metric(&m, "meteor_writer_queue_depth").unwrap_or(0.0));
        max_pending = max_pending.max(metric(&m, "meteor_records_pending").unwrap_or(0.0));
        std::thread::sleep(Duration::from_secs(1));
    }
    let n = all_found(&server, &w, connected);
    assert!(n >= 3, "the test ran too short: {n} meteor(s) due");
    let logs = w.logs();
    for extra in ["audio stream (MPEG4-GENERIC)", "application stream (X-GST)"] {
        assert!(
            logs.contains(&format!("ignoring the camera's {extra}")),
            "{extra} not seen:\n{logs}"
        );
    }
    let s = w.stats();
    assert_eq!(s["codec"], "H.265");
    assert_eq!(s["dropped_frames"], 0, "{s}");
    assert!(
        max_queue <= 1.0 && max_pending == 0.0,
        "queues grew: writer {max_queue}, pending {max_pending}"
    );
    // The clip is the camera's own HEVC, at its rate.
    let d = &w.detections()[0];
    let probe = common::probe(&out.join(d.clip.as_deref().expect("a clip")));
    assert!(probe.codec.contains("h265"), "clip codec {}", probe.codec);
    assert!((probe.fps - 25.0).abs() < 0.01, "clip at {} fps", probe.fps);
}

/// A network whose delay wanders by 200 ms every 6 s (a queue filling and draining on the
/// way) stretches and squeezes arrival by 7 %, and the timestamps rtspsrc gives follow it:
/// every meteor is still found, and every clip plays at the camera's 25 fps with its frames
/// evenly spaced (muxed with arrival times, such a clip has no steady rate at all).
#[test]
fn a_wandering_network_delay_leaves_clips_at_the_camera_rate() {
    let server = serve(vec![
        CameraConfig::new("/cam1", support::meteor_loop(84)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cam1");
    let w = Worker::start(&server.url("/cam1"), &out, &[]);
    w.wait_for("connected", Duration::from_secs(20), |w| {
        w.stats()["connected"] == true
    });
    server
        .network_wander("/cam1", Duration::from_millis(200), Duration::from_secs(6))
        .unwrap();
    let since = chrono::Utc::now() + chrono::Duration::milliseconds(2500);
    let clipped = |w: &Worker| {
        w.detections()
            .into_iter()
            .filter(|d| d.start_time > since && d.clip.is_some())
            .collect::<Vec<_>>()
    };
    w.wait_for("three meteors with clips", Duration::from_secs(60), |w| {
        clipped(w).len() >= 3
    });
    for d in clipped(&w) {
        let clip = d.clip.as_deref().unwrap();
        let probe = common::probe(&out.join(clip));
        let even = (probe.frames - 1) as f64 / 25.0;
        assert!(
            (probe.fps - 25.0).abs() < 0.001 && (probe.duration_s - even).abs() < 0.002,
            "{clip}: {} frames over {:.4} s at {} fps",
            probe.frames,
            probe.duration_s,
            probe.fps
        );
    }
    all_found(&server, &w, since);
    assert_eq!(w.stats()["dropped_frames"], 0);
}

#[test]
fn auto_falls_back_to_udp_when_the_camera_refuses_tcp() {
    let server = serve(vec![CameraConfig::new("/cam1", support::meteor_loop(83))
        .with_udp_only(true)
        .with_keyframe_interval(1.0)]);
    let dir = tempfile::tempdir().unwrap();
    // TCP is refused: with tcp the worker never gets a frame.
    let tcp = Worker::start(
        &server.url("/cam1"),
        &dir.path().join("tcp"),
        &[("RTSP_TRANSPORT", "tcp")],
    );
    let w = Worker::start(
        &server.url("/cam1"),
        &dir.path().join("cam1"),
        &[("RTSP_TRANSPORT", "auto")],
    );
    w.wait_for("connected over UDP", Duration::from_secs(30), |w| {
        w.stats()["connected"] == true
    });
    assert!(
        w.logs()
            .contains("no frame over TCP; the next try uses UDP"),
        "{}",
        w.logs()
    );
    let connected = chrono::Utc::now() + chrono::Duration::milliseconds(2500);
    std::thread::sleep(Duration::from_secs(18));
    assert!(all_found(&server, &w, connected) >= 1);
    let s = tcp.stats();
    assert_eq!(s["connected"], false, "TCP was not refused: {s}");
    assert_eq!(s["frames"], 0);
}
