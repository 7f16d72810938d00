//! The per-pixel passes of the detector, fused: one sweep over the frame downscales it,
//! smooths it, compares it with the background and marks the changed pixels; another
//! teaches the background; a third, every few frames, rebuilds the threshold map.
//!
//! Done as separate OpenCV calls (area resize, 3x3 Gaussian, subtract, compare, count, then
//! accumulate and convert) each pass walks the whole image through memory again, and the
//! frame's own walk is most of the detector's cost. Here each downscaled row is made from the
//! frame rows under it, smoothed and compared while it is still in cache, in plain loops over
//! `u16`/`u8` slices that the compiler vectorises: for the CPU the binary targets (SSE2 on
//! any x86-64, NEON on a Raspberry Pi), and a second time for AVX2, picked at run time (see
//! `simd!`), since a Docker image runs on whatever CPU its user has.
//!
//! The results are those of the OpenCV passes they replace, roundings included (the
//! block average is rounded, then the [1 2 1] x [1 2 1] Gaussian with mirrored edges):
//! rounding once instead of twice measurably changed which faint meteors were found.

use super::components::Changes;
use opencv::core::Mat;
use opencv::prelude::*;

/// Defines `$name` as `$imp` compiled twice, for the target's baseline and for AVX2, and
/// calls the AVX2 copy when the CPU has it. `$imp` must be `#[inline(always)]` so that it,
/// and everything it inlines, is compiled with the wider instructions.
macro_rules! simd {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? = $imp:ident) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $imp($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}

/// The rows of an 8-bit, one-channel Mat as plain slices: looked up once per frame, not
/// through OpenCV's accessors once per row (a few FFI calls and an allocation each).
struct Plane<'a> {
    data: &'a [u8],
    stride: usize,
    width: usize,
}

impl<'a> Plane<'a> {
    fn of(m: &'a Mat) -> opencv::Result<Plane<'a>> {
        let (rows, width) = (m.rows().max(0) as usize, m.cols().max(0) as usize);
        if m.typ() != opencv::core::CV_8UC1 || rows == 0 || width == 0 || m.data().is_null() {
            return Err(opencv::Error::new(
                opencv::core::StsBadArg,
                "expected a non-empty 8-bit one-channel picture",
            ));
        }
        let stride = m.step1(0)?;
        // SAFETY: a Mat's data holds `rows` rows of `step` bytes (the last may end at its
        // width); the slice borrows `m`, which keeps that memory alive and unchanged.
        let data = unsafe { std::slice::from_raw_parts(m.data(), stride * (rows - 1) + width) };
        Ok(Plane {
            data,
            stride,
            width,
        })
    }

    #[inline(always)]
    fn row(&self, y: usize) -> &'a [u8] {
        &self.data[y * self.stride..y * self.stride + self.width]
    }
}

/// Elements of a 16-bit plane in one 64-byte cache line.
const LINE_U16: usize = 32;
/// How far ahead of their reads the passes over whole planes fetch, in elements.
const AHEAD: usize = 2048;

/// Asks the CPU to start loading the cache line holding `s[i]`, if there is one.
///
/// The noise map is read every other frame (`learn_deviation`) and every eighth
/// (`threshold_map`), and the decoder's work in between pushes it out of the core's cache:
/// most of those passes' time went to waiting for its loads (`perf annotate`), which the
/// hardware prefetcher did not hide. Fetched 4 KiB ahead, on a 720p30 camera the first's
/// CPU samples fell by about half and the second's by about three quarters
/// (docs/operations.md). The frame and the background, read
/// every frame, gained nothing measurable from the same, so they are left to the hardware.
/// Only a hint, and a no-op where the instruction is not available here (aarch64 builds).
#[inline(always)]
fn prefetch<T>(s: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if i < s.len() {
        // SAFETY: only a hint, for an address inside the slice; nothing is read.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(s.as_ptr().add(i).cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (s, i);
}

/// Reusable row buffers; one per detector.
#[derive(Default)]
pub struct Prep {
    /// One downscaled row: box sums of `factor` x `factor` frame pixels.
    boxed: Vec<u16>,
    /// Three horizontally smoothed rows, used as a ring (row r lives at r % 3).
    smooth: Vec<u16>,
}

/// The downscale factors the fused pass handles (a whole number of frame pixels per
/// processing pixel, and sums that fit 16 bits).
pub fn fused_factor(frame_w: i32, frame_h: i32, proc_w: i32, proc_h: i32) -> Option<usize> {
    [1, 2, 4]
        .into_iter()
        .find(|&f| proc_w * f == frame_w && proc_h * f == frame_h && proc_w >= 2 && proc_h >= 2)
        .map(|f| f as usize)
}

/// The background comparison the sweep also does, row by row.
pub struct Compare<'a> {
    /// The background, in `STEP`ths of a step.
    pub bg: &'a [u16],
    pub thr: &'a [u8],
    /// Takes the pixels whose rise over the background is above their threshold (started
    /// by the caller).
    pub changes: &'a mut Changes,
}

