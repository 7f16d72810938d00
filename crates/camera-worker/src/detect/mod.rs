//! Per-frame detection: the luma plane in, candidate objects out.
//!
//! Each frame is downscaled (pyrDown averages noise away and quarters the work), compared
//! with a slowly adapting background, and thresholded per pixel at `k_sigma` times that
//! pixel's own measured noise (never below `min_threshold`), so twinkling stars, noisy
//! moonlit sky and compression-smoothed flat sky each get the threshold they need. Changed
//! pixels are grouped into connected components: the candidates. A frame in which a large
//! share of the sky changes at once is a flash (lightning, clouds lit up, a gain jump): it
//! yields no candidates, does not teach the background, and holds detection off briefly.
//!
//! The buffers are allocated once; a frame costs two sweeps over memory (see `prep`).

pub mod components;
pub mod mask;
pub mod prep;

use meteor_core::DetectionParams;
use opencv::core::{self, Mat, Scalar, Size, CV_16U, CV_8UC1};
use opencv::imgproc;
use opencv::prelude::*;

/// An object seen in one frame. Positions and sizes are full-resolution pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub x: f32,
    pub y: f32,
    /// Half the bounding box, for gating and for the track's extent along its path.
    pub half_w: f32,
    pub half_h: f32,
    /// Changed pixels at processing scale.
    pub area: u32,
    /// Bounding-box area at processing scale.
    pub bbox_area: u32,
    /// Brightest rise over the background, in luma units.
    pub peak: f32,
    /// Noise standard deviation where the peak is, in luma units.
    pub noise: f32,
    /// Whether it borders on the mask: the rest of it may lie in the masked area, unseen.
    pub at_mask: bool,
}

/// What one frame produced.
#[derive(Debug)]
pub struct FrameOutcome<'a> {
    pub candidates: &'a [Candidate],
    pub flash: bool,
    /// Share of the watched sky above threshold.
    pub changed_ratio: f32,
    /// True while the background is still being learnt (first second) or after a flash.
    pub suppressed: bool,
}

/// A cap that keeps a noise storm from flooding the tracker.
const MAX_CANDIDATES: usize = 64;
/// Pieces of one faint streak with a one-pixel gap between them are joined into one.
const MERGE_REACH: i32 = 2;
/// Above this many components in a frame, pieces are not joined (a noise storm).
const MERGE_MAX_BLOBS: usize = 400;
/// Frames between refreshes of the per-pixel threshold map.
const THRESHOLD_EVERY: u64 = 8;
/// Mean absolute deviation to standard deviation, for Gaussian noise.
const MAD_TO_SIGMA: f64 = 1.2533;
/// Components per frame a clear sky should stay under; more and the threshold rises.
const TARGET_DENSITY: f64 = 6.0;
/// How far the learnt gain may raise the threshold above `k_sigma`.
const MAX_GAIN: f64 = 3.0;

pub struct Detector {
    p: DetectionParams,
    fps: f64,
    proc: Size,
    /// Full-resolution pixels per processing pixel.
    to_full: f32,
    active_pixels: f64,
    /// The frame's downscale factor when the fused sweep handles it (see `prep`).
    fused: Option<usize>,
    prep: prep::Prep,
    small: Mat,
    half: Mat,
    /// The background, in `prep::STEP`ths of a luma step (read rounded: `prep::whole_steps`).
    bg16: Mat,
    /// The noise map, in `prep::STEP`ths of a luma step; `prep::EXCLUDED` outside the
    /// keep mask (the mask has no plane of its own).
    dev16: Mat,
    thr8: Mat,
    components: components::Components,
    /// Runs the comparison keeps before labelling compares again (`MAX_KEPT_RUNS`).
    kept_runs: usize,
    noise_floor: f64,
    /// Threshold multiplier learnt from how many objects the sky throws up per frame: noise
    /// that is not Gaussian (analog cameras, compression) breeds candidates at any k_sigma.
    gain: f64,
    /// Components per frame, smoothed over about a second.
    density: f64,
    frames: u64,
    warmup_frames: u64,
    holdoff_until: f64,
    flash_since: Option<f64>,
    last_flash_t: f64,
    flashes: u64,
    /// Frames taken for scene cuts (see `DetectionParams::scene_cut_candidates`).
    scene_cuts: u64,
    candidates: Vec<Candidate>,
}

