//! Writing a clip: renders every frame of a [`Scene`] into I420 buffers (luma rendered,
//! chroma 128) pushed through `appsrc ! x264enc ! h264parse ! mp4mux ! filesink`, and writes
//! the truth JSON beside the MP4. [`push_frames`] and [`wait_eos`] also feed the encoders of
//! the RTSP server's loop cache (`serve/cache.rs`).

use crate::error::SimError;
use crate::scene::Scene;
use crate::spec::RenderSpec;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use meteor_core::Truth;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What [`render_clip`] wrote.
#[derive(Debug, Clone)]
pub struct RenderOutput {
    pub video_path: PathBuf,
    pub truth_path: PathBuf,
    pub truth: Truth,
    /// Wall time spent rendering and encoding, seconds.
    pub elapsed_s: f64,
}

/// x264 bitrate for a frame size: ~3000 kbps at 720p, ~5000 at 1080p.
pub fn bitrate_kbps(width: u32, height: u32) -> u32 {
    let rel = (width as f64 * height as f64) / (1280.0 * 720.0);
    (3000.0 * rel.powf(0.63)).round().max(200.0) as u32
}

/// The simulator's settings for its `x264enc` or `x265enc`, shared by rendered clips and
/// served loops: fast, no lookahead, a keyframe every `key_int` frames, `bitrate_kbps`.
pub(crate) fn configure_encoder(enc: &gst::Element, key_int: u32, w: u32, h: u32) {
    enc.set_property_from_str("speed-preset", "ultrafast");
    enc.set_property_from_str("tune", "zerolatency");
    enc.set_property("bitrate", bitrate_kbps(w, h));
    if enc.factory().is_some_and(|f| f.name() == "x265enc") {
        enc.set_property("key-int-max", key_int as i32);
        enc.set_property_from_str("log-level", "none");
    } else {
        enc.set_property("key-int-max", key_int);
        // One thread: x264's sliced threads let rate control depend on which slice finishes
        // first, so the same sky would encode (and be detected) differently on each run.
        // (x265 gives the same bytes with its threads.)
        enc.set_property("threads", 1u32);
    }
}

/// `fps` as a GStreamer fraction: exact for integers, NTSC rates (29.97 = 30000/1001, ...)
/// recognised, 1/1000 resolution otherwise.
pub fn fps_fraction(fps: f64) -> gst::Fraction {
    if (fps - fps.round()).abs() < 1e-9 {
        return gst::Fraction::new(fps.round() as i32, 1);
    }
    let ntsc = (fps * 1.001).round();
    if (fps - ntsc / 1.001).abs() < 0.005 {
        return gst::Fraction::new(ntsc as i32 * 1000, 1001);
    }
    gst::Fraction::new((fps * 1000.0).round() as i32, 1000)
}

/// Presentation time of frame `i` at `fps` (as a fraction, so that it never drifts).
fn pts(i: u64, fps: gst::Fraction) -> gst::ClockTime {
    let ns = (i as u128 * 1_000_000_000u128 * fps.denom() as u128) / fps.numer() as u128;
    gst::ClockTime::from_nseconds(ns as u64)
}

/// Renders `spec` to `out_dir/NAME.mp4` and `out_dir/NAME.truth.json`, NAME being
/// [`RenderSpec::file_stem`]. The truth's `source` is the MP4's file name.
pub fn render_clip(spec: &RenderSpec, out_dir: &Path) -> Result<RenderOutput, SimError> {
    let started = Instant::now();
    let scene = Scene::new(spec)?;
    std::fs::create_dir_all(out_dir).map_err(|e| SimError::io(out_dir, e))?;
    let stem = spec.file_stem();
    let video_path = out_dir.join(format!("{stem}.mp4"));
    let truth_path = out_dir.join(format!("{stem}.truth.json"));
    encode_mp4(&scene, &video_path)?;
    let truth = scene.truth(&format!("{stem}.mp4"));
    let json = serde_json::to_string_pretty(&truth).expect("truth serialises") + "\n";
    std::fs::write(&truth_path, json).map_err(|e| SimError::io(&truth_path, e))?;
    let elapsed_s = started.elapsed().as_secs_f64();
    tracing::info!(
        video = %video_path.display(),
        frames = truth.frames,
        elapsed_s = format!("{elapsed_s:.2}"),
        fps = format!("{:.1}", truth.frames as f64 / elapsed_s.max(1e-9)),
        "clip rendered"
    );
    Ok(RenderOutput {
        video_path,
        truth_path,
        truth,
        elapsed_s,
    })
}

