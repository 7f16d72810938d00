//! The detection engine: frames in, finished meteor events out. Owns the detector, the
//! tracker and the classifier for one stream, maps PTS to offsets and the wall clock, and
//! counts what it rejected and why. Files, cameras and the simulator all run through it.
//!
//! A change of frame size or rate mid-stream (a camera's day/night profile) starts the
//! detector and tracker again for the new geometry, with a WARN; the exclusion mask image is
//! rescaled to whatever size the stream has (a WARN says so when they differ).

use crate::classify::{self, Geometry, Reason, Verdict};
use crate::detect::{mask::MaskImage, Detector};
use crate::ingest::Frame;
use crate::scene::{self, Scene};
use crate::track::{Track, Tracker};
use crate::writer::Event;
use chrono::{DateTime, Utc};
use meteor_core::DetectionParams;
use std::collections::BTreeMap;

pub struct Engine {
    params: DetectionParams,
    mask: Option<MaskImage>,
    wall_origin: DateTime<Utc>,
    origin_ns: Option<u64>,
    state: Option<State>,
    frames: u64,
    /// Stream seconds of the last frame processed.
    last_t: f64,
    flashes_before: u64,
    rejected: BTreeMap<Reason, u64>,
    /// The current frame's candidates (reused: the per-frame path does not allocate).
    candidates: Vec<crate::detect::Candidate>,
    corrupt_frames: u64,
    /// Stream seconds of the last check for lost packets.
    loss_checked_t: Option<f64>,
    /// A live camera's stream (see `live`).
    live: bool,
}

struct State {
    detector: Detector,
    tracker: Tracker,
    scene: Scene,
    /// Slow meteor-like tracks waiting `scene::HOLD_S` for a continuation.
    held: Vec<(Verdict, Track)>,
    geometry: Geometry,
}

impl Engine {
    /// `wall_origin` is the wall-clock time of the stream's first frame (for a camera, when
    /// it arrived: see `Frame::running_ns`).
    pub fn new(
        params: DetectionParams,
        mask: Option<MaskImage>,
        wall_origin: DateTime<Utc>,
    ) -> Engine {
        Engine {
            params,
            mask,
            wall_origin,
            origin_ns: None,
            state: None,
            frames: 0,
            last_t: 0.0,
            flashes_before: 0,
            rejected: BTreeMap::new(),
            candidates: Vec::new(),
            corrupt_frames: 0,
            loss_checked_t: None,
            live: false,
        }
    }

    /// A live camera's stream, joined at an arbitrary moment: tracks already in view when
    /// the warm-up ends are refused (`started_unseen`, see `Scene::live`).
    pub fn live(mut self) -> Engine {
        self.live = true;
        self
    }

