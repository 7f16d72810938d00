//! The docker-compose.yml model (structs serialised in declaration order, maps kept in the
//! order they are built, so the same input always gives the same bytes) and its generation
//! from the cameras and the settings. The file uses the Compose Specification without a
//! `version:` key, which both docker-compose 1.29 and the `docker compose` v2 plugin read,
//! including `depends_on` conditions, healthcheck `start_period`, `mem_limit` and `cpus`.
//! Secrets never appear in it: camera URLs and the API token are `${VAR}`s from the .env file.

use crate::cli::Settings;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::net::IpAddr;

/// Port every service listens on inside its container.
pub const CONTAINER_PORT: u16 = 8080;
/// Where the detections folder is mounted.
const OUTPUT_MOUNT: &str = "/output";
/// Where the masks folder is mounted.
const MASK_MOUNT: &str = "/masks";
const NETWORK: &str = "meteor-net";

/// A map serialised in insertion order.
#[derive(Debug, Clone)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<T> Ordered<T> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Serialize)]
pub struct ComposeFile {
    pub services: Ordered<Service>,
    pub networks: Ordered<Network>,
}

#[derive(Debug, Serialize)]
pub struct Network {
    pub driver: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Service {
    pub image: String,
    pub container_name: String,
    pub command: Vec<String>,
    pub user: String,
    pub restart: &'static str,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub depends_on: Ordered<DependsOn>,
    /// `KEY=value` items: the list form keeps every value a string for YAML 1.1 readers too
    /// (a plain `yes`, `22:22` or `1_000` would otherwise turn into a bool or a number).
    pub environment: Vec<String>,
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    pub networks: Vec<String>,
    pub healthcheck: Healthcheck,
    pub stop_grace_period: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    pub logging: Logging,
}

#[derive(Debug, Serialize)]
pub struct DependsOn {
    pub condition: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: &'static str,
    pub timeout: &'static str,
    pub retries: u32,
    pub start_period: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Logging {
    pub driver: &'static str,
    pub options: LogOptions,
}

#[derive(Debug, Serialize)]
pub struct LogOptions {
    #[serde(rename = "max-size")]
    pub max_size: String,
    #[serde(rename = "max-file")]
    pub max_file: String,
}

/// One camera service to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraPlan {
    /// 1-based position in the streamers file.
    pub index: usize,
    /// `camera1_10_0_1_25`: the worker's CAMERA_NAME, output folder and mask name.
    pub camera_name: String,
    pub display_name: Option<String>,
    /// File name of the camera's mask inside the masks folder.
    pub mask_file: Option<String>,
}

impl CameraPlan {
    pub fn service(&self) -> String {
        format!("camera{}", self.index)
    }

