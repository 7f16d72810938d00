//! The night window: when the sky is dark enough to watch for meteors at one place.
//!
//! Owns [`TwilightLimit`] (how dark is dark, from `SUN_ALTITUDE`), [`NightWindow`] (a place,
//! a limit and a time zone, from `LATITUDE`, `LONGITUDE` and `TIMEZONE`) and the night
//! spans it computes, with the validation errors naming those fields.
//!
//! A night is anchored in the place's *local* time: the night of date D is the one whose
//! evening falls on D, looked for in the window from local noon on D to local noon on D+1
//! (23 or 25 hours long across a DST change). Crossings of the limit are found by stepping
//! through time and bisecting to one second. The step adapts to how far the sun is from the
//! limit, using the fact that its altitude changes by at most 15 degrees an hour, so a
//! crossing is never stepped over; only a dip under the limit shorter than a minute (the
//! sun grazing it) can go unseen.

use crate::sun::altitude_at_unix;
use crate::zone::{Zone, ZoneError};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A refused night-window setting, named by its environment variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error(
        "SUN_ALTITUDE: expected civil, nautical, astronomical or degrees between -90 and 90, got '{0}'"
    )]
    SunAltitude(String),
    #[error("LATITUDE: expected degrees between -90 and 90 (north positive), got '{0}'")]
    Latitude(String),
    #[error("LONGITUDE: expected degrees between -180 and 180 (east positive), got '{0}'")]
    Longitude(String),
    #[error(
        "TIMEZONE: expected an IANA time zone name such as 'Europe/Berlin' or 'UTC', got '{0}'"
    )]
    Timezone(String),
    #[error(
        "TIMEZONE: no tz database on this system to look up '{0}' in (install tzdata, or set TZDIR to one)"
    )]
    TimezoneDatabase(String),
    #[error("LATITUDE and LONGITUDE go together: set both or neither")]
    Site,
}

impl WindowError {
    /// The setting's name: `SUN_ALTITUDE`, `LATITUDE`, `LONGITUDE` or `TIMEZONE`.
    pub fn field(&self) -> &'static str {
        match self {
            WindowError::SunAltitude(_) => "SUN_ALTITUDE",
            WindowError::Latitude(_) => "LATITUDE",
            WindowError::Longitude(_) => "LONGITUDE",
            WindowError::Timezone(_) | WindowError::TimezoneDatabase(_) => "TIMEZONE",
            WindowError::Site => "LONGITUDE",
        }
    }
}

/// How far below the horizon the sun's centre must be for the night to count as dark.
/// Parsed from `civil` (-6), `nautical` (-12), `astronomical` (-18) or a number of degrees.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TwilightLimit {
    Civil,
    #[default]
    Nautical,
    Astronomical,
    Degrees(f64),
}

impl TwilightLimit {
    /// The limit as a sun altitude in degrees.
    pub fn degrees(self) -> f64 {
        match self {
            TwilightLimit::Civil => -6.0,
            TwilightLimit::Nautical => -12.0,
            TwilightLimit::Astronomical => -18.0,
            TwilightLimit::Degrees(d) => d,
        }
    }
}

impl FromStr for TwilightLimit {
    type Err = WindowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "civil" => return Ok(TwilightLimit::Civil),
            "nautical" => return Ok(TwilightLimit::Nautical),
            "astronomical" => return Ok(TwilightLimit::Astronomical),
            _ => {}
        }
        match t.parse::<f64>() {
            Ok(d) if (-90.0..=90.0).contains(&d) => Ok(TwilightLimit::Degrees(d)),
            _ => Err(WindowError::SunAltitude(s.to_string())),
        }
    }
}

impl fmt::Display for TwilightLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TwilightLimit::Civil => f.write_str("civil"),
            TwilightLimit::Nautical => f.write_str("nautical"),
            TwilightLimit::Astronomical => f.write_str("astronomical"),
            TwilightLimit::Degrees(d) => write!(f, "{d}"),
        }
    }
}

impl TryFrom<String> for TwilightLimit {
    type Error = WindowError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TwilightLimit> for String {
    fn from(l: TwilightLimit) -> String {
        l.to_string()
    }
}

/// What kind of night [`NightWindow::tonight`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// The sun goes below the limit and comes back up.
    Normal,
    /// Polar night: the sun stays below the limit for the whole local noon-to-noon day.
    AlwaysDark,
    /// Polar day or white nights: the sun never gets below the limit that night.
    NeverDark,
}

