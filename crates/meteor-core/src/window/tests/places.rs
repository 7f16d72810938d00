//! The night window against reference twilight times across dates, latitudes, time zones
//! and DST changes.
//!
//! Reference times come from PyEphem 4.2.1 (`Observer` with `pressure = 0`, `horizon` at
//! the limit, `use_center=True`: the sun's geometric centre, as almanacs define twilight),
//! an independent VSOP87-based ephemeris. Sunrise and sunset for Berlin are the published
//! almanac values (timeanddate.com / dailynewsen: 04:43 and 21:33 CEST on 21 June, 08:15
//! and 15:54 CET on 21 December), which PyEphem reproduces to the minute.

use super::*;

#[test]
fn berlin_solstices_nautical() {
    let w = win(BERLIN.0, BERLIN.1, TwilightLimit::Nautical, "Europe/Berlin");
    // Short summer night: 23:47 to 02:30 CEST.
    normal(
        &w,
        d(2026, 6, 21),
        "2026-06-21T21:46:57Z",
        "2026-06-22T00:29:38Z",
    );
    // Long winter night: 17:20 to 06:49 CET.
    normal(
        &w,
        d(2026, 12, 21),
        "2026-12-21T16:20:00Z",
        "2026-12-22T05:49:19Z",
    );
    // Civil and astronomical in winter.
    let civil = win(BERLIN.0, BERLIN.1, TwilightLimit::Civil, "Europe/Berlin");
    normal(
        &civil,
        d(2026, 12, 21),
        "2026-12-21T15:35:37Z",
        "2026-12-22T06:33:43Z",
    );
    let astro = win(
        BERLIN.0,
        BERLIN.1,
        TwilightLimit::Astronomical,
        "Europe/Berlin",
    );
    normal(
        &astro,
        d(2026, 12, 21),
        "2026-12-21T17:01:48Z",
        "2026-12-22T05:07:31Z",
    );
    // In June the sun stays above -18 all night (it bottoms out at -14.0).
    assert_eq!(astro.night_of(d(2026, 6, 21)).kind, WindowKind::NeverDark);
}

#[test]
fn berlin_published_sunrise_and_sunset() {
    let w = win(
        BERLIN.0,
        BERLIN.1,
        TwilightLimit::Degrees(-0.833),
        "Europe/Berlin",
    );
    // Published to the minute: within 60 s.
    normal_within(
        &w,
        d(2026, 6, 21),
        "2026-06-21T19:33:00Z",
        "2026-06-22T02:43:00Z",
        60,
    );
    normal_within(
        &w,
        d(2026, 12, 21),
        "2026-12-21T14:54:00Z",
        "2026-12-22T07:15:00Z",
        60,
    );
}

#[test]
fn equator_nights_barely_change() {
    let w = win(-0.18, -78.47, TwilightLimit::Nautical, "America/Guayaquil");
    normal(
        &w,
        d(2026, 6, 21),
        "2026-06-22T00:07:51Z",
        "2026-06-22T10:23:50Z",
    );
    normal(
        &w,
        d(2026, 12, 21),
        "2026-12-22T00:04:53Z",
        "2026-12-22T10:19:42Z",
    );
    // The evening falls on the local date though it is already the next day in UTC.
    let evening = z("2026-06-22T01:00:00Z");
    assert_eq!(w.night_date(evening), d(2026, 6, 21));
    assert!(w.is_active(evening));
}

#[test]
fn sydney_winter_in_june_summer_in_december() {
    let w = win(-33.87, 151.21, TwilightLimit::Nautical, "Australia/Sydney");
    // June: long night, AEST (+10).
    normal(
        &w,
        d(2026, 6, 21),
        "2026-06-21T07:52:47Z",
        "2026-06-21T20:01:12Z",
    );
    // December: short night, AEDT (+11).
    normal(
        &w,
        d(2026, 12, 21),
        "2026-12-21T10:10:28Z",
        "2026-12-21T17:36:03Z",
    );
    let june = w.night_of(d(2026, 6, 21));
    let dec = w.night_of(d(2026, 12, 21));
    let len = |s: WindowSpan| (s.end.unwrap() - s.start.unwrap()).num_minutes();
    assert!(len(june) > len(dec) + 240); // 12 h 08 min against 7 h 26 min
}

#[test]
fn tromso_midnight_sun_is_never_dark() {
    for limit in [
        TwilightLimit::Civil,
        TwilightLimit::Nautical,
        TwilightLimit::Astronomical,
    ] {
        let w = win(69.65, 18.96, limit, "Europe/Oslo");
        let s = w.tonight(z("2026-06-21T20:00:00Z"));
        assert_eq!(
            s,
            WindowSpan {
                start: None,
                end: None,
                kind: WindowKind::NeverDark
            }
        );
        assert!(!s.contains(z("2026-06-21T23:00:00Z")));
        assert!(!w.is_active(z("2026-06-21T23:00:00Z")));
    }
    // In December it has ordinary (long) nautical nights.
    let w = win(69.65, 18.96, TwilightLimit::Nautical, "Europe/Oslo");
    normal(
        &w,
        d(2026, 12, 21),
        "2026-12-21T14:37:40Z",
        "2026-12-22T06:47:12Z",
    );
}

