//! The night window: parsing and validation, which night `tonight` picks, scheduling on a
//! simulated clock, and the extremes. `places` checks the times against references.

use super::*;
use crate::clock::{Clock, SimulatedClock};

mod places;

pub(super) fn z(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(super) fn tz(name: &str) -> Zone {
    parse_timezone(name).unwrap()
}

pub(super) fn win(lat: f64, lon: f64, limit: TwilightLimit, zone: &str) -> NightWindow {
    NightWindow::new(lat, lon, limit, tz(zone)).unwrap()
}

pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Within `tol_s` seconds of the reference.
pub(super) fn near(got: Option<DateTime<Utc>>, want: &str, tol_s: i64) {
    let got = got.unwrap_or_else(|| panic!("no time, expected {want}"));
    let diff = (got - z(want)).num_seconds().abs();
    assert!(
        diff <= tol_s,
        "got {got}, expected {want} (off by {diff} s)"
    );
}

/// The night of `date` runs from `dusk` to `dawn`, each within `tol_s` seconds.
pub(super) fn normal_within(w: &NightWindow, date: NaiveDate, dusk: &str, dawn: &str, tol_s: i64) {
    let s = w.night_of(date);
    assert_eq!(s.kind, WindowKind::Normal, "{date}: {s:?}");
    near(s.start, dusk, tol_s);
    near(s.end, dawn, tol_s);
}

/// Against PyEphem the algorithm is within 5 s wherever the sun crosses the limit at a
/// fair angle; 30 s leaves room without hiding a real error.
pub(super) fn normal(w: &NightWindow, date: NaiveDate, dusk: &str, dawn: &str) {
    normal_within(w, date, dusk, dawn, 30);
}

pub(super) const BERLIN: (f64, f64) = (52.52, 13.405);

#[test]
fn limits_parse_by_name_and_degrees() {
    assert_eq!("civil".parse(), Ok(TwilightLimit::Civil));
    assert_eq!(" Nautical ".parse(), Ok(TwilightLimit::Nautical));
    assert_eq!("ASTRONOMICAL".parse(), Ok(TwilightLimit::Astronomical));
    assert_eq!("-10".parse(), Ok(TwilightLimit::Degrees(-10.0)));
    assert_eq!("-14.5".parse(), Ok(TwilightLimit::Degrees(-14.5)));
    assert_eq!("90".parse(), Ok(TwilightLimit::Degrees(90.0)));
    assert_eq!(TwilightLimit::default().degrees(), -12.0);
    assert_eq!(TwilightLimit::Astronomical.degrees(), -18.0);
    for l in ["civil", "nautical", "astronomical", "-14.5"] {
        assert_eq!(l.parse::<TwilightLimit>().unwrap().to_string(), l);
    }
    let json = serde_json::to_string(&TwilightLimit::Degrees(-10.0)).unwrap();
    assert_eq!(json, "\"-10\"");
    let back: TwilightLimit = serde_json::from_str("\"civil\"").unwrap();
    assert_eq!(back, TwilightLimit::Civil);
    assert!(serde_json::from_str::<TwilightLimit>("\"dusk\"").is_err());
}

#[test]
fn bad_limits_are_refused_with_the_field_name() {
    for bad in ["x", "", "-91", "90.5", "NaN", "inf", "twelve", "-12deg"] {
        let e = bad.parse::<TwilightLimit>().unwrap_err();
        assert_eq!(e.field(), "SUN_ALTITUDE");
        assert_eq!(
            e.to_string(),
            format!(
                "SUN_ALTITUDE: expected civil, nautical, astronomical or degrees between -90 and 90, got '{bad}'"
            )
        );
    }
}

#[test]
fn place_and_zone_are_validated() {
    let e = NightWindow::parse("91", "13.4", "nautical", "Europe/Berlin").unwrap_err();
    assert_eq!(e.field(), "LATITUDE");
    assert!(e.to_string().starts_with("LATITUDE: "), "{e}");
    assert!(e.to_string().ends_with("got '91'"), "{e}");
    let e = NightWindow::parse("north", "13.4", "nautical", "UTC").unwrap_err();
    assert_eq!(e, WindowError::Latitude("north".into()));
    let e = NightWindow::parse("52.5", "-180.01", "nautical", "UTC").unwrap_err();
    assert_eq!(e.field(), "LONGITUDE");
    assert!(e.to_string().contains("between -180 and 180"), "{e}");
    let e = NightWindow::parse("52.5", "13.4", "nautical", "Europe/Berlinn").unwrap_err();
    assert_eq!(e.field(), "TIMEZONE");
    assert_eq!(
        e.to_string(),
        "TIMEZONE: expected an IANA time zone name such as 'Europe/Berlin' or 'UTC', got 'Europe/Berlinn'"
    );
    let e = NightWindow::parse("52.5", "13.4", "dark", "UTC").unwrap_err();
    assert_eq!(e.field(), "SUN_ALTITUDE");
    assert!(NightWindow::new(f64::NAN, 0.0, TwilightLimit::Civil, Zone::utc()).is_err());
    assert!(NightWindow::new(0.0, f64::INFINITY, TwilightLimit::Civil, Zone::utc()).is_err());
    let bad_limit = TwilightLimit::Degrees(-100.0);
    assert_eq!(
        NightWindow::new(0.0, 0.0, bad_limit, Zone::utc())
            .unwrap_err()
            .field(),
        "SUN_ALTITUDE"
    );
    let w = NightWindow::parse(" -90 ", "180", "-18", " UTC ").unwrap();
    assert_eq!((w.latitude(), w.longitude()), (-90.0, 180.0));
    assert_eq!(w.limit(), TwilightLimit::Degrees(-18.0));
    assert_eq!(w.timezone(), &Zone::utc());
}

#[test]
fn tonight_from_any_moment() {
    let w = win(BERLIN.0, BERLIN.1, TwilightLimit::Nautical, "Europe/Berlin");
    let night = w.night_of(d(2026, 12, 21));
    let (dusk, dawn) = (night.start.unwrap(), night.end.unwrap());
    // Afternoon: the coming night. Evening and small hours: the night in progress.
    for at in [
        "2026-12-21T11:00:00Z",
        "2026-12-21T16:19:00Z",
        "2026-12-21T20:00:00Z",
        "2026-12-22T05:00:00Z",
    ] {
        assert_eq!(w.tonight(z(at)), night, "{at}");
    }
    assert_eq!(w.tonight(dusk), night);
    assert_eq!(w.tonight(dawn - Duration::seconds(1)), night);
    // Morning after dawn: the next night.
    let next = w.tonight(dawn);
    assert_eq!(next, w.night_of(d(2026, 12, 22)));
    assert!(next.start.unwrap() > z("2026-12-22T16:00:00Z"));
    assert!(w.tonight(z("2026-12-22T10:59:00Z")) == next);
    // The ends are exact to the second.
    assert!(w.is_active(dusk) && !w.is_active(dusk - Duration::seconds(1)));
    assert!(!w.is_active(dawn) && w.is_active(dawn - Duration::seconds(1)));
    assert!(night.contains(dusk) && !night.contains(dawn));
}

/// A camera-worker-style scheduler on simulated time: sleep until the next change, flip,
/// repeat; the states and times must agree with `tonight`.
#[test]
fn scheduler_walks_a_week_on_simulated_time() {
    for (lat, lon, zone) in [
        (52.52, 13.405, "Europe/Berlin"),
        (-33.87, 151.21, "Australia/Sydney"),
        (-43.95, -176.56, "Pacific/Chatham"),
    ] {
        let w = win(lat, lon, TwilightLimit::Nautical, zone);
        let clock = SimulatedClock::new(z("2026-03-25T12:00:00Z"));
        let mut changes = 0;
        while clock.now() < z("2026-04-01T12:00:00Z") {
            let now = clock.now();
            let active = w.is_active(now);
            let span = w.tonight(now);
            assert_eq!(span.kind, WindowKind::Normal);
            assert_eq!(span.contains(now), active, "{zone} {now}");
            let next = w.next_change(now).unwrap();
            assert_eq!(
                next,
                if active {
                    span.end.unwrap()
                } else {
                    span.start.unwrap()
                }
            );
            assert!(next > now);
            clock.advance((next - now).to_std().unwrap());
            assert_ne!(w.is_active(clock.now()), active);
            changes += 1;
        }
        // 7 dusks and 7 dawns, plus the first change after the end.
        assert_eq!(changes, 15, "{zone}");
    }
}

#[test]
fn limits_at_the_extremes() {
    let at = z("2026-06-21T12:00:00Z");
    let never = win(10.0, 10.0, TwilightLimit::Degrees(-90.0), "UTC");
    assert_eq!(never.tonight(at).kind, WindowKind::NeverDark);
    assert_eq!(never.next_change(at), None);
    let always = win(10.0, 10.0, TwilightLimit::Degrees(90.0), "UTC");
    assert_eq!(always.tonight(at).kind, WindowKind::AlwaysDark);
    assert_eq!(always.next_change(at), None);
    let pole = win(-90.0, 0.0, TwilightLimit::Nautical, "Antarctica/McMurdo");
    assert_eq!(pole.tonight(at).kind, WindowKind::AlwaysDark);
    assert_eq!(
        pole.tonight(z("2026-12-21T12:00:00Z")).kind,
        WindowKind::NeverDark
    );
}

#[test]
fn spans_serialize_for_the_dashboard() {
    let w = win(BERLIN.0, BERLIN.1, TwilightLimit::Nautical, "Europe/Berlin");
    let v = serde_json::to_value(w.night_of(d(2026, 12, 21))).unwrap();
    assert_eq!(v["kind"], "normal");
    let v = serde_json::to_value(WindowSpan {
        start: None,
        end: None,
        kind: WindowKind::AlwaysDark,
    })
    .unwrap();
    assert_eq!(v["kind"], "always_dark");
    assert!(v["start"].is_null());
}
