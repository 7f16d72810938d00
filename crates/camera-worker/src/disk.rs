//! The output volume as the worker sees it: how full it is and whether a file can be created
//! there (meteor-core's `disk`), and whether a write failed because the disk is full.

pub use meteor_core::disk::{probe_writable, usage, Usage};

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