impl Prep {
    /// Downscales `luma` by `factor` and smooths it into `small` (processing size, packed
    /// rows); with `cmp`, also fills its changes. Returns the number of changed pixels.
    pub fn run(
        &mut self,
        luma: &Mat,
        factor: usize,
        small: &mut [u8],
        cmp: Option<Compare<'_>>,
    ) -> opencv::Result<usize> {
        sweep(self, luma, factor, small, cmp)
    }
}

simd! {
    fn sweep(
        prep: &mut Prep,
        luma: &Mat,
        factor: usize,
        small: &mut [u8],
        cmp: Option<Compare<'_>>
    ) -> opencv::Result<usize> = sweep_impl
}

#[inline(always)]
fn sweep_impl(
    prep: &mut Prep,
    luma: &Mat,
    factor: usize,
    small: &mut [u8],
    mut cmp: Option<Compare<'_>>,
) -> opencv::Result<usize> {
    let plane = Plane::of(luma)?;
    let w = luma.cols() as usize / factor;
    let h = luma.rows() as usize / factor;
    debug_assert_eq!(small.len(), w * h);
    prep.boxed.resize(w, 0);
    prep.smooth.resize(3 * w, 0);
    let mut changed = 0;
    let mut ready = 0; // Smoothed rows made so far.
    for y in 0..h {
        // Rows y-1, y, y+1, mirrored at the edges as OpenCV's BORDER_REFLECT_101 does.
        let up = if y == 0 { 1 } else { y - 1 };
        let down = if y + 1 == h { h - 2 } else { y + 1 };
        while ready <= down.max(y) {
            prep.smooth_row(&plane, factor, ready);
            ready += 1;
        }
        let row = |r: usize| &prep.smooth[(r % 3) * w..(r % 3) * w + w];
        let (a, b, c) = (row(up), row(y), row(down));
        let out = &mut small[y * w..(y + 1) * w];
        for x in 0..w {
            // The Gaussian's weights sum to 16; +8 rounds.
            out[x] = ((a[x] + 2 * b[x] + c[x] + 8) >> 4) as u8;
        }
        if let Some(cmp) = cmp.as_mut() {
            let r = y * w..(y + 1) * w;
            let n = compare_row(out, &cmp.bg[r.clone()], &cmp.thr[r], cmp.changes.row_mut());
            cmp.changes.keep_row(y, n);
            changed += n;
        }
    }
    Ok(changed)
}

