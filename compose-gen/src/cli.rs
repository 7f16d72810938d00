//! The command line (clap) and its validation into [`Settings`]: every value is checked once,
//! and a bad one is an error that names the option.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Parser;
pub use meteor_core::Sensitivity;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The sensitivity presets, by name (meteor-core owns them, the worker reads the same names).
fn sensitivity_parser() -> impl TypedValueParser<Value = Sensitivity> {
    PossibleValuesParser::new(Sensitivity::ALL.map(Sensitivity::name))
        .map(|name| name.parse::<Sensitivity>().expect("a listed preset name"))
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "compose-gen",
    version,
    about = "Turns a streamers file (one RTSP camera a line) into docker-compose.yml for meteor watch",
    long_about = "Turns a streamers file (one RTSP camera a line) into docker-compose.yml for \
        meteor watch: one camera-worker service per camera and the dashboard. Camera URLs and \
        the API token go to a .env file (mode 0600) beside it, never into the compose file."
)]
pub struct Cli {
    /// The cameras: one rtsp:// URL a line (see streamers.sample).
    #[arg(long, default_value = "streamers")]
    pub streamers: PathBuf,
    /// The compose file to write.
    #[arg(long, short, default_value = "docker-compose.yml")]
    pub output: PathBuf,
    /// Detection sensitivity preset.
    #[arg(long, default_value = "medium", value_parser = sensitivity_parser())]
    pub sensitivity: Sensitivity,
    /// Processing scale, 0.25 to 1 (1 = full resolution).
    #[arg(long, default_value_t = 0.5)]
    pub scale: f64,
    /// Pre-roll kept in memory, seconds (clips start inside it).
    #[arg(long, default_value_t = 15.0)]
    pub buffer: f64,
    /// Share of the frame height ignored at the bottom, 0 to 0.9.
    #[arg(long)]
    pub exclude_bottom: Option<f64>,
    /// Write a video clip for each meteor (true or false).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub extract_clips: bool,
    /// Retention: events older than this many days lose their clip and images (records stay).
    #[arg(long)]
    pub max_age_days: Option<f64>,
    /// Retention: while the detections volume is fuller than this percent, the oldest events
    /// lose their files.
    #[arg(long)]
    pub max_disk_percent: Option<f64>,
    /// Site latitude in degrees, north positive.
    #[arg(long, allow_hyphen_values = true)]
    pub latitude: Option<f64>,
    /// Site longitude in degrees, east positive.
    #[arg(long, allow_hyphen_values = true)]
    pub longitude: Option<f64>,
    /// IANA time zone, e.g. Europe/Berlin (the services default to UTC).
    #[arg(long)]
    pub timezone: Option<String>,
    /// Detect only at night at --latitude/--longitude.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value_t = false,
          action = clap::ArgAction::Set)]
    pub enable_time_window: bool,
    /// Host port of the dashboard; camera i is published on base + i.
    #[arg(long, default_value_t = 8080)]
    pub base_port: u16,
    /// Host address the ports are published on (0.0.0.0: reachable from other computers;
    /// 127.0.0.1: this computer only).
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Where masks built from daytime photos go (mounted read-only at /masks).
    #[arg(long, default_value = "masks")]
    pub mask_output_dir: PathBuf,
    /// The meteor watch image every service runs.
    #[arg(long, default_value = "meteor-watch:latest")]
    pub image: String,
    /// Token the API needs for changes (written to the .env file, not the compose file).
    #[arg(long, env = "API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// The secrets file [default: .env beside --output, which compose reads by itself].
    #[arg(long)]
    pub env_file: Option<PathBuf>,
    /// User the containers run as: uid:gid (or a name the image knows).
    #[arg(long, default_value = "1000:1000")]
    pub user: String,
    /// Memory limit per container, e.g. 512m or 2g.
    #[arg(long)]
    pub memory_limit: Option<String>,
    /// CPU limit per container, e.g. 1.5.
    #[arg(long)]
    pub cpu_limit: Option<f64>,
    /// Largest log file per container before it is rotated, e.g. 10m.
    #[arg(long, default_value = "10m")]
    pub log_max_size: String,
    /// Log files kept per container.
    #[arg(long, default_value_t = 3)]
    pub log_max_file: u32,
    /// Instead of the compose and .env files, write the cameras as a table for
    /// scripts/run.sh (which runs them without Docker): one a line, tab-separated name,
    /// display name, mask file and URL with its password (mode 0600). Masks are built as for
    /// compose; the options about the services do not apply.
    #[arg(long, value_name = "FILE")]
    pub run_table: Option<PathBuf>,
}

