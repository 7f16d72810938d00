//! Scoring a detector against the truth.
//!
//! A detection matches a truth meteor when their time intervals overlap within
//! [`TIME_TOLERANCE_S`] and both the detection's `start_xy` and `end_xy` lie within
//! [`tolerance_px`] (`max(12, 0.03 * frame diagonal)`) of the meteor's path segment. Each meteor
//! matches at most one detection (a maximum matching, each meteor preferring its best
//! candidates: closest to the path, covering most of it, closest in time); other detections that would match an already matched meteor are `duplicates`,
//! counted as false positives too. Other unmatched detections are false positives attributed to
//! a distractor: first one with positions that overlaps in time and lies near the detection
//! (near its segment; inside its box for `osd_clock`; inside the foreground strip for
//! `headlights`), else a `flash`, else a `cloud` overlapping in time, else `noise`.

use crate::draw::dist_to_segment;
use crate::error::SimError;
use meteor_core::{Detection, Truth, TruthEvent};
use serde::{Deserialize, Serialize};
use std::path::Path;

mod report;
pub use report::{score, Bucket, Report};

pub const TIME_TOLERANCE_S: f64 = 0.5;

/// Spatial tolerance for a frame: `max(12 px, 3 % of the diagonal)`.
pub fn tolerance_px(width: u32, height: u32) -> f64 {
    (0.03 * (width as f64).hypot(height as f64)).max(12.0)
}

/// The part of a detection record the scorer needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Observed {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "start_offset_s")]
    pub start_s: f64,
    #[serde(rename = "end_offset_s")]
    pub end_s: f64,
    pub start_xy: [f64; 2],
    pub end_xy: [f64; 2],
}

impl From<&Detection> for Observed {
    fn from(d: &Detection) -> Self {
        Observed {
            id: d.id.clone(),
            start_s: d.start_offset_s,
            end_s: d.end_offset_s,
            start_xy: d.start_xy,
            end_xy: d.end_xy,
        }
    }
}

pub fn load_truth(path: &Path) -> Result<Truth, SimError> {
    let text = std::fs::read_to_string(path).map_err(|e| SimError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| SimError::Truth {
        path: path.into(),
        message: e.to_string(),
    })
}

