//! A second look at a track the classifier took for a meteor, with what else the sky did
//! around it. The classifier sees one track alone; some impostors only show in company:
//!
//! * a piece of another moving object: the tail of a satellite breaking up at the frame's
//!   edge, an aircraft's strobe flashing off its wingtip. Its sightings lie on a longer
//!   moving object seen at the same moments;
//! * a piece of a slow object that fades and comes back: a satellite below the threshold
//!   for a second or two, whose next piece starts on its line, in its direction, as far on
//!   as its pace takes it. Slow tracks are held for `HOLD_S` to see whether one follows;
//! * a track cut by a flash (lightning, a gain jump blinds the detector for a moment): its
//!   end or its start was not seen, so its shape (a bird turning, a meteor fading) is
//!   unknown;
//! * a second track along a meteor just reported, at the same time: a fast streak that
//!   broke into two candidates in one frame, each followed on its own. One meteor, one event.
//!
//! * a track seen while the stream was damaged: a lost slice is concealed from a wrong
//!   reference, and the patch drifts with the motion of the frames that follow until the next
//!   keyframe, like a faint object (the decoder does not always flag those frames).
//!
//! A real meteor meets none of these: it does not ride on another object, nothing slow and
//! steady carries on from its end, and lightning rarely strikes in the tenth of a second
//! after it (and a sky with lightning hides meteors anyway).

use crate::classify::Reason;
use crate::track::{Track, Trail};
use std::collections::VecDeque;

/// How long a slow track waits for a continuation: a satellite's gaps last up to about 3 s,
/// and its next piece needs a few frames to show its heading.
pub const HOLD_S: f64 = 3.5;
/// Tracks slower than this share of the diagonal per second are held (the slow meteor of the
/// real GMN clip moves 0.027 diag/s; fast meteors go out without delay).
const SLOW: f32 = 0.05;
/// A track ending this soon before a flash began, or starting this soon after the detector
/// saw again, was cut by it. (A bird's last sighting came 0.13 s before a flash in a long
/// distractor sky: the flash had begun to lift the background and hide it.)
pub const CUT_S: f64 = 0.2;
/// Moving objects this long (seconds) can carry fragments; their sightings are kept this
/// long after they finished.
const CARRIER_S: f64 = 1.0;
/// How long frames stay doubtful after a loss: a concealed patch drifts until the next
/// keyframe, which most cameras send every 1 to 2 s.
pub const DAMAGE_S: f64 = 2.0;
const KEEP_S: f64 = 5.0;
const MAX_KEPT: usize = 32;

/// What the scene knows besides the track being judged.
pub struct Scene {
    diag: f32,
    /// Moving tracks finished lately: carriers, and pieces a held track may go on as.
    recent: VecDeque<Track>,
    /// Onsets of flashes (stream seconds), newest last.
    flashes: VecDeque<f64>,
    /// Ends of the blind spells that followed flashes: first frames seen again.
    sight_back: VecDeque<f64>,
    in_flash: bool,
    /// Blind (a flash, or its hold-off) since a flash.
    blind: bool,
    /// Meteors reported lately: first and last sighting as (t, x, y).
    reported: VecDeque<[(f64, f32, f32); 2]>,
    /// Spells of a damaged stream (stream seconds, from and to), oldest first.
    damaged: VecDeque<(f64, f64)>,
}

impl Scene {
    pub fn new(width: u32, height: u32) -> Scene {
        Scene {
            diag: (width as f32).hypot(height as f32),
            recent: VecDeque::new(),
            flashes: VecDeque::new(),
            sight_back: VecDeque::new(),
            in_flash: false,
            blind: false,
            reported: VecDeque::new(),
            damaged: VecDeque::new(),
        }
    }

    /// Notes one processed frame: whether it was a flash, and whether the detector was blind
    /// (a flash or the hold-off after it).
    pub fn frame(&mut self, t: f64, flash: bool, blind: bool) {
        if flash && !self.in_flash {
            self.flashes.push_back(t);
        }
        if flash {
            self.blind = true;
        } else if self.blind && !blind {
            self.blind = false;
            self.sight_back.push_back(t);
        }
        self.in_flash = flash;
        for q in [&mut self.flashes, &mut self.sight_back] {
            while q.front().is_some_and(|&f| t - f > KEEP_S) {
                q.pop_front();
            }
        }
        while self.recent.front().is_some_and(|r| t - r.last().t > KEEP_S) {
            self.recent.pop_front();
        }
        while self.reported.front().is_some_and(|r| t - r[1].0 > KEEP_S) {
            self.reported.pop_front();
        }
        while self.damaged.front().is_some_and(|&(_, to)| t - to > KEEP_S) {
            self.damaged.pop_front();
        }
    }

