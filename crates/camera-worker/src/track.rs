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

    fn predict(&self, frame: u64) -> (f32, f32) {
        let df = (frame - self.last().frame) as f32;
        (self.last().x + self.vx * df, self.last().y + self.vy * df)
    }
}

/// A track's sightings are capped: beyond this it is a satellite, a plane or a star, and only
/// its first and latest points matter.
const MAX_POINTS: usize = 600;
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
}

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
                    self.first_gate * df.min(3.0) + extent
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
                self.finished.push(self.active.swap_remove(i));
            } else {
                i += 1;
            }
        }
    }

    /// Ends every track (end of stream, or the stream was lost).
    pub fn finish_all(&mut self) {
        self.finished.append(&mut self.active);
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
mod tests {
    use super::*;

    fn cand(x: f32, y: f32) -> Candidate {
        Candidate {
            x,
            y,
            half_w: 2.0,
            half_h: 2.0,
            area: 4,
            bbox_area: 4,
            peak: 40.0,
            noise: 2.0,
        }
    }

    fn tracker() -> Tracker {
        Tracker::new(&DetectionParams::default(), 1280, 720, 25.0)
    }

    #[test]
    fn follows_a_fast_straight_mover_next_to_a_still_star() {
        let mut t = tracker();
        for f in 0..10u64 {
            let c = [
                cand(100.0 + 30.0 * f as f32, 100.0 + 10.0 * f as f32),
                cand(400.0, 300.0),
            ];
            t.update(f, f as f64 / 25.0, &c);
        }
        assert_eq!(t.active().len(), 2);
        let mover = t.active().iter().find(|tr| tr.first().x == 100.0).unwrap();
        assert_eq!(mover.points.len(), 10);
        let star = t.active().iter().find(|tr| tr.first().x == 400.0).unwrap();
        assert_eq!(star.points.len(), 10);
    }

    #[test]
    fn bridges_a_short_gap_and_finishes_after_a_long_one() {
        let mut t = tracker();
        let mut f = 0u64;
        for _ in 0..5 {
            t.update(f, 0.0, &[cand(100.0 + 10.0 * f as f32, 200.0)]);
            f += 1;
        }
        // Three frames unseen (0.12 s < max_gap 0.5 s), then seen where it should be.
        for _ in 0..3 {
            t.update(f, 0.0, &[]);
            f += 1;
        }
        t.update(f, 0.0, &[cand(100.0 + 10.0 * f as f32, 200.0)]);
        assert_eq!(t.active().len(), 1);
        assert_eq!(t.active()[0].points.len(), 6);
        for _ in 0..20 {
            f += 1;
            t.update(f, 0.0, &[]);
        }
        assert!(t.active().is_empty());
        let done = t.take_finished();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].points.len(), 6);
    }

    #[test]
    fn two_crossing_paths_stay_apart() {
        let mut t = tracker();
        for f in 0..12u64 {
            let x = 100.0 + 20.0 * f as f32;
            t.update(
                f,
                0.0,
                &[
                    cand(x, 100.0 + 20.0 * f as f32),
                    cand(x, 400.0 - 5.0 * f as f32),
                ],
            );
        }
        let lens: Vec<_> = t.active().iter().map(|tr| tr.points.len()).collect();
        assert_eq!(lens, vec![12, 12]);
        for tr in t.active() {
            let ys: Vec<f32> = tr.points.iter().map(|p| p.y).collect();
            let rising = ys.windows(2).all(|w| w[1] > w[0]);
            let falling = ys.windows(2).all(|w| w[1] < w[0]);
            assert!(rising || falling, "a track switched paths: {ys:?}");
        }
    }
}
