//! Self-check results every service reports the same way: in its log, in `/healthz` JSON
//! (`{"status", "checks": [{"name", "status", "detail"}]}`) and as
//! `meteor_health_status{component=...}` in `/metrics`; `meteor-check` reads them back.
//! Also the clock-jump watch, which compares the wall clock with the monotonic clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// How a component is doing, in the Nagios order (and exit codes) ok < warn < crit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warn,
    Crit,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Crit => "crit",
        }
    }

    /// The value of the `meteor_health_status` gauge.
    pub fn gauge(self) -> u8 {
        self as u8
    }
}

/// One component's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub status: Level,
    pub detail: String,
}

impl Check {
    pub fn new(name: &str, status: Level, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            status,
            detail: detail.into(),
        }
    }
}

/// The worst level among `checks` (ok when there are none).
pub fn overall(checks: &[Check]) -> Level {
    checks.iter().map(|c| c.status).max().unwrap_or(Level::Ok)
}

/// The log of periodic self-checks: a WARN per failing component at every run, one INFO when
/// a component recovers. Remembers each component's level from the previous run.
#[derive(Debug, Default)]
pub struct SelfCheckLog {
    previous: BTreeMap<String, Level>,
}

impl SelfCheckLog {
    /// Logs this run's `checks`; `camera` names the worker (none for the dashboard).
    pub fn log(&mut self, checks: &[Check], camera: Option<&str>) {
        let camera = camera.unwrap_or("");
        for c in checks {
            let before = self.previous.insert(c.name.clone(), c.status);
            match c.status {
                Level::Ok if before.is_some_and(|b| b != Level::Ok) => {
                    tracing::info!(camera, component = %c.name, detail = %c.detail, "self-check: {} recovered", c.name)
                }
                Level::Ok => {}
                level => {
                    tracing::warn!(camera, component = %c.name, status = level.name(), detail = %c.detail, "self-check: {} {}", c.name, level.name())
                }
            }
        }
    }
}

/// Notices the wall clock moving differently from elapsed time (NTP stepping it, a manual
/// change, a suspended VM), which shifts every event time the worker writes.
#[derive(Debug, Default)]
pub struct ClockWatch {
    last: Option<(Instant, DateTime<Utc>)>,
}

impl ClockWatch {
    /// Seconds the wall clock moved beyond (or behind) the elapsed time since the previous
    /// call, when that exceeds `tolerance_s`.
    pub fn jump(&mut self, wall: DateTime<Utc>, mono: Instant, tolerance_s: f64) -> Option<f64> {
        let previous = self.last.replace((mono, wall));
        let (m0, w0) = previous?;
        let elapsed = mono.saturating_duration_since(m0).as_secs_f64();
        let moved = (wall - w0).as_seconds_f64();
        let jump = moved - elapsed;
        (jump.abs() > tolerance_s).then_some(jump)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_worst_level_wins() {
        let c = |l| Check::new("x", l, "");
        assert_eq!(overall(&[]), Level::Ok);
        assert_eq!(
            overall(&[c(Level::Ok), c(Level::Crit), c(Level::Warn)]),
            Level::Crit
        );
        assert_eq!(overall(&[c(Level::Ok), c(Level::Warn)]), Level::Warn);
        assert_eq!(
            serde_json::to_string(&c(Level::Warn)).unwrap(),
            r#"{"name":"x","status":"warn","detail":""}"#
        );
        assert_eq!(
            (Level::Ok.gauge(), Level::Warn.gauge(), Level::Crit.gauge()),
            (0, 1, 2)
        );
    }

    #[test]
    fn a_stepped_wall_clock_is_a_jump_and_steady_time_is_not() {
        let mut w = ClockWatch::default();
        let m0 = Instant::now();
        let t0: DateTime<Utc> = "2026-11-23T02:00:00Z".parse().unwrap();
        assert_eq!(
            w.jump(t0, m0, 2.0),
            None,
            "the first call only sets the reference"
        );
        let m1 = m0 + Duration::from_secs(300);
        assert_eq!(w.jump(t0 + chrono::Duration::seconds(301), m1, 2.0), None);
        let m2 = m1 + Duration::from_secs(300);
        let j = w.jump(t0 + chrono::Duration::seconds(301 + 300 - 3600), m2, 2.0);
        assert_eq!(j, Some(-3600.0));
        let m3 = m2 + Duration::from_secs(60);
        assert_eq!(
            w.jump(
                t0 + chrono::Duration::seconds(301 + 300 - 3600 + 60),
                m3,
                2.0
            ),
            None
        );
    }
}
