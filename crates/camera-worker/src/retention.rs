//! Retention: which events lose their files when, oldest first. Two rules, either or both:
//! an age limit (`MAX_AGE_DAYS`) and a disk limit (`MAX_DISK_PERCENT` of the output volume
//! used). Events labelled meteor are kept unless told otherwise. Records are never removed:
//! a pruned event stays in the history (marked `pruned`) without its clip and images.
//! The live worker runs it periodically; `camera-worker prune` (behind
//! `meteor-docker.sh clean`) runs it once on a stopped or running worker's directory.

mod command;

pub use command::{run as run_prune, PruneCmd};

use crate::catalog::{Catalog, CatalogError};
use crate::disk;
use chrono::{DateTime, Utc};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    /// Events older than this lose their files.
    pub max_age_days: Option<f64>,
    /// While the output volume is fuller than this (0..100), the oldest events lose theirs.
    pub max_disk_percent: Option<f64>,
    /// Keep the files of events a reviewer labelled meteor.
    pub keep_meteors: bool,
}

impl Policy {
    pub fn is_off(&self) -> bool {
        self.max_age_days.is_none() && self.max_disk_percent.is_none()
    }

    /// Refuses values that cannot be meant, naming the variable.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(d) = self.max_age_days {
            if !(d > 0.0 && d.is_finite()) {
                return Err(format!(
                    "MAX_AGE_DAYS: must be a positive number of days, got {d}"
                ));
            }
        }
        if let Some(p) = self.max_disk_percent {
            if !(p > 0.0 && p < 100.0) {
                return Err(format!(
                    "MAX_DISK_PERCENT: must be between 0 and 100 (exclusive), got {p}"
                ));
            }
        }
        Ok(())
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub pruned: usize,
    pub freed_bytes: u64,
    /// Used share of the volume after the pass, percent.
    pub disk_percent: Option<f64>,
    /// The disk limit could not be met with what the policy may remove.
    pub disk_over_limit: bool,
}

/// Applies `policy` to one camera's catalog (at `dir`), oldest event first. With `dry_run`
/// nothing is removed; the outcome counts what would be.
pub fn apply(
    catalog: &mut Catalog,
    dir: &Path,
    policy: &Policy,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Outcome, CatalogError> {
    let mut out = Outcome::default();
    if policy.is_off() {
        return Ok(out);
    }
    catalog.refresh();
    let candidates = catalog.prunable(policy.keep_meteors);
    let cutoff = policy
        .max_age_days
        .map(|d| now - chrono::Duration::milliseconds((d * 86_400_000.0) as i64));
    let mut usage = disk::usage(dir).ok();
    for (id, start_time) in candidates {
        let too_old = cutoff.is_some_and(|c| start_time < c);
        let too_full = match (policy.max_disk_percent, usage) {
            (Some(limit), Some(u)) => u.used_percent() > limit,
            _ => false,
        };
        if !too_old && !too_full {
            // Candidates are oldest first: once one is young enough and the disk is within
            // its limit, so are all the rest.
            break;
        }
        let freed = if dry_run {
            catalog
                .get(&id)
                .map_or(0, |l| file_sizes(dir, &l.detection))
        } else {
            catalog.prune(&id)?
        };
        out.pruned += 1;
        out.freed_bytes += freed;
        if policy.max_disk_percent.is_some() && !dry_run {
            usage = disk::usage(dir).ok();
        }
    }
    out.disk_percent = usage.map(|u| u.used_percent());
    out.disk_over_limit = match (policy.max_disk_percent, usage) {
        (Some(limit), Some(u)) => !dry_run && u.used_percent() > limit,
        _ => false,
    };
    Ok(out)
}

fn file_sizes(dir: &Path, d: &meteor_core::Detection) -> u64 {
    let browser = Some(d.browser_clip_name());
    [&d.clip, &d.composite, &d.composite_original, &browser]
        .into_iter()
        .flatten()
        .filter_map(|n| std::fs::metadata(dir.join(n)).ok())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests;
