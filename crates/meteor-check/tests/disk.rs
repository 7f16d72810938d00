//! The output volume on a real small filesystem: a 4 MiB tmpfs filled past 90% (WARN) and
//! 97% (CRIT), and remounted read-only (the writability check is CRIT; chmod would not stop
//! root). The guard unmounts it whatever happens.

mod support;

use support::{add_event, check_json, component, Tmpfs};

#[test]
fn filling_the_volume_warns_then_is_critical() {
    let fs = Tmpfs::mount("4m");
    add_event(&fs.path.join("cam1"), "20260812_221701_aaaaaaaa");
    let root = fs.path.to_str().unwrap();
    let disk = format!("disk {root}");

    let (code, v) = check_json(&["--output", root]);
    assert_eq!(code, 0, "{v:#}");
    let d = component(&v, &disk);
    assert_eq!(d["status"], "ok");
    assert!(d["data"]["used_percent"].as_f64().unwrap() < 10.0, "{d:#}");
    assert_eq!(d["data"]["total_bytes"], 4 << 20);

    fs.fill_to(91.0, "filler1");
    let (code, v) = check_json(&["--output", root]);
    assert_eq!(code, 1, "{v:#}");
    let d = component(&v, &disk);
    assert_eq!(d["status"], "warn", "{d:#}");
    let used = d["data"]["used_percent"].as_f64().unwrap();
    assert!((90.0..97.0).contains(&used), "{d:#}");
    assert!(
        d["detail"].as_str().unwrap().contains("warning at 90%"),
        "{d:#}"
    );
    // Everything else is still fine: the warning is the disk's alone.
    assert_eq!(
        v["summary"].as_str().unwrap(),
        format!("0 critical, 1 warning, 2 ok: {disk}")
    );

    // Configurable: at 95% it is no warning.
    let (code, v) = check_json(&["--output", root, "--disk-warn", "95", "--disk-crit", "99"]);
    assert_eq!(code, 0, "{v:#}");

    fs.fill_to(97.5, "filler2");
    let (code, v) = check_json(&["--output", root]);
    assert_eq!(code, 2, "{v:#}");
    let d = component(&v, &disk);
    assert_eq!(d["status"], "crit", "{d:#}");
    assert!(d["data"]["used_percent"].as_f64().unwrap() >= 97.0, "{d:#}");
    assert!(
        d["detail"].as_str().unwrap().contains("critical at 97%"),
        "{d:#}"
    );
    assert_eq!(component(&v, &format!("writable {root}"))["status"], "ok");
}

#[test]
fn a_read_only_volume_is_critical() {
    let fs = Tmpfs::mount("4m");
    add_event(&fs.path.join("cam1"), "20260812_221701_aaaaaaaa");
    let root = fs.path.to_str().unwrap();
    let (code, v) = check_json(&["--output", root]);
    assert_eq!(code, 0, "{v:#}");

    fs.remount_ro();
    let (code, v) = check_json(&["--output", root]);
    assert_eq!(code, 2, "{v:#}");
    let w = component(&v, &format!("writable {root}"));
    assert_eq!(w["status"], "crit", "{w:#}");
    let detail = w["detail"].as_str().unwrap();
    assert!(detail.contains("Read-only file system"), "{detail}");
    assert!(
        detail.contains(&fs.path.join("cam1").display().to_string()),
        "{detail}"
    );
    assert_eq!(w["data"]["failed"].as_array().unwrap().len(), 2, "{w:#}");
    // The store itself is still readable and intact.
    assert_eq!(component(&v, "store cam1")["status"], "ok");
}
