//! The clock of a simulated camera. Like a real camera, a mount shows its content on a fixed
//! wall-clock schedule whether or not anyone watches: frame `n` of the endless stream (frame
//! `n % frames_per_loop` of the loop) is due at `start + n / fps`. A client joining later sees
//! what is due then, so the ground truth of what a camera showed is the loop's truth repeated
//! every loop duration from `start` ([`Timeline`]), less the gaps where it showed nothing
//! (stalled, or the server stopped): [`served_events`] lists it as [`ServedEvent`]s.

use chrono::{DateTime, Utc};
use meteor_core::{Truth, TruthEvent};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// When each frame of a mount is due, on the monotonic and the wall clock.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Wall-clock time at which frame 0 of loop 0 was due (the server's first start).
    pub start: DateTime<Utc>,
    start_instant: Instant,
    fps_num: u64,
    fps_den: u64,
    /// Frames in one loop.
    pub frames_per_loop: u64,
}

impl Timeline {
    /// A timeline starting now at `fps_num / fps_den` frames per second.
    pub(crate) fn new(fps_num: u64, fps_den: u64, frames_per_loop: u64) -> Timeline {
        assert!(fps_num > 0 && fps_den > 0 && frames_per_loop > 0);
        Timeline {
            start: Utc::now(),
            start_instant: Instant::now(),
            fps_num,
            fps_den,
            frames_per_loop,
        }
    }

    /// The same timeline starting at `start` (wall clock) = `start_instant` (monotonic).
    pub(crate) fn starting_at(mut self, start: DateTime<Utc>, start_instant: Instant) -> Self {
        self.start = start;
        self.start_instant = start_instant;
        self
    }

    /// A timeline at another rate starting `offset` after this one (a switch's segment).
    pub(crate) fn shifted(
        &self,
        offset: Duration,
        fps_num: u64,
        fps_den: u64,
        frames_per_loop: u64,
    ) -> Timeline {
        Timeline::new(fps_num, fps_den, frames_per_loop).starting_at(
            self.start + chrono::Duration::nanoseconds(offset.as_nanos() as i64),
            self.start_instant + offset,
        )
    }

    /// Frames per second.
    pub fn fps(&self) -> f64 {
        self.fps_num as f64 / self.fps_den as f64
    }

    /// Seconds of one loop (`frames_per_loop / fps`).
    pub fn loop_duration_s(&self) -> f64 {
        self.frames_per_loop as f64 * self.fps_den as f64 / self.fps_num as f64
    }

    /// Offset of frame `n` (of the endless stream) from the start, exact to the nanosecond.
    pub fn frame_offset(&self, n: u64) -> Duration {
        let ns = n as u128 * 1_000_000_000 * self.fps_den as u128 / self.fps_num as u128;
        Duration::from_nanos(ns as u64)
    }

    /// Monotonic instant at which frame `n` is due.
    pub(crate) fn frame_instant(&self, n: u64) -> Instant {
        self.start_instant + self.frame_offset(n)
    }

    /// Wall-clock time at which frame `n` is due.
    pub fn frame_wall(&self, n: u64) -> DateTime<Utc> {
        self.wall_at(self.frame_offset(n).as_secs_f64())
    }

    /// Wall-clock time `offset_s` seconds after the start.
    pub fn wall_at(&self, offset_s: f64) -> DateTime<Utc> {
        self.start + chrono::Duration::nanoseconds((offset_s * 1e9).round() as i64)
    }

    /// Seconds from the start to `t` (negative before the start).
    pub fn offset_of(&self, t: DateTime<Utc>) -> f64 {
        (t - self.start).num_nanoseconds().unwrap_or(i64::MAX) as f64 / 1e9
    }

    /// Seconds from the start to the monotonic instant `t` (0 before the start).
    pub(crate) fn offset_of_instant(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.start_instant)
            .as_secs_f64()
    }

    /// [`Timeline::offset_of_instant`] as an exact duration.
    pub(crate) fn offset_of_duration(&self, t: Instant) -> Duration {
        t.saturating_duration_since(self.start_instant)
    }

    /// The last frame due at `now` (the one being shown).
    pub(crate) fn due_frame(&self, now: Instant) -> u64 {
        let ns = now.saturating_duration_since(self.start_instant).as_nanos();
        (ns * self.fps_num as u128 / (self.fps_den as u128 * 1_000_000_000)) as u64
    }
}

/// A stretch, in seconds from the timeline start, where a mount showed nothing (`end` `None`
/// while it lasts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Gap {
    pub start_s: f64,
    pub end_s: Option<f64>,
}

