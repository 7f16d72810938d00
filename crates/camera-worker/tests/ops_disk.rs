//! The worker on a disk that fills up, for real: a small tmpfs as the output volume, a
//! simulated camera showing a meteor every 6-8 s. Below MIN_FREE_MB new events keep their
//! records but not their files; at 100% records wait in memory; when space returns both
//! resume by themselves, and the self-checks and /metrics say so all along. Retention keeps
//! the volume under MAX_DISK_PERCENT, oldest first, sparing events labelled meteor.

mod support;

use meteor_core::Detection;
use meteor_sim::serve::CameraConfig;
use std::time::Duration;
use support::{meteor_loop, metric, serve, Tmpfs, Worker};

fn records(dir: &std::path::Path) -> Vec<Detection> {
    std::fs::read_to_string(dir.join("detections.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line of detections.jsonl parses"))
        .collect()
}

#[test]
fn a_full_disk_skips_files_keeps_records_and_recovers() {
    let server = serve(vec![
        CameraConfig::new("/cam1", meteor_loop(61)).with_keyframe_interval(1.0)
    ]);
    let vol = Tmpfs::mount(48);
    let out = vol.path().join("cam1");
    let logs = tempfile::tempdir().unwrap();
    let w = Worker::start_logged(
        &server.url("/cam1"),
        &out,
        &logs.path().join("worker.log"),
        &[("MIN_FREE_MB", "16"), ("SELF_CHECK_INTERVAL", "1")],
    );
    let long = Duration::from_secs(40);
    w.wait_for("a first meteor with its files", long, |w| {
        w.detections().iter().any(|d| d.clip.is_some())
    });
    assert_eq!(w.health_of("disk"), "ok");

    // Nearly full: under MIN_FREE_MB, but room for records.
    vol.fill("filler-a", 8 << 20);
    let before = records(&out).len();
    w.wait_for("a meteor recorded without files", long, |w| {
        w.detections().iter().any(|d| {
            d.files_error
                .as_deref()
                .is_some_and(|e| e.contains("disk full"))
        })
    });
    let skipped = records(&out)
        .into_iter()
        .skip(before)
        .find(|d| d.files_error.is_some())
        .unwrap();
    assert!(
        skipped.clip.is_none() && skipped.composite.is_none(),
        "{skipped:?}"
    );
    let m = w.metrics_text();
    assert!(
        metric(&m, "meteor_event_files_skipped_total").unwrap() >= 1.0,
        "{m}"
    );
    w.wait_for("the disk check turns crit", Duration::from_secs(5), |w| {
        w.health_of("disk") == "crit"
    });
    let frames = w.stats()["frames"].as_u64().unwrap();

    // Completely full: the next record cannot be appended and waits in memory.
    vol.fill("filler-b", 0);
    w.wait_for("a record held in memory", long, |w| {
        metric(&w.metrics_text(), "meteor_records_pending").unwrap_or(0.0) >= 1.0
    });
    assert_eq!(w.health_of("writer"), "crit");
    let held = records(&out).len();
    assert!(
        w.stats()["frames"].as_u64().unwrap() > frames,
        "detection stopped while the disk was full"
    );

    // Space returns: the held record is written, new events get their files again.
    std::fs::remove_file(vol.path().join("filler-a")).unwrap();
    std::fs::remove_file(vol.path().join("filler-b")).unwrap();
    w.wait_for("the held record written", Duration::from_secs(20), |_| {
        records(&out).len() > held
    });
    let resumed_from = records(&out).len();
    w.wait_for("a meteor with files again", long, |_| {
        records(&out)
            .iter()
            .skip(resumed_from)
            .any(|d| d.clip.is_some() && d.composite.is_some())
    });
    w.wait_for("the checks recover", Duration::from_secs(10), |w| {
        w.health_of("disk") == "ok" && w.health_of("writer") != "crit"
    });
    assert_eq!(
        metric(&w.metrics_text(), "meteor_records_pending"),
        Some(0.0)
    );
    // Every file a record names is there and whole; no temporary file is left.
    for d in records(&out) {
        for f in [&d.clip, &d.composite, &d.composite_original]
            .into_iter()
            .flatten()
        {
            let len = std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
            assert!(len > 0, "{f} named by {} is missing or empty", d.id);
        }
    }
    let parts: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "temporary files left: {parts:?}");
    assert!(w.logs().contains("event files skipped"), "{}", w.logs());
}

