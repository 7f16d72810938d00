//! Configuration: the command line and its environment variables (clap), the camera list
//! (`CAMERAS=name=url,...` and/or `--cameras-file FILE`, one `name=url` a line) and the
//! durations, checked once at start so a mistake is one clear error naming where it is.

use clap::{Args, Parser, Subcommand};
use meteor_core::window::NightWindow;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "dashboard",
    version,
    about = "Aggregates every camera-worker over HTTP and serves the meteor watch page"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(flatten)]
    pub log: meteor_service::LogArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask the running dashboard's /healthz (the container health check): exit 0 on 200, else 1.
    Healthcheck {
        #[arg(long, env = "WEB_PORT", default_value_t = 8080)]
        port: u16,
        /// Full URL instead of http://127.0.0.1:<port>/healthz.
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The workers: `name=http://host:port`, comma-separated.
    #[arg(long, env = "CAMERAS")]
    pub cameras: Option<String>,
    /// A file with one `name=http://host:port` a line (`#` starts a comment).
    #[arg(long, env = "CAMERAS_FILE")]
    pub cameras_file: Option<PathBuf>,
    #[arg(long, env = "WEB_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address the page and API listen on.
    #[arg(long, env = "BIND", default_value = "0.0.0.0")]
    pub bind: String,
    #[command(flatten)]
    pub site: meteor_service::SiteArgs,
    /// Sent to the workers as `Authorization: Bearer <token>` with every change.
    #[arg(long, env = "API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// How often each worker's /stats is asked (seconds, or with ms/s/m).
    #[arg(long, env = "POLL_INTERVAL", default_value = "5", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Longest wait for one worker's answer before it counts as down.
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "2", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// How often every worker's detections are read in full (catches deletions and labels
    /// made elsewhere); new ones are read incrementally at every poll.
    #[arg(long, env = "RESYNC_INTERVAL", default_value = "300", value_parser = parse_duration)]
    pub resync_interval: Duration,
    /// Records of each camera kept whole in memory, the newest ones. Older records keep only
    /// what the filters need (a few dozen bytes); a page showing one reads it from its worker.
    #[arg(long, env = "CACHE_RECORDS", default_value_t = 2000)]
    pub cache_records: usize,
    /// How often the dashboard checks itself (workers answering, clock) and logs problems.
    #[arg(long, env = "SELF_CHECK_INTERVAL", default_value = "300", value_parser = parse_duration)]
    pub self_check_interval: Duration,
    /// How often the page refreshes each visible camera's preview image.
    #[arg(long, env = "PREVIEW_INTERVAL", default_value = "2", value_parser = parse_duration)]
    pub preview_interval: Duration,
}

/// One configured worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraSpec {
    /// The name the dashboard shows and routes by (any UTF-8 without control characters).
    pub name: String,
    /// The worker's base URL, without a trailing `/`.
    pub url: String,
}

/// A configuration that was refused, with where and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The checked configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub cameras: Vec<CameraSpec>,
    pub bind: String,
    pub port: u16,
    /// Where the cameras are, for tonight's window (LATITUDE, LONGITUDE, SUN_ALTITUDE).
    pub site: Option<NightWindow>,
    pub timezone: meteor_core::Zone,
    pub api_token: Option<String>,
    pub poll_interval: Duration,
    pub request_timeout: Duration,
    pub resync_interval: Duration,
    pub preview_interval: Duration,
    pub self_check_interval: Duration,
    pub cache_records: usize,
}

impl Config {
    /// Checks the arguments and reads the cameras file.
    pub fn from_args(a: &ServeArgs) -> Result<Config, ConfigError> {
        let mut cameras = Vec::new();
        if let Some(list) = &a.cameras {
            cameras.extend(parse_cameras_env(list)?);
        }
        if let Some(file) = &a.cameras_file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| ConfigError(format!("{}: cannot read: {e}", file.display())))?;
            cameras.extend(parse_cameras_file(file, &text)?);
        }
        if cameras.is_empty() {
            return Err(ConfigError(
                "no cameras: set CAMERAS=camera1=http://camera1:8080,... or --cameras-file FILE"
                    .into(),
            ));
        }
        for (i, c) in cameras.iter().enumerate() {
            if cameras[..i].iter().any(|o| o.name == c.name) {
                return Err(ConfigError(format!("camera {:?} is given twice", c.name)));
            }
        }
        let site = a.site.window().map_err(|e| ConfigError(e.to_string()))?;
        let timezone = a.site.tz().map_err(|e| ConfigError(e.to_string()))?;
        for (name, d) in [
            ("POLL_INTERVAL", a.poll_interval),
            ("REQUEST_TIMEOUT", a.request_timeout),
            ("RESYNC_INTERVAL", a.resync_interval),
            ("PREVIEW_INTERVAL", a.preview_interval),
            ("SELF_CHECK_INTERVAL", a.self_check_interval),
        ] {
            if d < Duration::from_millis(100) {
                return Err(ConfigError(format!("{name}: at least 100ms, got {d:?}")));
            }
        }
        Ok(Config {
            cameras,
            bind: a.bind.clone(),
            port: a.port,
            site,
            timezone,
            api_token: a.api_token.clone().filter(|t| !t.is_empty()),
            poll_interval: a.poll_interval,
            request_timeout: a.request_timeout,
            resync_interval: a.resync_interval,
            preview_interval: a.preview_interval,
            self_check_interval: a.self_check_interval,
            cache_records: a.cache_records,
        })
    }
}

