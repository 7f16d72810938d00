//! What every meteor watch service process (camera-worker, dashboard) does the same way:
//! log set-up (stderr, or a size-rotated file: [`logging`]), graceful shutdown on SIGTERM or
//! Ctrl-C (bounded, so an endless live view cannot hold it), the `healthcheck` subcommand
//! that a container health check runs (slim images have no curl), the exit codes, and
//! reading a request's query string.

use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

pub mod logging;
pub mod site;
pub use logging::{
    init_logging, init_logging_with, listening_port, wait_for_port, LogArgs, LogError, LogGuard,
};
pub use site::SiteArgs;

/// Resolves on SIGTERM (what `docker stop` and systemd send) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// A graceful HTTP stop that endless answers (live views) cannot hold up. Returns the future
/// for axum's `with_graceful_shutdown` (it resolves on SIGTERM or Ctrl-C, after calling
/// `on_signal`) and one that resolves `grace` after the signal: serve until either.
pub fn graceful_stop(
    grace: Duration,
    on_signal: impl FnOnce() + Send + 'static,
) -> (
    impl std::future::Future<Output = ()> + Send + 'static,
    impl std::future::Future<Output = ()> + Send + 'static,
) {
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = stopping.clone();
    let signal = async move {
        shutdown_signal().await;
        on_signal();
        // Stores a permit when nobody waits yet, so the deadline cannot miss it.
        notify.notify_one();
    };
    let deadline = async move {
        stopping.notified().await;
        tokio::time::sleep(grace).await;
        tracing::info!("closed the remaining HTTP connections (live views)");
    };
    (signal, deadline)
}

/// A Prometheus label value: `\\`, `"` and newlines escaped.
pub fn escape_label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// CPU seconds (user + system) and resident bytes of this process, from /proc/self/stat
/// (Linux); `None` elsewhere. Both services' /metrics show them.
pub fn process_usage() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, in parentheses): state is the
    // first, utime the 12th, stime the 13th, rss the 22nd. USER_HZ is 100, pages 4 KiB.
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    let rss_pages: f64 = f.get(21)?.parse().ok()?;
    Some((ticks / 100.0, rss_pages * 4096.0))
}

/// GETs `url` (default `http://127.0.0.1:<port>/healthz`) and prints one line: `OK <url>:
/// <body>` and true on a 2xx answer, `FAIL <url>: <why>` and false otherwise. Err only when
/// the check itself cannot run.
pub fn healthcheck(port: u16, url: Option<&str>) -> std::io::Result<bool> {
    let url = url
        .map(str::to_string)
        .unwrap_or_else(|| format!("http://127.0.0.1:{port}/healthz"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                println!("OK {url}: {}", r.text().await.unwrap_or_default());
                true
            }
            Ok(r) => {
                println!("FAIL {url}: HTTP {}", r.status());
                false
            }
            Err(e) => {
                println!("FAIL {url}: {e}");
                false
            }
        })
    })
}

/// The process's exit code: 0 when `result` is true, 1 when false (a failed check), 2 with
/// the error printed when it failed.
pub fn exit_code<E: Display>(result: Result<bool, E>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A raw query string `a=b&c=d` as decoded pairs (percent-decoding; `+` is a space), in
/// order, so handlers can name every unknown or bad parameter themselves.
pub fn url_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_escaped() {
        assert_eq!(super::escape_label("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }

    #[test]
    fn query_pairs_are_decoded_in_order() {
        assert_eq!(
            super::url_pairs(Some("b=x%2By+z&a&&c=%E2%98%84")),
            [("b", "x+y z"), ("a", ""), ("c", "☄")].map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert!(super::url_pairs(None).is_empty());
    }
}
