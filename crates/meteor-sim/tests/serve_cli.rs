//! `meteor-sim serve` end to end: prints the camera URLs, serves a real client, writes the
//! truth log, and stops cleanly on SIGINT.

mod common;

use common::Client;
use meteor_sim::serve::Codec;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// `meteor-sim serve --port 0 ARGS --truth-dir DIR`, and the lines it prints.
fn serve(
    args: &[&str],
    truth_dir: &std::path::Path,
) -> (Child, std::io::Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meteor-sim"))
        .args(["serve", "--port", "0"])
        .args(args)
        .arg("--truth-dir")
        .arg(truth_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

#[test]
fn serve_prints_urls_logs_truth_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, mut lines) = serve(
        &[
            "--camera",
            "north=shower:seed=4:320x240@30:loop=2",
            "--camera",
            "south=quiet:320x240:audio:loop=3",
            "--auth",
            "south=viewer:se:cr@t",
        ],
        dir.path(),
    );
    let north = lines.next().unwrap().unwrap();
    let south = lines.next().unwrap().unwrap();
    assert!(north.starts_with("/north: rtsp://127.0.0.1:"), "{north}");
    assert!(
        south.contains("rtsp://viewer:se%3Acr%40t@127.0.0.1:"),
        "{south}"
    );
    let url = north.split_once(": ").unwrap().1;
    let client = Client::connect(url, Codec::H264, "tcp");
    client.wait_frames(10, Duration::from_secs(8));
    let url = south.split_once(": ").unwrap().1;
    let client2 = Client::connect(url, Codec::H264, "tcp");
    client2.wait_frames(10, Duration::from_secs(8));
    std::thread::sleep(Duration::from_millis(3000));

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(client.error_or_eos(Duration::from_secs(5)).is_some());

    let truth = meteor_core::Truth::load(&dir.path().join("north.loop.truth.json")).unwrap();
    assert_eq!(truth.frames, 60);
    let log = std::fs::read_to_string(dir.path().join("north.served.jsonl")).unwrap();
    let served: Vec<meteor_sim::serve::ServedEvent> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // at least one whole loop was shown, each event written once
    assert!(served.iter().any(|e| e.loop_index == 1), "{log}");
    let mut keys: Vec<(u64, u32)> = served.iter().map(|e| (e.loop_index, e.event.id)).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "{log}");
    assert!(dir.path().join("south.served.jsonl").exists());
}

#[test]
fn serve_switches_by_hand_as_the_camera_option_says() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, mut lines) = serve(
        &[
            "--camera",
            "sw=quiet:seed=5:320x240@30:loop=2:audio=aac:switch=240x160@15:after=2",
        ],
        dir.path(),
    );
    let line = lines.next().unwrap().unwrap();
    let url = line.split_once(": ").unwrap().1;
    let client = Client::connect(url, Codec::H264, "tcp");
    client.wait_frames(5, Duration::from_secs(8));
    client.wait_size(240, 160, Duration::from_secs(6));
    let formats = client.formats();
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
    assert_eq!(formats, [(320, 240, 30.0), (240, 160, 15.0)]);
    let mut encodings = client.encodings();
    encodings.sort();
    assert_eq!(encodings, ["H264", "MPEG4-GENERIC"]);
    let t = meteor_core::Truth::load(&dir.path().join("sw.switch1.loop.truth.json")).unwrap();
    assert_eq!((t.width, t.height, t.frames), (240, 160, 30));
}
