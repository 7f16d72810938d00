//! Tracking: joins candidates frame to frame into tracks. Each track predicts where its
//! object will be next (constant velocity) and takes the nearest candidate inside a gate
//! around that prediction; a new object gets a wide gate, since a fast meteor moves tens of
//! pixels per frame. A track that has gone unseen for longer than `max_gap_s` is finished
//! and handed to the classifier, so a meteor dimmed for a few frames stays one event.

use crate::detect::Candidate;
use meteor_core::DetectionParams;

/// One sighting of a tracked object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub frame: u64,
    /// Seconds from the start of the stream (PTS).
    pub t: f64,
    pub x: f32,
    pub y: f32,
    pub half_w: f32,
    pub half_h: f32,
    pub area: u32,
    /// Bounding-box area at processing scale (with `area`, how much of its box it fills).
    pub bbox_area: u32,
    pub peak: f32,
    pub noise: f32,
    /// Borders on the mask (see `Candidate::at_mask`).
    pub at_mask: bool,
}

#[derive(Debug, Clone)]
pub struct Track {
    pub id: u64,
    pub points: Vec<Point>,
    /// Velocity in full-resolution pixels per frame.
    vx: f32,
    vy: f32,
    /// Sightings dropped once the track outgrew `MAX_POINTS` (long stationary objects).
    pub overflow: u32,
}

impl Track {
    pub fn first(&self) -> &Point {
        &self.points[0]
    }
    pub fn last(&self) -> &Point {
        self.points.last().expect("a track has at least one point")
    }
    /// A track made of given points (tests of the classifier).
    #[doc(hidden)]
    pub fn for_tests(points: Vec<Point>) -> Track {
        Track {
            id: 0,
            points,
            vx: 0.0,
            vy: 0.0,
            overflow: 0,
        }
    }

    /// Full-resolution pixels per second from the first sighting to the last, if time passed.
    pub fn mean_velocity(&self) -> Option<(f32, f32)> {
        let (first, last) = (self.first(), self.last());
        let dt = (last.t - first.t) as f32;
        (dt > 0.0).then(|| ((last.x - first.x) / dt, (last.y - first.y) / dt))
    }

    /// The sightings `range` of this track as a track of their own (same id).
    pub fn part(&self, range: std::ops::Range<usize>) -> Track {
        Track {
            id: self.id,
            points: self.points[range].to_vec(),
            vx: self.vx,
            vy: self.vy,
            overflow: 0,
        }
    }

    /// Runs of sightings with no gap longer than `max_gap` frames, as index ranges.
    pub fn runs(&self, max_gap: u64) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, w) in self.points.windows(2).enumerate() {
            if w[1].frame - w[0].frame > max_gap {
                out.push(start..i + 1);
                start = i + 1;
            }
        }
        out.push(start..self.points.len());
        out
    }

    /// Where the object was at `t`: between the sightings around it when they are less than
    /// 0.2 s apart, or its first or last sighting when `t` is within 0.1 s of it.
    pub fn position_at(&self, t: f64) -> Option<(f32, f32)> {
        let (first, last) = (self.first(), self.last());
        if t <= first.t {
            return (first.t - t <= 0.1).then_some((first.x, first.y));
        }
        if t >= last.t {
            return (t - last.t <= 0.1).then_some((last.x, last.y));
        }
        let i = self.points.partition_point(|p| p.t < t);
        let (a, b) = (&self.points[i - 1], &self.points[i]);
        if b.t - a.t > 0.2 {
            return None;
        }
        let k = ((t - a.t) / (b.t - a.t).max(1e-9)) as f32;
        Some((a.x + k * (b.x - a.x), a.y + k * (b.y - a.y)))
    }

    fn predict(&self, frame: u64) -> (f32, f32) {
        let df = (frame - self.last().frame) as f32;
        (self.last().x + self.vx * df, self.last().y + self.vy * df)
    }
}

/// A track's sightings are capped: beyond this it is a satellite, a plane or a star, and only
/// its first and latest points matter.
const MAX_POINTS: usize = 600;
/// How many times its own extent an object's first step may be (see `update`).
const BLUR_REACH: f32 = 2.5;
/// Live tracks beyond this are not started (a noise storm must not cost unbounded work).
const MAX_TRACKS: usize = 256;

