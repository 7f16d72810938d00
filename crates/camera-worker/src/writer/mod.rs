//! The event writer: a thread that turns each finished meteor into its files and record.
//! It waits until the pre-roll ring holds the post-roll, cuts the clip, decodes the event
//! for the composites and appends the record last, so a record never names a missing file.
//! Detection never waits for it: events reach it over a bounded queue.
//!
//! Durability: file writes are retried with backoff (`files`); a full disk skips an event's
//! files but keeps its record; a record that cannot be appended waits in memory and is
//! retried every few seconds, so writing resumes by itself when space returns. Counters for
//! all of it are in [`WriterStats`] (the worker's /metrics).

mod files;

pub use files::{event_id, Durability};

use crate::classify::Features;
use crate::ring::SharedRing;
use crate::store::Store;
use chrono::{DateTime, Utc};
use meteor_core::Detection;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
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
    pub durability: Durability,
}

/// What the writer has done, for /metrics and the self-checks.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Records appended.
    pub written: AtomicU64,
    /// File writes attempted again after an I/O error.
    pub retries: AtomicU64,
    /// File writes given up after their retries.
    pub errors: AtomicU64,
    /// Event files not written (disk full or failed writes); their records are kept.
    pub files_skipped: AtomicU64,
    /// Events dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Records waiting in memory for the disk to take them.
    pub records_pending: AtomicUsize,
}

/// Records held in memory at most while the disk refuses them (about 1 KB each).
const MAX_PENDING: usize = 10_000;
/// How often records held in memory are offered to the disk again.
const PENDING_RETRY: Duration = Duration::from_secs(5);

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
    capacity: usize,
    stats: Arc<WriterStats>,
    live: Arc<Mutex<(bool, String)>>,
}

impl Writer {
    /// A writer whose records [`Writer::finish`] returns (file mode).
    pub fn spawn(store: Store, ring: SharedRing, cfg: WriterConfig) -> Writer {
        Writer::start(store, ring, cfg, Box::new(|_| {}), true)
    }

    /// A writer that hands each record to `on_written` and keeps none (a live worker runs
    /// for months: its records live in the catalog, not twice in memory).
    pub fn spawn_with(
        store: Store,
        ring: SharedRing,
        cfg: WriterConfig,
        on_written: OnWritten,
    ) -> Writer {
        Writer::start(store, ring, cfg, on_written, false)
    }

    fn start(
        store: Store,
        ring: SharedRing,
        cfg: WriterConfig,
        on_written: OnWritten,
        keep: bool,
    ) -> Writer {
        let capacity = cfg.queue.max(1);
        let (tx, rx) = sync_channel(capacity);
        let queued = Arc::new(AtomicUsize::new(0));
        let stats = Arc::new(WriterStats::default());
        let live = Arc::new(Mutex::new((cfg.clips, cfg.sensitivity.clone())));
        let ctx = Serve {
            store,
            ring,
            cfg: cfg.clone(),
            on_written,
            queued: queued.clone(),
            stats: stats.clone(),
            live: live.clone(),
            pending: VecDeque::new(),
            written: Vec::new(),
            keep,
            count: 0,
        };
        let handle = std::thread::Builder::new()
            .name(format!("writer-{}", cfg.camera))
            .spawn(move || ctx.run(rx))
            .expect("spawning the writer thread");
        Writer {
            tx: Some(tx),
            handle: Some(handle),
            queued,
            capacity,
            stats,
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

    /// Events the queue holds at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
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
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
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

    /// Writes what is queued and returns every record written (none for [`Writer::spawn_with`]).
    pub fn finish(mut self) -> Vec<Detection> {
        self.tx.take();
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

/// The writer thread's state.
struct Serve {
    store: Store,
    ring: SharedRing,
    cfg: WriterConfig,
    on_written: OnWritten,
    queued: Arc<AtomicUsize>,
    stats: Arc<WriterStats>,
    live: Arc<Mutex<(bool, String)>>,
    /// Records the disk refused, oldest first.
    pending: VecDeque<Detection>,
    /// Records written, when `keep`.
    written: Vec<Detection>,
    keep: bool,
    /// Records written so far (the log's #n).
    count: u64,
}

impl Serve {
    fn run(mut self, rx: Receiver<Msg>) -> Vec<Detection> {
        loop {
            let wait = if self.pending.is_empty() {
                Duration::from_secs(3600)
            } else {
                PENDING_RETRY
            };
            match rx.recv_timeout(wait) {
                Ok(Msg::Event(ev)) => {
                    (self.cfg.clips, self.cfg.sensitivity) =
                        self.live.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let d = files::write_event(
                        &ev,
                        &self.store,
                        &self.ring,
                        &self.cfg,
                        &self.cfg.durability,
                        &self.stats,
                    );
                    self.pending.push_back(d);
                    self.append_pending();
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    // glibc would keep what the event's decoding freed in its arenas, and
                    // the worker would stay at the size of its largest event all night
                    // (measured: +20 to +45 MB after the first composite of a 1080p stream).
                    crate::memory::release_free();
                }
                Ok(Msg::Flush(done)) => {
                    self.append_pending();
                    let _ = done.send(());
                }
                Err(RecvTimeoutError::Timeout) => self.append_pending(),
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.append_pending();
        for d in &self.pending {
            // The last place the record can survive: the log keeps it whole.
            let line = serde_json::to_string(d).unwrap_or_default();
            tracing::error!(camera = %self.cfg.camera, id = %d.id, record = %line, "record could not be written before exit");
        }
        self.written
    }

    /// Appends held records in order until the disk refuses one.
    fn append_pending(&mut self) {
        while let Some(d) = self.pending.front() {
            if let Err(e) = self.store.append(d) {
                let held = self.pending.len();
                tracing::error!(camera = %self.cfg.camera, id = %d.id, error = %e, held, "record not written; kept in memory and retried every 5 s");
                while self.pending.len() > MAX_PENDING {
                    if let Some(lost) = self.pending.pop_front() {
                        let line = serde_json::to_string(&lost).unwrap_or_default();
                        tracing::error!(camera = %self.cfg.camera, record = %line, "too many records held in memory; oldest given to the log");
                    }
                }
                break;
            }
            let d = self.pending.pop_front().expect("front exists");
            self.stats.written.fetch_add(1, Ordering::Relaxed);
            (self.on_written)(&d);
            self.count += 1;
            let n = self.count;
            tracing::info!(
                camera = %self.cfg.camera,
                n,
                id = %d.id,
                length_px = d.length_px.round(),
                duration_s = d.duration_s,
                confidence = d.confidence,
                file = d.clip.as_deref().or(d.composite.as_deref()).unwrap_or("-"),
                "meteor detected #{n}"
            );
            if self.keep {
                self.written.push(d);
            }
        }
        self.stats
            .records_pending
            .store(self.pending.len(), Ordering::Relaxed);
    }
}
