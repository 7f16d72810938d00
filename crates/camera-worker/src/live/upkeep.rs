//! Upkeep of a running worker: the self-checks (stream, writer, disk, clock, retention) and
//! retention, run every `SELF_CHECK_INTERVAL` on their own thread. Failing components are
//! logged as WARN at every run (INFO once when they recover); `/healthz` and `/metrics` show
//! the same checks, evaluated when asked.

use super::Shared;
use crate::disk;
use crate::retention::{self, Outcome, Policy};
use clap::Args;
use meteor_core::health::{Check, ClockWatch, Level, SelfCheckLog};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Args)]
pub struct UpkeepArgs {
    /// Seconds between self-checks (disk, stream, writer, clock) and retention passes.
    #[arg(long, env = "SELF_CHECK_INTERVAL", default_value_t = 300.0)]
    pub self_check_interval: f64,
    /// Output volume used (percent) that makes the disk check WARN.
    #[arg(long, env = "DISK_WARN_PERCENT", default_value_t = 90.0)]
    pub disk_warn_percent: f64,
    /// Output volume used (percent) that makes the disk check CRIT.
    #[arg(long, env = "DISK_CRIT_PERCENT", default_value_t = 97.0)]
    pub disk_crit_percent: f64,
    /// Free space (MB) kept for records: below it new events get their record but no files.
    #[arg(long, env = "MIN_FREE_MB", default_value_t = 100)]
    pub min_free_mb: u64,
    /// Events older than this many days lose their clip and images (0 or unset: never).
    #[arg(long, env = "MAX_AGE_DAYS")]
    pub max_age_days: Option<f64>,
    /// While the output volume is fuller than this percent, the oldest events lose their
    /// files (0 or unset: no limit).
    #[arg(long, env = "MAX_DISK_PERCENT")]
    pub max_disk_percent: Option<f64>,
    /// Retention keeps the files of events a reviewer labelled meteor.
    #[arg(long, env = "KEEP_METEORS", default_value_t = true, action = clap::ArgAction::Set)]
    pub keep_meteors: bool,
}

impl UpkeepArgs {
    /// The retention policy, with every value checked (the error names the variable).
    pub fn policy(&self) -> Result<Policy, String> {
        let policy = Policy {
            max_age_days: self.max_age_days.filter(|d| *d != 0.0),
            max_disk_percent: self.max_disk_percent.filter(|p| *p != 0.0),
            keep_meteors: self.keep_meteors,
        };
        policy.validate()?;
        Ok(policy)
    }

    pub fn validate(&self) -> Result<(), String> {
        let pct = |name: &str, v: f64| {
            if (0.0..=100.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name}: must be a percentage 0..100, got {v}"))
            }
        };
        pct("DISK_WARN_PERCENT", self.disk_warn_percent)?;
        pct("DISK_CRIT_PERCENT", self.disk_crit_percent)?;
        if self.disk_warn_percent > self.disk_crit_percent {
            return Err(format!(
                "DISK_WARN_PERCENT ({}) is above DISK_CRIT_PERCENT ({})",
                self.disk_warn_percent, self.disk_crit_percent
            ));
        }
        if !(self.self_check_interval >= 1.0 && self.self_check_interval.is_finite()) {
            return Err(format!(
                "SELF_CHECK_INTERVAL: must be at least 1 second, got {}",
                self.self_check_interval
            ));
        }
        self.policy().map(|_| ())
    }
}

/// What the periodic runs found that an on-demand evaluation cannot measure itself.
#[derive(Default)]
pub struct Upkeep {
    inner: Mutex<Inner>,
    pub pruned_total: AtomicU64,
    pub freed_bytes_total: AtomicU64,
    pub clock_jumps_total: AtomicU64,
}

#[derive(Default)]
struct Inner {
    clock: ClockWatch,
    /// The last jump seen, reported until the next run.
    jump: Option<f64>,
    /// The output directory refused a probe file at the last run.
    unwritable: Option<String>,
    retention: Option<Result<Outcome, String>>,
    /// Files skipped by the writer as of the previous run.
    skipped_before: u64,
    skipped_since: u64,
    log: SelfCheckLog,
}

