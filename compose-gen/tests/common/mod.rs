//! Helpers the integration tests share: running the compose-gen binary in a folder, and
//! finding the Compose tool (`docker compose` or `docker-compose`), which is required: these
//! tests fail loudly rather than skip when it is missing.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The compose-gen binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_compose-gen");

/// What a command did, as text.
pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            ok: o.status.success(),
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs compose-gen in `dir` with `args`, without an API_TOKEN from the environment and with
/// RUST_BACKTRACE=1 (errors must stay one plain line even then).
pub fn compose_gen(dir: &Path, args: &[&str]) -> Run {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("API_TOKEN")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("compose-gen runs")
        .into()
}

/// The Compose tool: the `docker compose` plugin when there is one, else `docker-compose`.
/// Panics with a clear message when neither is installed: validation is part of the tests.
pub fn compose_tool() -> Vec<String> {
    let works = |cmd: &[&str]| {
        Command::new(cmd[0])
            .args(&cmd[1..])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&["docker", "compose", "version"]) {
        return vec!["docker".into(), "compose".into()];
    }
    if works(&["docker-compose", "version"]) {
        return vec!["docker-compose".into()];
    }
    panic!(
        "\n\n*** NEITHER `docker compose` NOR `docker-compose` IS INSTALLED ***\n\
         The generated compose files are validated with it; install it \
         (apt-get install docker-compose) and run the tests again.\n\n"
    );
}

/// `<compose> <args>` in `dir` (which holds docker-compose.yml and its .env).
pub fn compose(dir: &Path, args: &[&str]) -> Run {
    let tool = compose_tool();
    Command::new(&tool[0])
        .args(&tool[1..])
        .args(args)
        .current_dir(dir)
        .env_remove("API_TOKEN")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .output()
        .expect("the compose tool runs")
        .into()
}

/// Validates the compose file in `dir` and returns the tool's resolved view of it (every
/// `${VAR}` from .env filled in), parsed.
pub fn validated_config(dir: &Path) -> serde_yaml::Value {
    let quiet = compose(dir, &["config", "-q"]);
    assert!(
        quiet.ok,
        "compose config -q refused the file:\n{}",
        quiet.stderr
    );
    let full = compose(dir, &["config"]);
    assert!(full.ok, "compose config failed:\n{}", full.stderr);
    serde_yaml::from_str(&full.stdout).expect("compose config prints YAML")
}

/// `services.<name>.environment.<key>` of a resolved config, `$$` read back as `$`.
pub fn env_of(config: &serde_yaml::Value, service: &str, key: &str) -> Option<String> {
    let env = &config["services"][service]["environment"];
    let value = match env {
        serde_yaml::Value::Mapping(m) => m.get(key).cloned(),
        serde_yaml::Value::Sequence(items) => items.iter().find_map(|i| {
            let (k, v) = i.as_str()?.split_once('=')?;
            (k == key).then(|| serde_yaml::Value::String(v.to_string()))
        }),
        _ => None,
    }?;
    let text = match value {
        serde_yaml::Value::String(s) => s,
        other => serde_yaml::to_string(&other).ok()?.trim().to_string(),
    };
    Some(text.replace("$$", "$"))
}
