//! The detection store on disk: `<output>/<camera>/` holds `detections.jsonl` and the event
//! files. Nothing half-written is ever visible: files are written under a temporary name,
//! synced and renamed; records are appended as whole lines and synced.

use meteor_core::Detection;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const JSONL: &str = "detections.jsonl";

/// Writes a file by letting `write` fill a temporary sibling, then syncing and renaming it.
/// The temporary name keeps the extension (tools pick formats by it) behind a leading dot.
pub fn write_via_temp<E: From<(String, std::io::Error)>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.part", std::process::id()));
    let io = |e: std::io::Error| E::from((path.display().to_string(), e));
    let result = write(&tmp).and_then(|()| {
        File::open(&tmp).and_then(|f| f.sync_all()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        sync_dir(path).map_err(io)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_via_temp::<IoAt>(path, |tmp| {
        std::fs::write(tmp, bytes).map_err(|e| IoAt(tmp.display().to_string(), e))
    })
    .map_err(|IoAt(p, e)| std::io::Error::new(e.kind(), format!("{p}: {e}")))
}

struct IoAt(String, std::io::Error);
impl From<(String, std::io::Error)> for IoAt {
    fn from((p, e): (String, std::io::Error)) -> Self {
        IoAt(p, e)
    }
}

impl From<(String, std::io::Error)> for crate::clip::ClipError {
    fn from((p, e): (String, std::io::Error)) -> Self {
        crate::clip::ClipError::Io(p, e)
    }
}

/// Appends `value` as one JSON line and syncs it. A write the disk cut short (full disk) is
/// undone, so the file never holds a torn line that a later retry would glue onto.
pub fn append_line<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = OpenOptions::new().create(true).append(true).open(path)?;
    let before = f.metadata()?.len();
    let result = f.write_all(&line).and_then(|()| f.sync_data());
    if result.is_err() {
        let _ = f.set_len(before).and_then(|()| f.sync_data());
    }
    result
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

/// One camera's directory of detections.
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// Opens (creating) the camera's directory. A record cut short by a crash is moved aside
    /// to `detections.jsonl.partial` (never deleted) so the file ends on a whole line; the
    /// temporary files of writes a crash interrupted (`.NAME.PID.part`) are removed.
    pub fn open(dir: &Path) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        let store = Store {
            dir: dir.to_path_buf(),
        };
        store.repair_tail()?;
        store.remove_stale_parts();
        Ok(store)
    }

    fn remove_stale_parts(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".part") {
                match std::fs::remove_file(e.path()) {
                    Ok(()) => {
                        tracing::warn!(file = %e.path().display(), "removed the temporary file of an interrupted write")
                    }
                    Err(err) => {
                        tracing::warn!(file = %e.path().display(), error = %err, "cannot remove a stale temporary file")
                    }
                }
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn jsonl_path(&self) -> PathBuf {
        self.dir.join(JSONL)
    }

    fn repair_tail(&self) -> std::io::Result<()> {
        let path = self.jsonl_path();
        let Ok(mut f) = OpenOptions::new().read(true).write(true).open(&path) else {
            return Ok(());
        };
        let len = f.metadata()?.len();
        if len == 0 {
            return Ok(());
        }
        let mut content = Vec::new();
        f.read_to_end(&mut content)?;
        if content.last() == Some(&b'\n') {
            return Ok(());
        }
        let keep = content
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        let mut aside = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("detections.jsonl.partial"))?;
        aside.write_all(&content[keep..])?;
        aside.write_all(b"\n")?;
        aside.sync_all()?;
        f.set_len(keep as u64)?;
        f.seek(SeekFrom::End(0))?;
        f.sync_all()?;
        tracing::warn!(file = %path.display(), bytes = len - keep as u64, "moved an incomplete last record to detections.jsonl.partial");
        Ok(())
    }

    /// Appends one record as a single whole line and syncs it to disk.
    pub fn append(&self, d: &Detection) -> std::io::Result<()> {
        append_line(&self.jsonl_path(), d)
    }

    /// Every record, in file order. Lines that do not parse are reported with their number.
    pub fn read_all(&self) -> Result<Vec<Detection>, String> {
        let path = self.jsonl_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JSONL);
        std::fs::write(&path, "{\"a\":1}\n{\"b\":").unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
        let aside = std::fs::read_to_string(dir.path().join("detections.jsonl.partial")).unwrap();
        assert_eq!(aside, "{\"b\":\n");
        assert_eq!(store.jsonl_path(), path);
    }

    #[test]
    fn temporaries_of_a_killed_writer_are_removed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".meteor_x.mp4.4242.part");
        let kept = dir.path().join("meteor_y.mp4");
        std::fs::write(&stale, b"half").unwrap();
        std::fs::write(&kept, b"whole").unwrap();
        Store::open(dir.path()).unwrap();
        assert!(!stale.exists());
        assert!(kept.exists());
    }

    #[test]
    fn atomic_writes_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jpg");
        write_bytes(&path, b"abc").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
