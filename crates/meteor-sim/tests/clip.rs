//! End-to-end: a rendered MP4 decodes with GStreamer to the right number of frames at the
//! right rate, and the truth JSON round-trips.

mod common;

use gstreamer as gst;
use gstreamer::prelude::*;
use meteor_sim::{render_clip, Background, MeteorSpec, Profile, RenderSpec};
use std::hash::{Hash, Hasher};

/// Decodes `path` and returns (frames, caps framerate, last PTS in seconds, a digest of every
/// decoded frame).
fn decode(path: &std::path::Path) -> (u64, gst::Fraction, f64, u64) {
    gst::init().unwrap();
    let desc = format!(
        "filesrc location={} ! qtdemux ! h264parse ! avdec_h264 ! appsink name=sink sync=false",
        path.display()
    );
    let (pipeline, sink) = common::launch(&desc);
    pipeline.set_state(gst::State::Playing).unwrap();
    let (mut n, mut rate, mut last) = (0, gst::Fraction::new(0, 1), 0.0);
    let mut digest = std::collections::hash_map::DefaultHasher::new();
    while let Ok(sample) = sink.pull_sample() {
        let caps = sample.caps().unwrap();
        rate = caps
            .structure(0)
            .unwrap()
            .get::<gst::Fraction>("framerate")
            .unwrap();
        let buffer = sample.buffer().unwrap();
        last = buffer.pts().unwrap().nseconds() as f64 / 1e9;
        buffer.map_readable().unwrap().as_slice().hash(&mut digest);
        n += 1;
    }
    let bus = pipeline.bus().unwrap();
    let err = bus.pop_filtered(&[gst::MessageType::Error]);
    pipeline.set_state(gst::State::Null).unwrap();
    assert!(err.is_none(), "decode error: {err:?}");
    (n, rate, last, digest.finish())
}

#[test]
fn rendered_clip_decodes_to_the_right_frames() {
    let dir = tempfile::tempdir().unwrap();
    let spec = RenderSpec::custom(9, 320, 240, 30.0, 3.0)
        .with_background(Background::all())
        .with_event(MeteorSpec::new(
            [40.0, 40.0],
            [200.0, 120.0],
            1.0,
            1.6,
            12.0,
        ))
        .with_name("tiny");
    let out = render_clip(&spec, dir.path()).unwrap();
    assert_eq!(out.video_path, dir.path().join("tiny.mp4"));
    assert_eq!(out.truth.source, "tiny.mp4");
    assert_eq!(out.truth.frames, 90);
    let (frames, rate, last, _) = decode(&out.video_path);
    assert_eq!(frames, 90);
    assert_eq!(rate, gst::Fraction::new(30, 1));
    assert!((last - 89.0 / 30.0).abs() < 0.002, "last pts {last}");

    let text = std::fs::read_to_string(&out.truth_path).unwrap();
    let back: meteor_core::Truth = serde_json::from_str(&text).unwrap();
    assert_eq!(back, out.truth);
    assert_eq!(
        meteor_core::Truth::load(&out.truth_path).unwrap(),
        out.truth
    );
    let kinds: Vec<&str> = back.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["cloud", "osd_clock", "meteor"]);

    // same spec again: identical truth
    let again = render_clip(&spec.clone().with_name("tiny2"), dir.path()).unwrap();
    assert_eq!(again.truth.events, out.truth.events);
}

/// The quality benchmark and the detection tests score the same video on every run and every
/// machine. (x264's sliced threads let rate control depend on which slice finishes first: a
/// noisy 720p sky came out differently on most renders.)
#[test]
fn a_sky_renders_to_the_same_frames_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let spec = RenderSpec::from_profile(Profile::Hard, 7, 1280, 720, 30.0, 2.0);
    let digests: Vec<u64> = (0..3)
        .map(|i| {
            let out = render_clip(&spec.clone().with_name(format!("hard{i}")), dir.path());
            decode(&out.unwrap().video_path).3
        })
        .collect();
    assert!(digests.iter().all(|&d| d == digests[0]), "{digests:?}");
}

#[test]
fn fractional_rates_and_odd_strides() {
    let dir = tempfile::tempdir().unwrap();
    // 360 px wide: chroma rows of 180 bytes are padded to 184 in I420
    let spec = RenderSpec::custom(2, 360, 200, 12.5, 2.0).with_name("odd");
    let out = render_clip(&spec, dir.path()).unwrap();
    let (frames, rate, _, _) = decode(&out.video_path);
    assert_eq!(frames, 25);
    assert_eq!(rate, gst::Fraction::new(25, 2));
}

#[test]
fn invalid_specs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = render_clip(&RenderSpec::custom(1, 321, 240, 30.0, 1.0), dir.path()).unwrap_err();
    assert!(err.to_string().contains("even"), "{err}");
    assert!(render_clip(&RenderSpec::custom(1, 320, 240, 0.0, 1.0), dir.path()).is_err());
}
