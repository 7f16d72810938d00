//! Helpers shared by the integration tests: where the real clips are, running the binary,
//! reading what it wrote, probing clips with GStreamer.
#![allow(dead_code)]

use meteor_core::{Detection, Truth};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/data/real` seen from the repository root.
pub fn real_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/real");
    assert!(
        dir.is_dir(),
        "the real meteor clips are missing: expected them in {}",
        dir.display()
    );
    dir
}

pub fn worker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_camera-worker"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("running camera-worker")
}

pub fn read_jsonl(path: &Path) -> Vec<Detection> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: {e}: {l}", path.display(), i + 1))
        })
        .collect()
}

pub use meteor_sim::dist_to_segment;

/// True when the detection is the truth's meteor: overlapping in time (0.5 s slack) and on
/// its path.
pub fn matches(d: &Detection, t: &meteor_core::TruthEvent, diag: f64) -> bool {
    let (Some(a), Some(b)) = (t.start_xy, t.end_xy) else {
        return false;
    };
    let tol = (0.03 * diag).max(12.0);
    d.start_offset_s <= t.end_s + 0.5
        && d.end_offset_s >= t.start_s - 0.5
        && dist_to_segment(d.start_xy, a, b) <= tol
        && dist_to_segment(d.end_xy, a, b) <= tol
}

pub fn truth(path: &Path) -> Truth {
    Truth::load(path).unwrap()
}

/// Frame size and rate, frame count and duration of a clip, by demuxing it with GStreamer.
pub struct ClipProbe {
    pub width: i32,
    pub height: i32,
    pub fps: f64,
    pub frames: u64,
    pub duration_s: f64,
    pub codec: String,
}

pub fn probe(path: &Path) -> ClipProbe {
    use gstreamer as gst;
    use gstreamer::prelude::*;
    use gstreamer_app as gst_app;
    gst::init().unwrap();
    let p = gst::parse::launch(&format!(
        "filesrc location={} ! qtdemux ! appsink name=s sync=false",
        path.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let sink = p
        .by_name("s")
        .unwrap()
        .downcast::<gst_app::AppSink>()
        .unwrap();
    p.set_state(gst::State::Playing).unwrap();
    let mut frames = 0;
    let mut caps = None;
    let (mut first, mut last) = (u64::MAX, 0u64);
    while let Some(s) = sink.try_pull_sample(gst::ClockTime::from_seconds(10)) {
        frames += 1;
        caps = s.caps_owned();
        if let Some(pts) = s.buffer().and_then(|b| b.pts()) {
            first = first.min(pts.nseconds());
            last = last.max(pts.nseconds());
        }
    }
    p.set_state(gst::State::Null).unwrap();
    let caps = caps.expect("the clip has video");
    let st = caps.structure(0).unwrap();
    let fps = st
        .get::<gst::Fraction>("framerate")
        .map(|f| f.numer() as f64 / f.denom() as f64)
        .unwrap_or(0.0);
    let span = (last - first) as f64 / 1e9;
    ClipProbe {
        width: st.get::<i32>("width").unwrap_or(0),
        height: st.get::<i32>("height").unwrap_or(0),
        fps,
        frames,
        duration_s: span,
        codec: st.name().to_string(),
    }
}

/// The stacked composite shows the meteor along its path: the brightest pixel near each
/// point from 40 % to 80 % of the way (the simulator's faint meteors peak at 60 %) stands
/// above the sky. A stack missing the path's second half would leave the later points at sky level.
pub fn check_track_in_composite(path: &Path, a: [f64; 2], b: [f64; 2]) {
    let img = image::open(path).unwrap().to_luma8();
    let mut all: Vec<u8> = img.pixels().map(|p| p.0[0]).collect();
    all.sort_unstable();
    let sky = all[all.len() / 2];
    for k in 4..=8 {
        let f = 0.1 * k as f64;
        let (x, y) = (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f);
        let near = (-4..=4)
            .flat_map(|dy| (-4..=4).map(move |dx| (x as i64 + dx, y as i64 + dy)))
            .map(|(px, py)| img.get_pixel(px as u32, py as u32).0[0])
            .max()
            .unwrap();
        assert!(
            near as i32 >= sky as i32 + 12,
            "{}: {near} at ({x:.0}, {y:.0}), {f:.1} of the way, over a sky of {sky}",
            path.display()
        );
    }
}