    /// Processes one frame; returns the meteors that finished with it.
    pub fn process(&mut self, frame: &Frame) -> anyhow::Result<Vec<Event>> {
        if frame.is_corrupted() {
            // Concealed decoding errors look like motion: skipped, as a gap the tracker
            // bridges like any missed frame, and kept out of the background.
            self.corrupt_frames += 1;
            if let (Some(origin), Some(st)) = (self.origin_ns, self.state.as_mut()) {
                // The frames after it are patched from it until the next keyframe.
                let t = frame.pts_ns.saturating_sub(origin) as f64 / 1e9;
                st.scene.damaged(t - scene::CUT_S, t + scene::DAMAGE_S);
            }
            return Ok(Vec::new());
        }
        let origin = *self.origin_ns.get_or_insert(frame.pts_ns);
        let t = frame.pts_ns.saturating_sub(origin) as f64 / 1e9;
        self.last_t = t;
        let mut events = Vec::new();
        let fps = if frame.fps > 0.0 { frame.fps } else { 25.0 };
        let same = self.state.as_ref().map(|s| {
            let g = s.geometry;
            (
                g.width == frame.width && g.height == frame.height,
                (g.fps - fps).abs() <= g.fps * 0.01,
            )
        });
        if same != Some((true, true)) {
            if let Some(g) = self.state.as_ref().map(|s| s.geometry) {
                // A day/night profile switch or a new connection at another size or rate:
                // background, noise map, gates and durations all depend on both, so it all
                // starts again, and the detector's warm-up keeps the switch itself (a jump in
                // brightness and noise) from becoming an event.
                let what = if same.is_some_and(|(size, _)| size) {
                    "frame rate changed; relearning the background"
                } else {
                    "resolution changed; relearning the background"
                };
                tracing::warn!(
                    from = %format!("{}x{}@{:.2}", g.width, g.height, g.fps),
                    to = %format!("{}x{}@{:.2}", frame.width, frame.height, fps),
                    "{what}"
                );
                // What was being tracked is in the old geometry; it cannot finish as a meteor.
                // Meteors already judged and held for a second look are complete: judged now.
                self.flashes_before += self.state.as_ref().map_or(0, |s| s.detector.flashes());
                self.collect(&mut events, None);
                self.state = None;
            }
            if let Some(m) = self.mask.as_ref() {
                let (mw, mh) = m.size();
                if (mw, mh) != (frame.width, frame.height) {
                    tracing::warn!(
                        mask = %m.path().display(),
                        mask_size = %format!("{mw}x{mh}"),
                        frame_size = %format!("{}x{}", frame.width, frame.height),
                        "exclusion mask is {mw}x{mh}, the stream {}x{}: rescaling the mask",
                        frame.width,
                        frame.height
                    );
                }
            }
            let detector = Detector::new(
                self.params,
                frame.width,
                frame.height,
                fps,
                self.mask.as_ref(),
            )?;
            self.state = Some(State {
                detector,
                tracker: Tracker::new(&self.params, frame.width, frame.height, fps),
                scene: Scene::new(frame.width, frame.height).live(self.live),
                held: Vec::new(),
                geometry: Geometry {
                    width: frame.width,
                    height: frame.height,
                    fps,
                },
            });
        }
        let st = self.state.as_mut().expect("set above");
        let shrunk = frame
            .shrunk()
            .filter(|s| st.detector.takes_shrunk(s.width, s.height, s.factor));
        let o = match shrunk {
            Some(s) => st.detector.process_shrunk(&s.data, t)?,
            // Shrunk for another scale (settings just changed): a one-frame gap.
            None if !frame.has_full() => return Ok(events),
            None => frame.with_luma(|luma| st.detector.process(luma, t))?,
        };
        tracing::trace!(
            t,
            changed = o.changed_ratio,
            flash = o.flash,
            suppressed = o.suppressed,
            n = o.candidates.len(),
            "frame"
        );
        let (flash, blind) = (o.flash, o.suppressed);
        self.candidates.clear();
        self.candidates.extend_from_slice(o.candidates);
        let candidates = &self.candidates;
        st.tracker.update(self.frames, t, candidates);
        st.scene.frame(t, flash, blind);
        self.frames += 1;
        self.collect(&mut events, Some(t));
        Ok(events)
    }

    /// The stream's transport was checked for lost packets (RTP over UDP, about once a
    /// second): when some were lost since the last check, the frames from then until
    /// `scene::DAMAGE_S` after now are doubtful. A lost packet takes a slice of a frame with
    /// it; the decoder conceals it without always flagging the frame, and the patch drifts
    /// like a faint object until the next keyframe.
    pub fn loss_checked(&mut self, lost: bool) {
        let since = self.loss_checked_t.unwrap_or(self.last_t);
        if let (true, Some(st)) = (lost, self.state.as_mut()) {
            st.scene
                .damaged(since - scene::CUT_S, self.last_t + scene::DAMAGE_S);
        }
        self.loss_checked_t = Some(self.last_t);
    }

    /// Ends every track (end of stream or stream lost) and returns the meteors among them.
    pub fn finish(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(st) = self.state.as_mut() {
            st.tracker.finish_all();
        }
        self.collect(&mut events, None);
        events
    }

    /// The stream was lost (an error, a stall, the camera gone): what follows is another
    /// connection. Tracks seen in its last `scene::CUT_S` were cut by the loss, like a
    /// track a flash hides: their ends, which tell a meteor's fade from an aircraft, a bird
    /// or a satellite going on, were never seen, and a piece of any of those passes for a
    /// short meteor. They are refused (a meteor among them is logged); the rest end as at
    /// the end of a stream. Distractors are in the sky far more of the time than meteors:
    /// cut by a loss, they are what such a track nearly always is.
    pub fn lost(&mut self) -> Vec<Event> {
        if let Some(st) = self.state.as_mut() {
            let geometry = st.geometry;
            let cut = st.tracker.take_cut(self.last_t - scene::CUT_S);
            for track in cut {
                let (verdict, track) = classify::classify_parts(track, &self.params, geometry);
                if let Verdict::Meteor { features, .. } = &verdict {
                    tracing::info!(
                        length_px = features.length_px.round(),
                        duration_s = features.duration_s,
                        "stream lost while following a meteor-like track: not reported, its \
                         end was not seen"
                    );
                }
                let verdict = refused(verdict, Some(Reason::CutByStreamLoss));
                self.record(verdict, &track, geometry, &mut Vec::new());
            }
        }
        self.finish()
    }