impl Detector {
    /// A detector for frames of `width` x `height` arriving at `fps`.
    pub fn new(
        params: DetectionParams,
        width: u32,
        height: u32,
        fps: f64,
        mask_image: Option<&mask::MaskImage>,
    ) -> Result<Detector, mask::MaskError> {
        let proc = processing_size(width, height, params.scale);
        let keep = mask::build(proc, mask_image, params.exclude_bottom, params.exclude_edge)?;
        let active_pixels = core::count_non_zero(&keep)?.max(1) as f64;
        let mut dev16 = Mat::new_size_with_default(proc, CV_16U, Scalar::all(0.0))?;
        prep::start_noise_map(keep.data_bytes()?, dev16.data_typed_mut::<u16>()?);
        let zeros = || Mat::new_size_with_default(proc, CV_8UC1, Scalar::all(0.0));
        let fps = if fps.is_finite() && fps > 1.0 {
            fps
        } else {
            25.0
        };
        Ok(Detector {
            p: params,
            fps,
            proc,
            to_full: width as f32 / proc.width as f32,
            active_pixels,
            fused: prep::fused_factor(width as i32, height as i32, proc.width, proc.height),
            prep: prep::Prep::default(),
            // Made on first use: streams the ingest shrinks never need it.
            small: Mat::default(),
            half: Mat::default(),
            bg16: Mat::default(),
            dev16,
            thr8: zeros()?,
            components: components::Components::default(),
            kept_runs: components::MAX_KEPT_RUNS,
            noise_floor: 0.0,
            gain: 1.0,
            density: 0.0,
            frames: 0,
            warmup_frames: fps.ceil() as u64,
            holdoff_until: f64::NEG_INFINITY,
            flash_since: None,
            last_flash_t: f64::NEG_INFINITY,
            flashes: 0,
            scene_cuts: 0,
            candidates: Vec::with_capacity(MAX_CANDIDATES),
        })
    }

    pub fn processing_size(&self) -> Size {
        self.proc
    }

    /// Flash events so far (flash frames closer than the hold-off count once).
    pub fn scene_cuts(&self) -> u64 {
        self.scene_cuts
    }

    pub fn flashes(&self) -> u64 {
        self.flashes
    }

    /// Mean noise standard deviation over the watched sky, in luma units.
    pub fn noise_sigma(&self) -> f64 {
        self.noise_floor
    }

