//! The live view: small grey JPEGs of the luma plane, made on the streamer thread only while
//! someone watches `/stream` or asked for `/snapshot.jpg`, and at most `fps` a second, so an
//! unwatched camera spends nothing on it.

use opencv::core::{Mat, Size};
use opencv::imgproc;
use opencv::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub struct Preview {
    watchers: AtomicUsize,
    wanted: AtomicBool,
    max_width: i32,
    interval: Duration,
    tx: watch::Sender<Option<Arc<Vec<u8>>>>,
    last: std::sync::Mutex<Option<Instant>>,
}

/// Counts a viewer for as long as it lives.
pub struct Watching(Arc<Preview>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Preview {
    pub fn new(max_width: u32, fps: f64) -> Arc<Preview> {
        Arc::new(Preview {
            watchers: AtomicUsize::new(0),
            wanted: AtomicBool::new(false),
            max_width: max_width.max(64) as i32,
            interval: Duration::from_secs_f64(1.0 / fps.clamp(0.1, 30.0)),
            tx: watch::channel(None).0,
            last: std::sync::Mutex::new(None),
        })
    }

    pub fn watch(self: &Arc<Self>) -> (Watching, watch::Receiver<Option<Arc<Vec<u8>>>>) {
        self.watchers.fetch_add(1, Ordering::Relaxed);
        (Watching(self.clone()), self.tx.subscribe())
    }

    pub fn watchers(&self) -> usize {
        self.watchers.load(Ordering::Relaxed)
    }

    /// Asks for one frame even if nobody watches (a snapshot).
    pub fn request(&self) -> watch::Receiver<Option<Arc<Vec<u8>>>> {
        self.wanted.store(true, Ordering::Relaxed);
        self.tx.subscribe()
    }

    /// The newest JPEG and how old it is.
    pub fn latest(&self) -> Option<(Arc<Vec<u8>>, Duration)> {
        let jpeg = self.tx.borrow().clone()?;
        let at = (*self.last.lock().unwrap_or_else(|p| p.into_inner()))?;
        Some((jpeg, at.elapsed()))
    }

    /// Whether anyone watches or waits for a snapshot: full frames are needed.
    pub fn active(&self) -> bool {
        self.watchers() > 0 || self.wanted.load(Ordering::Relaxed)
    }

    /// Whether the streamer should encode this frame.
    pub fn due(&self) -> bool {
        if !self.active() {
            return false;
        }
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.is_none_or(|t| t.elapsed() >= self.interval)
    }

    /// Encodes `luma` (full-resolution 8-bit) and hands it to the viewers.
    pub fn publish(&self, luma: &Mat) -> opencv::Result<()> {
        let (w, h) = (luma.cols(), luma.rows());
        let mut small = Mat::default();
        let src = if w > self.max_width {
            let nh = ((h as i64 * self.max_width as i64) / w as i64).max(1) as i32;
            imgproc::resize(
                luma,
                &mut small,
                Size::new(self.max_width, nh),
                0.0,
                0.0,
                imgproc::INTER_AREA,
            )?;
            &small
        } else {
            luma
        };
        let buf = crate::picture::jpeg(src, 75)?;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        self.wanted.store(false, Ordering::Relaxed);
        self.tx.send_replace(Some(Arc::new(buf)));
        Ok(())
    }
}
