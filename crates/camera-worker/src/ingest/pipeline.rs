//! The part of every pipeline after the source's parser: a probe that keeps each compressed
//! access unit in the pre-roll ring, and the decoder, whose frames go to the detector.
//!
//! ```text
//! <parsed video pad> --probe--> ring (clips are remuxed from here)
//!                    ! [queue !] decodebin ! videoconvert ! appsink -> Stream
//! ```
//! On a camera the decoder runs in the thread that hands over the parsed stream (the jitter
//! buffer's), as in a bare `rtspsrc ! ... ! avdec_h264` decode. With a queue in front of it,
//! that thread woke for every RTP packet instead of once per burst: about 1250 context
//! switches a second against 300 on a 720p30 stream, and a little more CPU (see `Source`).
//! A file keeps that queue: there the demuxer and the decoder working side by side are
//! faster.
//!
//! The ring takes its units from a pad probe, in the same thread: a reference to the buffer,
//! kept under a lock. It used to be a `tee` branch with its own queue, thread and appsink,
//! which woke 30 times a second: side by side on a 720p30 stream the worker used about
//! 0.55 % of a core less without it (7.11 % and 7.40 % against 7.67 % and 7.93 %).
//!
//! `videoconvert` is a passthrough for the planar YUV formats decoders emit; the detector only
//! reads their first (Y) plane, so no colour conversion runs per frame.
//!
//! avdec copies each picture out of its own pool (H.264 codes 1080 lines as 1088), as it does
//! in a bare decode. Offering it a pool with `VideoMeta` to decode into does not save that copy
//! on GStreamer 1.22: the base class then deep-copies every reference frame, which libav still
//! holds mapped for writing, into freshly mapped memory, which costs more.

use super::frame::Frame;
use super::shrink::Shrink;
use crate::detect::prep::Prep;
use crate::ring::SharedRing;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// What a running stream hands the detector.
pub enum StreamEvent {
    Frame(Frame),
    /// The source ended (end of file).
    Eos,
    /// The pipeline failed; the text says why.
    Error(String),
}

/// Formats whose first plane is 8-bit luma at full resolution.
const LUMA_FIRST_FORMATS: &str = "{ I420, YV12, NV12, NV21, Y42B, Y444, GRAY8 }";

/// Frames queued between the decoder and the detector.
pub(crate) const FRAME_QUEUE: usize = 8;

/// A running pipeline and the frames coming out of it. Dropping it stops the pipeline.
pub struct Stream {
    pipeline: gst::Pipeline,
    rx: Receiver<StreamEvent>,
    name: String,
    dropped: Arc<AtomicU64>,
}

impl Stream {
    pub(crate) fn new(
        pipeline: gst::Pipeline,
        rx: Receiver<StreamEvent>,
        name: String,
        dropped: Arc<AtomicU64>,
    ) -> Stream {
        Stream {
            pipeline,
            rx,
            name,
            dropped,
        }
    }

