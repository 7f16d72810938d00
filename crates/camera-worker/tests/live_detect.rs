//! `camera-worker run` on a simulated RTSP camera finds its meteors: records, clips and
//! composites within 2 s after the post-roll, clips covering the event plus margins at the
//! source's frame rate, no false events, and no password anywhere it shows.

mod common;
mod support;

use chrono::{DateTime, Utc};
use meteor_core::Detection;
use meteor_sim::serve::CameraConfig;
use std::collections::HashMap;
use std::time::Duration;
use support::{due, is_served, meteor_loop, secs, serve, Worker};

/// A password with every character that breaks naive URL handling.
const PASSWORD: &str = "s3cr:t@pw/%x";

#[test]
fn finds_the_meteors_with_clips_composites_and_records_in_time() {
    let cam = CameraConfig::new("/cam1", meteor_loop(11))
        .with_credentials("viewer", PASSWORD)
        .with_keyframe_interval(1.0);
    let server = serve(vec![cam]);
    let url = server.url("/cam1");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cam1");
    let w = Worker::start(&url, &out, &[("CAMERA_DISPLAY_NAME", "Roof <east> ☄")]);
    w.wait_for("connected", Duration::from_secs(20), |w| {
        w.stats()["connected"] == true
    });
    let connected: DateTime<Utc> = Utc::now();

    // Two loops: four meteors, of which the first may fall in the warm-up.
    let mut first_seen: HashMap<String, DateTime<Utc>> = HashMap::new();
    let until = connected + chrono::Duration::seconds(34);
    while Utc::now() < until {
        for d in w.detections() {
            first_seen.entry(d.id.clone()).or_insert_with(Utc::now);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let found = w.detections();
    let served = server.truth("/cam1").unwrap();
    let due = due(&served, connected + chrono::Duration::milliseconds(2500));
    assert!(due.len() >= 3, "the test ran too short: {served:?}");

    for e in &due {
        let hit = found.iter().find(|d| is_served(d, e));
        let Some(d) = hit else {
            panic!("missed the meteor of {e:?}; found {found:#?}\n{}", w.logs());
        };
        // Written within 2 s after the post-roll (1 s after the end, as the worker saw it).
        let seen = first_seen[&d.id];
        let late = secs(seen - d.end_time) - 1.0;
        assert!(
            late <= 2.0,
            "{} listed {late:.2} s after its post-roll",
            d.id
        );
        check_files(&out, d);
    }
    for d in &found {
        assert!(
            served.iter().any(|e| is_served(d, e)),
            "a detection that is no meteor: {d:?}"
        );
    }
    // The records on disk are the ones the API lists.
    let on_disk = common::read_jsonl(&out.join("detections.jsonl"));
    assert_eq!(on_disk.len(), found.len());
    let stats = w.stats();
    assert_eq!(stats["detections"]["total"], found.len());
    assert_eq!(stats["source_fps"], 25.0);
    assert_eq!(stats["resolution"], "640x360");
    assert_eq!(stats["codec"], "H.264");
    assert_eq!(stats["dropped_frames"], 0);

    check_no_password(&w, &url);
}

/// Clip, composites and the record of one detection, as a person opens them.
fn check_files(out: &std::path::Path, d: &Detection) {
    let clip = d.clip.as_ref().expect("a clip");
    assert_eq!(d.clip_method.as_deref(), Some("remux"));
    let probe = common::probe(&out.join(clip));
    assert!((probe.fps - 25.0).abs() < 0.01, "clip at {} fps", probe.fps);
    // From the keyframe before (start - 1 s) to 1 s after the end: at most one keyframe
    // interval (1 s) more than the event plus its margins.
    let want = d.duration_s + 2.0;
    assert!(
        probe.duration_s >= want - 0.1 && probe.duration_s <= want + 1.0 + 0.1,
        "{clip}: {:.2} s for an event of {:.2} s",
        probe.duration_s,
        d.duration_s
    );
    let lead = d.start_offset_s - d.clip_start_offset_s.unwrap();
    assert!(
        (0.95..=2.05).contains(&lead),
        "{clip} starts {lead:.2} s early"
    );
    for img in [&d.composite, &d.composite_original] {
        let img = img.as_ref().expect("composite images");
        let bytes = std::fs::read(out.join(img)).unwrap();
        assert_eq!(&bytes[..2], &[0xFF, 0xD8], "{img} is not a JPEG");
    }
    // The stack decoded from the pre-roll holds the whole track the record reports.
    let original = out.join(d.composite_original.as_ref().unwrap());
    common::check_track_in_composite(&original, d.start_xy, d.end_xy);
}

fn check_no_password(w: &Worker, url: &str) {
    let encoded: String = url
        .split('@')
        .next()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let stats = w.stats();
    assert!(
        stats["url"]
            .as_str()
            .unwrap()
            .starts_with("rtsp://viewer:***@127.0.0.1:"),
        "{}",
        stats["url"]
    );
    let page = w.http().get(w.url("/")).send().unwrap().text().unwrap();
    assert!(
        page.contains("Roof &lt;east&gt; ☄"),
        "the display name is not escaped"
    );
    let metrics = w
        .http()
        .get(w.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    for (what, text) in [
        ("log", w.logs()),
        ("/stats", stats.to_string()),
        ("/settings", w.get("/settings").to_string()),
        ("/healthz", w.get("/healthz").to_string()),
        ("page", page),
        ("/metrics", metrics),
    ] {
        for secret in [PASSWORD, encoded.as_str(), "s3cr"] {
            assert!(!text.contains(secret), "{what} shows the password:\n{text}");
        }
    }
}
