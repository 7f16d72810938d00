//! The dashboard binary: parses the command line and hands over to the library.

use clap::Parser;
use dashboard::{Cli, Command, Config};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs where LOG_FILE says; `healthcheck` always to stderr.
    let _log = match &cli.command {
        Some(Command::Healthcheck { .. }) => {
            meteor_service::init_logging();
            meteor_service::LogGuard::default()
        }
        None => match meteor_service::init_logging_with(&cli.log) {
            Ok(guard) => guard,
            Err(e) => return meteor_service::exit_code::<_>(Err(e)),
        },
    };
    let result = match &cli.command {
        Some(Command::Healthcheck { port, url }) => {
            meteor_service::healthcheck(*port, url.as_deref()).map_err(anyhow::Error::from)
        }
        None => serve(&cli).map(|()| true),
    };
    meteor_service::exit_code(result)
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
