//! `GET /metrics`: Prometheus text format, one camera label on every sample.

use super::AppState;
use crate::live::status::FRAME_TIME_BUCKETS;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use meteor_service::escape_label;
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

pub async fn metrics(State(sh): State<AppState>) -> impl IntoResponse {
    let s = sh.status.snapshot();
    let total = sh.catalog.lock().map(|c| c.total()).unwrap_or_default();
    let w = sh.writer.stats();
    let r = &sh.renditions.stats;
    let up = &sh.upkeep;
    let n = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed) as f64;
    let ms = |a: &std::sync::atomic::AtomicU64| a.load(Relaxed) as f64 / 1e3;
    let mut samples: Vec<(&str, &str, &str, f64)> = vec![
        (
            "meteor_frames_total",
            "counter",
            "Frames received from the camera.",
            s.frames as f64,
        ),
        (
            "meteor_dropped_frames_total",
            "counter",
            "Frames dropped because detection was behind.",
            s.dropped_frames as f64,
        ),
        (
            "meteor_rtp_packets_lost_total",
            "counter",
            "RTP packets of the video lost in transport (UDP).",
            s.lost_packets as f64,
        ),
        (
            "meteor_corrupt_frames_total",
            "counter",
            "Frames the decoder flagged corrupted (kept from detection).",
            s.corrupt_frames as f64,
        ),
        (
            "meteor_reconnects_total",
            "counter",
            "Connections opened after the first.",
            s.reconnects as f64,
        ),
        (
            "meteor_detections_total",
            "counter",
            "Meteor records kept (deleted ones excluded).",
            total as f64,
        ),
        (
            "meteor_stream_connected",
            "gauge",
            "1 while frames arrive on a live connection.",
            if s.connected { 1.0 } else { 0.0 },
        ),
        (
            "meteor_last_frame_age_seconds",
            "gauge",
            "Seconds since the last frame (-1 before the first).",
            s.last_frame
                .map(|t| t.elapsed().as_secs_f64())
                .unwrap_or(-1.0),
        ),
        (
            "meteor_processing_fps",
            "gauge",
            "Frames processed per second over the last 10 s.",
            s.processing_fps,
        ),
        (
            "meteor_writer_queue_depth",
            "gauge",
            "Events waiting for the writer.",
            sh.writer.depth() as f64,
        ),
        (
            "meteor_preroll_bytes",
            "gauge",
            "Compressed video held in the pre-roll ring.",
            sh.ring.bytes() as f64,
        ),
        (
            "meteor_preroll_seconds",
            "gauge",
            "Seconds of video held in the pre-roll ring.",
            sh.ring.seconds(),
        ),
        (
            "meteor_uptime_seconds",
            "gauge",
            "Seconds since the worker started.",
            sh.started.elapsed().as_secs_f64(),
        ),
        (
            "meteor_write_retries_total",
            "counter",
            "File writes tried again after an I/O error.",
            n(&w.retries),
        ),
        (
            "meteor_write_errors_total",
            "counter",
            "File writes given up after their retries.",
            n(&w.errors),
        ),
        (
            "meteor_event_files_skipped_total",
            "counter",
            "Event files not written (disk full or failing writes); their records are kept.",
            n(&w.files_skipped),
        ),
        (
            "meteor_events_dropped_total",
            "counter",
            "Events dropped because the writer queue was full.",
            n(&w.dropped),
        ),
        (
            "meteor_records_pending",
            "gauge",
            "Records held in memory until the disk takes them.",
            w.records_pending.load(Relaxed) as f64,
        ),
        (
            "meteor_retention_pruned_total",
            "counter",
            "Events whose files retention removed.",
            n(&up.pruned_total),
        ),
        (
            "meteor_retention_freed_bytes_total",
            "counter",
            "Bytes retention freed.",
            n(&up.freed_bytes_total),
        ),
        (
            "meteor_clock_jumps_total",
            "counter",
            "Wall-clock jumps noticed by the self-check.",
            n(&up.clock_jumps_total),
        ),
        // Browser renditions of H.265 clips (crate::rendition).
        (
            "meteor_renditions_total",
            "counter",
            "H.264 browser renditions made.",
            n(&r.made),
        ),
        (
            "meteor_renditions_queued",
            "gauge",
            "Renditions waiting or being made.",
            r.queued.load(Relaxed) as f64,
        ),
        (
            "meteor_renditions_dropped_total",
            "counter",
            "Renditions not queued because the queue was full (made on first request).",
            n(&r.dropped),
        ),
        (
            "meteor_renditions_failed_total",
            "counter",
            "Renditions that failed.",
            n(&r.failed),
        ),
        (
            "meteor_rendition_seconds_total",
            "counter",
            "Wall-clock seconds spent making renditions.",
            ms(&r.wall_ms),
        ),
        (
            "meteor_rendition_cpu_seconds_total",
            "counter",
            "CPU seconds the rendition transcodes used (niced child processes).",
            ms(&r.cpu_ms),
        ),
        (
            "meteor_rendition_clip_seconds_total",
            "counter",
            "Seconds of clip transcoded into renditions.",
            ms(&r.clip_ms),
        ),
    ];
    // One statvfs per scrape: the gauges and the disk self-check share it.
    let usage = crate::disk::usage(&sh.output);
    if let Ok(u) = &usage {
        samples.push((
            "meteor_disk_used_ratio",
            "gauge",
            "Used share of the output volume (0..1).",
            u.used_ratio(),
        ));
        samples.push((
            "meteor_disk_available_bytes",
            "gauge",
            "Free bytes on the output volume.",
            u.available_bytes as f64,
        ));
    }
    if let Some((cpu, rss)) = meteor_service::process_usage() {
        samples.push((
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time of the worker.",
            cpu,
        ));
        samples.push((
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the worker.",
            rss,
        ));
    }

    let cam = escape_label(&sh.camera);
    let mut out = String::new();
    for (name, kind, help, value) in samples {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        let _ = writeln!(out, "{name}{{camera=\"{cam}\"}} {value}");
    }
    let name = "meteor_health_status";
    let _ = writeln!(
        out,
        "# HELP {name} Self-check per component: 0 ok, 1 warn, 2 crit.\n# TYPE {name} gauge"
    );
    for c in crate::live::upkeep::evaluate_with(&sh, &sh.upkeep_args, usage) {
        let _ = writeln!(
            out,
            "{name}{{camera=\"{cam}\",component=\"{}\"}} {}",
            escape_label(&c.name),
            c.status.gauge()
        );
    }
    let h = &s.frame_time;
    let name = "meteor_frame_processing_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time the detector took per frame.\n# TYPE {name} histogram"
    );
    for (bound, c) in FRAME_TIME_BUCKETS.iter().zip(h.counts) {
        let _ = writeln!(out, "{name}_bucket{{camera=\"{cam}\",le=\"{bound}\"}} {c}");
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{camera=\"{cam}\",le=\"+Inf\"}} {}",
        h.count
    );
    let _ = writeln!(out, "{name}_sum{{camera=\"{cam}\"}} {}", h.sum);
    let _ = writeln!(out, "{name}_count{{camera=\"{cam}\"}} {}", h.count);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