/// Silence after which a stream is critical rather than reconnecting.
const STREAM_CRIT_AFTER: Duration = Duration::from_secs(300);
/// A wall-clock step larger than this (seconds) between runs is a jump.
const CLOCK_TOLERANCE_S: f64 = 2.0;

/// Evaluates every component now.
pub fn evaluate(sh: &Shared, args: &UpkeepArgs) -> Vec<Check> {
    evaluate_with(sh, args, disk::usage(&sh.output))
}

/// [`evaluate`] with the output volume's usage already read (/metrics shows it too).
pub fn evaluate_with(
    sh: &Shared,
    args: &UpkeepArgs,
    usage: std::io::Result<disk::Usage>,
) -> Vec<Check> {
    let inner = sh.upkeep.inner.lock().unwrap_or_else(|p| p.into_inner());
    let mut checks = vec![stream(sh)];

    let queue = sh.writer.depth();
    let high_water = (sh.writer.capacity() / 2).max(1);
    let stats = sh.writer.stats();
    let pending = stats.records_pending.load(Ordering::Relaxed);
    checks.push(if pending > 0 {
        Check::new(
            "writer",
            Level::Crit,
            format!("{pending} record(s) held in memory: the disk refuses them"),
        )
    } else if queue >= high_water {
        Check::new(
            "writer",
            Level::Warn,
            format!("{queue} event(s) queued, above the high-water mark of {high_water}"),
        )
    } else if inner.skipped_since > 0 {
        Check::new(
            "writer",
            Level::Warn,
            format!(
                "{} event file(s) skipped since the last check (see the log)",
                inner.skipped_since
            ),
        )
    } else {
        Check::new("writer", Level::Ok, format!("{queue} event(s) queued"))
    });

    checks.push(match usage {
        Err(e) => Check::new("disk", Level::Crit, format!("{}: {e}", sh.output.display())),
        Ok(u) => {
            let pct = u.used_percent();
            let free_mb = u.available_bytes >> 20;
            let detail = format!("{pct:.1}% used, {free_mb} MB free");
            if let Some(e) = &inner.unwritable {
                Check::new(
                    "disk",
                    Level::Crit,
                    format!("{} not writable: {e}", sh.output.display()),
                )
            } else if pct >= args.disk_crit_percent || free_mb < args.min_free_mb {
                Check::new(
                    "disk",
                    Level::Crit,
                    format!(
                        "{detail}; new events get no files below {} MB free",
                        args.min_free_mb
                    ),
                )
            } else if pct >= args.disk_warn_percent {
                Check::new("disk", Level::Warn, detail)
            } else {
                Check::new("disk", Level::Ok, detail)
            }
        }
    });

    checks.push(match inner.jump {
        Some(j) => Check::new(
            "clock",
            Level::Warn,
            format!("the wall clock jumped by {j:+.1} s; event times follow it from the next connection"),
        ),
        None => Check::new("clock", Level::Ok, "steady"),
    });

    checks.push(match &inner.retention {
        None => Check::new("retention", Level::Ok, "off or not run yet"),
        Some(Err(e)) => Check::new("retention", Level::Warn, e.clone()),
        Some(Ok(o)) if o.disk_over_limit => Check::new(
            "retention",
            Level::Warn,
            format!(
                "disk still {:.1}% used after removing every file retention may remove",
                o.disk_percent.unwrap_or(0.0)
            ),
        ),
        Some(Ok(o)) => Check::new(
            "retention",
            Level::Ok,
            format!("last pass removed the files of {} event(s)", o.pruned),
        ),
    });
    checks
}

