//! The detector on synthetic frames: noise, a moving dot, a flash, the mask.

use super::*;
use opencv::core::{Mat, Point, Scalar, CV_8UC1};

const W: i32 = 640;
const H: i32 = 360;
const FPS: f64 = 25.0;

fn noisy_frame(seed: u64, sigma: f64) -> Mat {
    core::set_rng_seed(seed as i32).unwrap();
    let mut m = Mat::new_rows_cols_with_default(H, W, CV_8UC1, Scalar::all(0.0)).unwrap();
    core::randn(&mut m, &Scalar::all(40.0), &Scalar::all(sigma)).unwrap();
    m
}

fn detector(p: DetectionParams) -> Detector {
    Detector::new(p, W as u32, H as u32, FPS, None).unwrap()
}

/// Runs `n` noise frames through the detector; returns candidates seen after warm-up.
fn settle(d: &mut Detector, n: u64) -> usize {
    let mut seen = 0;
    for i in 0..n {
        let f = noisy_frame(i, 3.0);
        let o = d.process(&f, i as f64 / FPS).unwrap();
        if !o.suppressed {
            seen += o.candidates.len();
        }
    }
    seen
}

#[test]
fn plain_noise_gives_almost_no_candidates() {
    let mut d = detector(DetectionParams::default());
    let seen = settle(&mut d, 100);
    assert!(
        seen <= 5,
        "{seen} candidates from 75 frames of Gaussian noise"
    );
    let sigma = d.noise_sigma();
    // pyrDown averages: the noise at half scale is well under the full-resolution 3.0.
    assert!(sigma > 0.5 && sigma < 3.0, "measured noise {sigma}");
}

#[test]
fn a_bright_dot_is_found_where_it_is() {
    let mut d = detector(DetectionParams::default());
    settle(&mut d, 40);
    let mut f = noisy_frame(999, 3.0);
    imgproc::circle(
        &mut f,
        Point::new(301, 121),
        3,
        Scalar::all(120.0),
        imgproc::FILLED,
        imgproc::LINE_8,
        0,
    )
    .unwrap();
    let o = d.process(&f, 40.0 / FPS).unwrap();
    assert!(!o.flash && !o.suppressed);
    let c = o
        .candidates
        .iter()
        .max_by(|a, b| a.peak.total_cmp(&b.peak))
        .expect("the dot");
    assert!(
        (c.x - 301.0).abs() < 2.0 && (c.y - 121.0).abs() < 2.0,
        "{c:?}"
    );
    assert!(c.peak > 40.0 && c.peak / c.noise > 10.0, "{c:?}");
}

#[test]
fn a_global_brightening_is_one_flash_and_no_candidates() {
    let mut d = detector(DetectionParams::default());
    settle(&mut d, 40);
    for i in 0..4 {
        let mut f = noisy_frame(500 + i, 3.0);
        let mut lit = Mat::default();
        core::add(&f, &Scalar::all(50.0), &mut lit, &core::no_array(), -1).unwrap();
        f = lit;
        let o = d.process(&f, (40 + i) as f64 / FPS).unwrap();
        assert!(o.flash, "frame {i}: changed {}", o.changed_ratio);
        assert!(o.candidates.is_empty());
    }
    // Dark again: held off for flash_holdoff_s, then back to normal.
    let o = d.process(&noisy_frame(600, 3.0), 44.0 / FPS).unwrap();
    assert!(o.suppressed && o.candidates.is_empty());
    assert_eq!(d.flashes(), 1);
}

/// A detector ignoring the bottom quarter (from row 270), past its warm-up.
fn bottom_masked() -> Detector {
    let mut d = detector(DetectionParams {
        exclude_bottom: 0.25,
        ..DetectionParams::default()
    });
    settle(&mut d, 40);
    d
}

#[test]
fn excluded_bottom_strip_is_never_reported() {
    let mut d = bottom_masked();
    let mut f = noisy_frame(999, 3.0);
    imgproc::circle(
        &mut f,
        Point::new(300, 330),
        4,
        Scalar::all(200.0),
        imgproc::FILLED,
        imgproc::LINE_8,
        0,
    )
    .unwrap();
    let o = d.process(&f, 40.0 / FPS).unwrap();
    assert!(
        o.candidates.iter().all(|c| c.y < 270.0),
        "{:?}",
        o.candidates
    );
}

