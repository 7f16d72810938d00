//! meteor-sim: the simulated night sky of meteor watch.
//!
//! * [`RenderSpec`] says what a clip contains: size, rate, duration, sensor noise, background
//!   features ([`Background`]) and events ([`EventSpec`]: meteors and distractors). Build one from
//!   a [`Profile`] ([`RenderSpec::from_profile`]) or by hand ([`RenderSpec::custom`] +
//!   [`RenderSpec::with_event`]).
//! * [`Scene`] renders any frame of a spec (8-bit luma) and produces its ground truth
//!   ([`meteor_core::Truth`]).
//! * [`render_clip`] writes `NAME.mp4` (H.264) and `NAME.truth.json`.
//! * [`serve`] runs simulated RTSP cameras serving rendered loops ([`serve::SimServer`]).
//! * [`score`] matches a detector's `detections.jsonl` against the truth.
//!
//! Everything is deterministic: the same spec gives the same frames and the same truth.
//!
//! ```no_run
//! use meteor_sim::{render_clip, MeteorSpec, RenderSpec};
//! let spec = RenderSpec::custom(1, 1280, 720, 30.0, 5.0)
//!     .with_event(MeteorSpec::new([200.0, 200.0], [600.0, 400.0], 2.0, 2.5, 10.0));
//! let out = render_clip(&spec, std::path::Path::new("/tmp/clips")).unwrap();
//! println!("{} events", out.truth.events.len());
//! ```

mod actors;
mod draw;
mod encode;
mod error;
mod events;
mod osd;
mod path;
mod profile;
mod rng;
mod scene;
pub mod score;
pub mod serve;
mod sky;
mod spec;
mod stars;

pub use draw::dist_to_segment;
pub use encode::{bitrate_kbps, encode_mp4, render_clip, RenderOutput};
pub use error::SimError;
pub use events::{
    EventSpec, Flare, FlashSpec, FlickerSpec, MeteorSpec, MoverKind, MoverSpec, Pulse,
};
pub use scene::Scene;
pub use spec::{Background, Profile, RenderSpec};
