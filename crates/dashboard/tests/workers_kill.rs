//! Workers dying and hanging: a killed worker turns offline at the first poll after the kill
//! (so within one poll interval) while the others keep updating; a frozen one (SIGSTOP:
//! connections accepted, never answered) turns offline when that poll times out, and nothing
//! else waits for it; both come back.

mod common;

use common::workers::{cameras_of, fleet};
use common::Dash;
use serde_json::Value;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_secs(1);
const TIMEOUT: Duration = Duration::from_secs(2);

async fn frames(d: &Dash, name: &str) -> u64 {
    d.camera(name).await["stats"]["frames"]
        .as_u64()
        .unwrap_or(0)
}

fn polls(c: &Value) -> u64 {
    c["polls"].as_u64().unwrap()
}

/// Asks /api/cameras every 50 ms until `name` is offline: the camera then, and the slowest
/// answer meanwhile.
async fn until_offline(d: &Dash, name: &str, limit: Duration) -> (Value, Duration) {
    let t0 = Instant::now();
    let mut slowest = Duration::ZERO;
    loop {
        let t = Instant::now();
        let c = d.camera(name).await;
        slowest = slowest.max(t.elapsed());
        if c["state"] == "offline" {
            return (c, slowest);
        }
        assert!(
            t0.elapsed() < limit,
            "{name} still {} after {limit:?}",
            c["state"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Turned offline by the first poll that started after the change: a poll already under way
/// may still have succeeded, the next one failed.
fn first_poll_after(before: &Value, now: &Value) {
    let failed = now["poll_failures"].as_u64().unwrap() - before["poll_failures"].as_u64().unwrap();
    assert_eq!(failed, 1, "{before} -> {now}");
    assert!(
        polls(now) <= polls(before) + 2,
        "offline only after {} polls: {now}",
        polls(now) - polls(before)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_frozen_workers() {
    let tmp = tempfile::tempdir().unwrap();
    let (sim, mut w) = fleet(3, tmp.path(), |_| vec![]).await;
    let d = Dash::start(
        &cameras_of(&w).join(","),
        &["--poll-interval", "1s", "--request-timeout", "2s"],
    )
    .await;
    d.until_state("detecting", None, Duration::from_secs(60))
        .await;

    // Kill cam2: offline at the next poll (a refused connection fails at once; a pooled
    // connection may see a reset first).
    let (f1, f3) = (frames(&d, "cam1").await, frames(&d, "cam3").await);
    let before = d.camera("cam2").await;
    w[1].kill();
    let (c, _) = until_offline(&d, "cam2", Duration::from_secs(10)).await;
    first_poll_after(&before, &c);
    assert!(c["last_seen"].is_string());
    tokio::time::sleep(POLL * 3).await;
    let c = d.camera("cam2").await;
    assert_eq!(c["error"], "cannot connect: connection refused", "{c}");
    assert!(
        c["seen_ago_s"].as_f64().unwrap() >= 2.0,
        "time since last seen grows: {c}"
    );
    for (name, before) in [("cam1", f1), ("cam3", f3)] {
        let c = d.camera(name).await;
        assert_eq!(c["state"], "detecting", "{c}");
        assert_eq!(c["poll_failures"], 0, "{c}");
        assert!(frames(&d, name).await > before, "{name} keeps updating");
    }

    // Freeze cam3: offline when the next poll times out; cam1 and the API never wait for it
    // (every answer comes well within the time a worker is given).
    let before = d.camera("cam3").await;
    let p1 = polls(&d.camera("cam1").await);
    let f1 = frames(&d, "cam1").await;
    w[2].freeze(true);
    let (c, slowest) = until_offline(&d, "cam3", Duration::from_secs(15)).await;
    eprintln!("slowest /api/cameras while cam3 hung: {slowest:?}");
    first_poll_after(&before, &c);
    assert!(
        c["error"].as_str().unwrap().contains("no answer within"),
        "{c}"
    );
    assert!(
        slowest < TIMEOUT / 2,
        "the API waited for a frozen worker: {slowest:?}"
    );
    tokio::time::sleep(POLL * 2).await;
    let c1 = d.camera("cam1").await;
    assert!(polls(&c1) >= p1 + 2, "cam1 kept being polled: {c1}");
    assert!(frames(&d, "cam1").await > f1);

    // Both come back.
    w[2].freeze(false);
    w[1].restart();
    d.until_state("detecting", None, Duration::from_secs(60))
        .await;
    assert_eq!(d.json("/stats").await["cameras"]["online"], 3);
    drop(w);
    sim.stop();
}
