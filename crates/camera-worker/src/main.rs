//! The camera-worker binary: parses the command line and hands over to the library.

use camera_worker::filemode::{self, DetectCmd};
use clap::{Parser, Subcommand};
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
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // One process per camera: OpenCV's own thread pool would only make workers fight for cores.
    let _ = opencv::core::set_num_threads(1);
    let result = match &cli.command {
        Command::Detect(cmd) => filemode::run(cmd),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
