use super::*;
use crate::catalog::tests::{record, store_with};
use crate::catalog::{Label, Query};

fn all(cat: &Catalog) -> Vec<crate::catalog::Labelled> {
    cat.list(&Query {
        limit: 100,
        ..Query::default()
    })
    .1
}

fn at(minute: u32) -> DateTime<Utc> {
    record("x", minute).start_time
}

#[test]
fn the_age_limit_prunes_oldest_files_and_keeps_records_and_meteors() {
    let (dir, store) = store_with(&[("a", 1), ("b", 2), ("c", 3), ("d", 40)]);
    let mut cat = Catalog::open(&store);
    cat.set_label("a", Some(Label::Meteor)).unwrap();
    // "now" is 3 days after minute 30: a, b, c are older than 3 days, d is not.
    let now = at(30) + chrono::Duration::days(3);
    let policy = Policy {
        max_age_days: Some(3.0),
        max_disk_percent: None,
        keep_meteors: true,
    };
    let dry = apply(&mut cat, dir.path(), &policy, now, true).unwrap();
    assert_eq!((dry.pruned, dry.freed_bytes), (2, 12));
    assert!(
        dir.path().join("meteor_b.mp4").exists(),
        "a dry run removed a file"
    );

    let out = apply(&mut cat, dir.path(), &policy, now, false).unwrap();
    assert_eq!((out.pruned, out.freed_bytes), (2, 12));
    for id in ["b", "c"] {
        assert!(!dir.path().join(format!("meteor_{id}.mp4")).exists());
        assert!(!dir
            .path()
            .join(format!("meteor_{id}_composite.jpg"))
            .exists());
    }
    assert!(
        dir.path().join("meteor_a.mp4").exists(),
        "a labelled meteor lost its clip"
    );
    assert!(
        dir.path().join("meteor_d.mp4").exists(),
        "a young event lost its clip"
    );

    // Records stay, marked, also after a restart.
    let again = Catalog::open(&store);
    let listed = all(&again);
    assert_eq!(listed.len(), 4);
    let b = again.get("b").unwrap();
    assert!(b.pruned && b.detection.clip.is_none() && b.detection.composite.is_none());
    assert!(!again.get("a").unwrap().pruned);
    // A second pass finds nothing more to do.
    let mut again = again;
    assert_eq!(
        apply(&mut again, dir.path(), &policy, now, false)
            .unwrap()
            .pruned,
        0
    );

    // Without the meteor rule the labelled one goes too.
    let policy = Policy {
        keep_meteors: false,
        ..policy
    };
    assert_eq!(
        apply(&mut again, dir.path(), &policy, now, false)
            .unwrap()
            .pruned,
        1
    );
    assert!(!dir.path().join("meteor_a.mp4").exists());
}

#[test]
fn a_prune_by_another_process_reaches_a_running_catalog() {
    let (dir, store) = store_with(&[("a", 1), ("b", 2)]);
    let mut running = Catalog::open(&store);
    let mut other = Catalog::open(&store);
    other.prune("a").unwrap();
    assert!(!running.get("a").unwrap().pruned);
    running.refresh();
    assert!(running.get("a").unwrap().pruned);
    assert!(!running.get("b").unwrap().pruned);
    // The running worker's own annotations still apply after the refresh.
    running.set_label("b", Some(Label::NotMeteor)).unwrap();
    running.refresh();
    assert_eq!(running.get("b").unwrap().label, Some(Label::NotMeteor));
    assert!(!dir.path().join("meteor_a.mp4").exists());
}

#[test]
fn an_off_policy_does_nothing_and_bad_limits_are_named() {
    let (dir, store) = store_with(&[("a", 1)]);
    let mut cat = Catalog::open(&store);
    let out = apply(
        &mut cat,
        dir.path(),
        &Policy::default(),
        at(1) + chrono::Duration::days(999),
        false,
    )
    .unwrap();
    assert_eq!(out.pruned, 0);
    let bad_age = Policy {
        max_age_days: Some(0.0),
        ..Policy::default()
    };
    assert!(bad_age.validate().unwrap_err().starts_with("MAX_AGE_DAYS"));
    let bad_disk = Policy {
        max_disk_percent: Some(100.0),
        ..Policy::default()
    };
    assert!(bad_disk
        .validate()
        .unwrap_err()
        .starts_with("MAX_DISK_PERCENT"));
}
