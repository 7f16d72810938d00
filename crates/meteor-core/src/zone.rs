//! Time zones by IANA name (`TIMEZONE`), read from the system's tz database
//! (/usr/share/zoneinfo, or the directory TZDIR names) through jiff.
//!
//! The database is not compiled in: a bundled one (chrono-tz) is some 32,000 transition
//! records holding string pointers, which the loader relocates when a position-independent
//! binary starts, so every worker carried about 1 MiB of private memory for a table read a
//! few times a night. The system's database also follows rule changes without a rebuild.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use jiff::tz::{AmbiguousOffset, TimeZone as JiffZone, TimeZoneDatabase};
use std::fmt;
use std::str::FromStr;

/// Why a time zone name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("no such time zone in the tz database")]
    Unknown,
    #[error("no tz database found (install tzdata, or point TZDIR at one)")]
    NoDatabase,
}

/// A time zone: its name and its rules.
#[derive(Clone)]
pub struct Zone {
    name: String,
    rules: JiffZone,
}

impl Zone {
    /// UTC, which needs no database.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            rules: JiffZone::UTC,
        }
    }

    /// The zone named `name` ("Europe/Berlin", "UTC"), surrounding blanks ignored.
    pub fn get(name: &str) -> Result<Zone, ZoneError> {
        Zone::get_in(jiff::tz::db(), name)
    }

    fn get_in(db: &TimeZoneDatabase, name: &str) -> Result<Zone, ZoneError> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("UTC") {
            return Ok(Zone::utc());
        }
        match db.get(name) {
            Ok(rules) => Ok(Zone {
                name: rules.iana_name().unwrap_or(name).to_string(),
                rules,
            }),
            Err(_) if db.is_definitively_empty() => Err(ZoneError::NoDatabase),
            Err(_) => Err(ZoneError::Unknown),
        }
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Local time minus UTC at `at`.
    pub fn offset(&self, at: DateTime<Utc>) -> Duration {
        let ts = jiff::Timestamp::from_second(at.timestamp()).unwrap_or(if at.timestamp() < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        });
        Duration::seconds(self.rules.to_offset(ts).seconds().into())
    }

    /// The wall-clock time here at `at`.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + self.offset(at)
    }

    /// The instants a wall-clock time here stands for: none in a gap (clocks skipped it),
    /// two in a fold (clocks showed it twice), earlier first.
    pub fn from_local(&self, local: NaiveDateTime) -> LocalResult<DateTime<Utc>> {
        let Some(civil) = to_civil(local) else {
            return LocalResult::None;
        };
        let at = |offset: jiff::tz::Offset| {
            Utc.from_utc_datetime(&(local - Duration::seconds(offset.seconds().into())))
        };
        match self.rules.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => LocalResult::Single(at(offset)),
            AmbiguousOffset::Gap { .. } => LocalResult::None,
            // The offset before the change is the larger one, so it gives the earlier instant.
            AmbiguousOffset::Fold { before, after } => {
                LocalResult::Ambiguous(at(before), at(after))
            }
        }
    }

    /// A wall-clock time here as one instant: the earlier of a time shown twice; a time in a
    /// DST gap (or on a day the zone skipped) moves forward to the first local time that
    /// exists.
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let mut t = local;
        for _ in 0..100 {
            match self.from_local(t) {
                LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => return x,
                LocalResult::None => t += Duration::minutes(30),
            }
        }
        Utc.from_utc_datetime(&local)
    }
}

/// jiff's civil time for chrono's, when in jiff's range (years -9999 to 9999).
fn to_civil(t: NaiveDateTime) -> Option<jiff::civil::DateTime> {
    use chrono::{Datelike, Timelike};
    jiff::civil::DateTime::new(
        i16::try_from(t.year()).ok()?,
        t.month() as i8,
        t.day() as i8,
        t.hour() as i8,
        t.minute() as i8,
        t.second() as i8,
        0,
    )
    .ok()
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl FromStr for Zone {
    type Err = ZoneError;
    fn from_str(s: &str) -> Result<Zone, ZoneError> {
        Zone::get(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn civil(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    #[test]
    fn names_are_looked_up() {
        assert_eq!(Zone::get(" UTC ").unwrap(), Zone::utc());
        assert_eq!(Zone::get("utc").unwrap().name(), "UTC");
        assert_eq!(Zone::get("Europe/Prague").unwrap().name(), "Europe/Prague");
        assert_eq!(Zone::get("Europe/Prag").unwrap_err(), ZoneError::Unknown);
        assert_eq!(Zone::get("").unwrap_err(), ZoneError::Unknown);
        assert_eq!(
            Zone::get("../../etc/passwd").unwrap_err(),
            ZoneError::Unknown
        );
    }

    #[test]
    fn a_system_without_tzdata_still_has_utc() {
        let none = TimeZoneDatabase::none();
        assert_eq!(Zone::get_in(&none, "UTC").unwrap(), Zone::utc());
        let e = Zone::get_in(&none, "Europe/Prague").unwrap_err();
        assert_eq!(e, ZoneError::NoDatabase);
        assert!(e.to_string().contains("install tzdata"), "{e}");
    }

    #[test]
    fn local_time_follows_daylight_saving() {
        let prague = Zone::get("Europe/Prague").unwrap();
        assert_eq!(
            prague.local(at("2026-01-15T12:00:00Z")),
            civil("2026-01-15T13:00:00")
        );
        assert_eq!(
            prague.local(at("2026-07-15T12:00:00Z")),
            civil("2026-07-15T14:00:00")
        );
        let sydney = Zone::get("Australia/Sydney").unwrap();
        assert_eq!(
            sydney.offset(at("2026-01-15T00:00:00Z")),
            Duration::hours(11)
        );
        assert_eq!(
            sydney.offset(at("2026-07-15T00:00:00Z")),
            Duration::hours(10)
        );
        assert_eq!(
            Zone::utc().local(at("2026-07-15T12:00:00Z")),
            civil("2026-07-15T12:00:00")
        );
    }

    #[test]
    fn gaps_and_folds() {
        let prague = Zone::get("Europe/Prague").unwrap();
        // Spring forward on 2026-03-29: 02:00 to 03:00 does not exist.
        assert_eq!(
            prague.from_local(civil("2026-03-29T02:30:00")),
            LocalResult::None
        );
        assert_eq!(
            prague.from_local(civil("2026-03-29T03:30:00")),
            LocalResult::Single(at("2026-03-29T01:30:00Z"))
        );
        // Fall back on 2026-10-25: 02:00 to 03:00 happens twice.
        assert_eq!(
            prague.from_local(civil("2026-10-25T02:30:00")),
            LocalResult::Ambiguous(at("2026-10-25T00:30:00Z"), at("2026-10-25T01:30:00Z"))
        );
        assert_eq!(
            prague.from_local(civil("2026-12-03T12:00:00")),
            LocalResult::Single(at("2026-12-03T11:00:00Z"))
        );
    }
}
