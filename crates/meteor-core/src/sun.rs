//! The sun's altitude above the horizon at a place and instant: the low-precision solar
//! position algorithm of NOAA's solar calculator (after Meeus, *Astronomical Algorithms*),
//! good to about 0.01 degree in declination and a few seconds in the equation of time for
//! years 1900-2100, far better than the night window needs.
//!
//! The altitude is *geometric*: the true altitude of the sun's centre, without atmospheric
//! refraction. That is how civil, nautical and astronomical twilight are defined (the centre
//! 6, 12 or 18 degrees below the horizon) and how almanacs tabulate them; refraction is
//! meaningless that far below the horizon. For the visible sunrise and sunset (upper limb
//! on the horizon, with standard refraction) use a limit of -0.833 degrees.

use chrono::{DateTime, Utc};

/// Altitude of the sun's centre in degrees (-90..=90) seen from `latitude` (degrees,
/// north positive) and `longitude` (degrees, east positive) at `at`. Geometric: see the
/// module documentation.
pub fn sun_altitude(latitude: f64, longitude: f64, at: DateTime<Utc>) -> f64 {
    let secs = at.timestamp() as f64 + f64::from(at.timestamp_subsec_nanos()) * 1e-9;
    altitude_at_unix(latitude, longitude, secs)
}

/// Declination (degrees) and equation of time (minutes) of the sun at `at`.
pub fn solar_declination_and_eot(at: DateTime<Utc>) -> (f64, f64) {
    let secs = at.timestamp() as f64 + f64::from(at.timestamp_subsec_nanos()) * 1e-9;
    declination_and_eot(secs)
}

/// [`sun_altitude`] on Unix seconds, for the crossing searches.
pub(crate) fn altitude_at_unix(latitude: f64, longitude: f64, unix_secs: f64) -> f64 {
    let (decl, eot) = declination_and_eot(unix_secs);
    // True solar time in minutes, then the hour angle (0 at local solar noon).
    let utc_minutes = unix_secs.rem_euclid(86_400.0) / 60.0;
    let solar_minutes = (utc_minutes + eot + 4.0 * longitude).rem_euclid(1440.0);
    let hour_angle = (solar_minutes / 4.0 - 180.0).to_radians();
    let (lat, decl) = (latitude.to_radians(), decl.to_radians());
    let cos_zenith = lat.sin() * decl.sin() + lat.cos() * decl.cos() * hour_angle.cos();
    90.0 - cos_zenith.clamp(-1.0, 1.0).acos().to_degrees()
}

fn declination_and_eot(unix_secs: f64) -> (f64, f64) {
    let jd = unix_secs / 86_400.0 + 2_440_587.5;
    // Julian centuries since J2000.0 (UT is used for TT: the ~70 s difference moves the
    // sun by 0.0008 degree).
    let t = (jd - 2_451_545.0) / 36_525.0;
    let mean_long = (280.466_46 + t * (36_000.769_83 + t * 0.000_303_2)).rem_euclid(360.0);
    let mean_anom = 357.529_11 + t * (35_999.050_29 - 0.000_153_7 * t);
    let ecc = 0.016_708_634 - t * (0.000_042_037 + 0.000_000_126_7 * t);
    let m = mean_anom.to_radians();
    let centre = m.sin() * (1.914_602 - t * (0.004_817 + 0.000_014 * t))
        + (2.0 * m).sin() * (0.019_993 - 0.000_101 * t)
        + (3.0 * m).sin() * 0.000_289;
    let true_long = mean_long + centre;
    let omega = (125.04 - 1_934.136 * t).to_radians();
    let apparent_long = (true_long - 0.005_69 - 0.004_78 * omega.sin()).to_radians();
    let mean_obliquity =
        23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.000_59 - t * 0.001_813))) / 60.0) / 60.0;
    let obliquity = (mean_obliquity + 0.002_56 * omega.cos()).to_radians();
    let decl = (obliquity.sin() * apparent_long.sin()).asin().to_degrees();

    let y = (obliquity / 2.0).tan().powi(2);
    let l0 = mean_long.to_radians();
    let eot_rad = y * (2.0 * l0).sin() - 2.0 * ecc * m.sin()
        + 4.0 * ecc * y * m.sin() * (2.0 * l0).cos()
        - 0.5 * y * y * (4.0 * l0).sin()
        - 1.25 * ecc * ecc * (2.0 * m).sin();
    (decl, 4.0 * eot_rad.to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    /// Declination and equation of time against the Astronomical Almanac's tabulated
    /// values (rounded to 0.1 degree and 0.2 minute, which is what they are known to).
    #[test]
    fn declination_and_equation_of_time() {
        // June solstice 2026: 2026-06-21 08:24 UTC, declination +23.44.
        let (d, _) = solar_declination_and_eot(utc(2026, 6, 21, 8, 24));
        assert!((d - 23.44).abs() < 0.01, "{d}");
        // December solstice 2026: 2026-12-21 20:50 UTC, declination -23.44.
        let (d, _) = solar_declination_and_eot(utc(2026, 12, 21, 20, 50));
        assert!((d + 23.44).abs() < 0.01, "{d}");
        // March equinox 2026: 2026-03-20 14:46 UTC, declination 0.
        let (d, _) = solar_declination_and_eot(utc(2026, 3, 20, 14, 46));
        assert!(d.abs() < 0.01, "{d}");
        // Equation of time extremes: about +16.4 min early November, -14.2 min mid-February.
        let (_, e) = solar_declination_and_eot(utc(2026, 11, 3, 12, 0));
        assert!((e - 16.4).abs() < 0.2, "{e}");
        let (_, e) = solar_declination_and_eot(utc(2026, 2, 11, 12, 0));
        assert!((e + 14.2).abs() < 0.2, "{e}");
    }

    #[test]
    fn noon_and_midnight_altitudes_follow_from_declination() {
        // At the June solstice the sun culminates at 90 - lat + 23.44 and reaches its
        // lowest at lat - 90 + 23.44 (Berlin: 60.92 and -14.04).
        let noon = sun_altitude(52.52, 13.40, utc(2026, 6, 21, 11, 6));
        assert!((noon - 60.92).abs() < 0.05, "{noon}");
        let midnight = sun_altitude(52.52, 13.40, utc(2026, 6, 20, 23, 6));
        assert!((midnight + 14.04).abs() < 0.05, "{midnight}");
        // Equator at the equinox: overhead at noon.
        let equator = sun_altitude(0.0, 0.0, utc(2026, 3, 20, 12, 7));
        assert!(equator > 89.5, "{equator}");
    }

    #[test]
    fn altitude_is_in_range_everywhere() {
        for lat in [-90.0, -45.0, 0.0, 45.0, 90.0] {
            for lon in [-180.0, -90.0, 0.0, 90.0, 180.0] {
                for h in 0..24 {
                    let a = sun_altitude(lat, lon, utc(2026, 1, 1, h, 0));
                    assert!((-90.0..=90.0).contains(&a));
                }
            }
        }
        // Longitudes -180 and 180 are the same meridian.
        let t = utc(2026, 5, 5, 3, 3);
        assert!((sun_altitude(-40.0, 180.0, t) - sun_altitude(-40.0, -180.0, t)).abs() < 1e-9);
    }
}
