//! The detection store on disk (docs/detections.md): `<output>/<camera>/detections.jsonl`,
//! `annotations.jsonl` and the event files. Every line must parse, every file a live record
//! names (not deleted, not pruned by retention) must exist and be non-empty, and `meteor_*`
//! files no live record names are orphans once older than [`ORPHAN_GRACE`] (a worker writes
//! an event's files first and its record last, so a fresh event's files wait a moment for
//! it). A `detections.jsonl.partial` (a torn line the worker moved aside after a crash) is
//! reported too.

use crate::report::{human_bytes, Component, Status};
use meteor_core::Detection;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

pub const DETECTIONS: &str = "detections.jsonl";
pub const ANNOTATIONS: &str = "annotations.jsonl";
pub const PARTIAL: &str = "detections.jsonl.partial";

/// A file no record names is an orphan only once it is this old: a worker writes an event's
/// files (clip, composites) before appending its record, seconds apart on a busy machine, and
/// a check in between must not raise a warning.
pub const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(120);

/// At most this many problems and orphans are listed in the JSON (all are counted).
const LIST_MAX: usize = 100;

/// One line of `annotations.jsonl`.
#[derive(Debug, Deserialize)]
struct Annotation {
    id: String,
    at: String,
    #[serde(default)]
    #[allow(dead_code)] // Parsed to check it; the check needs no labels.
    label: Option<Label>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    pruned: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Label {
    Meteor,
    NotMeteor,
}

/// Something wrong in a store.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Problem {
    pub status: crate::report::Status,
    /// `bad_line`, `incomplete_line`, `missing_file`, `empty_file`, `bad_reference`,
    /// `unreadable`, `partial`.
    pub kind: &'static str,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    fn at(&self) -> String {
        match self.line {
            Some(n) => format!("{}:{n}", self.file),
            None => self.file.clone(),
        }
    }
}

/// The camera directories under the output root: every subdirectory whose name does not
/// start with a dot; or the root itself when it holds a `detections.jsonl` (a worker's own
/// OUTPUT_DIR given directly).
pub fn camera_dirs(output: &Path) -> std::io::Result<Vec<PathBuf>> {
    if output.join(DETECTIONS).is_file() {
        return Ok(vec![output.to_path_buf()]);
    }
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(output)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if !hidden && entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Reads a JSONL file line by line, handing each non-blank line and its number to `each`,
/// which may find a problem with it. A missing file is no lines; any other read error is a
/// problem.
fn each_line(
    path: &Path,
    problems: &mut Vec<Problem>,
    mut each: impl FnMut(usize, &str) -> Option<Problem>,
) {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return problems.push(unreadable(path, e)),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => return problems.push(unreadable(path, e)),
        }
        // A last line without its newline is being appended right now, or was torn by a
        // crash (the worker moves it aside at its next start): a warning, not corruption.
        let complete = line.last() == Some(&b'\n');
        if complete {
            line.pop();
        }
        let found = match std::str::from_utf8(&line) {
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => each(n, text),
            Err(e) => Some(bad_line(path, n, format!("not UTF-8: {e}"))),
        };
        problems.extend(found.map(|mut p| {
            if !complete {
                p.status = Status::Warn;
                p.kind = "incomplete_line";
                p.message = format!(
                    "incomplete last line (no newline; being written, or torn by a crash): {}",
                    p.message
                );
            }
            p
        }));
    }
}

fn unreadable(path: &Path, e: std::io::Error) -> Problem {
    Problem {
        status: Status::Crit,
        kind: "unreadable",
        file: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    }
}

fn bad_line(path: &Path, n: usize, message: String) -> Problem {
    Problem {
        status: Status::Crit,
        kind: "bad_line",
        file: path.display().to_string(),
        line: Some(n),
        message,
    }
}

