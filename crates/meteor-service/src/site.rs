//! Where the station is and when its night is: the LATITUDE, LONGITUDE, TIMEZONE and
//! SUN_ALTITUDE settings both services take, checked into meteor-core's night window.

use clap::Args;
use meteor_core::window::{parse_timezone, NightWindow, WindowError};

#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    /// Site latitude (degrees, north positive), for the night window.
    #[arg(long, env = "LATITUDE", allow_hyphen_values = true)]
    pub latitude: Option<f64>,
    /// Site longitude (degrees, east positive), for the night window.
    #[arg(long, env = "LONGITUDE", allow_hyphen_values = true)]
    pub longitude: Option<f64>,
    /// IANA time zone for nights (noon to noon), the hourly chart and the times shown.
    #[arg(long, env = "TIMEZONE", default_value = "UTC")]
    pub timezone: String,
    /// Sun altitude that makes it night: civil, nautical, astronomical or degrees (e.g. -10).
    #[arg(
        long,
        env = "SUN_ALTITUDE",
        default_value = "nautical",
        allow_hyphen_values = true
    )]
    pub sun_altitude: String,
}

impl SiteArgs {
    /// The night window at the site, or None without a position. Errors name the variable.
    pub fn window(&self) -> Result<Option<NightWindow>, WindowError> {
        NightWindow::from_site(
            self.latitude,
            self.longitude,
            &self.sun_altitude,
            &self.timezone,
        )
    }

    pub fn tz(&self) -> Result<meteor_core::Zone, WindowError> {
        parse_timezone(&self.timezone)
    }
}