impl Prep {
    /// Box-sums frame rows `r*factor..` into one row and smooths it horizontally into slot r % 3.
    #[inline(always)]
    fn smooth_row(&mut self, luma: &Plane<'_>, factor: usize, r: usize) {
        let w = self.boxed.len();
        let y0 = r * factor;
        match factor {
            1 => box_row::<1>(&[luma.row(y0)], &mut self.boxed),
            2 => box_row::<2>(&[luma.row(y0), luma.row(y0 + 1)], &mut self.boxed),
            _ => box_row::<4>(
                &[
                    luma.row(y0),
                    luma.row(y0 + 1),
                    luma.row(y0 + 2),
                    luma.row(y0 + 3),
                ],
                &mut self.boxed,
            ),
        }
        if factor > 1 {
            // The block's average, rounded, as resize(INTER_AREA) gives it.
            let bits = 2 * factor.trailing_zeros();
            let half = 1u16 << (bits - 1);
            for v in self.boxed.iter_mut() {
                *v = (*v + half) >> bits;
            }
        }
        let b = &self.boxed;
        let out = &mut self.smooth[(r % 3) * w..(r % 3) * w + w];
        out[0] = 2 * b[0] + 2 * b[1];
        out[w - 1] = 2 * b[w - 1] + 2 * b[w - 2];
        let (l, m, n) = (&b[..w - 2], &b[1..w - 1], &b[2..w]);
        let mid = &mut out[1..w - 1];
        for x in 0..w - 2 {
            mid[x] = l[x] + 2 * m[x] + n[x];
        }
    }
}

/// Sums each F x F block of the frame rows into one value. Eight pixels are read as one
/// little-endian word and summed in its lanes with masks and shifts (SIMD within a register):
/// byte-by-byte, this loop alone cost more than the rest of the detector.
#[inline(always)]
fn box_row<const F: usize>(rows: &[&[u8]; F], out: &mut [u16]) {
    const BYTES: u64 = 0x00ff_00ff_00ff_00ff;
    const WORDS: u64 = 0x0000_ffff_0000_ffff;
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().expect("8-byte chunk"));
    let w = out.len();
    // Outputs per 8-byte word, and how many outputs the words cover.
    let per = 8 / F;
    let whole = w / per * per;
    match F {
        1 => {
            for (o, &p) in out.iter_mut().zip(&rows[0][..w]) {
                *o = p as u16;
            }
            return;
        }
        2 => {
            let (a, b) = (&rows[0][..2 * whole], &rows[1][..2 * whole]);
            for ((o, pa), pb) in out[..whole]
                .chunks_exact_mut(4)
                .zip(a.chunks_exact(8))
                .zip(b.chunks_exact(8))
            {
                let (p, q) = (word(pa), word(pb));
                // Four 16-bit lanes, each the sum of two pixels of each row.
                let s = (p & BYTES) + ((p >> 8) & BYTES) + (q & BYTES) + ((q >> 8) & BYTES);
                o.copy_from_slice(&[
                    s as u16,
                    (s >> 16) as u16,
                    (s >> 32) as u16,
                    (s >> 48) as u16,
                ]);
            }
        }
        _ => {
            out[..whole].fill(0);
            for r in rows {
                for (o, p) in out[..whole]
                    .chunks_exact_mut(2)
                    .zip(r[..4 * whole].chunks_exact(8))
                {
                    let p = word(p);
                    let pairs = (p & BYTES) + ((p >> 8) & BYTES);
                    // Two 32-bit lanes, each the sum of four pixels.
                    let s = (pairs & WORDS) + ((pairs >> 16) & WORDS);
                    o[0] += s as u16;
                    o[1] += (s >> 32) as u16;
                }
            }
        }
    }
    // The last few outputs, when the width is not a multiple of `per`.
    for (x, o) in out.iter_mut().enumerate().skip(whole) {
        *o = rows
            .iter()
            .flat_map(|r| &r[x * F..x * F + F])
            .map(|&p| p as u16)
            .sum();
    }
}

simd! {
    /// Compares a picture `width` pixels wide with the background, row by row, into
    /// `changes` (started by the caller): a pixel changed where now - bg > thr (never where
    /// darker), `bg` in `STEP`ths of a step and rounded. Returns how many changed.
    pub fn compare(now: &[u8], bg: &[u16], thr: &[u8], width: usize, changes: &mut Changes) -> usize
        = compare_rows
}