/// Reads a `detections.jsonl`; a missing file means no detections. Blank lines are skipped.
pub fn load_detections(path: &Path) -> Result<Vec<Observed>, SimError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SimError::io(path, e)),
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let d: Observed = serde_json::from_str(line).map_err(|e| SimError::Detections {
            path: path.into(),
            line: i + 1,
            message: e.to_string(),
        })?;
        out.push(d);
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct MeteorOutcome {
    pub truth_id: u32,
    pub peak_snr: Option<f64>,
    /// Id of the matching detection.
    pub detection: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FalsePositive {
    pub detection: String,
    /// Distractor type, `duplicate` or `noise`.
    pub cause: String,
    /// Id of the truth event it was attributed to.
    pub truth_id: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClipScore {
    pub source: String,
    pub duration_s: f64,
    pub detections: usize,
    pub meteors: Vec<MeteorOutcome>,
    pub false_positives: Vec<FalsePositive>,
}

fn overlaps(d: &Observed, e: &TruthEvent) -> bool {
    d.start_s <= e.end_s + TIME_TOLERANCE_S && d.end_s >= e.start_s - TIME_TOLERANCE_S
}

fn segment(e: &TruthEvent) -> Option<([f64; 2], [f64; 2])> {
    Some((e.start_xy?, e.end_xy?))
}

/// Relative position (0..1) of the projection of `p` on segment `a`-`b`.
fn along(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 <= 0.0 {
        return 0.0;
    }
    (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
}

/// Scores one clip. The best detection of a meteor is the one whose endpoints are closest to
/// its path, that covers most of it and is closest in time.
pub fn score_clip(truth: &Truth, detections: &[Observed]) -> ClipScore {
    let tol = tolerance_px(truth.width, truth.height);
    let meteors: Vec<&TruthEvent> = truth.events.iter().filter(|e| e.is_meteor()).collect();
    // candidates[m] = (detection, cost), closest first
    let candidates: Vec<Vec<(usize, f64)>> = meteors
        .iter()
        .map(|m| {
            let mut c: Vec<(usize, f64)> = detections
                .iter()
                .enumerate()
                .filter(|(_, d)| overlaps(d, m))
                .filter_map(|(i, d)| {
                    let (a, b) = segment(m)?;
                    let (ds, de) = (
                        dist_to_segment(d.start_xy, a, b),
                        dist_to_segment(d.end_xy, a, b),
                    );
                    let gap = (d.start_s - m.end_s).max(m.start_s - d.end_s).max(0.0);
                    let cover = (along(d.end_xy, a, b) - along(d.start_xy, a, b)).abs();
                    let cost = (ds + de) / (2.0 * tol) + (1.0 - cover) + gap / TIME_TOLERANCE_S;
                    (ds <= tol && de <= tol).then_some((i, cost))
                })
                .collect();
            c.sort_by(|a, b| a.1.total_cmp(&b.1));
            c
        })
        .collect();
    let det_of = max_matching(&candidates, detections.len());
    let mut meteor_of_det: Vec<Option<usize>> = vec![None; detections.len()];
    for (m, d) in det_of.iter().enumerate() {
        if let Some(d) = d {
            meteor_of_det[*d] = Some(m);
        }
    }
    let outcomes = meteors
        .iter()
        .zip(&det_of)
        .map(|(m, d)| MeteorOutcome {
            truth_id: m.id,
            peak_snr: m.peak_snr,
            detection: d.map(|d| detections[d].id.clone()),
        })
        .collect();
    let mut fps = Vec::new();
    for (i, d) in detections.iter().enumerate() {
        if meteor_of_det[i].is_some() {
            continue;
        }
        let dup = candidates
            .iter()
            .enumerate()
            .find(|(_, c)| c.iter().any(|&(j, _)| j == i));
        let (cause, truth_id) = match dup {
            Some((m, _)) => ("duplicate".to_string(), Some(meteors[m].id)),
            None => attribute(truth, d, tol),
        };
        fps.push(FalsePositive {
            detection: d.id.clone(),
            cause,
            truth_id,
        });
    }
    ClipScore {
        source: truth.source.clone(),
        duration_s: truth.duration_s,
        detections: detections.len(),
        meteors: outcomes,
        false_positives: fps,
    }
}

/// Maximum bipartite matching (Kuhn), meteors trying their closest candidates first.
fn max_matching(candidates: &[Vec<(usize, f64)>], detections: usize) -> Vec<Option<usize>> {
    fn augment(
        m: usize,
        cand: &[Vec<(usize, f64)>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &(d, _) in &cand[m] {
            if seen[d] {
                continue;
            }
            seen[d] = true;
            if owner[d].is_none_or(|o| augment(o, cand, seen, owner)) {
                owner[d] = Some(m);
                return true;
            }
        }
        false
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        let best = |m: usize| candidates[m].first().map_or(f64::INFINITY, |c| c.1);
        best(a).total_cmp(&best(b))
    });
    let mut owner: Vec<Option<usize>> = vec![None; detections];
    for m in order {
        let mut seen = vec![false; detections];
        augment(m, candidates, &mut seen, &mut owner);
    }
    let mut det_of = vec![None; candidates.len()];
    for (d, o) in owner.iter().enumerate() {
        if let Some(m) = o {
            det_of[*m] = Some(d);
        }
    }
    det_of
}

/// What an unmatched, non-duplicate detection was most likely caused by.
fn attribute(truth: &Truth, d: &Observed, tol: f64) -> (String, Option<u32>) {
    let mid = [
        0.5 * (d.start_xy[0] + d.end_xy[0]),
        0.5 * (d.start_xy[1] + d.end_xy[1]),
    ];
    let fg_top = truth.height as f64 * (1.0 - truth.foreground_ratio.unwrap_or(0.0));
    let mut best: Option<(f64, &TruthEvent)> = None;
    for e in truth
        .events
        .iter()
        .filter(|e| !e.is_meteor() && overlaps(d, e))
    {
        let Some((a, b)) = segment(e) else { continue };
        let dist = match e.kind.as_str() {
            "osd_clock" => {
                let in_box = |p: [f64; 2]| {
                    p[0] >= a[0] - tol
                        && p[0] <= b[0] + tol
                        && p[1] >= a[1] - tol
                        && p[1] <= b[1] + tol
                };
                if in_box(d.start_xy) || in_box(d.end_xy) {
                    0.0
                } else {
                    f64::INFINITY
                }
            }
            "headlights"
                if truth.foreground_ratio.is_some()
                    && d.start_xy[1].min(d.end_xy[1]) >= fg_top - tol =>
            {
                0.0
            }
            _ => [d.start_xy, d.end_xy, mid]
                .iter()
                .map(|&p| dist_to_segment(p, a, b))
                .fold(f64::INFINITY, f64::min),
        };
        if dist <= tol && best.is_none_or(|(bd, _)| dist < bd) {
            best = Some((dist, e));
        }
    }
    if let Some((_, e)) = best {
        return (e.kind.clone(), Some(e.id));
    }
    for kind in ["flash", "cloud"] {
        if let Some(e) = truth
            .events
            .iter()
            .find(|e| e.kind == kind && overlaps(d, e))
        {
            return (kind.to_string(), Some(e.id));
        }
    }
    ("noise".to_string(), None)
}

#[cfg(test)]
mod tests;
