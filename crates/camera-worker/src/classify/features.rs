//! What the classifier measures of a track: its path fitted by a line, length, pace and
//! steadiness, thickness, and how its brightness rises, swings and fades. All in
//! full-resolution pixels and seconds.

use super::Geometry;
use crate::track::{Point, Track};

/// Measurements of a track, in full-resolution pixels and seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub frames: u32,
    /// Frames between the first and last sighting, both included.
    pub frame_span: u64,
    pub duration_s: f64,
    pub start_xy: [f64; 2],
    pub end_xy: [f64; 2],
    pub length_px: f64,
    /// How far its centre moved along the path, first to last sighting. Less than the
    /// length by the object's own extent: a light that flashes where it stands has a length
    /// but does not move.
    pub moved_px: f64,
    pub speed_px_s: f64,
    /// RMS distance of the sightings from the fitted line.
    pub residual_px: f64,
    /// Share of steps that move forward along the path.
    pub forward: f64,
    /// Spread of the step speeds (median absolute deviation over median).
    pub speed_spread: f64,
    /// Seen frames over frame span.
    pub fill: f64,
    pub peak_brightness: f64,
    pub peak_snr: f64,
    /// Median thickness across the path, full-resolution pixels: a meteor is a thin streak,
    /// an out-of-focus insect or a lit bird a fat blob.
    pub width_px: f64,
    /// Swings of brightness of over 40 % of the peak, up or down: a flapping bird, a
    /// tumbling insect. A meteor rises and fades, with a flare or two.
    pub swings: u32,
    /// Rises and falls of the light by a factor of `BEAT_FACTOR` or more, alternating: a
    /// faint bird's wingbeat, whose light swings by a factor while it brightens or dims as a
    /// whole (`swings` counts swings against the peak).
    pub beats: u32,
    /// How regular those swings are: the largest autocorrelation of the detrended log light
    /// at a period of 0.1 to 0.33 s (0 under 12 sightings). Noise on a faint meteor swings
    /// its light too, but at random.
    pub beat_regularity: f64,
    /// Brightness at the two ends of the track over its peak (smoothed): a meteor fades in
    /// and out, a satellite or an aircraft shines the same from end to end.
    pub end_brightness: f64,
    /// Share of sightings cut by the frame's border or the mask's edge: part of the object
    /// may have been out of sight.
    pub cut: f64,
}

/// A sighting's light: its peak over the background times its area.
pub(super) fn light(p: &Point) -> f64 {
    p.peak as f64 * p.area.max(1) as f64
}

