//! A real GStreamer RTSP client for the simulated-camera tests:
//! `rtspsrc ! rtph26Xdepay ! h26Xparse ! avdec_h26X ! appsink`, recording when each decoded
//! frame arrived, its size and frame rate, the kinds of stream the server offered, and bus
//! errors / EOS.

#![allow(dead_code)]

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use meteor_sim::serve::Codec;
use meteor_sim::RenderSpec;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Seen {
    frames: Vec<(Instant, i32, i32)>,
    /// Decoded timestamps, ns.
    pts: Vec<u64>,
    /// `media` of each stream rtspsrc exposed (`video`, `audio`).
    streams: Vec<String>,
    /// `encoding-name` of each stream rtspsrc exposed (`H264`, `PCMA`, `MPEG4-GENERIC`, ...).
    encodings: Vec<String>,
    /// Each distinct decoded format in turn: width, height, frame rate.
    formats: Vec<(i32, i32, f64)>,
}

pub struct Client {
    pipeline: gst::Pipeline,
    seen: Arc<Mutex<Seen>>,
}

/// A small loop: 320x240 at 30 fps, `seconds` long.
pub fn small_spec(seed: u64, seconds: f64) -> RenderSpec {
    RenderSpec::from_profile(meteor_sim::Profile::Mixed, seed, 320, 240, 30.0, seconds)
}

impl Client {
    /// Connects to `url` over `protocols` (`tcp` or `udp`).
    pub fn connect(url: &str, codec: Codec, protocols: &str) -> Client {
        gst::init().unwrap();
        let c = codec.name();
        let desc = format!(
            "rtspsrc name=src location=\"{url}\" protocols={protocols} latency=100 \
             ! rtp{c}depay ! {c}parse ! avdec_{c} ! appsink name=sink sync=false"
        );
        let pipeline = gst::parse::launch(&desc)
            .unwrap()
            .downcast::<gst::Pipeline>()
            .unwrap();
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let src = pipeline.by_name("src").unwrap();
        let s = seen.clone();
        src.connect_pad_added(move |_, pad| {
            let caps = pad.current_caps().unwrap();
            let st = caps.structure(0).unwrap();
            let media = st.get::<String>("media").unwrap();
            let encoding = st.get::<String>("encoding-name").unwrap_or_default();
            let mut seen = s.lock().unwrap();
            seen.streams.push(media);
            seen.encodings.push(encoding);
        });
        let sink = pipeline
            .by_name("sink")
            .unwrap()
            .downcast::<gst_app::AppSink>()
            .unwrap();
        let s = seen.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    let st = sample.caps().unwrap().structure(0).unwrap().to_owned();
                    let (w, h) = (
                        st.get::<i32>("width").unwrap(),
                        st.get::<i32>("height").unwrap(),
                    );
                    let fps = st
                        .get::<gst::Fraction>("framerate")
                        .map(|f| f.numer() as f64 / f.denom() as f64)
                        .unwrap_or(0.0);
                    let pts = sample.buffer().and_then(|b| b.pts()).map(|t| t.nseconds());
                    let mut seen = s.lock().unwrap();
                    if seen.formats.last() != Some(&(w, h, fps)) {
                        seen.formats.push((w, h, fps));
                    }
                    seen.frames.push((Instant::now(), w, h));
                    seen.pts.extend(pts);
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
        pipeline.set_state(gst::State::Playing).unwrap();
        Client { pipeline, seen }
    }

    pub fn frames(&self) -> usize {
        self.seen.lock().unwrap().frames.len()
    }

    /// Frames that arrived within `[from, to)`.
    pub fn frames_between(&self, from: Instant, to: Instant) -> usize {
        let s = self.seen.lock().unwrap();
        s.frames.iter().filter(|f| f.0 >= from && f.0 < to).count()
    }

