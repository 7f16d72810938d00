//! The detection-store check on real directories: a healthy store (deleted and pruned events
//! whose files are gone are fine), a corrupted JSONL line (CRIT, named file:line), a missing
//! or empty referenced file (CRIT), orphan files and a crash's `.partial` (WARN), and the
//! three output modes.

mod support;

use serde_json::json;
use std::path::Path;
use support::{add_event, annotate, append_line, check, check_json, component, event_files};

/// Two cameras: `east` with three events (one labelled, one deleted, one pruned by
/// retention, the last two without their files), `west` with one; a mask and settings file.
fn healthy(root: &Path) {
    let east = root.join("east");
    for id in [
        "20260812_221701_aaaaaaaa",
        "20260812_221702_bbbbbbbb",
        "20260812_221703_cccccccc",
    ] {
        add_event(&east, id);
    }
    annotate(
        &east,
        "20260812_221701_aaaaaaaa",
        json!({"label": "meteor"}),
    );
    annotate(&east, "20260812_221702_bbbbbbbb", json!({"deleted": true}));
    annotate(&east, "20260812_221703_cccccccc", json!({"pruned": true}));
    for id in ["20260812_221702_bbbbbbbb", "20260812_221703_cccccccc"] {
        for f in event_files(id) {
            std::fs::remove_file(east.join(f)).unwrap();
        }
    }
    std::fs::write(east.join("settings.json"), "{}").unwrap();
    std::fs::write(east.join("mask.png"), b"png").unwrap();
    add_event(&root.join("west"), "20260812_230000_dddddddd");
}

