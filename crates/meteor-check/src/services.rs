//! The running services over HTTP: each worker's `/healthz` (its own self-checks passed on),
//! `/stats` (stream connected, last frame fresh) and `/metrics` (resident memory), the
//! dashboard's `/healthz` and `/metrics`, and the worker list the dashboard knows
//! (`GET /api/cameras`).

use crate::report::{human_bytes, Component, Status};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::time::Instant;

/// A worker to check: its name (a camera) and base URL, without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSpec {
    pub name: String,
    pub url: String,
}

/// The limits the service checks apply.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Seconds; an older last frame is critical.
    pub max_frame_age_s: f64,
    /// Resident memory above this is a warning.
    pub max_rss_bytes: u64,
}

/// Why a request failed, in a few words: reqwest's own message repeats the URL and hides the
/// interesting part (e.g. "Connection refused") in its innermost cause.
fn why(e: &reqwest::Error) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(cause) = inner.source() {
        inner = cause;
    }
    if e.is_timeout() {
        "no answer in time (--timeout)".to_string()
    } else if e.is_connect() {
        format!("cannot connect: {inner}")
    } else if std::error::Error::source(e).is_none() {
        e.to_string()
    } else {
        format!("{e}: {inner}")
    }
}

/// GETs `base + path`; Ok with the body on a 2xx answer.
fn get(client: &Client, base: &str, path: &str) -> Result<String, String> {
    let url = format!("{base}{path}");
    let r = client.get(&url).send().map_err(|e| why(&e))?;
    let status = r.status();
    if !status.is_success() {
        return Err(format!("{path} answered HTTP {status}"));
    }
    r.text().map_err(|e| why(&e))
}

fn get_json(client: &Client, base: &str, path: &str) -> Result<Value, String> {
    let body = get(client, base, path)?;
    serde_json::from_str(&body).map_err(|e| format!("{path} is not JSON: {e}"))
}

/// The health component of a service from its `/healthz`: CRIT when it does not answer,
/// else the worst of its own `status` and of each of its `checks` (`ok`, `warn`, `crit`;
/// unknown words count as `warn`), the failing ones named in the detail.
fn health(client: &Client, c: Component, base: &str) -> (Component, bool) {
    let t = Instant::now();
    let body = match get_json(client, base, "/healthz") {
        Ok(v) => v,
        Err(e) => {
            let c = c
                .status(Status::Crit, format!("does not answer at {base}: {e}"))
                .data(json!({"url": base, "reachable": false, "error": e}));
            return (c, false);
        }
    };
    let ms = t.elapsed().as_millis() as u64;
    let own = body["status"].as_str().unwrap_or("missing");
    let mut status = Status::from_service(own);
    let checks = body["checks"].as_array().cloned().unwrap_or_default();
    let mut failing = Vec::new();
    for check in &checks {
        let word = check["status"].as_str().unwrap_or("missing");
        let s = Status::from_service(word);
        if s != Status::Ok {
            status = status.max(s);
            let name = check["name"].as_str().unwrap_or("unnamed");
            let detail = check["detail"].as_str().unwrap_or("");
            failing.push(format!("{name} {word}: {detail}"));
        }
    }
    let detail = if failing.is_empty() && status == Status::Ok {
        format!(
            "answers /healthz in {ms} ms, {} self-check(s) ok",
            checks.len()
        )
    } else if failing.is_empty() {
        format!("reports status {own:?}")
    } else {
        format!("self-check {}", failing.join("; "))
    };
    let data = json!({
        "url": base,
        "reachable": true,
        "response_ms": ms,
        "reported_status": own,
        "checks": checks,
    });
    (c.status(status, detail).data(data), true)
}

/// `process_resident_memory_bytes` out of a Prometheus text page (the first sample).
pub fn rss_from_metrics(text: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix("process_resident_memory_bytes")?;
        let rest = if let Some(labelled) = rest.strip_prefix('{') {
            &labelled[labelled.find('}')? + 1..]
        } else if rest.starts_with([' ', '\t']) {
            rest
        } else {
            return None;
        };
        let v: f64 = rest.split_whitespace().next()?.parse().ok()?;
        (v.is_finite() && v >= 0.0).then_some(v as u64)
    })
}

/// The memory component: WARN when the resident set is over the limit, or cannot be read.
fn memory(client: &Client, target: &str, base: &str, limit: u64) -> Component {
    let c = Component::new("memory", target);
    let text = match get(client, base, "/metrics") {
        Ok(t) => t,
        Err(e) => {
            return c.status(Status::Warn, format!("cannot read /metrics: {e}"));
        }
    };
    let Some(rss) = rss_from_metrics(&text) else {
        return c.status(
            Status::Warn,
            "no process_resident_memory_bytes in /metrics".to_string(),
        );
    };
    let data = json!({"rss_bytes": rss, "max_rss_bytes": limit});
    if rss > limit {
        c.status(
            Status::Warn,
            format!(
                "RSS {} over the limit {}",
                human_bytes(rss),
                human_bytes(limit)
            ),
        )
        .data(data)
    } else {
        c.status(
            Status::Ok,
            format!("RSS {} (limit {})", human_bytes(rss), human_bytes(limit)),
        )
        .data(data)
    }
}

