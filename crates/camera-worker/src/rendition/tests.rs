use super::*;

#[test]
fn renditions_are_at_most_1280_wide_and_even() {
    assert_eq!(rendition_size(1920, 1080), (1280, 720));
    assert_eq!(rendition_size(2560, 1440), (1280, 720));
    assert_eq!(rendition_size(640, 360), (640, 360));
    assert_eq!(rendition_size(641, 361), (640, 360));
    assert_eq!(rendition_size(2592, 1944), (1280, 960));
}

/// A stand-in for `camera-worker rendition` that takes `secs` and makes no file.
fn slow_child(dir: &Path, secs: f64) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let exe = dir.join("fake-worker");
    std::fs::write(
        &exe,
        format!("#!/bin/sh\nsleep {secs}\necho '{{\"cpu_s\": 0.25}}'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    exe
}

fn h265(id: &str) -> Detection {
    let mut d = crate::catalog::tests::record(id, 1);
    d.clip_codec = Some("H.265".into());
    d
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "{what}: not within 20 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_shower_fills_the_queue_and_the_rest_is_dropped_not_waited_for() {
    let (dir, store) = crate::catalog::tests::store_with(&[]);
    let catalog = Arc::new(Mutex::new(Catalog::open(&store)));
    let r = Renditions::spawn("cam", dir.path(), slow_child(dir.path(), 0.3), catalog);
    let t = Instant::now();
    for i in 0..10 {
        r.submit(&h265(&format!("20261123_020100_{i:08x}")));
    }
    // Submitting never waits for a transcode.
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
    let dropped = r.stats.dropped.load(Relaxed);
    assert!(
        (10 - QUEUE as u64 - 1..=10 - QUEUE as u64).contains(&dropped),
        "{dropped} dropped"
    );
    wait_until("the queue drains", || {
        r.stats.made.load(Relaxed) + dropped == 10 && r.stats.queued.load(Relaxed) == 0
    });
    // One at a time: each run took its 0.3 s after the one before.
    assert!(t.elapsed() >= Duration::from_secs_f64(0.3 * (10 - dropped) as f64));
    assert_eq!(r.stats.cpu_ms.load(Relaxed), 250 * (10 - dropped));
    // An H.264 clip needs no rendition.
    let mut plain = h265("20261123_020200_00000000");
    plain.clip_codec = Some("H.264".into());
    r.submit(&plain);
    assert_eq!(r.stats.queued.load(Relaxed), 0);
}
