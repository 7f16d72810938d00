//! The camera-worker binary: parses the command line and hands over to the library.

use camera_worker::filemode::{self, DetectCmd};
use camera_worker::live::{self, RunCmd};
use camera_worker::rendition::RenditionCmd;
use camera_worker::retention::{self, PruneCmd};
use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "camera-worker",
    version,
    about = "Watches one camera (or video files) for meteors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Detect meteors in recorded video files, as fast as they decode.
    Detect(DetectCmd),
    /// Watch one RTSP camera: detection, clips, records and the HTTP API, until stopped.
    Run(Box<RunArgs>),
    /// Remove the files of old events once (retention), keeping their records.
    Prune(PruneCmd),
    /// Transcode one H.265 clip to its H.264 browser rendition (the worker runs this itself).
    #[command(hide = true)]
    Rendition(RenditionCmd),
    /// Ask a running worker's /healthz (the container health check; exit 0 when it answers).
    Healthcheck {
        #[arg(long, env = "WEB_PORT", default_value_t = 8080)]
        port: u16,
        /// Full URL instead of http://127.0.0.1:<port>/healthz.
        #[arg(long)]
        url: Option<String>,
    },
}

/// `run`'s settings and where its log goes (LOG_FILE, LOG_MAX_SIZE, LOG_FILES).
#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    run: RunCmd,
    #[command(flatten)]
    log: meteor_service::LogArgs,
}

fn main() -> ExitCode {
    camera_worker::memory::configure_malloc();
    let cli = Cli::parse();
    // Only the service logs to a file; `detect` and `healthcheck` talk to the terminal.
    let _log = match &cli.command {
        Command::Run(args) => match meteor_service::init_logging_with(&args.log) {
            Ok(guard) => guard,
            Err(e) => return meteor_service::exit_code::<_>(Err(e)),
        },
        _ => {
            meteor_service::init_logging();
            meteor_service::LogGuard::default()
        }
    };
    // One process per camera: OpenCV's own thread pool would only make workers fight for cores.
    let _ = opencv::core::set_num_threads(1);
    let result = match &cli.command {
        Command::Detect(cmd) => filemode::run(cmd),
        Command::Run(args) => live::run(&args.run).map(|()| true),
        Command::Prune(cmd) => retention::run_prune(cmd),
        Command::Rendition(cmd) => cmd.run(),
        Command::Healthcheck { port, url } => {
            meteor_service::healthcheck(*port, url.as_deref()).map_err(anyhow::Error::from)
        }
    };
    meteor_service::exit_code(result)
}
