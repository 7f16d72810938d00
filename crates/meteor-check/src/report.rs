//! What a check run found: one [`Component`] per thing checked, each `OK`, `WARN` or `CRIT`,
//! the overall [`Status`] (the worst one) and its Nagios exit code, and the two ways of
//! printing it: human lines and the JSON document described in docs/monitoring.md.

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// How healthy a component is; ordered so that the worst is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Crit,
}

impl Status {
    /// `OK`, `WARN`, `CRIT`: the word the human output starts a line with.
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Crit => "CRIT",
        }
    }

    /// The Nagios plugin exit code: 0, 1, 2 (3 is for a check that could not run).
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warn => 1,
            Status::Crit => 2,
        }
    }

    /// A service's own word for a check (`ok`, `warn`, `crit`, ...): anything unknown that is
    /// not `ok` counts as a warning.
    pub fn from_service(word: &str) -> Status {
        match word.to_ascii_lowercase().as_str() {
            "ok" | "pass" | "healthy" => Status::Ok,
            "crit" | "critical" | "fail" | "error" => Status::Crit,
            _ => Status::Warn,
        }
    }
}

/// One checked thing: a service, a stream, a camera's store, the disk, ...
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    /// `kind target`, e.g. `stream roof`, `disk /output`: what the human line names.
    pub name: String,
    /// `dashboard`, `worker`, `stream`, `memory`, `store`, `disk`, `writable`.
    pub kind: &'static str,
    /// The camera, service or path checked.
    pub target: String,
    pub status: Status,
    /// One short sentence: what is wrong, or what was found when all is well.
    pub detail: String,
    /// Kind-specific numbers and lists (docs/monitoring.md); `--verbose` prints them.
    pub data: Value,
}

impl Component {
    pub fn new(kind: &'static str, target: impl Into<String>) -> Component {
        let target = target.into();
        Component {
            name: format!("{kind} {target}"),
            kind,
            target,
            status: Status::Ok,
            detail: String::new(),
            data: Value::Object(Default::default()),
        }
    }

    pub fn status(mut self, status: Status, detail: impl Into<String>) -> Component {
        self.status = status;
        self.detail = detail.into();
        self
    }

    pub fn data(mut self, data: Value) -> Component {
        self.data = data;
        self
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: Status,
    pub exit_code: u8,
    pub summary: String,
    pub checked_at: String,
    pub duration_ms: u64,
    pub thresholds: Value,
    pub components: Vec<Component>,
}

impl Report {
    pub fn new(components: Vec<Component>, thresholds: Value, duration_ms: u64) -> Report {
        let status = components
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok);
        let count = |s| components.iter().filter(|c| c.status == s).count();
        let (ok, warn, crit) = (count(Status::Ok), count(Status::Warn), count(Status::Crit));
        let mut summary = format!("{crit} critical, {warn} warning, {ok} ok");
        let bad: Vec<&str> = components
            .iter()
            .filter(|c| c.status == status && status != Status::Ok)
            .map(|c| c.name.as_str())
            .collect();
        if !bad.is_empty() {
            let _ = write!(summary, ": {}", bad.join(", "));
        }
        Report {
            status,
            exit_code: status.exit_code(),
            summary,
            checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            duration_ms,
            thresholds,
            components,
        }
    }

    /// The human output: a summary line (what Nagios shows), then one line per component;
    /// `verbose` adds each component's data indented below it, `quiet` keeps only the
    /// components that are not OK (and prints nothing at all when everything is).
    pub fn human(&self, verbose: bool, quiet: bool) -> String {
        let mut out = String::new();
        if quiet {
            for c in self.components.iter().filter(|c| c.status != Status::Ok) {
                let _ = writeln!(out, "{:<4} {}: {}", c.status.word(), c.name, c.detail);
            }
            return out;
        }
        let _ = writeln!(out, "{} meteor-check: {}", self.status.word(), self.summary);
        for c in &self.components {
            let _ = writeln!(out, "{:<4} {}: {}", c.status.word(), c.name, c.detail);
            if verbose {
                if let Value::Object(map) = &c.data {
                    for (k, v) in map {
                        verbose_line(&mut out, k, v);
                    }
                }
            }
        }
        out
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

/// One `key: value` line of `--verbose`; lists of problems or self-checks one item a line.
fn verbose_line(out: &mut String, key: &str, value: &Value) {
    const INDENT: &str = "       ";
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let _ = writeln!(out, "{INDENT}{key}:");
            for item in items {
                let line = if item.get("message").is_some() {
                    // A store problem: STATUS file[:line]: message.
                    let at = match item.get("line").and_then(Value::as_u64) {
                        Some(n) => format!("{}:{n}", scalar(&item["file"])),
                        None => scalar(&item["file"]),
                    };
                    let word = scalar(&item["status"]).to_uppercase();
                    format!("{word} {at}: {}", scalar(&item["message"]))
                } else if item.get("name").is_some() && item.get("status").is_some() {
                    // A service's self-check.
                    format!(
                        "{} {}: {}",
                        scalar(&item["name"]),
                        scalar(&item["status"]),
                        scalar(&item["detail"])
                    )
                } else {
                    item.to_string()
                };
                let _ = writeln!(out, "{INDENT}  - {line}");
            }
        }
        Value::Array(items) => {
            let list: Vec<String> = items.iter().map(scalar).collect();
            let _ = writeln!(out, "{INDENT}{key}: {}", list.join(", "));
        }
        other => {
            let _ = writeln!(out, "{INDENT}{key}: {}", scalar(other));
        }
    }
}

/// `1.5 GiB`, `512.0 MiB`, `3 B`: sizes for people.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_status_wins_and_names_the_culprits() {
        let r = Report::new(
            vec![
                Component::new("disk", "/o").status(Status::Warn, "91% used"),
                Component::new("stream", "a").status(Status::Crit, "stale"),
                Component::new("store", "a").status(Status::Ok, "fine"),
            ],
            Value::Null,
            1,
        );
        assert_eq!(r.status, Status::Crit);
        assert_eq!(r.exit_code, 2);
        assert_eq!(r.summary, "1 critical, 1 warning, 1 ok: stream a");
        let human = r.human(false, false);
        assert_eq!(human.lines().count(), 4, "{human}");
        assert!(human.contains("CRIT stream a: stale"), "{human}");
        let quiet = r.human(false, true);
        assert_eq!(quiet.lines().count(), 2, "{quiet}");
    }

    #[test]
    fn service_words() {
        assert_eq!(Status::from_service("ok"), Status::Ok);
        assert_eq!(Status::from_service("crit"), Status::Crit);
        assert_eq!(Status::from_service("warn"), Status::Warn);
        assert_eq!(Status::from_service("degraded"), Status::Warn);
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(3), "3 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1 << 30), "1.0 GiB");
    }
}