/// The stream component from a worker's `/stats`.
fn stream(client: &Client, w: &WorkerSpec, max_age: f64) -> Component {
    let c = Component::new("stream", &w.name);
    let s = match get_json(client, &w.url, "/stats") {
        Ok(v) => v,
        Err(e) => return c.status(Status::Crit, format!("cannot read /stats: {e}")),
    };
    let connected = s["connected"].as_bool().unwrap_or(false);
    let age = s["last_frame_age_s"].as_f64();
    let state = s["detection_state"].as_str().unwrap_or("unknown");
    let uptime = s["uptime_s"].as_f64().unwrap_or(f64::INFINITY);
    let last_error = s["last_error"].as_str();
    let data = json!({
        "camera": s["camera"],
        "url": s["url"],
        "connected": connected,
        "last_frame_age_s": age,
        "max_frame_age_s": max_age,
        "detection_state": state,
        "last_error": s["last_error"],
        "resolution": s["resolution"],
        "codec": s["codec"],
        "source_fps": s["source_fps"],
        "processing_fps": s["processing_fps"],
        "frames": s["frames"],
        "dropped_frames": s["dropped_frames"],
        "reconnects": s["reconnects"],
        "detections": s["detections"]["total"],
        "uptime_s": s["uptime_s"],
    });
    let fresh = age.is_some_and(|a| a <= max_age);
    let (status, mut detail) = match (connected, age) {
        (true, Some(a)) if fresh => (
            Status::Ok,
            format!("connected, last frame {a:.1} s ago, {state}"),
        ),
        (false, None) if uptime < max_age => (
            Status::Warn,
            format!("no frame yet, worker started {uptime:.0} s ago, {state}"),
        ),
        (conn, Some(a)) => (
            Status::Crit,
            format!(
                "{}last frame {a:.1} s ago (max {max_age} s), {state}",
                if conn { "" } else { "not connected, " }
            ),
        ),
        (conn, None) => (
            Status::Crit,
            format!(
                "{}no frame in {uptime:.0} s since start, {state}",
                if conn { "" } else { "not connected, " }
            ),
        ),
    };
    if let (Some(e), false) = (last_error, status == Status::Ok) {
        detail.push_str(&format!(", last error: {e}"));
    }
    c.status(status, detail).data(data)
}

/// A worker's components: `worker NAME` (its /healthz), `stream NAME`, `memory NAME`. A
/// worker that does not answer gets only the first (critical).
pub fn check_worker(client: &Client, w: &WorkerSpec, limits: Limits) -> Vec<Component> {
    let (health, up) = health(client, Component::new("worker", &w.name), &w.url);
    if !up {
        return vec![health];
    }
    vec![
        health,
        stream(client, w, limits.max_frame_age_s),
        memory(client, &w.name, &w.url, limits.max_rss_bytes),
    ]
}

/// The workers a dashboard polls, from `GET /api/cameras` (`name`, `url`).
fn dashboard_workers(client: &Client, base: &str) -> Result<Vec<WorkerSpec>, String> {
    let v = get_json(client, base, "/api/cameras")?;
    let cams = v["cameras"]
        .as_array()
        .ok_or("/api/cameras has no \"cameras\" list")?;
    cams.iter()
        .map(|c| {
            let name = c["name"].as_str().ok_or("a camera without a name")?;
            let url = c["url"]
                .as_str()
                .ok_or_else(|| format!("camera {name:?} has no url"))?;
            Ok(WorkerSpec {
                name: name.to_string(),
                url: url.trim_end_matches('/').to_string(),
            })
        })
        .collect()
}

/// The dashboard's components (`dashboard`, `memory dashboard`) and, when it answers, the
/// workers it lists (Err with why when they cannot be learned).
pub fn check_dashboard(
    client: &Client,
    base: &str,
    limits: Limits,
) -> (Vec<Component>, Result<Vec<WorkerSpec>, String>) {
    let mut c = Component::new("dashboard", base);
    c.name = "dashboard".into();
    let (mut health, up) = health(client, c, base);
    if !up {
        health
            .detail
            .push_str(" (its workers are unknown: name them with --worker)");
        return (vec![health], Err("the dashboard does not answer".into()));
    }
    let workers = dashboard_workers(client, base);
    if let Ok(list) = &workers {
        if let Value::Object(map) = &mut health.data {
            let names: Vec<&str> = list.iter().map(|w| w.name.as_str()).collect();
            map.insert("workers".into(), json!(names));
        }
    }
    let mem = memory(client, "dashboard", base, limits.max_rss_bytes);
    (vec![health, mem], workers)
}

#[cfg(test)]
mod tests {
    use super::rss_from_metrics;

    #[test]
    fn rss_sample() {
        let page = "# HELP process_resident_memory_bytes x\n\
                    process_resident_memory_bytes_x 5\n\
                    process_resident_memory_bytes{camera=\"a b\"} 1.5e6\n";
        assert_eq!(rss_from_metrics(page), Some(1_500_000));
        assert_eq!(
            rss_from_metrics("process_resident_memory_bytes 42\n"),
            Some(42)
        );
        assert_eq!(rss_from_metrics("nothing 1\n"), None);
    }
}