    /// The next frame or end, waiting up to `timeout`; `None` when nothing came in time.
    pub fn next(&self, timeout: Duration) -> Option<StreamEvent> {
        // Errors arrive on the bus, frames on the channel: look at both every 50 ms.
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(err) = self.pending_error() {
                return Some(StreamEvent::Error(err));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.rx.recv_timeout(left.min(Duration::from_millis(50))) {
                Ok(ev) => return Some(ev),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                    return self.pending_error().map(StreamEvent::Error);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Some(StreamEvent::Error(format!(
                        "{}: the pipeline stopped",
                        self.name
                    )));
                }
            }
        }
    }

    fn pending_error(&self) -> Option<String> {
        let bus = self.pipeline.bus()?;
        let msg = bus.pop_filtered(&[gst::MessageType::Error])?;
        match msg.view() {
            gst::MessageView::Error(e) => Some(describe_gst_error(&self.name, e)),
            _ => None,
        }
    }

    /// Frames dropped because the detector was behind (live sources only).
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The pipeline clock's running time now, nanoseconds; `None` before it plays. A frame
    /// with `Frame::running_ns` r came `running_time() - r` ago, decoding and queues included.
    pub fn running_time(&self) -> Option<u64> {
        let now = self.pipeline.clock()?.time();
        Some(now.checked_sub(self.pipeline.base_time()?)?.nseconds())
    }

    pub fn pipeline(&self) -> &gst::Pipeline {
        &self.pipeline
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Turns a GStreamer error message into one line: the element's complaint and its debug hint.
pub(crate) fn describe_gst_error(source: &str, e: &gst::message::Error) -> String {
    let mut text = e.error().to_string();
    if let Some(debug) = e.debug() {
        // The debug string's last line is the useful part; the rest is a source-code path.
        if let Some(last) = debug.lines().last().filter(|l| !l.trim().is_empty()) {
            text.push_str(" (");
            text.push_str(last.trim());
            text.push(')');
        }
    }
    format!("{source}: {text}")
}

/// Where the video branch delivers what it produces.
#[derive(Clone)]
pub(crate) struct Outputs {
    pub frames: SyncSender<StreamEvent>,
    pub ring: SharedRing,
    pub live: bool,
    pub dropped: Arc<AtomicU64>,
    pub shrink: Shrink,
}

impl Outputs {
    /// Fresh outputs for one connection, and the receiving end of its frame channel.
    pub fn new(ring: SharedRing, live: bool, shrink: Shrink) -> (Outputs, Receiver<StreamEvent>) {
        let (frames, rx) = std::sync::mpsc::sync_channel(FRAME_QUEUE);
        let out = Outputs {
            frames,
            ring,
            live,
            dropped: Arc::new(AtomicU64::new(0)),
            shrink,
        };
        (out, rx)
    }
}

fn make(factory: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| format!("GStreamer element {factory} is missing (run scripts/setup.sh)"))
}

/// What feeds the video branch, which decides whether its decoder gets a queue (module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A camera: the decoder runs in the jitter buffer's thread. Side by side on one 720p30
    /// stream, in two runs of 180 s, a worker built so used 7.11 % and 6.74 % of a core
    /// against 7.30 % and 6.86 % with the queue (the bare decode: 5.50 % and 5.37 %).
    Live,
    /// A file: the decoder gets its own thread behind a queue. Without it, `camera-worker
    /// detect` took 7-8 % longer on the four simulated 1080p skies of scripts/bench/quality.
    File,
}

/// Links a parsed, compressed video pad to the ring and the decoder. Called from a
/// `pad-added` handler, so everything it adds is brought to the pipeline's state.
pub(crate) fn attach_video_branch(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    out: Outputs,
    source: Source,
) -> Result<(), String> {
    let dec_queue = match source {
        Source::Live => None,
        Source::File => Some(make("queue")?),
    };
    let decode = make("decodebin")?;
    // Sinks keep their last buffer by default; here that would pin one of the decoder's
    // 3 MB frames for nothing.
    let raw_sink = gst_app::AppSink::builder()
        .sync(false)
        .enable_last_sample(false)
        .caps(
            &format!("video/x-raw, format=(string){LUMA_FIRST_FORMATS}")
                .parse::<gst::Caps>()
                .map_err(|e| e.to_string())?,
        )
        .build();
    let convert = make("videoconvert")?;

    let mut elements = vec![&decode, &convert, raw_sink.upcast_ref()];
    elements.extend(dec_queue.as_ref());
    pipeline
        .add_many(elements.iter().copied())
        .map_err(|e| e.to_string())?;
    let decode_in = match &dec_queue {
        Some(q) => {
            q.link(&decode).map_err(|e| e.to_string())?;
            q.clone()
        }
        None => decode.clone(),
    };
    gst::Element::link_many([&convert, raw_sink.upcast_ref()]).map_err(|e| e.to_string())?;

    install_frame_callbacks(&raw_sink, out.clone());

    let convert_sink = convert
        .static_pad("sink")
        .expect("videoconvert has a sink pad");
    decode.connect_pad_added(move |_, pad| {
        let is_video = pad
            .current_caps()
            .and_then(|c| c.structure(0).map(|s| s.name().starts_with("video/")))
            .unwrap_or(false);
        if is_video && !convert_sink.is_linked() {
            let _ = pad.link(&convert_sink);
        }
    });

    for el in elements {
        el.sync_state_with_parent().map_err(|e| e.to_string())?;
    }
    keep_access_units(pad, out.ring);
    let decode_sink = decode_in
        .static_pad("sink")
        .expect("the decoder has a sink pad");
    pad.link(&decode_sink)
        .map_err(|e| format!("cannot link the video stream: {e:?}"))?;
    Ok(())
}

