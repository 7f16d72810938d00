//! `GET /metrics`: Prometheus text format, one camera label on every sample.

use super::AppState;
use crate::live::status::FRAME_TIME_BUCKETS;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

pub async fn metrics(State(sh): State<AppState>) -> impl IntoResponse {
    let s = sh.status.snapshot();
    let total = sh.catalog.lock().map(|c| c.total()).unwrap_or_default();
    let cam = escape(&sh.camera);
    let mut out = String::new();
    let metric = |out: &mut String, name: &str, kind: &str, help: &str, value: f64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        let _ = writeln!(out, "{name}{{camera=\"{cam}\"}} {value}");
    };
    metric(
        &mut out,
        "meteor_frames_total",
        "counter",
        "Frames received from the camera.",
        s.frames as f64,
    );
    metric(
        &mut out,
        "meteor_dropped_frames_total",
        "counter",
        "Frames dropped because detection was behind.",
        s.dropped_frames as f64,
    );
    metric(
        &mut out,
        "meteor_rtp_packets_lost_total",
        "counter",
        "RTP packets of the video lost in transport (UDP).",
        s.lost_packets as f64,
    );
    metric(
        &mut out,
        "meteor_corrupt_frames_total",
        "counter",
        "Frames the decoder flagged corrupted (kept from detection).",
        s.corrupt_frames as f64,
    );
    metric(
        &mut out,
        "meteor_reconnects_total",
        "counter",
        "Connections opened after the first.",
        s.reconnects as f64,
    );
    metric(
        &mut out,
        "meteor_detections_total",
        "counter",
        "Meteor records kept (deleted ones excluded).",
        total as f64,
    );
    metric(
        &mut out,
        "meteor_stream_connected",
        "gauge",
        "1 while frames arrive on a live connection.",
        if s.connected { 1.0 } else { 0.0 },
    );
    metric(
        &mut out,
        "meteor_last_frame_age_seconds",
        "gauge",
        "Seconds since the last frame (-1 before the first).",
        s.last_frame
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(-1.0),
    );
    metric(
        &mut out,
        "meteor_processing_fps",
        "gauge",
        "Frames processed per second over the last 10 s.",
        s.processing_fps,
    );
    metric(
        &mut out,
        "meteor_writer_queue_depth",
        "gauge",
        "Events waiting for the writer.",
        sh.writer.depth() as f64,
    );
    metric(
        &mut out,
        "meteor_uptime_seconds",
        "gauge",
        "Seconds since the worker started.",
        sh.started.elapsed().as_secs_f64(),
    );
    let w = sh.writer.stats();
    for (name, kind, help, v) in [
        (
            "meteor_write_retries_total",
            "counter",
            "File writes tried again after an I/O error.",
            w.retries.load(Relaxed),
        ),
        (
            "meteor_write_errors_total",
            "counter",
            "File writes given up after their retries.",
            w.errors.load(Relaxed),
        ),
        (
            "meteor_event_files_skipped_total",
            "counter",
            "Event files not written (disk full or failing writes); their records are kept.",
            w.files_skipped.load(Relaxed),
        ),
        (
            "meteor_events_dropped_total",
            "counter",
            "Events dropped because the writer queue was full.",
            w.dropped.load(Relaxed),
        ),
        (
            "meteor_records_pending",
            "gauge",
            "Records held in memory until the disk takes them.",
            w.records_pending.load(Relaxed) as u64,
        ),
        (
            "meteor_retention_pruned_total",
            "counter",
            "Events whose files retention removed.",
            sh.upkeep.pruned_total.load(Relaxed),
        ),
        (
            "meteor_retention_freed_bytes_total",
            "counter",
            "Bytes retention freed.",
            sh.upkeep.freed_bytes_total.load(Relaxed),
        ),
        (
            "meteor_clock_jumps_total",
            "counter",
            "Wall-clock jumps noticed by the self-check.",
            sh.upkeep.clock_jumps_total.load(Relaxed),
        ),
    ] {
        metric(&mut out, name, kind, help, v as f64);
    }
    // Browser renditions of H.265 clips (crate::rendition).
    let r = &sh.renditions.stats;
    for (name, kind, help, v) in [
        (
            "meteor_renditions_total",
            "counter",
            "H.264 browser renditions made.",
            r.made.load(Relaxed) as f64,
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
            r.dropped.load(Relaxed) as f64,
        ),
        (
            "meteor_renditions_failed_total",
            "counter",
            "Renditions that failed.",
            r.failed.load(Relaxed) as f64,
        ),
        (
            "meteor_rendition_seconds_total",
            "counter",
            "Wall-clock seconds spent making renditions.",
            r.wall_ms.load(Relaxed) as f64 / 1e3,
        ),
        (
            "meteor_rendition_cpu_seconds_total",
            "counter",
            "CPU seconds the rendition transcodes used (niced child processes).",
            r.cpu_ms.load(Relaxed) as f64 / 1e3,
        ),
        (
            "meteor_rendition_clip_seconds_total",
            "counter",
            "Seconds of clip transcoded into renditions.",
            r.clip_ms.load(Relaxed) as f64 / 1e3,
        ),
    ] {
        metric(&mut out, name, kind, help, v);
    }
    if let Ok(u) = crate::disk::usage(&sh.output) {
        metric(
            &mut out,
            "meteor_disk_used_ratio",
            "gauge",
            "Used share of the output volume (0..1).",
            u.used_ratio,
        );
        metric(
            &mut out,
            "meteor_disk_available_bytes",
            "gauge",
            "Free bytes on the output volume.",
            u.available_bytes as f64,
        );
    }
    let name = "meteor_health_status";
    let _ = writeln!(
        out,
        "# HELP {name} Self-check per component: 0 ok, 1 warn, 2 crit.\n# TYPE {name} gauge"
    );
    for c in crate::live::upkeep::evaluate(&sh, &sh.upkeep_args) {
        let _ = writeln!(
            out,
            "{name}{{camera=\"{cam}\",component=\"{}\"}} {}",
            escape(&c.name),
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
    if let Some((cpu, rss)) = process_usage() {
        metric(
            &mut out,
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time of the worker.",
            cpu,
        );
        metric(
            &mut out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the worker.",
            rss,
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// CPU seconds and RSS bytes of this process, from /proc (Linux).
pub fn process_usage() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which may hold spaces, in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = 100.0; // USER_HZ is 100 on Linux
    let cpu = (f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / ticks;
    let page = 4096.0;
    let rss = f.get(21)?.parse::<f64>().ok()? * page;
    Some((cpu, rss))
}
