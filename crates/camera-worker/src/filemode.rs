//! File mode: `camera-worker detect INPUT...` runs recorded videos through the engine as fast
//! as they decode, writes the same outputs as a camera, and prints a summary per file. A bad
//! input is reported by name and skipped; the others are still processed.

use crate::config::DetectionArgs;
use crate::engine::Engine;
use crate::ingest::{FileOpener, Opener, Shrink, StreamEvent};
use crate::ring::Ring;
use crate::store::Store;
use crate::writer::{Writer, WriterConfig};
use chrono::{DateTime, Utc};
use clap::Args;
use meteor_core::Detection;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Args)]
pub struct DetectCmd {
    /// Video files to process (any container and codec GStreamer decodes).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output directory; each file's events go to OUTPUT/<file stem>/.
    #[arg(long, short, env = "OUTPUT_DIR", default_value = "detections")]
    pub output: PathBuf,
    #[command(flatten)]
    pub detection: DetectionArgs,
    /// Do not write clips (composites and records are still written).
    #[arg(long)]
    pub no_clips: bool,
    /// Wall-clock time of the first frame (RFC 3339, e.g. 2026-11-23T02:00:00Z). Default: the
    /// file's modification time minus its duration.
    #[arg(long)]
    pub start_time: Option<DateTime<Utc>>,
    /// Print the summaries as JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What one file gave.
#[derive(Debug, serde::Serialize)]
pub struct FileSummary {
    pub file: String,
    pub output_dir: String,
    pub frames: u64,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub video_s: f64,
    pub elapsed_s: f64,
    pub processing_fps: f64,
    /// CPU time of detection per frame, milliseconds: shrinking in the decoder's thread, then
    /// detection, tracking and classification (decoding and file writing not included).
    pub detect_cpu_ms_per_frame: f64,
    pub flashes: u64,
    pub rejected: std::collections::BTreeMap<String, u64>,
    pub events: Vec<Detection>,
}

/// Runs the command; the exit status is 1 when any input failed.
pub fn run(cmd: &DetectCmd) -> anyhow::Result<bool> {
    let settings = cmd.detection.resolve()?;
    let mut ok = true;
    for input in &cmd.inputs {
        match process_file(input, cmd, &settings) {
            Ok(s) => print_summary(&s, cmd.json),
            Err(e) => {
                ok = false;
                if cmd.json {
                    println!(
                        "{}",
                        serde_json::json!({"file": input.display().to_string(), "error": format!("{e:#}")})
                    );
                } else {
                    eprintln!("error: {e:#}");
                }
            }
        }
    }
    Ok(ok)
}

fn camera_name(input: &Path) -> String {
    input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "video".into())
}