/// One night: dark from `start` (inclusive) to `end` (exclusive), to the second.
///
/// `Normal` nights have both ends, except that an end further than two days away (polar
/// night beginning or ending around this night) is `None`. `AlwaysDark` and `NeverDark`
/// have neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSpan {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub kind: WindowKind,
}

impl WindowSpan {
    /// Whether `at` falls in this night (a missing end counts as unbounded).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        match self.kind {
            WindowKind::AlwaysDark => true,
            WindowKind::NeverDark => false,
            WindowKind::Normal => {
                self.start.is_none_or(|s| s <= at) && self.end.is_none_or(|e| at < e)
            }
        }
    }
}

/// How far [`NightWindow::tonight`] looks for the ends of a night.
const SPAN_HORIZON_S: i64 = 2 * 86_400;
/// How far [`NightWindow::next_change`] looks.
const CHANGE_HORIZON_S: i64 = 366 * 86_400;
/// Upper bound of the sun's altitude rate, degrees per second: 15 degrees an hour at most,
/// plus margin for the declination's drift.
const MAX_RATE_DEG_S: f64 = 0.0045;
const MIN_STEP_S: i64 = 60;
const MAX_STEP_S: i64 = 3_600;

/// Where and how dark: decides whether the night is on and when it starts and ends.
#[derive(Debug, Clone, PartialEq)]
pub struct NightWindow {
    latitude: f64,
    longitude: f64,
    limit: TwilightLimit,
    timezone: Zone,
}

impl NightWindow {
    /// `latitude` in degrees north (-90..=90), `longitude` in degrees east (-180..=180).
    pub fn new(
        latitude: f64,
        longitude: f64,
        limit: TwilightLimit,
        timezone: Zone,
    ) -> Result<Self, WindowError> {
        if !(-90.0..=90.0).contains(&latitude) {
            return Err(WindowError::Latitude(latitude.to_string()));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return Err(WindowError::Longitude(longitude.to_string()));
        }
        if !(-90.0..=90.0).contains(&limit.degrees()) {
            return Err(WindowError::SunAltitude(limit.to_string()));
        }
        Ok(NightWindow {
            latitude,
            longitude,
            limit,
            timezone,
        })
    }

    /// From the settings' text, as in `LATITUDE`, `LONGITUDE`, `SUN_ALTITUDE`, `TIMEZONE`.
    pub fn parse(
        latitude: &str,
        longitude: &str,
        limit: &str,
        timezone: &str,
    ) -> Result<Self, WindowError> {
        let lat = latitude
            .trim()
            .parse::<f64>()
            .map_err(|_| WindowError::Latitude(latitude.to_string()))?;
        let lon = longitude
            .trim()
            .parse::<f64>()
            .map_err(|_| WindowError::Longitude(longitude.to_string()))?;
        Self::new(lat, lon, limit.parse()?, parse_timezone(timezone)?)
    }

    /// The site as the services' settings give it: `None` when neither LATITUDE nor
    /// LONGITUDE is set, an error naming them when only one is.
    pub fn from_site(
        latitude: Option<f64>,
        longitude: Option<f64>,
        limit: &str,
        timezone: &str,
    ) -> Result<Option<Self>, WindowError> {
        let timezone = parse_timezone(timezone)?;
        let limit: TwilightLimit = limit.parse()?;
        match (latitude, longitude) {
            (Some(lat), Some(lon)) => Self::new(lat, lon, limit, timezone).map(Some),
            (None, None) => Ok(None),
            _ => Err(WindowError::Site),
        }
    }

    pub fn latitude(&self) -> f64 {
        self.latitude
    }
    pub fn longitude(&self) -> f64 {
        self.longitude
    }
    pub fn limit(&self) -> TwilightLimit {
        self.limit
    }
    pub fn timezone(&self) -> &Zone {
        &self.timezone
    }

    /// The sun's geometric altitude here at `at`, in degrees.
    pub fn sun_altitude(&self, at: DateTime<Utc>) -> f64 {
        crate::sun::sun_altitude(self.latitude, self.longitude, at)
    }

