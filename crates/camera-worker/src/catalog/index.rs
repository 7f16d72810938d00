//! What the catalog keeps of each record in memory: its id, start time, whether it has files,
//! and where its line lies in `detections.jsonl`. The record itself is read back from that
//! line when it is asked for (a page of a listing, one detection, one pruned by retention).
//!
//! A station keeps every record for years (retention removes files, not records). Parsed,
//! a record took about 1.4 KiB of the worker's memory: 20 250 of them raised a 1080p worker's
//! RSS from 99.6 to 127.7 MiB. An entry is under a tenth of that.

use chrono::{DateTime, Utc};
use meteor_core::Detection;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// One record's place in `detections.jsonl`, and what filtering and sorting need.
pub(super) struct Entry {
    pub id: Box<str>,
    pub start_time: DateTime<Utc>,
    /// The record names a clip or composite (retention may remove them).
    pub files: bool,
    offset: u64,
    len: u32,
}

impl Entry {
    fn new(d: &Detection, offset: u64, len: usize) -> Entry {
        Entry {
            id: d.id.as_str().into(),
            start_time: d.start_time,
            files: d.clip.is_some() || d.composite.is_some() || d.composite_original.is_some(),
            offset,
            len: len as u32,
        }
    }
}

/// The entries of a `detections.jsonl`, oldest first, as appended.
pub(super) struct Index {
    path: PathBuf,
    /// Opened once: records are read back with positioned reads, not an open per record.
    file: Option<File>,
    pub entries: Vec<Entry>,
}

impl Index {
    /// Reads the file once, line by line. Lines that do not parse are skipped with a warning
    /// naming file and line: one bad line must not keep a camera from starting.
    pub fn open(path: &Path) -> Index {
        let mut index = Index {
            path: path.to_path_buf(),
            file: None,
            entries: Vec::new(),
        };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return index,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read");
                return index;
            }
        };
        let mut reader = BufReader::new(&file);
        let (mut offset, mut number, mut line) = (0u64, 0usize, Vec::new());
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(n) => {
                    number += 1;
                    // A last line without its newline is being appended: not a record yet.
                    if line.last() == Some(&b'\n') && !line.trim_ascii().is_empty() {
                        match serde_json::from_slice::<Detection>(&line) {
                            Ok(d) => index.entries.push(Entry::new(&d, offset, n)),
                            Err(e) => {
                                tracing::warn!(file = %path.display(), line = number, error = %e, "skipping a line that does not parse")
                            }
                        }
                    }
                    offset += n as u64;
                }
                Err(e) => {
                    tracing::warn!(file = %path.display(), line = number + 1, error = %e, "cannot read");
                    break;
                }
            }
        }
        index.file = Some(file);
        index
    }

    /// Notes a record the writer has just appended. Its line is the file's last: checked
    /// against the file, and the whole file read again if it is not (changed by hand).
    pub fn push(&mut self, d: &Detection) {
        let Ok(mut line) = serde_json::to_vec(d) else {
            return;
        };
        line.push(b'\n');
        if self.file.is_none() {
            // The worker's first record: the file did not exist when the index was read.
            self.file = File::open(&self.path).ok();
        }
        let at = std::fs::metadata(&self.path)
            .map(|m| m.len())
            .unwrap_or(0)
            .checked_sub(line.len() as u64);
        if let Some(offset) = at {
            // Already read, by a reading of the whole file since it was appended.
            if let Some(last) = self.entries.last() {
                if last.offset == offset && *last.id == *d.id {
                    return;
                }
            }
            if self.bytes(offset, line.len()).is_ok_and(|b| b == line) {
                self.entries.push(Entry::new(d, offset, line.len()));
                return;
            }
        }
        tracing::warn!(file = %self.path.display(), id = %d.id, "the new record is not the file's last line; reading the file again");
        *self = Index::open(&self.path);
    }

    fn bytes(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let f = self
            .file
            .as_ref()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))?;
        let mut buf = vec![0; len];
        f.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }

    /// The record behind `e`, or None (logged) when its line is no longer there: the file
    /// was cut or rewritten behind the worker's back.
    pub fn load(&self, e: &Entry) -> Option<Detection> {
        let parsed = self
            .bytes(e.offset, e.len as usize)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Detection>(&b).map_err(|e| e.to_string()));
        match parsed {
            Ok(d) if *d.id == *e.id => Some(d),
            Ok(d) => {
                tracing::warn!(file = %self.path.display(), id = %e.id, found = %d.id, "record moved in the file; restart the worker to read it again");
                None
            }
            Err(err) => {
                tracing::warn!(file = %self.path.display(), id = %e.id, error = %err, "cannot read a record back");
                None
            }
        }
    }
}