pub fn process_file(
    input: &Path,
    cmd: &DetectCmd,
    settings: &crate::config::Resolved,
) -> anyhow::Result<FileSummary> {
    let started = Instant::now();
    let camera = camera_name(input);
    let p = settings.params;
    // The ring must span the longest event plus both margins plus the decoder's lead, plus
    // the events waiting for the writer (at most two: one queued, one being written), plus
    // the hold of a slow track before it is reported.
    let retain = Duration::from_secs_f64(
        2.0 * (p.max_duration_s + p.clip_before_s + p.clip_after_s + p.max_gap_s) as f64
            + crate::scene::HOLD_S
            + 6.0,
    );
    let ring = Ring::new(retain);
    let opener = FileOpener::new(input);
    let shrink = Shrink::new(p.scale);
    let stream = opener.open(ring.clone(), false, shrink.clone())?;
    let out_dir = cmd.output.join(&camera);
    let store = Store::open(&out_dir).map_err(|e| anyhow::anyhow!("{}: {e}", out_dir.display()))?;
    let writer = Writer::spawn(
        store,
        ring.clone(),
        WriterConfig {
            camera: camera.clone(),
            sensitivity: settings.sensitivity.name().to_string(),
            clips: !cmd.no_clips,
            clip_before_s: p.clip_before_s as f64,
            clip_after_s: p.clip_after_s as f64,
            post_roll_timeout: Duration::from_secs(30),
            queue: 1,
            durability: Default::default(),
        },
    );
    let mut engine: Option<Engine> = None;
    let mut failure = None;
    let mut engine_cpu_ns = 0u64;
    loop {
        match stream.next(Duration::from_secs(30)) {
            Some(StreamEvent::Frame(frame)) => {
                let eng = engine.get_or_insert_with(|| {
                    let origin = cmd
                        .start_time
                        .unwrap_or_else(|| default_origin(input, &stream));
                    Engine::new(p, settings.mask.clone(), origin)
                });
                let t0 = crate::cputime::thread_ns();
                let done = eng.process(&frame);
                engine_cpu_ns += crate::cputime::thread_ns().saturating_sub(t0);
                match done {
                    Ok(events) => events.into_iter().for_each(|e| writer.submit_wait(e)),
                    Err(e) => {
                        failure = Some(anyhow::anyhow!("{}: {e:#}", input.display()));
                        break;
                    }
                }
            }
            Some(StreamEvent::Eos) => break,
            Some(StreamEvent::Error(e)) => {
                failure = Some(anyhow::anyhow!(classify_error(input, &e, engine.is_some())));
                break;
            }
            None => {
                failure = Some(anyhow::anyhow!(
                    "{}: no frame decoded for 30 s",
                    input.display()
                ));
                break;
            }
        }
    }
    if let Some(eng) = engine.as_mut() {
        for e in eng.finish() {
            writer.submit_wait(e);
        }
    }
    ring.set_eos();
    drop(stream);
    let events = writer.finish();
    if let Some(f) = failure {
        // Events found before a truncated file's end are kept; the error is still reported.
        if !events.is_empty() {
            eprintln!(
                "{}: {} event(s) written before the error",
                input.display(),
                events.len()
            );
        }
        return Err(f);
    }
    let Some(eng) = engine else {
        anyhow::bail!("{}: no video frames could be decoded", input.display());
    };
    let g = eng.geometry().expect("frames were processed");
    let elapsed = started.elapsed().as_secs_f64();
    let frames = eng.frames();
    Ok(FileSummary {
        file: input.display().to_string(),
        output_dir: out_dir.display().to_string(),
        frames,
        width: g.width,
        height: g.height,
        fps: g.fps,
        video_s: frames as f64 / g.fps,
        elapsed_s: elapsed,
        processing_fps: frames as f64 / elapsed.max(1e-9),
        detect_cpu_ms_per_frame: (engine_cpu_ns + shrink.cpu_ns()) as f64
            / 1e6
            / frames.max(1) as f64,
        flashes: eng.flashes(),
        rejected: eng
            .rejected()
            .iter()
            .map(|(r, n)| (r.name().to_string(), *n))
            .collect(),
        events,
    })
}

/// Errors mid-file mean a damaged file; errors before the first frame mean not a video.
fn classify_error(input: &Path, e: &str, had_frames: bool) -> String {
    let name = input.display().to_string();
    let detail = e.strip_prefix(&format!("{name}: ")).unwrap_or(e);
    if had_frames {
        format!("{name}: {detail} (the file looks truncated or damaged)")
    } else {
        format!("{name}: not a playable video: {detail}")
    }
}

/// The file's modification time minus its duration: when a recorder closed the file, it
/// had just written its last frame.
fn default_origin(input: &Path, stream: &crate::ingest::Stream) -> DateTime<Utc> {
    use gstreamer::prelude::*;
    let mtime = std::fs::metadata(input)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now());
    let duration = stream
        .pipeline()
        .query_duration::<gstreamer::ClockTime>()
        .map(|d| d.nseconds())
        .unwrap_or(0);
    mtime - chrono::Duration::nanoseconds(duration as i64)
}

fn print_summary(s: &FileSummary, json: bool) {
    if json {
        println!("{}", serde_json::to_string(s).unwrap_or_default());
        return;
    }
    println!(
        "{}: {} meteor(s) in {} frames ({}x{} @ {:.2} fps, {:.1} s of video) processed at {:.0} fps ({:.1}x real time), detection {:.3} ms CPU per frame; {} flash(es)",
        s.file,
        s.events.len(),
        s.frames,
        s.width,
        s.height,
        s.fps,
        s.video_s,
        s.processing_fps,
        s.processing_fps / s.fps.max(1e-9),
        s.detect_cpu_ms_per_frame,
        s.flashes
    );
    for d in &s.events {
        println!(
            "  #{} {} at {:.2}s for {:.2}s  ({:.0},{:.0}) -> ({:.0},{:.0})  {:.0} px  {:.0} px/s  snr {:.1}  conf {:.2}  {}",
            d.id,
            d.start_time.format("%H:%M:%S%.3f"),
            d.start_offset_s,
            d.duration_s,
            d.start_xy[0],
            d.start_xy[1],
            d.end_xy[0],
            d.end_xy[1],
            d.length_px,
            d.speed_px_s,
            d.peak_snr,
            d.confidence,
            d.clip.as_deref().unwrap_or("(no clip)")
        );
    }
    if !s.rejected.is_empty() {
        let r: Vec<String> = s.rejected.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  rejected tracks: {}", r.join(", "));
    }
    println!("  files in {}", s.output_dir);
}
