use super::*;
use std::fs::OpenOptions;
use std::io::Write;

pub(crate) fn record(id: &str, minute: u32) -> Detection {
    let t: DateTime<Utc> = format!("2026-11-23T02:{minute:02}:00Z").parse().unwrap();
    Detection {
        id: id.into(),
        camera: "cam".into(),
        start_time: t,
        end_time: t + chrono::Duration::milliseconds(500),
        start_offset_s: 0.0,
        end_offset_s: 0.5,
        duration_s: 0.5,
        start_xy: [1.0, 2.0],
        end_xy: [30.0, 40.0],
        length_px: 50.0,
        speed_px_s: 100.0,
        peak_brightness: 80.0,
        peak_snr: 20.0,
        confidence: 0.9,
        sensitivity: "medium".into(),
        frames: 15,
        width: 1280,
        height: 720,
        clip: Some(format!("meteor_{id}.mp4")),
        clip_method: Some("remux".into()),
        clip_start_offset_s: Some(0.0),
        clip_codec: None,
        clip_browser: None,
        composite: Some(format!("meteor_{id}_composite.jpg")),
        composite_original: None,
        files_error: None,
        track: vec![],
    }
}

pub(crate) fn store_with(ids: &[(&str, u32)]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for (id, m) in ids {
        let d = record(id, *m);
        store.append(&d).unwrap();
        std::fs::write(dir.path().join(d.clip.unwrap()), b"mp4").unwrap();
        std::fs::write(dir.path().join(d.composite.unwrap()), b"jpg").unwrap();
    }
    (dir, store)
}

#[test]
fn lists_newest_first_with_filters_and_paging() {
    let (_dir, store) = store_with(&[("a", 1), ("b", 5), ("c", 3)]);
    let cat = Catalog::open(&store);
    let all = Query {
        limit: 10,
        ..Query::default()
    };
    let ids = |v: Vec<Labelled>| v.into_iter().map(|l| l.detection.id).collect::<Vec<_>>();
    assert_eq!(ids(cat.list(&all).1), ["b", "c", "a"]);
    let q = Query {
        since: Some("2026-11-23T02:02:00Z".parse().unwrap()),
        limit: 1,
        offset: 1,
        ..Query::default()
    };
    let (total, page) = cat.list(&q);
    assert_eq!((total, ids(page)), (2, vec!["c".to_string()]));
    assert_eq!(cat.newest().unwrap().detection.id, "b");
}

#[test]
fn labels_and_deletions_survive_a_restart() {
    let (dir, store) = store_with(&[("a", 1), ("b", 2)]);
    let mut cat = Catalog::open(&store);
    cat.set_label("a", Some(Label::Meteor)).unwrap();
    cat.set_label("b", Some(Label::NotMeteor)).unwrap();
    cat.set_label("b", None).unwrap();
    cat.delete("b").unwrap();
    assert!(!dir.path().join("meteor_b.mp4").exists());
    assert!(!dir.path().join("meteor_b_composite.jpg").exists());
    assert!(dir.path().join("meteor_a.mp4").exists());

    let mut again = Catalog::open(&store);
    assert_eq!(again.get("a").unwrap().label, Some(Label::Meteor));
    assert!(again.get("b").is_none(), "a deleted detection came back");
    assert_eq!(again.total(), 1);
    // The writer re-adding the same id (a replayed record) does not resurrect it either.
    again.add(&record("b", 2));
    assert!(again.get("b").is_none());
    assert!(matches!(again.delete("b"), Err(CatalogError::NotFound(_))));
    assert!(matches!(
        again.set_label("zzz", Some(Label::Meteor)),
        Err(CatalogError::NotFound(_))
    ));
}

#[test]
fn a_corrupt_line_is_skipped_not_fatal() {
    let (dir, store) = store_with(&[("a", 1)]);
    let mut f = OpenOptions::new()
        .append(true)
        .open(dir.path().join(crate::store::JSONL))
        .unwrap();
    f.write_all(b"{not json}\n").unwrap();
    drop(f);
    store.append(&record("b", 2)).unwrap();
    let cat = Catalog::open(&store);
    assert_eq!(cat.total(), 2);
}

