//! The command line (every option also an environment variable) and the parsers of its
//! values: `NAME=URL` workers, sizes such as `512M`, percentages, seconds.

use crate::services::WorkerSpec;
use crate::{Error, Options};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "meteor-check",
    version,
    about = "Checks a meteor watch installation: services, streams, detection store, disk, memory",
    long_about = "Checks a meteor watch installation: the dashboard and every camera-worker answer \
/healthz (their own self-checks are passed on), every stream is connected with a fresh last \
frame, each service's resident memory is under a limit, the detection store is intact, and the \
output volume has space and can be written.\n\nExit status (the Nagios plugin convention): 0 all \
OK, 1 a warning, 2 something critical, 3 the check itself could not run.",
    after_help = "See docs/monitoring.md for the JSON fields and Nagios, Zabbix and cron use."
)]
pub struct Cli {
    /// The dashboard's base URL (http://host:port); its workers are learned from it
    /// (GET /api/cameras) unless --worker names them.
    #[arg(long, env = "DASHBOARD_URL", value_name = "URL")]
    pub dashboard: Option<String>,
    /// A worker to check, NAME=http://host:port; repeatable (WORKERS: comma-separated).
    #[arg(
        long = "worker",
        env = "WORKERS",
        value_name = "NAME=URL",
        value_delimiter = ','
    )]
    pub workers: Vec<String>,
    /// The detections root (each camera a subdirectory) to check: store, disk, writability.
    #[arg(long, env = "OUTPUT_DIR", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// A stream whose last frame is older than this (seconds) is critical.
    #[arg(
        long,
        env = "MAX_FRAME_AGE",
        allow_hyphen_values = true,
        default_value = "60",
        value_name = "SECONDS"
    )]
    pub max_frame_age: String,
    /// Disk use (percent) from which the output volume is a warning.
    #[arg(
        long,
        env = "DISK_WARN_PERCENT",
        allow_hyphen_values = true,
        default_value = "90",
        value_name = "PERCENT"
    )]
    pub disk_warn: String,
    /// Disk use (percent) from which the output volume is critical.
    #[arg(
        long,
        env = "DISK_CRIT_PERCENT",
        allow_hyphen_values = true,
        default_value = "97",
        value_name = "PERCENT"
    )]
    pub disk_crit: String,
    /// Resident memory per service above which it is a warning: bytes, or with K, M, G, T
    /// (powers of 1024), e.g. 512M.
    #[arg(
        long,
        env = "MAX_RSS",
        allow_hyphen_values = true,
        default_value = "1G",
        value_name = "SIZE"
    )]
    pub max_rss: String,
    /// Longest wait for one HTTP answer (seconds).
    #[arg(
        long,
        env = "CHECK_TIMEOUT",
        allow_hyphen_values = true,
        default_value = "5",
        value_name = "SECONDS"
    )]
    pub timeout: String,
    /// Print the report as JSON (docs/monitoring.md).
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,
    /// Print only the components that are not OK (nothing at all when healthy).
    #[arg(long, short)]
    pub quiet: bool,
    /// Add sizes, counts and stream details below each component.
    #[arg(long, short)]
    pub verbose: bool,
}

impl Cli {
    /// The checked options; Err names the option at fault.
    pub fn options(&self) -> Result<Options, Error> {
        let workers = self
            .workers
            .iter()
            .map(|w| w.trim())
            .filter(|w| !w.is_empty())
            .map(parse_worker)
            .collect::<Result<Vec<_>, _>>()?;
        for (i, w) in workers.iter().enumerate() {
            if workers[..i].iter().any(|o| o.name == w.name) {
                return Err(usage(format!("--worker: {:?} is given twice", w.name)));
            }
        }
        let dashboard = match self.dashboard.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => {
                Some(check_url(url).map_err(|why| usage(format!("--dashboard {url:?}: {why}")))?)
            }
        };
        let disk_warn = parse_percent("--disk-warn", &self.disk_warn)?;
        let disk_crit = parse_percent("--disk-crit", &self.disk_crit)?;
        if disk_warn > disk_crit {
            return Err(usage(format!(
                "--disk-warn {disk_warn} is above --disk-crit {disk_crit}"
            )));
        }
        let timeout = parse_seconds("--timeout", &self.timeout)?;
        Ok(Options {
            dashboard,
            workers,
            output: self.output.clone().filter(|p| !p.as_os_str().is_empty()),
            max_frame_age_s: parse_seconds("--max-frame-age", &self.max_frame_age)?,
            disk_warn,
            disk_crit,
            max_rss_bytes: parse_size(&self.max_rss)
                .map_err(|why| usage(format!("--max-rss {:?}: {why}", self.max_rss)))?,
            timeout: Duration::from_secs_f64(timeout),
        })
    }
}