pub struct Tracker {
    max_gap_frames: u64,
    /// Gate for a track's second point, in full-resolution pixels.
    first_gate: f32,
    /// Gate slack for established tracks.
    gate: f32,
    next_id: u64,
    active: Vec<Track>,
    finished: Vec<Track>,
    pairs: Vec<(f32, usize, usize)>,
    taken: Vec<bool>,
    /// Where recently finished tracks were heading (see `continues`).
    trails: std::collections::VecDeque<Trail>,
    diag: f32,
}

/// A finished track's end and velocity, to recognise its continuation.
#[derive(Debug, Clone, Copy)]
pub struct Trail {
    t: f64,
    x: f32,
    y: f32,
    /// Full-resolution pixels per second.
    vx: f32,
    vy: f32,
}

impl Trail {
    /// Where `track` ended and how fast it was going, if it moved (at least five sightings
    /// over 1 % of the diagonal: a velocity worth extrapolating).
    pub fn of(track: &Track, diag: f32) -> Option<Trail> {
        let (first, last) = (track.first(), track.last());
        let moved = (last.x - first.x).hypot(last.y - first.y);
        let (vx, vy) = track.mean_velocity()?;
        (track.points.len() >= 5 && moved >= 0.01 * diag).then_some(Trail {
            t: last.t,
            x: last.x,
            y: last.y,
            vx,
            vy,
        })
    }

    /// True when `later` starts where this trail was heading, in its direction and at its
    /// pace, within `TRAIL_S` (or up to `OVERLAP_S` before it ended: the tracker forked).
    fn leads_to(&self, later: &Track, diag: f32) -> bool {
        let Some((vx, vy)) = later.mean_velocity() else {
            return false;
        };
        let first = later.first();
        let gap = first.t - self.t;
        if !(-OVERLAP_S..=TRAIL_S).contains(&gap) {
            return false;
        }
        let speed = vx.hypot(vy);
        let trail_speed = self.vx.hypot(self.vy);
        let (px, py) = (self.x + self.vx * gap as f32, self.y + self.vy * gap as f32);
        let miss = (first.x - px).hypot(first.y - py);
        let cos = (vx * self.vx + vy * self.vy) / (speed * trail_speed).max(1e-6);
        // 1.5 % of the diagonal: a flapping bird's middle jumps by half its wingspan.
        miss <= 0.015 * diag + 0.15 * trail_speed * gap.abs() as f32
            && cos > 0.95
            && (0.6..=1.6).contains(&(speed / trail_speed.max(1e-6)))
    }
}

/// Trails kept, and for how long: a satellite fading out for a few seconds and back.
const MAX_TRAILS: usize = 64;
const TRAIL_S: f64 = 20.0;
/// A track may start this long before the trail it continues ended: a flapping bird or a
/// blinking aircraft split in two, the new piece picked up a frame or two before the old one
/// was let go.
const OVERLAP_S: f64 = 0.1;

impl Tracker {
    pub fn new(p: &DetectionParams, width: u32, height: u32, fps: f64) -> Tracker {
        let diag = ((width as f32).powi(2) + (height as f32).powi(2)).sqrt();
        Tracker {
            max_gap_frames: ((p.max_gap_s as f64 * fps).ceil() as u64).max(1),
            // A meteor at 4 diag/s (the fastest preset limit) at 25 fps moves 0.16 diag/frame.
            first_gate: (p.max_speed / fps as f32).clamp(0.02, 0.2) * diag,
            gate: 0.006 * diag + 3.0,
            next_id: 1,
            active: Vec::new(),
            finished: Vec::new(),
            pairs: Vec::new(),
            taken: Vec::new(),
            trails: std::collections::VecDeque::new(),
            diag,
        }
    }

    pub fn active(&self) -> &[Track] {
        &self.active
    }