    /// Notes that the stream was damaged from `from` to `to` (stream seconds).
    pub fn damaged(&mut self, from: f64, to: f64) {
        match self.damaged.back_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => {
                if self.damaged.len() == MAX_KEPT {
                    self.damaged.pop_front();
                }
                self.damaged.push_back((from, to));
            }
        }
    }

    /// Notes a track reported as a meteor.
    pub fn reported(&mut self, track: &Track) {
        let end = |p: &crate::track::Point| (p.t, p.x, p.y);
        if self.reported.len() == MAX_KEPT {
            self.reported.pop_front();
        }
        self.reported
            .push_back([end(track.first()), end(track.last())]);
    }

    /// Keeps a finished track that could carry fragments or continue a held one.
    pub fn finished(&mut self, track: &Track) {
        if self.is_carrier(track) || Trail::of(track, self.diag).is_some() {
            if self.recent.len() == MAX_KEPT {
                self.recent.pop_front();
            }
            self.recent.push_back(track.clone());
        }
    }

    /// Whether a meteor-like track must wait for what follows it.
    pub fn must_hold(&self, track: &Track) -> bool {
        track
            .mean_velocity()
            .is_some_and(|(vx, vy)| vx.hypot(vy) < SLOW * self.diag)
    }

    /// Why `track` is not a meteor after all, judged with the tracks in progress (`active`)
    /// and those the scene kept.
    pub fn doubt(&self, track: &Track, active: &[Track]) -> Option<Reason> {
        let (first, last) = (track.first().t, track.last().t);
        if self
            .damaged
            .iter()
            .any(|&(from, to)| first <= to && last >= from)
        {
            return Some(Reason::DamagedStream);
        }
        if self.flashes.iter().any(|&f| f > last && f - last <= CUT_S)
            || self
                .sight_back
                .iter()
                .any(|&b| first >= b && first - b <= CUT_S)
        {
            return Some(Reason::CutByFlash);
        }
        if self.reported.iter().any(|r| self.same_meteor(r, track)) {
            return Some(Reason::SameMeteor);
        }
        let others = || {
            active
                .iter()
                .chain(self.recent.iter())
                .filter(|o| o.id != track.id)
        };
        if others().any(|o| self.carries(o, track)) {
            return Some(Reason::PartOfAnother);
        }
        others()
            .any(|o| self.goes_on_as(track, o))
            .then_some(Reason::ContinuedLater)
    }

    /// Whether `later` is `track` going on after a pause of at most `HOLD_S`: it starts on
    /// `track`'s line, heads the same way, and the jump across the pause, like both pieces,
    /// runs at one pace. (A short, faint piece's own velocity is too rough to extrapolate
    /// over seconds; its line and the pace across the gap are steadier.)
    fn goes_on_as(&self, track: &Track, later: &Track) -> bool {
        let (end, start) = (track.last(), later.first());
        let gap = (start.t - end.t) as f32;
        if !(gap > 0.0 && gap <= HOLD_S as f32) {
            return false;
        }
        let (Some((ax, ay)), Some((bx, by))) = (track.mean_velocity(), later.mean_velocity())
        else {
            return false;
        };
        let (va, vb) = (ax.hypot(ay), bx.hypot(by));
        let (jx, jy) = (start.x - end.x, start.y - end.y);
        let jump = jx.hypot(jy);
        let pace = jump / gap;
        let same_way = ax * bx + ay * by > 0.9 * va * vb
            && (jump < 0.01 * self.diag || ax * jx + ay * jy > 0.9 * va * jump);
        let one_pace = (0.5..=2.0).contains(&(vb / va.max(1e-6)))
            && (jump < 0.01 * self.diag || (0.5..=2.0).contains(&(pace / va.max(1e-6))));
        // How far `start` lies off `track`'s line.
        let off = (jx * ay - jy * ax).abs() / va.max(1e-6);
        same_way && one_pace && off <= 0.01 * self.diag + 0.1 * jump
    }

    /// Whether `track` ran at the same time as the reported meteor `r`, on its line (within
    /// 1 % of the diagonal) and in its direction, and was where the meteor was at the time:
    /// two meteors of a shower can share a line and a moment, never a place.
    fn same_meteor(&self, r: &[(f64, f32, f32); 2], track: &Track) -> bool {
        let [(t0, x0, y0), (t1, x1, y1)] = *r;
        let (a, b) = (track.first(), track.last());
        if a.t > t1 + 0.1 || b.t < t0 - 0.1 {
            return false;
        }
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = dx.hypot(dy);
        let (tx, ty) = (b.x - a.x, b.y - a.y);
        if len < 1.0 || tx * dx + ty * dy <= 0.9 * len * tx.hypot(ty) {
            return false;
        }
        let off = |x: f32, y: f32| ((x - x0) * dy - (y - y0) * dx).abs() / len;
        if off(a.x, a.y).max(off(b.x, b.y)) > 0.01 * self.diag {
            return false;
        }
        // How far along the line a sighting is from where the meteor was then (at its
        // pace, extrapolated a little past its ends).
        let span = (t1 - t0).max(1e-3);
        let behind = |t: f64, x: f32, y: f32| {
            let then = len * ((t - t0) / span) as f32;
            (((x - x0) * dx + (y - y0) * dy) / len - then).abs()
        };
        behind(a.t, a.x, a.y).max(behind(b.t, b.x, b.y)) <= 0.03 * self.diag + 0.2 * len
    }

    /// A moving object seen for a while.
    fn is_carrier(&self, o: &Track) -> bool {
        let (a, b) = (o.first(), o.last());
        b.t - a.t >= CARRIER_S && (b.x - a.x).hypot(b.y - a.y) >= 0.01 * self.diag
    }

    /// Whether `track` rides on `o`: `o` lasted longer, and the track's sightings lie close to
    /// where `o` was at the same moment. Light shifting on a moving object (strobes taking
    /// turns on the wingtips, a streak cut by the frame's edge) seems to move against or
    /// across it: then 80 % of all its sightings must lie on `o`. A track moving `o`'s way
    /// at `o`'s pace is `o` itself, followed twice (the tracker lost it for a moment as a
    /// strobe outshone it): then 80 % of the sightings made while `o` was seen suffice, as
    /// `o` may have ended first. A meteor that happens to pass a satellite along its way,
    /// much faster, keeps the benefit of the doubt.
    fn carries(&self, o: &Track, track: &Track) -> bool {
        let span = track.last().t - track.first().t;
        if !self.is_carrier(o) || o.last().t - o.first().t < 2.0 * span {
            return false;
        }
        let (Some((vx, vy)), Some((ox, oy))) = (track.mean_velocity(), o.mean_velocity()) else {
            return false;
        };
        let (v, ov) = (vx.hypot(vy), ox.hypot(oy));
        let along = vx * ox + vy * oy > 0.5 * v * ov;
        let at_its_pace = (0.5..=2.0).contains(&(v / ov.max(1e-6)));
        if along && !at_its_pace {
            return false;
        }
        let (mut seen, mut near) = (0usize, 0usize);
        for p in &track.points {
            if let Some((x, y)) = o.position_at(p.t) {
                seen += 1;
                let reach = 0.02 * self.diag + p.half_w.max(p.half_h);
                near += usize::from((p.x - x).hypot(p.y - y) <= reach);
            }
        }
        let of = if along {
            seen.max(3)
        } else {
            track.points.len()
        };
        near * 5 >= of * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::Point;

    fn track(id: u64, pts: impl Iterator<Item = (f64, f32, f32)>) -> Track {
        let mut t = Track::for_tests(
            pts.map(|(t, x, y)| Point {
                frame: (t * 30.0).round() as u64,
                t,
                x,
                y,
                half_w: 2.0,
                half_h: 2.0,
                area: 9,
                bbox_area: 16,
                peak: 20.0,
                noise: 2.0,
            })
            .collect(),
        );
        t.id = id;
        t
    }

    /// `n` frames at 30 fps from `t0`, moving `v` px/s along x from `x0`.
    fn mover(id: u64, t0: f64, n: usize, x0: f32, y: f32, v: f32) -> Track {
        track(
            id,
            (0..n).map(move |i| {
                let t = t0 + i as f64 / 30.0;
                (t, x0 + v * (t - t0) as f32, y)
            }),
        )
    }

    #[test]
    fn a_piece_riding_on_a_satellite_is_part_of_it() {
        let scene = Scene::new(1280, 720);
        // A satellite at 50 px/s for 4 s, and a 0.1 s piece near it at 2 s, going back.
        let sat = mover(1, 0.0, 120, 100.0, 300.0, 50.0);
        let piece = mover(2, 2.0, 4, 205.0, 305.0, -150.0);
        assert_eq!(
            scene.doubt(&piece, std::slice::from_ref(&sat)),
            Some(Reason::PartOfAnother)
        );
        // The same piece elsewhere in the sky is not; nor a meteor going its way.
        let apart = mover(3, 2.0, 4, 600.0, 305.0, -150.0);
        assert_eq!(scene.doubt(&apart, std::slice::from_ref(&sat)), None);
        let along = mover(4, 2.0, 4, 195.0, 305.0, 250.0);
        assert_eq!(scene.doubt(&along, std::slice::from_ref(&sat)), None);
        // Once finished, the satellite still counts for a while.
        let mut scene = Scene::new(1280, 720);
        scene.finished(&sat);
        scene.frame(4.5, false, false);
        assert_eq!(scene.doubt(&piece, &[]), Some(Reason::PartOfAnother));
        scene.frame(20.0, false, false);
        assert_eq!(scene.doubt(&piece, &[]), None, "forgotten");
    }

    #[test]
    fn an_aircraft_followed_twice_is_one_object() {
        // An aircraft at 17 px/s for 7 s; its strobe outshone it, and the tracker picked it up
        // again as a second track 0.5 s before the first one ended, running on to the edge.
        let mut scene = Scene::new(1280, 720);
        let plane = mover(1, 0.0, 210, 1136.0, 520.0, 17.0);
        scene.finished(&plane);
        let again = mover(2, 6.5, 33, 1246.5, 521.0, 20.0);
        scene.frame(7.6, false, false);
        assert_eq!(scene.doubt(&again, &[]), Some(Reason::PartOfAnother));
        // A meteor passing along the same way, ten times as fast, is not the aircraft.
        let meteor = mover(3, 6.5, 8, 1200.0, 521.0, 200.0);
        assert_eq!(scene.doubt(&meteor, &[]), None);
        // Nor is an object at the aircraft's pace elsewhere in the sky.
        let apart = mover(4, 6.5, 33, 400.0, 200.0, 20.0);
        assert_eq!(scene.doubt(&apart, &[]), None);
    }

    #[test]
    fn a_still_star_carries_nothing() {
        let scene = Scene::new(1280, 720);
        let star = track(1, (0..300).map(|i| (i as f64 / 30.0, 400.0, 300.0)));
        let meteor = mover(2, 3.0, 6, 395.0, 300.0, 60.0);
        assert_eq!(scene.doubt(&meteor, &[star]), None);
    }

    #[test]
    fn a_slow_track_followed_by_its_continuation_was_a_satellite() {
        let mut scene = Scene::new(1280, 720);
        // 47 px/s for 0.5 s, gone for 1.8 s, then on at the same pace and heading.
        let first = mover(1, 0.0, 15, 970.0, 107.0, 47.0);
        assert!(scene.must_hold(&first));
        let later = mover(2, 2.3, 30, 970.0 + 47.0 * 2.3, 107.0, 47.0);
        assert_eq!(
            scene.doubt(&first, std::slice::from_ref(&later)),
            Some(Reason::ContinuedLater)
        );
        scene.finished(&later);
        assert_eq!(scene.doubt(&first, &[]), Some(Reason::ContinuedLater));
        // Another slow object crossing elsewhere, or heading another way, is no continuation.
        let across = track(
            3,
            (0..30).map(|i| (2.3 + i as f64 / 30.0, 1100.0, 107.0 + 1.5 * i as f32)),
        );
        assert_eq!(Scene::new(1280, 720).doubt(&first, &[across]), None);
        // On its line but too far on for its pace: another object.
        let ahead = mover(5, 2.3, 30, 970.0 + 47.0 * 8.0, 107.0, 47.0);
        assert_eq!(Scene::new(1280, 720).doubt(&first, &[ahead]), None);
        // A short, faint piece (14 px in 0.4 s) whose heading is a little off, and the rest
        // 1.8 s later where the true pace puts it.
        let piece = track(
            6,
            (0..12).map(|i| {
                (
                    i as f64 / 30.0,
                    150.0 + 1.0 * i as f32,
                    120.0 - 0.9 * i as f32,
                )
            }),
        );
        let rest = track(
            7,
            (0..24).map(|i| {
                let t = 2.2 + i as f64 / 30.0;
                (t, 150.0 + 24.0 * t as f32, 120.0 - 26.0 * t as f32)
            }),
        );
        assert_eq!(
            Scene::new(1280, 720).doubt(&piece, &[rest]),
            Some(Reason::ContinuedLater)
        );
        // A fast meteor is not held at all.
        assert!(!scene.must_hold(&mover(4, 0.0, 10, 100.0, 100.0, 600.0)));
    }

    #[test]
    fn a_second_track_along_a_reported_meteor_is_the_same_meteor() {
        let mut scene = Scene::new(1920, 1080);
        // 900 px/s along a line; a second track starts on it 0.17 s in, before it ended.
        let first = mover(1, 17.1, 9, 1330.0, 900.0, 900.0);
        assert_eq!(scene.doubt(&first, &[]), None);
        scene.reported(&first);
        let second = mover(2, 17.27, 7, 1330.0 + 900.0 * 0.17, 901.0, 900.0);
        assert_eq!(scene.doubt(&second, &[]), Some(Reason::SameMeteor));
        // Another meteor at the same time on another line, or on the line a second later,
        // or on the line at the same time but elsewhere (a shower's meteors share a radiant),
        // is its own event.
        let other = mover(3, 17.27, 7, 1330.0, 700.0, 900.0);
        assert_eq!(scene.doubt(&other, &[]), None);
        let ahead = mover(5, 17.1, 7, 630.0, 900.0, 900.0);
        assert_eq!(scene.doubt(&ahead, &[]), None);
        let later = mover(4, 18.5, 7, 1330.0, 900.0, 900.0);
        assert_eq!(scene.doubt(&later, &[]), None);
    }

    #[test]
    fn a_track_ending_as_a_flash_begins_was_cut_short() {
        let mut scene = Scene::new(1280, 720);
        let bird = mover(1, 10.0, 8, 500.0, 300.0, 175.0); // ends at 10.233 s
                                                           // A flash from 10.27 to 10.5 s, blind until 11 s.
        for i in 0..40 {
            let t = 10.0 + i as f64 / 30.0;
            scene.frame(t, (10.27..10.5).contains(&t), (10.27..11.0).contains(&t));
        }
        assert_eq!(scene.doubt(&bird, &[]), Some(Reason::CutByFlash));
        let fading = mover(5, 9.9, 8, 500.0, 300.0, 175.0); // ends at 10.133 s
        assert_eq!(scene.doubt(&fading, &[]), Some(Reason::CutByFlash));
        // A flash well after the track ended is unrelated.
        let earlier = mover(2, 9.0, 8, 500.0, 300.0, 175.0);
        assert_eq!(scene.doubt(&earlier, &[]), None);
        // A track starting as the detector sees again began unseen; one a while later did
        // not.
        let after = mover(3, 11.0, 8, 700.0, 300.0, 175.0);
        assert_eq!(scene.doubt(&after, &[]), Some(Reason::CutByFlash));
        let later = mover(4, 11.4, 8, 700.0, 300.0, 175.0);
        assert_eq!(scene.doubt(&later, &[]), None);
    }

    #[test]
    fn a_track_seen_while_the_stream_was_damaged_is_refused() {
        let mut scene = Scene::new(1280, 720);
        // Packets lost between the checks at 20 and 21 s: doubtful from 19.8 to 23 s.
        scene.damaged(20.0 - CUT_S, 21.0 + DAMAGE_S);
        for (start, refused) in [(22.5, true), (19.7, true), (19.0, false), (23.1, false)] {
            let t = mover(1, start, 8, 500.0, 300.0, 175.0); // 0.233 s long
            let want = refused.then_some(Reason::DamagedStream);
            assert_eq!(scene.doubt(&t, &[]), want, "track from {start} s");
        }
        // A loss found at the next check lengthens the spell.
        scene.damaged(22.0, 24.0);
        assert_eq!(scene.damaged.len(), 1);
        let later = mover(2, 23.1, 8, 500.0, 300.0, 175.0);
        assert_eq!(scene.doubt(&later, &[]), Some(Reason::DamagedStream));
    }
}
