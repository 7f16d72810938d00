//! The live worker's view of its detections: the records of `detections.jsonl` (indexed in
//! memory, read back from the file when asked for; see `index`), with the reviewer's labels
//! and deletions from `annotations.jsonl` laid over them.
//!
//! Both files are append-only (whole lines, synced), so a crash never loses a label or
//! resurrects a deleted event: a deletion is a tombstone line, and a record whose id has a
//! tombstone stays hidden even though its line remains in `detections.jsonl`. Retention
//! removes an event's files but keeps its record, marked `pruned`. Lines appended by another
//! process (`camera-worker prune`) are picked up by [`Catalog::refresh`].

mod index;

use crate::store::Store;
use chrono::{DateTime, Utc};
use index::{Entry, Index};
use meteor_core::Detection;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub const ANNOTATIONS: &str = "annotations.jsonl";

/// A reviewer's verdict on a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Meteor,
    NotMeteor,
}

impl std::str::FromStr for Label {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "meteor" => Ok(Label::Meteor),
            "not_meteor" => Ok(Label::NotMeteor),
            other => Err(format!(
                "label: expected meteor, not_meteor or none, got '{other}'"
            )),
        }
    }
}

/// One line of `annotations.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
struct Annotation {
    id: String,
    #[serde(with = "meteor_core::record::iso_millis")]
    at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<Label>,
    /// Present (true) on a tombstone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    deleted: bool,
    /// Present (true) when retention removed the event's files; the record stays.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pruned: bool,
    /// The H.264 rendition now on disk (`crate::rendition`); the label is left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clip_browser: Option<String>,
}

impl Annotation {
    fn new(id: &str) -> Annotation {
        Annotation {
            id: id.to_string(),
            at: Utc::now(),
            label: None,
            deleted: false,
            pruned: false,
            clip_browser: None,
        }
    }
}

/// A record as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Labelled {
    #[serde(flatten)]
    pub detection: Detection,
    pub label: Option<Label>,
    /// Retention removed the event's files (the file fields are then absent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pruned: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("no detection {0}")]
    NotFound(String),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

pub struct Catalog {
    dir: PathBuf,
    /// Oldest first, as appended.
    records: Index,
    labels: HashMap<String, Label>,
    deleted: HashSet<String>,
    pruned: HashSet<String>,
    /// Browser renditions made after their record was appended, by id.
    browser: HashMap<String, String>,
    /// Bytes of `annotations.jsonl` applied so far.
    annotations_read: u64,
}

/// Filters and paging of a listing.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
    pub offset: usize,
}

impl Catalog {
    /// Loads the store's records and annotations. Lines that do not parse are skipped with a
    /// warning naming file and line: one bad line must not keep a camera from starting.
    pub fn open(store: &Store) -> Catalog {
        let dir = store.dir().to_path_buf();
        let records = Index::open(&store.jsonl_path());
        let mut c = Catalog {
            dir: dir.clone(),
            records,
            labels: HashMap::new(),
            deleted: HashSet::new(),
            pruned: HashSet::new(),
            browser: HashMap::new(),
            annotations_read: 0,
        };
        c.refresh();
        c
    }

