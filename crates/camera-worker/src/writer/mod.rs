//! The event writer: a thread that turns each finished meteor into its files and record.
//! It waits until the pre-roll ring holds the post-roll, cuts the clip, decodes the event
//! for the composites and appends the record last, so a record never names a missing file.
//! Detection never waits for it: events reach it over a bounded queue.

use crate::classify::Features;
use crate::ring::SharedRing;
use crate::store::Store;
use crate::{clip, composite};
use chrono::{DateTime, SecondsFormat, Utc};
use meteor_core::Detection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A meteor the detector finished, on the source's timeline.
#[derive(Debug, Clone)]
pub struct Event {
    pub features: Features,
    pub confidence: f64,
    /// PTS of the first and last frame the meteor was seen in.
    pub start_ns: u64,
    pub end_ns: u64,
    /// Seconds from the start of the source.
    pub start_offset_s: f64,
    /// Wall-clock time of the first frame.
    pub start_time: DateTime<Utc>,
    /// `[offset_s, x, y]` per sighting.
    pub track: Vec<[f64; 3]>,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone)]
pub struct WriterConfig {
    pub camera: String,
    pub sensitivity: String,
    pub clips: bool,
    pub clip_before_s: f64,
    pub clip_after_s: f64,
    /// How long to wait for the post-roll to arrive before cutting the clip short.
    pub post_roll_timeout: Duration,
    /// Events that may wait for the writer. A file is read only as fast as its events are
    /// written (a small queue keeps the detector, and so the ring, close behind the writer);
    /// a camera never waits, so it gets room for a shower.
    pub queue: usize,
}

enum Msg {
    Event(Box<Event>),
    /// Answered once everything queued before it is written.
    Flush(SyncSender<()>),
}

/// Called with each record once it is on disk (the live worker's catalog listens here).
pub type OnWritten = Box<dyn FnMut(&Detection) + Send>;

pub struct Writer {
    tx: Option<SyncSender<Msg>>,
    handle: Option<JoinHandle<Vec<Detection>>>,
    queued: Arc<AtomicUsize>,
    live: Arc<Mutex<(bool, String)>>,
}

impl Writer {
    pub fn spawn(store: Store, ring: SharedRing, cfg: WriterConfig) -> Writer {
        Writer::spawn_with(store, ring, cfg, Box::new(|_| {}))
    }

    pub fn spawn_with(
        store: Store,
        ring: SharedRing,
        cfg: WriterConfig,
        on_written: OnWritten,
    ) -> Writer {
        let (tx, rx) = sync_channel(cfg.queue.max(1));
        let queued = Arc::new(AtomicUsize::new(0));
        let live = Arc::new(Mutex::new((cfg.clips, cfg.sensitivity.clone())));
        let (q, c) = (queued.clone(), live.clone());
        let handle = std::thread::Builder::new()
            .name(format!("writer-{}", cfg.camera))
            .spawn(move || serve(rx, store, ring, cfg, on_written, q, c))
            .expect("spawning the writer thread");
        Writer {
            tx: Some(tx),
            handle: Some(handle),
            queued,
            live,
        }
    }

    /// Settings changed live: clips on or off and the sensitivity recorded, for the events
    /// still to come.
    pub fn set_live(&self, clips: bool, sensitivity: &str) {
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = (clips, sensitivity.to_string());
    }

