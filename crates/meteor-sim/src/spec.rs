//! What a clip contains: [`RenderSpec`] (size, rate, duration, noise, background features and
//! an explicit list of [`EventSpec`]s). Profiles fill a spec with random events
//! ([`RenderSpec::from_profile`]); tests build one by hand ([`RenderSpec::custom`] +
//! [`RenderSpec::with_event`]).
//!
//! Units everywhere: positions in full-resolution pixels with pixel `(x, y)` centred on the
//! integer coordinates `(x, y)`; times in seconds from the clip start; amplitudes in 8-bit luma
//! units above the local background (meteors are given as a peak SNR instead, the amplitude being
//! `peak_snr * noise_sigma`).

use crate::error::SimError;
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
    pub const ALL: [Profile; 4] = [Profile::Mixed, Profile::Quiet, Profile::Shower, Profile::Hard];

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

/// A short brightening of a meteor (multiplies its lightcurve by `gain`).
#[derive(Debug, Clone, PartialEq)]
pub struct Flare {
    pub at_s: f64,
    pub duration_s: f64,
    pub gain: f64,
}

/// A meteor: the head moves in a straight line from `start_xy` at `start_s` to `end_xy` at
/// `end_s`; each frame draws the part of the line the head covers during that frame.
#[derive(Debug, Clone, PartialEq)]
pub struct MeteorSpec {
    pub start_s: f64,
    pub end_s: f64,
    pub start_xy: [f64; 2],
    pub end_xy: [f64; 2],
    /// Peak of the smooth lightcurve over the noise sigma (flares come on top).
    pub peak_snr: f64,
    /// Gaussian cross-profile sigma of the streak, pixels.
    pub width_sigma: f64,
    /// Where the lightcurve peaks, as a fraction of the duration (0..1).
    pub peak_at: f64,
    /// 0 = constant speed; d > 0 starts at (1+d) and ends at (1-d) times the mean speed.
    pub deceleration: f64,
    pub flares: Vec<Flare>,
    /// Fireball: adds a wide halo around the streak.
    pub halo: bool,
}

impl MeteorSpec {
    /// A plain meteor: constant speed, lightcurve peaking at 60 %, sigma 1.1 px, no flares.
    pub fn new(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64, peak_snr: f64) -> Self {
        MeteorSpec {
            start_s,
            end_s,
            start_xy,
            end_xy,
            peak_snr,
            width_sigma: 1.1,
            peak_at: 0.6,
            deceleration: 0.0,
            flares: Vec::new(),
            halo: false,
        }
    }
}

/// One lightning stroke: instant rise to `amplitude` (luma), exponential decay.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulse {
    pub at_s: f64,
    pub amplitude: f64,
    pub decay_s: f64,
}

/// Lightning: the whole frame brightens with a linear spatial gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct FlashSpec {
    pub pulses: Vec<Pulse>,
    /// Direction (radians) in which the flash is brightest.
    pub gradient_angle: f64,
    /// Relative brightness at the dim side of the frame (0..1).
    pub gradient_floor: f64,
}

impl FlashSpec {
    /// Three strokes over ~0.4 s starting at `start_s`, the first the brightest.
    pub fn new(start_s: f64, amplitude: f64) -> Self {
        let pulse = |dt: f64, k: f64| Pulse {
            at_s: start_s + dt,
            amplitude: amplitude * k,
            decay_s: 0.04,
        };
        FlashSpec {
            pulses: vec![pulse(0.0, 1.0), pulse(0.15, 0.6), pulse(0.3, 0.8)],
            gradient_angle: 0.0,
            gradient_floor: 0.4,
        }
    }
}

/// What kind of object moves along a [`MoverSpec`] path, and how it is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum MoverKind {
    /// Steady light plus a strobe of `strobe` luma for `strobe_on_s` every `strobe_period_s`.
    Plane {
        strobe: f64,
        strobe_period_s: f64,
        strobe_on_s: f64,
        strobe_phase_s: f64,
    },
    /// Steady point; fades linearly to nothing over the last `fade_s` seconds (0 = no fade).
    Satellite { fade_s: f64 },
    /// Bright blurry blob on a zig-zag path: lateral swing of `wiggle_px` at `wiggle_hz`.
    Insect { wiggle_px: f64, wiggle_hz: f64 },
    /// Dim blob whose brightness flaps at `flap_hz` by ±`flap_depth` (relative).
    Bird { flap_hz: f64, flap_depth: f64 },
    /// Two lamps `separation` px apart (horizontally) with a glow of `glow` luma on the ground.
    Headlights { separation: f64, glow: f64 },
}

/// An object moving from `start_xy` to `end_xy` between `start_s` and `end_s`, bowed sideways
/// by `bend_px` at the middle of its path. Planes and satellites sit behind the foreground;
/// insects, birds and headlights are drawn in front of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MoverSpec {
    pub kind: MoverKind,
    pub start_s: f64,
    pub end_s: f64,
    pub start_xy: [f64; 2],
    pub end_xy: [f64; 2],
    /// Brightness of the steady light / blob / each lamp, luma.
    pub amplitude: f64,
    /// Gaussian sigma of the light, pixels.
    pub sigma: f64,
    pub bend_px: f64,
}

