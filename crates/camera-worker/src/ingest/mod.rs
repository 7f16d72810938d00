//! Ingest: everything between a video source and the detector. A source (`Opener`) builds
//! a running GStreamer pipeline that hands decoded frames (8-bit luma plus PTS) to the
//! detector over a bounded channel, and compressed access units to the pre-roll ring
//! (`crate::ring`) from which clips are remuxed. Files, RTSP cameras and the simulator all
//! go through the same `Stream`, so the detector never knows which one it is fed by.

mod file;
mod frame;
mod pipeline;
pub mod rtsp;
mod shrink;

pub use file::FileOpener;
pub use frame::{CapsCache, Frame};
pub(crate) use pipeline::describe_gst_error;
pub use pipeline::{Stream, StreamEvent};
pub use shrink::{Shrink, Shrunk};

use std::path::PathBuf;

/// Why a source could not be opened or stopped playing. Messages name the source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}: no such file")]
    NotFound(PathBuf),
    #[error("{0}: is a directory, not a video file")]
    IsDirectory(PathBuf),
    #[error("{0}: the file is empty")]
    Empty(PathBuf),
    #[error("{0}: cannot read: {1}")]
    Unreadable(PathBuf, std::io::Error),
    #[error("{source_name}: not a playable video ({detail})")]
    NotVideo { source_name: String, detail: String },
    #[error("{source_name}: {detail}")]
    Pipeline { source_name: String, detail: String },
}

/// Opens a source: a recipe for a running stream that can be followed again after a failure
/// (live cameras reconnect by calling `open` once more).
pub trait Opener: Send + Sync {
    /// A name safe to show in logs and pages (passwords masked).
    fn describe(&self) -> String;
    /// Builds and starts the pipeline. `live` selects dropping over back-pressure: a file
    /// is read as fast as the detector goes; a camera never waits for the detector.
    /// `shrink` says what the detector wants of each frame (see `Shrink`).
    fn open(
        &self,
        ring: crate::ring::SharedRing,
        live: bool,
        shrink: Shrink,
    ) -> Result<Stream, SourceError>;
    /// The video codec of the current connection, once known (`H.264`, `H.265`, ...).
    fn codec(&self) -> Option<String> {
        None
    }
    /// RTP packets of the video stream lost on the current connection (sequence gaps the
    /// jitter buffer gave up on); None for sources without RTP.
    fn lost_packets(&self) -> Option<u64> {
        None
    }
    /// A connection from `open` ended; `delivered` says whether it ever gave a frame (an
    /// opener with choices, such as RTSP_TRANSPORT=auto, picks the next try from it).
    fn connection_ended(&self, _delivered: bool) {}
}
