//! What the streamer knows about its camera right now, shared with the HTTP side: connection,
//! stream format, counters, detection state. The streamer writes, handlers read snapshots.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectionState {
    /// Starting up, first connection not tried yet.
    Initializing,
    /// Connected, waiting for the first frame.
    WaitingFrame,
    Detecting,
    /// The sun is up: the stream runs, detection sleeps.
    OutOfWindow,
    /// Detection switched off (a camera kept only for its live view).
    Disabled,
    StreamLost,
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub connected: bool,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub codec: Option<String>,
    pub source_fps: Option<f64>,
    pub frames: u64,
    pub dropped_frames: u64,
    /// RTP packets of the video lost in transport (all connections).
    pub lost_packets: u64,
    /// Frames the decoder flagged corrupted, kept from detection.
    pub corrupt_frames: u64,
    pub reconnects: u64,
    pub last_frame: Option<Instant>,
    pub last_error: Option<String>,
    pub state: Option<DetectionState>,
    pub processing_fps: f64,
    /// Tracks in progress (seen in 3 frames or more) after the last frame.
    pub tracks: usize,
    /// Time the detector took per frame.
    pub frame_time: Histogram,
}

/// Upper bounds of the per-frame processing time buckets, seconds.
pub const FRAME_TIME_BUCKETS: [f64; 9] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.25];

/// A Prometheus-style cumulative histogram over [`FRAME_TIME_BUCKETS`].
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    /// Observations at or below each bound (cumulative).
    pub counts: [u64; FRAME_TIME_BUCKETS.len()],
    pub count: u64,
    pub sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        for (c, bound) in self.counts.iter_mut().zip(FRAME_TIME_BUCKETS) {
            if seconds <= bound {
                *c += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

pub struct Status {
    inner: Mutex<Inner>,
}

struct Inner {
    snap: Snapshot,
    /// Dropped frames of earlier connections (each stream counts its own from zero).
    dropped_before: u64,
    /// Lost packets of earlier connections.
    lost_before: u64,
    /// (when, frames processed) once a second, for the processing rate.
    samples: VecDeque<(Instant, u64)>,
    processed: u64,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            inner: Mutex::new(Inner {
                snap: Snapshot {
                    state: Some(DetectionState::Initializing),
                    ..Snapshot::default()
                },
                dropped_before: 0,
                lost_before: 0,
                samples: VecDeque::new(),
                processed: 0,
            }),
        }
    }
}

impl Status {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn snapshot(&self) -> Snapshot {
        self.with(|i| i.snap.clone())
    }

    pub fn set_state(&self, s: DetectionState) {
        self.with(|i| i.snap.state = Some(s));
    }

    pub fn state(&self) -> DetectionState {
        self.with(|i| i.snap.state.unwrap_or(DetectionState::Initializing))
    }

    /// A connection is open (frames may not flow yet).
    pub fn connecting(&self, reconnect: bool) {
        self.with(|i| {
            if reconnect {
                i.snap.reconnects += 1;
            }
            i.snap.state = Some(DetectionState::WaitingFrame);
        });
    }

    pub fn frame(
        &self,
        width: u32,
        height: u32,
        fps: f64,
        codec: Option<String>,
        dropped_in_stream: u64,
    ) {
        let now = Instant::now();
        self.with(|i| {
            let s = &mut i.snap;
            s.connected = true;
            s.width = Some(width);
            s.height = Some(height);
            s.source_fps = Some(fps);
            if codec.is_some() {
                s.codec = codec;
            }
            s.frames += 1;
            s.dropped_frames = i.dropped_before + dropped_in_stream;
            s.last_frame = Some(now);
        });
    }

    /// A frame went through the detector (taking `took`, with `tracks` tracks in progress
    /// after it), or was skipped outside the window (`None`).
    pub fn processed(&self, took: Option<Duration>, tracks: usize) {
        let now = Instant::now();
        self.with(|i| {
            if let Some(d) = took {
                i.snap.frame_time.observe(d.as_secs_f64());
            }
            i.snap.tracks = tracks;
            i.processed += 1;
            if i.samples
                .back()
                .is_none_or(|(t, _)| now.duration_since(*t) >= Duration::from_secs(1))
            {
                i.samples.push_back((now, i.processed));
                while i.samples.len() > 11 {
                    i.samples.pop_front();
                }
            }
            if let (Some((t0, n0)), Some((t1, n1))) = (i.samples.front(), i.samples.back()) {
                let dt = t1.duration_since(*t0).as_secs_f64();
                if dt > 0.0 {
                    i.snap.processing_fps = (n1 - n0) as f64 / dt;
                }
            }
        });
    }

    /// A frame the decoder flagged corrupted.
    pub fn corrupt_frame(&self) {
        self.with(|i| i.snap.corrupt_frames += 1);
    }

    /// Packets lost so far on the current connection.
    pub fn rtp_lost(&self, in_stream: u64) {
        self.with(|i| i.snap.lost_packets = i.lost_before + in_stream);
    }

    /// The connection ended; `error` says why.
    pub fn lost(&self, error: String) {
        self.with(|i| {
            i.lost_before = i.snap.lost_packets;
            i.snap.connected = false;
            i.dropped_before = i.snap.dropped_frames;
            i.snap.last_error = Some(error);
            i.snap.state = Some(DetectionState::StreamLost);
            i.snap.processing_fps = 0.0;
            i.samples.clear();
        });
    }
}