fn usage(msg: String) -> Error {
    Error::Usage(msg)
}

/// `http://host:port` with nothing after the path; returned without a trailing `/`.
fn check_url(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    match parsed.scheme() {
        "http" => {}
        "https" => return Err("https is not supported (this build has no TLS)".into()),
        s => return Err(format!("scheme {s:?} is not http")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// `roof=http://10.0.0.5:8081`.
pub fn parse_worker(spec: &str) -> Result<WorkerSpec, Error> {
    let Some((name, url)) = spec.split_once('=') else {
        return Err(usage(format!(
            "--worker {spec:?}: expected NAME=http://host:port"
        )));
    };
    let (name, url) = (name.trim(), url.trim());
    if name.is_empty() {
        return Err(usage(format!("--worker {spec:?}: empty name")));
    }
    let url = check_url(url).map_err(|why| usage(format!("--worker {name}: {url:?}: {why}")))?;
    Ok(WorkerSpec {
        name: name.to_string(),
        url,
    })
}

/// Bytes, or a number with K, M, G or T (powers of 1024; `KB`, `KiB`, `k` all the same).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| "expected a size such as 1073741824, 512M or 1.5G".to_string())?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let scale: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        other => return Err(format!("unknown unit {other:?} (use K, M, G or T)")),
    };
    let bytes = v * scale as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err("must be at least 1 byte".into());
    }
    Ok(bytes as u64)
}

fn parse_percent(option: &str, s: &str) -> Result<f64, Error> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| usage(format!("{option} {s:?}: expected a percentage such as 90")))?;
    if !(v > 0.0 && v <= 100.0) {
        return Err(usage(format!(
            "{option} {s:?}: must be above 0 and at most 100"
        )));
    }
    Ok(v)
}

fn parse_seconds(option: &str, s: &str) -> Result<f64, Error> {
    let t = s.trim().trim_end_matches('s');
    let v: f64 = t.parse().map_err(|_| {
        usage(format!(
            "{option} {s:?}: expected seconds such as 60 or 2.5"
        ))
    })?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err(usage(format!(
            "{option} {s:?}: must be above 0 and at most a day"
        )));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("100kb").unwrap(), 102_400);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("12Q").unwrap_err().contains("unit"));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn workers() {
        let w = parse_worker(" roof = http://h:8081/ ").unwrap();
        assert_eq!((w.name.as_str(), w.url.as_str()), ("roof", "http://h:8081"));
        for (bad, says) in [
            ("roof", "NAME="),
            ("=http://h:1", "empty name"),
            ("a=ftp://h", "not http"),
            ("a=https://h", "TLS"),
            ("a=http://h:1/?x=1", "query"),
        ] {
            let e = parse_worker(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn options_are_checked() {
        let cli = |args: &[&str]| {
            let mut all = vec!["meteor-check"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all).unwrap().options()
        };
        let o = cli(&["--worker", "a=http://h:1", "--max-rss", "2G"]).unwrap();
        assert_eq!(o.max_rss_bytes, 2 << 30);
        assert_eq!(o.max_frame_age_s, 60.0);
        for (args, says) in [
            (&["--disk-warn", "98"][..], "above --disk-crit"),
            (&["--disk-crit", "120"], "at most 100"),
            (&["--max-frame-age", "soon"], "--max-frame-age"),
            (
                &["--worker", "a=http://h:1", "--worker", "a=http://h:2"],
                "twice",
            ),
            (&["--dashboard", "nope"], "--dashboard"),
        ] {
            let e = cli(args).unwrap_err().to_string();
            assert!(e.contains(says), "{args:?}: {e}");
        }
    }
}
