//! Simulated RTSP cameras: [`SimServer`] serves each [`CameraConfig`]'s rendered loop at
//! `rtsp://BIND:PORT/MOUNT`, for the live camera worker's tests and benchmarks.
//!
//! * Cheap: each loop is rendered and encoded once (and cached on disk, see `cache.rs`); serving
//!   only pushes the cached access units into an `appsrc` at the frame rate.
//! * Like a real camera, each mount runs on the wall clock from the server's start (its
//!   [`Timeline`]), watched or not; every client starts at a keyframe (per-client media,
//!   see `rtsp.rs`).
//! * Ground truth with wall-clock times: [`SimServer::truth`] ([`ServedEvent`]s).
//! * Faults: [`SimServer::stop`] / [`SimServer::restart`] (a camera going away and coming back
//!   on the same port), [`SimServer::stall`] (a camera that freezes, connection open),
//!   [`SimServer::garbage`] (undecodable frames at the frame rate), and the network's
//!   [`SimServer::packet_loss`] and [`SimServer::network_wander`] (`network.rs`).
//! * Options: H.264 or H.265, a silent audio track (PCMA, PCMU or AAC), basic-auth
//!   credentials.
//! * A day/night profile switch: [`SimServer::switch`] (now) or
//!   [`CameraConfig::with_switch`] (scheduled) makes a mount serve another loop with a
//!   different size and/or frame rate on the same connections: new caps on the `appsrc`,
//!   in-band parameter sets, so the client's decoder renegotiates (`switch.rs`).
//!
//! ```no_run
//! use meteor_sim::serve::{CameraConfig, ServerConfig, SimServer};
//! use meteor_sim::{Profile, RenderSpec};
//! let spec = RenderSpec::from_profile(Profile::Mixed, 1, 640, 360, 30.0, 20.0);
//! let server = SimServer::start(ServerConfig::new(vec![CameraConfig::new("/cam1", spec)])).unwrap();
//! println!("{}", server.url("/cam1"));
//! // ... run a worker on it, then compare its detections with:
//! let shown = server.truth("/cam1").unwrap();
//! ```

mod cache;
mod camera_arg;
mod network;
mod pusher;
mod rtsp;
mod server;
mod switch;
mod timeline;

pub use camera_arg::{parse_auth_arg, CAMERA_ARG_HELP};
pub use server::SimServer;
pub use timeline::{ServedEvent, Timeline};

pub(crate) use server::MountState;

use crate::spec::RenderSpec;
use std::path::PathBuf;

/// Video codec of a simulated camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    H264,
    H265,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::H265 => "h265",
        }
    }

    /// The caps media type, `video/x-h264` or `video/x-h265`.
    pub fn media_type(self) -> &'static str {
        match self {
            Codec::H264 => "video/x-h264",
            Codec::H265 => "video/x-h265",
        }
    }

    pub(crate) fn encoder(self) -> &'static str {
        match self {
            Codec::H264 => "x264enc",
            Codec::H265 => "x265enc",
        }
    }

    pub(crate) fn parser(self) -> &'static str {
        match self {
            Codec::H264 => "h264parse",
            Codec::H265 => "h265parse",
        }
    }

    pub(crate) fn payloader(self) -> &'static str {
        match self {
            Codec::H264 => "rtph264pay",
            Codec::H265 => "rtph265pay",
        }
    }
}

impl std::str::FromStr for Codec {
    type Err = String;
    fn from_str(s: &str) -> Result<Codec, String> {
        match s.to_ascii_lowercase().as_str() {
            "h264" | "avc" => Ok(Codec::H264),
            "h265" | "hevc" => Ok(Codec::H265),
            _ => Err(format!("unknown codec `{s}` (expected h264 or h265)")),
        }
    }
}

/// The silent audio track of a simulated camera, as IP cameras carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Audio {
    #[default]
    None,
    /// G.711 A-law, 8 kHz mono, static payload type 8.
    Pcma,
    /// G.711 mu-law, 8 kHz mono, static payload type 0.
    Pcmu,
    /// AAC-LC, 16 kHz mono, RTP `MPEG4-GENERIC` (RFC 3640, as most cameras send it), pt 97.
    Aac,
}

