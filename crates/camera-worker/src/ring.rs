//! The pre-roll ring: the last seconds of the camera's compressed video, as the source
//! produced it (GStreamer buffers are reference-counted, so nothing is copied). Clips are
//! cut from it at keyframes and remuxed, never re-encoded, and composites are decoded from
//! it off the detection path.

use gstreamer as gst;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// One compressed access unit (a frame's worth of bitstream).
#[derive(Clone)]
pub struct Au {
    pub buffer: gst::Buffer,
    pub caps: gst::Caps,
    pub pts_ns: Option<u64>,
    pub dts_ns: Option<u64>,
    pub keyframe: bool,
}

impl Au {
    /// The time to order and cut by: PTS, else DTS.
    pub fn time_ns(&self) -> Option<u64> {
        self.pts_ns.or(self.dts_ns)
    }

    /// The time it is decoded at, to cut a run of units by: DTS, else PTS. Never after its
    /// PTS, so a cut at the first unit decoded past a time keeps every frame shown up to it.
    pub fn decode_time_ns(&self) -> Option<u64> {
        self.dts_ns.or(self.pts_ns)
    }
}

#[derive(Default)]
struct Inner {
    aus: VecDeque<Au>,
    bytes: usize,
    newest_ns: u64,
    eos: bool,
}

/// One frame's duration from the caps' frame rate; 1/30 s when the caps don't say.
fn frame_ns(caps: &gst::Caps) -> u64 {
    caps.structure(0)
        .and_then(|s| s.get::<gst::Fraction>("framerate").ok())
        .filter(|f| f.numer() > 0 && f.denom() > 0)
        .map_or(1_000_000_000 / 30, |f| {
            1_000_000_000 * f.denom() as u64 / f.numer() as u64
        })
}

pub struct Ring {
    inner: Mutex<Inner>,
    grew: Condvar,
    retain_ns: u64,
}

pub type SharedRing = Arc<Ring>;

impl Ring {
    /// A ring that keeps at least `retain` of video (from the keyframe at or before it).
    pub fn new(retain: Duration) -> SharedRing {
        Arc::new(Ring {
            inner: Mutex::new(Inner::default()),
            grew: Condvar::new(),
            retain_ns: retain.as_nanos() as u64,
        })
    }

