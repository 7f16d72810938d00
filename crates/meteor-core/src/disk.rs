//! A filesystem as `df` sees it (statvfs: size, use, inodes) and whether a directory takes a
//! new file. The worker's self-checks, retention and disk-full rule and `meteor-check` all
//! read the output volume through here.

use std::path::Path;

/// Space on the filesystem holding a path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub total_bytes: u64,
    pub used_bytes: u64,
    /// Free to an unprivileged user (what `df` calls available; root may use a little more).
    pub available_bytes: u64,
    pub inodes_total: u64,
    pub inodes_free: u64,
}

impl Usage {
    /// Used share as `df` computes it: used / (used + available), 0..=1.
    pub fn used_ratio(&self) -> f64 {
        let usable = self.used_bytes + self.available_bytes;
        if usable == 0 {
            0.0
        } else {
            self.used_bytes as f64 / usable as f64
        }
    }

    pub fn used_percent(&self) -> f64 {
        self.used_ratio() * 100.0
    }
}

/// Space on the filesystem that holds `path`.
pub fn usage(path: &Path) -> std::io::Result<Usage> {
    let st = rustix::fs::statvfs(path).map_err(std::io::Error::from)?;
    let block = if st.f_frsize > 0 {
        st.f_frsize
    } else {
        st.f_bsize
    };
    Ok(Usage {
        total_bytes: st.f_blocks * block,
        used_bytes: st.f_blocks.saturating_sub(st.f_bfree) * block,
        available_bytes: st.f_bavail * block,
        inodes_total: st.f_files,
        inodes_free: st.f_ffree,
    })
}

/// Creates, syncs and removes a small hidden file in `dir`: Ok when the directory takes
/// writes (permissions, a read-only mount and a full disk all show here).
pub fn probe_writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".write-probe.{}", std::process::id()));
    let result =
        std::fs::write(&probe, b"ok").and_then(|()| std::fs::File::open(&probe)?.sync_all());
    let removed = std::fs::remove_file(&probe);
    result?;
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_a_real_directory_is_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let u = usage(dir.path()).unwrap();
        assert!(u.total_bytes > 0);
        assert!(u.available_bytes <= u.total_bytes && u.used_bytes <= u.total_bytes);
        assert!((0.0..=1.0).contains(&u.used_ratio()), "{u:?}");
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
}