/// Checks one camera's store.
pub fn check_store(dir: &Path) -> Component {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let c = Component::new("store", name);
    let mut problems = Vec::new();

    let jsonl = dir.join(DETECTIONS);
    let mut records: Vec<(usize, Detection)> = Vec::new();
    each_line(
        &jsonl,
        &mut problems,
        |n, text| match serde_json::from_str::<Detection>(text) {
            Ok(d) => {
                records.push((n, d));
                None
            }
            Err(e) => Some(bad_line(&jsonl, n, e.to_string())),
        },
    );

    let annotations = dir.join(ANNOTATIONS);
    let (mut deleted, mut pruned) = (HashSet::new(), HashSet::new());
    let mut annotation_lines = 0usize;
    each_line(
        &annotations,
        &mut problems,
        |n, text| match serde_json::from_str::<Annotation>(text) {
            Ok(a) if a.id.is_empty() => Some(bad_line(&annotations, n, "empty id".into())),
            Ok(a) => match chrono::DateTime::parse_from_rfc3339(&a.at) {
                Err(e) => Some(bad_line(
                    &annotations,
                    n,
                    format!("at: {:?} is not an ISO 8601 time: {e}", a.at),
                )),
                Ok(_) => {
                    annotation_lines += 1;
                    if a.deleted {
                        deleted.insert(a.id.clone());
                    }
                    if a.pruned {
                        pruned.insert(a.id);
                    }
                    None
                }
            },
            Err(e) => Some(bad_line(&annotations, n, e.to_string())),
        },
    );

    // The files live records name, checked one by one.
    let mut referenced = HashSet::new();
    let mut live = 0usize;
    for (n, d) in &records {
        if deleted.contains(&d.id) || pruned.contains(&d.id) {
            continue;
        }
        live += 1;
        for name in [&d.clip, &d.composite, &d.composite_original]
            .into_iter()
            .flatten()
        {
            let record = format!("record {} ({}:{n})", d.id, jsonl.display());
            if name.is_empty()
                || name.contains(['/', '\\'])
                || name == ".."
                || name.starts_with('.')
            {
                problems.push(Problem {
                    status: Status::Crit,
                    kind: "bad_reference",
                    file: jsonl.display().to_string(),
                    line: Some(*n),
                    message: format!("{record} names {name:?}, not a plain file name"),
                });
                continue;
            }
            referenced.insert(name.clone());
            let path = dir.join(name);
            let (kind, why) = match std::fs::metadata(&path) {
                Ok(m) if m.is_file() && m.len() > 0 => continue,
                Ok(m) if m.is_file() => ("empty_file", "is empty".to_string()),
                Ok(_) => ("missing_file", "is not a regular file".to_string()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    ("missing_file", "is missing".to_string())
                }
                Err(e) => ("missing_file", format!("cannot be read: {e}")),
            };
            problems.push(Problem {
                status: Status::Crit,
                kind,
                file: path.display().to_string(),
                line: None,
                message: format!("{why}; named by {record}"),
            });
        }
    }

    // Event files on disk, and the orphans among them.
    let mut orphans = BTreeSet::new();
    let mut being_written = 0u64;
    let (mut files, mut bytes) = (0u64, 0u64);
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                if !file_name.starts_with("meteor_") {
                    continue;
                }
                files += 1;
                let meta = entry.metadata().ok();
                bytes += meta.as_ref().map_or(0, |m| m.len());
                let age = meta
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| t.elapsed().ok());
                // No age (a clock behind the file's time) counts as young.
                let settled = age.is_some_and(|a| a >= ORPHAN_GRACE);
                if !referenced.contains(&file_name) {
                    if settled {
                        orphans.insert(file_name);
                    } else {
                        being_written += 1;
                    }
                }
            }
        }
        Err(e) => problems.push(unreadable(dir, e)),
    }

    let partial = dir.join(PARTIAL);
    let partial_bytes = std::fs::metadata(&partial).ok().map(|m| m.len());
    if let Some(size) = partial_bytes {
        problems.push(Problem {
            status: Status::Warn,
            kind: "partial",
            file: partial.display().to_string(),
            line: None,
            message: format!(
                "a torn record ({size} bytes) a crash left, moved aside by the worker; look at it, \
                 then remove it"
            ),
        });
    }

    let mut status = problems
        .iter()
        .map(|p| p.status)
        .max()
        .unwrap_or(Status::Ok);
    if !orphans.is_empty() {
        status = status.max(Status::Warn);
    }
    let mut parts: Vec<String> = problems
        .iter()
        .take(3)
        .map(|p| format!("{}: {}", p.at(), p.message))
        .collect();
    if problems.len() > 3 {
        parts.push(format!("{} more problem(s)", problems.len() - 3));
    }
    if !orphans.is_empty() {
        let shown: Vec<&str> = orphans.iter().take(3).map(String::as_str).collect();
        let more = if orphans.len() > 3 {
            format!(" and {} more", orphans.len() - 3)
        } else {
            String::new()
        };
        parts.push(format!(
            "{} orphan file(s) no record names: {}{more}",
            orphans.len(),
            shown.join(", ")
        ));
    }
    let summary = format!(
        "{live} record(s), {files} event file(s), {}",
        human_bytes(bytes)
    );
    let detail = if parts.is_empty() {
        summary
    } else {
        parts.join("; ")
    };
    c.status(status, detail).data(json!({
        "dir": dir.display().to_string(),
        "records": records.len(),
        "live_records": live,
        "deleted": deleted.len(),
        "pruned": pruned.len(),
        "annotations": annotation_lines,
        "files": files,
        "bytes": bytes,
        "orphans": orphans.len(),
        "unrecorded_recent_files": being_written,
        "orphan_files": orphans.iter().take(LIST_MAX).collect::<Vec<_>>(),
        "partial_bytes": partial_bytes,
        "problems": problems.len(),
        "problem_list": problems.iter().take(LIST_MAX).collect::<Vec<_>>(),
    }))
}
