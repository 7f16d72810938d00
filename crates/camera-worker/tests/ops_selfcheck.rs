//! The worker's self-check on a simulated clock: a wall-clock step between two runs is a
//! `clock` WARN (and counted) until the next steady run; before any frame the stream is a
//! WARN with the reason, the rest OK.

use camera_worker::live::{self, upkeep, RunCmd};
use clap::Parser;
use meteor_core::clock::SimulatedClock;
use meteor_core::health::{Check, Level};
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    run: RunCmd,
}

fn level(checks: &[Check], name: &str) -> (Level, String) {
    let c = checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check: {checks:?}"));
    (c.status, c.detail.clone())
}

#[test]
fn a_clock_step_is_reported_once_and_a_fresh_worker_waits_for_frames() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let cli = Cli::parse_from(["run", "--url", "rtsp://127.0.0.1:9/none", "--output", &out]);
    let clock = SimulatedClock::new("2026-11-30T22:00:00Z".parse().unwrap());
    let sh = live::build(&cli.run, Arc::new(clock.clone())).unwrap();
    let args = sh.upkeep_args.clone();
    let policy = args.policy().unwrap();

    upkeep::run_once(&sh, &args, &policy);
    let checks = upkeep::evaluate(&sh, &args);
    assert_eq!(level(&checks, "clock").0, Level::Ok);
    assert_eq!(level(&checks, "disk").0, Level::Ok, "{checks:?}");
    assert_eq!(level(&checks, "writer").0, Level::Ok);
    assert_eq!(level(&checks, "retention").0, Level::Ok);
    assert_eq!(
        level(&checks, "stream"),
        (Level::Warn, "no frame yet".to_string())
    );

    // NTP steps the clock back an hour between two runs.
    clock.set("2026-11-30T21:00:00Z".parse().unwrap());
    upkeep::run_once(&sh, &args, &policy);
    let (l, detail) = level(&upkeep::evaluate(&sh, &args), "clock");
    assert_eq!(l, Level::Warn);
    assert!(detail.contains("-3600"), "{detail}");
    assert_eq!(sh.upkeep.clock_jumps_total.load(Ordering::Relaxed), 1);

    // The next run sees a steady clock again.
    upkeep::run_once(&sh, &args, &policy);
    assert_eq!(level(&upkeep::evaluate(&sh, &args), "clock").0, Level::Ok);
    assert_eq!(sh.upkeep.clock_jumps_total.load(Ordering::Relaxed), 1);
}
