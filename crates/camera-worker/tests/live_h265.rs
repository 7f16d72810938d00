//! `camera-worker run` on a simulated H.265 camera: the meteors are found as on H.264, each
//! clip is the camera's HEVC remuxed with the `hvc1` sample entry at the source rate, and each
//! event gets an H.264 browser rendition, listed in its record, made without costing
//! detection a frame; a rendition that is missing is made again on the first request.

mod common;
mod support;

use chrono::{DateTime, Utc};
use meteor_core::Detection;
use meteor_sim::serve::{CameraConfig, Codec};
use std::path::Path;
use std::time::Duration;
use support::{due, is_served, meteor_loop, metric, serve, Worker};

/// The four-character type of the first sample entry in the MP4's `stsd` box.
fn sample_entry(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"stsd")
        .unwrap_or_else(|| panic!("{} has no stsd box", path.display()));
    // stsd: type, version+flags (4), entry count (4), then the entry: size (4), type (4).
    String::from_utf8_lossy(&bytes[at + 16..at + 20]).into_owned()
}

#[test]
fn h265_camera_gives_hvc1_clips_and_h264_browser_renditions() {
    let cam = CameraConfig::new("/cam1", meteor_loop(21))
        .with_codec(Codec::H265)
        .with_keyframe_interval(1.0);
    let server = serve(vec![cam]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cam1");
    let w = Worker::start(&server.url("/cam1"), &out, &[]);
    w.wait_for("connected", Duration::from_secs(20), |w| {
        w.stats()["connected"] == true
    });
    let connected: DateTime<Utc> = Utc::now();
    assert_eq!(w.stats()["codec"], "H.265");

    // Two loops: four meteors, of which the first may fall in the warm-up.
    std::thread::sleep(Duration::from_secs(34));
    let served = server.truth("/cam1").unwrap();
    let due = due(&served, connected + chrono::Duration::milliseconds(2500));
    assert!(due.len() >= 3, "the test ran too short: {served:?}");
    let found = w.detections();
    for e in &due {
        assert!(
            found.iter().any(|d| is_served(d, e)),
            "missed the meteor of {e:?}; found {found:#?}\n{}",
            w.logs()
        );
    }
    for d in &found {
        assert!(
            served.iter().any(|e| is_served(d, e)),
            "a detection that is no meteor: {d:?}"
        );
    }

    // Every rendition is listed within a few seconds (they run one at a time, niced).
    w.wait_for(
        "every record lists its rendition",
        Duration::from_secs(30),
        |w| w.detections().iter().all(|d| d.clip_browser.is_some()),
    );
    let found = w.detections();
    for d in &found {
        check_clip_and_rendition(&out, d);
    }
    // The record line stays as written; the rendition is noted in annotations.jsonl.
    let notes = std::fs::read_to_string(out.join("annotations.jsonl")).unwrap();
    for d in &found {
        assert!(
            notes.contains(&format!("\"clip_browser\":\"{}\"", d.browser_clip_name())),
            "{notes}"
        );
    }

    let m = w.metrics_text();
    assert_eq!(
        metric(&m, "meteor_renditions_total"),
        Some(found.len() as f64)
    );
    assert_eq!(metric(&m, "meteor_renditions_dropped_total"), Some(0.0));
    assert_eq!(metric(&m, "meteor_renditions_failed_total"), Some(0.0));
    assert_eq!(metric(&m, "meteor_renditions_queued"), Some(0.0));
    let cpu = metric(&m, "meteor_rendition_cpu_seconds_total").unwrap();
    assert!(cpu > 0.0, "no CPU time reported for the renditions:\n{m}");
    let stats = w.stats();
    assert_eq!(stats["dropped_frames"], 0, "{stats}");

    // A rendition lost (say, removed by hand) is made again when first asked for.
    let d = &found[0];
    let name = d.browser_clip_name();
    std::fs::remove_file(out.join(&name)).unwrap();
    // That request decodes and encodes the clip while it waits: at nice 19, on a busy CI
    // host, it has taken longer than the helper's usual 10 s.
    let r = w
        .http()
        .get(w.url(&format!("/files/{name}")))
        .timeout(Duration::from_secs(60))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", w.logs());
    assert!(r.bytes().unwrap().len() > 1000);
    assert_eq!(common::probe(&out.join(&name)).codec, "video/x-h264");
    // A clip that needs none is not made up.
    let r = w
        .http()
        .get(w.url("/files/meteor_20000101_000000_00000000_browser.mp4"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        metric(&w.metrics_text(), "meteor_renditions_total"),
        Some(found.len() as f64 + 1.0)
    );
}

fn check_clip_and_rendition(out: &Path, d: &Detection) {
    let clip = d.clip.as_ref().expect("a clip");
    assert_eq!(d.clip_method.as_deref(), Some("remux"), "{d:?}");
    assert_eq!(d.clip_codec.as_deref(), Some("H.265"), "{d:?}");
    let probe = common::probe(&out.join(clip));
    assert_eq!(probe.codec, "video/x-h265");
    assert_eq!(sample_entry(&out.join(clip)), "hvc1", "{clip}");
    assert!((probe.fps - 25.0).abs() < 0.01, "clip at {} fps", probe.fps);

    let browser = d.clip_browser.as_ref().unwrap();
    assert_eq!(browser, &d.browser_clip_name());
    let r = common::probe(&out.join(browser));
    assert_eq!(r.codec, "video/x-h264", "{browser}");
    assert_eq!(sample_entry(&out.join(browser)), "avc1", "{browser}");
    assert!((r.fps - 25.0).abs() < 0.01, "rendition at {} fps", r.fps);
    assert_eq!(r.frames, probe.frames, "{browser} lost frames");
    assert!((r.duration_s - probe.duration_s).abs() < 0.05);
}
