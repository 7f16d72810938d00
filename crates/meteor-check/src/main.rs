//! `meteor-check`: parses the command line, runs the checks, prints the report and exits
//! 0 (OK), 1 (WARN), 2 (CRIT) or 3 (the check could not run), as Nagios plugins do.

use clap::error::ErrorKind;
use clap::Parser;
use meteor_check::cli::Cli;
use std::process::ExitCode;

/// Nagios UNKNOWN: the check itself could not run.
const UNKNOWN: u8 = 3;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(UNKNOWN),
            };
        }
    };
    let json = cli.json;
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                let doc = serde_json::json!({
                    "status": "unknown",
                    "exit_code": UNKNOWN,
                    "error": format!("{e:#}"),
                });
                println!("{doc:#}");
            } else {
                println!("UNKNOWN meteor-check: {e:#}");
            }
            ExitCode::from(UNKNOWN)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    let options = cli.options()?;
    let report = meteor_check::run(&options)?;
    if cli.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.human(cli.verbose, cli.quiet));
    }
    Ok(report.exit_code)
}
