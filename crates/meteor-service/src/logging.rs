//! Where a service's log lines go: stderr by default (journald captures it under systemd,
//! `docker logs` under compose), or a file rotated by size with a fixed number of generations
//! kept (`LOG_FILE`, `LOG_MAX_SIZE`, `LOG_FILES`). Owns the `LogArgs` every service command
//! flattens in, the size parser, and the subscriber set-up; the rotation itself (renaming
//! `app.log` to `app.log.1`, ... and deleting the oldest) is the `file-rotate` crate's.

use std::fmt;
use std::fs::OpenOptions;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use file_rotate::{compression::Compression, suffix::AppendCount, ContentLimit, FileRotate};
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The logging flags of a long-running service command (`camera-worker run`, `dashboard`).
#[derive(Debug, Clone, clap::Args)]
pub struct LogArgs {
    /// Log to this file instead of stderr, rotated by size (`FILE` -> `FILE.1` -> ...). Unset:
    /// stderr, which journald or `docker logs` keep.
    #[arg(long, env = "LOG_FILE", value_name = "LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// Size at which the log file is rotated: bytes, or with K, M or G (powers of 1024).
    #[arg(
        long,
        env = "LOG_MAX_SIZE",
        value_name = "LOG_MAX_SIZE",
        default_value = "10M",
        value_parser = parse_size
    )]
    pub log_max_size: u64,
    /// Log files kept, the current one included: at most LOG_FILES x LOG_MAX_SIZE on disk.
    #[arg(
        long,
        env = "LOG_FILES",
        value_name = "LOG_FILES",
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub log_files: u32,
}

/// Logging could not start (the message names the setting).
#[derive(Debug)]
pub struct LogError(pub String);

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LogError {}