    pub fn push(&self, buffer: gst::Buffer, caps: gst::Caps) {
        let mut au = Au {
            keyframe: !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT),
            pts_ns: buffer.pts().map(|t| t.nseconds()),
            dts_ns: buffer.dts().map(|t| t.nseconds()),
            caps,
            buffer,
        };
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // After a stall (the host starved of CPU, the network stuck) rtspsrc can hand over a
        // burst of units with neither PTS nor DTS. Each gets the previous unit's time plus a
        // frame: without a time a keyframe could never be judged old enough to drop, and the
        // ring would grow by the stream's bit rate for ever; with one, a clip can mux it.
        let time = match au.time_ns() {
            Some(t) => t,
            None => {
                let last = g.aus.back().and_then(Au::time_ns);
                let t = last.map_or(0, |last| last + frame_ns(&au.caps));
                au.pts_ns = Some(t);
                t
            }
        };
        g.newest_ns = g.newest_ns.max(time);
        g.bytes += au.buffer.size();
        g.aus.push_back(au);
        let horizon = g.newest_ns.saturating_sub(self.retain_ns);
        // Drop whole GOPs only: the oldest kept unit must stay a keyframe at or before the horizon.
        loop {
            let next_key = g.aus.iter().skip(1).position(|a| a.keyframe).map(|i| i + 1);
            match next_key {
                Some(i) if g.aus[i].time_ns().is_some_and(|t| t <= horizon) => {
                    let freed: usize = g.aus.drain(..i).map(|a| a.buffer.size()).sum();
                    g.bytes -= freed;
                }
                _ => break,
            }
        }
        drop(g);
        self.grew.notify_all();
    }

    pub fn set_eos(&self) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).eos = true;
        self.grew.notify_all();
    }

    /// Forgets everything (a new connection starts a new timeline).
    pub fn clear(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *g = Inner::default();
    }

    pub fn bytes(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).bytes
    }

    /// Seconds of video held: from the oldest unit's time to the newest's.
    pub fn seconds(&self) -> f64 {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // Every unit has a time (`push` gives untimed ones one).
        let oldest = g.aus.front().and_then(Au::time_ns);
        oldest.map_or(0.0, |t| g.newest_ns.saturating_sub(t) as f64 / 1e9)
    }

    /// Waits until the ring holds video up to `t_ns`, it ended, or `timeout` passed.
    /// Returns true when the video up to `t_ns` is there (or will never come).
    pub fn wait_for(&self, t_ns: u64, timeout: Duration) -> bool {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (g, _) = self
            .grew
            .wait_timeout_while(g, timeout, |g| !g.eos && g.newest_ns < t_ns)
            .unwrap_or_else(|p| p.into_inner());
        g.eos || g.newest_ns >= t_ns
    }

    /// The access units of a clip from `start_ns` to `end_ns`: from the keyframe at or before
    /// the start (or the oldest keyframe kept), in decode order, up to the last unit whose time
    /// is at or before the end.
    ///
    /// One clip has one format: the units carry the caps in effect at `start_ns`. When the
    /// stream's caps changed mid-stream (a new size or frame rate, new parameter sets), a clip
    /// whose pre-roll spans the change starts at the first keyframe after it (the pre-roll is
    /// shorter), and one whose post-roll spans a change ends before it (the post-roll is cut).
    pub fn slice(&self, start_ns: u64, end_ns: u64) -> Vec<Au> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let aus = &g.aus;
        // The unit showing the start, and the run of units sharing its caps.
        let anchor = aus
            .iter()
            .rposition(|a| a.time_ns().is_some_and(|t| t <= start_ns))
            .unwrap_or(0);
        let Some(caps) = aus.get(anchor).map(|a| &a.caps) else {
            return Vec::new();
        };
        let run_start = aus
            .iter()
            .take(anchor + 1)
            .rposition(|a| a.caps != *caps)
            .map_or(0, |i| i + 1);
        let in_run = |i: &usize| aus[*i].keyframe && aus[*i].caps == *caps;
        let first = (run_start..=anchor)
            .rev()
            .find(|i| in_run(i) && aus[*i].time_ns().is_some_and(|t| t <= start_ns))
            .or_else(|| (run_start..aus.len()).find(in_run));
        let Some(first) = first else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for a in aus.iter().skip(first) {
            // Decode order: stop at the first unit whose decode time is past the end.
            if a.decode_time_ns().is_some_and(|t| t > end_ns) || a.caps != *caps {
                break;
            }
            out.push(a.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(pts_ms: u64, key: bool) -> gst::Buffer {
        let mut b = gst::Buffer::with_size(1000).unwrap();
        let bm = b.get_mut().unwrap();
        bm.set_pts(gst::ClockTime::from_mseconds(pts_ms));
        if !key {
            bm.set_flags(gst::BufferFlags::DELTA_UNIT);
        }
        b
    }

    fn filled(retain_s: u64) -> SharedRing {
        gst::init().unwrap();
        let ring = Ring::new(Duration::from_secs(retain_s));
        let caps = gst::Caps::new_empty_simple("video/x-h264");
        // 10 s at 10 fps, keyframe every second.
        for i in 0..100u64 {
            ring.push(buf(i * 100, i % 10 == 0), caps.clone());
        }
        ring
    }

    #[test]
    fn keeps_whole_gops_back_to_the_horizon() {
        let ring = filled(3);
        let all = ring.slice(0, u64::MAX);
        // Newest is 9.9 s, horizon 6.9 s: the keyframe at 6.0 s is the oldest kept.
        assert_eq!(all.first().unwrap().pts_ns, Some(6_000_000_000));
        assert!(all[0].keyframe);
        assert_eq!(ring.bytes(), 40 * 1000);
    }

    #[test]
    fn slice_starts_at_the_keyframe_before() {
        let ring = filled(20);
        let s = ring.slice(2_500_000_000, 4_000_000_000);
        assert_eq!(s.first().unwrap().pts_ns, Some(2_000_000_000));
        assert_eq!(s.last().unwrap().pts_ns, Some(4_000_000_000));
        assert_eq!(s.len(), 21);
    }

    #[test]
    fn a_clip_keeps_to_the_caps_in_effect_at_its_start() {
        let ring = filled(60);
        // at 10 s the camera switches to another size at 5 fps, keyframe every second
        let caps = gst::Caps::builder("video/x-h264")
            .field("width", 320)
            .build();
        for i in 0..50u64 {
            ring.push(buf(10_000 + i * 200, i % 5 == 0 && i > 0), caps.clone());
        }
        // an event just after the switch: the pre-roll starts at the first keyframe after it
        let s = ring.slice(10_500_000_000, 13_000_000_000);
        assert_eq!(s.first().unwrap().pts_ns, Some(11_000_000_000));
        assert!(s.iter().all(|a| a.caps == caps));
        assert_eq!(s.last().unwrap().pts_ns, Some(13_000_000_000));
        // an event just before it: the post-roll ends with the old stream
        let s = ring.slice(9_000_000_000, 12_000_000_000);
        assert_eq!(s.first().unwrap().pts_ns, Some(9_000_000_000));
        assert_eq!(s.last().unwrap().pts_ns, Some(9_900_000_000));
        // well after it: as usual
        let s = ring.slice(12_500_000_000, 14_000_000_000);
        assert_eq!(s.first().unwrap().pts_ns, Some(12_000_000_000));
    }

    #[test]
    fn untimed_units_after_a_stall_still_age_out() {
        let ring = filled(3);
        let caps = gst::Caps::builder("video/x-h264")
            .field("framerate", gst::Fraction::new(10, 1))
            .build();
        // A burst without timestamps, keyframes included, then timed units again.
        for i in 0..20u64 {
            let mut b = gst::Buffer::with_size(1000).unwrap();
            if i % 10 != 0 {
                b.get_mut().unwrap().set_flags(gst::BufferFlags::DELTA_UNIT);
            }
            ring.push(b, caps.clone());
        }
        // Estimated a frame apart (10 fps) from the last timed unit (9.9 s), so a clip can
        // start at the untimed keyframe.
        let burst = ring.slice(10_000_000_000, u64::MAX);
        assert!(burst[0].keyframe);
        let times: Vec<_> = burst.iter().take(3).map(|a| a.pts_ns.unwrap()).collect();
        assert_eq!(times, [10_000_000_000, 10_100_000_000, 10_200_000_000]);
        for i in 0..100u64 {
            ring.push(buf(20_000 + i * 100, i % 10 == 0), caps.clone());
        }
        // Bounded as before: 3 s back to a keyframe, the burst long gone.
        assert_eq!(ring.bytes(), 40 * 1000);
        assert!((ring.seconds() - 3.9).abs() < 1e-9, "{}", ring.seconds());
    }

    #[test]
    fn wait_for_returns_at_eos() {
        let ring = filled(20);
        assert!(ring.wait_for(9_000_000_000, Duration::from_millis(1)));
        assert!(!ring.wait_for(12_000_000_000, Duration::from_millis(1)));
        ring.set_eos();
        assert!(ring.wait_for(12_000_000_000, Duration::from_millis(1)));
    }
}
