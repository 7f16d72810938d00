//! Clips: the compressed access units of an event, from the keyframe before it to the end of
//! its post-roll, remuxed into an MP4 (faststart, so browsers play it while it loads) with the
//! source's timestamps, respaced by whole frame periods where arrival made them wander
//! (`retime`; the first frame keeps its time), so it plays at the camera's true rate (after
//! a mid-stream change of size or rate, the new ones: the caps come with the units). Where
//! the codec cannot go into MP4 as it is, the clip is decoded and encoded to H.264 instead,
//! and the record says so.

mod retime;

use crate::ring::Au;
use crate::store;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("no video in the pre-roll ring for this event")]
    NoVideo,
    #[error("clip pipeline: {0}")]
    Pipeline(String),
    #[error("writing {0}: {1}")]
    Io(String, std::io::Error),
}

/// How a clip was made, for the record's `clip_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipMethod {
    Remux,
    Encoded,
}

impl ClipMethod {
    pub fn name(self) -> &'static str {
        match self {
            ClipMethod::Remux => "remux",
            ClipMethod::Encoded => "encoded",
        }
    }
}

/// The parser that lets mp4mux take this codec as it is, if there is one.
fn parser_for(caps: &gst::Caps) -> Option<&'static str> {
    let s = caps.structure(0)?;
    match s.name().as_str() {
        "video/x-h264" => Some("h264parse"),
        // hvc1 (parameter sets in the sample entry), not hev1: what HEVC players accept.
        "video/x-h265" => Some("h265parse ! video/x-h265,stream-format=hvc1,alignment=au"),
        "video/mpeg" if s.get::<i32>("mpegversion").ok() == Some(4) => Some("mpeg4videoparse"),
        "image/jpeg" => Some("jpegparse"),
        "video/x-vp9" => Some("identity"),
        "video/x-av1" => Some("av1parse"),
        _ => None,
    }
}

/// The earliest timestamp of a run of units: clips start at zero from there.
pub fn origin_ns(aus: &[Au]) -> u64 {
    earliest(&times_of(aus))
}

/// Each unit's source (PTS, DTS).
fn times_of(aus: &[Au]) -> Vec<retime::Times> {
    aus.iter().map(|a| (a.pts_ns, a.dts_ns)).collect()
}

/// The earliest of all the times, PTS or DTS.
fn earliest(times: &[retime::Times]) -> u64 {
    times
        .iter()
        .filter_map(|&(p, d)| d.into_iter().chain(p).min())
        .min()
        .unwrap_or(0)
}

/// Writes `aus` as an MP4 at `path` (through a temporary file). Remuxes when the codec
/// allows, else encodes.
pub fn write(aus: &[Au], path: &Path) -> Result<ClipMethod, ClipError> {
    if aus.is_empty() {
        return Err(ClipError::NoVideo);
    }
    if let Some(parser) = parser_for(&aus[0].caps) {
        let launch = format!("{parser} ! mp4mux faststart=true ! filesink name=out");
        match store::write_via_temp(path, |tmp| run(aus, &launch, tmp)) {
            Ok(()) => return Ok(ClipMethod::Remux),
            Err(e) => {
                tracing::warn!(clip = %path.display(), error = %e, "remux failed; encoding the clip instead")
            }
        }
    }
    let launch = "decodebin ! videoconvert ! x264enc speed-preset=veryfast tune=zerolatency \
                  ! h264parse ! mp4mux faststart=true ! filesink name=out";
    store::write_via_temp(path, |tmp| run(aus, launch, tmp))?;
    Ok(ClipMethod::Encoded)
}

/// Runs `appsrc ! <rest>` over the units, with the file sink writing to `out`.
fn run(aus: &[Au], rest: &str, out: &Path) -> Result<(), ClipError> {
    let pipeline = build(aus, rest)?;
    let sink = pipeline
        .by_name("out")
        .ok_or_else(|| ClipError::Pipeline("no sink named out".into()))?;
    sink.set_property("location", out.to_string_lossy().as_ref());
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| ClipError::Pipeline(e.to_string()))?;
    let aus = same_caps(aus);
    let rate = aus[0]
        .caps
        .structure(0)
        .and_then(|s| s.get::<gst::Fraction>("framerate").ok());
    let result = push(&pipeline, aus, &retime::retime(&times_of(aus), rate))
        .and_then(|()| wait_eos(&pipeline, Duration::from_secs(60)));
    let _ = pipeline.set_state(gst::State::Null);
    result
}

/// `appsrc name=src caps=<the units' caps> ! <rest>`, not yet playing.
pub(crate) fn build(aus: &[Au], rest: &str) -> Result<gst::Pipeline, ClipError> {
    crate::init_gstreamer().map_err(|e| ClipError::Pipeline(e.to_string()))?;
    let pipeline = gst::parse::launch(&format!("appsrc name=src format=time ! {rest}"))
        .map_err(|e| ClipError::Pipeline(e.to_string()))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| ClipError::Pipeline("not a pipeline".into()))?;
    let src = appsrc(&pipeline)?;
    src.set_caps(Some(&aus[0].caps));
    Ok(pipeline)
}

fn appsrc(pipeline: &gst::Pipeline) -> Result<gst_app::AppSrc, ClipError> {
    pipeline
        .by_name("src")
        .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
        .ok_or_else(|| ClipError::Pipeline("no appsrc".into()))
}

/// The leading units that share the first one's caps. One MP4 track has one format: after a
/// mid-stream caps change (new size or rate) the clip ends. `Ring::slice` already cuts a clip
/// to the caps in effect at the event (its pre-roll then starts at the first keyframe after
/// the change), so this only guards.
fn same_caps(aus: &[Au]) -> &[Au] {
    let n = aus.iter().take_while(|a| a.caps == aus[0].caps).count();
    &aus[..n]
}

/// Pushes the units with their source times, shifted to start at zero, then end-of-stream.
pub(crate) fn push_all(pipeline: &gst::Pipeline, aus: &[Au]) -> Result<(), ClipError> {
    let aus = same_caps(aus);
    push(pipeline, aus, &times_of(aus))
}

/// Pushes the units with `times` (PTS, DTS; a missing PTS takes the DTS), shifted so the
/// earliest is zero, then end-of-stream.
fn push(pipeline: &gst::Pipeline, aus: &[Au], times: &[retime::Times]) -> Result<(), ClipError> {
    let src = appsrc(pipeline)?;
    let origin = earliest(times);
    let at = |t: u64| gst::ClockTime::from_nseconds(t - origin);
    for (au, &(pts, dts)) in aus.iter().zip(times) {
        let mut b = au.buffer.copy();
        let bm = b.make_mut();
        bm.set_pts(pts.or(dts).map(at));
        bm.set_dts(dts.map(at));
        if src.push_buffer(b).is_err() {
            break;
        }
    }
    let _ = src.end_of_stream();
    Ok(())
}

pub(crate) fn wait_eos(pipeline: &gst::Pipeline, timeout: Duration) -> Result<(), ClipError> {
    let bus = pipeline
        .bus()
        .ok_or_else(|| ClipError::Pipeline("no bus".into()))?;
    match bus.timed_pop_filtered(
        gst::ClockTime::from_nseconds(timeout.as_nanos() as u64),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    ) {
        Some(msg) => match msg.view() {
            gst::MessageView::Eos(_) => Ok(()),
            gst::MessageView::Error(e) => Err(ClipError::Pipeline(
                crate::ingest::describe_gst_error("clip", e),
            )),
            _ => unreachable!("filtered"),
        },
        None => Err(ClipError::Pipeline("timed out".into())),
    }
}
