//! `meteor-sim serve`: runs simulated RTSP cameras until Ctrl-C (or SIGTERM), printing each
//! camera's URL, and with `--truth-dir` writes each camera's loop truth
//! (`NAME.loop.truth.json`, and `NAME.switchK.loop.truth.json` for the loop served after its
//! K-th `switch=`) and appends every event it shows, with wall-clock start and end,
//! to `NAME.served.jsonl` once the event has ended.

use anyhow::{bail, Context, Result};
use meteor_sim::serve::{parse_auth_arg, CameraConfig, ServerConfig, SimServer};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct ServeArgs {
    pub port: u16,
    pub bind: String,
    pub cameras: Vec<String>,
    pub auth: Vec<String>,
    pub truth_dir: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> Result<()> {
    let mut cameras = Vec::new();
    for arg in &args.cameras {
        cameras.push(CameraConfig::from_arg(arg).map_err(anyhow::Error::msg)?);
    }
    for arg in &args.auth {
        let (mount, cred) = parse_auth_arg(arg).map_err(anyhow::Error::msg)?;
        match cameras.iter_mut().find(|c| c.mount == mount) {
            Some(c) => c.credentials = Some(cred),
            None => bail!("--auth {arg}: no camera `{mount}`"),
        }
    }
    let config = ServerConfig {
        bind: args.bind,
        port: args.port,
        cameras,
        cache_dir: args.cache_dir,
    };
    eprintln!("preparing {} camera loop(s)...", config.cameras.len());
    let server = Arc::new(SimServer::start(config).context("starting the RTSP server")?);
    for mount in server.mounts() {
        println!("{mount}: {}", server.url(&mount));
    }
    let done = Arc::new(AtomicBool::new(false));
    let writer = match &args.truth_dir {
        Some(dir) => Some(start_truth_log(&server, dir, done.clone())?),
        None => None,
    };
    wait_for_signal()?;
    eprintln!("stopping");
    done.store(true, Ordering::SeqCst);
    if let Some(w) = writer {
        w.join()
            .map_err(|_| anyhow::anyhow!("the truth log thread panicked"))??;
    }
    server.stop();
    Ok(())
}

/// Blocks until SIGINT (Ctrl-C) or SIGTERM.
fn wait_for_signal() -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    })?;
    Ok(())
}

fn file_name(mount: &str) -> String {
    mount.trim_start_matches('/').replace('/', "_")
}

/// Writes the loop truths, then a thread appending served events once a second (and once
/// more when `done` is set).
fn start_truth_log(
    server: &Arc<SimServer>,
    dir: &Path,
    done: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<Result<()>>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut logs = Vec::new();
    for mount in server.mounts() {
        let name = file_name(&mount);
        for (k, (_, truth)) in server.segments(&mount)?.iter().enumerate() {
            let path = match k {
                0 => dir.join(format!("{name}.loop.truth.json")),
                k => dir.join(format!("{name}.switch{k}.loop.truth.json")),
            };
            std::fs::write(&path, serde_json::to_string_pretty(truth)? + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let path = dir.join(format!("{name}.served.jsonl"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        eprintln!("{mount}: truth log {}", path.display());
        logs.push((mount, file));
    }
    let server = server.clone();
    let mut since = chrono::Utc::now();
    Ok(std::thread::spawn(move || -> Result<()> {
        loop {
            let last = done.load(Ordering::SeqCst);
            let now = chrono::Utc::now();
            for (mount, file) in &mut logs {
                let mut text = String::new();
                for e in server.truth_until(mount, now)? {
                    if e.end > since {
                        text += &(serde_json::to_string(&e)? + "\n");
                    }
                }
                file.write_all(text.as_bytes())?;
                file.flush()?;
            }
            since = now;
            if last {
                return Ok(());
            }
            for _ in 0..10 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }))
}