/// Keeps the log file's writer thread alive; dropping it flushes what is queued. Hold it in
/// `main` until the process ends.
#[must_use = "dropping the guard stops file logging"]
#[derive(Default)]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// `10485760`, `512K`, `10M`, `1G` (also `10MB`, `10MiB`, lower case): K, M and G are powers
/// of 1024. Zero is refused.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("LOG_MAX_SIZE: expected a size such as 10M, 512K or 1G, got {s:?}");
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let unit_start = upper
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(upper.len());
    let (digits, unit) = upper.split_at(unit_start);
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(bad()),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let bytes = n
        .checked_mul(scale)
        .filter(|b| usize::try_from(*b).is_ok())
        .ok_or_else(|| format!("LOG_MAX_SIZE: {s:?} is too large"))?;
    if bytes == 0 {
        return Err(format!("LOG_MAX_SIZE: must be more than 0, got {s:?}"));
    }
    Ok(bytes)
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`); colours only on a terminal.
pub fn init_logging() {
    let ansi = std::io::stderr().is_terminal();
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stderr, ansi));
}

/// Logs as `args` say: to the rotated `LOG_FILE` when set, else to stderr
/// ([`init_logging`]). Err, naming LOG_FILE, when the file or its directory is not writable.
pub fn init_logging_with(args: &LogArgs) -> Result<LogGuard, LogError> {
    let Some(path) = &args.log_file else {
        init_logging();
        return Ok(LogGuard::default());
    };
    let (writer, guard) = rotating_writer(path, args.log_max_size, args.log_files)?;
    tracing::subscriber::set_global_default(subscriber(writer, false))
        .map_err(|e| LogError(format!("logging already started: {e}")))?;
    // One line where the journal (or a terminal) sees it, saying where the rest goes.
    eprintln!(
        "logging to {} (rotated past {} bytes, {} files kept)",
        path.display(),
        args.log_max_size,
        args.log_files
    );
    Ok(LogGuard {
        _writer: Some(guard),
    })
}

/// The subscriber every service logs through: the `fmt` format, filtered by `RUST_LOG`
/// (default `info`), written to `writer`.
pub fn subscriber<W>(writer: W, ansi: bool) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(ansi)
        .with_writer(writer)
        .finish()
}

/// A non-blocking writer (a thread of its own; nothing is dropped, a full queue waits)
/// appending to `path`, which is rotated once it has grown past `max_size` bytes, keeping
/// `files` files in all (`path`, `path.1` newest ... `path.<files-1>` oldest). Checks first
/// that the file can be appended to and its directory written (rotation renames in it).
pub fn rotating_writer(
    path: &Path,
    max_size: u64,
    files: u32,
) -> Result<(NonBlocking, WorkerGuard), LogError> {
    let shown = path.display();
    let fail =
        |what: &str, e: &dyn fmt::Display| LogError(format!("LOG_FILE {shown}: {what}: {e}"));
    if files == 0 {
        return Err(LogError("LOG_FILES: at least 1".into()));
    }
    let max = usize::try_from(max_size)
        .ok()
        .filter(|m| *m > 0)
        .ok_or_else(|| LogError(format!("LOG_MAX_SIZE: {max_size} is out of range")))?;
    if path.file_name().is_none() {
        return Err(fail("not a file name", &"it ends in / or ..".to_string()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if dir.exists() && !dir.is_dir() {
        let what = format!("{} is not a directory", dir.display());
        return Err(fail(&what, &"cannot hold the log"));
    }
    std::fs::create_dir_all(&dir).map_err(|e| fail("cannot create its directory", &e))?;
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| fail("cannot open for appending", &e))?;
    let probe = dir.join(format!(
        ".{}.rotate-check",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| fail("its directory is not writable (rotation renames there)", &e))?;
    let rotate = FileRotate::new(
        path,
        AppendCount::new(files as usize - 1),
        ContentLimit::BytesSurpassed(max),
        Compression::None,
        #[cfg(unix)]
        None,
    );
    Ok(NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("log-file")
        .finish(rotate))
}

/// The port in the last "listening" line of a service's log (`... listening addr=HOST:PORT`):
/// how a supervisor or a test that started the service with `WEB_PORT=0` learns the port the
/// system gave it. Colour codes are skipped.
pub fn listening_port(log: &str) -> Option<u16> {
    log.lines()
        .rev()
        .find(|l| l.contains("listening"))
        .and_then(|l| {
            let plain = strip_ansi(l);
            let addr = plain.split("addr=").nth(1)?.split_whitespace().next()?;
            addr.rsplit_once(':')?.1.parse().ok()
        })
}

/// Waits for `child`, started with `WEB_PORT=0` and logging into `log`, to say which port it
/// listens on (in what it wrote after byte `from`). Errors when it exits first or stays
/// silent for `limit`.
pub fn wait_for_port(
    log: &std::path::Path,
    from: u64,
    child: &mut std::process::Child,
    limit: std::time::Duration,
) -> Result<u16, String> {
    let t0 = std::time::Instant::now();
    loop {
        let text = std::fs::read(log).unwrap_or_default();
        let new = String::from_utf8_lossy(&text[(from as usize).min(text.len())..]);
        if let Some(port) = listening_port(&new) {
            return Ok(port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited ({status}) before listening:\n{new}"));
        }
        if t0.elapsed() > limit {
            return Err(format!("not listening after {limit:?}:\n{new}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `text` without its terminal colour sequences (ESC [ ... letter).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        log: LogArgs,
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size(" 2 MiB"), Ok(2 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "M", "10X", "1.5M", "-1M", "0", "99999999999G"] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.starts_with("LOG_MAX_SIZE: "), "{bad:?}: {e}");
        }
    }

    #[test]
    fn flags_and_defaults() {
        let c = Cmd::try_parse_from(["x"]).unwrap().log;
        assert_eq!(
            (c.log_file, c.log_max_size, c.log_files),
            (None, 10 << 20, 5)
        );
        let c = Cmd::try_parse_from(["x", "--log-file", "a.log", "--log-max-size", "1K"])
            .unwrap()
            .log;
        assert_eq!(c.log_file.as_deref(), Some(Path::new("a.log")));
        assert_eq!(c.log_max_size, 1024);
        for (flags, names) in [
            (["--log-max-size", "ten"], "LOG_MAX_SIZE"),
            (["--log-files", "0"], "LOG_FILES"),
        ] {
            let e = Cmd::try_parse_from(["x"].into_iter().chain(flags))
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains(names), "{flags:?}: {e}");
        }
    }

    #[test]
    fn unwritable_path_is_an_error_naming_log_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "x").unwrap();
        // A path below a regular file, and a directory: no write permission is needed to fail
        // (the tests may run as root).
        for path in [file.join("app.log"), dir.path().to_path_buf()] {
            let e = rotating_writer(&path, 1024, 3).err().unwrap().to_string();
            assert!(e.starts_with("LOG_FILE "), "{e}");
            assert!(e.contains(&path.display().to_string()), "{e}");
        }
    }

    #[test]
    fn the_last_listening_line_gives_the_port() {
        let log = "2026-11-30T21:00:00Z  INFO camera_worker::http: HTTP API listening addr=127.0.0.1:40123\n\
                   2026-11-30T21:00:01Z  WARN camera_worker: something else addr=1.2.3.4:9\n";
        assert_eq!(listening_port(log), Some(40123));
        let coloured = "\u{1b}[32m INFO\u{1b}[0m dashboard: dashboard listening \u{1b}[3maddr\u{1b}[0m\u{1b}[2m=\u{1b}[0m[::1]:8081 \u{1b}[3mcameras\u{1b}[0m=2";
        assert_eq!(listening_port(coloured), Some(8081));
        assert_eq!(listening_port("nothing here"), None);
        assert_eq!(listening_port("HTTP API listening addr=nowhere"), None);
    }
}
