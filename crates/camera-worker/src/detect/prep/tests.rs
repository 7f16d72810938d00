//! The fused passes against the OpenCV calls they replace, and on hand-made rows.

use super::*;
use crate::detect::components::{Components, MAX_KEPT_RUNS};
use opencv::core::{self, Scalar, Size, CV_8UC1};
use opencv::imgproc;

fn random(rows: i32, cols: i32, seed: i32) -> Mat {
    core::set_rng_seed(seed).unwrap();
    let mut m = Mat::new_rows_cols_with_default(rows, cols, CV_8UC1, Scalar::all(0.0)).unwrap();
    core::randu(&mut m, &Scalar::all(0.0), &Scalar::all(256.0)).unwrap();
    m
}

/// What the separate OpenCV passes give.
fn reference(luma: &Mat, f: i32) -> Mat {
    let size = Size::new(luma.cols() / f, luma.rows() / f);
    let mut half = Mat::default();
    imgproc::resize(luma, &mut half, size, 0.0, 0.0, imgproc::INTER_AREA).unwrap();
    let mut out = Mat::default();
    imgproc::gaussian_blur(
        &half,
        &mut out,
        Size::new(3, 3),
        0.0,
        0.0,
        core::BORDER_DEFAULT,
    )
    .unwrap();
    out
}

#[test]
fn the_fused_pass_matches_area_resize_then_gaussian() {
    for (f, rows, cols) in [
        (1, 17, 33),
        (2, 36, 70),
        (4, 72, 136),
        (2, 4, 4),
        (4, 8, 12),
    ] {
        let luma = random(rows, cols, f * 7 + rows);
        let want = reference(&luma, f);
        let mut small = vec![0u8; (rows / f * (cols / f)) as usize];
        Prep::default()
            .run(&luma, f as usize, &mut small, None)
            .unwrap();
        let got = Mat::new_rows_cols_with_data(rows / f, cols / f, &small).unwrap();
        let mut d = Mat::default();
        core::absdiff(&want, &got, &mut d).unwrap();
        let mut max = 0.0;
        core::min_max_loc(&d, None, Some(&mut max), None, None, &core::no_array()).unwrap();
        // Exact at the usual scales; OpenCV's 4x4 average rounds a little differently.
        let allowed = if f == 4 { 1.0 } else { 0.0 };
        assert!(max <= allowed, "factor {f}: off by up to {max}");
    }
}

#[test]
fn a_strided_frame_reads_only_its_pixels() {
    // A decoder's plane is often wider in memory than the picture (row padding).
    let wide = random(40, 96, 3);
    let roi = Mat::roi(&wide, core::Rect::new(0, 0, 80, 40)).unwrap();
    let mut packed = Mat::default();
    roi.copy_to(&mut packed).unwrap();
    let (mut a, mut b) = (vec![0u8; 40 * 20], vec![0u8; 40 * 20]);
    Prep::default()
        .run(&roi.try_clone().unwrap(), 2, &mut a, None)
        .unwrap();
    Prep::default().run(&packed, 2, &mut b, None).unwrap();
    assert_eq!(a, b);
}

#[test]
fn the_comparison_marks_rises_above_each_pixels_threshold() {
    let luma = Mat::new_rows_cols_with_default(8, 8, CV_8UC1, Scalar::all(50.0)).unwrap();
    // Rounded, 45, 40, 50 and 60 (half a step rounds up).
    let bg = [45.4, 39.5, 50.0, 59.6].map(units).repeat(16);
    let thr = [4u8, 10, 0, 1].repeat(16);
    let mut small = vec![0u8; 64];
    let mut comps = Components::default();
    comps.changes_mut().start(8, MAX_KEPT_RUNS);
    let cmp = Compare {
        bg: &bg,
        thr: &thr,
        changes: comps.changes_mut(),
    };
    let n = Prep::default()
        .run(&luma, 1, &mut small, Some(cmp))
        .unwrap();
    assert_eq!(n, 16);
    assert!(small.iter().all(|&v| v == 50));
    // Every row changes at x = 0 and x = 4 (50 - 45 > 4): two one-pixel runs a row, one
    // column of blobs each.
    let blobs = comps.label_changes(8, 8, &small, Some(&bg)).unwrap();
    let spans: Vec<_> = blobs
        .iter()
        .map(|b| (b.left, b.right, b.top, b.bottom, b.area))
        .collect();
    assert_eq!(spans, [(0, 0, 0, 7, 8), (4, 4, 0, 7, 8)]);

    // The whole-picture comparison finds the same; past its cap it keeps no runs and says so.
    let changes = comps.changes_mut();
    changes.start(8, MAX_KEPT_RUNS);
    assert_eq!(compare(&small, &bg, &thr, 8, changes), 16);
    assert!(changes.complete());
    changes.start(8, 15);
    assert_eq!(compare(&small, &bg, &thr, 8, changes), 16);
    assert!(!changes.complete());
}

