//! Keeping up with the workers. Each camera has two tasks of its own, so a slow or dead
//! worker never delays another camera or a page:
//!
//! * the stats poller asks `/stats` every `POLL_INTERVAL` (bounded by `REQUEST_TIMEOUT`) and
//!   records the answer or why there was none;
//! * the detection reader follows `/detections`: incrementally (records since the newest known,
//!   with an overlap for events written late) whenever /stats shows something new, and in full
//!   every `RESYNC_INTERVAL`, or sooner when the counts disagree (a deletion made elsewhere).

use crate::cache::Entry;
use crate::state::{iso, App, Camera};
use crate::worker::WorkerError;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

/// Records this much older than the newest known are read again incrementally: a long event
/// may be written after a short one that started later.
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// Records a page of `/detections` asks for (the API's maximum).
const PAGE: usize = 1000;

/// Starts both tasks of every camera.
pub fn spawn(app: &Arc<App>) {
    for cam in &app.cameras {
        tokio::spawn(poll_stats(app.clone(), cam.clone()));
        tokio::spawn(read_detections(app.clone(), cam.clone()));
    }
}

async fn poll_stats(app: Arc<App>, cam: Arc<Camera>) {
    let mut tick = tokio::time::interval(app.config.poll_interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        poll_once(&app, &cam).await;
    }
}

/// One poll of a worker's /stats.
pub async fn poll_once(app: &App, cam: &Camera) {
    let t0 = Instant::now();
    let res = app
        .client
        .get_json(&cam.url, "/stats", app.config.request_timeout)
        .await
        .and_then(|v| match v {
            Value::Object(_) => Ok(v),
            _ => Err(WorkerError::BadBody("/stats is not a JSON object".into())),
        });
    let now = Utc::now();
    let mut wake = false;
    {
        let mut s = cam.status_mut();
        s.polls += 1;
        s.last_poll = Some(now);
        s.poll_seconds = t0.elapsed().as_secs_f64();
        match res {
            Ok(v) => {
                if s.reachable != Some(true) {
                    tracing::info!(camera = %cam.name, "worker answers");
                    wake = true;
                }
                wake |= announces_new(&v, cam);
                s.reachable = Some(true);
                s.error = None;
                s.down_since = None;
                s.last_seen = Some(now);
                s.last_seen_at = Some(Instant::now());
                s.stats = Some(v);
            }
            Err(e) => {
                if s.reachable != Some(false) {
                    tracing::warn!(camera = %cam.name, error = %e, "worker does not answer");
                    s.down_since = Some(now);
                }
                s.reachable = Some(false);
                s.error = Some(e.to_string());
                s.poll_failures += 1;
            }
        }
    }
    if wake {
        cam.wake.notify_one();
    }
}

/// Whether /stats shows records the cache does not have: another count, or a newest record
/// unknown or labelled differently.
fn announces_new(stats: &Value, cam: &Camera) -> bool {
    let cache = cam.cache();
    if !cache.synced {
        return true;
    }
    let count_differs = stats["detections"]["total"]
        .as_u64()
        .is_some_and(|n| n as usize != cache.len());
    let last = &stats["last_detection"];
    let newest_differs = last["id"].as_str().is_some_and(|id| match cache.get(id) {
        None => true,
        Some(e) => e.label.as_deref() != last["label"].as_str().filter(|l| *l != "none"),
    });
    count_differs || newest_differs
}

async fn read_detections(app: Arc<App>, cam: Arc<Camera>) {
    let resync = app.config.resync_interval;
    // A full read because the counts disagree, at most this often.
    let mismatch_gap = app.config.poll_interval * 3;
    loop {
        let due = {
            let c = cam.cache();
            c.last_full
                .map_or(Duration::ZERO, |t| resync.saturating_sub(t.elapsed()))
        };
        tokio::select! {
            _ = cam.wake.notified() => {}
            _ = tokio::time::sleep(due.max(Duration::from_millis(100))) => {}
        }
        if !cam.online() {
            continue;
        }
        let (full, since) = {
            let c = cam.cache();
            let full = !c.synced || c.last_full.is_none_or(|t| t.elapsed() >= resync);
            (full, c.newest_start().map(|t| t - OVERLAP))
        };
        let ok = read_once(&app, &cam, full, if full { None } else { since }).await;
        if ok && !full && counts_disagree(&cam) {
            let recent = cam
                .cache()
                .last_full
                .is_some_and(|t| t.elapsed() < mismatch_gap);
            if !recent {
                tracing::info!(camera = %cam.name, "detection counts disagree: reading all");
                read_once(&app, &cam, true, None).await;
            }
        }
    }
}

/// The worker's count (from the last /stats) differs from the cache's.
fn counts_disagree(cam: &Camera) -> bool {
    let total = cam
        .status()
        .stats
        .as_ref()
        .and_then(|s| s["detections"]["total"].as_u64());
    total.is_some_and(|n| n as usize != cam.cache().len())
}

/// One read of the worker's records into the cache; false when it failed.
pub async fn read_once(app: &App, cam: &Camera, full: bool, since: Option<DateTime<Utc>>) -> bool {
    cam.cache_mut().begin_read();
    // A full read lists newest first: past the records kept whole, only the filters' fields
    // are kept from the start, so a read never holds every record's text at once.
    let keep = if full { cam.cache().keep() } else { None };
    match fetch(app, cam, since, keep).await {
        Ok(entries) => {
            let n = entries.len();
            let mut c = cam.cache_mut();
            if full {
                c.finish_full(entries);
            } else {
                c.finish_incremental(entries);
            }
            tracing::debug!(camera = %cam.name, full, read = n, cached = c.len(), "detections read");
            true
        }
        Err(e) => {
            tracing::warn!(camera = %cam.name, error = %e, "cannot read detections");
            cam.cache_mut().abort_read(e.to_string());
            false
        }
    }
}

/// A page of `GET /detections`, its records left as text.
#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(default)]
    total: usize,
    #[serde(borrow)]
    detections: Vec<&'a serde_json::value::RawValue>,
}

/// Every record (since `since`), page by page; past the first `keep`, without their text.
async fn fetch(
    app: &App,
    cam: &Camera,
    since: Option<DateTime<Utc>>,
    keep: Option<usize>,
) -> Result<Vec<Entry>, WorkerError> {
    let timeout = (app.config.request_timeout * 5).max(Duration::from_secs(10));
    let since = since
        .map(|t| format!("&since={}", crate::worker::segment(&iso(t))))
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut offset = 0usize;
    loop {
        let path = format!("/detections?limit={PAGE}&offset={offset}{since}");
        let body = app.client.get_bytes(&cam.url, &path, timeout).await?;
        let page: Page = serde_json::from_slice(&body)
            .map_err(|e| WorkerError::BadBody(format!("/detections: {e}")))?;
        let n = page.detections.len();
        for raw in page.detections {
            let whole = keep.is_none_or(|k| out.len() < k);
            out.extend(Entry::from_raw(raw, whole));
        }
        let total = page.total;
        offset += n;
        if n == 0 || offset >= total {
            return Ok(out);
        }
    }
}
