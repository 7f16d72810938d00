//! `camera-worker rendition IN OUT --width W --height H`: the transcode itself, run as a child
//! of the worker at nice 19 (see the parent module). Prints `{"cpu_s": ...}`, its own CPU
//! time, as the last line on stdout.

use crate::clip::{self, ClipError};
use crate::store;
use clap::Args;
use gstreamer as gst;
use gstreamer::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct RenditionCmd {
    /// The H.265 clip.
    pub input: PathBuf,
    /// Where the H.264 rendition goes (written atomically).
    pub output: PathBuf,
    #[arg(long)]
    pub width: u32,
    #[arg(long)]
    pub height: u32,
}

impl RenditionCmd {
    /// Runs in the child: lowers its priority before any thread exists (new threads inherit
    /// it), dies with the worker, transcodes, reports its CPU time.
    pub fn run(&self) -> anyhow::Result<bool> {
        // SAFETY: plain syscalls on this process, with valid constant arguments.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
        }
        let clip_s = transcode(&self.input, &self.output, self.width, self.height)?;
        let report = serde_json::json!({ "cpu_s": own_cpu_seconds(), "clip_s": clip_s });
        println!("{report}");
        Ok(true)
    }
}

/// Decodes the H.265 clip at `input` and writes it as H.264 MP4 (faststart) at `out`,
/// scaled to `width`x`height`, keeping the source's timestamps; returns the clip's seconds.
/// One thread each for decoding and encoding: a rendition must never compete with detection
/// for more than a core.
pub fn transcode(input: &Path, out: &Path, width: u32, height: u32) -> Result<f64, ClipError> {
    crate::init_gstreamer().map_err(|e| ClipError::Pipeline(e.to_string()))?;
    let launch = format!(
        "filesrc name=in ! qtdemux ! h265parse ! avdec_h265 max-threads=1 ! videoscale \
         ! videoconvert ! video/x-raw,format=I420,width={width},height={height},pixel-aspect-ratio=1/1 \
         ! x264enc speed-preset=veryfast threads=1 key-int-max=30 ! video/x-h264,profile=high \
         ! h264parse ! mp4mux faststart=true ! filesink name=out"
    );
    let mut seconds = 0.0;
    store::write_via_temp(out, |tmp| {
        let pipeline = gst::parse::launch(&launch)
            .map_err(|e| ClipError::Pipeline(e.to_string()))?
            .downcast::<gst::Pipeline>()
            .map_err(|_| ClipError::Pipeline("not a pipeline".into()))?;
        for (name, path) in [("in", input), ("out", tmp)] {
            pipeline
                .by_name(name)
                .ok_or_else(|| ClipError::Pipeline(format!("no element {name}")))?
                .set_property("location", path.to_string_lossy().as_ref());
        }
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|e| ClipError::Pipeline(format!("{}: {e}", input.display())))?;
        let result = clip::wait_eos(&pipeline, Duration::from_secs(240));
        seconds = pipeline
            .query_duration::<gst::ClockTime>()
            .map_or(0.0, |d| d.nseconds() as f64 / 1e9);
        let _ = pipeline.set_state(gst::State::Null);
        result
    })?;
    Ok(seconds)
}

/// User and system CPU seconds of this process, all its threads included.
fn own_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(ru.ru_utime) + secs(ru.ru_stime)
}