    /// Judges the tracks that finished, and the held ones now due (all of them at `now`
    /// = None: the stream ended, nothing more can follow).
    fn collect(&mut self, events: &mut Vec<Event>, now: Option<f64>) {
        let Some(st) = self.state.as_mut() else {
            return;
        };
        let finished = st.tracker.take_finished();
        for track in &finished {
            st.scene.finished(track);
        }
        let mut judged = Vec::with_capacity(finished.len());
        for track in finished {
            let (verdict, track) = classify::classify_parts(track, &self.params, st.geometry);
            let verdict = if !matches!(verdict, Verdict::Meteor { .. }) {
                verdict
            } else if st.tracker.continues(&track) {
                refused(verdict, Some(Reason::Continues))
            } else {
                refused(verdict, st.scene.doubt(&track, st.tracker.active()))
            };
            if matches!(verdict, Verdict::Meteor { .. }) {
                if now.is_some() && st.scene.must_hold(&track) {
                    // Slow: whether it goes on after a pause is known only later.
                    st.held.push((verdict, track));
                    continue;
                }
                st.scene.reported(&track);
            }
            judged.push((verdict, track));
        }
        let mut i = 0;
        while i < st.held.len() {
            let due = st.held[i].1.last().t + scene::HOLD_S;
            if now.is_some_and(|t| t < due) {
                i += 1;
                continue;
            }
            let (verdict, track) = st.held.swap_remove(i);
            let verdict = refused(verdict, st.scene.doubt(&track, st.tracker.active()));
            if matches!(verdict, Verdict::Meteor { .. }) {
                st.scene.reported(&track);
            }
            judged.push((verdict, track));
        }
        let geometry = st.geometry;
        for (verdict, track) in judged {
            self.record(verdict, &track, geometry, events);
        }
    }

    /// Turns a meteor verdict into an event, and counts a rejection.
    fn record(&mut self, verdict: Verdict, track: &Track, g: Geometry, events: &mut Vec<Event>) {
        match verdict {
            Verdict::Meteor {
                features,
                confidence,
            } => {
                let origin = self.origin_ns.unwrap_or(0);
                let (first, last) = (track.first(), track.last());
                tracing::debug!(t0 = first.t, t1 = last.t, confidence, f = ?features, "track accepted");
                let start_ns = origin + (first.t * 1e9).round() as u64;
                events.push(Event {
                    features,
                    confidence,
                    start_ns,
                    end_ns: origin + (last.t * 1e9).round() as u64,
                    start_offset_s: first.t,
                    start_time: self.wall_origin
                        + chrono::Duration::nanoseconds((first.t * 1e9) as i64),
                    track: track
                        .points
                        .iter()
                        .map(|p| [p.t, p.x as f64, p.y as f64])
                        .collect(),
                    width: g.width,
                    height: g.height,
                });
            }
            Verdict::Rejected { reason, features } => {
                if features.is_some_and(|f| f.frames >= 3) {
                    *self.rejected.entry(reason).or_default() += 1;
                }
                if let (Some(f), true) = (features, tracing::enabled!(tracing::Level::DEBUG)) {
                    let (t0, t1) = (track.first().t, track.last().t);
                    tracing::debug!(reason = reason.name(), t0, t1, ?f, "track rejected");
                }
            }
        }
    }

    /// Tracks in progress seen in at least `min_points` frames (a meteor may be among them).
    pub fn tracking(&self, min_points: usize) -> usize {
        self.state.as_ref().map_or(0, |s| {
            s.tracker
                .active()
                .iter()
                .filter(|t| t.points.len() >= min_points)
                .count()
        })
    }

    /// Frames skipped because the decoder flagged them corrupted.
    pub fn corrupt_frames(&self) -> u64 {
        self.corrupt_frames
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn flashes(&self) -> u64 {
        self.flashes_before
            + self
                .state
                .as_ref()
                .map(|s| s.detector.flashes())
                .unwrap_or(0)
    }

    /// Tracks of three frames or more that were not meteors, by reason.
    pub fn rejected(&self) -> &BTreeMap<Reason, u64> {
        &self.rejected
    }

    pub fn geometry(&self) -> Option<Geometry> {
        self.state.as_ref().map(|s| s.geometry)
    }

    pub fn noise_sigma(&self) -> Option<f64> {
        self.state.as_ref().map(|s| s.detector.noise_sigma())
    }
}

/// A meteor verdict turned down for `reason`, if there is one.
fn refused(verdict: Verdict, reason: Option<Reason>) -> Verdict {
    match (verdict, reason) {
        (Verdict::Meteor { features, .. }, Some(reason)) => Verdict::Rejected {
            features: Some(features),
            reason,
        },
        (verdict, _) => verdict,
    }
}

#[cfg(test)]
mod tests;
