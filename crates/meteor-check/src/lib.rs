//! `meteor-check`: one command that checks a whole meteor watch installation for monitoring
//! tools (Nagios, Zabbix, cron), with the Nagios plugin exit codes.
//!
//! What it checks (docs/monitoring.md):
//! - the dashboard and each camera-worker answer `/healthz`; the self-checks they report that
//!   are not `ok` are passed on ([`services`]);
//! - each stream is connected and its last frame is fresh (worker `/stats`);
//! - each service's resident memory (`/metrics`) is under a limit;
//! - the detection store under the output root is intact ([`store`]);
//! - the output volume has space and every directory in it can be written ([`disk`]).
//!
//! [`run`] gives a [`Report`]; the binary prints it and exits with its code.

pub mod cli;
pub mod disk;
pub mod report;
pub mod services;
pub mod store;

pub use report::{Component, Report, Status};
pub use services::{Limits, WorkerSpec};

use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The check could not run (exit status 3).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad or missing options.
    #[error("{0}")]
    Usage(String),
    /// The output root is missing or cannot be listed.
    #[error("output directory {path}: {why}")]
    Output { path: PathBuf, why: String },
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The dashboard lists a worker whose URL it shows masked (it holds a password).
    #[error("{0}")]
    Discovery(String),
}

/// What to check, and the limits (checked by [`cli::Cli::options`]).
#[derive(Debug, Clone)]
pub struct Options {
    pub dashboard: Option<String>,
    pub workers: Vec<WorkerSpec>,
    pub output: Option<PathBuf>,
    pub max_frame_age_s: f64,
    pub disk_warn: f64,
    pub disk_crit: f64,
    pub max_rss_bytes: u64,
    pub timeout: Duration,
}

impl Options {
    fn limits(&self) -> Limits {
        Limits {
            max_frame_age_s: self.max_frame_age_s,
            max_rss_bytes: self.max_rss_bytes,
        }
    }
}

/// Runs every check the options ask for.
pub fn run(o: &Options) -> Result<Report, Error> {
    let started = Instant::now();
    if o.dashboard.is_none() && o.workers.is_empty() && o.output.is_none() {
        return Err(Error::Usage(
            "nothing to check: give --dashboard URL, --worker NAME=URL and/or --output DIR".into(),
        ));
    }
    // The output root first: a missing one means the check is misconfigured.
    let camera_dirs = match &o.output {
        None => None,
        Some(out) => {
            let err = |why: String| Error::Output {
                path: out.clone(),
                why,
            };
            let meta = std::fs::metadata(out).map_err(|e| err(e.to_string()))?;
            if !meta.is_dir() {
                return Err(err("not a directory".into()));
            }
            Some(store::camera_dirs(out).map_err(|e| err(format!("cannot list: {e}")))?)
        }
    };

    let client = reqwest::blocking::Client::builder()
        .timeout(o.timeout)
        .connect_timeout(o.timeout)
        // Services are reached directly, never through an HTTP(S)_PROXY of the environment.
        .no_proxy()
        .build()
        .map_err(Error::Client)?;
    let limits = o.limits();
    let mut components = Vec::new();
    let mut workers = o.workers.clone();
    if let Some(dash) = &o.dashboard {
        let (found, listed) = services::check_dashboard(&client, dash, limits);
        components.extend(found);
        if workers.is_empty() {
            if let Ok(list) = listed {
                if let Some(w) = list.iter().find(|w| w.url.contains("***")) {
                    return Err(Error::Discovery(format!(
                        "the dashboard shows worker {:?} at {} with its password masked; name \
                         the workers with --worker NAME=URL",
                        w.name, w.url
                    )));
                }
                workers = list;
            }
        }
    }
    // Workers in parallel, reported in the order given.
    let per_worker: Vec<Vec<Component>> = std::thread::scope(|s| {
        let handles: Vec<_> = workers
            .iter()
            .map(|w| {
                let client = &client;
                s.spawn(move || services::check_worker(client, w, limits))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker check panicked"))
            .collect()
    });
    components.extend(per_worker.into_iter().flatten());

    if let (Some(out), Some(dirs)) = (&o.output, &camera_dirs) {
        if dirs.is_empty() {
            components.push(
                Component::new("store", out.display().to_string())
                    .status(Status::Ok, "no camera directories yet"),
            );
        }
        for dir in dirs {
            components.push(store::check_store(dir));
        }
        components.push(disk::check_disk(out, o.disk_warn, o.disk_crit));
        let subdirs: Vec<PathBuf> = dirs.iter().filter(|d| *d != out).cloned().collect();
        components.push(disk::check_writable(out, &subdirs));
    }

    let thresholds = json!({
        "max_frame_age_s": o.max_frame_age_s,
        "disk_warn_percent": o.disk_warn,
        "disk_crit_percent": o.disk_crit,
        "max_rss_bytes": o.max_rss_bytes,
        "timeout_s": o.timeout.as_secs_f64(),
    });
    Ok(Report::new(
        components,
        thresholds,
        started.elapsed().as_millis() as u64,
    ))
}
