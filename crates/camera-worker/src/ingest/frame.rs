//! A decoded frame: the decoder's own buffer (never copied) and where its luma plane lies,
//! and/or its luma already shrunk to the detector's size (see `shrink`).

use super::shrink::Shrunk;
use gstreamer as gst;
use opencv::core::{Mat, CV_8UC1};

pub struct Frame {
    /// The decoder's buffer; released early when the shrunk picture is all that is needed.
    buffer: Option<gst::Buffer>,
    shrunk: Option<Shrunk>,
    corrupted: bool,
    /// Byte offset and stride of the luma (Y) plane inside `buffer`.
    offset: usize,
    pub stride: usize,
    pub width: u32,
    pub height: u32,
    /// Presentation timestamp in nanoseconds (stream time).
    pub pts_ns: u64,
    /// Nominal frame rate from the caps; 0 when the stream does not say (variable rate).
    pub fps: f64,
    /// The PTS as running time on the pipeline clock, nanoseconds. rtspsrc stamps a frame
    /// with its arrival (smoothed by the jitter buffer, which also spreads out a camera's
    /// start-up burst), so for a camera this is when it arrived (see `Stream::running_time`).
    pub running_ns: Option<u64>,
}

impl Frame {
    pub(crate) fn new(
        buffer: gst::Buffer,
        offset: usize,
        stride: usize,
        width: u32,
        height: u32,
        pts_ns: u64,
        fps: f64,
    ) -> Frame {
        Frame {
            corrupted: buffer.flags().contains(gst::BufferFlags::CORRUPTED),
            buffer: Some(buffer),
            shrunk: None,
            offset,
            stride,
            width,
            height,
            pts_ns,
            fps,
            running_ns: None,
        }
    }

    /// The decoder concealed errors in this picture (lost packets, a broken slice): what it
    /// shows is partly invented and must not be taken for the sky.
    pub fn is_corrupted(&self) -> bool {
        self.corrupted
    }

    /// The luma at processing size, when the stream made it.
    pub fn shrunk(&self) -> Option<&Shrunk> {
        self.shrunk.as_ref()
    }

    /// Whether the full picture is still here (`with_luma` works).
    pub fn has_full(&self) -> bool {
        self.buffer.is_some()
    }

    /// Attaches the shrunk luma; with `keep_full` false, gives the decoder's buffer back.
    pub(crate) fn set_shrunk(&mut self, shrunk: Shrunk, keep_full: bool) {
        self.shrunk = Some(shrunk);
        if !keep_full {
            self.buffer = None;
        }
    }

    /// Runs `f` with the luma plane wrapped as an OpenCV Mat, without copying it.
    pub fn with_luma<R>(&self, f: impl FnOnce(&Mat) -> opencv::Result<R>) -> opencv::Result<R> {
        let buffer = self.buffer.as_ref().ok_or_else(|| {
            opencv::Error::new(
                opencv::core::StsError,
                "the full frame was not kept (only its shrunk luma)",
            )
        })?;
        let map = buffer
            .map_readable()
            .map_err(|_| opencv::Error::new(opencv::core::StsError, "frame buffer not readable"))?;
        let needed = self.offset + self.stride * (self.height as usize - 1) + self.width as usize;
        if map.len() < needed {
            return Err(opencv::Error::new(
                opencv::core::StsOutOfRange,
                format!(
                    "frame buffer holds {} bytes, luma plane needs {needed}",
                    map.len()
                ),
            ));
        }
        let ptr = map.as_ptr().wrapping_add(self.offset) as *mut std::ffi::c_void;
        // SAFETY: the Mat borrows memory that `map` keeps mapped and alive for the whole call;
        // it is only read, and it does not escape `f` (OpenCV never takes ownership of it).
        let mat = unsafe {
            Mat::new_rows_cols_with_data_unsafe(
                self.height as i32,
                self.width as i32,
                CV_8UC1,
                ptr,
                self.stride,
            )?
        };
        f(&mat)
    }
}

/// The caps last seen on a sink and what they mean, so each frame costs no caps parsing.
pub type CapsCache = Option<(gst::Caps, gstreamer_video::VideoInfo)>;

impl Frame {
    /// The frame in an appsink sample; `None` for a sample without a buffer, PTS or video caps.
    pub fn from_sample(sample: &gst::Sample, cache: &mut CapsCache) -> Option<Frame> {
        use gstreamer_video as gst_video;
        let caps = sample.caps()?;
        if cache.as_ref().map(|(c, _)| c != caps).unwrap_or(true) {
            let vi = gst_video::VideoInfo::from_caps(caps).ok()?;
            *cache = Some((caps.to_owned(), vi));
        }
        let vi = &cache.as_ref()?.1;
        let buffer = sample.buffer_owned()?;
        let pts = buffer.pts()?;
        // Decoders may pad rows; their VideoMeta then says where the plane really is.
        let (offset, stride) = match buffer.meta::<gst_video::VideoMeta>() {
            Some(m) => (m.offset()[0], m.stride()[0] as usize),
            None => (vi.offset()[0], vi.stride()[0] as usize),
        };
        let rate = vi.fps();
        let fps = if rate.denom() > 0 {
            rate.numer() as f64 / rate.denom() as f64
        } else {
            0.0
        };
        let running = sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::format::Time>())
            .and_then(|s| s.to_running_time(pts));
        let mut frame = Frame::new(
            buffer,
            offset,
            stride,
            vi.width(),
            vi.height(),
            pts.nseconds(),
            fps,
        );
        frame.running_ns = running.map(|t| t.nseconds());
        Some(frame)
    }
}
