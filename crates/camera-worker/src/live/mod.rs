//! `camera-worker run`: one camera as a long-running service. A streamer thread follows the
//! RTSP stream through the engine (reconnecting as needed), the writer thread turns events
//! into files and records, and the HTTP API (`crate::http`) shows it all. Configured by flags
//! or the environment variables the generated compose file passes.

mod preview;
pub mod settings;
pub mod status;
mod streamer;
pub mod upkeep;

pub use preview::Preview;

use crate::catalog::Catalog;
use crate::config::DetectionArgs;
use crate::ingest::rtsp::{RtspOpener, Transport};
use crate::ring::{Ring, SharedRing};
use crate::store::Store;
use crate::writer::{Writer, WriterConfig};
use clap::Args;
use meteor_core::clock::{Clock, SystemClock};
use meteor_core::window::NightWindow;
use settings::{Chosen, Effective, MaskPaths, MaskSource};
use status::Status;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use upkeep::{Upkeep, UpkeepArgs};

#[derive(Debug, Clone, Args)]
pub struct RunCmd {
    /// The camera's stream: rtsp://[user:pass@]host[:port]/path.
    #[arg(long, env = "RTSP_URL")]
    pub url: String,
    /// Name used in records, file names and logs.
    #[arg(long, env = "CAMERA_NAME", default_value = "camera")]
    pub camera: String,
    /// Name shown in pages (any text); defaults to the camera name.
    #[arg(long, env = "CAMERA_DISPLAY_NAME")]
    pub display_name: Option<String>,
    /// Where this camera's clips, images and records go.
    #[arg(long, env = "OUTPUT_DIR", default_value = "/output")]
    pub output: PathBuf,
    #[arg(long, env = "WEB_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address the HTTP API listens on.
    #[arg(long, env = "BIND", default_value = "0.0.0.0")]
    pub bind: String,
    #[command(flatten)]
    pub detection: DetectionArgs,
    /// Pre-roll kept in memory, seconds of compressed video (clips start inside it).
    #[arg(long, env = "BUFFER", default_value_t = 15.0)]
    pub buffer: f64,
    /// Write a clip for each meteor (composites and records are always written).
    #[arg(long, env = "EXTRACT_CLIPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub extract_clips: bool,
    #[command(flatten)]
    pub site: meteor_service::SiteArgs,
    /// Detect only while the sun is below SUN_ALTITUDE at LATITUDE/LONGITUDE.
    #[arg(long, env = "ENABLE_TIME_WINDOW", default_value_t = false, action = clap::ArgAction::Set)]
    pub enable_time_window: bool,
    /// tcp, udp or auto (TCP, falling back to UDP).
    #[arg(long, env = "RTSP_TRANSPORT", default_value = "tcp")]
    pub transport: String,
    /// Seconds without a frame before the stream counts as lost and is reopened.
    #[arg(long, env = "STREAM_TIMEOUT", default_value_t = 10.0)]
    pub stream_timeout: f64,
    /// When set, changes over the API need `Authorization: Bearer <token>`.
    #[arg(long, env = "API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// Live view: frames a second and width.
    #[arg(long, env = "PREVIEW_FPS", default_value_t = 2.0)]
    pub preview_fps: f64,
    #[arg(long, env = "PREVIEW_WIDTH", default_value_t = 640)]
    pub preview_width: u32,
    #[command(flatten)]
    pub upkeep: UpkeepArgs,
}

/// Everything the streamer, the writer and the HTTP handlers share.
pub struct Shared {
    pub camera: String,
    pub display_name: String,
    pub url_masked: String,
    pub output: PathBuf,
    pub api_token: Option<String>,
    pub started: Instant,
    pub clock: Arc<dyn Clock>,
    pub window: Option<NightWindow>,
    pub tz: meteor_core::Zone,
    pub status: Status,
    pub preview: Arc<Preview>,
    pub ring: SharedRing,
    pub writer: Writer,
    pub catalog: Arc<Mutex<Catalog>>,
    /// H.264 copies of H.265 clips for browsers, made in the background or on request.
    pub renditions: Arc<crate::rendition::Renditions>,
    settings: RwLock<Effective>,
    masks: MaskPaths,
    /// A mask made by `POST /mask`, waiting to be confirmed: PNG bytes and the sky share.
    pub mask_candidate: Mutex<Option<(Vec<u8>, f32)>>,
    pub settings_generation: AtomicU64,
    pub shutdown: AtomicBool,
    pub upkeep: Upkeep,
    pub upkeep_args: UpkeepArgs,
}