#[test]
fn a_record_is_read_back_from_its_line() {
    let (_dir, store) = store_with(&[("a", 1), ("b", 2)]);
    let mut cat = Catalog::open(&store);
    let mut c = record("c", 3);
    c.track = vec![[0.1, 10.0, 20.0], [0.2, 12.5, 21.0]];
    store.append(&c).unwrap();
    cat.add(&c);
    assert_eq!(cat.get("c").unwrap().detection, c);
    assert_eq!(cat.get("a").unwrap().detection, record("a", 1));
    let ids: Vec<String> = cat
        .list(&Query {
            limit: 10,
            ..Query::default()
        })
        .1
        .into_iter()
        .map(|l| l.detection.id)
        .collect();
    assert_eq!(ids, ["c", "b", "a"]);
    assert_eq!(Catalog::open(&store).get("c").unwrap().detection, c);
}

#[test]
fn a_record_added_without_its_line_last_is_found_by_reading_the_file_again() {
    let (_dir, store) = store_with(&[("a", 1)]);
    let mut cat = Catalog::open(&store);
    // Two records appended before the catalog hears of the first.
    store.append(&record("b", 2)).unwrap();
    store.append(&record("c", 3)).unwrap();
    cat.add(&record("b", 2));
    assert_eq!(cat.get("b").unwrap().detection.id, "b");
    assert_eq!(cat.get("c").unwrap().detection.id, "c");
    cat.add(&record("c", 3));
    assert_eq!(cat.total(), 3);
}

#[test]
fn a_file_cut_behind_the_catalog_never_gives_another_record() {
    let (dir, store) = store_with(&[("a", 1), ("b", 2)]);
    let cat = Catalog::open(&store);
    // Rewritten by hand: `b` alone, where `a` was.
    let path = dir.path().join(crate::store::JSONL);
    let b_line = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    std::fs::write(&path, format!("{b_line}\n")).unwrap();
    assert!(cat.get("a").is_none());
    assert!(cat.get("b").is_none());
    assert_eq!(Catalog::open(&store).get("b").unwrap().detection.id, "b");
}

#[test]
fn label_names_parse() {
    assert_eq!("meteor".parse::<Label>(), Ok(Label::Meteor));
    assert_eq!("not_meteor".parse::<Label>(), Ok(Label::NotMeteor));
    assert!("maybe".parse::<Label>().unwrap_err().contains("maybe"));
}

#[test]
fn a_browser_rendition_note_keeps_the_label_survives_a_restart_and_goes_with_the_files() {
    let (dir, store) = store_with(&[("a", 1), ("b", 2)]);
    let mut cat = Catalog::open(&store);
    cat.set_label("a", Some(Label::Meteor)).unwrap();
    std::fs::write(dir.path().join("meteor_a_browser.mp4"), b"mp4").unwrap();
    assert!(cat.set_browser_clip("a", "meteor_a_browser.mp4").unwrap());
    assert!(!cat.set_browser_clip("zz", "meteor_zz_browser.mp4").unwrap());
    let a = Catalog::open(&store).get("a").unwrap();
    assert_eq!(a.label, Some(Label::Meteor));
    assert_eq!(
        a.detection.clip_browser.as_deref(),
        Some("meteor_a_browser.mp4")
    );
    assert_eq!(cat.get("b").unwrap().detection.clip_browser, None);
    // Pruning removes it with the clip, and the record no longer names it.
    cat.prune("a").unwrap();
    assert!(!dir.path().join("meteor_a_browser.mp4").exists());
    assert_eq!(cat.get("a").unwrap().detection.clip_browser, None);
    assert!(!cat.set_browser_clip("a", "meteor_a_browser.mp4").unwrap());
}