    /// Applies annotation lines appended since the last call (by this process or another).
    pub fn refresh(&mut self) {
        let path = self.dir.join(ANNOTATIONS);
        let Ok(len) = std::fs::metadata(&path).map(|m| m.len()) else {
            return;
        };
        if len < self.annotations_read {
            // Replaced or cut by hand: read it again from the start.
            self.annotations_read = 0;
            self.labels.clear();
            self.deleted.clear();
            self.pruned.clear();
            self.browser.clear();
        }
        if len == self.annotations_read {
            return;
        }
        let bytes = match read_from(&path, self.annotations_read) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot read");
                return;
            }
        };
        // Only whole lines: a line being appended right now is read next time.
        let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let text = String::from_utf8_lossy(&bytes[..=end]);
        for (a, _) in parse_lines::<Annotation>(&text, &path) {
            self.apply(&a);
        }
        self.annotations_read += end as u64 + 1;
    }

    fn apply(&mut self, a: &Annotation) {
        if a.deleted {
            self.deleted.insert(a.id.clone());
        } else if a.pruned {
            self.pruned.insert(a.id.clone());
        } else if let Some(name) = &a.clip_browser {
            self.browser.insert(a.id.clone(), name.clone());
        } else if let Some(l) = a.label {
            self.labels.insert(a.id.clone(), l);
        } else {
            self.labels.remove(&a.id);
        }
    }

    /// A record the writer just put on disk.
    pub fn add(&mut self, d: &Detection) {
        if !self.deleted.contains(&d.id) {
            self.records.push(d);
        }
    }

    fn visible(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.records
            .entries
            .iter()
            .filter(|e| !self.deleted.contains(&*e.id))
    }

    /// The record as the API shows it, read back from its line.
    fn view(&self, e: &Entry) -> Option<Labelled> {
        let mut detection = self.records.load(e)?;
        let pruned = self.pruned.contains(&*e.id);
        if detection.clip_browser.is_none() {
            detection.clip_browser = self.browser.get(&*e.id).cloned();
        }
        if pruned {
            detection.clip = None;
            detection.clip_browser = None;
            detection.composite = None;
            detection.composite_original = None;
        }
        Some(Labelled {
            detection,
            label: self.labels.get(&*e.id).copied(),
            pruned,
        })
    }

    /// Records whose files retention may remove, oldest first, as (id, start time): visible,
    /// not pruned yet, with at least one file, and not labelled meteor when `keep_meteors`.
    pub fn prunable(&self, keep_meteors: bool) -> Vec<(String, DateTime<Utc>)> {
        let mut v: Vec<&Entry> = self
            .visible()
            .filter(|e| e.files && !self.pruned.contains(&*e.id))
            .filter(|e| !(keep_meteors && self.labels.get(&*e.id) == Some(&Label::Meteor)))
            .collect();
        v.sort_by(|a, b| a.start_time.cmp(&b.start_time).then(a.id.cmp(&b.id)));
        v.into_iter()
            .map(|e| (e.id.to_string(), e.start_time))
            .collect()
    }

    /// Removes the event's files for good and marks its record `pruned`; returns the bytes
    /// freed.
    pub fn prune(&mut self, id: &str) -> Result<u64, CatalogError> {
        let d = self
            .records
            .entries
            .iter()
            .find(|e| &*e.id == id)
            .and_then(|e| self.records.load(e))
            .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
        let a = Annotation {
            pruned: true,
            ..Annotation::new(id)
        };
        // The mark first: a crash half-way leaves a pruned record, not a broken one.
        self.append(&a)?;
        self.apply(&a);
        Ok(self.remove_files(&d))
    }

    /// Notes that the event's browser rendition is on disk (an annotation line, since the
    /// record line is never rewritten). False when the record is gone or pruned meanwhile.
    pub fn set_browser_clip(&mut self, id: &str, name: &str) -> Result<bool, CatalogError> {
        if self.get(id).is_none_or(|l| l.pruned) {
            return Ok(false);
        }
        let a = Annotation {
            clip_browser: Some(name.to_string()),
            ..Annotation::new(id)
        };
        self.append(&a)?;
        self.apply(&a);
        Ok(true)
    }

    fn remove_files(&self, d: &Detection) -> u64 {
        let mut freed = 0;
        // The rendition by its name: it may exist without its annotation (a crash between).
        let browser = Some(d.browser_clip_name());
        for name in [&d.clip, &d.composite, &d.composite_original, &browser]
            .into_iter()
            .flatten()
        {
            let path = self.dir.join(name);
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            match std::fs::remove_file(&path) {
                Ok(()) => freed += size,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(file = %path.display(), error = %e, "could not remove an event's file")
                }
            }
        }
        freed
    }

    pub fn total(&self) -> usize {
        self.visible().count()
    }

    /// Records starting at or after `since`.
    pub fn count_since(&self, since: DateTime<Utc>) -> usize {
        self.visible().filter(|d| d.start_time >= since).count()
    }

    pub fn newest(&self) -> Option<Labelled> {
        self.visible()
            .max_by_key(|e| e.start_time)
            .and_then(|e| self.view(e))
    }

    /// Matching records, newest first, and how many matched before paging.
    pub fn list(&self, q: &Query) -> (usize, Vec<Labelled>) {
        let mut hits: Vec<&Entry> = self
            .visible()
            .filter(|d| q.since.is_none_or(|s| d.start_time >= s))
            .filter(|d| q.until.is_none_or(|u| d.start_time <= u))
            .collect();
        hits.sort_by(|a, b| b.start_time.cmp(&a.start_time).then(b.id.cmp(&a.id)));
        let total = hits.len();
        let page = hits
            .into_iter()
            .skip(q.offset)
            .take(q.limit)
            .filter_map(|e| self.view(e))
            .collect();
        (total, page)
    }

    pub fn get(&self, id: &str) -> Option<Labelled> {
        self.visible()
            .find(|e| &*e.id == id)
            .and_then(|e| self.view(e))
    }

    pub fn set_label(&mut self, id: &str, label: Option<Label>) -> Result<Labelled, CatalogError> {
        if self.get(id).is_none() {
            return Err(CatalogError::NotFound(id.to_string()));
        }
        let a = Annotation {
            label,
            ..Annotation::new(id)
        };
        self.append(&a)?;
        self.apply(&a);
        Ok(self.get(id).expect("checked above"))
    }

    /// Hides the record for good and removes its files.
    pub fn delete(&mut self, id: &str) -> Result<(), CatalogError> {
        let d = self
            .get(id)
            .ok_or_else(|| CatalogError::NotFound(id.to_string()))?
            .detection;
        let a = Annotation {
            deleted: true,
            ..Annotation::new(id)
        };
        // The tombstone first: if removing files fails half-way, the event stays gone.
        self.append(&a)?;
        self.apply(&a);
        self.remove_files(&d);
        tracing::info!(id, "detection deleted");
        Ok(())
    }

    fn append(&self, a: &Annotation) -> Result<(), CatalogError> {
        let path = self.dir.join(ANNOTATIONS);
        crate::store::append_line(&path, a).map_err(|e| CatalogError::Io(path.clone(), e))
    }
}

/// The lines of `text` that parse, with their line numbers; the others are logged.
fn parse_lines<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Vec<(T, usize)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| match serde_json::from_str(l) {
            Ok(v) => Some((v, i + 1)),
            Err(e) => {
                tracing::warn!(file = %path.display(), line = i + 1, error = %e, "skipping a line that does not parse");
                None
            }
        })
        .collect()
}

fn read_from(path: &Path, offset: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
pub(crate) mod tests;