/// `camera1=http://camera1:8080,camera2=http://camera2:8080` (spaces around entries are ignored).
pub fn parse_cameras_env(list: &str) -> Result<Vec<CameraSpec>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
        .map(|(i, e)| {
            parse_entry(e).map_err(|why| ConfigError(format!("CAMERAS entry {}: {why}", i + 1)))
        })
        .collect()
}

/// One `name=url` a line; blank lines and lines starting with `#` are skipped.
pub fn parse_cameras_file(path: &Path, text: &str) -> Result<Vec<CameraSpec>, ConfigError> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| {
            parse_entry(l).map_err(|why| ConfigError(format!("{}:{n}: {why}", path.display())))
        })
        .collect()
}

fn parse_entry(entry: &str) -> Result<CameraSpec, String> {
    let Some((name, url)) = entry.split_once('=') else {
        return Err(format!("expected name=http://host:port, got {entry:?}"));
    };
    let (name, url) = (name.trim(), url.trim());
    if name.is_empty() {
        return Err(format!("empty camera name in {entry:?}"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("camera name {name:?} has control characters"));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{name}: bad URL {url:?}: {e}"))?;
    match parsed.scheme() {
        "http" => {}
        "https" => {
            return Err(format!(
                "{name}: https is not supported (this build has no TLS); reach workers over http \
                 inside their network"
            ))
        }
        s => return Err(format!("{name}: URL scheme {s:?} is not http")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{name}: URL {url:?} has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "{name}: URL {url:?} must not have a query or fragment"
        ));
    }
    Ok(CameraSpec {
        name: name.to_string(),
        url: url.trim_end_matches('/').to_string(),
    })
}

/// `5`, `1.5`, `500ms`, `2s`, `1m`: seconds unless a unit says otherwise.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected seconds such as 5, 1.5, 500ms or 2s, got {s:?}"))?;
    if !v.is_finite() || v < 0.0 || v * scale > 86_400.0 {
        return Err(format!("{s:?} is not a duration between 0 and 1 day"));
    }
    Ok(Duration::from_secs_f64(v * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_list() {
        let c =
            parse_cameras_env(" camera1=http://camera1:8080/ , Ostrava ☄=http://10.0.0.2:8081,")
                .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].url, "http://camera1:8080");
        assert_eq!(c[1].name, "Ostrava ☄");
        let e = parse_cameras_env("a=http://a:1,b").unwrap_err();
        assert!(e.0.contains("entry 2"), "{e}");
        assert!(parse_cameras_env("a=ftp://x")
            .unwrap_err()
            .0
            .contains("not http"));
        assert!(parse_cameras_env("a=https://x")
            .unwrap_err()
            .0
            .contains("TLS"));
        assert!(parse_cameras_env("=http://x").is_err());
    }

    #[test]
    fn file_errors_name_the_line() {
        let p = Path::new("cams.txt");
        let ok =
            parse_cameras_file(p, "# cams\n\ncam1=http://h:1\n  cam2 = http://h:2 \n").unwrap();
        assert_eq!(
            ok[1],
            CameraSpec {
                name: "cam2".into(),
                url: "http://h:2".into()
            }
        );
        let e = parse_cameras_file(p, "cam1=http://h:1\n\nbroken line\n").unwrap_err();
        assert!(e.0.starts_with("cams.txt:3: "), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1").is_err());
    }

    /// The configuration from these flags (with `--cameras a=http://a:1` unless they say).
    fn config(flags: &[&str]) -> Result<Config, ConfigError> {
        let mut args = vec!["dashboard"];
        if !flags.contains(&"--cameras") {
            args.extend(["--cameras", "a=http://a:1"]);
        }
        args.extend_from_slice(flags);
        Config::from_args(&Cli::try_parse_from(args).unwrap().serve)
    }

    #[test]
    fn whole_config() {
        for (flags, says) in [
            (&["--cameras", "a=http://a:1,a=http://b:1"][..], "twice"),
            (&["--latitude", "50"], "LONGITUDE"),
            (&["--timezone", "Mars/Base"], "TIMEZONE"),
            (&["--latitude", "50", "--longitude", "200"], "LONGITUDE"),
            (
                &[
                    "--latitude",
                    "50",
                    "--longitude",
                    "14",
                    "--sun-altitude",
                    "dusk",
                ],
                "SUN_ALTITUDE",
            ),
            (&["--poll-interval", "10ms"], "POLL_INTERVAL"),
        ] {
            let e = config(flags).unwrap_err();
            assert!(e.0.contains(says), "{flags:?}: {e}");
        }
        let c = config(&[
            "--latitude",
            "50.1",
            "--longitude",
            "-14",
            "--timezone",
            "Europe/Prague",
            "--poll-interval",
            "500ms",
        ])
        .unwrap();
        assert!(c.site.is_some());
        assert_eq!(c.poll_interval, Duration::from_millis(500));
        let cli = Cli::try_parse_from(["dashboard", "healthcheck", "--port", "9"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Healthcheck { port: 9, .. })
        ));
    }
}