#[test]
fn the_threshold_map_follows_each_pixels_noise_within_its_bounds() {
    let mut dev = [0.1f32, 1.0, 2.0, 100.0, 3.0, 1.0, 1.0, 1.0, 1.0, 2.0].map(units);
    dev[4] = EXCLUDED;
    let mut thr = [0u8; 10];
    let mean = threshold_map(&dev, 2.0, 3, &mut thr);
    // 0.1 is held as 26/256.
    assert!((mean - (109.0 + 26.0 / 256.0) / 9.0).abs() < 1e-6, "{mean}");
    // 0.1 is raised to half the mean (6.06): 2 x 6.06 rounds up to 13.
    assert_eq!(thr, [13, 13, 13, 201, 255, 13, 13, 13, 13, 13]);
    let mut thr = [0u8; 10];
    threshold_map(&[units(0.5); 10], 1.0, 4, &mut thr);
    assert_eq!(thr, [4; 10], "never below the floor");
}

#[test]
fn learning_moves_background_and_deviation_towards_the_frame() {
    let now = [100u8, 0, 255];
    let mut bg = [50.0f32, 10.0, 250.0].map(units);
    learn_background(&now, &mut bg, 0.5);
    assert_eq!(bg, [75.0, 5.0, 252.5].map(units));
    assert_eq!(bg.map(whole_steps), [75, 5, 253]);
    let mut dev = [STEP; 3];
    // Against the rounded background: |100 - 75|, |0 - 5|, |255 - 253|.
    learn_deviation(&now, &bg, &mut dev, 0.5);
    assert_eq!(dev, [13.0, 3.0, 1.5].map(units));
}

/// Luma steps as the background and the noise map hold them.
fn units(steps: f32) -> u16 {
    (steps * STEP as f32).round() as u16
}

#[test]
fn the_background_settles_within_a_twentieth_of_a_step_at_its_rate() {
    // 2 / (1.5 s x 30 fps): from far below and far above, in about 30 updates of the
    // time constant, each pixel ends within 12 units (0.05 of a step) of its value.
    let now: Vec<u8> = (0..16).map(|i| 17 * i as u8).collect();
    let mut bg: Vec<u16> = (0..16)
        .map(|i| if i < 8 { 0 } else { units(255.0) })
        .collect();
    for _ in 0..700 {
        learn_background(&now, &mut bg, 2.0 / 45.0);
    }
    for i in 0..16 {
        let want = units(now[i] as f32) as i32;
        assert!(
            (bg[i] as i32 - want).abs() <= 12,
            "pixel {i}: {} for {want}",
            bg[i]
        );
    }
    assert_eq!(bg.iter().map(|&b| whole_steps(b)).collect::<Vec<_>>(), now);
}

#[test]
fn the_noise_map_settles_on_a_steady_deviation_at_a_slow_rate() {
    // At one frame's rate for 30 fps the map converges to within a rounding unit of a
    // steady |now - bg| from above and below, and never overshoots.
    let bg = [units(100.0); 16];
    let now: Vec<u8> = (0..16).map(|i| 100 + (i % 5) as u8).collect();
    let mut dev = [0u16; 16];
    dev[8..].fill(units(20.0));
    for _ in 0..600 {
        learn_deviation(&now, &bg, &mut dev, 1.0 / 30.0);
    }
    for (i, &d) in dev.iter().enumerate() {
        let want = units((i % 5) as f32) as i32;
        assert!((d as i32 - want).abs() <= 16, "pixel {i}: {d} for {want}");
    }
    // The largest step at the full rate lands exactly, within u16; an unwatched pixel stays so.
    let mut dev = [0u16, u16::MAX / 2, EXCLUDED];
    learn_deviation(&[255, 0, 255], &[0, units(255.0), 0], &mut dev, 1.0);
    assert_eq!(dev, [units(255.0), units(255.0), EXCLUDED]);
}

#[test]
fn the_plane_passes_reach_every_pixel_once_however_long_the_plane() {
    // Longer than the distance the passes fetch ahead, and not a whole number of cache
    // lines: walked line by line, each pixel must get what it gets alone.
    let len = 2 * 2048 + 32 * 7 + 13;
    let now: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
    let bg: Vec<u16> = (0..len).map(|i| units((i * 11 % 256) as f32)).collect();
    let mut dev: Vec<u16> = (0..len)
        .map(|i| {
            if i % 97 == 0 {
                EXCLUDED
            } else {
                (i * 131 % 4096) as u16
            }
        })
        .collect();
    let mut alone = dev.clone();
    learn_deviation(&now, &bg, &mut dev, 0.25);
    for i in 0..len {
        learn_deviation(&now[i..=i], &bg[i..=i], &mut alone[i..=i], 0.25);
    }
    assert_eq!(dev, alone);

    let mut thr = vec![0u8; len];
    let mean = threshold_map(&dev, 2.5, 3, &mut thr);
    let watched: Vec<f64> = dev
        .iter()
        .filter(|&&d| d != EXCLUDED)
        .map(|&d| d as f64)
        .collect();
    let want_mean = watched.iter().sum::<f64>() / watched.len() as f64 / STEP as f64;
    assert!((mean - want_mean).abs() < 1e-9, "{mean} for {want_mean}");
    // Each pixel's threshold from its own deviation, the floor set by the plane's mean.
    let floor = (0.5 * mean * STEP as f64) as f32;
    for (i, &d) in dev.iter().enumerate() {
        let want = if d == EXCLUDED {
            255
        } else {
            ((d as f32).max(floor) * 2.5 / STEP as f32 + 1.0).clamp(0.0, 255.0) as u8
        };
        assert_eq!(thr[i], want.max(3), "pixel {i} (deviation {d})");
    }
}
