//! The dashboard's shared state: the configured cameras, what the last poll of each worker
//! said (or why it failed), and each camera's detection cache. Handlers only read it; the
//! poller (`poller.rs`) and the change handlers write it.

use crate::cache::DetectionCache;
use crate::config::{CameraSpec, Config};
use crate::night::Nights;
use crate::worker::WorkerClient;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;
use tokio::sync::Notify;

/// What the polls of one worker found.
#[derive(Debug, Default, Clone)]
pub struct Status {
    /// The last poll's answer was good (`None` before the first poll finished).
    pub reachable: Option<bool>,
    /// The last good /stats.
    pub stats: Option<Value>,
    pub last_seen: Option<DateTime<Utc>>,
    pub last_seen_at: Option<Instant>,
    /// Why the last poll failed.
    pub error: Option<String>,
    pub last_poll: Option<DateTime<Utc>>,
    pub down_since: Option<DateTime<Utc>>,
    pub polls: u64,
    pub poll_failures: u64,
    /// How long the last poll took, seconds.
    pub poll_seconds: f64,
}

/// One configured camera (worker).
pub struct Camera {
    pub name: String,
    pub url: String,
    status: RwLock<Status>,
    cache: RwLock<DetectionCache>,
    /// Wakes the camera's detection reader (new records announced by /stats, or a full read
    /// asked for).
    pub wake: Notify,
}

impl Camera {
    /// A camera whose cache keeps the newest `keep` records whole.
    pub fn new(spec: &CameraSpec, keep: usize) -> Camera {
        Camera {
            name: spec.name.clone(),
            url: spec.url.clone(),
            status: RwLock::default(),
            cache: RwLock::new(DetectionCache::keeping(keep)),
            wake: Notify::new(),
        }
    }

    pub fn status(&self) -> RwLockReadGuard<'_, Status> {
        self.status.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status_mut(&self) -> RwLockWriteGuard<'_, Status> {
        self.status.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn cache(&self) -> RwLockReadGuard<'_, DetectionCache> {
        self.cache.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn cache_mut(&self) -> RwLockWriteGuard<'_, DetectionCache> {
        self.cache.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The worker URL with any password masked.
    pub fn url_masked(&self) -> String {
        meteor_core::mask_url(&self.url)
    }

    /// `offline` (worker unreachable), `unknown` (not polled yet), or the worker's own
    /// `detection_state` (`detecting`, `stream_lost`, `out_of_window`, ...).
    pub fn state(&self) -> String {
        let s = self.status();
        match s.reachable {
            None => "unknown".into(),
            Some(false) => "offline".into(),
            Some(true) => s
                .stats
                .as_ref()
                .and_then(|v| v["detection_state"].as_str())
                .map(|st| match st {
                    "detecting" | "out_of_window" | "stream_lost" | "disabled" | "initializing"
                    | "waiting_frame" => st.to_string(),
                    _ => "online".to_string(),
                })
                .unwrap_or_else(|| "online".into()),
        }
    }

    pub fn online(&self) -> bool {
        self.status().reachable == Some(true)
    }

    /// The camera as `GET /api/cameras` shows it.
    pub fn view(&self) -> Value {
        let state = self.state();
        let s = self.status();
        let cache = self.cache();
        let stats = s.stats.as_ref();
        let pick = |k: &str| stats.map(|v| v[k].clone()).unwrap_or(Value::Null);
        let seen_ago = s.last_seen_at.map(|t| round2(t.elapsed().as_secs_f64()));
        json!({
            "name": self.name,
            // The worker's CAMERA_DISPLAY_NAME when it set one, else the dashboard's name.
            "display_name": stats
                .and_then(|v| v["display_name"].as_str().filter(|d| v["camera"] != *d))
                .unwrap_or(&self.name),
            "url": self.url_masked(),
            "state": state,
            "online": s.reachable == Some(true),
            "error": s.error,
            "last_seen": s.last_seen.map(iso),
            "seen_ago_s": seen_ago,
            "down_since": s.down_since.map(iso),
            "last_poll": s.last_poll.map(iso),
            "polls": s.polls,
            "poll_failures": s.poll_failures,
            "connected": pick("connected"),
            "detection_state": pick("detection_state"),
            "resolution": pick("resolution"),
            "codec": pick("codec"),
            "source_fps": pick("source_fps"),
            "processing_fps": pick("processing_fps"),
            "last_frame_age_s": pick("last_frame_age_s"),
            "last_error": pick("last_error"),
            "settings": pick("settings"),
            "window": pick("window"),
            "worker_detections": pick("detections"),
            "cached_detections": cache.len(),
            "cached_whole": cache.whole(),
            "detections_synced": cache.synced,
            "detections_error": cache.last_error,
            "stats": stats,
        })
    }
}

/// Everything the handlers and the poller share.
pub struct App {
    pub config: Config,
    pub cameras: Vec<Arc<Camera>>,
    by_name: HashMap<String, usize>,
    pub client: WorkerClient,
    pub nights: Nights,
    pub started: Instant,
    pub started_at: DateTime<Utc>,
    pub selfcheck: crate::selfcheck::SelfCheck,
}

impl App {
    pub fn new(config: Config) -> Arc<App> {
        let cameras: Vec<Arc<Camera>> = config
            .cameras
            .iter()
            .map(|c| Arc::new(Camera::new(c, config.cache_records)))
            .collect();
        let by_name = cameras
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let client = WorkerClient::new(config.request_timeout, config.api_token.clone());
        let nights = Nights::from_config(&config);
        Arc::new(App {
            config,
            cameras,
            by_name,
            client,
            nights,
            started: Instant::now(),
            started_at: Utc::now(),
            selfcheck: Default::default(),
        })
    }

    pub fn camera(&self, name: &str) -> Option<&Arc<Camera>> {
        self.by_name.get(name).map(|&i| &self.cameras[i])
    }

    pub fn online(&self) -> usize {
        self.cameras.iter().filter(|c| c.online()).count()
    }
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
