//! One event's files and record: the clip cut from the pre-roll ring, the two composites,
//! and the record naming only the files that made it to disk. Each file write is retried
//! with backoff on I/O errors; on a full disk the files are skipped (the record says why)
//! so detection and the record never wait on space.

use super::{WriterConfig, WriterStats};
use crate::disk;
use crate::ring::SharedRing;
use crate::store::Store;
use crate::{clip, composite};
use chrono::{DateTime, SecondsFormat, Utc};
use meteor_core::Detection;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Event;

/// `YYYYMMDD_HHMMSS_<8 hex>`: sortable by time, unique per camera and event.
pub fn event_id(camera: &str, start: DateTime<Utc>, start_ns: u64, xy: [f64; 2]) -> String {
    // FNV-1a: stable across runs and builds (std's hasher is not).
    let mut h: u64 = 0xcbf29ce484222325;
    let key = format!("{camera}|{start_ns}|{:.1}|{:.1}", xy[0], xy[1]);
    for b in key.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{}_{:08x}", start.format("%Y%m%d_%H%M%S"), (h >> 32) as u32)
}

/// How hard the writer tries before giving a file up.
#[derive(Debug, Clone)]
pub struct Durability {
    /// Waits between attempts of one file write; its length is the number of retries.
    pub backoff: Vec<Duration>,
    /// Below this much free space an event's files are skipped (the record is still kept).
    pub min_free_bytes: u64,
}

impl Default for Durability {
    fn default() -> Self {
        Durability {
            backoff: vec![
                Duration::from_millis(500),
                Duration::from_secs(1),
                Duration::from_secs(2),
            ],
            min_free_bytes: 100 << 20,
        }
    }
}

/// Why a file was not written.
enum Failure {
    DiskFull(String),
    Other(String),
}

