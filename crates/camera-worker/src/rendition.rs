//! Browser renditions: an H.264 copy of each H.265 clip (`meteor_<id>_browser.mp4`, at most
//! 1280 wide), because Chromium and Firefox on Linux cannot play HEVC. The clip itself stays
//! the untouched remux; this module owns the copy, its queue, and how readers learn of it.
//!
//! Off the detection path, and cheap for it:
//! * one transcode at a time per worker, in a child process (`camera-worker rendition`) that
//!   lowers its own priority to nice 19 before GStreamer starts any thread. Niceness is per
//!   thread on Linux and GStreamer reuses pooled threads across pipelines, so lowering it
//!   inside the worker could leak a niced thread into ingest (or leave part of the
//!   transcode at full priority); a child cannot. Its CPU time is reported exactly, too.
//! * a bounded queue: when a shower fills it, the event is dropped with a WARN and a counter,
//!   and its rendition is made on the first request for it instead (then cached).
//!
//! How readers learn of it: the record line is appended once, before the rendition exists
//! (making it first would hold every later record behind a niced transcode), so when the file
//! is on disk (written atomically) an `annotations.jsonl` line `{"clip_browser": name}` is
//! appended and the catalog lays it over the record. A crash between the two leaves a file
//! without its line; the first request for it then finds the file and serves it.

use crate::catalog::Catalog;
use crate::clip::ClipMethod;
use crate::ring::Au;
use meteor_core::Detection;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Events waiting for a background rendition at most (a shower beyond it is made on request).
pub const QUEUE: usize = 4;
/// Renditions asked for by pages that may wait at most, on top of the background ones.
const URGENT: usize = 16;
/// A transcode that takes longer is killed (a 30 s 1080p clip takes a few seconds).
const TIMEOUT: Duration = Duration::from_secs(300);
/// Widest rendition: enough to see a meteor, and cheap to encode.
pub const MAX_WIDTH: u32 = 1280;

/// The record's `clip_codec`: `H.264`, `H.265` (as /stats names them) or the caps' name.
pub fn clip_codec(method: ClipMethod, aus: &[Au]) -> String {
    let name = aus
        .first()
        .and_then(|a| a.caps.structure(0).map(|s| s.name().to_string()))
        .unwrap_or_default();
    match (method, name.as_str()) {
        (ClipMethod::Encoded, _) | (_, "video/x-h264") => "H.264".into(),
        (_, "video/x-h265") => "H.265".into(),
        (_, other) => other.to_string(),
    }
}

/// The rendition's size: the source's, at most [`MAX_WIDTH`] wide, even (x264 needs it).
pub fn rendition_size(width: u32, height: u32) -> (u32, u32) {
    let (w, h) = if width > MAX_WIDTH {
        (
            MAX_WIDTH,
            (height as f64 * MAX_WIDTH as f64 / width as f64).round() as u32,
        )
    } else {
        (width, height)
    };
    ((w & !1).max(2), (h & !1).max(2))
}

/// Counters for /metrics.
#[derive(Debug, Default)]
pub struct RenditionStats {
    pub made: AtomicU64,
    pub dropped: AtomicU64,
    pub failed: AtomicU64,
    /// Waiting or being made.
    pub queued: AtomicUsize,
    /// Wall and CPU time of the transcodes, in milliseconds.
    pub wall_ms: AtomicU64,
    pub cpu_ms: AtomicU64,
    /// Seconds of clip transcoded, in milliseconds (CPU per clip second = cpu / clip).
    pub clip_ms: AtomicU64,
}

struct Job {
    id: String,
    clip: String,
    width: u32,
    height: u32,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    running: Option<String>,
    /// Requests waiting for a rendition, by id: told whether the file now exists.
    waiters: HashMap<String, Vec<tokio::sync::oneshot::Sender<bool>>>,
}

/// The worker's rendition queue and its one transcoding thread.
pub struct Renditions {
    dir: PathBuf,
    exe: PathBuf,
    camera: String,
    catalog: Arc<Mutex<Catalog>>,
    state: Mutex<State>,
    wake: Condvar,
    pub stats: RenditionStats,
}

