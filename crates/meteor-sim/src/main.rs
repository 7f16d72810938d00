//! `meteor-sim`: renders simulated night-sky clips with ground truth, serves them as
//! simulated RTSP cameras (`serve`, in `cli_serve.rs`), and scores detector output against the
//! truth. The work is done by the `meteor_sim` library.

mod cli_serve;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use meteor_sim::score::{load_detections, load_truth, score};
use meteor_sim::{render_clip, Profile, RenderSpec};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "meteor-sim",
    version,
    about = "Simulated night skies for meteor watch"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render DIR/NAME.mp4 (H.264) and DIR/NAME.truth.json.
    Render {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// mixed, quiet, shower or hard.
        #[arg(long, default_value = "mixed")]
        profile: Profile,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1280)]
        width: u32,
        #[arg(long, default_value_t = 720)]
        height: u32,
        #[arg(long, default_value_t = 30.0)]
        fps: f64,
        /// Seconds.
        #[arg(long, default_value_t = 60.0)]
        duration: f64,
        /// File stem; default `{profile}_{width}x{height}_s{seed}`.
        #[arg(long)]
        name: Option<String>,
    },
    /// Serve simulated RTSP cameras (rendered loops) until Ctrl-C; prints each camera's URL.
    Serve {
        #[arg(long, default_value_t = 8554)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// A camera (repeatable), NAME=PROFILE[:OPTION]...
        #[arg(long = "camera", value_name = "NAME=PROFILE[:OPTION]...",
              required_unless_present = "count",
              long_help = meteor_sim::serve::CAMERA_ARG_HELP)]
        cameras: Vec<String>,
        /// N more cameras cam1..camN (after any --camera), each `camI=PROFILE:seed=I` plus
        /// --options.
        #[arg(long = "cameras", value_name = "N")]
        count: Option<u32>,
        /// The profile of the --cameras cameras.
        #[arg(long, default_value = "mixed")]
        profile: String,
        /// Options appended to each --cameras camera, e.g. `1920x1080@30:gop=2`.
        #[arg(long, default_value = "")]
        options: String,
        /// Basic-auth credentials of a camera (repeatable); the password is everything after
        /// the first `:`.
        #[arg(long = "auth", value_name = "NAME=USER:PASSWORD")]
        auth: Vec<String>,
        /// Write NAME.loop.truth.json (NAME.switchK.loop.truth.json for the loop after the
        /// K-th switch) and append each shown event, with wall-clock start and end, to
        /// NAME.served.jsonl.
        #[arg(long)]
        truth_dir: Option<PathBuf>,
        /// Where rendered loops are cached (default $METEOR_SIM_CACHE or TMP/meteor-sim-cache).
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Score detections against truth: recall (by SNR), precision, false positives by cause.
    Score {
        /// TRUTH.json=DETECTIONS.jsonl (repeatable). A missing detections file means none.
        #[arg(long = "pair", required = true, value_name = "TRUTH=DETECTIONS")]
        pairs: Vec<String>,
        /// Print a JSON object instead of the table.
        #[arg(long)]
        json: bool,
        /// Seconds the detector took, to report the realtime factor.
        #[arg(long)]
        elapsed_s: Option<f64>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // the server logs clients connecting and disconnecting at info
    let default_level = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_level.into()),
        )
        .init();
    match cli.command {
        Command::Render {
            seed,
            profile,
            out,
            width,
            height,
            fps,
            duration,
            name,
        } => {
            let mut spec = RenderSpec::from_profile(profile, seed, width, height, fps, duration);
            spec.name = name;
            let r = render_clip(&spec, &out)?;
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for e in &r.truth.events {
                *counts.entry(e.kind.as_str()).or_default() += 1;
            }
            let events: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!(
                "{}: {} frames ({:.1} s at {} fps) in {:.1} s ({:.0} fps); events: {}",
                r.video_path.display(),
                r.truth.frames,
                r.truth.duration_s,
                r.truth.fps,
                r.elapsed_s,
                r.truth.frames as f64 / r.elapsed_s.max(1e-9),
                if events.is_empty() {
                    "none".into()
                } else {
                    events.join(", ")
                }
            );
        }
        Command::Serve {
            port,
            bind,
            mut cameras,
            count,
            profile,
            options,
            auth,
            truth_dir,
            cache_dir,
        } => {
            for i in 1..=count.unwrap_or(0) {
                let extra = if options.is_empty() {
                    String::new()
                } else {
                    format!(":{options}")
                };
                cameras.push(format!("cam{i}={profile}:seed={i}{extra}"));
            }
            cli_serve::run(cli_serve::ServeArgs {
                port,
                bind,
                cameras,
                auth,
                truth_dir,
                cache_dir,
            })?
        }
        Command::Score {
            pairs,
            json,
            elapsed_s,
        } => {
            let mut loaded = Vec::new();
            for pair in &pairs {
                let (t, d) = split_pair(pair)?;
                let truth = load_truth(&t).context("reading truth")?;
                let dets = load_detections(&d).context("reading detections")?;
                loaded.push((truth, dets));
            }
            let mut report = score(&loaded);
            if let Some(e) = elapsed_s {
                report = report.with_elapsed(e);
            }
            let text = if json {
                serde_json::to_string_pretty(&report)? + "\n"
            } else {
                report.to_table()
            };
            write_stdout(&text)?;
        }
    }
    Ok(())
}

/// Prints `text`; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Splits `TRUTH=DETECTIONS`, preferring the `=` right after `.json` so paths may contain `=`.
fn split_pair(pair: &str) -> Result<(PathBuf, PathBuf)> {
    let at = pair
        .find(".json=")
        .map(|i| i + 5)
        .or_else(|| pair.find('='));
    match at {
        Some(i) if i > 0 && i + 1 < pair.len() => Ok((pair[..i].into(), pair[i + 1..].into())),
        _ => bail!("--pair `{pair}` is not TRUTH.json=DETECTIONS.jsonl"),
    }
}