#[inline(always)]
fn compare_rows(now: &[u8], bg: &[u16], thr: &[u8], width: usize, changes: &mut Changes) -> usize {
    let mut changed = 0;
    for (y, ((now, bg), thr)) in now
        .chunks_exact(width)
        .zip(bg.chunks_exact(width))
        .zip(thr.chunks_exact(width))
        .enumerate()
    {
        let n = compare_row(now, bg, thr, changes.row_mut());
        changes.keep_row(y, n);
        changed += n;
    }
    changed
}

/// mask = 255 where now - bg > thr (0 where darker). Returns how many are set.
#[inline(always)]
fn compare_row(now: &[u8], bg: &[u16], thr: &[u8], mask: &mut [u8]) -> usize {
    let len = now.len();
    let (bg, thr, mask) = (&bg[..len], &thr[..len], &mut mask[..len]);
    for x in 0..len {
        let rise = now[x].saturating_sub(whole_steps(bg[x]));
        mask[x] = if rise > thr[x] { 255 } else { 0 };
    }
    // Counted apart, eight bytes at a time: counting in the loop above widens every byte.
    let words = mask.chunks_exact(8);
    let rest = words.remainder().iter().filter(|&&m| m != 0).count();
    let ones = 0x0101_0101_0101_0101u64;
    words.fold(rest, |n, w| {
        let set = u64::from_le_bytes(w.try_into().expect("8 bytes")) & ones;
        // The multiply sums the eight bytes into the top one.
        n + (set.wrapping_mul(ones) >> 56) as usize
    })
}

/// One luma step in the detector's 16-bit planes, the background and the noise map: they
/// hold 1/256ths of a step, half the memory of floats (1 MiB each at 1080p). At the
/// background's rate (2 / (background_s x fps)) a pixel moves by a unit once it is 0.05 of
/// a step off (0.3 with a background_s of 10 s), at the noise map's (1 / fps) once it is
/// 0.06 off; both are used rounded to whole steps. (On the quality sets they found as
/// many meteors, clip by clip, as float planes, and no false one.)
pub const STEP: u16 = 1 << STEP_BITS;
const STEP_BITS: u32 = 8;

/// A 16-bit plane's value in whole luma steps, rounding half up. The background is only
/// ever read so: rounding it where it is read cost no CPU that a side-by-side run could
/// see, and a rounded copy of it would take half a MiB at 1080p.
#[inline(always)]
pub fn whole_steps(v: u16) -> u8 {
    // In u16, so it vectorises; saturating, so even `EXCLUDED` gives 255.
    (v.saturating_add(STEP >> 1) >> STEP_BITS) as u8
}

/// A pixel outside the watched sky, in the noise map (above any deviation, 255 x STEP):
/// the keep mask lives there rather than in a plane of its own.
pub const EXCLUDED: u16 = u16::MAX;

simd! {
    /// Moves the background `bg` (in `STEP`ths of a luma step) towards `now` by `alpha`
    /// (0..=1).
    pub fn learn_background(now: &[u8], bg: &mut [u16], alpha: f32) = learn_background_impl
}

#[inline(always)]
fn learn_background_impl(now: &[u8], bg: &mut [u16], alpha: f32) {
    let bg = &mut bg[..now.len()];
    let rate = q15(alpha);
    for (b, &n) in bg.iter_mut().zip(now) {
        *b = towards(*b as i32, (n as i32) << STEP_BITS, rate) as u16;
    }
}

/// A rate in 0..=1 as a Q15 multiplier: the largest step, 255 x STEP, times it stays
/// within an i32.
fn q15(rate: f32) -> i32 {
    (rate.clamp(0.0, 1.0) * 32768.0).round() as i32
}

/// `v` moved towards `target` by a Q15 `rate`, rounded to the nearest unit: between the
/// two, so a value in 0..=255 x STEP stays there.
#[inline(always)]
fn towards(v: i32, target: i32, rate: i32) -> i32 {
    v + (((target - v) * rate + (1 << 14)) >> 15)
}

/// A noise map's first values: a step where `keep` (0 or 255) watches, `EXCLUDED` elsewhere.
pub fn start_noise_map(keep: &[u8], dev: &mut [u16]) {
    for (d, &k) in dev.iter_mut().zip(keep) {
        *d = if k != 0 { STEP } else { EXCLUDED };
    }
}

