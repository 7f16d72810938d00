//! Mid-stream switches (a camera's day/night profile change): what a mount serves is a
//! [`Schedule`] of [`Segment`]s, each a rendered loop with its own size and frame rate and its
//! own [`Timeline`] starting when the segment starts. The first segment is the camera's own
//! loop from the server's start; every switch starts another one. Pushers follow the segment
//! due now: on a change they put the new caps on their `appsrc` and go on from the new loop's
//! first keyframe, with timestamps still increasing, on the same connection.
//!
//! The served truth is the union over segments of each segment's loop truth repeated along its
//! timeline, less events that a switch (or a gap) cut off; [`ServedEvent::segment`] says which.

use super::cache::EncodedLoop;
use super::timeline::{served_events, Gap, ServedEvent, Timeline};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// One stretch of a mount's stream served from one loop.
pub(crate) struct Segment {
    /// Offset of the segment's start from the mount's first start.
    pub start: Duration,
    pub encoded: Arc<EncodedLoop>,
    /// Frame 0 of the segment is due at its start.
    pub timeline: Timeline,
}

impl Segment {
    pub(crate) fn new(base: &Timeline, start: Duration, encoded: Arc<EncodedLoop>) -> Segment {
        let fps = encoded.fps;
        let timeline = base.shifted(start, fps.numer() as u64, fps.denom() as u64, encoded.len());
        Segment {
            start,
            encoded,
            timeline,
        }
    }

    pub(crate) fn describe(&self) -> String {
        let c = self.encoded.caps.structure(0);
        let dim = |f: &str| c.and_then(|s| s.get::<i32>(f).ok()).unwrap_or(0);
        format!(
            "{}x{}@{:.2}",
            dim("width"),
            dim("height"),
            self.timeline.fps()
        )
    }
}

/// A mount's segments, ordered by start; never empty.
pub(crate) struct Schedule {
    segments: RwLock<Vec<Arc<Segment>>>,
}

impl Schedule {
    pub(crate) fn new(segments: Vec<Segment>) -> Schedule {
        assert!(!segments.is_empty(), "a mount serves at least one loop");
        Schedule {
            segments: RwLock::new(segments.into_iter().map(Arc::new).collect()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Segment>>> {
        self.segments.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The segment serving at `offset` from the mount's first start.
    pub(crate) fn at(&self, offset: Duration) -> Arc<Segment> {
        let segs = self.read();
        let i = segs.partition_point(|s| s.start <= offset);
        segs[i.max(1) - 1].clone()
    }

    /// The segment due at the monotonic instant `now` of the mount whose base is `base`.
    pub(crate) fn at_instant(&self, base: &Timeline, now: Instant) -> Arc<Segment> {
        self.at(base.offset_of_duration(now))
    }

    /// Starts `segment` (switches scheduled after its start are cancelled: a switch by hand
    /// replaces what was planned).
    pub(crate) fn switch(&self, segment: Segment) {
        let mut segs = self.segments.write().unwrap_or_else(|e| e.into_inner());
        segs.retain(|s| s.start < segment.start);
        segs.push(Arc::new(segment));
    }

    pub(crate) fn all(&self) -> Vec<Arc<Segment>> {
        self.read().clone()
    }
}

/// Every event the segments showed that ended by `until_s` (seconds from the first start),
/// left out when a gap or the next switch cut it. Ordered by end time.
pub(crate) fn served(
    mount: &str,
    segments: &[Arc<Segment>],
    gaps: &[Gap],
    until_s: f64,
) -> Vec<ServedEvent> {
    let mut out = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let start_s = seg.start.as_secs_f64();
        if start_s >= until_s {
            break;
        }
        // The segment's own clock: gaps shifted, and its end (the next switch) as one more.
        let mut shifted: Vec<Gap> = gaps
            .iter()
            .map(|g| Gap {
                start_s: g.start_s - start_s,
                end_s: g.end_s.map(|e| e - start_s),
            })
            .collect();
        if let Some(next) = segments.get(i + 1) {
            shifted.push(Gap {
                start_s: next.start.as_secs_f64() - start_s,
                end_s: None,
            });
        }
        let events = served_events(
            mount,
            &seg.encoded.truth,
            &seg.timeline,
            &shifted,
            until_s - start_s,
        );
        out.extend(events.into_iter().map(|mut e| {
            e.segment = i;
            e
        }));
    }
    out.sort_by(|a, b| a.end.cmp(&b.end).then(a.event.id.cmp(&b.event.id)));
    out
}
