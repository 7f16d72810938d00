//! The compose-gen binary: parses the command line, generates the files (or the camera table
//! for scripts/run.sh), reports what it did.
//! Errors are one plain line each (no backtrace, whatever RUST_BACKTRACE says) and exit 1;
//! command-line errors exit 2 (clap).

use clap::Parser;
use compose_gen::Cli;
use std::process::ExitCode;

fn generate(cli: &Cli) -> anyhow::Result<()> {
    let settings = cli.settings()?;
    if let Some(table) = &settings.run_table {
        let outcome = compose_gen::run_table::write(&settings, table)?;
        for note in &outcome.notes {
            eprintln!("note: {note}");
        }
        println!(
            "wrote {} ({} camera(s); mode 0600, it holds their passwords)",
            table.display(),
            outcome.cameras
        );
        return Ok(());
    }
    let outcome = compose_gen::run(&settings)?;
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    println!(
        "wrote {} ({} camera(s) and the dashboard) and {} (secrets, mode 0600)",
        outcome.compose.display(),
        outcome.cameras,
        outcome.env_file.display()
    );
    println!(
        "start with `docker-compose up -d` (or `docker compose up -d`) beside it; the \
         dashboard is on port {}",
        outcome.dashboard_port
    );
    Ok(())
}

fn main() -> ExitCode {
    match generate(&Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compose-gen: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