    /// When each decoded frame arrived, in order.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.seen
            .lock()
            .unwrap()
            .frames
            .iter()
            .map(|f| f.0)
            .collect()
    }

    pub fn last_size(&self) -> Option<(i32, i32)> {
        self.seen.lock().unwrap().frames.last().map(|f| (f.1, f.2))
    }

    /// Whether every decoded frame had a timestamp later than the one before.
    pub fn timestamps_increase(&self) -> bool {
        let s = self.seen.lock().unwrap();
        s.pts.len() == s.frames.len() && s.pts.windows(2).all(|w| w[1] > w[0])
    }

    pub fn streams(&self) -> Vec<String> {
        self.seen.lock().unwrap().streams.clone()
    }

    pub fn encodings(&self) -> Vec<String> {
        self.seen.lock().unwrap().encodings.clone()
    }

    /// Each distinct decoded (width, height, frame rate), in the order they came.
    pub fn formats(&self) -> Vec<(i32, i32, f64)> {
        self.seen.lock().unwrap().formats.clone()
    }

    /// Waits until a frame of `w`x`h` arrived; panics with the bus error, if any, on timeout.
    pub fn wait_size(&self, w: i32, h: i32, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.last_size() == Some((w, h)) {
                return Instant::now();
            }
            if let Some(e) = self.error_or_eos(Duration::from_millis(20)) {
                panic!("client failed: {e}; formats {:?}", self.formats());
            }
        }
        panic!(
            "no {w}x{h} frame in {timeout:?}; formats {:?}",
            self.formats()
        );
    }

    /// Waits until at least `n` frames arrived; panics with the bus error, if any, on timeout.
    pub fn wait_frames(&self, n: usize, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.frames() >= n {
                return Instant::now();
            }
            if let Some(e) = self.error_or_eos(Duration::from_millis(20)) {
                panic!("client failed after {} frames: {e}", self.frames());
            }
        }
        panic!("only {} of {n} frames in {timeout:?}", self.frames());
    }

    /// The first error or EOS posted within `timeout`, as text.
    pub fn error_or_eos(&self, timeout: Duration) -> Option<String> {
        let bus = self.pipeline.bus().unwrap();
        let msg = bus.timed_pop_filtered(
            gst::ClockTime::from_nseconds(timeout.as_nanos() as u64),
            &[gst::MessageType::Error, gst::MessageType::Eos],
        )?;
        Some(match msg.view() {
            gst::MessageView::Error(e) => format!("error: {} ({:?})", e.error(), e.debug()),
            _ => "eos".into(),
        })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Asserts that about `fps` frames a second arrive over `window` (within 12 %).
pub fn assert_rate(client: &Client, fps: f64, window: Duration) {
    let from = Instant::now();
    std::thread::sleep(window);
    let n = client.frames_between(from, Instant::now());
    let expected = fps * window.as_secs_f64();
    assert!(
        (n as f64 - expected).abs() <= expected * 0.12,
        "{n} frames in {window:?}, expected about {expected}"
    );
}

/// NAL unit types of the first access unit a client receives: connects to `url` over TCP with
/// `rtspsrc ! rtph264depay ! (byte-stream AUs) ! appsink`.
pub fn first_h264_nal_types(url: &str) -> Vec<u8> {
    gst::init().unwrap();
    let desc = format!(
        "rtspsrc location=\"{url}\" protocols=tcp latency=0 ! rtph264depay \
         ! video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    );
    let (pipeline, sink) = launch(&desc);
    pipeline.set_state(gst::State::Playing).unwrap();
    let sample = sink
        .try_pull_sample(gst::ClockTime::from_seconds(8))
        .expect("no access unit in 8 s");
    let _ = pipeline.set_state(gst::State::Null);
    let map = sample.buffer().unwrap().map_readable().unwrap();
    let d = map.as_slice();
    (0..d.len().saturating_sub(3))
        .filter(|&i| d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1)
        .map(|i| d[i + 3] & 0x1f)
        .collect()
}

/// Builds the pipeline `desc`, which has an appsink named `sink`.
pub fn launch(desc: &str) -> (gst::Pipeline, gst_app::AppSink) {
    gst::init().unwrap();
    let pipeline = gst::parse::launch(desc)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let sink = pipeline
        .by_name("sink")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    (pipeline, sink)
}
