//! The per-frame detection step at 1080p: downscale, background difference, threshold,
//! components and tracking, on a noisy sky with stars and a moving meteor.
//! `cargo bench -p camera-worker --bench detect`

use camera_worker::detect::Detector;
use camera_worker::track::Tracker;
use criterion::{criterion_group, criterion_main, Criterion};
use meteor_core::DetectionParams;
use opencv::core::{self, Mat, Point, Scalar, CV_8UC1};
use opencv::imgproc;
use opencv::prelude::*;

fn sky(seed: i32) -> Mat {
    core::set_rng_seed(seed).unwrap();
    let mut m = Mat::new_rows_cols_with_default(1080, 1920, CV_8UC1, Scalar::all(0.0)).unwrap();
    core::randn(&mut m, &Scalar::all(30.0), &Scalar::all(3.0)).unwrap();
    for i in 0..300 {
        let (x, y) = ((i * 7919) % 1920, (i * 104729) % 1080);
        imgproc::circle(
            &mut m,
            Point::new(x, y),
            1,
            Scalar::all(90.0),
            imgproc::FILLED,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
    }
    m
}

fn bench(c: &mut Criterion) {
    core::set_num_threads(1).unwrap();
    let frames: Vec<Mat> = (0..16).map(sky).collect();
    for scale in [0.5f32, 1.0] {
        let p = DetectionParams {
            scale,
            ..DetectionParams::default()
        };
        let mut det = Detector::new(p, 1920, 1080, 30.0, None).unwrap();
        let mut tracker = Tracker::new(&p, 1920, 1080, 30.0);
        for (i, f) in frames.iter().cycle().take(60).enumerate() {
            det.process(f, i as f64 / 30.0).unwrap();
        }
        let mut i = 60u64;
        let mut meteor = frames[0].clone();
        c.bench_function(&format!("detect_1080p_scale_{scale}"), |b| {
            b.iter(|| {
                let f = &frames[(i % 16) as usize];
                // A meteor crossing every 2 s keeps the candidate path busy.
                let k = (i % 60) as i32;
                let frame = if k < 20 {
                    f.copy_to(&mut meteor).unwrap();
                    imgproc::line(
                        &mut meteor,
                        Point::new(200 + 40 * k, 200 + 20 * k),
                        Point::new(240 + 40 * k, 220 + 20 * k),
                        Scalar::all(160.0),
                        2,
                        imgproc::LINE_8,
                        0,
                    )
                    .unwrap();
                    &meteor
                } else {
                    f
                };
                let t = i as f64 / 30.0;
                let o = det.process(frame, t).unwrap();
                tracker.update(i, t, o.candidates);
                i += 1;
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