#[test]
fn longyearbyen_polar_night() {
    let at = z("2026-12-21T11:00:00Z"); // local noon
    let civil = win(78.22, 15.65, TwilightLimit::Civil, "Arctic/Longyearbyen");
    let s = civil.tonight(at);
    assert_eq!(s.kind, WindowKind::AlwaysDark);
    assert_eq!((s.start, s.end), (None, None));
    assert!(s.contains(at) && civil.is_active(at));
    // At 78.2 N the noon sun still climbs to -11.6 at the solstice, so the nautical night
    // has a short break around noon (78.6 N is the limit for a nautical polar night).
    let nautical = win(78.22, 15.65, TwilightLimit::Nautical, "Arctic/Longyearbyen");
    // The sun meets the limit at a shallow angle: 12 s off PyEphem here.
    normal_within(
        &nautical,
        d(2026, 12, 21),
        "2026-12-21T11:52:44Z",
        "2026-12-22T09:58:35Z",
        60,
    );
    let ny_alesund = win(78.92, 11.93, TwilightLimit::Nautical, "Arctic/Longyearbyen");
    assert_eq!(ny_alesund.tonight(at).kind, WindowKind::AlwaysDark);
    // Its nautical polar night ends when the noon sun first reaches -12 again: PyEphem
    // says 2026-12-31 11:13:51 UTC. The sun grazes the limit there (its altitude barely
    // changes around noon), so a 0.001 degree difference moves the time by minutes.
    let end = ny_alesund.next_change(at).unwrap();
    assert!(
        (end - z("2026-12-31T11:13:51Z")).num_minutes().abs() <= 10,
        "{end}"
    );
    assert!(!ny_alesund.is_active(end));
    assert!(ny_alesund.is_active(end - Duration::seconds(1)));
}

#[test]
fn dst_change_nights_in_berlin() {
    let w = win(BERLIN.0, BERLIN.1, TwilightLimit::Nautical, "Europe/Berlin");
    // Spring forward 2026-03-29 02:00 CET -> 03:00 CEST: a 23-hour window.
    let (a, b) = w.night_bounds(d(2026, 3, 28));
    assert_eq!(
        (a, b),
        (z("2026-03-28T11:00:00Z"), z("2026-03-29T10:00:00Z"))
    );
    normal(
        &w,
        d(2026, 3, 28),
        "2026-03-28T18:49:29Z",
        "2026-03-29T03:32:13Z",
    );
    normal(
        &w,
        d(2026, 3, 29),
        "2026-03-29T18:51:28Z",
        "2026-03-30T03:29:38Z",
    );
    assert_eq!(w.night_date(z("2026-03-29T00:59:00Z")), d(2026, 3, 28)); // 01:59 CET
    assert_eq!(w.night_date(z("2026-03-29T01:00:00Z")), d(2026, 3, 28)); // 03:00 CEST
    assert_eq!(w.night_date(z("2026-03-29T09:59:59Z")), d(2026, 3, 28)); // 11:59:59 CEST
    assert_eq!(w.night_date(z("2026-03-29T10:00:00Z")), d(2026, 3, 29)); // noon CEST
                                                                         // Fall back 2026-10-25 03:00 CEST -> 02:00 CET: a 25-hour window.
    let (a, b) = w.night_bounds(d(2026, 10, 24));
    assert_eq!(
        (a, b),
        (z("2026-10-24T10:00:00Z"), z("2026-10-25T11:00:00Z"))
    );
    normal(
        &w,
        d(2026, 10, 24),
        "2026-10-24T17:07:27Z",
        "2026-10-25T04:34:26Z",
    );
    normal(
        &w,
        d(2026, 10, 25),
        "2026-10-25T17:05:33Z",
        "2026-10-26T04:36:06Z",
    );
    // 02:30 happens twice that night; both belong to it.
    assert_eq!(w.night_date(z("2026-10-25T00:30:00Z")), d(2026, 10, 24));
    assert_eq!(w.night_date(z("2026-10-25T01:30:00Z")), d(2026, 10, 24));
    assert_eq!(w.night_date(z("2026-10-25T10:59:59Z")), d(2026, 10, 24)); // 11:59:59 CET
    assert_eq!(w.night_date(z("2026-10-25T11:00:00Z")), d(2026, 10, 25));
}

#[test]
fn near_the_date_line() {
    let auckland = win(-36.85, 174.76, TwilightLimit::Nautical, "Pacific/Auckland");
    normal(
        &auckland,
        d(2026, 6, 21),
        "2026-06-21T06:13:08Z",
        "2026-06-21T18:32:24Z",
    );
    normal(
        &auckland,
        d(2026, 12, 21),
        "2026-12-21T08:48:44Z",
        "2026-12-21T15:49:18Z",
    );
    // 21:00 UTC on 20 June is 09:00 NZST on 21 June: the morning after the 20th's night.
    assert_eq!(
        auckland.night_date(z("2026-06-20T21:00:00Z")),
        d(2026, 6, 20)
    );
    // Chatham Islands: west of 180 but UTC+12:45 / +13:45.
    let chatham = win(-43.95, -176.56, TwilightLimit::Nautical, "Pacific/Chatham");
    normal(
        &chatham,
        d(2026, 6, 21),
        "2026-06-21T05:24:17Z",
        "2026-06-21T18:11:48Z",
    );
    normal(
        &chatham,
        d(2026, 12, 21),
        "2026-12-21T08:52:39Z",
        "2026-12-21T14:35:56Z",
    );
    // Pago Pago: a few degrees from Chatham but UTC-11, a calendar day behind.
    let pago = win(
        -14.28,
        -170.70,
        TwilightLimit::Nautical,
        "Pacific/Pago_Pago",
    );
    normal(
        &pago,
        d(2026, 6, 21),
        "2026-06-22T05:53:08Z",
        "2026-06-22T16:56:30Z",
    );
    normal(
        &pago,
        d(2026, 12, 21),
        "2026-12-22T06:41:45Z",
        "2026-12-22T16:00:56Z",
    );
}
