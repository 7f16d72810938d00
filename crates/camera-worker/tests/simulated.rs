//! The real GStreamer path on clips the simulator renders: meteors found where the truth
//! says, distractors and lightning give nothing, clips cover the event plus margins from the
//! keyframe before and play at the source rate, composites show the whole track, every record
//! carries the schema; a recording with sound reads like one without.

mod common;
use common::*;
use meteor_sim::{render_clip, Background, FlashSpec, MeteorSpec, MoverSpec, RenderSpec};
use std::path::Path;

fn detect(video: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "detect",
        video.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = worker(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn meteors_found_with_clips_from_the_keyframe_before_at_the_source_rate() {
    let dir = tempfile::tempdir().unwrap();
    // Keyframes every 2 s (the simulator's key-int-max = 2 x fps).
    let spec = RenderSpec::custom(11, 1280, 720, 30.0, 12.0)
        .with_background(Background::clear_night())
        .with_event(MeteorSpec::new(
            [200.0, 150.0],
            [700.0, 400.0],
            3.3,
            3.9,
            12.0,
        ))
        .with_event(MeteorSpec::new(
            [1100.0, 100.0],
            [900.0, 500.0],
            7.5,
            8.4,
            8.0,
        ))
        .with_name("two_meteors");
    let r = render_clip(&spec, dir.path()).unwrap();
    let out = dir.path().join("out");
    detect(&r.video_path, &out, &[]);
    let dets = read_jsonl(&out.join("two_meteors").join("detections.jsonl"));
    let diag = 1280f64.hypot(720.0);
    let meteors: Vec<_> = r.truth.events.iter().filter(|e| e.is_meteor()).collect();
    assert_eq!(dets.len(), 2, "{dets:#?}");
    for m in &meteors {
        let d = dets
            .iter()
            .find(|d| matches(d, m, diag))
            .unwrap_or_else(|| panic!("{m:?} not found in {dets:#?}"));
        let clip = probe(&out.join("two_meteors").join(d.clip.as_ref().unwrap()));
        assert_eq!(clip.codec, "video/x-h264");
        assert!((clip.fps - 30.0).abs() < 0.01, "clip fps {}", clip.fps);
        let start = d.clip_start_offset_s.unwrap();
        // Starts at the keyframe at or before start - 1 s: no more than one interval (2 s) earlier.
        assert!(
            start <= d.start_offset_s - 1.0 + 1e-6,
            "clip starts {start}, event {}",
            d.start_offset_s
        );
        assert!(
            start >= d.start_offset_s - 1.0 - 2.0 - 1e-6,
            "clip starts too early: {start}"
        );
        assert!(
            (start / 2.0 - (start / 2.0).round()).abs() < 0.02,
            "clip does not start on a keyframe: {start}"
        );
        let end = start + clip.duration_s;
        assert!(
            end >= d.end_offset_s + 1.0 - 0.04,
            "clip ends {end}, event ends {}",
            d.end_offset_s
        );
        assert!(end <= d.end_offset_s + 1.0 + 0.1, "clip runs on to {end}");
        assert_eq!(clip.frames as f64, ((end - start) * 30.0).round() + 1.0);
        let composite = out
            .join("two_meteors")
            .join(d.composite_original.as_ref().unwrap());
        check_track_in_composite(&composite, m.start_xy.unwrap(), m.end_xy.unwrap());
    }
    // Every line carries the documented schema.
    let text = std::fs::read_to_string(out.join("two_meteors").join("detections.jsonl")).unwrap();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for field in [
            "id",
            "camera",
            "start_time",
            "end_time",
            "start_offset_s",
            "end_offset_s",
            "duration_s",
            "start_xy",
            "end_xy",
            "length_px",
            "speed_px_s",
            "peak_brightness",
            "confidence",
            "sensitivity",
            "frames",
            "clip",
            "composite",
            "composite_original",
        ] {
            assert!(v.get(field).is_some(), "{field} missing in {line}");
        }
        assert!(v["start_time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(
            v["start_time"].as_str().unwrap().len(),
            "2026-11-23T02:00:00.000Z".len()
        );
    }
}

#[test]
fn distractors_and_lightning_give_no_meteor() {
    let dir = tempfile::tempdir().unwrap();
    let spec = RenderSpec::custom(5, 1280, 720, 30.0, 20.0)
        .with_background(Background::clear_night())
        .with_event(FlashSpec::new(4.0, 70.0))
        .with_event(MoverSpec::plane([100.0, 200.0], [400.0, 260.0], 0.0, 20.0))
        .with_event(MoverSpec::satellite(
            [900.0, 100.0],
            [1200.0, 500.0],
            2.0,
            16.0,
        ))
        .with_event(MoverSpec::insect(
            [600.0, 300.0],
            [900.0, 250.0],
            10.0,
            11.0,
        ))
        .with_name("distractors");
    let r = render_clip(&spec, dir.path()).unwrap();
    let out = dir.path().join("out");
    let stdout = detect(&r.video_path, &out, &["--no-clips"]);
    let dets = read_jsonl(&out.join("distractors").join("detections.jsonl"));
    assert!(dets.is_empty(), "{dets:#?}");
    assert!(
        stdout.contains("0 meteor(s)") && stdout.contains("1 flash(es)"),
        "{stdout}"
    );
}

/// The simulator's clip with an AAC track muxed in beside the video, as a camera that records
/// sound would save it.
fn with_sound(video: &Path, out: &Path) {
    use gstreamer as gst;
    use gstreamer::prelude::*;
    gst::init().unwrap();
    let pipeline = gst::parse::launch(&format!(
        "mp4mux name=m ! filesink location={out} \
         filesrc location={video} ! qtdemux ! h264parse ! queue ! m. \
         audiotestsrc num-buffers=400 ! audioconvert ! avenc_aac ! queue ! m.",
        out = out.display(),
        video = video.display()
    ))
    .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let msg = pipeline
        .bus()
        .unwrap()
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(60),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        )
        .expect("muxing finishes");
    pipeline.set_state(gst::State::Null).unwrap();
    assert_eq!(msg.type_(), gst::MessageType::Eos, "{msg:?}");
    let info = gstreamer_pbutils::Discoverer::new(gst::ClockTime::from_seconds(10))
        .unwrap()
        .discover_uri(&gst::glib::filename_to_uri(out, None).unwrap())
        .unwrap();
    assert_eq!(info.audio_streams().len(), 1, "{out:?} has no sound");
}

#[test]
fn a_recording_with_sound_is_read_like_one_without() {
    // A file's demuxer feeds the sound and the picture from one thread: the sound's sink
    // once held it up before the first picture was decoded, and nothing was ever read.
    let dir = tempfile::tempdir().unwrap();
    let spec = RenderSpec::custom(13, 640, 360, 30.0, 8.0)
        .with_background(Background::clear_night())
        .with_event(MeteorSpec::new(
            [100.0, 80.0],
            [400.0, 250.0],
            3.0,
            3.6,
            12.0,
        ))
        .with_name("silent");
    let r = render_clip(&spec, dir.path()).unwrap();
    let video = dir.path().join("with_sound.mp4");
    with_sound(&r.video_path, &video);
    let out = dir.path().join("out");
    detect(&video, &out, &["--no-clips"]);
    let dets = read_jsonl(&out.join("with_sound").join("detections.jsonl"));
    let meteor = r.truth.events.iter().find(|e| e.is_meteor()).unwrap();
    assert_eq!(dets.len(), 1, "{dets:#?}");
    assert!(matches(&dets[0], meteor, 640f64.hypot(360.0)), "{dets:#?}");
}
