//! RTSP cameras: `rtspsrc`, then the depayloader and parser for whatever video codec the
//! camera announces in its SDP (H.264 or H.265), then the shared video branch. Audio and
//! metadata streams are drained into a fakesink so they never block the video. The jitter
//! buffer of the video stream is kept (weakly) to count lost packets.

use super::pipeline::{attach_discard, attach_video_branch, Outputs, Source, Stream, StreamEvent};
use super::{Opener, Shrink, SourceError};
use crate::ring::SharedRing;
use gstreamer as gst;
use gstreamer::prelude::*;
use meteor_core::url::mask_url;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// RTSP lower transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
    /// TCP first; UDP after a TCP connection that gave no frame, and back to TCP after a
    /// UDP one that gave none (rtspsrc's own fallback goes the other way: UDP first).
    Auto,
}

impl std::str::FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tcp" => Ok(Transport::Tcp),
            "udp" => Ok(Transport::Udp),
            "auto" => Ok(Transport::Auto),
            other => Err(format!(
                "RTSP_TRANSPORT: expected tcp, udp or auto, got '{other}'"
            )),
        }
    }
}

impl Transport {
    /// rtspsrc's `protocols` flags for one connection.
    fn protocols(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp | Transport::Auto => "tcp",
        }
    }
}

/// What the live stream announced, for /stats.
#[derive(Debug, Clone, Default)]
pub struct StreamInfo {
    pub codec: Option<String>,
    /// The RTP session of the video stream (rtspsrc's `recv_rtp_src_<session>_...` pad).
    video_session: Option<u32>,
    /// Every jitter buffer of the connection, by RTP session.
    jitterbuffers: Vec<(u32, gst::glib::WeakRef<gst::Element>)>,
}

pub struct RtspOpener {
    url: String,
    transport: Transport,
    /// Jitter-buffer latency.
    latency: Duration,
    /// How long rtspsrc waits on a silent TCP connection before failing.
    tcp_timeout: Duration,
    info: Arc<Mutex<StreamInfo>>,
    /// With [`Transport::Auto`]: the next connection tries UDP.
    auto_udp: AtomicBool,
}

impl RtspOpener {
    pub fn new(url: impl Into<String>, transport: Transport, timeout: Duration) -> RtspOpener {
        RtspOpener {
            url: url.into(),
            transport,
            latency: Duration::from_millis(200),
            tcp_timeout: timeout,
            info: Arc::default(),
            auto_udp: AtomicBool::new(false),
        }
    }

    /// The transport of the next connection.
    pub fn next_transport(&self) -> Transport {
        match self.transport {
            Transport::Auto if self.auto_udp.load(Ordering::Relaxed) => Transport::Udp,
            Transport::Auto => Transport::Tcp,
            t => t,
        }
    }

