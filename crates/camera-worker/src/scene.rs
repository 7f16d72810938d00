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
    /// Whether the stream was joined at an arbitrary moment of the sky (see `live`).
    live: bool,
    /// The first frame the detector judged, after its warm-up (stream seconds).
    sight_from: Option<f64>,
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
            live: false,
            sight_from: None,
            reported: VecDeque::new(),
            damaged: VecDeque::new(),
        }
    }

    /// Whether this is a live camera, joined at whatever moment the connection (or new
    /// settings) began: then a track already in view when the warm-up ends started unseen.
    /// (A recording starts where someone cut it, often a second before a meteor: there the
    /// rule would lose it.)
    pub fn live(mut self, live: bool) -> Scene {
        self.live = live;
        self
    }

    /// Notes one processed frame: whether it was a flash, and whether the detector was blind
    /// (a flash or the hold-off after it).
    pub fn frame(&mut self, t: f64, flash: bool, blind: bool) {
        if self.live && !blind && self.sight_from.is_none() {
            self.sight_from = Some(t);
        }
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
        // Already moving when the warm-up (of a connection or of new settings) ended: a bird
        // or an aircraft in view at a reconnect, its start unseen.
        if self
            .sight_from
            .is_some_and(|s| first >= s && first - s <= CUT_S)
        {
            return Some(Reason::StartedUnseen);
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
mod tests;
