//! The check that cannot run exits 3 (Nagios UNKNOWN) and says why: unknown or malformed
//! options (clap's own errors included), nothing to check, a missing output directory.

mod support;

use support::{check, check_json};

#[test]
fn bad_arguments_exit_3_naming_the_option() {
    let missing = tempfile::tempdir().unwrap().path().join("nowhere");
    let missing = missing.to_str().unwrap();
    for (args, says) in [
        (&["--frobnicate"][..], "--frobnicate"),
        (&["--output"], "--output"),
        (&["--json", "--quiet", "--output", "/tmp"], "--quiet"),
        (&[], "nothing to check"),
        (&["--output", missing], "nowhere"),
        (&["--output", "/etc/hostname"], "not a directory"),
        (&["--output", "/tmp", "--max-rss", "12Q"], "--max-rss"),
        (&["--output", "/tmp", "--max-rss", "lots"], "--max-rss"),
        (&["--output", "/tmp", "--disk-warn", "98"], "--disk-warn"),
        (&["--output", "/tmp", "--disk-crit", "0"], "--disk-crit"),
        (
            &["--output", "/tmp", "--max-frame-age", "-5"],
            "--max-frame-age",
        ),
        (&["--worker", "cam1"], "NAME=http://host:port"),
        (&["--worker", "cam1=ftp://h:1"], "not http"),
        (&["--dashboard", "localhost:8080"], "--dashboard"),
    ] {
        let out = check(args);
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains(says), "{args:?} should name {says:?}: {said}");
    }
}

#[test]
fn unknown_in_json_too() {
    let (code, v) = check_json(&["--output", "/nonexistent/meteor-check-test"]);
    assert_eq!(code, 3);
    assert_eq!(v["status"], "unknown");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/meteor-check-test"),
        "{v:#}"
    );
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["--version"]] {
        let out = check(args);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("meteor-check"), "{out:?}");
    }
}
