//! The two real meteor recordings in ../shared/data/real, through the real binary: each
//! meteor found, nothing else reported, every output complete and playable.

mod common;
use common::*;

fn run_one(
    name: &str,
) -> (
    meteor_core::Truth,
    Vec<meteor_core::Detection>,
    tempfile::TempDir,
) {
    let real = real_dir();
    let out = tempfile::tempdir().unwrap();
    let input = real.join(name);
    let o = worker(&[
        "detect",
        input.to_str().unwrap(),
        "--output",
        out.path().to_str().unwrap(),
        "--start-time",
        "2021-03-07T02:17:00Z",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stem = name.rsplit_once('.').unwrap().0;
    let truth = truth(&real.join(format!("{stem}.truth.json")));
    let dets = read_jsonl(&out.path().join(stem).join("detections.jsonl"));
    (truth, dets, out)
}

fn check(name: &str) {
    let (truth, dets, out) = run_one(name);
    let diag = (truth.width as f64).hypot(truth.height as f64);
    let meteors: Vec<_> = truth.events.iter().filter(|e| e.is_meteor()).collect();
    assert_eq!(
        dets.len(),
        meteors.len(),
        "{name}: expected only the meteor, got {dets:#?}"
    );
    for m in meteors {
        assert!(
            dets.iter().any(|d| matches(d, m, diag)),
            "{name}: meteor {m:?} not matched by {dets:#?}"
        );
    }
    let stem = name.rsplit_once('.').unwrap().0;
    let dir = out.path().join(stem);
    for d in &dets {
        assert!(
            d.start_time.to_rfc3339().starts_with("2021-03-07T02:17:0"),
            "{}",
            d.start_time
        );
        for f in [&d.clip, &d.composite, &d.composite_original] {
            let f = f.as_ref().expect("clip and composites written");
            let meta = std::fs::metadata(dir.join(f)).unwrap();
            assert!(meta.len() > 1000, "{f} is {} bytes", meta.len());
        }
        let clip = probe(&dir.join(d.clip.as_ref().unwrap()));
        assert!(
            (clip.fps - truth.fps).abs() < 0.05,
            "clip at {} fps, source {}",
            clip.fps,
            truth.fps
        );
        // At least 1 s before and after the meteor.
        let clip_start = d.clip_start_offset_s.unwrap();
        assert!(
            clip_start <= d.start_offset_s - 1.0 + 1e-3 || clip_start <= 0.0,
            "clip starts {clip_start}"
        );
        let clip_end = clip_start + clip.duration_s;
        let file_end = truth.duration_s - 1.0 / truth.fps;
        assert!(
            clip_end + 1e-3 >= (d.end_offset_s + 1.0).min(file_end) - 0.05,
            "clip ends {clip_end}, event {}",
            d.end_offset_s
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn gmn_slow_meteor_is_found_and_nothing_else() {
    check("gmn_cz0003_20210307.mp4");
}

#[test]
fn freeture_meteor_is_found_despite_flickering_clouds() {
    check("freeture_meteor1.avi");
}