/// A value that does not fit its option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--{option}: {what}")]
pub struct OptionError {
    pub option: &'static str,
    pub what: String,
}

fn bad(option: &'static str, what: impl Into<String>) -> OptionError {
    OptionError {
        option,
        what: what.into(),
    }
}

/// The validated options.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub streamers: PathBuf,
    pub output: PathBuf,
    pub env_file: PathBuf,
    /// Whether the env file is the `.env` beside the compose file (read by compose itself).
    pub env_file_is_default: bool,
    pub mask_dir: PathBuf,
    pub sensitivity: Sensitivity,
    pub scale: f64,
    pub buffer: f64,
    pub exclude_bottom: Option<f64>,
    pub extract_clips: bool,
    pub max_age_days: Option<f64>,
    pub max_disk_percent: Option<f64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub timezone: Option<String>,
    pub enable_time_window: bool,
    pub base_port: u16,
    pub bind: IpAddr,
    pub image: String,
    pub api_token: Option<String>,
    pub user: String,
    pub memory_limit: Option<String>,
    pub cpu_limit: Option<f64>,
    pub log_max_size: String,
    pub log_max_file: u32,
    /// `--run-table`: write the table for scripts/run.sh instead of the compose file.
    pub run_table: Option<PathBuf>,
}

fn in_range(option: &'static str, v: f64, lo: f64, hi: f64) -> Result<f64, OptionError> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(bad(
            option,
            format!("must be between {lo} and {hi} (got {v})"),
        ))
    }
}

/// `512m`, `2g`, `1.5gb`, `1048576`: a number with an optional b/k/m/g unit.
fn size_ok(s: &str, allow_fraction: bool) -> bool {
    let lower = s.to_ascii_lowercase();
    let digits = lower.trim_end_matches(['b', 'k', 'm', 'g']);
    let unit = &lower[digits.len()..];
    let unit_ok = matches!(unit, "" | "b" | "k" | "m" | "g" | "kb" | "mb" | "gb");
    let number_ok = !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || (allow_fraction && c == '.'))
        && digits.matches('.').count() <= 1
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.ends_with(|c: char| c.is_ascii_digit());
    unit_ok && number_ok
}

fn name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

fn path_for_volume(option: &'static str, p: &Path) -> Result<(), OptionError> {
    let s = p.to_string_lossy();
    if s.contains([':', ',']) || s.chars().any(char::is_control) || s.contains('$') {
        return Err(bad(
            option,
            format!("{s:?}: the path may not hold ':', ',' or '$'"),
        ));
    }
    Ok(())
}

