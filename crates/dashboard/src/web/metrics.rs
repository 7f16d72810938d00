//! `GET /metrics`: Prometheus text format. Dashboard-wide gauges plus one sample per camera
//! (label `camera`, escaped as the format wants), and the process's CPU time and memory.

use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::Utc;
use std::fmt::Write;

use meteor_service::escape_label;

struct Out(String);

impl Out {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, camera: Option<&str>, v: f64) {
        match camera {
            Some(c) => {
                let _ = writeln!(self.0, "{name}{{camera=\"{}\"}} {v}", escape_label(c));
            }
            None => {
                let _ = writeln!(self.0, "{name} {v}");
            }
        }
    }
}

pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let mut o = Out(String::new());
    o.head("meteor_dashboard_cameras", "gauge", "Cameras configured.");
    o.sample("meteor_dashboard_cameras", None, app.cameras.len() as f64);
    o.head(
        "meteor_dashboard_cameras_online",
        "gauge",
        "Cameras whose worker answered the last poll.",
    );
    o.sample("meteor_dashboard_cameras_online", None, app.online() as f64);
    o.head(
        "meteor_dashboard_uptime_seconds",
        "gauge",
        "Seconds since the dashboard started.",
    );
    o.sample(
        "meteor_dashboard_uptime_seconds",
        None,
        app.started.elapsed().as_secs_f64(),
    );

    o.head(
        "meteor_dashboard_clock_jumps_total",
        "counter",
        "Wall-clock jumps noticed by the self-check.",
    );
    o.sample(
        "meteor_dashboard_clock_jumps_total",
        None,
        app.selfcheck
            .clock_jumps_total
            .load(std::sync::atomic::Ordering::Relaxed) as f64,
    );
    let name = "meteor_health_status";
    o.head(
        name,
        "gauge",
        "Self-check per component: 0 ok, 1 warn, 2 crit.",
    );
    for c in crate::selfcheck::evaluate(&app) {
        let _ = writeln!(
            o.0,
            "{name}{{component=\"{}\"}} {}",
            escape_label(&c.name),
            c.status.gauge()
        );
    }

    let (start, end) = app.nights.bounds(app.nights.night_of(Utc::now()));
    type Getter =
        fn(&crate::state::Camera, (chrono::DateTime<Utc>, chrono::DateTime<Utc>)) -> Option<f64>;
    let per_camera: [(&str, &str, &str, Getter); 9] = [
        (
            "meteor_dashboard_camera_up",
            "gauge",
            "1 when the worker answered the last poll.",
            |c, _| Some(if c.online() { 1.0 } else { 0.0 }),
        ),
        (
            "meteor_dashboard_camera_last_seen_age_seconds",
            "gauge",
            "Seconds since the worker last answered.",
            |c, _| c.status().last_seen_at.map(|t| t.elapsed().as_secs_f64()),
        ),
        (
            "meteor_dashboard_camera_polls_total",
            "counter",
            "Polls of the worker's /stats.",
            |c, _| Some(c.status().polls as f64),
        ),
        (
            "meteor_dashboard_camera_poll_failures_total",
            "counter",
            "Polls that got no good answer.",
            |c, _| Some(c.status().poll_failures as f64),
        ),
        (
            "meteor_dashboard_camera_poll_duration_seconds",
            "gauge",
            "Duration of the last poll.",
            |c, _| Some(c.status().poll_seconds),
        ),
        (
            "meteor_dashboard_camera_stream_connected",
            "gauge",
            "1 when the worker reports frames arriving.",
            |c, _| {
                c.status().stats.as_ref()?["connected"]
                    .as_bool()
                    .map(|b| if b { 1.0 } else { 0.0 })
            },
        ),
        (
            "meteor_dashboard_camera_processing_fps",
            "gauge",
            "Frames per second the worker processes.",
            |c, _| c.status().stats.as_ref()?["processing_fps"].as_f64(),
        ),
        (
            "meteor_dashboard_detections",
            "gauge",
            "Detections known (cached) for the camera.",
            |c, _| Some(c.cache().len() as f64),
        ),
        (
            "meteor_dashboard_detections_tonight",
            "gauge",
            "Detections of the current night.",
            |c, (a, b)| {
                Some(
                    c.cache()
                        .entries()
                        .filter(|e| e.start >= a && e.start < b)
                        .count() as f64,
                )
            },
        ),
    ];
    for (name, kind, help, get) in per_camera {
        o.head(name, kind, help);
        for c in &app.cameras {
            if let Some(v) = get(c, (start, end)) {
                o.sample(name, Some(&c.name), v);
            }
        }
    }
    if let Some((cpu, rss)) = meteor_service::process_usage() {
        o.head(
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time.",
        );
        o.sample("process_cpu_seconds_total", None, cpu);
        o.head(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size.",
        );
        o.sample("process_resident_memory_bytes", None, rss);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        o.0,
    )
}
