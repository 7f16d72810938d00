//! Nights in the dashboard's TIMEZONE: a night runs from local noon to the next local noon and
//! is named by the date it starts on (so one night's detections share a date), the hour slots
//! of the per-night chart, and tonight's detection window from LATITUDE/LONGITUDE.

use crate::config::Config;
use crate::state::iso;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use meteor_core::window::{NightWindow, TwilightLimit};
use meteor_core::Zone;
use serde_json::{json, Value};

pub struct Nights {
    pub tz: Zone,
    /// The site, when LATITUDE and LONGITUDE are set.
    site: Option<NightWindow>,
    /// Noon-to-noon nights in `tz` (meteor-core's rule; the position does not matter for it).
    calendar: NightWindow,
}

impl Nights {
    pub fn from_config(c: &Config) -> Nights {
        Nights::new(c.timezone.clone(), c.site.clone())
    }

    pub fn new(tz: Zone, site: Option<NightWindow>) -> Nights {
        let calendar = match &site {
            Some(s) => s.clone(),
            None => {
                NightWindow::new(0.0, 0.0, TwilightLimit::default(), tz.clone()).expect("valid")
            }
        };
        Nights { tz, site, calendar }
    }

    /// The night `t` belongs to: the local date twelve hours earlier.
    pub fn night_of(&self, t: DateTime<Utc>) -> NaiveDate {
        self.calendar.night_date(t)
    }

    /// Local noon of `night` to local noon of the next day, in UTC.
    pub fn bounds(&self, night: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        self.calendar.night_bounds(night)
    }

    /// The chart's slot of `t`: 0 for 12:00-12:59 local, ..., 23 for 11:00-11:59 the next
    /// morning.
    pub fn hour_slot(&self, t: DateTime<Utc>) -> usize {
        (self.tz.local(t).hour() as usize + 12) % 24
    }

    /// Tonight's window as `/stats` shows it (`None` when no site is configured).
    pub fn window(&self, now: DateTime<Utc>) -> Option<Value> {
        let site = self.site.as_ref()?;
        let span = site.tonight(now);
        Some(json!({
            "enabled": true,
            "active": site.is_active(now),
            "start": span.start.map(iso),
            "end": span.end.map(iso),
            "kind": span.kind,
        }))
    }
}

/// The window a worker reports (its `/stats` `window`), when it has one enabled.
pub fn worker_window(stats: &Value) -> Option<Value> {
    let w = &stats["window"];
    (w["enabled"] == json!(true)).then(|| w.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nights(tz: &str) -> Nights {
        Nights::new(tz.parse().unwrap(), None)
    }

    #[test]
    fn nights_run_noon_to_noon_local() {
        let n = nights("Europe/Prague");
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // 02:17 local on the 23rd is the night of the 22nd.
        assert_eq!(n.night_of(t("2026-11-23T01:17:00Z")), d("2026-11-22"));
        assert_eq!(n.night_of(t("2026-11-23T11:30:00Z")), d("2026-11-23"));
        let (a, b) = n.bounds(d("2026-11-22"));
        assert_eq!(a, t("2026-11-22T11:00:00Z"));
        assert_eq!(b, t("2026-11-23T11:00:00Z"));
        assert_eq!(n.hour_slot(t("2026-11-22T11:00:00Z")), 0);
        assert_eq!(n.hour_slot(t("2026-11-23T01:17:00Z")), 14);
        assert_eq!(n.hour_slot(t("2026-11-23T10:59:00Z")), 23);
        assert!(n.window(t("2026-11-23T01:17:00Z")).is_none());
    }

    #[test]
    fn window_of_a_site() {
        let tz: Zone = "Europe/Prague".parse().unwrap();
        let site = NightWindow::new(50.08, 14.42, TwilightLimit::Nautical, tz.clone()).unwrap();
        let n = Nights::new(tz, Some(site));
        let w = n.window("2026-11-23T01:17:00Z".parse().unwrap()).unwrap();
        assert_eq!(
            (w["active"].as_bool(), w["kind"].as_str()),
            (Some(true), Some("normal")),
            "{w}"
        );
        let start = w["start"].as_str().unwrap();
        assert!(
            start.starts_with("2026-11-22T16:"),
            "Prague, late November: {w}"
        );
    }
}
