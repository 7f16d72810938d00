//! One long-lived streamer per camera (as Moonfire NVR has): open the source, run its frames
//! through the engine, and when the camera refuses, drops or stalls, start over after an
//! exponential backoff (1 s doubling to 30 s). Each connection gets a fresh engine and an
//! empty ring: its timestamps start a new timeline, and the detector's warm-up keeps the
//! burst of frames after a reconnect from turning into events.

use super::settings::Effective;
use super::status::DetectionState;
use super::Shared;
use crate::engine::Engine;
use crate::ingest::{Opener, Shrink, StreamEvent};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A connection that delivered frames this long counts as healthy: the next failure starts
/// the backoff from the beginning.
const HEALTHY_AFTER: Duration = Duration::from_secs(10);
const SUMMARY_EVERY: Duration = Duration::from_secs(3600);
const WINDOW_CHECK_EVERY: Duration = Duration::from_secs(1);
/// Tracks of this many frames hold a shutdown until they end (shorter ones are noise).
const DRAIN_MIN_POINTS: usize = 3;
/// The longest a shutdown waits for the event in progress and its post-roll, well inside
/// compose's 30 s stop grace period (the writer then needs a few seconds more).
const DRAIN_MAX: Duration = Duration::from_secs(12);

pub struct Streamer {
    pub opener: Box<dyn Opener>,
    pub shared: Arc<Shared>,
    pub stream_timeout: Duration,
}

/// Why one connection ended.
enum End {
    Shutdown,
    Lost(String),
}