/// One event of the loop's truth as a camera showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServedEvent {
    /// The mount, e.g. `/cam1`.
    pub mount: String,
    /// Which repetition of the loop (0 = the first after the server started, or after the
    /// switch that started this segment).
    #[serde(rename = "loop")]
    pub loop_index: u64,
    /// Which loop served it: 0 = the camera's own, `k` = the one after the k-th switch.
    #[serde(default)]
    pub segment: usize,
    /// Wall-clock time at which the event started and ended on the camera's timeline.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The event as in the loop's truth (`start_s`/`end_s` from the loop start).
    #[serde(flatten)]
    pub event: TruthEvent,
}

/// The events of `truth`, repeated every loop of `timeline`, that ended no later than `until_s`
/// seconds after the start and do not overlap any gap (an event cut by a gap was not fully
/// shown and is left out). Ordered by end time.
pub(crate) fn served_events(
    mount: &str,
    truth: &Truth,
    timeline: &Timeline,
    gaps: &[Gap],
    until_s: f64,
) -> Vec<ServedEvent> {
    let loop_s = timeline.loop_duration_s();
    if until_s <= 0.0 {
        return Vec::new();
    }
    let loops = (until_s / loop_s).floor() as u64;
    let mut out = Vec::new();
    for k in 0..=loops {
        let base = k as f64 * loop_s;
        for e in &truth.events {
            let (s, t) = (base + e.start_s, base + e.end_s);
            if t > until_s {
                continue;
            }
            let cut = gaps
                .iter()
                .any(|g| g.start_s < t && g.end_s.is_none_or(|ge| ge > s));
            if cut {
                continue;
            }
            out.push(ServedEvent {
                mount: mount.to_string(),
                loop_index: k,
                segment: 0,
                start: timeline.wall_at(s),
                end: timeline.wall_at(t),
                event: e.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.end.cmp(&b.end).then(a.event.id.cmp(&b.event.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: u32, kind: &str, start_s: f64, end_s: f64) -> TruthEvent {
        TruthEvent {
            id,
            kind: kind.into(),
            start_s,
            end_s,
            start_xy: None,
            end_xy: None,
            peak_snr: Some(10.0),
        }
    }

    fn truth() -> Truth {
        Truth {
            source: "x".into(),
            width: 320,
            height: 240,
            fps: 30.0,
            duration_s: 4.0,
            frames: 120,
            noise_sigma: None,
            foreground_ratio: None,
            notes: String::new(),
            events: vec![event(1, "meteor", 1.0, 1.5), event(2, "plane", 2.0, 3.5)],
        }
    }

    #[test]
    fn frames_are_due_on_an_exact_schedule() {
        let tl = Timeline::new(30000, 1001, 120);
        assert_eq!(tl.frame_offset(30000), Duration::from_secs(1001));
        assert!((tl.loop_duration_s() - 120.0 * 1001.0 / 30000.0).abs() < 1e-12);
        let t = tl.frame_instant(45);
        assert_eq!(tl.due_frame(t), 45);
        assert_eq!(tl.due_frame(t - Duration::from_nanos(1)), 44);
        let w = tl.frame_wall(300);
        assert!((tl.offset_of(w) - 300.0 * 1001.0 / 30000.0).abs() < 1e-6);
    }

    #[test]
    fn events_repeat_every_loop_and_gaps_remove_them() {
        let tl = Timeline::new(30, 1, 120);
        let t = truth();
        let ev = served_events("/c", &t, &tl, &[], 9.6);
        let got: Vec<(u64, u32)> = ev.iter().map(|e| (e.loop_index, e.event.id)).collect();
        assert_eq!(got, [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1)]);
        assert!((tl.offset_of(ev[2].start) - 5.0).abs() < 1e-6);
        assert!((tl.offset_of(ev[2].end) - 5.5).abs() < 1e-6);

        let gaps = [
            Gap {
                start_s: 5.2,
                end_s: Some(6.0),
            },
            Gap {
                start_s: 9.0,
                end_s: None,
            },
        ];
        let ev = served_events("/c", &t, &tl, &gaps, 20.0);
        let got: Vec<(u64, u32)> = ev.iter().map(|e| (e.loop_index, e.event.id)).collect();
        assert_eq!(got, [(0, 1), (0, 2), (1, 2)]);
        assert!(served_events("/c", &t, &tl, &[], 0.0).is_empty());
    }

    #[test]
    fn served_event_json_has_wall_times_and_the_truth_fields() {
        let tl = Timeline::new(30, 1, 120);
        let ev = served_events("/cam1", &truth(), &tl, &[], 2.0);
        let json = serde_json::to_value(&ev[0]).unwrap();
        assert_eq!(json["mount"], "/cam1");
        assert_eq!(json["loop"], 0);
        assert_eq!(json["type"], "meteor");
        assert_eq!(json["start_s"], 1.0);
        assert!(json["start"].as_str().unwrap().contains('T'));
        let back: ServedEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, ev[0]);
    }
}
