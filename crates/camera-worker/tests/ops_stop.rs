//! Stopping the worker, for real: SIGTERM in the middle of a meteor (with a live view open,
//! which never ends by itself) finishes that event with its post-roll, writes it and exits
//! cleanly within compose's 30 s grace; SIGKILL while events are being written leaves a
//! store where, after the restart, every record parses and every file it names is whole.

mod common;
mod support;

use chrono::{DateTime, Utc};
use meteor_core::Detection;
use meteor_sim::serve::{CameraConfig, SimServer};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{meteor_loop, serve, Worker};

/// The next meteor of `/cam1` starting at least `after` from now: its wall-clock start and end.
fn next_meteor(server: &SimServer, after: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
    let tl = server.timeline("/cam1").unwrap();
    let truth = server.loop_truth("/cam1").unwrap();
    let from = Utc::now() + chrono::Duration::from_std(after).unwrap();
    let loop_s = tl.loop_duration_s();
    let first_loop = (tl.offset_of(from) / loop_s).floor().max(0.0) as u64;
    (first_loop..first_loop + 3)
        .flat_map(|k| truth.events.iter().map(move |e| (k, e)))
        .filter(|(_, e)| e.kind == "meteor")
        .map(|(k, e)| {
            let base = k as f64 * loop_s;
            (tl.wall_at(base + e.start_s), tl.wall_at(base + e.end_s))
        })
        .filter(|(s, _)| *s >= from)
        .min()
        .expect("a meteor in the next loops")
}

fn sleep_until(t: DateTime<Utc>) {
    if let Ok(d) = (t - Utc::now()).to_std() {
        std::thread::sleep(d);
    }
}

fn records(dir: &Path) -> Vec<Detection> {
    std::fs::read_to_string(dir.join("detections.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("a line does not parse ({e}): {l}"))
        })
        .collect()
}

#[test]
fn sigterm_mid_meteor_finishes_the_event_and_exits_in_time() {
    let server = serve(vec![
        CameraConfig::new("/cam1", meteor_loop(71)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cam1");
    let mut w = Worker::start(&server.url("/cam1"), &out, &[]);
    w.wait_for("detecting", Duration::from_secs(20), |w| {
        w.state() == "detecting"
    });
    // A live view stays open through the stop.
    let mut view = reqwest::blocking::Client::new()
        .get(w.url("/stream"))
        .send()
        .unwrap();
    let mut buf = [0u8; 4096];
    view.read_exact(&mut buf).unwrap();
    let reader = std::thread::spawn(move || while view.read(&mut buf).is_ok_and(|n| n > 0) {});

    // Stop while the worker tracks the meteor: poll its track count around the meteor.
    let (start, end) = next_meteor(&server, Duration::from_secs(2));
    sleep_until(start - chrono::Duration::milliseconds(200));
    let give_up = end + chrono::Duration::milliseconds(1500);
    let mut stopped_at = None;
    while Utc::now() < give_up {
        if w.stats()["tracks"].as_u64().unwrap_or(0) > 0 {
            let pid = w.pid().unwrap().to_string();
            assert!(std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success());
            stopped_at = Some(Instant::now());
            break;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    let stopped_at = stopped_at.unwrap_or_else(|| {
        panic!(
            "the worker never tracked the meteor of {start}\n{}",
            w.logs()
        )
    });
    let status = w.wait_exit(Duration::from_secs(30));
    let took = stopped_at.elapsed();
    assert!(
        status.is_some_and(|s| s.success()),
        "no clean exit within 30 s of SIGTERM ({status:?}):\n{}",
        w.logs()
    );
    let _ = reader.join();

    let recs = records(&out);
    let d = recs
        .iter()
        .find(|d| (d.start_time - start).num_milliseconds().abs() < 2500)
        .unwrap_or_else(|| {
            panic!(
                "the meteor in progress at SIGTERM was not written: {recs:?}\n{}",
                w.logs()
            )
        });
    let clip = out.join(d.clip.as_deref().expect("the event has its clip"));
    let probe = common::probe(&clip);
    // The clip holds the whole event and the 1 s post-roll the worker waited for.
    assert!(
        probe.duration_s >= d.duration_s + 0.9,
        "clip of {:.2} s for a {:.2} s event: post-roll missing",
        probe.duration_s,
        d.duration_s
    );
    assert!(d.composite.as_deref().is_some_and(|c| out.join(c).exists()));
    let logs = w.logs();
    assert!(
        logs.contains("stopping after the event in progress"),
        "{logs}"
    );
    eprintln!("SIGTERM to exit: {took:?}");
}

#[test]
fn sigkill_while_writing_leaves_a_whole_store() {
    let server = serve(vec![
        CameraConfig::new("/cam1", meteor_loop(72)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cam1");
    let mut w = Worker::start(&server.url("/cam1"), &out, &[]);
    // The writer cuts the clip about 1 s after a meteor ends (the post-roll) plus the
    // client's lag: kill around then, at a different moment each round.
    for (round, delay_ms) in [900i64, 1300, 1700, 2100].into_iter().enumerate() {
        w.wait_for("detecting", Duration::from_secs(30), |w| {
            w.state() == "detecting"
        });
        let (_, end) = next_meteor(&server, Duration::from_secs(1));
        sleep_until(end + chrono::Duration::milliseconds(delay_ms));
        w.kill9();
        eprintln!(
            "round {round}: killed {delay_ms} ms after a meteor ended; {} record(s)",
            records(&out).len()
        );
        w.start_again();
    }
    w.wait_for(
        "a meteor after the last restart",
        Duration::from_secs(30),
        |w| !w.detections().is_empty(),
    );
    assert!(w.stop(), "no clean stop:\n{}", w.logs());

    // After all that: every line parses, every named file is whole, nothing temporary left.
    let recs = records(&out);
    assert!(!recs.is_empty());
    for d in &recs {
        if let Some(c) = &d.clip {
            let p = common::probe(&out.join(c));
            assert!(
                p.frames > 0 && p.duration_s > 0.5,
                "{c} is cut short: {} frames",
                p.frames
            );
        }
        for f in [&d.composite, &d.composite_original].into_iter().flatten() {
            let bytes = std::fs::read(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            image::load_from_memory(&bytes)
                .unwrap_or_else(|e| panic!("{f} is not a whole JPEG: {e}"));
        }
    }
    let leftovers: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left after restart: {leftovers:?}"
    );
}
