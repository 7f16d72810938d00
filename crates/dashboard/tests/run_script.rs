//! README's run command on a user's cameras: `scripts/run.sh --streamers FILE` reads the file
//! through compose-gen (the rules and names the Docker set-up uses), starts a camera-worker per
//! camera with its name, display name and mask built from a daytime photo, and the dashboard
//! over them; TERM stops them all. A bad line stops it before anything starts, naming the file
//! and the line, and so does a `METEOR_BIN_DIR` without the programs. Passwords appear
//! nowhere: not in its output, the logs or the API.

mod common;

use common::workers::sim_server;
use common::{client, get_json, wait_exit, wait_for};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SECRET: &str = "s3cr'et pass";

/// The binaries `cargo nextest run --workspace` built beside this test.
fn bin_dir() -> PathBuf {
    common::workers::worker_bin()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/run.sh")
}

/// A port `p` where `p..=p+n` were all free a moment ago (run.sh gives camera i port p+i).
fn free_run(n: u16) -> u16 {
    for _ in 0..200 {
        let base = common::free_port();
        let held: Vec<_> = (0..=n)
            .map_while(|i| {
                base.checked_add(i)
                    .and_then(|p| std::net::TcpListener::bind(("127.0.0.1", p)).ok())
            })
            .collect();
        if held.len() == usize::from(n) + 1 {
            return base;
        }
    }
    panic!("no {} consecutive free ports", n + 1);
}

/// run.sh in its own process group, its output to `log`.
fn start(streamers: &Path, port: u16, out: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new("bash")
        .arg(script())
        .args(["--streamers", streamers.to_str().unwrap()])
        .args([
            "--port",
            &port.to_string(),
            "--output",
            out.to_str().unwrap(),
        ])
        .env("METEOR_BIN_DIR", bin_dir())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .process_group(0)
        .spawn()
        .expect("starting scripts/run.sh")
}

/// Kills whatever is left of the group (only after a failed assertion). The `--` matters:
/// procps' kill reads a bare `-PGID` after the signal as something else and signals every
/// process it may.
struct Group(u32);
impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

fn listening(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_the_cameras_of_a_streamers_file_by_its_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let sim = tokio::task::spawn_blocking(|| sim_server(2, &[]))
        .await
        .unwrap();
    sky_mask::example::daytime_photo()
        .save(tmp.path().join("day.jpg"))
        .unwrap();
    let streamers = tmp.path().join("streamers");
    let cam1 = sim
        .url("/cam1")
        .replace("rtsp://", &format!("rtsp://viewer:{SECRET}@"));
    std::fs::write(
        &streamers,
        format!(
            "# the roof\n{cam1} | day.jpg | name=Roof East\n\n{}\n",
            sim.url("/cam2")
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let port = free_run(2);
    let log = tmp.path().join("run.log");
    let mut run = start(&streamers, port, &out, &log);
    let _group = Group(run.id());

    // The dashboard over both, each camera under the name compose would give it.
    let base = format!("http://127.0.0.1:{port}");
    let cams = wait_for(
        "both cameras detecting on the dashboard",
        Duration::from_secs(120),
        || async {
            let r = client()
                .get(format!("{base}/api/cameras"))
                .send()
                .await
                .ok()?;
            let v: Value = r.json().await.ok()?;
            let cams = v["cameras"].as_array()?.clone();
            (cams.len() == 2 && cams.iter().all(|c| c["state"] == "detecting")).then_some(cams)
        },
    )
    .await;
    let names: Vec<&str> = cams.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["camera1_127_0_0_1", "camera2_127_0_0_1"]);
    assert_eq!(cams[0]["display_name"], "Roof East");
    // Without `name=` the dashboard shows the camera's name.
    assert_eq!(cams[1]["display_name"], "camera2_127_0_0_1");

    // Camera 1 runs with the mask built from its photo, camera 2 with none.
    let mask = out.join("masks/camera1_127_0_0_1.png");
    assert!(mask.is_file(), "no mask at {}", mask.display());
    let (_, s1) = get_json(&format!("http://127.0.0.1:{}/stats", port + 1)).await;
    assert_eq!(s1["camera"], "camera1_127_0_0_1");
    assert_eq!(s1["settings"]["mask"], json!(mask.to_str().unwrap()));
    assert_eq!(s1["settings"]["mask_source"], "environment");
    assert!(s1["url"].as_str().unwrap().contains("viewer:***@"), "{s1}");
    let (_, s2) = get_json(&format!("http://127.0.0.1:{}/stats", port + 2)).await;
    assert_eq!(s2["settings"]["mask"], Value::Null);
    assert!(out.join("detections/camera1_127_0_0_1").is_dir());

    // The table holding the passwords is private; nothing else shows them.
    let table = out.join("cameras.tsv");
    let mode = std::fs::metadata(&table).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let (_, all) = get_json(&format!("{base}/api/cameras")).await;
    for text in [
        all.to_string(),
        s1.to_string(),
        std::fs::read_to_string(&log).unwrap(),
        std::fs::read_to_string(out.join("camera1_127_0_0_1.log")).unwrap(),
        std::fs::read_to_string(out.join("dashboard.log")).unwrap(),
    ] {
        assert!(!text.contains("s3cr"), "a password shows: {text}");
    }

    // TERM stops the script and everything it started.
    Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    let status = wait_exit(&mut run, Duration::from_secs(30)).expect("run.sh to stop");
    assert_eq!(status.code(), Some(143));
    for p in port..=port + 2 {
        assert!(!listening(p), "port {p} still answers after run.sh stopped");
    }
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("camera1_127_0_0_1 (Roof East): http://127.0.0.1:"),
        "{log_text}"
    );
    assert!(!log_text.contains("a process ended"), "{log_text}");
    drop(sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_line_stops_it_before_anything_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let streamers = tmp.path().join("streamers");
    std::fs::write(
        &streamers,
        format!("rtsp://viewer:{SECRET}@127.0.0.1:1/a\nhttp://viewer:{SECRET}@10.0.0.2/b\n"),
    )
    .unwrap();
    let port = free_run(2);
    let log = tmp.path().join("run.log");
    let mut run = start(&streamers, port, &tmp.path().join("out"), &log);
    let _group = Group(run.id());
    let status = wait_exit(&mut run, Duration::from_secs(60)).expect("run.sh to stop");
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("{}:2: ", streamers.display())),
        "the error names the file and line: {text}"
    );
    assert!(!text.contains("s3cr"), "a password shows: {text}");
    assert!(!text.contains("dashboard:"), "{text}");
    for p in port..=port + 2 {
        assert!(!listening(p), "port {p} answers: something started");
    }

    // Prebuilt binaries that are not all there: named before anything starts.
    let empty = tmp.path().join("bin");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::new("bash")
        .arg(script())
        .args(["--streamers", streamers.to_str().unwrap()])
        .env("METEOR_BIN_DIR", &empty)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "METEOR_BIN_DIR: no program camera-worker in {}",
            empty.display()
        )),
        "{text}"
    );
}
