//! camera-worker: one meteor-watching process per camera.
//!
//! Data path: `ingest` (GStreamer: source, decode, compressed pre-roll `ring`) feeds the
//! `engine` (`detect` -> `track` -> `classify`), whose events the `writer` turns into a
//! `clip`, `composite`s and a record in the `store`; H.265 clips also get an H.264
//! `rendition` for browsers. `filemode` runs the same path on
//! recorded files; `live` runs it on a camera, with the `http` API beside it.

pub mod catalog;
pub mod classify;
pub mod clip;
pub mod composite;
pub mod config;
pub mod cputime;
pub mod detect;
pub mod disk;
pub mod engine;
pub mod filemode;
pub mod http;
pub mod ingest;
pub mod live;
pub mod memory;
pub mod picture;
pub mod rendition;
pub mod retention;
pub mod ring;
pub mod scene;
pub mod store;
pub mod track;
pub mod writer;

/// Initialises GStreamer once per process (cheap after the first call).
pub fn init_gstreamer() -> Result<(), gstreamer::glib::Error> {
    gstreamer::init()
}
