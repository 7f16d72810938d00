//! Unit tests of the scorer on hand-made truth and detections.

use super::*;

fn ev(
    id: u32,
    kind: &str,
    t: (f64, f64),
    xy: Option<([f64; 2], [f64; 2])>,
    snr: Option<f64>,
) -> TruthEvent {
    TruthEvent {
        id,
        kind: kind.into(),
        start_s: t.0,
        end_s: t.1,
        start_xy: xy.map(|p| p.0),
        end_xy: xy.map(|p| p.1),
        peak_snr: snr,
    }
}

fn truth(events: Vec<TruthEvent>) -> Truth {
    Truth {
        source: "clip.mp4".into(),
        width: 1280,
        height: 720,
        fps: 30.0,
        duration_s: 60.0,
        frames: 1800,
        noise_sigma: Some(2.5),
        foreground_ratio: Some(0.08),
        notes: String::new(),
        events,
    }
}

fn det(id: &str, t: (f64, f64), a: [f64; 2], b: [f64; 2]) -> Observed {
    Observed {
        id: id.into(),
        start_s: t.0,
        end_s: t.1,
        start_xy: a,
        end_xy: b,
    }
}

#[test]
fn tolerance_is_three_percent_of_the_diagonal() {
    assert!((tolerance_px(1280, 720) - 44.06).abs() < 0.01);
    assert_eq!(tolerance_px(100, 100), 12.0);
}

#[test]
fn matches_a_partial_detection_on_the_path() {
    let t = truth(vec![ev(
        1,
        "meteor",
        (2.0, 2.5),
        Some(([200.0, 200.0], [600.0, 400.0])),
        Some(10.0),
    )]);
    // covers only the middle of the path, a little off it, a bit late
    let d = det("a", (2.2, 2.9), [300.0, 260.0], [500.0, 340.0]);
    let c = score_clip(&t, &[d]);
    assert_eq!(c.meteors[0].detection.as_deref(), Some("a"));
    assert!(c.false_positives.is_empty());
}

#[test]
fn rejects_wrong_place_or_time() {
    let t = truth(vec![ev(
        1,
        "meteor",
        (2.0, 2.5),
        Some(([200.0, 200.0], [600.0, 400.0])),
        Some(10.0),
    )]);
    let far = det("far", (2.0, 2.5), [200.0, 300.0], [600.0, 500.0]);
    let late = det("late", (3.1, 3.4), [200.0, 200.0], [600.0, 400.0]);
    let one_end_off = det("end", (2.0, 2.5), [200.0, 200.0], [900.0, 400.0]);
    let c = score_clip(&t, &[far, late, one_end_off]);
    assert!(c.meteors[0].detection.is_none());
    assert_eq!(c.false_positives.len(), 3);
    assert!(c.false_positives.iter().all(|f| f.cause == "noise"));
}

#[test]
fn second_detection_of_a_meteor_is_a_duplicate() {
    let t = truth(vec![ev(
        1,
        "meteor",
        (2.0, 2.5),
        Some(([200.0, 200.0], [600.0, 400.0])),
        Some(10.0),
    )]);
    let first = det("half1", (2.0, 2.2), [200.0, 200.0], [400.0, 300.0]);
    let best = det("full", (2.0, 2.5), [201.0, 200.0], [599.0, 400.0]);
    let c = score_clip(&t, &[first, best]);
    assert_eq!(
        c.meteors[0].detection.as_deref(),
        Some("full"),
        "the closest detection wins"
    );
    assert_eq!(c.false_positives.len(), 1);
    assert_eq!(c.false_positives[0].cause, "duplicate");
    let r = score(&[(t, vec![])]);
    assert_eq!(r.duplicates, 0);
}

#[test]
fn matching_maximises_the_number_of_meteors_found() {
    // d1 is the closest detection of m1 but the only one of m2: m1 must settle for d2.
    let m1 = ev(
        1,
        "meteor",
        (1.0, 1.5),
        Some(([100.0, 100.0], [500.0, 100.0])),
        Some(6.0),
    );
    let m2 = ev(
        2,
        "meteor",
        (1.0, 1.5),
        Some(([100.0, 160.0], [500.0, 160.0])),
        Some(6.0),
    );
    let d1 = det("d1", (1.0, 1.5), [100.0, 120.0], [500.0, 120.0]);
    let d2 = det("d2", (1.0, 1.5), [100.0, 60.0], [500.0, 60.0]);
    let c = score_clip(&truth(vec![m1, m2]), &[d1, d2]);
    assert_eq!(c.meteors[0].detection.as_deref(), Some("d2"));
    assert_eq!(c.meteors[1].detection.as_deref(), Some("d1"));
    assert!(c.false_positives.is_empty());
}

