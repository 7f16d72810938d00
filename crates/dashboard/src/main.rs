//! The dashboard binary: parses the command line and hands over to the library.

use clap::Parser;
use dashboard::{Cli, Command, Config};
use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Healthcheck { port, url }) => {
            dashboard::healthcheck::run(*port, url.as_deref()).map_err(anyhow::Error::from)
        }
        None => serve(&cli).map(|()| true),
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

fn serve(cli: &Cli) -> anyhow::Result<()> {
    let config = Config::from_args(&cli.serve)?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(dashboard::serve(config))?;
    Ok(())
}
