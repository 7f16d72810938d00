//! `camera-worker prune`: one retention pass over the detections of one camera directory or
//! of every camera under an output root, for `meteor-docker.sh clean` and cron. Safe beside
//! a running worker: it only appends `pruned` marks, which the worker picks up.

use super::{apply, Policy};
use crate::catalog::Catalog;
use crate::store::{Store, JSONL};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Args)]
pub struct PruneCmd {
    /// A camera's output directory (holding detections.jsonl), or a root of such directories.
    #[arg(long, env = "OUTPUT_DIR")]
    pub output: PathBuf,
    /// Remove the files of events older than this many days.
    #[arg(long)]
    pub max_age_days: Option<f64>,
    /// Remove the oldest events' files while the volume is fuller than this percent.
    #[arg(long)]
    pub max_disk_percent: Option<f64>,
    /// Keep the files of events labelled meteor.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub keep_meteors: bool,
    /// Only say what would be removed.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs the pass and prints one line per camera. Ok(true) when every camera went through.
pub fn run(cmd: &PruneCmd) -> anyhow::Result<bool> {
    let policy = Policy {
        max_age_days: cmd.max_age_days,
        max_disk_percent: cmd.max_disk_percent,
        keep_meteors: cmd.keep_meteors,
    };
    if policy.is_off() {
        anyhow::bail!("prune: give --max-age-days and/or --max-disk-percent");
    }
    policy.validate().map_err(|e| {
        anyhow::anyhow!(
            "prune: {}",
            e.replace("MAX_AGE_DAYS", "--max-age-days")
                .replace("MAX_DISK_PERCENT", "--max-disk-percent")
        )
    })?;
    let dirs = camera_dirs(&cmd.output)?;
    if dirs.is_empty() {
        println!(
            "{}: no camera directories (none holds {JSONL})",
            cmd.output.display()
        );
        return Ok(true);
    }
    let mut all_ok = true;
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let store = Store::open(&dir)?;
        let mut catalog = Catalog::open(&store);
        match apply(&mut catalog, &dir, &policy, chrono::Utc::now(), cmd.dry_run) {
            Ok(o) => {
                let verb = if cmd.dry_run {
                    "would remove"
                } else {
                    "removed"
                };
                let disk = o
                    .disk_percent
                    .map(|p| format!(", volume {p:.1}% used"))
                    .unwrap_or_default();
                println!(
                    "{name}: {verb} the files of {} event(s), {:.1} MB{disk}{}",
                    o.pruned,
                    o.freed_bytes as f64 / 1048576.0,
                    if o.disk_over_limit {
                        " (still over --max-disk-percent)"
                    } else {
                        ""
                    }
                );
            }
            Err(e) => {
                all_ok = false;
                println!("{name}: {e}");
            }
        }
    }
    Ok(all_ok)
}

/// `root` itself when it is a camera directory, else its subdirectories that are.
fn camera_dirs(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if root.join(JSONL).exists() {
        return Ok(vec![root.to_path_buf()]);
    }
    let entries =
        std::fs::read_dir(root).map_err(|e| anyhow::anyhow!("--output {}: {e}", root.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(JSONL).is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}
