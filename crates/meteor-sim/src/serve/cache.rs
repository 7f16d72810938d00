//! The encoded loop of a simulated camera: a [`RenderSpec`] rendered once through
//! `appsrc ! x264enc|x265enc ! h264parse|h265parse config-interval=-1 ! appsink`, kept as one
//! byte-stream access unit per frame (parameter sets repeated in every keyframe), so serving
//! costs no encoding.
//!
//! Loops are cached on disk under `DIR/{stem}-{codec}-{key}.au`, the key hashing everything
//! that changes the bytes (spec, codec, keyframe interval, bitrate, format version, renderer
//! revision); files are written to a temporary name and renamed, so concurrent runs never read
//! half a file. Within one process a loop is also shared in memory. File format: `MSIMAU01`,
//! u32 LE length of a JSON [`Header`], the header, then per frame a flag byte (1 = keyframe),
//! a u32 LE length and the access unit.

use super::Codec;
use crate::encode::{bitrate_kbps, configure_encoder, fps_fraction};
use crate::error::SimError;
use crate::scene::Scene;
use crate::spec::RenderSpec;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use meteor_core::Truth;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

const MAGIC: &[u8; 8] = b"MSIMAU01";
/// Part of every cache key: bumped whenever a spec renders to different frames, so that
/// loops cached by an older build are rendered again (2: seamless clouds, `Scene::looped`;
/// 3: one x264 thread, one slice per frame).
const RENDER_REVISION: u32 = 3;

/// One rendered and encoded loop, ready to serve.
pub(crate) struct EncodedLoop {
    pub caps: gst::Caps,
    pub fps: gst::Fraction,
    /// One access unit per frame; keyframes lack the `DELTA_UNIT` flag.
    pub frames: Vec<gst::Buffer>,
    /// Indices of the keyframes, ascending, starting with 0.
    pub keyframes: Vec<u64>,
    pub truth: Truth,
    /// Total size of the access units, bytes.
    pub bytes: u64,
}

impl EncodedLoop {
    pub fn len(&self) -> u64 {
        self.frames.len() as u64
    }

    /// The last keyframe at or before frame `i` of the loop.
    pub fn keyframe_at_or_before(&self, i: u64) -> u64 {
        let p = self.keyframes.partition_point(|&k| k <= i);
        self.keyframes[p.max(1) - 1]
    }

    /// The first keyframe after frame `i`, if the loop has one.
    pub fn keyframe_after(&self, i: u64) -> Option<u64> {
        let p = self.keyframes.partition_point(|&k| k <= i);
        self.keyframes.get(p).copied()
    }

    /// The longest run of frames between keyframes (including the wrap to frame 0).
    pub fn max_gop(&self) -> u64 {
        let mut ks = self.keyframes.clone();
        ks.push(self.len());
        ks.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(1)
    }
}

/// Each frame's access unit and whether it is a keyframe.
type Units = Vec<(bool, Vec<u8>)>;

#[derive(Serialize, Deserialize)]
struct Header {
    codec: String,
    caps: String,
    fps_num: i32,
    fps_den: i32,
    frames: u64,
    truth: Truth,
}