impl Shared {
    pub fn settings(&self) -> Effective {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Applies and saves new settings; the streamer picks them up at its next frame.
    pub fn apply_settings(&self, chosen: Chosen) -> anyhow::Result<Effective> {
        let next = Effective::new(chosen, &self.masks)?;
        settings::save(&self.output, &next.chosen)?;
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = next.clone();
        self.writer
            .set_live(next.chosen.extract_clips, next.chosen.sensitivity.name());
        self.settings_generation.fetch_add(1, Ordering::AcqRel);
        tracing::info!(camera = %self.camera, settings = ?next.chosen, "settings changed");
        Ok(next)
    }

    /// Start of the night `now` belongs to: the latest local noon (nights are counted from noon
    /// to noon, so one night's detections share a date).
    pub fn night_start(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        let date = (self.tz.local(now) - chrono::Duration::hours(12)).date();
        self.tz
            .to_utc(date.and_hms_opt(12, 0, 0).expect("valid time"))
    }

    /// Whether detection may run now.
    /// Switches the exclusion mask image, live and kept across restarts.
    pub fn set_mask(&self, source: MaskSource) -> anyhow::Result<Effective> {
        let mut chosen = self.settings().chosen;
        chosen.mask = source;
        self.apply_settings(chosen)
    }

    pub fn window_active(&self) -> bool {
        self.window
            .as_ref()
            .is_none_or(|w| w.is_active(self.clock.now()))
    }

    pub fn log_summary(&self) {
        let s = self.status.snapshot();
        let total = self.catalog.lock().map(|c| c.total()).unwrap_or(0);
        tracing::info!(
            camera = %self.camera,
            uptime_h = format!("{:.1}", self.started.elapsed().as_secs_f64() / 3600.0),
            frames = s.frames,
            dropped = s.dropped_frames,
            reconnects = s.reconnects,
            lost_packets = s.lost_packets,
            corrupt_frames = s.corrupt_frames,
            detections = total,
            "hourly summary"
        );
    }
}

/// Builds the shared state from the command line: validates everything before any thread
/// starts, so a bad setting is one clear error at start-up.
pub fn build(cmd: &RunCmd, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Shared>> {
    use anyhow::Context;
    // Checked here so a bad value stops the start, not the first connection.
    cmd.transport
        .parse::<Transport>()
        .map_err(anyhow::Error::msg)?;
    let resolved = cmd.detection.resolve()?;
    cmd.upkeep.validate().map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&cmd.output)
        .with_context(|| format!("OUTPUT_DIR {}: cannot create", cmd.output.display()))?;
    let store = Store::open(&cmd.output)
        .with_context(|| format!("OUTPUT_DIR {}: cannot open the store", cmd.output.display()))?;
    let chosen = match settings::load(&cmd.output)? {
        Some(saved) => {
            tracing::info!(file = %cmd.output.join(settings::FILE).display(), "using settings saved from the API");
            saved
        }
        None => Chosen {
            sensitivity: resolved.sensitivity,
            scale: cmd.detection.scale,
            exclude_bottom: cmd.detection.exclude_bottom,
            exclude_edge: cmd.detection.exclude_edge,
            extract_clips: cmd.extract_clips,
            overrides: overrides(&cmd.detection)?,
            mask: MaskSource::Environment,
        },
    };
    let masks = MaskPaths {
        environment: cmd.detection.mask.clone(),
        output: cmd.output.clone(),
    };
    let effective = Effective::new(chosen, &masks)?;
    // WindowError's messages name the variable (LATITUDE, SUN_ALTITUDE, TIMEZONE...).
    let window = if cmd.enable_time_window {
        Some(cmd.site.window()?.ok_or_else(|| {
            anyhow::anyhow!(
                "ENABLE_TIME_WINDOW is on but LATITUDE and LONGITUDE are not set; give the camera's position in degrees"
            )
        })?)
    } else {
        None
    };
    let tz = cmd.site.tz()?;
    let p = effective.params;
    // When the writer cuts a clip the ring must still hold its start: the pre-roll, the
    // longest event, then whichever comes later, the post-roll or the report (the gap that
    // ends a track and the hold of a slow one, `scene::HOLD_S`), and 2 s for the writer's
    // queue. 15 s with the defaults, so BUFFER=15 sets the size.
    let needed = (p.clip_before_s + p.max_duration_s) as f64
        + (p.clip_after_s as f64).max(p.max_gap_s as f64 + crate::scene::HOLD_S)
        + 2.0;
    let ring = Ring::new(Duration::from_secs_f64(cmd.buffer.max(needed)));
    let catalog = Arc::new(Mutex::new(Catalog::open(&store)));
    let renditions = crate::rendition::Renditions::spawn(
        &cmd.camera,
        &cmd.output,
        std::env::current_exe().context("finding the camera-worker binary")?,
        catalog.clone(),
    );
    let on_written = {
        let (catalog, renditions) = (catalog.clone(), renditions.clone());
        Box::new(move |d: &meteor_core::Detection| {
            catalog.lock().unwrap_or_else(|p| p.into_inner()).add(d);
            renditions.submit(d);
        })
    };
    let writer = Writer::spawn_with(
        store,
        ring.clone(),
        WriterConfig {
            camera: cmd.camera.clone(),
            sensitivity: effective.chosen.sensitivity.name().to_string(),
            clips: effective.chosen.extract_clips,
            clip_before_s: p.clip_before_s as f64,
            clip_after_s: p.clip_after_s as f64,
            post_roll_timeout: Duration::from_secs_f64(p.clip_after_s as f64 + 5.0),
            queue: 32,
            durability: crate::writer::Durability {
                min_free_bytes: cmd.upkeep.min_free_mb << 20,
                ..Default::default()
            },
        },
        on_written,
    );
    Ok(Arc::new(Shared {
        camera: cmd.camera.clone(),
        display_name: cmd
            .display_name
            .clone()
            .unwrap_or_else(|| cmd.camera.clone()),
        url_masked: meteor_core::url::mask_url(&cmd.url),
        output: cmd.output.clone(),
        api_token: cmd.api_token.clone().filter(|t| !t.is_empty()),
        started: Instant::now(),
        clock,
        window,
        tz,
        status: Status::default(),
        preview: Preview::new(cmd.preview_width, cmd.preview_fps),
        ring,
        writer,
        catalog,
        renditions,
        settings: RwLock::new(effective),
        masks,
        mask_candidate: Mutex::new(None),
        settings_generation: AtomicU64::new(0),
        shutdown: AtomicBool::new(false),
        upkeep: Upkeep::default(),
        upkeep_args: cmd.upkeep.clone(),
    }))
}

fn overrides(
    d: &DetectionArgs,
) -> anyhow::Result<std::collections::BTreeMap<String, serde_json::Value>> {
    let mut out = std::collections::BTreeMap::new();
    for o in &d.overrides {
        let (k, v) = o
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--set {o}: expected NAME=VALUE"))?;
        let value: serde_json::Value = serde_json::from_str(v.trim())
            .map_err(|_| anyhow::anyhow!("--set {o}: {v:?} is not a number"))?;
        out.insert(k.trim().to_string(), value);
    }
    Ok(out)
}

/// Runs the worker until SIGTERM or Ctrl-C.
pub fn run(cmd: &RunCmd) -> anyhow::Result<()> {
    let shared = build(cmd, Arc::new(SystemClock::default()))?;
    let transport: Transport = cmd.transport.parse().map_err(anyhow::Error::msg)?;
    let opener = RtspOpener::new(
        cmd.url.clone(),
        transport,
        Duration::from_secs_f64(cmd.stream_timeout.max(1.0)),
    );
    tracing::info!(
        camera = %shared.camera,
        url = %shared.url_masked,
        output = %cmd.output.display(),
        port = cmd.port,
        "camera worker starting"
    );
    let streamer = streamer::Streamer {
        opener: Box::new(opener),
        shared: shared.clone(),
        stream_timeout: Duration::from_secs_f64(cmd.stream_timeout.max(1.0)),
    };
    let handle = std::thread::Builder::new()
        .name(format!("stream-{}", cmd.camera))
        .spawn(move || streamer.run())?;
    let policy = cmd.upkeep.policy().map_err(anyhow::Error::msg)?;
    let upkeep = upkeep::spawn(shared.clone(), cmd.upkeep.clone(), policy);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let addr = format!("{}:{}", cmd.bind, cmd.port);
    let served = rt.block_on(crate::http::serve(shared.clone(), &addr));
    shared.shutdown.store(true, Ordering::Relaxed);
    tracing::info!(camera = %shared.camera, "stopping: finishing the event in progress");
    let _ = handle.join();
    let _ = upkeep.join();
    shared.writer.flush(Duration::from_secs(20));
    served
}

/// Runs the streamer for `opener` on an existing shared state (tests drive it with a
/// simulated clock and any source).
pub fn spawn_streamer(
    shared: Arc<Shared>,
    opener: Box<dyn crate::ingest::Opener>,
    stream_timeout: Duration,
) -> std::thread::JoinHandle<()> {
    let s = streamer::Streamer {
        opener,
        shared,
        stream_timeout,
    };
    std::thread::spawn(move || s.run())
}
