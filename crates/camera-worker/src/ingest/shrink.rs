//! Shrinking each frame to the detector's processing size in the decoder's own thread, as
//! soon as it is decoded. The frame is still in cache then (read later, after waiting in the
//! queue, it comes from memory: most of the detector's time went there), and the decoder's
//! 3 MB buffer goes back to its pool at once instead of waiting in the queue, so the pool
//! stays small. The full frame is kept as well only while the live view is watched.

use crate::detect::{prep, processing_size};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// What the detector wants from each frame; shared by the stream and its consumer, which
/// may change it while the stream runs (a new processing scale, a viewer arriving).
#[derive(Clone, Default)]
pub struct Shrink {
    /// The processing scale as f32 bits; 0 turns shrinking off.
    scale: Arc<AtomicU32>,
    full: Arc<AtomicBool>,
    /// CPU time spent shrinking, nanoseconds (detection work done in the decoder's thread).
    cpu_ns: Arc<AtomicU64>,
}

/// A frame's luma at processing size, made by `prep` exactly as the detector would make it.
pub struct Shrunk {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Frame pixels per shrunk pixel, in each direction.
    pub factor: usize,
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