/// The cache directory: `$METEOR_SIM_CACHE`, else `{temp}/meteor-sim-cache`.
pub(crate) fn default_cache_dir() -> PathBuf {
    std::env::var_os("METEOR_SIM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("meteor-sim-cache"))
}

/// FNV-1a, 64 bit: a hash that stays the same across Rust releases.
fn fnv64(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn key_int(spec: &RenderSpec, keyframe_interval_s: f64) -> u32 {
    (keyframe_interval_s * spec.fps).round().max(1.0) as u32
}

/// The cache file for a loop.
pub(crate) fn cache_path(
    dir: &Path,
    spec: &RenderSpec,
    codec: Codec,
    keyframe_interval_s: f64,
) -> PathBuf {
    let bitrate = bitrate_kbps(spec.width, spec.height);
    let key = format!(
        "{}|{RENDER_REVISION}|{spec:?}|{}|{}|{bitrate}|{}",
        String::from_utf8_lossy(MAGIC),
        codec.name(),
        key_int(spec, keyframe_interval_s),
        env!("CARGO_PKG_VERSION")
    );
    let stem: String = spec
        .file_stem()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    dir.join(format!("{stem}-{}-{:016x}.au", codec.name(), fnv64(&key)))
}

/// Loops alive in this process, by cache path; the lock also serialises rendering.
static LOADED: Mutex<Option<HashMap<PathBuf, Weak<EncodedLoop>>>> = Mutex::new(None);

/// The loop of `spec` in `codec`: from memory, else from the disk cache, else rendered (and
/// cached).
pub(crate) fn load_or_render(
    spec: &RenderSpec,
    codec: Codec,
    keyframe_interval_s: f64,
    dir: &Path,
) -> Result<Arc<EncodedLoop>, SimError> {
    gst::init()?;
    let path = cache_path(dir, spec, codec, keyframe_interval_s);
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let map = loaded.get_or_insert_with(HashMap::new);
    map.retain(|_, w| w.strong_count() > 0);
    if let Some(l) = map.get(&path).and_then(Weak::upgrade) {
        return Ok(l);
    }
    let l = match read(&path) {
        Ok(l) => {
            tracing::debug!(path = %path.display(), "loop loaded from the cache");
            l
        }
        Err(e) => {
            if path.exists() {
                tracing::warn!(path = %path.display(), error = %e, "unreadable cached loop: rendering again");
            }
            let started = std::time::Instant::now();
            let (header, units) = render(spec, codec, keyframe_interval_s)?;
            tracing::info!(
                path = %path.display(),
                frames = units.len(),
                elapsed_s = format!("{:.1}", started.elapsed().as_secs_f64()),
                "loop rendered"
            );
            if let Err(e) = write(&path, &header, &units) {
                tracing::warn!(path = %path.display(), error = %e, "cannot cache the loop");
            }
            assemble(header, units)?
        }
    };
    let l = Arc::new(l);
    map.insert(path, Arc::downgrade(&l));
    Ok(l)
}

/// Renders and encodes `spec`: the header and each frame's (keyframe, access unit).
fn render(
    spec: &RenderSpec,
    codec: Codec,
    keyframe_interval_s: f64,
) -> Result<(Header, Units), SimError> {
    let scene = Scene::new(spec)?.looped();
    let (w, h) = (spec.width, spec.height);
    let fps = fps_fraction(spec.fps);
    let make = |factory: &str| {
        gst::ElementFactory::make(factory).build().map_err(|e| {
            SimError::Gst(format!(
                "cannot create `{factory}` (is its GStreamer plugin installed?): {e}"
            ))
        })
    };
    let pipeline = gst::Pipeline::new();
    let src = make("appsrc")?;
    let enc = make(codec.encoder())?;
    let parse = make(codec.parser())?;
    let filter = make("capsfilter")?;
    let sink = make("appsink")?;
    configure_encoder(&enc, key_int(spec, keyframe_interval_s), w, h);
    parse.set_property("config-interval", -1i32);
    let caps = gst::Caps::builder(codec.media_type())
        .field("stream-format", "byte-stream")
        .field("alignment", "au")
        .build();
    filter.set_property("caps", &caps);
    pipeline.add_many([&src, &enc, &parse, &filter, &sink])?;
    gst::Element::link_many([&src, &enc, &parse, &filter, &sink])?;

    let units: Arc<Mutex<Units>> = Arc::default();
    let out_caps: Arc<Mutex<Option<gst::Caps>>> = Arc::default();
    let appsink = sink.downcast::<gst_app::AppSink>().expect("appsink");
    appsink.set_sync(false);
    let (u, c) = (units.clone(), out_caps.clone());
    appsink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |s| {
                let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let buffer = sample.buffer().ok_or(gst::FlowError::Error)?;
                let key = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
                let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                u.lock().unwrap().push((key, map.to_vec()));
                let mut caps = c.lock().unwrap();
                if caps.is_none() {
                    *caps = sample.caps_owned();
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );

    crate::encode::play_scene(&pipeline, src, &scene, w, h, fps)?;

    let units = std::mem::take(&mut *units.lock().unwrap());
    let caps = out_caps
        .lock()
        .unwrap()
        .take()
        .ok_or_else(|| SimError::Gst("the encoder produced nothing".into()))?;
    // Keep only what the payloader needs: drop the encoder's buffer-level fields.
    let mut caps = caps;
    caps.make_mut()
        .structure_mut(0)
        .expect("caps have a structure")
        .remove_fields([
            "codec_data",
            "pixel-aspect-ratio",
            "chroma-site",
            "colorimetry",
        ]);
    let header = Header {
        codec: codec.name().into(),
        caps: caps.to_string(),
        fps_num: fps.numer(),
        fps_den: fps.denom(),
        frames: units.len() as u64,
        truth: scene.truth(&format!("{}.{}", spec.file_stem(), codec.name())),
    };
    if units.len() as u64 != spec.frames() {
        return Err(SimError::Gst(format!(
            "the encoder produced {} access units for {} frames",
            units.len(),
            spec.frames()
        )));
    }
    Ok((header, units))
}

fn assemble(header: Header, units: Units) -> Result<EncodedLoop, SimError> {
    let caps: gst::Caps = header
        .caps
        .parse()
        .map_err(|_| SimError::Gst(format!("bad cached caps `{}`", header.caps)))?;
    let mut frames = Vec::with_capacity(units.len());
    let mut keyframes = Vec::new();
    let mut bytes = 0;
    for (i, (key, data)) in units.into_iter().enumerate() {
        bytes += data.len() as u64;
        let mut b = gst::Buffer::from_mut_slice(data);
        if key {
            keyframes.push(i as u64);
        } else {
            b.get_mut()
                .expect("fresh buffer")
                .set_flags(gst::BufferFlags::DELTA_UNIT);
        }
        frames.push(b);
    }
    if keyframes.first() != Some(&0) {
        return Err(SimError::Gst(
            "the loop does not start with a keyframe".into(),
        ));
    }
    Ok(EncodedLoop {
        caps,
        fps: gst::Fraction::new(header.fps_num, header.fps_den),
        frames,
        keyframes,
        truth: header.truth,
        bytes,
    })
}

fn write(path: &Path, header: &Header, units: &[(bool, Vec<u8>)]) -> Result<(), SimError> {
    use std::io::Write;
    let dir = path.parent().expect("cache path has a directory");
    std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
    let json = serde_json::to_vec(header).expect("header serialises");
    let tmp = path.with_extension(format!(
        "tmp{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        w.write_all(MAGIC)?;
        w.write_all(&(json.len() as u32).to_le_bytes())?;
        w.write_all(&json)?;
        for (key, data) in units {
            w.write_all(&[*key as u8])?;
            w.write_all(&(data.len() as u32).to_le_bytes())?;
            w.write_all(data)?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| SimError::io(path, e))
}

fn read(path: &Path) -> Result<EncodedLoop, SimError> {
    let data = std::fs::read(path).map_err(|e| SimError::io(path, e))?;
    let bad = |what: &str| SimError::Gst(format!("{}: {what}", path.display()));
    let mut at = 0usize;
    let mut take = |n: usize| -> Result<&[u8], SimError> {
        let s = data.get(at..at + n).ok_or_else(|| bad("truncated"))?;
        at += n;
        Ok(s)
    };
    if take(8)? != MAGIC {
        return Err(bad("not a meteor-sim loop"));
    }
    let u32_at = |s: &[u8]| u32::from_le_bytes(s.try_into().expect("4 bytes")) as usize;
    let n = u32_at(take(4)?);
    let header: Header =
        serde_json::from_slice(take(n)?).map_err(|e| bad(&format!("header: {e}")))?;
    let mut units = Vec::with_capacity(header.frames as usize);
    for _ in 0..header.frames {
        let key = take(1)?[0] == 1;
        let n = u32_at(take(4)?);
        units.push((key, take(n)?.to_vec()));
    }
    assemble(header, units)
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
