//! Recorded video files: `filesrc ! parsebin`, whatever the container and codec.

use super::pipeline::{attach_discard, attach_video_branch, Outputs, Source, Stream, StreamEvent};
use super::{Opener, Shrink, SourceError};
use crate::ring::SharedRing;
use gstreamer as gst;
use gstreamer::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct FileOpener {
    path: PathBuf,
}

impl FileOpener {
    pub fn new(path: impl Into<PathBuf>) -> FileOpener {
        FileOpener { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses what is plainly not a video file before GStreamer gets to it, with a message
    /// a person understands.
    fn check_file(&self) -> Result<(), SourceError> {
        let meta = std::fs::metadata(&self.path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SourceError::NotFound(self.path.clone()),
            _ => SourceError::Unreadable(self.path.clone(), e),
        })?;
        if meta.is_dir() {
            return Err(SourceError::IsDirectory(self.path.clone()));
        }
        if meta.len() == 0 {
            return Err(SourceError::Empty(self.path.clone()));
        }
        std::fs::File::open(&self.path)
            .map_err(|e| SourceError::Unreadable(self.path.clone(), e))?;
        Ok(())
    }
}

impl Opener for FileOpener {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn open(&self, ring: SharedRing, live: bool, shrink: Shrink) -> Result<Stream, SourceError> {
        self.check_file()?;
        let name = self.describe();
        let fail = |detail: String| SourceError::Pipeline {
            source_name: name.clone(),
            detail,
        };
        crate::init_gstreamer().map_err(|e| fail(e.to_string()))?;

        let pipeline = gst::Pipeline::new();
        let src = gst::ElementFactory::make("filesrc")
            .property("location", self.path.to_string_lossy().as_ref())
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let parse = gst::ElementFactory::make("parsebin").build().map_err(|_| {
            fail("GStreamer element parsebin is missing (run scripts/setup.sh)".into())
        })?;
        pipeline
            .add_many([&src, &parse])
            .map_err(|e| fail(e.to_string()))?;
        src.link(&parse).map_err(|e| fail(e.to_string()))?;

        let (out, rx) = Outputs::new(ring, live, shrink);
        let (tx, dropped) = (out.frames.clone(), out.dropped.clone());
        let have_video = Arc::new(AtomicBool::new(false));
        let weak = pipeline.downgrade();
        {
            let have_video = have_video.clone();
            let tx = tx.clone();
            let source_name = name.clone();
            parse.connect_pad_added(move |_, pad| {
                let Some(pipeline) = weak.upgrade() else {
                    return;
                };
                let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
                let is_video = caps
                    .structure(0)
                    .map(|s| s.name().starts_with("video/"))
                    .unwrap_or(false);
                if is_video && !have_video.swap(true, Ordering::SeqCst) {
                    if let Err(e) = attach_video_branch(&pipeline, pad, out.clone(), Source::File) {
                        let _ = tx.try_send(StreamEvent::Error(format!("{source_name}: {e}")));
                    }
                } else {
                    attach_discard(&pipeline, pad);
                }
            });
        }
        parse.connect_no_more_pads(move |_| {
            if !have_video.load(Ordering::SeqCst) {
                let _ = tx.try_send(StreamEvent::Error(format!(
                    "{name}: the file has no video stream"
                )));
            }
        });

        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| SourceError::NotVideo {
                source_name: self.describe(),
                detail: "GStreamer could not start reading it".into(),
            })?;
        Ok(Stream::new(pipeline, rx, self.describe(), dropped))
    }
}