impl MoverSpec {
    fn new(kind: MoverKind, start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        let (amplitude, sigma, bend_px) = match kind {
            MoverKind::Plane { .. } => (25.0, 1.2, 0.0),
            MoverKind::Satellite { .. } => (20.0, 1.0, 0.0),
            MoverKind::Insect { .. } => (120.0, 4.0, 20.0),
            MoverKind::Bird { .. } => (15.0, 3.0, 30.0),
            MoverKind::Headlights { .. } => (220.0, 2.0, 0.0),
        };
        MoverSpec { kind, start_s, end_s, start_xy, end_xy, amplitude, sigma, bend_px }
    }

    /// A plane with a 0.1 s strobe of 180 luma every second.
    pub fn plane(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        let kind = MoverKind::Plane { strobe: 180.0, strobe_period_s: 1.0, strobe_on_s: 0.1, strobe_phase_s: 0.0 };
        Self::new(kind, start_xy, end_xy, start_s, end_s)
    }

    pub fn satellite(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(MoverKind::Satellite { fade_s: 0.0 }, start_xy, end_xy, start_s, end_s)
    }

    pub fn insect(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(MoverKind::Insect { wiggle_px: 20.0, wiggle_hz: 4.0 }, start_xy, end_xy, start_s, end_s)
    }

    pub fn bird(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(MoverKind::Bird { flap_hz: 5.0, flap_depth: 0.5 }, start_xy, end_xy, start_s, end_s)
    }

    /// Headlights; the positions are the midpoint between the two lamps.
    pub fn headlights(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(MoverKind::Headlights { separation: 14.0, glow: 18.0 }, start_xy, end_xy, start_s, end_s)
    }

    pub fn with_amplitude(mut self, amplitude: f64) -> Self {
        self.amplitude = amplitude;
        self
    }
}

/// A stationary lamp or star switching on and off irregularly between `start_s` and `end_s`
/// (the on/off pattern is drawn from `pattern_seed`; it is on at `start_s`).
#[derive(Debug, Clone, PartialEq)]
pub struct FlickerSpec {
    pub start_s: f64,
    pub end_s: f64,
    pub xy: [f64; 2],
    pub amplitude: f64,
    pub sigma: f64,
    pub pattern_seed: u64,
}

impl FlickerSpec {
    pub fn new(xy: [f64; 2], start_s: f64, end_s: f64, amplitude: f64) -> Self {
        FlickerSpec { start_s, end_s, xy, amplitude, sigma: 1.3, pattern_seed: 0 }
    }
}

/// One thing that happens in the clip.
#[derive(Debug, Clone, PartialEq)]
pub enum EventSpec {
    Meteor(MeteorSpec),
    Flash(FlashSpec),
    Mover(MoverSpec),
    Flicker(FlickerSpec),
}

impl EventSpec {
    /// The truth `type` of the event.
    pub fn kind(&self) -> &'static str {
        match self {
            EventSpec::Meteor(_) => "meteor",
            EventSpec::Flash(_) => "flash",
            EventSpec::Flicker(_) => "flicker",
            EventSpec::Mover(m) => match m.kind {
                MoverKind::Plane { .. } => "plane",
                MoverKind::Satellite { .. } => "satellite",
                MoverKind::Insect { .. } => "insect",
                MoverKind::Bird { .. } => "bird",
                MoverKind::Headlights { .. } => "headlights",
            },
        }
    }

    /// When the event starts (used to order generated events).
    pub fn start_s(&self) -> f64 {
        match self {
            EventSpec::Meteor(m) => m.start_s,
            EventSpec::Flash(f) => f.pulses.iter().map(|p| p.at_s).fold(f64::INFINITY, f64::min),
            EventSpec::Mover(m) => m.start_s,
            EventSpec::Flicker(f) => f.start_s,
        }
    }
}

impl From<MeteorSpec> for EventSpec {
    fn from(m: MeteorSpec) -> Self {
        EventSpec::Meteor(m)
    }
}
impl From<FlashSpec> for EventSpec {
    fn from(f: FlashSpec) -> Self {
        EventSpec::Flash(f)
    }
}
impl From<MoverSpec> for EventSpec {
    fn from(m: MoverSpec) -> Self {
        EventSpec::Mover(m)
    }
}
impl From<FlickerSpec> for EventSpec {
    fn from(f: FlickerSpec) -> Self {
        EventSpec::Flicker(f)
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
    pub fn from_profile(profile: Profile, seed: u64, width: u32, height: u32, fps: f64, duration_s: f64) -> Self {
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
            return bad(format!("size {}x{} must be even and at least 32x32", self.width, self.height));
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
            return bad(format!("noise_sigma {} must be within (0, 40]", self.noise_sigma));
        }
        if !(0.0..0.5).contains(&self.background.foreground_ratio) {
            return bad(format!("foreground_ratio {} must be within [0, 0.5)", self.background.foreground_ratio));
        }
        Ok(())
    }
}
