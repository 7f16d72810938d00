//! Shrinking each frame to the detector's processing size in the decoder's own thread, as
//! soon as it is decoded. The frame is still in cache then (read later, after waiting in the
//! queue, it comes from memory: most of the detector's time went there), and the decoder's
//! 3 MB buffer goes back to its pool at once instead of waiting in the queue, so the pool
//! stays small. The full frame is kept as well only while the live view is watched.

use crate::detect::{prep, processing_size};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Shrunk pictures' buffers waiting for reuse. Each frame would otherwise allocate and zero
/// half a megabyte (at 1080p) in the decoder's thread.
type Spare = Arc<Mutex<Vec<Vec<u8>>>>;

/// Buffers kept for reuse: one more than a steady stream has in use at once (two, counted
/// on a 1080p30 stream). A burst that fills the queue takes up to `FRAME_QUEUE` + 2; kept,
/// the extra ones would hold over 3 MiB (at 1080p) for good, where allocating them costs
/// the burst little.
const SPARE_MAX: usize = 3;

/// What the detector wants from each frame; shared by the stream and its consumer, which
/// may change it while the stream runs (a new processing scale, a viewer arriving).
#[derive(Clone, Default)]
pub struct Shrink {
    /// The processing scale as f32 bits; 0 turns shrinking off.
    scale: Arc<AtomicU32>,
    full: Arc<AtomicBool>,
    /// CPU time spent shrinking, nanoseconds (detection work done in the decoder's thread).
    cpu_ns: Arc<AtomicU64>,
    spare: Spare,
}

/// A frame's luma at processing size, made by `prep` exactly as the detector would make it.
/// Its buffer goes back to the `Shrink` that made it when it is dropped.
pub struct Shrunk {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Frame pixels per shrunk pixel, in each direction.
    pub factor: usize,
    home: Option<Spare>,
}

impl Drop for Shrunk {
    fn drop(&mut self) {
        if let Some(home) = self.home.take() {
            let mut spare = home.lock().unwrap_or_else(|p| p.into_inner());
            if spare.len() < SPARE_MAX {
                spare.push(std::mem::take(&mut self.data));
            }
        }
    }
}

impl Shrink {
    /// Shrinks to `scale` of the frame (the detector's `scale` parameter); 0 = never.
    pub fn new(scale: f32) -> Shrink {
        let s = Shrink::default();
        s.set_scale(scale);
        s
    }

    pub fn set_scale(&self, scale: f32) {
        self.scale.store(scale.to_bits(), Ordering::Relaxed);
    }

    /// Keeps each frame's full picture too (for the live view) while `on`.
    pub fn keep_full(&self, on: bool) {
        self.full.store(on, Ordering::Relaxed);
    }

    pub fn full_wanted(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// CPU time spent shrinking frames so far, nanoseconds.
    pub fn cpu_ns(&self) -> u64 {
        self.cpu_ns.load(Ordering::Relaxed)
    }

    /// A picture of `width` x `height` shrunk by `factor`, in a reused buffer where one is
    /// free. `fill` must write every byte: a reused buffer holds an older picture.
    pub(crate) fn make<E>(
        &self,
        width: u32,
        height: u32,
        factor: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Shrunk, E> {
        let len = (width * height) as usize;
        let reused = self.spare.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut data = reused.unwrap_or_default();
        // Only a new buffer or a new size pays for zeroing.
        data.resize(len, 0);
        // Homeless until filled: a failed picture's buffer is dropped, not kept.
        fill(&mut data)?;
        Ok(Shrunk {
            data,
            width,
            height,
            factor,
            home: Some(self.spare.clone()),
        })
    }

    pub(crate) fn add_cpu_ns(&self, ns: u64) {
        self.cpu_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// The downscale factor for a `width` x `height` frame, when the fused sweep can make it.
    pub fn factor(&self, width: u32, height: u32) -> Option<usize> {
        let scale = f32::from_bits(self.scale.load(Ordering::Relaxed));
        if scale <= 0.0 {
            return None;
        }
        let proc = processing_size(width, height, scale);
        prep::fused_factor(width as i32, height as i32, proc.width, proc.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_for_the_next_frames() {
        let shrink = Shrink::new(0.5);
        let first = shrink
            .make(4, 2, 2, |d| {
                d.fill(7);
                Ok::<_, ()>(())
            })
            .unwrap();
        let ptr = first.data.as_ptr();
        drop(first);
        let second = shrink
            .make(4, 2, 2, |d| {
                assert_eq!(d, &[7; 8], "the buffer of the frame just dropped");
                d.fill(9);
                Ok::<_, ()>(())
            })
            .unwrap();
        assert_eq!(second.data.as_ptr(), ptr);
        drop(second);
        // A new size: the buffer is resized to it.
        let bigger = shrink.make(4, 4, 2, |_| Ok::<_, ()>(())).unwrap();
        assert_eq!(bigger.data.len(), 16);
    }

    #[test]
    fn spares_are_capped_and_failures_return_nothing() {
        let shrink = Shrink::new(0.5);
        let held: Vec<_> = (0..SPARE_MAX + 5)
            .map(|_| shrink.make(2, 2, 2, |_| Ok::<_, ()>(())).unwrap())
            .collect();
        drop(held);
        assert_eq!(shrink.spare.lock().unwrap().len(), SPARE_MAX);
        assert!(shrink.make(2, 2, 2, |_| Err("no frame")).is_err());
        // The failed one's buffer was dropped, not kept: one fewer spare.
        assert_eq!(shrink.spare.lock().unwrap().len(), SPARE_MAX - 1);
    }
}