#[test]
fn healthy_store_is_ok_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    healthy(dir.path());
    let root = dir.path().to_str().unwrap();

    let (code, v) = check_json(&["--output", root]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["status"], "ok");
    let east = component(&v, "store east");
    assert_eq!(east["status"], "ok", "{east:#}");
    assert_eq!(east["kind"], "store");
    assert_eq!(east["data"]["records"], 3);
    assert_eq!(east["data"]["live_records"], 1);
    assert_eq!(east["data"]["deleted"], 1);
    assert_eq!(east["data"]["pruned"], 1);
    assert_eq!(east["data"]["files"], 3);
    assert_eq!(east["data"]["orphans"], 0);
    assert_eq!(component(&v, "store west")["data"]["live_records"], 1);
    assert_eq!(component(&v, &format!("disk {root}"))["kind"], "disk");
    let w = component(&v, &format!("writable {root}"));
    assert_eq!(w["status"], "ok", "{w:#}");
    assert_eq!(w["data"]["checked"].as_array().unwrap().len(), 3);
    assert!(v["thresholds"]["disk_warn_percent"] == 90.0, "{v:#}");
    // The probe file is gone again.
    let left: Vec<_> = std::fs::read_dir(dir.path().join("east"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".meteor-check"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Human: a summary line, then one line per component.
    let out = check(&["--output", root]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "{}", out.stdout);
    assert!(
        lines[0].starts_with("OK meteor-check: 0 critical, 0 warning, 4 ok"),
        "{}",
        lines[0]
    );
    for name in [
        "store east",
        "store west",
        &format!("disk {root}"),
        &format!("writable {root}"),
    ] {
        let n = lines
            .iter()
            .filter(|l| l.starts_with(&format!("OK   {name}: ")))
            .count();
        assert_eq!(n, 1, "{name}:\n{}", out.stdout);
    }

    let quiet = check(&["--quiet", "--output", root]);
    assert_eq!((quiet.code, quiet.stdout.as_str()), (0, ""), "{quiet:?}");

    let verbose = check(&["--verbose", "--output", root]);
    assert_eq!(verbose.code, 0);
    assert!(
        verbose.stdout.lines().count() > lines.len(),
        "{}",
        verbose.stdout
    );
    assert!(
        verbose.stdout.contains("live_records: 1"),
        "{}",
        verbose.stdout
    );
    assert!(
        verbose.stdout.contains("used_percent: "),
        "{}",
        verbose.stdout
    );
}

#[test]
fn corrupted_lines_are_critical_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    healthy(dir.path());
    let east = dir.path().join("east");
    append_line(&east.join("detections.jsonl"), "{\"id\": \"20260812_2217");
    append_line(
        &east.join("annotations.jsonl"),
        r#"{"id":"x","at":"yesterday"}"#,
    );
    let (code, v) = check_json(&["--output", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(v["status"], "crit");
    let c = component(&v, "store east");
    assert_eq!(c["status"], "crit");
    let jsonl = format!("{}:4", east.join("detections.jsonl").display());
    let ann = format!("{}:4", east.join("annotations.jsonl").display());
    let detail = c["detail"].as_str().unwrap();
    assert!(detail.contains(&jsonl) && detail.contains(&ann), "{detail}");
    let problems = c["data"]["problem_list"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "bad_line" && p["line"] == 4),
        "{c:#}"
    );
    assert_eq!(component(&v, "store west")["status"], "ok");
    assert!(
        v["summary"].as_str().unwrap().contains("store east"),
        "{v:#}"
    );

    // --quiet prints only that.
    let out = check(&["--quiet", "--output", dir.path().to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stdout.starts_with("CRIT store east: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&jsonl), "{}", out.stdout);
}

#[test]
fn missing_and_empty_referenced_files_are_critical() {
    let dir = tempfile::tempdir().unwrap();
    healthy(dir.path());
    let west = dir.path().join("west");
    let [clip, composite, _] = event_files("20260812_230000_dddddddd");
    std::fs::remove_file(west.join(&clip)).unwrap();
    std::fs::write(west.join(&composite), b"").unwrap();
    let (code, v) = check_json(&["--output", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{v:#}");
    let c = component(&v, "store west");
    assert_eq!(c["status"], "crit");
    let kinds: Vec<&str> = c["data"]["problem_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["missing_file", "empty_file"], "{c:#}");
    let detail = c["detail"].as_str().unwrap();
    assert!(
        detail.contains(&clip) && detail.contains("is missing"),
        "{detail}"
    );
    assert!(
        detail.contains(&composite) && detail.contains("is empty"),
        "{detail}"
    );
    assert_eq!(component(&v, "store east")["status"], "ok");
}

#[test]
fn orphans_and_a_partial_record_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    healthy(dir.path());
    let east = dir.path().join("east");
    // A file no record names yet, just written: an event whose record comes next.
    let lost = east.join("meteor_20260101_000000_deadbeef.mp4");
    std::fs::write(&lost, b"lost").unwrap();
    let (code, v) = check_json(&["--output", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{v:#}");
    let c = component(&v, "store east");
    assert_eq!(c["status"], "ok", "{c:#}");
    assert_eq!(c["data"]["orphans"], 0);
    assert_eq!(c["data"]["unrecorded_recent_files"], 1);
    // Still without a record after the grace: an orphan.
    let old = std::time::SystemTime::now() - meteor_check::store::ORPHAN_GRACE;
    std::fs::File::options()
        .write(true)
        .open(&lost)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let (code, v) = check_json(&["--output", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["status"], "warn");
    let c = component(&v, "store east");
    assert_eq!(c["status"], "warn");
    assert_eq!(c["data"]["orphans"], 1);
    assert_eq!(
        c["data"]["orphan_files"][0],
        "meteor_20260101_000000_deadbeef.mp4"
    );
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("meteor_20260101_000000_deadbeef.mp4"),
        "{c:#}"
    );

    let west = dir.path().join("west");
    std::fs::write(west.join("detections.jsonl.partial"), b"{\"id\":\"2026").unwrap();
    let (code, v) = check_json(&["--output", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    let c = component(&v, "store west");
    assert_eq!(c["status"], "warn");
    assert_eq!(c["data"]["partial_bytes"], 11);
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("detections.jsonl.partial"),
        "{c:#}"
    );
}

#[test]
fn a_workers_own_output_dir_is_one_store() {
    let dir = tempfile::tempdir().unwrap();
    healthy(dir.path());
    let west = dir.path().join("west");
    let (code, v) = check_json(&["--output", west.to_str().unwrap()]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(component(&v, "store west")["data"]["live_records"], 1);
    assert_eq!(
        component(&v, &format!("writable {}", west.display()))["data"]["checked"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_last_line_without_its_newline_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    healthy(dir.path());
    let jsonl = dir.path().join("west").join("detections.jsonl");
    let mut text = std::fs::read_to_string(&jsonl).unwrap();
    text.push_str("{\"id\": \"20260812_2301");
    std::fs::write(&jsonl, text).unwrap();
    let (code, v) = check_json(&["--output", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    let c = component(&v, "store west");
    assert_eq!(
        c["data"]["problem_list"][0]["kind"], "incomplete_line",
        "{c:#}"
    );
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{}:2: incomplete", jsonl.display())),
        "{c:#}"
    );
}