impl Streamer {
    /// Runs until shutdown is requested.
    pub fn run(self) {
        let sh = &self.shared;
        let mut backoff = BACKOFF_MIN;
        let mut attempts = 0u64;
        let mut next_summary = Instant::now() + SUMMARY_EVERY;
        while !sh.shutdown.load(Ordering::Relaxed) {
            let started = Instant::now();
            let (end, delivered) = self.connection(attempts > 0, &mut next_summary);
            self.opener.connection_ended(delivered);
            attempts += 1;
            let End::Lost(reason) = end else { break };
            if sh.shutdown.load(Ordering::Relaxed) {
                // Stopping anyway: no reconnect to announce.
                tracing::info!(camera = %sh.camera, reason = %reason, "stream ended while stopping");
                break;
            }
            if started.elapsed() > HEALTHY_AFTER {
                backoff = BACKOFF_MIN;
            }
            tracing::warn!(
                camera = %sh.camera,
                reason = %reason,
                retry_in_s = backoff.as_secs(),
                "stream lost; reconnecting in {} s",
                backoff.as_secs()
            );
            sh.status.lost(reason);
            if sleep_unless_shutdown(sh, backoff) {
                break;
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
        tracing::info!(camera = %sh.camera, "streamer stopped");
    }

    /// Follows one connection until it ends; also says whether it gave any frame.
    fn connection(&self, reconnect: bool, next_summary: &mut Instant) -> (End, bool) {
        let sh = &self.shared;
        sh.ring.clear();
        // Frames are shrunk for the detector as they are decoded; kept whole only for viewers.
        let shrink = Shrink::new(sh.settings().params.scale);
        shrink.keep_full(sh.preview.active());
        let stream = match self.opener.open(sh.ring.clone(), true, shrink.clone()) {
            Ok(s) => s,
            Err(e) => return (End::Lost(e.to_string()), false),
        };
        sh.status.connecting(reconnect);
        let mut engine: Option<(Engine, u64)> = None;
        let mut first = true;
        let mut window: Option<(Instant, bool)> = None;
        // Packets lost on this connection at the last check.
        let mut lost_seen = 0u64;
        // On shutdown: when the last event in progress ended, and the deadline.
        let mut drain: Option<(Option<Instant>, Instant)> = None;
        let post_roll = Duration::from_secs_f64(sh.settings().params.clip_after_s as f64 + 0.2);
        let end = loop {
            if sh.shutdown.load(Ordering::Relaxed) {
                // Finish the event in progress: keep reading until no track is left and the
                // post-roll of the last one is in the ring, or the deadline.
                let now = Instant::now();
                let (idle_since, deadline) = drain.get_or_insert_with(|| (None, now + DRAIN_MAX));
                let busy = engine
                    .as_ref()
                    .is_some_and(|(e, _)| e.tracking(DRAIN_MIN_POINTS) > 0);
                if busy {
                    *idle_since = None;
                } else if idle_since.is_none() {
                    *idle_since = Some(now);
                }
                if busy && now + DRAIN_MAX == *deadline {
                    tracing::info!(camera = %sh.camera, "stopping after the event in progress");
                }
                if now >= *deadline || idle_since.is_some_and(|t| now - t >= post_roll) {
                    break End::Shutdown;
                }
            }
            let frame = match stream.next(self.stream_timeout) {
                Some(StreamEvent::Frame(f)) => f,
                Some(StreamEvent::Eos) => break End::Lost("the camera ended the stream".into()),
                Some(StreamEvent::Error(e)) => break End::Lost(e),
                None => {
                    break End::Lost(format!(
                        "no frame for {} s",
                        self.stream_timeout.as_secs_f64()
                    ))
                }
            };
            // The codec is known once the stream is linked; asking once keeps a lock and a
            // string copy off every frame.
            let codec = if first { self.opener.codec() } else { None };
            if first {
                first = false;
                tracing::info!(
                    camera = %sh.camera,
                    url = %self.opener.describe(),
                    width = frame.width,
                    height = frame.height,
                    fps = frame.fps,
                    codec = codec.as_deref().unwrap_or("?"),
                    "connected {}x{} @ {:.2} fps ({})",
                    frame.width,
                    frame.height,
                    frame.fps,
                    codec.as_deref().unwrap_or("?")
                );
            }
            sh.status.frame(
                frame.width,
                frame.height,
                frame.fps,
                codec,
                stream.dropped_frames(),
            );
            shrink.keep_full(sh.preview.active());
            if sh.preview.due() && frame.has_full() {
                if let Err(e) = frame.with_luma(|m| sh.preview.publish(m)) {
                    tracing::warn!(camera = %sh.camera, error = %e, "preview frame not encoded");
                }
            }

            // The sun moves slowly: its altitude is worked out once a second, not per frame.
            // Whether more packets were lost, when they were counted at this frame.
            let mut lost_more = None;
            let window_open = match window {
                Some((at, open)) if at.elapsed() < WINDOW_CHECK_EVERY => open,
                _ => {
                    let open = sh.window_active();
                    window = Some((Instant::now(), open));
                    // Transport losses are read at the same pace.
                    if let Some(n) = self.opener.lost_packets() {
                        sh.status.rtp_lost(n);
                        lost_more = Some(n > lost_seen);
                        lost_seen = n;
                    }
                    open
                }
            };
            if !window_open {
                if let Some((mut eng, _)) = engine.take() {
                    // The window closed: what was being tracked still counts.
                    self.submit(eng.finish());
                }
                sh.status.set_state(DetectionState::OutOfWindow);
                sh.status.processed(None, 0);
                continue;
            }
            let generation = sh.settings_generation.load(Ordering::Acquire);
            if engine.as_ref().is_some_and(|(_, g)| *g != generation) {
                // New settings: finish what is in flight under the old ones, then start over.
                if let Some((mut eng, _)) = engine.take() {
                    self.submit(eng.finish());
                }
            }
            let (eng, _) = engine.get_or_insert_with(|| {
                let s: Effective = sh.settings();
                shrink.set_scale(s.params.scale);
                // The frame's wall-clock time is when it arrived, not when it got here.
                let waited = frame
                    .running_ns
                    .zip(stream.running_time())
                    .map_or(0, |(at, now)| now.saturating_sub(at));
                let origin = sh.clock.now() - chrono::Duration::nanoseconds(waited as i64);
                (Engine::new(s.params, s.mask, origin).live(), generation)
            });
            sh.status.set_state(DetectionState::Detecting);
            if let Some(lost) = lost_more {
                eng.loss_checked(lost);
            }
            if frame.is_corrupted() {
                sh.status.corrupt_frame();
            }
            let t0 = Instant::now();
            match eng.process(&frame) {
                Ok(events) => self.submit(events),
                Err(e) => break End::Lost(format!("detection failed: {e:#}")),
            }
            let tracks = engine
                .as_ref()
                .map_or(0, |(e, _)| e.tracking(DRAIN_MIN_POINTS));
            sh.status.processed(Some(t0.elapsed()), tracks);
            if Instant::now() >= *next_summary {
                *next_summary += SUMMARY_EVERY;
                sh.log_summary();
            }
        };
        drop(stream);
        // A lost stream cuts the tracks it was following (see `Engine::lost`); at shutdown the
        // stream was fine to the end, and what it showed is judged as it is.
        if let Some((mut eng, _)) = engine.take() {
            let events = match end {
                End::Lost(_) => eng.lost(),
                End::Shutdown => eng.finish(),
            };
            self.submit(events);
        }
        sh.ring.set_eos();
        if !sh.writer.flush(Duration::from_secs(20)) {
            tracing::warn!(camera = %sh.camera, "event writer did not finish within 20 s");
        }
        (end, !first)
    }

    fn submit(&self, events: Vec<crate::writer::Event>) {
        for ev in events {
            self.shared.writer.submit(ev);
        }
    }
}

/// Sleeps for `d` in short steps; true when shutdown was requested meanwhile.
fn sleep_unless_shutdown(sh: &Shared, d: Duration) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if sh.shutdown.load(Ordering::Relaxed) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100).min(until - Instant::now()));
    }
    sh.shutdown.load(Ordering::Relaxed)
}

impl DetectionState {
    pub fn name(self) -> &'static str {
        match self {
            DetectionState::Initializing => "initializing",
            DetectionState::WaitingFrame => "waiting_frame",
            DetectionState::Detecting => "detecting",
            DetectionState::OutOfWindow => "out_of_window",
            DetectionState::Disabled => "disabled",
            DetectionState::StreamLost => "stream_lost",
        }
    }
}