    /// Feeds one frame's candidates. Tracks unseen for too long move to the finished list.
    pub fn update(&mut self, frame: u64, t: f64, candidates: &[Candidate]) {
        self.pairs.clear();
        for (ti, tr) in self.active.iter().enumerate() {
            let (px, py) = tr.predict(frame);
            let df = (frame - tr.last().frame) as f32;
            let speed = (tr.vx * tr.vx + tr.vy * tr.vy).sqrt();
            for (ci, c) in candidates.iter().enumerate() {
                let extent = c.half_w.max(c.half_h) + tr.last().half_w.max(tr.last().half_h);
                let gate = if tr.points.len() == 1 {
                    // An object moving far between exposures is smeared along its path: a
                    // meteor's streak is about as long as its step. Two dots far apart are
                    // noise (or two stars) lining up by chance, however bright.
                    let smear = BLUR_REACH * extent + self.gate;
                    self.first_gate.min(smear) * df.min(3.0) + extent
                } else {
                    self.gate + 0.35 * speed * df + extent
                };
                let d = ((c.x - px).powi(2) + (c.y - py).powi(2)).sqrt();
                if d <= gate {
                    self.pairs.push((d, ti, ci));
                }
            }
        }
        self.pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.taken.clear();
        self.taken.resize(candidates.len(), false);
        let mut track_taken = vec![false; self.active.len()];
        for &(_, ti, ci) in &self.pairs {
            if track_taken[ti] || self.taken[ci] {
                continue;
            }
            track_taken[ti] = true;
            self.taken[ci] = true;
            extend(&mut self.active[ti], point(frame, t, &candidates[ci]));
        }
        for (ci, c) in candidates.iter().enumerate() {
            if !self.taken[ci] && self.active.len() < MAX_TRACKS {
                self.active.push(Track {
                    id: self.next_id,
                    points: vec![point(frame, t, c)],
                    vx: 0.0,
                    vy: 0.0,
                    overflow: 0,
                });
                self.next_id += 1;
            }
        }
        let max_gap = self.max_gap_frames;
        let mut i = 0;
        while i < self.active.len() {
            if frame - self.active[i].last().frame > max_gap {
                let done = self.active.swap_remove(i);
                self.remember(&done);
                self.finished.push(done);
            } else {
                i += 1;
            }
        }
    }

    /// True when `track` starts where an earlier, finished track was heading, at its pace:
    /// the rest of a satellite or an aircraft that faded below the threshold for a while,
    /// whose new piece alone would pass for a slow meteor.
    pub fn continues(&self, track: &Track) -> bool {
        self.trails.iter().any(|tr| tr.leads_to(track, self.diag))
    }

    fn remember(&mut self, track: &Track) {
        let Some(trail) = Trail::of(track, self.diag) else {
            return;
        };
        if self.trails.len() == MAX_TRAILS {
            self.trails.pop_front();
        }
        self.trails.push_back(trail);
    }

    /// Takes out the tracks in progress last seen at `since` or later, unjudged and
    /// forgotten: their ends were cut off (see `Engine::lost`).
    pub fn take_cut(&mut self, since: f64) -> Vec<Track> {
        let (cut, kept) = std::mem::take(&mut self.active)
            .into_iter()
            .partition(|t| t.last().t >= since);
        self.active = kept;
        cut
    }

    /// Ends every track (end of stream, or the stream was lost).
    pub fn finish_all(&mut self) {
        for done in std::mem::take(&mut self.active) {
            self.remember(&done);
            self.finished.push(done);
        }
    }

    /// Tracks finished since the last call.
    pub fn take_finished(&mut self) -> Vec<Track> {
        std::mem::take(&mut self.finished)
    }
}

fn point(frame: u64, t: f64, c: &Candidate) -> Point {
    Point {
        frame,
        t,
        x: c.x,
        y: c.y,
        half_w: c.half_w,
        half_h: c.half_h,
        area: c.area,
        bbox_area: c.bbox_area,
        peak: c.peak,
        noise: c.noise,
        at_mask: c.at_mask,
    }
}

fn extend(tr: &mut Track, p: Point) {
    let last = *tr.last();
    let df = (p.frame - last.frame).max(1) as f32;
    let (vx, vy) = ((p.x - last.x) / df, (p.y - last.y) / df);
    if tr.points.len() == 1 {
        (tr.vx, tr.vy) = (vx, vy);
    } else {
        // Smoothed: centroids of streaks jitter by a pixel or two.
        tr.vx = 0.5 * tr.vx + 0.5 * vx;
        tr.vy = 0.5 * tr.vy + 0.5 * vy;
    }
    if tr.points.len() >= MAX_POINTS {
        // Keep the first half and a recent window.
        tr.points.remove(MAX_POINTS / 2);
        tr.overflow += 1;
    }
    tr.points.push(p);
}

#[cfg(test)]
mod tests;