impl Renditions {
    /// Starts the thread; `exe` is the camera-worker binary that runs `rendition`.
    pub fn spawn(
        camera: &str,
        dir: &Path,
        exe: PathBuf,
        catalog: Arc<Mutex<Catalog>>,
    ) -> Arc<Renditions> {
        let r = Arc::new(Renditions {
            dir: dir.to_path_buf(),
            exe,
            camera: camera.to_string(),
            catalog,
            state: Mutex::default(),
            wake: Condvar::new(),
            stats: RenditionStats::default(),
        });
        let worker = r.clone();
        std::thread::Builder::new()
            .name(format!("rendition-{camera}"))
            .spawn(move || worker.run())
            .expect("spawning the rendition thread");
        r
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues the rendition of a record just written, if its clip needs one. Never blocks.
    pub fn submit(&self, d: &Detection) {
        if !d.needs_browser_clip() {
            return;
        }
        let mut st = self.lock();
        if st.queue.len() >= QUEUE {
            drop(st);
            self.stats.dropped.fetch_add(1, Relaxed);
            tracing::warn!(camera = %self.camera, id = %d.id, queue = QUEUE, "rendition queue full; the browser clip will be made when first asked for");
            return;
        }
        st.queue.push_back(job(d));
        self.stats.queued.store(queued(&st), Relaxed);
        self.wake.notify_one();
    }

    /// Makes the rendition now (ahead of the background ones) and waits for it; true when
    /// the file exists. For the first request of a rendition that was dropped or lost.
    pub async fn request(&self, d: &Detection) -> bool {
        let path = self.dir.join(d.browser_clip_name());
        if path.is_file() {
            return true;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut st = self.lock();
            let known = st.running.as_deref() == Some(d.id.as_str())
                || st.queue.iter().any(|j| j.id == d.id);
            if !known {
                if st.queue.len() >= QUEUE + URGENT {
                    return false;
                }
                st.queue.push_front(job(d));
            } else if let Some(i) = st.queue.iter().position(|j| j.id == d.id) {
                let j = st.queue.remove(i).expect("position is in range");
                st.queue.push_front(j);
            }
            st.waiters.entry(d.id.clone()).or_default().push(tx);
            self.stats.queued.store(queued(&st), Relaxed);
            self.wake.notify_one();
        }
        tokio::time::timeout(TIMEOUT + Duration::from_secs(10), rx)
            .await
            .is_ok_and(|r| r.unwrap_or(false))
    }

    fn run(&self) {
        loop {
            let job = {
                let mut st = self.lock();
                loop {
                    if let Some(j) = st.queue.pop_front() {
                        st.running = Some(j.id.clone());
                        break j;
                    }
                    st = self.wake.wait(st).unwrap_or_else(|p| p.into_inner());
                }
            };
            let ok = self.make(&job);
            let mut st = self.lock();
            st.running = None;
            for w in st.waiters.remove(&job.id).unwrap_or_default() {
                let _ = w.send(ok);
            }
            self.stats.queued.store(queued(&st), Relaxed);
        }
    }

    /// Transcodes one clip (unless a crash left it made) and annotates its record.
    fn make(&self, job: &Job) -> bool {
        let name = format!("meteor_{}_browser.mp4", job.id);
        let out = self.dir.join(&name);
        if !out.is_file() {
            let t = Instant::now();
            let (w, h) = rendition_size(job.width, job.height);
            match run_child(&self.exe, &self.dir.join(&job.clip), &out, w, h) {
                Ok((cpu_s, clip_s)) => {
                    let wall = t.elapsed().as_secs_f64();
                    self.stats.made.fetch_add(1, Relaxed);
                    self.stats.wall_ms.fetch_add((wall * 1e3) as u64, Relaxed);
                    self.stats.cpu_ms.fetch_add((cpu_s * 1e3) as u64, Relaxed);
                    self.stats.clip_ms.fetch_add((clip_s * 1e3) as u64, Relaxed);
                    tracing::info!(camera = %self.camera, id = %job.id, file = %name, wall_s = format!("{wall:.2}"), cpu_s = format!("{cpu_s:.2}"), clip_s = format!("{clip_s:.2}"), "browser rendition made");
                }
                Err(e) => {
                    self.stats.failed.fetch_add(1, Relaxed);
                    tracing::error!(camera = %self.camera, id = %job.id, error = %e, "browser rendition failed");
                    return false;
                }
            }
        }
        let noted = self
            .catalog
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_browser_clip(&job.id, &name);
        match noted {
            Ok(true) => true,
            Ok(false) => {
                // Deleted or pruned while it was being made: no orphan file.
                let _ = std::fs::remove_file(&out);
                false
            }
            Err(e) => {
                // The file serves anyway; the next request finds it.
                tracing::warn!(camera = %self.camera, id = %job.id, error = %e, "rendition made but not noted");
                true
            }
        }
    }
}

fn job(d: &Detection) -> Job {
    Job {
        id: d.id.clone(),
        clip: d.clip.clone().unwrap_or_default(),
        width: d.width,
        height: d.height,
    }
}

fn queued(st: &State) -> usize {
    st.queue.len() + usize::from(st.running.is_some())
}

/// Runs `camera-worker rendition` and returns the CPU seconds and clip seconds it reported.
fn run_child(exe: &Path, input: &Path, out: &Path, w: u32, h: u32) -> anyhow::Result<(f64, f64)> {
    let child = Command::new(exe)
        .arg("rendition")
        .arg(input)
        .arg(out)
        .args(["--width", &w.to_string(), "--height", &h.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting {}: {e}", exe.display()))?;
    // Read on another thread: a child that writes much to stderr must not block on a full
    // pipe while this one waits for it.
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(TIMEOUT) {
        Ok(o) => o?,
        Err(_) => {
            // SAFETY: kill(2) on the child's pid, which is not reaped while it still runs.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            anyhow::bail!("transcode killed after {TIMEOUT:?}");
        }
    };
    let status = output.status;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::bail!("transcode exited with {status}: {}", stderr.trim());
    }
    let report: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    let num = |k: &str| report[k].as_f64().unwrap_or(0.0);
    Ok((num("cpu_s"), num("clip_s")))
}

/// For `GET /files/{name}` when the file is missing: makes the browser rendition `name`
/// names, if its record wants one; true when the file now exists.
pub async fn make_on_request(sh: &crate::live::Shared, name: &str) -> bool {
    let Some(id) = name
        .strip_prefix("meteor_")
        .and_then(|n| n.strip_suffix("_browser.mp4"))
    else {
        return false;
    };
    let record = sh.catalog.lock().unwrap_or_else(|p| p.into_inner()).get(id);
    match record {
        Some(l) if !l.pruned && l.detection.needs_browser_clip() => {
            sh.renditions.request(&l.detection).await
        }
        _ => false,
    }
}

mod child;
pub use child::{transcode, RenditionCmd};

#[cfg(test)]
mod tests;
