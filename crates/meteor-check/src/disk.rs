//! The output volume's components: how full it is (meteor-core's `disk::usage`, counted the
//! way `df` counts) and whether the output directory and every camera directory can be
//! written (a probe file created and removed in each).

use crate::report::{human_bytes, Component, Status};
use serde_json::json;
use std::path::{Path, PathBuf};

pub use meteor_core::disk::{probe_writable, usage, Usage};

/// The disk component: WARN at `warn` percent used or more, CRIT at `crit` or more.
pub fn check_disk(output: &Path, warn: f64, crit: f64) -> Component {
    let c = Component::new("disk", output.display().to_string());
    let u = match usage(output) {
        Ok(u) => u,
        Err(e) => return c.status(Status::Crit, format!("statvfs failed: {e}")),
    };
    let status = if u.used_percent() >= crit {
        Status::Crit
    } else if u.used_percent() >= warn {
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
        u.used_percent(),
        human_bytes(u.available_bytes),
        human_bytes(u.total_bytes)
    );
    c.status(status, detail).data(json!({
        "used_percent": (u.used_percent() * 10.0).round() / 10.0,
        "total_bytes": u.total_bytes,
        "used_bytes": u.used_bytes,
        "available_bytes": u.available_bytes,
        "inodes_total": u.inodes_total,
        "inodes_free": u.inodes_free,
        "warn_percent": warn,
        "crit_percent": crit,
    }))
}

/// The writable component: the output directory and each camera directory in `dirs`.
pub fn check_writable(output: &Path, dirs: &[PathBuf]) -> Component {
    let c = Component::new("writable", output.display().to_string());
    let mut checked = Vec::new();
    let mut failed = Vec::new();
    for dir in std::iter::once(output).chain(dirs.iter().map(PathBuf::as_path)) {
        checked.push(dir.display().to_string());
        if let Err(e) = probe_writable(dir) {
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
