//! Adding up the scores of several clips into a [`Report`]: recall overall and by peak-SNR
//! bucket, precision, false positives by cause and per hour of video, as a table or JSON.

use super::{score_clip, ClipScore, Observed};
use meteor_core::Truth;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub name: String,
    pub meteors: usize,
    pub found: usize,
    pub recall: Option<f64>,
}

/// The scores of a set of clips.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub clips: usize,
    pub video_s: f64,
    pub meteors: usize,
    pub found: usize,
    pub recall: Option<f64>,
    /// Recall by truth peak SNR: `<4`, `4-8`, `>8`, `unknown`.
    pub recall_by_snr: Vec<Bucket>,
    pub detections: usize,
    pub true_positives: usize,
    /// All unmatched detections, duplicates included.
    pub false_positives: usize,
    pub duplicates: usize,
    pub precision: Option<f64>,
    /// False positives by cause (distractor type or `noise`), duplicates excluded.
    pub false_positives_by_type: BTreeMap<String, usize>,
    pub false_positives_per_hour: Option<f64>,
    pub elapsed_s: Option<f64>,
    /// Video duration over processing time.
    pub realtime_factor: Option<f64>,
    pub per_clip: Vec<ClipScore>,
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn bucket_of(snr: Option<f64>) -> usize {
    match snr {
        Some(s) if s < 4.0 => 0,
        Some(s) if s <= 8.0 => 1,
        Some(_) => 2,
        None => 3,
    }
}

/// Scores every `(truth, detections)` pair and adds the results up.
pub fn score(pairs: &[(Truth, Vec<Observed>)]) -> Report {
    let per_clip: Vec<ClipScore> = pairs.iter().map(|(t, d)| score_clip(t, d)).collect();
    let mut buckets: Vec<Bucket> = ["<4", "4-8", ">8", "unknown"]
        .iter()
        .map(|n| Bucket {
            name: n.to_string(),
            meteors: 0,
            found: 0,
            recall: None,
        })
        .collect();
    let mut by_type = BTreeMap::new();
    let (mut dets, mut fps, mut dups) = (0, 0, 0);
    for c in &per_clip {
        dets += c.detections;
        for m in &c.meteors {
            let b = &mut buckets[bucket_of(m.peak_snr)];
            b.meteors += 1;
            b.found += m.detection.is_some() as usize;
        }
        for f in &c.false_positives {
            fps += 1;
            if f.cause == "duplicate" {
                dups += 1;
            } else {
                *by_type.entry(f.cause.clone()).or_insert(0) += 1;
            }
        }
    }
    for b in &mut buckets {
        b.recall = ratio(b.found, b.meteors);
    }
    let meteors = buckets.iter().map(|b| b.meteors).sum();
    let found = buckets.iter().map(|b| b.found).sum();
    let video_s: f64 = per_clip.iter().map(|c| c.duration_s).sum();
    Report {
        clips: per_clip.len(),
        video_s,
        meteors,
        found,
        recall: ratio(found, meteors),
        recall_by_snr: buckets,
        detections: dets,
        true_positives: dets - fps,
        false_positives: fps,
        duplicates: dups,
        precision: ratio(dets - fps, dets),
        false_positives_by_type: by_type,
        false_positives_per_hour: (video_s > 0.0).then(|| fps as f64 * 3600.0 / video_s),
        elapsed_s: None,
        realtime_factor: None,
        per_clip,
    }
}

impl Report {
    /// Records how long the detector took over the clips.
    pub fn with_elapsed(mut self, elapsed_s: f64) -> Report {
        self.elapsed_s = Some(elapsed_s);
        self.realtime_factor = (elapsed_s > 0.0).then(|| self.video_s / elapsed_s);
        self
    }

    /// A human-readable summary table.
    pub fn to_table(&self) -> String {
        let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1}%", 100.0 * v));
        let mut s = String::new();
        let mut line = |l: String| {
            s.push_str(&l);
            s.push('\n');
        };
        line(format!(
            "clips {}   video {:.1} min",
            self.clips,
            self.video_s / 60.0
        ));
        if let (Some(e), Some(r)) = (self.elapsed_s, self.realtime_factor) {
            line(format!("elapsed {e:.1} s   realtime x{r:.1}"));
        }
        line(String::new());
        line(format!(
            "{:<34}{:>8}{:>8}{:>9}",
            "clip", "found", "FP", "dups"
        ));
        for c in &self.per_clip {
            let found = c.meteors.iter().filter(|m| m.detection.is_some()).count();
            let dups = c
                .false_positives
                .iter()
                .filter(|f| f.cause == "duplicate")
                .count();
            let name: String = c.source.chars().take(33).collect();
            line(format!(
                "{name:<34}{:>8}{:>8}{:>9}",
                format!("{found}/{}", c.meteors.len()),
                c.false_positives.len(),
                dups
            ));
        }
        line(String::new());
        line(format!(
            "meteors found    {}/{}   recall {}",
            self.found,
            self.meteors,
            pct(self.recall)
        ));
        for b in &self.recall_by_snr {
            line(format!(
                "  snr {:<8} {:>5}/{:<5} {}",
                b.name,
                b.found,
                b.meteors,
                pct(b.recall)
            ));
        }
        line(format!(
            "detections       {}   true {}   false {} (duplicates {})   precision {}",
            self.detections,
            self.true_positives,
            self.false_positives,
            self.duplicates,
            pct(self.precision)
        ));
        let per_hour = self
            .false_positives_per_hour
            .map_or("n/a".into(), |v| format!("{v:.1}"));
        line(format!("false positives per hour of video   {per_hour}"));
        if !self.false_positives_by_type.is_empty() {
            let parts: Vec<String> = self
                .false_positives_by_type
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            line(format!("false positives by type   {}", parts.join(", ")));
        }
        s
    }
}