impl Cli {
    /// Checks every value.
    pub fn settings(&self) -> Result<Settings, OptionError> {
        let scale = in_range("scale", self.scale, 0.25, 1.0)?;
        let buffer = in_range("buffer", self.buffer, 1.0, 600.0)?;
        let exclude_bottom = self
            .exclude_bottom
            .map(|v| in_range("exclude-bottom", v, 0.0, 0.9))
            .transpose()?;
        let max_age_days = self
            .max_age_days
            .map(|v| in_range("max-age-days", v, 0.01, 36500.0))
            .transpose()?;
        let max_disk_percent = self
            .max_disk_percent
            .map(|v| in_range("max-disk-percent", v, 1.0, 99.0))
            .transpose()?;
        let latitude = self
            .latitude
            .map(|v| in_range("latitude", v, -90.0, 90.0))
            .transpose()?;
        let longitude = self
            .longitude
            .map(|v| in_range("longitude", v, -180.0, 180.0))
            .transpose()?;
        if latitude.is_some() != longitude.is_some() {
            let missing = if latitude.is_some() {
                "longitude"
            } else {
                "latitude"
            };
            return Err(bad(missing, "give --latitude and --longitude together"));
        }
        if self.enable_time_window && latitude.is_none() {
            return Err(bad(
                "enable-time-window",
                "needs --latitude and --longitude (the night is computed from them)",
            ));
        }
        let timezone = match self.timezone.as_deref().map(str::trim) {
            None => None,
            Some(tz) => match tz.parse::<meteor_core::Zone>() {
                Ok(zone) => Some(zone.name().to_string()),
                Err(meteor_core::zone::ZoneError::Unknown) => {
                    return Err(bad(
                        "timezone",
                        format!(
                        "unknown time zone {tz:?} (use an IANA name such as Europe/Berlin or UTC)"
                    ),
                    ))
                }
                Err(e) => return Err(bad("timezone", format!("cannot check {tz:?}: {e}"))),
            },
        };
        if self.base_port == 0 {
            return Err(bad("base-port", "must be 1 to 65535"));
        }
        let image = self.image.trim().to_string();
        let image_ok = !image.is_empty()
            && image
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-/:@".contains(c));
        if !image_ok {
            return Err(bad(
                "image",
                format!("{image:?} is not an image reference (e.g. meteor-watch:latest)"),
            ));
        }
        let api_token = match &self.api_token {
            None => None,
            Some(t) if t.is_empty() => return Err(bad("api-token", "is empty")),
            Some(t)
                if !t
                    .chars()
                    .all(|c| c.is_ascii_graphic() && !"'\\$\"".contains(c)) =>
            {
                return Err(bad(
                    "api-token",
                    "may hold printable ASCII without spaces, quotes, '\\' or '$'",
                ))
            }
            Some(t) => Some(t.clone()),
        };
        let user_ok = match self.user.split_once(':') {
            Some((u, g)) => name_ok(u) && name_ok(g),
            None => name_ok(&self.user),
        };
        if !user_ok {
            return Err(bad(
                "user",
                format!("{:?} is not uid:gid (e.g. 1000:1000)", self.user),
            ));
        }
        if let Some(m) = &self.memory_limit {
            if !size_ok(m, true) {
                return Err(bad(
                    "memory-limit",
                    format!("{m:?} is not a size such as 512m or 2g"),
                ));
            }
        }
        let cpu_limit = self
            .cpu_limit
            .map(|v| in_range("cpu-limit", v, 0.01, 1024.0))
            .transpose()?;
        if !size_ok(&self.log_max_size, false) {
            return Err(bad(
                "log-max-size",
                format!("{:?} is not a size such as 10m", self.log_max_size),
            ));
        }
        if self.log_max_file == 0 {
            return Err(bad("log-max-file", "must be at least 1"));
        }
        path_for_volume("mask-output-dir", &self.mask_output_dir)?;
        path_for_volume("output", &self.output)?;
        if self.output.file_name().is_none() {
            return Err(bad("output", "must name a file"));
        }
        let default_env = self.output.with_file_name(".env");
        let env_file = self.env_file.clone().unwrap_or_else(|| default_env.clone());
        Ok(Settings {
            streamers: self.streamers.clone(),
            output: self.output.clone(),
            env_file_is_default: env_file == default_env,
            env_file,
            mask_dir: self.mask_output_dir.clone(),
            sensitivity: self.sensitivity,
            scale,
            buffer,
            exclude_bottom,
            extract_clips: self.extract_clips,
            max_age_days,
            max_disk_percent,
            latitude,
            longitude,
            timezone,
            enable_time_window: self.enable_time_window,
            base_port: self.base_port,
            bind: self.bind,
            image,
            api_token,
            user: self.user.clone(),
            memory_limit: self.memory_limit.clone(),
            cpu_limit,
            log_max_size: self.log_max_size.clone(),
            log_max_file: self.log_max_file,
            run_table: self.run_table.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
