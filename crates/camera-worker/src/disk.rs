//! The output volume as the worker sees it: how full it is (statvfs, as `df` reports it) and
//! whether a file can be created there. The self-checks, retention and the writer's
//! disk-full rule all read it here.

use std::path::Path;

/// Space on the filesystem holding a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub total_bytes: u64,
    /// Free to an unprivileged user (what `df` calls available).
    pub available_bytes: u64,
    /// Used share as `df` computes it: used / (used + available), 0..=1.
    pub used_ratio: f64,
}

impl Usage {
    pub fn used_percent(&self) -> f64 {
        self.used_ratio * 100.0
    }
}

/// Space on the filesystem that holds `path`.
pub fn usage(path: &Path) -> std::io::Result<Usage> {
    let st = rustix::fs::statvfs(path).map_err(std::io::Error::from)?;
    let block = st.f_frsize.max(1);
    let total = st.f_blocks * block;
    let free = st.f_bfree * block;
    let available = st.f_bavail * block;
    let used = total.saturating_sub(free);
    let denominator = used + available;
    let used_ratio = if denominator == 0 {
        0.0
    } else {
        used as f64 / denominator as f64
    };
    Ok(Usage {
        total_bytes: total,
        available_bytes: available,
        used_ratio,
    })
}

/// Creates, syncs and removes a small file in `dir`: Ok when the directory takes writes.
pub fn probe_writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".write-probe.{}", std::process::id()));
    let result =
        std::fs::write(&probe, b"ok").and_then(|()| std::fs::File::open(&probe)?.sync_all());
    let _ = std::fs::remove_file(&probe);
    result
}

/// Whether an error means the disk (or the user's quota) is full, whichever layer reported
/// it: an `io::Error` anywhere in the chain, or GStreamer's filesink message text.
pub fn is_disk_full(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if is_full_kind(io) {
                return true;
            }
        }
        let text = cause.to_string();
        text.contains("No space left on device") || text.contains("Disk quota exceeded")
    })
}

fn is_full_kind(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || e.raw_os_error() == Some(28)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_a_real_directory_is_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let u = usage(dir.path()).unwrap();
        assert!(u.total_bytes > 0);
        assert!(u.available_bytes <= u.total_bytes);
        assert!((0.0..=1.0).contains(&u.used_ratio), "{u:?}");
        probe_writable(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "probe left behind"
        );
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        assert!(usage(Path::new("/nonexistent/meteor")).is_err());
        assert!(probe_writable(Path::new("/nonexistent/meteor")).is_err());
    }

    #[test]
    fn disk_full_is_recognised_through_wrappers() {
        let io = std::io::Error::from_raw_os_error(28);
        let e = anyhow::Error::from(io).context("writing meteor_x.jpg");
        assert!(is_disk_full(&e));
        let gst =
            anyhow::anyhow!("clip pipeline: Error while writing to file: No space left on device");
        assert!(is_disk_full(&gst));
        let other = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(!is_disk_full(&other));
    }
}
