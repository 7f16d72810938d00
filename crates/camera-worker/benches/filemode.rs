//! File-mode throughput on 1080p30 H.264: a decode-only GStreamer pipeline (the floor every
//! detector pays) next to the worker's whole file path (decode, detect, track, composites,
//! records; clips off) on the same simulated sky. Criterion reports time per 5 s clip; divide
//! 5 s by it for the real-time factor, and compare the two for the detector's share.
//! `cargo bench -p camera-worker --bench filemode` (one core: prefix `taskset -c 0`).

use camera_worker::config::DetectionArgs;
use camera_worker::filemode::{process_file, DetectCmd};
use criterion::{criterion_group, criterion_main, Criterion};
use gstreamer as gst;
use gstreamer::prelude::*;
use meteor_sim::{render_clip, Profile, RenderSpec};
use std::path::PathBuf;

const SECONDS: f64 = 5.0;

/// The clip, rendered once and kept under target/ (renders are deterministic).
fn clip() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-cache");
    let path = dir.join("mixed_1080p_5s.mp4");
    if !path.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let spec = RenderSpec::from_profile(Profile::Mixed, 3, 1920, 1080, 30.0, SECONDS)
            .with_name("mixed_1080p_5s");
        render_clip(&spec, &dir).unwrap();
    }
    path
}

fn decode_only(path: &std::path::Path) {
    let p = gst::parse::launch(&format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264 ! fakesink sync=false",
        path.display()
    ))
    .unwrap();
    p.set_state(gst::State::Playing).unwrap();
    let bus = p.bus().unwrap();
    let msg = bus
        .timed_pop_filtered(
            gst::ClockTime::NONE,
            &[gst::MessageType::Eos, gst::MessageType::Error],
        )
        .unwrap();
    assert!(
        matches!(msg.view(), gst::MessageView::Eos(_)),
        "decode failed: {msg:?}"
    );
    p.set_state(gst::State::Null).unwrap();
}

fn bench(c: &mut Criterion) {
    gst::init().unwrap();
    opencv::core::set_num_threads(1).unwrap();
    let path = clip();
    let out = tempfile::tempdir().unwrap();
    let cmd = DetectCmd {
        inputs: vec![path.clone()],
        output: out.path().to_path_buf(),
        detection: DetectionArgs {
            sensitivity: "medium".into(),
            mask: None,
            exclude_bottom: Some(0.1),
            exclude_edge: None,
            scale: None,
            overrides: vec![],
        },
        no_clips: true,
        start_time: Some("2026-11-23T02:00:00Z".parse().unwrap()),
        json: false,
    };
    let settings = cmd.detection.resolve().unwrap();
    let mut g = c.benchmark_group("filemode_1080p30_h264_5s");
    g.sample_size(10);
    g.bench_function("decode_only", |b| b.iter(|| decode_only(&path)));
    g.bench_function("camera_worker", |b| {
        b.iter(|| {
            let s = process_file(&path, &cmd, &settings).unwrap();
            assert_eq!(s.frames, (SECONDS * 30.0) as u64);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
