//! The dashboard's self-checks: its workers (each answering its polls) and the wall clock
//! (a jump shifts every "tonight" it computes). Evaluated for `/healthz` and `/metrics` when
//! asked, and every `SELF_CHECK_INTERVAL` by a task that logs each failing component as a
//! WARN (and once, at INFO, when it recovers).

use crate::state::App;
use meteor_core::health::{Check, ClockWatch, Level, SelfCheckLog};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What only the periodic task can measure.
#[derive(Default)]
pub struct SelfCheck {
    inner: Mutex<Inner>,
    pub clock_jumps_total: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct Inner {
    clock: ClockWatch,
    jump: Option<f64>,
    log: SelfCheckLog,
}

/// A wall-clock step larger than this between runs (seconds) is a jump.
const CLOCK_TOLERANCE_S: f64 = 2.0;

/// The cameras whose worker did not answer its last poll.
pub fn offline(app: &App) -> Vec<&str> {
    app.cameras
        .iter()
        .filter(|c| !c.online())
        .map(|c| c.name.as_str())
        .collect()
}

/// Every component, now.
pub fn evaluate(app: &App) -> Vec<Check> {
    let total = app.cameras.len();
    let offline = offline(app);
    let online = total - offline.len();
    let detail = if offline.is_empty() {
        format!("{online} of {total} workers answer")
    } else {
        format!(
            "{online} of {total} workers answer; silent: {}",
            offline.join(", ")
        )
    };
    // WARN even when all are silent: each worker's own health is its own (critical) matter;
    // the dashboard itself still serves what it has.
    let level = if offline.is_empty() {
        Level::Ok
    } else {
        Level::Warn
    };
    let jump = app
        .selfcheck
        .inner
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .jump;
    vec![
        Check::new("workers", level, detail),
        match jump {
            Some(j) => Check::new(
                "clock",
                Level::Warn,
                format!("the wall clock jumped by {j:+.1} s"),
            ),
            None => Check::new("clock", Level::Ok, "steady"),
        },
    ]
}

/// One periodic run: measure the clock, evaluate, log what fails or recovered.
pub fn run_once(app: &App) {
    {
        let mut inner = app
            .selfcheck
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        inner.jump = inner
            .clock
            .jump(chrono::Utc::now(), Instant::now(), CLOCK_TOLERANCE_S);
        if inner.jump.is_some() {
            app.selfcheck
                .clock_jumps_total
                .fetch_add(1, Ordering::Relaxed);
        }
    }
    let checks = evaluate(app);
    let mut inner = app
        .selfcheck
        .inner
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    inner.log.log(&checks, None);
}

/// Runs the self-check every `SELF_CHECK_INTERVAL`, the first one interval after the start
/// (the first polls need time to reach the workers).
pub fn spawn(app: &Arc<App>) {
    let app = app.clone();
    tokio::spawn(async move {
        let every = app.config.self_check_interval;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tick.tick().await;
            run_once(&app);
        }
    });
}