/// The features of `track` in a frame of geometry `g`.
pub fn measure(track: &Track, g: Geometry) -> Features {
    let pts = &track.points;
    let n = pts.len() as f64;
    let (mx, my) = (
        pts.iter().map(|p| p.x as f64).sum::<f64>() / n,
        pts.iter().map(|p| p.y as f64).sum::<f64>() / n,
    );
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for p in pts {
        let (dx, dy) = (p.x as f64 - mx, p.y as f64 - my);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    let theta = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let (mut ux, mut uy) = (theta.cos(), theta.sin());
    let (first, last) = (track.first(), track.last());
    if (last.x as f64 - first.x as f64) * ux + (last.y as f64 - first.y as f64) * uy < 0.0 {
        (ux, uy) = (-ux, -uy);
    }
    let proj = |p: &Point| (p.x as f64 - mx) * ux + (p.y as f64 - my) * uy;
    let perp = |p: &Point| -(p.x as f64 - mx) * uy + (p.y as f64 - my) * ux;
    // RMS over the closest 80 % of sightings: a star or a noise speck merged into one
    // sighting must not make a straight meteor look curved; a real curve bends most of them.
    let mut perps: Vec<f64> = pts.iter().map(|p| perp(p).powi(2)).collect();
    perps.sort_by(|a, b| a.total_cmp(b));
    let kept = ((perps.len() * 4).div_ceil(5)).max(1);
    let residual = (perps[..kept].iter().sum::<f64>() / kept as f64).sqrt();
    // Half a streak's extent along the path: where the object's ends really are.
    let along = |p: &Point| (ux.abs() * p.half_w as f64 + uy.abs() * p.half_h as f64) * 0.8;
    let (p0, p1) = (proj(first) - along(first), proj(last) + along(last));
    let start_xy = [mx + p0 * ux, my + p0 * uy];
    let end_xy = [mx + p1 * ux, my + p1 * uy];
    let centroid_span = proj(last) - proj(first);
    let dt = (last.t - first.t).max(1e-6);
    let mut forward = 0usize;
    let mut step_speeds = Vec::with_capacity(pts.len());
    let mean_step = centroid_span.abs() / (last.frame - first.frame).max(1) as f64;
    for w in pts.windows(2) {
        let d = proj(&w[1]) - proj(&w[0]);
        let df = (w[1].frame - w[0].frame).max(1) as f64;
        if d > -(1.0 + 0.3 * mean_step * df) {
            forward += 1;
        }
        step_speeds.push(d / df);
    }
    let frame_span = last.frame - first.frame + 1;
    let mut widths: Vec<f64> = pts
        .iter()
        .map(|p| {
            let along = 2.0 * (ux.abs() * p.half_w as f64 + uy.abs() * p.half_h as f64);
            let full_area = p.area as f64 * (p.half_w as f64 * p.half_h as f64 * 4.0)
                / p.bbox_area.max(1) as f64;
            full_area / along.max(1.0)
        })
        .collect();
    let width_px = median(&mut widths);
    let peaks: Vec<f64> = pts.iter().map(light).collect();
    Features {
        frames: pts.len() as u32 + track.overflow,
        frame_span,
        duration_s: last.t - first.t + 1.0 / g.fps,
        start_xy,
        end_xy,
        length_px: (p1 - p0).max(0.0),
        moved_px: centroid_span.max(0.0),
        speed_px_s: centroid_span.max(0.0) / dt,
        residual_px: residual,
        forward: if pts.len() > 1 {
            forward as f64 / (pts.len() - 1) as f64
        } else {
            0.0
        },
        speed_spread: spread(&mut step_speeds),
        fill: (pts.len() as f64 + track.overflow as f64) / frame_span as f64,
        peak_brightness: pts.iter().map(|p| p.peak as f64).fold(0.0, f64::max),
        peak_snr: pts
            .iter()
            .map(|p| p.peak as f64 / p.noise.max(0.5) as f64)
            .fold(0.0, f64::max),
        width_px,
        swings: swings(&peaks),
        beats: beats(&peaks),
        beat_regularity: beat_regularity(&peaks, g.fps),
        end_brightness: end_brightness(&peaks, cut_off(first, g), cut_off(last, g)),
        cut: pts.iter().filter(|p| cut_off(p, g)).count() as f64 / n,
    }
}

/// Whether a sighting touches the frame's border or the mask: an object entering or leaving
/// the picture there, cut off rather than fading.
fn cut_off(p: &Point, g: Geometry) -> bool {
    p.at_mask || at_border(p, g)
}

/// Whether a sighting comes within 0.5 % of the diagonal of the frame's border.
fn at_border(p: &Point, g: Geometry) -> bool {
    let m = 0.005 * g.diag();
    let (x, y, hw, hh) = (p.x as f64, p.y as f64, p.half_w as f64, p.half_h as f64);
    x - hw <= m || y - hh <= m || x + hw >= g.width as f64 - m || y + hh >= g.height as f64 - m
}

/// Counts alternating rises and falls of over 40 % of the (lightly smoothed) peak.
fn swings(b: &[f64]) -> u32 {
    if b.len() < 6 {
        return 0;
    }
    let smooth: Vec<f64> = b.windows(3).map(|w| median(&mut w.to_vec())).collect();
    let peak = smooth.iter().cloned().fold(0.0, f64::max);
    alternations(smooth, 0.4 * peak)
}

/// A light swing that counts as a beat: by this factor, up or down.
const BEAT_FACTOR: f64 = 3.0;

/// Counts alternating rises and falls of the light by `BEAT_FACTOR` or more.
fn beats(b: &[f64]) -> u32 {
    alternations(b.iter().map(|v| v.max(1.0).ln()), BEAT_FACTOR.ln())
}

/// Counts the turns of a sequence that moves by more than `step` one way and then the
/// other: the first move sets the direction, each reversal after it counts one.
fn alternations(values: impl IntoIterator<Item = f64>, step: f64) -> u32 {
    let mut values = values.into_iter();
    let Some(first) = values.next() else { return 0 };
    let (mut lo, mut hi) = (first, first);
    let mut rising: Option<bool> = None;
    let mut n = 0;
    for v in values {
        if rising != Some(true) && v > lo + step {
            n += u32::from(rising.is_some());
            (rising, hi) = (Some(true), v);
        } else if rising != Some(false) && v < hi - step {
            n += u32::from(rising.is_some());
            (rising, lo) = (Some(false), v);
        }
        match rising {
            Some(true) => hi = hi.max(v),
            Some(false) => lo = lo.min(v),
            None => (lo, hi) = (lo.min(v), hi.max(v)),
        }
    }
    n
}

/// The largest autocorrelation of the log light, less its running mean over five sightings,
/// at lags of 0.1 to 0.33 s (wingbeats of 3 to 10 a second).
fn beat_regularity(b: &[f64], fps: f64) -> f64 {
    let n = b.len();
    if n < 12 {
        return 0.0;
    }
    let logs: Vec<f64> = b.iter().map(|v| v.max(1.0).ln()).collect();
    let mut d: Vec<f64> = (0..n)
        .map(|i| {
            let w = &logs[i.saturating_sub(2)..(i + 3).min(n)];
            logs[i] - w.iter().sum::<f64>() / w.len() as f64
        })
        .collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    d.iter_mut().for_each(|v| *v -= mean);
    let var = d.iter().map(|v| v * v).sum::<f64>().max(1e-9);
    let lags = ((fps / 10.0).round() as usize).max(2)..=((fps / 3.0).round() as usize).min(n / 2);
    lags.map(|lag| (0..n - lag).map(|i| d[i] * d[i + lag]).sum::<f64>() / var)
        .fold(0.0, f64::max)
}

/// The dimmer of the track's two ends (median of its first and last fifth) over the peak of
/// the brightness smoothed over five sightings. An end cut by the frame's border or the mask
/// says nothing of a fade (a satellite leaving the picture dims as the frame cuts it off), so
/// when only one end is cut, the other decides.
fn end_brightness(b: &[f64], head_cut: bool, tail_cut: bool) -> f64 {
    if b.len() < 10 {
        return 0.0;
    }
    // Wide enough that an aircraft strobe (a few frames) cannot be the median.
    let win = if b.len() >= 30 { 9 } else { 5 };
    let smooth: Vec<f64> = b.windows(win).map(|w| median(&mut w.to_vec())).collect();
    let peak = smooth.iter().cloned().fold(0.0, f64::max).max(1e-6);
    let k = (smooth.len() / 5).max(1);
    let head = median(&mut smooth[..k].to_vec());
    let tail = median(&mut smooth[smooth.len() - k..].to_vec());
    let seen = match (head_cut, tail_cut) {
        (false, true) => head,
        (true, false) => tail,
        _ => head.min(tail),
    };
    seen / peak
}

/// Median absolute deviation over the median: 0 for a steady speed.
fn spread(v: &mut [f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let med = median(v);
    if med.abs() < 1e-6 {
        return 10.0;
    }
    let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    median(&mut dev) / med.abs()
}

pub(super) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}
