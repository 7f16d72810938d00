//! The library's error type: everything that can go wrong building a scene, encoding a clip
//! or reading truth and detection files for scoring.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The render spec cannot be rendered (odd size, zero fps, ...).
    #[error("invalid render spec: {0}")]
    InvalidSpec(String),
    /// A simulated-camera server configuration that cannot be served.
    #[error("invalid server config: {0}")]
    Config(String),
    /// No camera is mounted at this path.
    #[error("no camera mounted at `{0}`")]
    UnknownMount(String),
    /// GStreamer failed to build or run the encoding pipeline.
    #[error("gstreamer: {0}")]
    Gst(String),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A truth JSON file that cannot be parsed.
    #[error("{path}: {message}")]
    Truth { path: PathBuf, message: String },
    /// A line of a detections JSONL file that cannot be parsed (1-based line number).
    #[error("{path}:{line}: {message}")]
    Detections {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl SimError {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        SimError::Io {
            path: path.into(),
            error,
        }
    }
}

impl From<gstreamer::glib::Error> for SimError {
    fn from(e: gstreamer::glib::Error) -> Self {
        SimError::Gst(e.to_string())
    }
}

impl From<gstreamer::glib::BoolError> for SimError {
    fn from(e: gstreamer::glib::BoolError) -> Self {
        SimError::Gst(e.to_string())
    }
}
