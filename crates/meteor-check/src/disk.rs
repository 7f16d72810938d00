//! The output volume: how full it is (`statvfs`, counted the way `df` counts: used over used
//! plus what an unprivileged writer may still use) and whether the output directory and every
//! camera directory can be written (a temporary file created and removed in each).

use crate::report::{human_bytes, Component, Status};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Space on one filesystem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub total_bytes: u64,
    pub used_bytes: u64,
    /// What an unprivileged writer can still use (root may use a little more).
    pub available_bytes: u64,
    /// `used / (used + available)`, as `df` shows it, 0-100.
    pub used_percent: f64,
    pub inodes_total: u64,
    pub inodes_free: u64,
}

/// `statvfs` of the filesystem holding `path`.
pub fn usage(path: &Path) -> std::io::Result<Usage> {
    let s = rustix::fs::statvfs(path).map_err(std::io::Error::from)?;
    let frsize = if s.f_frsize > 0 {
        s.f_frsize
    } else {
        s.f_bsize
    };
    let used_blocks = s.f_blocks.saturating_sub(s.f_bfree);
    let usable = used_blocks + s.f_bavail;
    let used_percent = if usable == 0 {
        0.0
    } else {
        used_blocks as f64 * 100.0 / usable as f64
    };
    Ok(Usage {
        total_bytes: s.f_blocks * frsize,
        used_bytes: used_blocks * frsize,
        available_bytes: s.f_bavail * frsize,
        used_percent,
        inodes_total: s.f_files,
        inodes_free: s.f_ffree,
    })
}

/// The disk component: WARN at `warn` percent used or more, CRIT at `crit` or more.
pub fn check_disk(output: &Path, warn: f64, crit: f64) -> Component {
    let c = Component::new("disk", output.display().to_string());
    let u = match usage(output) {
        Ok(u) => u,
        Err(e) => return c.status(Status::Crit, format!("statvfs failed: {e}")),
    };
    let status = if u.used_percent >= crit {
        Status::Crit
    } else if u.used_percent >= warn {
        Status::Warn
    } else {
        Status::Ok
    };
    let limit = match status {
        Status::Crit => format!(" (critical at {crit}%)"),
        Status::Warn => format!(" (warning at {warn}%)"),
        Status::Ok => String::new(),
    };
    let detail = format!(
        "{:.1}% used, {} free of {}{limit}",
        u.used_percent,
        human_bytes(u.available_bytes),
        human_bytes(u.total_bytes)
    );
    c.status(status, detail).data(json!({
        "used_percent": (u.used_percent * 10.0).round() / 10.0,
        "total_bytes": u.total_bytes,
        "used_bytes": u.used_bytes,
        "available_bytes": u.available_bytes,
        "inodes_total": u.inodes_total,
        "inodes_free": u.inodes_free,
        "warn_percent": warn,
        "crit_percent": crit,
    }))
}

/// Creates, writes, syncs and removes a hidden temporary file in `dir`.
pub fn probe_write(dir: &Path) -> std::io::Result<()> {
    let tmp = dir.join(format!(".meteor-check.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(b"meteor-check\n")?;
        f.sync_all()
    });
    let removed = std::fs::remove_file(&tmp);
    result?;
    removed
}

/// The writable component: the output directory and each camera directory in `dirs`.
pub fn check_writable(output: &Path, dirs: &[PathBuf]) -> Component {
    let c = Component::new("writable", output.display().to_string());
    let mut checked = Vec::new();
    let mut failed = Vec::new();
    for dir in std::iter::once(output).chain(dirs.iter().map(PathBuf::as_path)) {
        checked.push(dir.display().to_string());
        if let Err(e) = probe_write(dir) {
            failed.push(format!("{}: {e}", dir.display()));
        }
    }
    let data = json!({"checked": checked, "failed": failed});
    if failed.is_empty() {
        let n = checked.len();
        c.status(
            Status::Ok,
            format!("{n} director{} writable", if n == 1 { "y" } else { "ies" }),
        )
        .data(data)
    } else {
        c.status(Status::Crit, format!("cannot write: {}", failed.join("; ")))
            .data(data)
    }
}