impl Audio {
    /// The media-pipeline branch producing the track (`pay1`), empty for none.
    pub(crate) fn launch(self) -> &'static str {
        match self {
            Audio::None => "",
            Audio::Pcma => {
                " audiotestsrc is-live=true wave=silence samplesperbuffer=320 \
                 ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8"
            }
            Audio::Pcmu => {
                " audiotestsrc is-live=true wave=silence samplesperbuffer=320 \
                 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0"
            }
            // avenc_aac is in gstreamer1.0-libav (scripts/setup.sh installs it).
            Audio::Aac => {
                " audiotestsrc is-live=true wave=silence samplesperbuffer=1024 \
                 ! audio/x-raw,rate=16000,channels=1 ! audioconvert ! avenc_aac ! aacparse \
                 ! rtpmp4gpay name=pay1 pt=97"
            }
        }
    }
}

impl std::str::FromStr for Audio {
    type Err = String;
    fn from_str(s: &str) -> Result<Audio, String> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(Audio::None),
            "pcma" | "alaw" => Ok(Audio::Pcma),
            "pcmu" | "mulaw" => Ok(Audio::Pcmu),
            "aac" => Ok(Audio::Aac),
            _ => Err(format!(
                "unknown audio `{s}` (expected pcma, pcmu, aac or none)"
            )),
        }
    }
}

/// A scheduled change of what a mount serves: from `after_s` seconds after the server
/// started, the loop of `spec` (another size and/or frame rate).
#[derive(Debug, Clone)]
pub struct Switch {
    pub after_s: f64,
    pub spec: RenderSpec,
}

/// One simulated camera.
#[derive(Debug, Clone)]
pub struct CameraConfig {
    /// Mount path, e.g. `/cam1` (a missing leading `/` is added).
    pub mount: String,
    /// The loop's content; its duration is the loop length.
    pub spec: RenderSpec,
    pub codec: Codec,
    /// A silent audio track next to the video, or none.
    pub audio: Audio,
    /// Basic-auth user and password; `None` = open.
    pub credentials: Option<(String, String)>,
    /// Seconds between keyframes (default 1).
    pub keyframe_interval_s: f64,
    /// Scheduled switches to other loops, in the order they happen.
    pub switches: Vec<Switch>,
    /// Only RTP over UDP: a client asking for TCP interleaving is refused (461), as some
    /// cameras do.
    pub udp_only: bool,
    /// A metadata stream beside the video (media `application`, as ONVIF cameras send one).
    pub metadata: bool,
}

impl CameraConfig {
    /// H.264, no audio, no credentials, a keyframe every second.
    pub fn new(mount: impl Into<String>, spec: RenderSpec) -> CameraConfig {
        CameraConfig {
            mount: mount.into(),
            spec,
            codec: Codec::H264,
            audio: Audio::None,
            credentials: None,
            keyframe_interval_s: 1.0,
            switches: Vec::new(),
            udp_only: false,
            metadata: false,
        }
    }

    pub fn with_metadata(mut self, metadata: bool) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn with_udp_only(mut self, udp_only: bool) -> Self {
        self.udp_only = udp_only;
        self
    }

    pub fn with_codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    pub fn with_audio(mut self, audio: Audio) -> Self {
        self.audio = audio;
        self
    }

    /// From `after_s` seconds after the server starts, serves the loop of `spec` instead
    /// (same codec and keyframe interval), on the same connections. Rendered at start.
    pub fn with_switch(mut self, after_s: f64, spec: RenderSpec) -> Self {
        self.switches.push(Switch { after_s, spec });
        self
    }

    pub fn with_credentials(mut self, user: impl Into<String>, pass: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), pass.into()));
        self
    }

    pub fn with_keyframe_interval(mut self, seconds: f64) -> Self {
        self.keyframe_interval_s = seconds;
        self
    }
}

/// What [`SimServer::start`] serves, and where.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1` or `0.0.0.0`.
    pub bind: String,
    /// TCP port; 0 picks a free one ([`SimServer::port`] tells which).
    pub port: u16,
    pub cameras: Vec<CameraConfig>,
    /// Where rendered loops are cached; `None` = `$METEOR_SIM_CACHE` or
    /// `{temp}/meteor-sim-cache`.
    pub cache_dir: Option<PathBuf>,
}

impl ServerConfig {
    /// `cameras` on 127.0.0.1, any free port.
    pub fn new(cameras: Vec<CameraConfig>) -> ServerConfig {
        ServerConfig {
            bind: "127.0.0.1".into(),
            port: 0,
            cameras,
            cache_dir: None,
        }
    }
}