    /// Processes one frame's luma plane (full resolution), `t` seconds into the stream.
    pub fn process(&mut self, luma: &Mat, t: f64) -> opencv::Result<FrameOutcome<'_>> {
        self.process_input(Input::Luma(luma), t)
    }

    /// Whether `process_shrunk` takes a `width` x `height` picture shrunk by `factor`.
    pub fn takes_shrunk(&self, width: u32, height: u32, factor: usize) -> bool {
        self.fused == Some(factor)
            && self.proc.width == width as i32
            && self.proc.height == height as i32
    }

    /// Processes a frame already shrunk by the stream (`ingest::Shrink`), which made it as
    /// this detector would (see `takes_shrunk`).
    pub fn process_shrunk(&mut self, small: &[u8], t: f64) -> opencv::Result<FrameOutcome<'_>> {
        self.process_input(Input::Shrunk(small), t)
    }

    fn process_input(&mut self, input: Input<'_>, t: f64) -> opencv::Result<FrameOutcome<'_>> {
        self.candidates.clear();
        let compare = self.frames > 0;
        let (flash, changed_ratio, suppressed) = match input {
            // The stream's picture is used where it lies: copying it into `small` cost as
            // much as comparing it.
            Input::Shrunk(now) => {
                if now.len() != self.proc.area() as usize {
                    return Err(opencv::Error::new(
                        core::StsBadSize,
                        format!(
                            "shrunk frame of {} pixels, expected {}",
                            now.len(),
                            self.proc.area()
                        ),
                    ));
                }
                let changed = if compare {
                    let changes = self.components.changes_mut();
                    changes.start(self.proc.width as usize, self.kept_runs);
                    prep::compare(
                        now,
                        self.bg16.data_typed::<u16>()?,
                        self.thr8.data_bytes()?,
                        self.proc.width as usize,
                        changes,
                    )
                } else {
                    0
                };
                self.judge(now, changed, t)?
            }
            Input::Luma(luma) => {
                let changed = self.sweep(luma, compare)?;
                // Lent out for the call, so the rest can read it while `self` changes.
                let small = std::mem::take(&mut self.small);
                let judged = small
                    .data_bytes()
                    .and_then(|now| self.judge(now, changed, t));
                self.small = small;
                judged?
            }
        };
        Ok(FrameOutcome {
            candidates: &self.candidates,
            flash,
            changed_ratio,
            suppressed,
        })
    }

    /// Everything after the comparison: flashes, candidates, learning. `now` is the frame at
    /// processing size and `changed` its pixels above threshold. Returns (flash, changed
    /// ratio, suppressed).
    fn judge(&mut self, now: &[u8], changed: usize, t: f64) -> opencv::Result<(bool, f32, bool)> {
        if self.frames == 0 {
            self.reset_background(now)?;
            self.refresh_threshold()?;
            self.frames = 1;
            return Ok((false, 0.0, true));
        }

        let changed = changed as f64;
        let ratio = (changed / self.active_pixels) as f32;
        let warming = self.frames < self.warmup_frames;

        // The background settles within a few frames; flashes count from then on.
        let flash = self.frames > 5 && ratio > self.p.flash_ratio;
        if flash {
            if t - self.last_flash_t > self.p.flash_holdoff_s as f64 {
                self.flashes += 1;
            }
            self.last_flash_t = t;
            self.holdoff_until = t + self.p.flash_holdoff_s as f64;
            let since = *self.flash_since.get_or_insert(t);
            if t - since > 1.0 {
                // Not a flash but a new level (gain switch, lights on): adopt it.
                self.reset_background(now)?;
                self.flash_since = None;
            }
        } else {
            self.flash_since = None;
        }
        let mut suppressed = warming || t < self.holdoff_until;
        if !flash && changed > 0.0 {
            let found = self.extract_candidates(now)?;
            let usual = self.density;
            self.density += (found as f64 - self.density) * (2.0 / self.fps).min(1.0);
            // A scene cut: many separate changes at once where few are usual.
            if !warming
                && found >= self.p.scene_cut_candidates as usize
                && found as f64 > 4.0 * usual + 4.0
            {
                tracing::debug!(t, found, usual, "scene cut: background restarted");
                // The new scene is the new background.
                self.reset_background(now)?;
                self.holdoff_until = t + self.p.flash_holdoff_s as f64;
                self.scene_cuts += 1;
                suppressed = true;
            }
            if suppressed {
                self.candidates.clear();
            }
        } else if !flash {
            self.density -= self.density * (2.0 / self.fps).min(1.0);
        }
        if !flash {
            self.learn(now, warming)?;
        }
        self.frames += 1;
        Ok((flash, ratio, suppressed))
    }

    /// Brings the full frame to processing size and smooths it into `small`; with `compare`,
    /// also takes its changes against the background. Returns the changed pixels.
    fn sweep(&mut self, luma: &Mat, compare: bool) -> opencv::Result<usize> {
        let fused = self.fused;
        if fused.is_none() {
            self.downscale_opencv(luma)?;
        } else if self.small.empty() {
            self.small = Mat::new_size_with_default(self.proc, CV_8UC1, Scalar::all(0.0))?;
        }
        let width = self.proc.width as usize;
        let cmp = if compare {
            let changes = self.components.changes_mut();
            changes.start(width, self.kept_runs);
            Some(prep::Compare {
                bg: self.bg16.data_typed::<u16>()?,
                thr: self.thr8.data_bytes()?,
                changes,
            })
        } else {
            None
        };
        let small = self.small.data_bytes_mut()?;
        match fused {
            Some(f) => self.prep.run(luma, f, small, cmp),
            None => Ok(cmp.map_or(0, |c| prep::compare(small, c.bg, c.thr, width, c.changes))),
        }
    }

    /// The general path, for scales the fused sweep does not handle: an area average then a
    /// 3x3 Gaussian (together close to `pyrDown`'s smoothing, which keeps faint 1-2 px
    /// streaks above the noise).
    fn downscale_opencv(&mut self, luma: &Mat) -> opencv::Result<()> {
        imgproc::resize(
            luma,
            &mut self.half,
            self.proc,
            0.0,
            0.0,
            imgproc::INTER_AREA,
        )?;
        imgproc::gaussian_blur(
            &self.half,
            &mut self.small,
            Size::new(3, 3),
            0.0,
            0.0,
            core::BORDER_DEFAULT,
        )
    }

    /// Makes the current frame the background.
    fn reset_background(&mut self, now: &[u8]) -> opencv::Result<()> {
        if self.bg16.empty() {
            self.bg16 = Mat::new_size_with_default(self.proc, CV_16U, Scalar::all(0.0))?;
        }
        for (b, &v) in self.bg16.data_typed_mut::<u16>()?.iter_mut().zip(now) {
            *b = v as u16 * prep::STEP;
        }
        Ok(())
    }

    /// Teaches the background and the noise map the current frame.
    fn learn(&mut self, now: &[u8], warming: bool) -> opencv::Result<()> {
        let frames_const = if warming {
            4.0
        } else {
            (self.p.background_s as f64 * self.fps).max(2.0)
        };
        // Every other frame, at twice the rate: same time constant, half the cost. Every
        // fourth frame at four times the rate lost 2 of 94 meteors in scripts/bench/quality
        // and added a false alarm on a real recording.
        if self.frames.is_multiple_of(2) || warming {
            let alpha = (if warming { 1.0 } else { 2.0 } / frames_const).min(1.0);
            prep::learn_background(now, self.bg16.data_typed_mut::<u16>()?, alpha as f32);
        } else {
            let beta = (1.0 / self.fps).min(1.0);
            prep::learn_deviation(
                now,
                self.bg16.data_typed::<u16>()?,
                self.dev16.data_typed_mut::<u16>()?,
                beta as f32,
            );
        }
        if warming || self.frames.is_multiple_of(THRESHOLD_EVERY) {
            self.refresh_threshold()?;
        }
        Ok(())
    }

    /// Rebuilds the per-pixel threshold: k sigma of the pixel's noise, at least the floor.
    fn refresh_threshold(&mut self) -> opencv::Result<()> {
        if self.density > TARGET_DENSITY {
            self.gain = (self.gain * 1.08).min(MAX_GAIN);
        } else if self.density < TARGET_DENSITY / 4.0 {
            self.gain = (self.gain / 1.03).max(1.0);
        }
        let gain = self.p.k_sigma as f64 * MAD_TO_SIGMA * self.gain;
        let min_thr = self.p.min_threshold.round().clamp(0.0, 255.0) as u8;
        let mean_dev = prep::threshold_map(
            self.dev16.data_typed::<u16>()?,
            gain as f32,
            min_thr,
            self.thr8.data_bytes_mut()?,
        );
        self.noise_floor = mean_dev * MAD_TO_SIGMA;
        Ok(())
    }

    /// Fills `candidates`; returns how many components passed the size test.
    fn extract_candidates(&mut self, now: &[u8]) -> opencv::Result<usize> {
        let s = self.to_full;
        let mut found = 0;
        // The rise over the background, as compared: `learn` has not moved it yet.
        let (bg, width) = (self.bg16.data_typed::<u16>()?, self.proc.width as usize);
        let height = self.proc.height as usize;
        if !self.components.changes_mut().complete() {
            // Too many runs to keep while comparing: compare again, keeping them all.
            let changes = self.components.changes_mut();
            changes.start(width, usize::MAX);
            prep::compare(now, bg, self.thr8.data_bytes()?, width, changes);
        }
        self.components
            .label_changes(width, height, now, Some(bg))?;
        let dev = self.dev16.data_typed::<u16>()?;
        for b in self.components.merge_close(MERGE_REACH, MERGE_MAX_BLOBS) {
            if b.area < self.p.min_area {
                continue;
            }
            found += 1;
            let dev_at_peak = dev[b.peak_y as usize * width + b.peak_x as usize];
            let dev_at_peak = dev_at_peak as f64 / prep::STEP as f64;
            let noise =
                (dev_at_peak.max(0.5 * self.noise_floor / MAD_TO_SIGMA) * MAD_TO_SIGMA).max(0.5);
            let (cx, cy) = b.centroid();
            self.candidates.push(Candidate {
                x: (cx as f32 + 0.5) * s - 0.5,
                y: (cy as f32 + 0.5) * s - 0.5,
                half_w: b.width() as f32 * s * 0.5,
                half_h: b.height() as f32 * s * 0.5,
                area: b.area,
                bbox_area: (b.width() * b.height()) as u32,
                peak: b.peak as f32,
                noise: noise as f32,
                at_mask: borders_on_mask(dev, width, height, b),
            });
        }
        if self.candidates.len() > MAX_CANDIDATES {
            self.candidates
                .sort_by(|a, b| (b.peak * b.area as f32).total_cmp(&(a.peak * a.area as f32)));
            self.candidates.truncate(MAX_CANDIDATES);
        }
        Ok(found)
    }
}

