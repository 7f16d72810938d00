//! scripts/install-systemd.sh driven for real into a staging root (DESTDIR) with stand-in
//! binaries: the files land where docs/bare-metal.md says, a second run keeps the
//! environment files an operator edited, `--prefix` moves the binaries and the units'
//! ExecStart, `--dry-run` changes nothing, and `systemd-analyze verify` (when this machine
//! has it) accepts the installed units.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A directory with executable stand-ins for the two binaries.
fn fake_binaries(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let from = dir.join("release");
    std::fs::create_dir_all(&from).unwrap();
    for b in ["camera-worker", "dashboard"] {
        let p = from.join(b);
        std::fs::write(&p, format!("#!/bin/sh\necho {b} \"$@\"\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    from
}

fn install(args: &[&str]) -> Output {
    let out = Command::new("bash")
        .arg(repo().join("scripts/install-systemd.sh"))
        .args(args)
        .env_remove("DESTDIR")
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "install-systemd.sh {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

const UNITS: [&str; 3] = [
    "camera-worker@.service",
    "meteor-dashboard.service",
    "meteor-watch.target",
];

#[test]
fn installs_where_documented_and_keeps_edited_env_files() {
    let tmp = tempfile::tempdir().unwrap();
    let from = fake_binaries(tmp.path());
    let root = tmp.path().join("root");
    let (from_s, root_s) = (from.to_str().unwrap(), root.to_str().unwrap());

    // --dry-run writes nothing.
    let out = install(&["--from", from_s, "--destdir", root_s, "--dry-run"]);
    assert!(!root.exists(), "--dry-run created {root:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("+ install -m 755"));

    install(&["--from", from_s, "--destdir", root_s]);
    for b in ["camera-worker", "dashboard"] {
        let p = root.join("usr/local/bin").join(b);
        assert_eq!(read(&p), read(&from.join(b)), "{p:?}");
        assert_eq!(mode(&p), 0o755, "{p:?}");
    }
    for u in UNITS {
        let installed = read(&root.join("etc/systemd/system").join(u));
        assert_eq!(installed, read(&repo().join("systemd").join(u)), "{u}");
    }
    for e in ["camera-front.env", "dashboard.env"] {
        let p = root.join("etc/meteor-watch").join(e);
        assert_eq!(read(&p), read(&repo().join("systemd/examples").join(e)));
        assert_eq!(mode(&p), 0o640, "{p:?} holds passwords");
    }
    for d in [
        "var/lib/meteor-watch",
        "var/log/meteor-watch",
        "etc/meteor-watch/masks",
    ] {
        assert!(root.join(d).is_dir(), "{d}");
    }
    // The template's environment file is the one the example is installed as.
    let template = read(&root.join("etc/systemd/system/camera-worker@.service"));
    assert!(template.contains("EnvironmentFile=/etc/meteor-watch/camera-%i.env"));

    // An operator's edits survive a re-run (an upgrade); binaries are replaced.
    let env = root.join("etc/meteor-watch/camera-front.env");
    std::fs::write(&env, "RTSP_URL=rtsp://mine/stream\n").unwrap();
    std::fs::write(from.join("dashboard"), "#!/bin/sh\necho v2\n").unwrap();
    let out = install(&["--from", from_s, "--destdir", root_s]);
    assert_eq!(read(&env), "RTSP_URL=rtsp://mine/stream\n");
    assert!(String::from_utf8_lossy(&out.stdout).contains("keeping the existing"));
    assert_eq!(
        read(&root.join("usr/local/bin/dashboard")),
        "#!/bin/sh\necho v2\n"
    );

    verify_units(&root, "/usr/local/bin/", &root.join("usr/local/bin"));
}

#[test]
fn prefix_moves_binaries_and_exec_start() {
    let tmp = tempfile::tempdir().unwrap();
    let from = fake_binaries(tmp.path());
    let root = tmp.path().join("root");
    let args = [
        "--from",
        from.to_str().unwrap(),
        "--prefix",
        "/opt/meteor-watch",
    ];
    let out = Command::new("bash")
        .arg(repo().join("scripts/install-systemd.sh"))
        .args(args)
        .env("DESTDIR", &root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = root.join("opt/meteor-watch/bin");
    assert!(bin.join("camera-worker").is_file() && bin.join("dashboard").is_file());
    let unit = read(&root.join("etc/systemd/system/meteor-dashboard.service"));
    assert!(
        unit.contains("ExecStart=/opt/meteor-watch/bin/dashboard\n"),
        "{unit}"
    );
    verify_units(&root, "/opt/meteor-watch/bin/", &bin);

    // Missing binaries: a clear refusal, nothing installed.
    let out = Command::new("bash")
        .arg(repo().join("scripts/install-systemd.sh"))
        .args(["--from", "/nonexistent", "--destdir"])
        .arg(tmp.path().join("other"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cargo build --release"));
    assert!(!tmp.path().join("other").exists());
}

/// `systemd-analyze verify` on the installed units, with ExecStart pointed from `bin_path`
/// (where the units run binaries from) to `staged_bin` (where they were installed), so a
/// unit whose binary was not installed fails. Warnings count as failures. Skipped (with a
/// note) only when the tool is not installed.
fn verify_units(root: &Path, bin_path: &str, staged_bin: &Path) {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze not installed: unit verification skipped");
        return;
    }
    let check = root.join("verify");
    std::fs::create_dir_all(&check).unwrap();
    let mut paths = Vec::new();
    for u in UNITS {
        let text = read(&root.join("etc/systemd/system").join(u));
        let p = check.join(u);
        std::fs::write(
            &p,
            text.replace(bin_path, &format!("{}/", staged_bin.display())),
        )
        .unwrap();
        paths.push(p);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .env("SYSTEMD_LOG_LEVEL", "notice")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify refused the installed units ({}):\n{stderr}",
        out.status
    );
    std::fs::remove_dir_all(&check).unwrap();
}