fn stream(sh: &Shared) -> Check {
    let s = sh.status.snapshot();
    let age = s.last_frame.map(|t| t.elapsed());
    let reason = s
        .last_error
        .clone()
        .unwrap_or_else(|| "no frame yet".into());
    match age {
        Some(a) if s.connected && a < Duration::from_secs(30) => {
            Check::new("stream", Level::Ok, "frames arriving")
        }
        Some(a) if a >= STREAM_CRIT_AFTER => Check::new(
            "stream",
            Level::Crit,
            format!("silent for {} s: {reason}", a.as_secs()),
        ),
        None if sh.started.elapsed() >= STREAM_CRIT_AFTER => Check::new(
            "stream",
            Level::Crit,
            format!(
                "no frame since the start {} s ago: {reason}",
                sh.started.elapsed().as_secs()
            ),
        ),
        _ => Check::new("stream", Level::Warn, reason),
    }
}

/// One periodic run: measure what needs a run (clock, writability, skipped files), apply
/// retention, evaluate everything and log what fails.
pub fn run_once(sh: &Shared, args: &UpkeepArgs, policy: &Policy) {
    {
        let mut inner = sh.upkeep.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.jump = inner
            .clock
            .jump(sh.clock.now(), Instant::now(), CLOCK_TOLERANCE_S);
        if inner.jump.is_some() {
            sh.upkeep.clock_jumps_total.fetch_add(1, Ordering::Relaxed);
        }
        inner.unwritable = disk::probe_writable(&sh.output)
            .err()
            .map(|e| e.to_string());
        let skipped = sh.writer.stats().files_skipped.load(Ordering::Relaxed);
        inner.skipped_since = skipped - inner.skipped_before.min(skipped);
        inner.skipped_before = skipped;
    }
    if !policy.is_off() {
        let result = {
            let mut cat = sh.catalog.lock().unwrap_or_else(|p| p.into_inner());
            retention::apply(&mut cat, &sh.output, policy, sh.clock.now(), false)
        };
        if let Ok(o) = &result {
            sh.upkeep
                .pruned_total
                .fetch_add(o.pruned as u64, Ordering::Relaxed);
            sh.upkeep
                .freed_bytes_total
                .fetch_add(o.freed_bytes, Ordering::Relaxed);
            if o.pruned > 0 {
                tracing::info!(camera = %sh.camera, events = o.pruned, freed_mb = o.freed_bytes >> 20, disk_percent = o.disk_percent.map(|p| format!("{p:.1}")), "retention removed old event files");
            }
        }
        let mut inner = sh.upkeep.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.retention = Some(result.map_err(|e| format!("retention failed: {e}")));
    }
    let checks = evaluate(sh, args);
    let mut inner = sh.upkeep.inner.lock().unwrap_or_else(|p| p.into_inner());
    inner.log.log(&checks, Some(&sh.camera));
}

/// How often the upkeep thread gives malloc's free memory back (see `memory::release_free`).
const RELEASE_EVERY: Duration = Duration::from_secs(60);

/// Runs [`run_once`] at start and every interval until shutdown; in between, returns free
/// memory to the system every minute: a stall's backlog (a host short of CPU, a camera
/// sending in a rush) leaves megabytes free in malloc's arenas that it would keep all night.
pub fn spawn(
    sh: std::sync::Arc<Shared>,
    args: UpkeepArgs,
    policy: Policy,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name(format!("upkeep-{}", sh.camera))
        .spawn(move || {
            let every = Duration::from_secs_f64(args.self_check_interval);
            let mut released = Instant::now();
            loop {
                run_once(&sh, &args, &policy);
                let until = Instant::now() + every;
                while Instant::now() < until {
                    if sh.shutdown.load(Ordering::Relaxed) {
                        return;
                    }
                    if released.elapsed() >= RELEASE_EVERY {
                        crate::memory::release_free();
                        released = Instant::now();
                    }
                    std::thread::sleep(
                        Duration::from_millis(200)
                            .min(until.saturating_duration_since(Instant::now())),
                    );
                }
            }
        })
        .expect("spawning the upkeep thread")
}