/// Hands every access unit leaving `pad` to the ring, in the thread that pushes it (a
/// reference, never a copy), and tells the ring when the stream ends.
fn keep_access_units(pad: &gst::Pad, ring: SharedRing) {
    pad.add_probe(
        gst::PadProbeType::BUFFER
            | gst::PadProbeType::BUFFER_LIST
            | gst::PadProbeType::EVENT_DOWNSTREAM,
        move |pad, info| {
            match &info.data {
                Some(gst::PadProbeData::Buffer(buffer)) => {
                    if let Some(caps) = pad.current_caps() {
                        ring.push(buffer.clone(), caps);
                    }
                }
                Some(gst::PadProbeData::BufferList(list)) => {
                    if let Some(caps) = pad.current_caps() {
                        for buffer in list.iter_owned() {
                            ring.push(buffer, caps.clone());
                        }
                    }
                }
                Some(gst::PadProbeData::Event(e)) if e.type_() == gst::EventType::Eos => {
                    ring.set_eos();
                }
                _ => {}
            }
            gst::PadProbeReturn::Ok
        },
    );
}

/// Sends every decoded frame to the detector: shrunk here, while it is in cache, when the
/// detector said how (see `Shrink`), else the decoder's buffer itself (never a copy).
fn install_frame_callbacks(sink: &gst_app::AppSink, out: Outputs) {
    let eos_tx = out.frames.clone();
    let mut info = None;
    let mut prep = Prep::default();
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let Some(mut frame) = Frame::from_sample(&sample, &mut info) else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                drop(sample);
                shrink_frame(&mut frame, &out.shrink, &mut prep);
                if out.live {
                    match out.frames.try_send(StreamEvent::Frame(frame)) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            out.dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(TrySendError::Disconnected(_)) => return Err(gst::FlowError::Flushing),
                    }
                } else if out.frames.send(StreamEvent::Frame(frame)).is_err() {
                    return Err(gst::FlowError::Flushing);
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .eos(move |_| {
                let _ = eos_tx.send(StreamEvent::Eos);
            })
            .build(),
    );
}

/// Attaches the shrunk luma to `frame` (not to corrupted ones: the detector skips those).
/// On failure the frame goes on whole, and the detector shrinks it itself.
fn shrink_frame(frame: &mut Frame, shrink: &Shrink, prep: &mut Prep) {
    let Some(factor) = shrink.factor(frame.width, frame.height) else {
        return;
    };
    if frame.is_corrupted() {
        return;
    }
    let (w, h) = (frame.width / factor as u32, frame.height / factor as u32);
    let t0 = crate::cputime::thread_ns();
    let made = shrink.make(w, h, factor, |data| {
        frame.with_luma(|luma| prep.run(luma, factor, data, None).map(drop))
    });
    shrink.add_cpu_ns(crate::cputime::thread_ns().saturating_sub(t0));
    if let Ok(shrunk) = made {
        frame.set_shrunk(shrunk, shrink.full_wanted());
    }
}

/// Non-video streams (audio, metadata) are drained into a fakesink so they never block.
///
/// The sink is behind a leaky queue. Until every sink holds a first buffer, a sink blocks
/// the thread that hands it one (preroll; `async=false` only keeps it out of the count), and
/// a file's demuxer feeds the audio and the video from one thread: fed straight, the audio's
/// sink stopped the demuxer before the video reached its own, and a recording with sound
/// never started. Leaky, the queue drops what it cannot hold rather than wait.
pub(crate) fn attach_discard(pipeline: &gst::Pipeline, pad: &gst::Pad) {
    let (Ok(queue), Ok(sink)) = (
        gst::ElementFactory::make("queue")
            .property_from_str("leaky", "downstream")
            .property("max-size-buffers", 4u32)
            .property("max-size-bytes", 0u32)
            .property("max-size-time", 0u64)
            .build(),
        gst::ElementFactory::make("fakesink")
            .property("sync", false)
            .property("async", false)
            .build(),
    ) else {
        return;
    };
    if pipeline.add_many([&queue, &sink]).is_err() || queue.link(&sink).is_err() {
        return;
    }
    let _ = sink.sync_state_with_parent();
    let _ = queue.sync_state_with_parent();
    if let Some(sp) = queue.static_pad("sink") {
        let _ = pad.link(&sp);
    }
}