/// A blob straddling the mask's edge is marked as bordering on it (the rest of it is out of
/// sight); one clear of the edge is not.
#[test]
fn a_blob_cut_by_the_mask_is_marked() {
    let mut d = bottom_masked();
    let mut f = noisy_frame(999, 3.0);
    // The strip starts at row 270; one blob straddles it, one is well above it.
    for y in [268, 200] {
        let centre = Point::new(300, y);
        imgproc::circle(
            &mut f,
            centre,
            6,
            Scalar::all(200.0),
            imgproc::FILLED,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
    }
    let o = d.process(&f, 40.0 / FPS).unwrap();
    let near = |y: f32| {
        o.candidates
            .iter()
            .find(|c| (c.x - 300.0).abs() < 4.0 && (c.y - y).abs() < 6.0)
            .unwrap_or_else(|| panic!("no blob near y {y}: {:?}", o.candidates))
    };
    assert!(near(266.0).at_mask, "{:?}", near(266.0));
    assert!(!near(200.0).at_mask, "{:?}", near(200.0));
}

#[test]
fn processing_sizes() {
    assert_eq!(processing_size(1920, 1080, 0.5), Size::new(960, 540));
    assert_eq!(processing_size(1920, 1080, 0.25), Size::new(480, 270));
    assert_eq!(processing_size(1280, 720, 1.0), Size::new(1280, 720));
    assert_eq!(processing_size(1280, 720, 0.3), Size::new(384, 216));
}

/// `n` blobs of 3 px radius and brightness `v` spread over the frame.
fn blobs(f: &mut Mat, n: i32, v: f64) {
    for i in 0..n {
        let c = Point::new(30 + (i * 97) % (W - 60), 30 + (i * 53) % (H - 60));
        imgproc::circle(f, c, 3, Scalar::all(v), imgproc::FILLED, imgproc::LINE_8, 0).unwrap();
    }
}

#[test]
fn a_scene_cut_restarts_the_background_without_candidates() {
    let mut d = detector(DetectionParams::default());
    settle(&mut d, 40);
    // The scene changes in many places at once (a profile switch, a looped recording's
    // seam), too few pixels for a flash.
    let t0 = 40.0 / FPS;
    for k in 0..10 {
        let mut f = noisy_frame(500 + k, 3.0);
        blobs(&mut f, 24, 110.0);
        let o = d.process(&f, t0 + k as f64 / FPS).unwrap();
        assert!(!o.flash);
        assert!(
            o.candidates.is_empty(),
            "frame {k}: {} candidates",
            o.candidates.len()
        );
    }
    assert_eq!(d.scene_cuts(), 1);
    assert_eq!(d.flashes(), 0);
    // The new scene is the background now: after the hold-off, quiet again, and a new
    // object is still found.
    let t1 = t0 + 1.0;
    for k in 0..5 {
        let mut f = noisy_frame(600 + k, 3.0);
        blobs(&mut f, 24, 110.0);
        let o = d.process(&f, t1 + k as f64 / FPS).unwrap();
        assert!(o.candidates.len() <= 1, "{} candidates", o.candidates.len());
    }
    let mut f = noisy_frame(700, 3.0);
    blobs(&mut f, 24, 110.0);
    imgproc::circle(
        &mut f,
        Point::new(333, 77),
        3,
        Scalar::all(120.0),
        imgproc::FILLED,
        imgproc::LINE_8,
        0,
    )
    .unwrap();
    let o = d.process(&f, t1 + 0.3).unwrap();
    assert!(
        o.candidates
            .iter()
            .any(|c| (c.x - 333.0).abs() < 4.0 && (c.y - 77.0).abs() < 4.0),
        "the new dot was not found"
    );
}

#[test]
fn frames_shrunk_by_the_stream_give_what_full_frames_give() {
    // The stream shrinks frames as they are decoded (`ingest::Shrink`); the detector must see
    // exactly what it would have made from the full frame, so both paths find the same.
    let (mut full, mut shrunk) = (
        detector(DetectionParams::default()),
        detector(DetectionParams::default()),
    );
    let mut prep = prep::Prep::default();
    assert!(shrunk.takes_shrunk(W as u32 / 2, H as u32 / 2, 2));
    assert!(!shrunk.takes_shrunk(W as u32, H as u32, 1));
    let mut small = vec![0u8; (W / 2 * (H / 2)) as usize];
    let mut found = 0;
    for i in 0..60u64 {
        let mut f = noisy_frame(i, 3.0);
        if i >= 40 {
            let x = 100 + 12 * (i as i32 - 40);
            imgproc::circle(
                &mut f,
                Point::new(x, 150),
                2,
                Scalar::all(110.0),
                imgproc::FILLED,
                imgproc::LINE_8,
                0,
            )
            .unwrap();
        }
        let t = i as f64 / FPS;
        let a = full.process(&f, t).unwrap().candidates.to_vec();
        prep.run(&f, 2, &mut small, None).unwrap();
        let b = shrunk
            .process_shrunk(&small, t)
            .unwrap()
            .candidates
            .to_vec();
        assert_eq!(a, b, "frame {i}");
        found += a.len();
    }
    assert!(found >= 15, "the moving dot was found in {found} frames");
    // A picture of the wrong size is refused, not misread.
    assert!(shrunk.process_shrunk(&small[1..], 3.0).is_err());
}

#[test]
fn a_frame_with_too_many_changes_to_keep_is_compared_again_with_the_same_result() {
    // One detector keeps every run while comparing; the other keeps none and so labels
    // every frame from a second comparison. Both see the same candidates on noise with
    // moving dots (shrunk by the stream and full frames both).
    let mut kept = detector(DetectionParams::default());
    let mut again = detector(DetectionParams::default());
    again.kept_runs = 0;
    let mut total = 0;
    for i in 0..60u64 {
        let mut f = noisy_frame(i, 3.0);
        if i > 30 {
            blobs(&mut f, 3, 90.0 + i as f64);
            imgproc::circle(
                &mut f,
                Point::new(100 + 6 * i as i32, 80 + 2 * i as i32),
                2,
                Scalar::all(130.0),
                imgproc::FILLED,
                imgproc::LINE_8,
                0,
            )
            .unwrap();
        }
        let t = i as f64 / FPS;
        let a: Vec<_> = kept.process(&f, t).unwrap().candidates.to_vec();
        let b: Vec<_> = again.process(&f, t).unwrap().candidates.to_vec();
        assert_eq!(a, b, "frame {i}");
        total += a.len();
    }
    assert!(
        total >= 29,
        "only {total} candidates: the dots were not seen"
    );
}