#[test]
fn false_positives_are_attributed_to_distractors() {
    let t = truth(vec![
        ev(
            1,
            "osd_clock",
            (0.0, 60.0),
            Some(([15.0, 15.0], [243.0, 31.0])),
            None,
        ),
        ev(
            2,
            "plane",
            (10.0, 40.0),
            Some(([100.0, 100.0], [700.0, 160.0])),
            Some(40.0),
        ),
        ev(3, "flash", (20.0, 20.5), None, Some(20.0)),
        ev(
            4,
            "headlights",
            (30.0, 35.0),
            Some(([100.0, 700.0], [500.0, 700.0])),
            Some(80.0),
        ),
        ev(
            5,
            "insect",
            (50.0, 51.0),
            Some(([600.0, 300.0], [900.0, 350.0])),
            Some(30.0),
        ),
    ]);
    let dets = vec![
        det("clock", (5.0, 5.1), [120.0, 20.0], [130.0, 25.0]),
        det("plane", (12.0, 13.0), [400.0, 135.0], [410.0, 136.0]),
        det("flash", (20.1, 20.2), [800.0, 100.0], [900.0, 200.0]),
        det("car", (31.0, 32.0), [900.0, 690.0], [1000.0, 690.0]),
        det("insect", (50.2, 50.4), [700.0, 330.0], [800.0, 330.0]),
        det("nothing", (45.0, 45.2), [700.0, 300.0], [800.0, 330.0]),
    ];
    let c = score_clip(&t, &dets);
    let causes: Vec<&str> = c.false_positives.iter().map(|f| f.cause.as_str()).collect();
    assert_eq!(
        causes,
        [
            "osd_clock",
            "plane",
            "flash",
            "headlights",
            "insect",
            "noise"
        ]
    );
    assert_eq!(c.false_positives[1].truth_id, Some(2));
}

#[test]
fn report_buckets_precision_and_rates() {
    let t1 = truth(vec![
        ev(
            1,
            "meteor",
            (1.0, 1.5),
            Some(([100.0, 100.0], [500.0, 100.0])),
            Some(3.0),
        ),
        ev(
            2,
            "meteor",
            (5.0, 5.5),
            Some(([100.0, 300.0], [500.0, 300.0])),
            Some(6.0),
        ),
        ev(
            3,
            "meteor",
            (9.0, 9.5),
            Some(([100.0, 300.0], [500.0, 300.0])),
            Some(20.0),
        ),
        ev(
            4,
            "meteor",
            (12.0, 12.5),
            Some(([100.0, 300.0], [500.0, 300.0])),
            None,
        ),
        ev(5, "cloud", (0.0, 60.0), None, Some(2.0)),
    ]);
    let d1 = vec![
        det("m2", (5.0, 5.5), [100.0, 300.0], [500.0, 300.0]),
        det("m3", (9.0, 9.5), [100.0, 300.0], [500.0, 300.0]),
        det("m3b", (9.1, 9.4), [150.0, 300.0], [450.0, 300.0]),
        det("fp", (30.0, 30.5), [100.0, 500.0], [300.0, 500.0]),
    ];
    let t2 = truth(vec![]);
    let r = score(&[(t1, d1), (t2, vec![])]).with_elapsed(30.0);
    assert_eq!((r.meteors, r.found), (4, 2));
    assert_eq!(r.recall, Some(0.5));
    let b: Vec<(usize, usize)> = r
        .recall_by_snr
        .iter()
        .map(|b| (b.found, b.meteors))
        .collect();
    assert_eq!(b, [(0, 1), (1, 1), (1, 1), (0, 1)]);
    assert_eq!(
        (
            r.detections,
            r.true_positives,
            r.false_positives,
            r.duplicates
        ),
        (4, 2, 2, 1)
    );
    assert_eq!(r.precision, Some(0.5));
    assert_eq!(r.false_positives_by_type.get("cloud"), Some(&1));
    assert!((r.false_positives_per_hour.unwrap() - 60.0).abs() < 1e-9);
    assert_eq!(r.realtime_factor, Some(4.0));
    let table = r.to_table();
    assert!(table.contains("2/4"), "{table}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["recall_by_snr"][0]["name"], "<4");
}

#[test]
fn detection_files_missing_empty_and_broken() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load_detections(&dir.path().join("none.jsonl"))
        .unwrap()
        .is_empty());
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    assert!(load_detections(&empty).unwrap().is_empty());
    let good = r#"{"id":"x","start_offset_s":1.0,"end_offset_s":1.2,"start_xy":[1,2],"end_xy":[3,4],"extra":true}"#;
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{good}\n\n{{\"id\": 3}}\n")).unwrap();
    let err = load_detections(&bad).unwrap_err().to_string();
    assert!(err.contains("bad.jsonl:3:"), "{err}");
    let ok = dir.path().join("ok.jsonl");
    std::fs::write(&ok, format!("{good}\n")).unwrap();
    assert_eq!(load_detections(&ok).unwrap()[0].end_xy, [3.0, 4.0]);
}
