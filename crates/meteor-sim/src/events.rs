//! The events a clip can contain, as plain data: meteors ([`MeteorSpec`]), lightning
//! ([`FlashSpec`]), moving distractors ([`MoverSpec`]: planes, satellites, insects, birds,
//! headlights) and flickering lights ([`FlickerSpec`]), gathered in [`EventSpec`]. Each has a
//! constructor with sensible defaults; every field is public for precise control in tests.
//!
//! Units: full-resolution pixels (pixel `(x, y)` centred on integer coordinates), seconds from
//! the clip start, luma units above the background (meteors: peak SNR).

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
    pub fn new(
        start_xy: [f64; 2],
        end_xy: [f64; 2],
        start_s: f64,
        end_s: f64,
        peak_snr: f64,
    ) -> Self {
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
    fn new(
        kind: MoverKind,
        start_xy: [f64; 2],
        end_xy: [f64; 2],
        start_s: f64,
        end_s: f64,
    ) -> Self {
        let (amplitude, sigma, bend_px) = match kind {
            MoverKind::Plane { .. } => (25.0, 1.2, 0.0),
            MoverKind::Satellite { .. } => (20.0, 1.0, 0.0),
            MoverKind::Insect { .. } => (120.0, 4.0, 20.0),
            MoverKind::Bird { .. } => (15.0, 3.0, 30.0),
            MoverKind::Headlights { .. } => (220.0, 2.0, 0.0),
        };
        MoverSpec {
            kind,
            start_s,
            end_s,
            start_xy,
            end_xy,
            amplitude,
            sigma,
            bend_px,
        }
    }

    /// A plane with a 0.1 s strobe of 180 luma every second.
    pub fn plane(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        let kind = MoverKind::Plane {
            strobe: 180.0,
            strobe_period_s: 1.0,
            strobe_on_s: 0.1,
            strobe_phase_s: 0.0,
        };
        Self::new(kind, start_xy, end_xy, start_s, end_s)
    }

    pub fn satellite(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(
            MoverKind::Satellite { fade_s: 0.0 },
            start_xy,
            end_xy,
            start_s,
            end_s,
        )
    }

    pub fn insect(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(
            MoverKind::Insect {
                wiggle_px: 20.0,
                wiggle_hz: 4.0,
            },
            start_xy,
            end_xy,
            start_s,
            end_s,
        )
    }

    pub fn bird(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(
            MoverKind::Bird {
                flap_hz: 5.0,
                flap_depth: 0.5,
            },
            start_xy,
            end_xy,
            start_s,
            end_s,
        )
    }

    /// Headlights; the positions are the midpoint between the two lamps.
    pub fn headlights(start_xy: [f64; 2], end_xy: [f64; 2], start_s: f64, end_s: f64) -> Self {
        Self::new(
            MoverKind::Headlights {
                separation: 14.0,
                glow: 18.0,
            },
            start_xy,
            end_xy,
            start_s,
            end_s,
        )
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
        FlickerSpec {
            start_s,
            end_s,
            xy,
            amplitude,
            sigma: 1.3,
            pattern_seed: 0,
        }
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
            EventSpec::Flash(f) => f
                .pulses
                .iter()
                .map(|p| p.at_s)
                .fold(f64::INFINITY, f64::min),
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