    /// The .env variable that holds this camera's URL.
    pub fn url_var(&self) -> String {
        format!("CAMERA{}_RTSP_URL", self.index)
    }
}

/// `camera<index>_<host>`, every character of the host outside `[A-Za-z0-9]` turned into `_`.
pub fn camera_name(index: usize, host: &str) -> String {
    let host: String = host
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("camera{index}_{host}")
}

/// The .env variable that holds the API token.
pub const API_TOKEN_VAR: &str = "API_TOKEN";

/// A literal for the compose file: compose interpolates `$`, so it is doubled.
fn lit(s: &str) -> String {
    s.replace('$', "$$")
}

/// `${VAR:?...}`: compose stops with this message instead of starting with an empty value.
fn secret_ref(var: &str, env_file: &str) -> String {
    let env_file: String = env_file
        .chars()
        .map(|c| if "{}$\"'".contains(c) { '_' } else { c })
        .collect();
    format!("${{{var}:?{var} is missing, run compose-gen to write it to {env_file}}}")
}

fn publish(bind: IpAddr, host_port: u32) -> String {
    match bind {
        IpAddr::V4(a) => format!("{a}:{host_port}:{CONTAINER_PORT}"),
        IpAddr::V6(a) => format!("[{a}]:{host_port}:{CONTAINER_PORT}"),
    }
}

/// Everything generation needs beyond the settings.
#[derive(Debug, Clone)]
pub struct Plan {
    pub cameras: Vec<CameraPlan>,
    /// The masks folder as the compose file names it (`./masks`), when any camera has a mask.
    pub mask_volume: Option<String>,
    /// The env file as the header names it.
    pub env_file_label: String,
}

fn service(s: &Settings, name: &str, command: &[&str], environment: Vec<String>) -> Service {
    Service {
        image: lit(&s.image),
        container_name: format!("meteor-{name}"),
        command: command.iter().map(|c| c.to_string()).collect(),
        user: lit(&s.user),
        restart: "unless-stopped",
        depends_on: Ordered::default(),
        environment,
        ports: Vec::new(),
        volumes: Vec::new(),
        networks: vec![NETWORK.to_string()],
        healthcheck: Healthcheck {
            test: ["CMD", command[0], "healthcheck"]
                .map(String::from)
                .to_vec(),
            interval: "30s",
            timeout: "10s",
            retries: 3,
            start_period: "30s",
        },
        stop_grace_period: "30s",
        mem_limit: s.memory_limit.clone(),
        cpus: s.cpu_limit,
        logging: Logging {
            driver: "json-file",
            options: LogOptions {
                max_size: s.log_max_size.clone(),
                max_file: s.log_max_file.to_string(),
            },
        },
    }
}

/// `LATITUDE`, `LONGITUDE`, `TIMEZONE` and `API_TOKEN`, the ones both kinds of service take.
fn site_env(s: &Settings, env: &mut Vec<String>) {
    if let (Some(lat), Some(lon)) = (s.latitude, s.longitude) {
        env.push(format!("LATITUDE={lat}"));
        env.push(format!("LONGITUDE={lon}"));
    }
    if let Some(tz) = &s.timezone {
        env.push(format!("TIMEZONE={}", lit(tz)));
    }
}

fn camera_service(s: &Settings, plan: &Plan, cam: &CameraPlan) -> Service {
    let mut env = vec![
        format!(
            "RTSP_URL={}",
            secret_ref(&cam.url_var(), &plan.env_file_label)
        ),
        format!("CAMERA_NAME={}", cam.camera_name),
    ];
    if let Some(name) = &cam.display_name {
        env.push(format!("CAMERA_DISPLAY_NAME={}", lit(name)));
    }
    env.push(format!("OUTPUT_DIR={OUTPUT_MOUNT}/{}", cam.camera_name));
    env.push(format!("WEB_PORT={CONTAINER_PORT}"));
    env.push(format!("SENSITIVITY={}", s.sensitivity.name()));
    env.push(format!("SCALE={}", s.scale));
    env.push(format!("BUFFER={}", s.buffer));
    if let Some(b) = s.exclude_bottom {
        env.push(format!("EXCLUDE_BOTTOM={b}"));
    }
    env.push(format!("EXTRACT_CLIPS={}", s.extract_clips));
    if let Some(d) = s.max_age_days {
        env.push(format!("MAX_AGE_DAYS={d}"));
    }
    if let Some(p) = s.max_disk_percent {
        env.push(format!("MAX_DISK_PERCENT={p}"));
    }
    site_env(s, &mut env);
    env.push(format!("ENABLE_TIME_WINDOW={}", s.enable_time_window));
    env.push("RTSP_TRANSPORT=tcp".to_string());
    if let Some(mask) = &cam.mask_file {
        env.push(format!("MASK_IMAGE={MASK_MOUNT}/{}", lit(mask)));
    }
    if s.api_token.is_some() {
        env.push(format!(
            "API_TOKEN={}",
            secret_ref(API_TOKEN_VAR, &plan.env_file_label)
        ));
    }
    let mut svc = service(s, &cam.service(), &["camera-worker", "run"], env);
    svc.ports = vec![publish(s.bind, u32::from(s.base_port) + cam.index as u32)];
    svc.volumes = vec![lit(&format!("./detections:{OUTPUT_MOUNT}"))];
    if let Some(masks) = &plan.mask_volume {
        svc.volumes.push(lit(&format!("{masks}:{MASK_MOUNT}:ro")));
    }
    svc
}

fn dashboard_service(s: &Settings, plan: &Plan) -> Service {
    let cameras: Vec<String> = plan
        .cameras
        .iter()
        .map(|c| format!("{0}=http://{0}:{CONTAINER_PORT}", c.service()))
        .collect();
    let mut env = vec![
        format!("CAMERAS={}", cameras.join(",")),
        format!("WEB_PORT={CONTAINER_PORT}"),
    ];
    site_env(s, &mut env);
    if s.api_token.is_some() {
        env.push(format!(
            "API_TOKEN={}",
            secret_ref(API_TOKEN_VAR, &plan.env_file_label)
        ));
    }
    let mut svc = service(s, "dashboard", &["dashboard"], env);
    svc.ports = vec![publish(s.bind, u32::from(s.base_port))];
    svc.depends_on = Ordered(
        plan.cameras
            .iter()
            .map(|c| {
                let condition = "service_healthy";
                (c.service(), DependsOn { condition })
            })
            .collect(),
    );
    svc
}

/// The compose model.
pub fn build(s: &Settings, plan: &Plan) -> ComposeFile {
    let mut services: Vec<(String, Service)> = plan
        .cameras
        .iter()
        .map(|c| (c.service(), camera_service(s, plan, c)))
        .collect();
    services.push(("dashboard".to_string(), dashboard_service(s, plan)));
    ComposeFile {
        services: Ordered(services),
        networks: Ordered(vec![(NETWORK.to_string(), Network { driver: "bridge" })]),
    }
}

/// Double-quotes the value of `key:` lines at service level, for values that YAML 1.1
/// readers (docker-compose 1.29) would take for a number: `user: 1000:50` is sexagesimal.
/// The values are validated to hold no quote, backslash or control character.
fn quote_service_values(yaml: &str, keys: &[&str]) -> String {
    let mut out = String::with_capacity(yaml.len() + 64);
    for line in yaml.lines() {
        let quoted = keys.iter().find_map(|k| {
            let value = line
                .strip_prefix("    ")?
                .strip_prefix(k)?
                .strip_prefix(": ")?;
            (!value.starts_with(['\'', '"'])).then(|| format!("    {k}: \"{value}\""))
        });
        out.push_str(quoted.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The whole file: the header comment, then the YAML.
pub fn render(s: &Settings, plan: &Plan, header: &[String]) -> Result<String, serde_yaml::Error> {
    let yaml = serde_yaml::to_string(&build(s, plan))?;
    let mut out = String::new();
    for line in header {
        out.push_str(if line.is_empty() { "#" } else { "# " });
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&quote_service_values(&yaml, &["user", "image"]));
    Ok(out)
}

#[cfg(test)]
mod tests;