simd! {
    /// Moves the per-pixel mean absolute deviation `dev` (in `STEP`ths of a step)
    /// towards |now - bg| (`bg` also in `STEP`ths, rounded) by `beta` (0..=1), rounding
    /// to the nearest unit. `EXCLUDED` pixels stay so.
    pub fn learn_deviation(now: &[u8], bg: &[u16], dev: &mut [u16], beta: f32)
        = learn_deviation_impl
}

#[inline(always)]
fn learn_deviation_impl(now: &[u8], bg: &[u16], dev: &mut [u16], beta: f32) {
    let len = now.len();
    let (bg, dev) = (&bg[..len], &mut dev[..len]);
    let rate = q15(beta);
    for line in (0..len).step_by(LINE_U16) {
        // Read once every other frame, the noise map is out of the core's cache by now.
        prefetch(dev, line + AHEAD);
        for x in line..(line + LINE_U16).min(len) {
            let target = (now[x].abs_diff(whole_steps(bg[x])) as i32) << STEP_BITS;
            let next = towards(dev[x] as i32, target, rate) as u16;
            dev[x] = if dev[x] == EXCLUDED { EXCLUDED } else { next };
        }
    }
}

simd! {
    /// The per-pixel threshold map: `gain` times each pixel's deviation, the deviation never
    /// taken below half the sky's mean (smoothed, compressed patches would otherwise get
    /// thresholds of a luma step or two), the threshold never below `min_thr`, and 255
    /// (never exceeded) where `dev` is `EXCLUDED`. `dev` is in `STEP`ths of a step.
    /// Returns the mean deviation over the watched pixels, in steps.
    pub fn threshold_map(dev: &[u16], gain: f32, min_thr: u8, thr: &mut [u8]) -> f64
        = threshold_map_impl
}

#[inline(always)]
fn threshold_map_impl(dev: &[u16], gain: f32, min_thr: u8, thr: &mut [u8]) -> f64 {
    let len = dev.len();
    let thr = &mut thr[..len];
    // Eight running sums, so the loop vectorises (one sum would be a serial chain), of
    // selects, not branches. 64-bit lanes: at SCALE 1 a lane's sum passes 2^32.
    let mut sums = [0u64; 8];
    let mut kept = [0u32; 8];
    for (n, line) in dev.chunks_exact(LINE_U16).enumerate() {
        prefetch(dev, n * LINE_U16 + AHEAD);
        for d in line.chunks_exact(8) {
            for i in 0..8 {
                let watched = d[i] != EXCLUDED;
                sums[i] += if watched { d[i] as u64 } else { 0 };
                kept[i] += watched as u32;
            }
        }
    }
    let tail = len / LINE_U16 * LINE_U16;
    let mut sum: u64 = sums.iter().sum();
    let mut kept: u64 = kept.iter().map(|&k| k as u64).sum();
    for &d in dev[tail..].iter().filter(|&&d| d != EXCLUDED) {
        sum += d as u64;
        kept += 1;
    }
    let mean = if kept == 0 {
        0.0
    } else {
        sum as f64 / kept as f64 / STEP as f64
    };
    let floor = (0.5 * mean * STEP as f64) as f32;
    let scale = gain / STEP as f32;
    // Float lanes and byte lanes in separate loops: mixed, neither vectorises well.
    for x in 0..len {
        // Rounds as OpenCV's convertTo(scale, +0.5) did; clamped, so the cast is exact.
        let t = ((dev[x] as f32).max(floor) * scale + 1.0).clamp(0.0, 255.0);
        // SAFETY: t is finite and within 0..=255 after the clamp.
        thr[x] = unsafe { t.to_int_unchecked::<i32>() } as u8;
    }
    for x in 0..len {
        let excluded = ((dev[x] == EXCLUDED) as u8).wrapping_neg();
        thr[x] = thr[x].max(min_thr) | excluded;
    }
    mean
}

#[cfg(test)]
mod tests;