    /// Whether the sun is below the limit at `at`.
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.sun_altitude(at) < self.limit.degrees()
    }

    /// The local date whose evening starts the night containing `at`: local time minus
    /// 12 hours. Detections are grouped by it.
    pub fn night_date(&self, at: DateTime<Utc>) -> NaiveDate {
        (self.timezone.local(at) - Duration::hours(12)).date()
    }

    /// The search window of the night of `date`: local noon on `date` to local noon on the
    /// next day, in UTC.
    pub fn night_bounds(&self, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let noon = |d: NaiveDate| {
            self.timezone
                .to_utc(d.and_time(NaiveTime::MIN) + Duration::hours(12))
        };
        (noon(date), noon(date.succ_opt().unwrap_or(date)))
    }

    /// The night in progress at `at`, or the next one if it is daytime at `at`.
    pub fn tonight(&self, at: DateTime<Utc>) -> WindowSpan {
        let date = self.night_date(at);
        let (w0, w1) = self.night_bounds(date);
        let (w0, w1, t) = (w0.timestamp(), w1.timestamp(), at.timestamp());
        if self.dark(t) {
            if self.dark(w0) && self.next_crossing(w0, w1).is_none() {
                return span(None, None, WindowKind::AlwaysDark);
            }
            let start = self.prev_crossing(t, t - SPAN_HORIZON_S);
            let end = self.next_crossing(t, t + SPAN_HORIZON_S);
            return span(start, end, WindowKind::Normal);
        }
        // Daytime. If this window's night is already over, the next window's is wanted.
        let over = self.dark(w0) || self.next_crossing(w0, t).is_some();
        let until = if over {
            self.night_bounds(date.succ_opt().unwrap_or(date))
                .1
                .timestamp()
        } else {
            w1
        };
        match self.next_crossing(t, until) {
            Some(start) => {
                let end = self.next_crossing(start, start + SPAN_HORIZON_S);
                span(Some(start), end, WindowKind::Normal)
            }
            None => span(None, None, WindowKind::NeverDark),
        }
    }

    /// The night whose evening falls on the local `date`.
    pub fn night_of(&self, date: NaiveDate) -> WindowSpan {
        self.tonight(self.night_bounds(date).0)
    }

    /// The next instant after `at` when [`Self::is_active`] changes, to the second; `None`
    /// if it does not change within a year.
    pub fn next_change(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let t = at.timestamp();
        self.next_crossing(t, t + CHANGE_HORIZON_S)
            .and_then(|s| DateTime::from_timestamp(s, 0))
    }

    fn altitude(&self, unix_secs: i64) -> f64 {
        altitude_at_unix(self.latitude, self.longitude, unix_secs as f64)
    }

    fn dark(&self, unix_secs: i64) -> bool {
        self.altitude(unix_secs) < self.limit.degrees()
    }

    /// A step that cannot jump over a crossing, from the sun's distance to the limit.
    fn safe_step(&self, altitude: f64) -> i64 {
        let secs = (altitude - self.limit.degrees()).abs() / MAX_RATE_DEG_S;
        (secs as i64).clamp(MIN_STEP_S, MAX_STEP_S)
    }

    /// The first second in `(from, until]` whose state differs from `from`'s.
    fn next_crossing(&self, from: i64, until: i64) -> Option<i64> {
        let state = self.dark(from);
        let mut a = from;
        let mut alt = self.altitude(a);
        while a < until {
            let b = (a + self.safe_step(alt)).min(until);
            alt = self.altitude(b);
            if (alt < self.limit.degrees()) != state {
                return Some(self.bisect(a, b, state));
            }
            a = b;
        }
        None
    }

    /// The first second of the run of `from`'s state that contains `from`, looking back no
    /// further than `until` (earlier than `from`); `None` if the run starts before that.
    fn prev_crossing(&self, from: i64, until: i64) -> Option<i64> {
        let state = self.dark(from);
        let mut b = from;
        let mut alt = self.altitude(b);
        while b > until {
            let a = (b - self.safe_step(alt)).max(until);
            alt = self.altitude(a);
            if (alt < self.limit.degrees()) != state {
                return Some(self.bisect(a, b, !state));
            }
            b = a;
        }
        None
    }

    /// Given `dark(lo) == lo_state` and `dark(hi) != lo_state`, the first second after the
    /// change.
    fn bisect(&self, mut lo: i64, mut hi: i64, lo_state: bool) -> i64 {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.dark(mid) == lo_state {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }
}

fn span(start: Option<i64>, end: Option<i64>, kind: WindowKind) -> WindowSpan {
    let to_time = |s: i64| DateTime::from_timestamp(s, 0);
    WindowSpan {
        start: start.and_then(to_time),
        end: end.and_then(to_time),
        kind,
    }
}

/// Parses an IANA time zone name ("Europe/Berlin", "UTC").
pub fn parse_timezone(name: &str) -> Result<Zone, WindowError> {
    Zone::get(name).map_err(|e| match e {
        ZoneError::Unknown => WindowError::Timezone(name.to_string()),
        ZoneError::NoDatabase => WindowError::TimezoneDatabase(name.to_string()),
    })
}

#[cfg(test)]
mod tests;
