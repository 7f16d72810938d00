//! The live worker's view of its detections: the records of `detections.jsonl` in memory,
//! with the reviewer's labels and deletions from `annotations.jsonl` laid over them.
//!
//! Both files are append-only (whole lines, synced), so a crash never loses a label or
//! resurrects a deleted event: a deletion is a tombstone line, and a record whose id has a
//! tombstone stays hidden even though its line remains in `detections.jsonl`.

use crate::store::Store;
use chrono::{DateTime, Utc};
use meteor_core::Detection;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::Write;
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
}

/// A record as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Labelled {
    #[serde(flatten)]
    pub detection: Detection,
    pub label: Option<Label>,
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
    records: Vec<Detection>,
    labels: HashMap<String, Label>,
    deleted: HashSet<String>,
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
        let records = read_lines::<Detection>(&store.jsonl_path());
        let mut c = Catalog {
            dir: dir.clone(),
            records,
            labels: HashMap::new(),
            deleted: HashSet::new(),
        };
        for a in read_lines::<Annotation>(&dir.join(ANNOTATIONS)) {
            c.apply(&a);
        }
        c
    }

    fn apply(&mut self, a: &Annotation) {
        if a.deleted {
            self.deleted.insert(a.id.clone());
        } else if let Some(l) = a.label {
            self.labels.insert(a.id.clone(), l);
        } else {
            self.labels.remove(&a.id);
        }
    }

    /// A record the writer just put on disk.
    pub fn add(&mut self, d: Detection) {
        if !self.deleted.contains(&d.id) {
            self.records.push(d);
        }
    }

    fn visible(&self) -> impl DoubleEndedIterator<Item = &Detection> {
        self.records
            .iter()
            .filter(|d| !self.deleted.contains(&d.id))
    }

    fn view(&self, d: &Detection) -> Labelled {
        Labelled {
            detection: d.clone(),
            label: self.labels.get(&d.id).copied(),
        }
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
            .max_by_key(|d| d.start_time)
            .map(|d| self.view(d))
    }

    /// Matching records, newest first, and how many matched before paging.
    pub fn list(&self, q: &Query) -> (usize, Vec<Labelled>) {
        let mut hits: Vec<&Detection> = self
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
            .map(|d| self.view(d))
            .collect();
        (total, page)
    }

    pub fn get(&self, id: &str) -> Option<Labelled> {
        self.visible().find(|d| d.id == id).map(|d| self.view(d))
    }

    pub fn set_label(&mut self, id: &str, label: Option<Label>) -> Result<Labelled, CatalogError> {
        if self.get(id).is_none() {
            return Err(CatalogError::NotFound(id.to_string()));
        }
        let a = Annotation {
            id: id.to_string(),
            at: Utc::now(),
            label,
            deleted: false,
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
            id: id.to_string(),
            at: Utc::now(),
            label: None,
            deleted: true,
        };
        // The tombstone first: if removing files fails half-way, the event stays gone.
        self.append(&a)?;
        self.apply(&a);
        for name in [&d.clip, &d.composite, &d.composite_original]
            .into_iter()
            .flatten()
        {
            let path = self.dir.join(name);
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(file = %path.display(), error = %e, "could not remove a deleted event's file");
                }
            }
        }
        tracing::info!(id, "detection deleted");
        Ok(())
    }

    fn append(&self, a: &Annotation) -> Result<(), CatalogError> {
        let path = self.dir.join(ANNOTATIONS);
        let io = |e| CatalogError::Io(path.clone(), e);
        let mut line = serde_json::to_vec(a).map_err(|e| io(std::io::Error::other(e)))?;
        line.push(b'\n');
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        f.write_all(&line).map_err(io)?;
        f.sync_data().map_err(io)
    }
}

fn read_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Vec<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read");
            return Vec::new();
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .filter_map(|(i, l)| match serde_json::from_str(l) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(file = %path.display(), line = i + 1, error = %e, "skipping a line that does not parse");
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