    /// Events queued or being written.
    pub fn depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Waits until every event queued so far is written, or `timeout` passes.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (done_tx, done_rx) = sync_channel(1);
        match self.tx.as_ref().map(|tx| tx.send(Msg::Flush(done_tx))) {
            Some(Ok(())) => done_rx.recv_timeout(timeout).is_ok(),
            _ => false,
        }
    }

    /// Queues an event; false when the queue is full (the event is logged and dropped).
    pub fn submit(&self, ev: Event) -> bool {
        match self
            .tx
            .as_ref()
            .map(|tx| tx.try_send(Msg::Event(Box::new(ev))))
        {
            Some(Ok(())) => {
                self.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            Some(Err(_)) => {
                tracing::error!("event writer queue full (the disk cannot keep up); event dropped");
                false
            }
            None => false,
        }
    }

    /// Queues an event, waiting for room (file mode: nothing is dropped, reading just slows).
    pub fn submit_wait(&self, ev: Event) {
        if let Some(tx) = self.tx.as_ref() {
            self.queued.fetch_add(1, Ordering::Relaxed);
            let _ = tx.send(Msg::Event(Box::new(ev)));
        }
    }

    /// Writes what is queued and returns every record written.
    pub fn finish(mut self) -> Vec<Detection> {
        self.tx.take();
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

fn serve(
    rx: Receiver<Msg>,
    store: Store,
    ring: SharedRing,
    cfg: WriterConfig,
    mut on_written: OnWritten,
    queued: Arc<AtomicUsize>,
    live: Arc<Mutex<(bool, String)>>,
) -> Vec<Detection> {
    let mut cfg = cfg;
    let mut written = Vec::new();
    for msg in rx {
        let ev = match msg {
            Msg::Event(ev) => ev,
            Msg::Flush(done) => {
                let _ = done.send(());
                continue;
            }
        };
        (cfg.clips, cfg.sensitivity) = live.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let result = write_event(&ev, &store, &ring, &cfg);
        queued.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(d) => {
                on_written(&d);
                tracing::info!(
                    camera = %cfg.camera,
                    n = written.len() + 1,
                    id = %d.id,
                    length_px = d.length_px.round(),
                    duration_s = d.duration_s,
                    confidence = d.confidence,
                    file = d.clip.as_deref().or(d.composite.as_deref()).unwrap_or("-"),
                    "meteor detected #{}", written.len() + 1
                );
                written.push(d);
            }
            Err(e) => {
                tracing::error!(camera = %cfg.camera, error = %e, "could not record a meteor")
            }
        }
    }
    written
}

/// `YYYYMMDD_HHMMSS_<8 hex>`: sortable by time, unique per camera and event.
pub fn event_id(camera: &str, start: DateTime<Utc>, start_ns: u64, xy: [f64; 2]) -> String {
    // FNV-1a: stable across runs and builds (std's hasher is not).
    let mut h: u64 = 0xcbf29ce484222325;
    let key = format!("{camera}|{start_ns}|{:.1}|{:.1}", xy[0], xy[1]);
    for b in key.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{}_{:08x}", start.format("%Y%m%d_%H%M%S"), (h >> 32) as u32)
}

fn write_event(
    ev: &Event,
    store: &Store,
    ring: &SharedRing,
    cfg: &WriterConfig,
) -> anyhow::Result<Detection> {
    let before = (cfg.clip_before_s * 1e9) as u64;
    let after = (cfg.clip_after_s * 1e9) as u64;
    // The last frame's PTS plus the post-roll; one more frame so the end is really there.
    let until = ev.end_ns + after;
    ring.wait_for(until + 40_000_000, cfg.post_roll_timeout);
    let aus = ring.slice(ev.start_ns.saturating_sub(before), until);
    let f = &ev.features;
    let id = event_id(&cfg.camera, ev.start_time, ev.start_ns, f.start_xy);
    let stem = format!("meteor_{id}");
    let duration = chrono::Duration::nanoseconds((ev.end_ns - ev.start_ns) as i64);
    let end_time = ev.start_time + duration;

    let mut clip_name = None;
    let mut clip_method = None;
    let mut clip_start = None;
    if cfg.clips {
        let name = format!("{stem}.mp4");
        match clip::write(&aus, &store.dir().join(&name)) {
            Ok(method) => {
                clip_start = Some(
                    ev.start_offset_s - (ev.start_ns as f64 - clip::origin_ns(&aus) as f64) / 1e9,
                );
                clip_name = Some(name);
                clip_method = Some(method.name().to_string());
            }
            Err(e) => {
                tracing::error!(camera = %cfg.camera, id = %id, error = %e, "clip not written")
            }
        }
    }

    let (mut comp, mut comp_orig) = (None, None);
    match composite::stack(&aus, ev.start_ns, ev.end_ns) {
        Ok(stacked) => {
            let points: Vec<[f64; 2]> = std::iter::once(f.start_xy)
                .chain(ev.track.iter().map(|p| [p[1], p[2]]))
                .chain(std::iter::once(f.end_xy))
                .collect();
            let caption = format!(
                "{}  {}  {:.2} s  conf {:.2}",
                cfg.camera,
                ev.start_time.to_rfc3339_opts(SecondsFormat::Millis, true),
                f.duration_s,
                ev.confidence
            );
            let orig_name = format!("{stem}_composite_original.jpg");
            let name = format!("{stem}_composite.jpg");
            let marked = composite::annotate(&stacked, &points, &caption)?;
            crate::store::write_bytes(&store.dir().join(&orig_name), &composite::jpeg(&stacked)?)?;
            crate::store::write_bytes(&store.dir().join(&name), &composite::jpeg(&marked)?)?;
            comp = Some(name);
            comp_orig = Some(orig_name);
        }
        Err(e) => {
            tracing::error!(camera = %cfg.camera, id = %id, error = %e, "composite not written")
        }
    }

    let d = Detection {
        id,
        camera: cfg.camera.clone(),
        start_time: ev.start_time,
        end_time,
        start_offset_s: round3(ev.start_offset_s),
        end_offset_s: round3(ev.start_offset_s + duration.as_seconds_f64()),
        duration_s: round3(f.duration_s),
        start_xy: [f.start_xy[0].round(), f.start_xy[1].round()],
        end_xy: [f.end_xy[0].round(), f.end_xy[1].round()],
        length_px: round1(f.length_px),
        speed_px_s: round1(f.speed_px_s),
        peak_brightness: round1(f.peak_brightness),
        peak_snr: round1(f.peak_snr),
        confidence: ev.confidence,
        sensitivity: cfg.sensitivity.clone(),
        frames: f.frames,
        width: ev.width,
        height: ev.height,
        clip: clip_name,
        clip_method,
        clip_start_offset_s: clip_start.map(round3),
        composite: comp,
        composite_original: comp_orig,
        track: ev
            .track
            .iter()
            .map(|p| [round3(p[0]), round1(p[1]), round1(p[2])])
            .collect(),
    };
    store.append(&d)?;
    Ok(d)
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