/// Encodes every frame of `scene` to an H.264 MP4 at `path`.
pub fn encode_mp4(scene: &Scene, path: &Path) -> Result<(), SimError> {
    gst::init()?;
    let spec = scene.spec();
    let (w, h) = (spec.width, spec.height);
    let fps = fps_fraction(spec.fps);
    let key_int = (2.0 * spec.fps).round().max(1.0) as u32;
    let location = path
        .to_str()
        .ok_or_else(|| SimError::InvalidSpec(format!("non-UTF-8 path {}", path.display())))?;
    let pipeline = gst::Pipeline::new();
    let make = |factory: &str| {
        gst::ElementFactory::make(factory).build().map_err(|e| {
            SimError::Gst(format!(
                "cannot create `{factory}` (is its GStreamer plugin installed?): {e}"
            ))
        })
    };
    let src = make("appsrc")?;
    let enc = make("x264enc")?;
    let parse = make("h264parse")?;
    let mux = make("mp4mux")?;
    let sink = make("filesink")?;
    configure_encoder(&enc, key_int, w, h);
    mux.set_property("faststart", true);
    sink.set_property("location", location);
    pipeline.add_many([&src, &enc, &parse, &mux, &sink])?;
    gst::Element::link_many([&src, &enc, &parse, &mux, &sink])?;

    play_scene(&pipeline, src, scene, w, h, fps)
}

/// Feeds every frame of `scene` as I420 through the appsrc `src` of `pipeline`, then waits
/// for the end of the stream, and stops the pipeline whatever happened.
pub(crate) fn play_scene(
    pipeline: &gst::Pipeline,
    src: gst::Element,
    scene: &Scene,
    w: u32,
    h: u32,
    fps: gst::Fraction,
) -> Result<(), SimError> {
    let info = gst_video::VideoInfo::builder(gst_video::VideoFormat::I420, w, h)
        .fps(fps)
        .build()?;
    let appsrc = src
        .downcast::<gst_app::AppSrc>()
        .expect("appsrc is an AppSrc");
    appsrc.set_caps(Some(&info.to_caps()?));
    appsrc.set_format(gst::Format::Time);
    appsrc.set_block(true);
    appsrc.set_max_bytes(4 * info.size() as u64);

    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| SimError::Gst(format!("cannot start the encoder: {e}")))?;
    let bus = pipeline.bus().expect("pipeline has a bus");
    let result = push_frames(scene, &appsrc, &info, fps, &bus).and_then(|()| {
        appsrc
            .end_of_stream()
            .map_err(|e| SimError::Gst(format!("end of stream: {e:?}")))?;
        wait_eos(&bus)
    });
    let _ = pipeline.set_state(gst::State::Null);
    result
}

pub(crate) fn push_frames(
    scene: &Scene,
    appsrc: &gst_app::AppSrc,
    info: &gst_video::VideoInfo,
    fps: gst::Fraction,
    bus: &gst::Bus,
) -> Result<(), SimError> {
    let (offsets, strides) = (info.offset(), info.stride());
    for i in 0..scene.frames() {
        let mut buffer = gst::Buffer::with_size(info.size())?;
        {
            let b = buffer.get_mut().expect("fresh buffer is writable");
            b.set_pts(pts(i, fps));
            b.set_duration(pts(i + 1, fps) - pts(i, fps));
            let mut map = b.map_writable()?;
            let data = map.as_mut_slice();
            let (luma, chroma) = data.split_at_mut(offsets[1]);
            scene.render_into(i, luma, strides[0] as usize);
            chroma.fill(128);
        }
        if appsrc.push_buffer(buffer).is_err() {
            // The pipeline stopped: report its error.
            return Err(
                bus_error(bus).unwrap_or_else(|| SimError::Gst("appsrc refused a buffer".into()))
            );
        }
        if let Some(err) = bus_error(bus) {
            return Err(err);
        }
    }
    Ok(())
}

fn bus_error(bus: &gst::Bus) -> Option<SimError> {
    let msg = bus.pop_filtered(&[gst::MessageType::Error])?;
    match msg.view() {
        gst::MessageView::Error(e) => Some(SimError::Gst(format!(
            "{} ({})",
            e.error(),
            e.debug().map(|d| d.to_string()).unwrap_or_default()
        ))),
        _ => None,
    }
}

pub(crate) fn wait_eos(bus: &gst::Bus) -> Result<(), SimError> {
    let timeout = gst::ClockTime::from_seconds(600);
    match bus.timed_pop_filtered(timeout, &[gst::MessageType::Eos, gst::MessageType::Error]) {
        Some(msg) => match msg.view() {
            gst::MessageView::Eos(_) => Ok(()),
            gst::MessageView::Error(e) => Err(SimError::Gst(format!(
                "{} ({})",
                e.error(),
                e.debug().map(|d| d.to_string()).unwrap_or_default()
            ))),
            _ => unreachable!("filtered"),
        },
        None => Err(SimError::Gst(
            "timed out waiting for the encoder to finish".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitrate_scales_with_size() {
        assert_eq!(bitrate_kbps(1280, 720), 3000);
        let b = bitrate_kbps(1920, 1080);
        assert!((4800..=5200).contains(&b), "{b}");
    }

    #[test]
    fn frame_times_do_not_drift() {
        let f = fps_fraction(30.0);
        assert_eq!(pts(30, f), gst::ClockTime::from_seconds(1));
        let f = fps_fraction(29.97);
        assert_eq!((f.numer(), f.denom()), (30000, 1001));
        assert_eq!(pts(30000, f).nseconds(), 1_001_000_000_000);
        let f = fps_fraction(12.5);
        assert_eq!((f.numer(), f.denom()), (25, 2));
    }
}