/// Whether a pixel next to the blob's box (its ring one pixel out, inside the frame) is
/// masked: the noise map marks masked pixels `prep::EXCLUDED`.
fn borders_on_mask(dev: &[u16], width: usize, height: usize, b: &components::Blob) -> bool {
    let clamp = |v: i32, n: usize| v.clamp(0, n as i32 - 1) as usize;
    let (x0, x1) = (clamp(b.left - 1, width), clamp(b.right + 1, width));
    let (y0, y1) = (clamp(b.top - 1, height), clamp(b.bottom + 1, height));
    let masked = |x: usize, y: usize| dev[y * width + x] == prep::EXCLUDED;
    (x0..=x1).any(|x| masked(x, y0) || masked(x, y1))
        || (y0..=y1).any(|y| masked(x0, y) || masked(x1, y))
}

/// A frame as the detector gets it.
#[derive(Clone, Copy)]
enum Input<'a> {
    /// The full-resolution luma plane.
    Luma(&'a Mat),
    /// Already at processing size (see `Detector::process_shrunk`).
    Shrunk(&'a [u8]),
}

/// The size the detector works at: `scale` of the frame, rounded to whole pixels.
pub fn processing_size(width: u32, height: u32, scale: f32) -> Size {
    let s = scale.clamp(0.1, 1.0);
    let (w, h) = (width as i32, height as i32);
    if (s - 0.5).abs() < 1e-3 && w % 2 == 0 && h % 2 == 0 {
        Size::new(w / 2, h / 2)
    } else if (s - 0.25).abs() < 1e-3 && w % 4 == 0 && h % 4 == 0 {
        Size::new(w / 4, h / 4)
    } else {
        Size::new(
            ((w as f32 * s).round() as i32).max(16),
            ((h as f32 * s).round() as i32).max(16),
        )
    }
}

#[cfg(test)]
mod tests;