    /// What the current connection's SDP announced.
    pub fn info(&self) -> StreamInfo {
        self.info.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The depayloader and parser for an RTP video encoding, and the codec's display name.
fn depay_for(encoding: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match encoding.to_ascii_uppercase().as_str() {
        "H264" => Some(("rtph264depay", "h264parse", "H.264")),
        "H265" => Some(("rtph265depay", "h265parse", "H.265")),
        "MP4V-ES" => Some(("rtpmp4vdepay", "mpeg4videoparse", "MPEG-4")),
        "JPEG" => Some(("rtpjpegdepay", "jpegparse", "MJPEG")),
        _ => None,
    }
}

impl Opener for RtspOpener {
    fn describe(&self) -> String {
        mask_url(&self.url)
    }

    fn codec(&self) -> Option<String> {
        self.info().codec
    }

    fn connection_ended(&self, delivered: bool) {
        if self.transport == Transport::Auto && !delivered {
            let udp = !self.auto_udp.fetch_xor(true, Ordering::Relaxed);
            let (from, to) = if udp { ("TCP", "UDP") } else { ("UDP", "TCP") };
            tracing::info!(url = %self.describe(), "RTSP_TRANSPORT=auto: no frame over {from}; the next try uses {to}");
        }
    }

    fn lost_packets(&self) -> Option<u64> {
        let info = self.info.lock().unwrap_or_else(|p| p.into_inner());
        let session = info.video_session?;
        let lost = info
            .jitterbuffers
            .iter()
            .filter(|(s, _)| *s == session)
            .filter_map(|(_, jb)| jb.upgrade())
            .filter_map(|jb| {
                jb.property::<gst::Structure>("stats")
                    .get::<u64>("num-lost")
                    .ok()
            })
            .sum();
        Some(lost)
    }

    fn open(&self, ring: SharedRing, live: bool, shrink: Shrink) -> Result<Stream, SourceError> {
        let name = self.describe();
        let fail = |detail: String| SourceError::Pipeline {
            source_name: name.clone(),
            detail,
        };
        crate::init_gstreamer().map_err(|e| fail(e.to_string()))?;
        let pipeline = gst::Pipeline::new();
        // Credentials go in their own properties, decoded: rtspsrc then never has the
        // password in its location (nor in the errors it builds from it), and a password
        // pasted raw with '@' or ':' in it works.
        let (location, credentials) = meteor_core::url::split_credentials(&self.url);
        let mut src = gst::ElementFactory::make("rtspsrc")
            .property("location", &location)
            .property("latency", self.latency.as_millis() as u32)
            .property("tcp-timeout", self.tcp_timeout.as_micros() as u64)
            .property("timeout", self.tcp_timeout.as_micros() as u64)
            .property_from_str("protocols", self.next_transport().protocols())
            // A camera's clock is not ours: timestamps follow arrival, smoothed.
            .property_from_str("buffer-mode", "auto");
        if let Some((user, pass)) = credentials {
            src = src.property("user-id", user).property("user-pw", pass);
        }
        let src = src.build().map_err(|_| {
            fail("GStreamer element rtspsrc is missing (run scripts/setup.sh)".into())
        })?;
        pipeline.add(&src).map_err(|e| fail(e.to_string()))?;

        let (out, rx) = Outputs::new(ring, live, shrink);
        let (tx, dropped) = (out.frames.clone(), out.dropped.clone());
        let have_video = Arc::new(AtomicBool::new(false));
        let weak = pipeline.downgrade();
        let info = self.info.clone();
        *info.lock().unwrap_or_else(|p| p.into_inner()) = StreamInfo::default();
        let source_name = name.clone();
        // rtspsrc's rtpbin makes one jitter buffer per stream; the video's counts losses.
        let jb_info = info.clone();
        src.connect("new-manager", false, move |args| {
            let manager = args.get(1).and_then(|v| v.get::<gst::Element>().ok())?;
            // Only the video is used: no lip sync. rtpbin would otherwise shift the video's
            // timestamps by the audio's offset once the first RTCP report arrives (up to
            // 3 s), and every frame after it would be mapped that much late.
            if manager.find_property("max-ts-offset").is_some() {
                manager.set_property("max-ts-offset", 1i64);
            }
            if manager.find_property("latency").is_some() {
                let jb_info = jb_info.clone();
                manager.connect("new-jitterbuffer", false, move |args| {
                    let jb = args.get(1).and_then(|v| v.get::<gst::Element>().ok())?;
                    let session = args.get(2).and_then(|v| v.get::<u32>().ok())?;
                    jb_info
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .jitterbuffers
                        .push((session, jb.downgrade()));
                    None
                });
            }
            None
        });
        src.connect_pad_added(move |_, pad| {
            let Some(pipeline) = weak.upgrade() else {
                return;
            };
            let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
            let Some(s) = caps.structure(0) else {
                return attach_discard(&pipeline, pad);
            };
            let media = s.get::<&str>("media").unwrap_or("");
            let encoding = s.get::<&str>("encoding-name").unwrap_or("");
            if media != "video" || have_video.load(Ordering::SeqCst) {
                tracing::info!(url = %source_name, media, encoding, "ignoring the camera's {media} stream ({encoding})");
                return attach_discard(&pipeline, pad);
            }
            let Some((depay, parse, codec)) = depay_for(encoding) else {
                let _ = tx.try_send(StreamEvent::Error(format!(
                    "{source_name}: the camera sends {encoding} video, which meteor watch cannot decode"
                )));
                return attach_discard(&pipeline, pad);
            };
            have_video.store(true, Ordering::SeqCst);
            {
                let mut i = info.lock().unwrap_or_else(|p| p.into_inner());
                i.codec = Some(codec.to_string());
                i.video_session = session_of(&pad.name());
            }
            if let Err(e) = link_depay(&pipeline, pad, depay, parse, out.clone()) {
                let _ = tx.try_send(StreamEvent::Error(format!("{source_name}: {e}")));
            }
        });

        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| fail("GStreamer could not start the RTSP source".into()))?;
        Ok(Stream::new(pipeline, rx, name, dropped))
    }
}

/// The RTP session of an rtspsrc pad named `recv_rtp_src_<session>_<ssrc>_<pt>`.
fn session_of(pad_name: &str) -> Option<u32> {
    pad_name
        .strip_prefix("recv_rtp_src_")?
        .split('_')
        .next()?
        .parse()
        .ok()
}

/// `pad ! depay ! parse ! <video branch>`; the parser re-sends SPS/PPS with every keyframe so
/// each clip cut from the ring starts decodable.
fn link_depay(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    depay: &str,
    parse: &str,
    out: Outputs,
) -> Result<(), String> {
    let make = |f: &str| {
        gst::ElementFactory::make(f)
            .build()
            .map_err(|_| format!("GStreamer element {f} is missing (run scripts/setup.sh)"))
    };
    let depay = make(depay)?;
    let parse = make(parse)?;
    if parse.has_property("config-interval") {
        parse.set_property("config-interval", -1i32);
    }
    pipeline
        .add_many([&depay, &parse])
        .map_err(|e| e.to_string())?;
    depay.link(&parse).map_err(|e| e.to_string())?;
    depay.sync_state_with_parent().map_err(|e| e.to_string())?;
    parse.sync_state_with_parent().map_err(|e| e.to_string())?;
    let parse_src = parse.static_pad("src").expect("parsers have a src pad");
    attach_video_branch(pipeline, &parse_src, out, Source::Live)?;
    let depay_sink = depay
        .static_pad("sink")
        .expect("depayloaders have a sink pad");
    pad.link(&depay_sink)
        .map_err(|e| format!("cannot link the RTP video stream: {e:?}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_session_comes_from_the_pad_name() {
        assert_eq!(super::session_of("recv_rtp_src_0_1234567_96"), Some(0));
        assert_eq!(super::session_of("recv_rtp_src_2_99_8"), Some(2));
        assert_eq!(super::session_of("src_0"), None);
    }
}
