//! What a clip contains: [`RenderSpec`] (size, rate, duration, noise, background features and
//! an explicit list of [`EventSpec`]s, defined in `events.rs`). Profiles fill a spec with random events
//! ([`RenderSpec::from_profile`]); tests build one by hand ([`RenderSpec::custom`] +
//! [`RenderSpec::with_event`]).
//!
//! Units everywhere: positions in full-resolution pixels with pixel `(x, y)` centred on the
//! integer coordinates `(x, y)`; times in seconds from the clip start; amplitudes in 8-bit luma
//! units above the local background (meteors are given as a peak SNR instead, the amplitude being
//! `peak_snr * noise_sigma`).

use crate::error::SimError;
use crate::events::EventSpec;
use std::fmt;
use std::str::FromStr;

/// A named recipe of random content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Meteors every ~6-10 s across SNR 3-40, some distractors, OSD clock.
    Mixed,
    /// No meteors; every distractor type at least once a minute, clouds and clock.
    Quiet,
    /// A meteor every ~2-3 s from a common radiant, some simultaneous.
    Shower,
    /// Noise sigma 6, faint meteors (SNR 2.5-8), clouds, moon glow.
    Hard,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::Mixed,
        Profile::Quiet,
        Profile::Shower,
        Profile::Hard,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Mixed => "mixed",
            Profile::Quiet => "quiet",
            Profile::Shower => "shower",
            Profile::Hard => "hard",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown profile `{s}` (expected mixed, quiet, shower or hard)"))
    }
}

/// Static and slowly changing features behind the events. [`Background::none`] is a bare
/// sky gradient with sensor noise; every feature can be toggled on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// Hundreds of scintillating stars.
    pub stars: bool,
    /// A few hot pixels, some steady, a couple blinking.
    pub hot_pixels: bool,
    /// Thin clouds drifting slowly, dimming the stars (adds a `cloud` truth event).
    pub clouds: bool,
    /// Moon glow (a large radial gradient, with the moon's disk when it is in the frame).
    pub moon: bool,
    /// On-screen clock `YYYY-MM-DD HH:MM:SS` in the top-left corner (adds an `osd_clock` event).
    pub osd_clock: bool,
    /// Fraction of the height, from the bottom, covered by a dark foreground with a ragged
    /// edge (the edge never rises above this line). 0 = no foreground.
    pub foreground_ratio: f64,
}

impl Background {
    /// Sky gradient and noise only.
    pub fn none() -> Self {
        Background {
            stars: false,
            hot_pixels: false,
            clouds: false,
            moon: false,
            osd_clock: false,
            foreground_ratio: 0.0,
        }
    }

    /// Stars, hot pixels and an 8 % foreground: a clear, moonless night.
    pub fn clear_night() -> Self {
        Background {
            stars: true,
            hot_pixels: true,
            foreground_ratio: 0.08,
            ..Background::none()
        }
    }

    /// Every feature on.
    pub fn all() -> Self {
        Background {
            stars: true,
            hot_pixels: true,
            clouds: true,
            moon: true,
            osd_clock: true,
            foreground_ratio: 0.08,
        }
    }
}

/// Everything needed to render a clip deterministically.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSpec {
    pub seed: u64,
    /// The profile the events were drawn from (`None` for hand-built specs).
    pub profile: Option<Profile>,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub duration_s: f64,
    /// Std dev of the temporal sensor noise, luma units.
    pub noise_sigma: f64,
    pub background: Background,
    pub events: Vec<EventSpec>,
    /// Wall-clock time shown by the OSD clock at the first frame.
    pub clock_start: chrono::NaiveDateTime,
    /// File stem of the outputs; `None` = [`RenderSpec::default_name`].
    pub name: Option<String>,
    /// Free text copied into the truth's notes.
    pub notes: String,
}

impl RenderSpec {
    /// An empty clip: sky gradient and noise of sigma 2.5, no background features, no events.
    pub fn custom(seed: u64, width: u32, height: u32, fps: f64, duration_s: f64) -> Self {
        let clock_start = chrono::NaiveDate::from_ymd_opt(2026, 8, 12)
            .and_then(|d| d.and_hms_opt(22, 0, 0))
            .expect("valid date")
            + chrono::Duration::seconds((seed % 7200) as i64);
        RenderSpec {
            seed,
            profile: None,
            width,
            height,
            fps,
            duration_s,
            noise_sigma: 2.5,
            background: Background::none(),
            events: Vec::new(),
            clock_start,
            name: None,
            notes: String::new(),
        }
    }

    /// A spec filled with the random content of `profile` (see [`Profile`]).
    pub fn from_profile(
        profile: Profile,
        seed: u64,
        width: u32,
        height: u32,
        fps: f64,
        duration_s: f64,
    ) -> Self {
        crate::profile::generate(profile, seed, width, height, fps, duration_s)
    }

    pub fn with_event(mut self, event: impl Into<EventSpec>) -> Self {
        self.events.push(event.into());
        self
    }

    pub fn with_background(mut self, background: Background) -> Self {
        self.background = background;
        self
    }

    pub fn with_noise_sigma(mut self, sigma: f64) -> Self {
        self.noise_sigma = sigma;
        self
    }

    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Number of frames: `round(duration_s * fps)`.
    pub fn frames(&self) -> u64 {
        (self.duration_s * self.fps).round().max(0.0) as u64
    }

    /// Resolution scale relative to 720p (`height / 720`): speeds and sizes are defined at 720p.
    pub fn scale(&self) -> f64 {
        self.height as f64 / 720.0
    }

    /// `{profile}_{width}x{height}_s{seed}` (`custom` when there is no profile).
    pub fn default_name(&self) -> String {
        let p = self.profile.map_or("custom", Profile::name);
        format!("{p}_{}x{}_s{}", self.width, self.height, self.seed)
    }

    /// The file stem used for the outputs.
    pub fn file_stem(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.default_name())
    }

    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::InvalidSpec(m));
        if self.width < 32 || self.height < 32 || self.width % 2 == 1 || self.height % 2 == 1 {
            return bad(format!(
                "size {}x{} must be even and at least 32x32",
                self.width, self.height
            ));
        }
        if self.width > 8192 || self.height > 8192 {
            return bad(format!("size {}x{} too large", self.width, self.height));
        }
        if !(self.fps.is_finite() && self.fps >= 1.0 && self.fps <= 240.0) {
            return bad(format!("fps {} must be within 1..=240", self.fps));
        }
        if !(self.duration_s.is_finite() && self.duration_s > 0.0) || self.frames() == 0 {
            return bad(format!("duration {} s gives no frames", self.duration_s));
        }
        if !(self.noise_sigma.is_finite() && self.noise_sigma > 0.0 && self.noise_sigma <= 40.0) {
            return bad(format!(
                "noise_sigma {} must be within (0, 40]",
                self.noise_sigma
            ));
        }
        if !(0.0..0.5).contains(&self.background.foreground_ratio) {
            return bad(format!(
                "foreground_ratio {} must be within [0, 0.5)",
                self.background.foreground_ratio
            ));
        }
        Ok(())
    }
}
