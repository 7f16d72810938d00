//! Types every meteor watch service agrees on: the detection record written to
//! `detections.jsonl`, the detection settings with their named presets, the ground-truth
//! format the simulator writes and the quality scorer reads, the clock that time-dependent
//! logic takes (simulated in tests), the night window (sun altitude, twilight limit, the
//! local-time night and its dark span), time zones from the system's tz database, URL
//! masking for logs, the API and pages, and the self-check results services report in
//! their logs, /healthz and /metrics.

pub mod clock;
pub mod disk;
pub mod health;
pub mod record;
pub mod settings;
pub mod sun;
pub mod truth;
pub mod url;
pub mod window;
pub mod zone;

pub use clock::{Clock, Mapped, SimulatedClock, SystemClock, WallClockMapper};
pub use record::Detection;
pub use settings::{DetectionParams, Sensitivity, SettingsError};
pub use sun::sun_altitude;
pub use truth::{Truth, TruthEvent};
pub use url::{host_of, mask_secrets_in, mask_url, split_credentials};
pub use window::{NightWindow, TwilightLimit, WindowError, WindowKind, WindowSpan};
pub use zone::Zone;