#[test]
fn retention_keeps_the_volume_under_its_limit_oldest_first() {
    let server = serve(vec![CameraConfig::new("/cam1", support::empty_loop(62))]);
    let vol = Tmpfs::mount(32);
    let out = vol.path().join("cam1");
    std::fs::create_dir_all(&out).unwrap();
    // Ten old events of 2 MB each: 20 MB of 32, 62% used.
    let mut lines = String::new();
    for i in 0..10u32 {
        let id = format!("2026010{}_0000{i:02}_0000000{i}", i % 9 + 1);
        let d = serde_json::json!({
            "id": id, "camera": "cam1",
            "start_time": format!("2026-01-01T00:{i:02}:00.000Z"),
            "end_time": format!("2026-01-01T00:{i:02}:00.500Z"),
            "start_offset_s": 0.0, "end_offset_s": 0.5, "duration_s": 0.5,
            "start_xy": [1.0, 2.0], "end_xy": [30.0, 40.0], "length_px": 50.0,
            "speed_px_s": 100.0, "peak_brightness": 80.0, "peak_snr": 20.0,
            "confidence": 0.9, "sensitivity": "medium", "frames": 12,
            "width": 640, "height": 360,
            "clip": format!("meteor_{id}.mp4"),
            "composite": format!("meteor_{id}_composite.jpg"),
        });
        std::fs::write(out.join(format!("meteor_{id}.mp4")), vec![1u8; 2 << 20]).unwrap();
        std::fs::write(out.join(format!("meteor_{id}_composite.jpg")), b"jpg").unwrap();
        lines += &format!("{d}\n");
    }
    std::fs::write(out.join("detections.jsonl"), lines).unwrap();
    let ids: Vec<String> = records(&out).into_iter().map(|d| d.id).collect();
    // The oldest is a reviewed meteor: kept.
    std::fs::write(
        out.join("annotations.jsonl"),
        format!(
            "{{\"id\":\"{}\",\"at\":\"2026-01-02T00:00:00.000Z\",\"label\":\"meteor\"}}\n",
            ids[0]
        ),
    )
    .unwrap();

    let logs = tempfile::tempdir().unwrap();
    let w = Worker::start_logged(
        &server.url("/cam1"),
        &out,
        &logs.path().join("worker.log"),
        &[("MAX_DISK_PERCENT", "40"), ("SELF_CHECK_INTERVAL", "1")],
    );
    w.wait_for(
        "retention brings the volume under 40%",
        Duration::from_secs(15),
        |_| {
            let avail = support::available(vol.path()) as f64;
            avail / (32u64 << 20) as f64 >= 0.6
        },
    );
    let listed = w.get("/detections?limit=100");
    let listed = listed["detections"].as_array().unwrap();
    assert_eq!(
        listed.len(),
        10,
        "retention removed records, not only files"
    );
    let pruned: Vec<&str> = listed
        .iter()
        .filter(|d| d["pruned"] == true)
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(!pruned.is_empty());
    assert!(
        !pruned.contains(&ids[0].as_str()),
        "the labelled meteor lost its files"
    );
    assert!(out.join(format!("meteor_{}.mp4", ids[0])).exists());
    // Oldest first: the pruned ones are exactly the oldest unlabelled.
    let expected: Vec<&str> = ids[1..=pruned.len()].iter().map(String::as_str).collect();
    let mut got = pruned.clone();
    got.sort();
    assert_eq!(got, expected);
    for id in &expected {
        assert!(!out.join(format!("meteor_{id}.mp4")).exists());
    }
    let m = w.metrics_text();
    assert_eq!(
        metric(&m, "meteor_retention_pruned_total"),
        Some(pruned.len() as f64),
        "{m}"
    );
    assert!(w.logs().contains("retention removed old event files"));
}