/// Runs `op` until it succeeds, retrying I/O errors other than a full disk.
fn attempt<T>(
    what: &str,
    dur: &Durability,
    stats: &WriterStats,
    camera: &str,
    mut op: impl FnMut() -> anyhow::Result<T>,
) -> Result<T, Failure> {
    let mut waits = dur.backoff.iter();
    loop {
        let e = match op() {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if disk::is_disk_full(&e) {
            return Err(Failure::DiskFull(format!("{e:#}")));
        }
        let retryable = e
            .chain()
            .any(|c| c.downcast_ref::<std::io::Error>().is_some())
            || matches!(
                e.downcast_ref::<clip::ClipError>(),
                Some(clip::ClipError::Io(..))
            );
        match waits.next() {
            Some(wait) if retryable => {
                stats.retries.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(camera, file = what, error = %format!("{e:#}"), retry_in_ms = wait.as_millis() as u64, "write failed; retrying");
                std::thread::sleep(*wait);
            }
            _ => {
                stats.errors.fetch_add(1, Ordering::Relaxed);
                return Err(Failure::Other(format!("{e:#}")));
            }
        }
    }
}

/// Writes the event's files and returns its record (not yet appended).
pub(super) fn write_event(
    ev: &Event,
    store: &Store,
    ring: &SharedRing,
    cfg: &WriterConfig,
    dur: &Durability,
    stats: &WriterStats,
) -> Detection {
    let before = (cfg.clip_before_s * 1e9) as u64;
    let after = (cfg.clip_after_s * 1e9) as u64;
    // The last frame's PTS plus the post-roll; one more frame so the end is really there.
    let until = ev.end_ns + after;
    ring.wait_for(until + 40_000_000, cfg.post_roll_timeout);
    let aus = ring.slice(ev.start_ns.saturating_sub(before), until);
    let f = &ev.features;
    let id = event_id(&cfg.camera, ev.start_time, ev.start_ns, f.start_xy);
    let stem = format!("meteor_{id}");
    let camera = cfg.camera.as_str();
    let mut files_error: Option<String> = None;
    let skip = |why: String, files_error: &mut Option<String>| {
        stats.files_skipped.fetch_add(1, Ordering::Relaxed);
        files_error.get_or_insert(why);
    };

    // Checked first so a nearly full disk skips the files instead of filling the last bytes
    // the records need.
    let low_space = match disk::usage(store.dir()) {
        Ok(u) if u.available_bytes < dur.min_free_bytes => Some(format!(
            "disk full: {} MB free, below the {} MB kept free (MIN_FREE_MB)",
            u.available_bytes >> 20,
            dur.min_free_bytes >> 20
        )),
        _ => None,
    };
    if let Some(why) = &low_space {
        tracing::error!(camera, id = %id, reason = %why, "event files skipped; the record is kept");
        skip(why.clone(), &mut files_error);
    }

    let mut clip_name = None;
    let mut clip_method = None;
    let mut clip_start = None;
    let mut clip_codec = None;
    if cfg.clips && low_space.is_none() {
        let name = format!("{stem}.mp4");
        let path = store.dir().join(&name);
        match attempt(&name, dur, stats, camera, || Ok(clip::write(&aus, &path)?)) {
            Ok(method) => {
                clip_start = Some(
                    ev.start_offset_s - (ev.start_ns as f64 - clip::origin_ns(&aus) as f64) / 1e9,
                );
                clip_name = Some(name);
                clip_method = Some(method.name().to_string());
                clip_codec = Some(crate::rendition::clip_codec(method, &aus));
            }
            Err(Failure::DiskFull(e)) | Err(Failure::Other(e)) => {
                tracing::error!(camera, id = %id, error = %e, "clip not written");
                skip(format!("clip: {e}"), &mut files_error);
            }
        }
    }

    let (mut comp, mut comp_orig) = (None, None);
    if low_space.is_none() {
        match composite::stack(&aus, ev.start_ns, ev.end_ns) {
            Ok(stacked) => {
                let points: Vec<[f64; 2]> = std::iter::once(f.start_xy)
                    .chain(ev.track.iter().map(|p| [p[1], p[2]]))
                    .chain(std::iter::once(f.end_xy))
                    .collect();
                let caption = format!(
                    "{}  {}  {:.2} s  conf {:.2}",
                    cfg.camera,
                    ev.start_time.to_rfc3339_opts(SecondsFormat::Millis, true),
                    f.duration_s,
                    ev.confidence
                );
                let orig_name = format!("{stem}_composite_original.jpg");
                let name = format!("{stem}_composite.jpg");
                let marked = composite::annotate(&stacked, &points, &caption);
                for (file, slot, bytes) in [
                    (orig_name, &mut comp_orig, composite::jpeg(&stacked)),
                    (name, &mut comp, marked.and_then(|m| composite::jpeg(&m))),
                ] {
                    let path = store.dir().join(&file);
                    let written = match bytes {
                        Ok(b) => attempt(&file, dur, stats, camera, || {
                            Ok(crate::store::write_bytes(&path, &b)?)
                        }),
                        Err(e) => Err(Failure::Other(format!("{e:#}"))),
                    };
                    match written {
                        Ok(()) => *slot = Some(file),
                        Err(Failure::DiskFull(e)) | Err(Failure::Other(e)) => {
                            tracing::error!(camera, id = %id, file = %file, error = %e, "composite not written");
                            skip(format!("{file}: {e}"), &mut files_error);
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(camera, id = %id, error = %e, "composite not made")
            }
        }
    }

    let duration = chrono::Duration::nanoseconds((ev.end_ns - ev.start_ns) as i64);
    Detection {
        id,
        camera: cfg.camera.clone(),
        start_time: ev.start_time,
        end_time: ev.start_time + duration,
        start_offset_s: round3(ev.start_offset_s),
        end_offset_s: round3(ev.start_offset_s + duration.as_seconds_f64()),
        duration_s: round3(f.duration_s),
        start_xy: [f.start_xy[0].round(), f.start_xy[1].round()],
        end_xy: [f.end_xy[0].round(), f.end_xy[1].round()],
        length_px: round1(f.length_px),
        speed_px_s: round1(f.speed_px_s),
        peak_brightness: round1(f.peak_brightness),
        peak_snr: round1(f.peak_snr),
        confidence: ev.confidence,
        sensitivity: cfg.sensitivity.clone(),
        frames: f.frames,
        width: ev.width,
        height: ev.height,
        clip: clip_name,
        clip_method,
        clip_start_offset_s: clip_start.map(round3),
        clip_codec,
        clip_browser: None,
        composite: comp,
        composite_original: comp_orig,
        files_error,
        track: ev
            .track
            .iter()
            .map(|p| [round3(p[0]), round1(p[1]), round1(p[2])])
            .collect(),
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
