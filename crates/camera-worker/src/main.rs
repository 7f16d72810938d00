//! The camera-worker binary: parses the command line and hands over to the library.

use camera_worker::filemode::{self, DetectCmd};
use camera_worker::live::{self, RunCmd};
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
    /// Watch one RTSP camera: detection, clips, records and the HTTP API, until stopped.
    Run(Box<RunCmd>),
    /// Ask a running worker's /healthz (the container health check; exit 0 when it answers).
    Healthcheck {
        #[arg(long, env = "WEB_PORT", default_value_t = 8080)]
        port: u16,
        /// Full URL instead of http://127.0.0.1:<port>/healthz.
        #[arg(long)]
        url: Option<String>,
    },
}

fn healthcheck(port: u16, url: Option<&str>) -> anyhow::Result<bool> {
    let url = url
        .map(str::to_string)
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}/healthz"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let res = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()?
            .get(&url)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => {
                println!("OK {url}: {}", r.text().await.unwrap_or_default());
                Ok(true)
            }
            Ok(r) => {
                println!("FAIL {url}: HTTP {}", r.status());
                Ok(false)
            }
            Err(e) => {
                println!("FAIL {url}: {e}");
                Ok(false)
            }
        }
    })
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
        Command::Run(cmd) => live::run(cmd).map(|()| true),
        Command::Healthcheck { port, url } => healthcheck(*port, url.as_deref()),
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
