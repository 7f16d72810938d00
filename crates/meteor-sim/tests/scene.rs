//! Frame-level tests of the rendered sky: determinism, where a meteor shows up, noise level,
//! distractors drawing what their truth says.

use meteor_sim::{Background, FlashSpec, MeteorSpec, MoverSpec, Profile, RenderSpec, Scene};

fn frame(scene: &Scene, i: u64) -> Vec<u8> {
    let mut out = Vec::new();
    scene.render_frame(i, &mut out);
    out
}

#[test]
fn same_spec_renders_identical_frames_and_seeds_differ() {
    let spec = RenderSpec::from_profile(Profile::Mixed, 7, 640, 360, 30.0, 12.0);
    let a = Scene::new(&spec).unwrap();
    let b = Scene::new(&spec.clone()).unwrap();
    for i in [0, 45, 200, 359] {
        assert!(frame(&a, i) == frame(&b, i), "frame {i} differs");
    }
    assert_eq!(a.truth("x.mp4"), b.truth("x.mp4"));
    assert_eq!(
        RenderSpec::from_profile(Profile::Mixed, 7, 640, 360, 30.0, 12.0),
        spec
    );
    let other = Scene::new(&RenderSpec::from_profile(
        Profile::Mixed,
        8,
        640,
        360,
        30.0,
        12.0,
    ))
    .unwrap();
    assert!(frame(&a, 10) != frame(&other, 10));
    // consecutive frames carry independent noise
    assert!(frame(&a, 10) != frame(&a, 11));
}

#[test]
fn meteor_appears_where_the_truth_says() {
    let spec = RenderSpec::custom(3, 1280, 720, 30.0, 4.0)
        .with_background(Background::clear_night())
        .with_event(MeteorSpec::new(
            [200.0, 200.0],
            [600.0, 400.0],
            2.0,
            2.5,
            10.0,
        ));
    let scene = Scene::new(&spec).unwrap();
    let truth = scene.truth("m.mp4");
    let m = truth.events.iter().find(|e| e.is_meteor()).unwrap();
    assert_eq!(m.start_xy, Some([200.0, 200.0]));
    assert_eq!(m.end_xy, Some([600.0, 400.0]));
    assert_eq!((m.start_s, m.end_s), (2.0, 2.5));
    let snr = m.peak_snr.unwrap();
    assert!((9.5..=10.0).contains(&snr), "peak snr {snr}");

    // Frame 69 covers 2.300-2.333 s: the head goes from u=0.6 to u=0.667 of the path, around
    // the lightcurve peak (60 %), i.e. from (440, 320) to (467, 333).
    let with = frame(&scene, 69);
    let without = frame(
        &Scene::new(&RenderSpec {
            events: vec![],
            ..spec.clone()
        })
        .unwrap(),
        69,
    );
    let w = 1280;
    let mut on_path = Vec::new();
    for x in 442..465 {
        let y = (200.0 + (x as f64 - 200.0) * 0.5).round() as usize;
        on_path.push(with[y * w + x] as f64 - without[y * w + x] as f64);
    }
    let mean = on_path.iter().sum::<f64>() / on_path.len() as f64;
    assert!(
        mean > 0.8 * 25.0,
        "streak only {mean:.1} luma above the sky"
    );
    // nothing before the meteor starts, nothing far from the path
    assert!(
        frame(&scene, 50)
            == frame(
                &Scene::new(&RenderSpec {
                    events: vec![],
                    ..spec.clone()
                })
                .unwrap(),
                50
            )
    );
    let far: usize = (0..720)
        .flat_map(|y| (0..1280).map(move |x| (x, y)))
        .filter(|&(x, y)| (y as f64 - (200.0 + (x as f64 - 200.0) * 0.5)).abs() > 10.0)
        .filter(|&(x, y)| with[y * w + x] != without[y * w + x])
        .count();
    assert_eq!(far, 0);
    // the head is well above the noise: sigma 2.5, amplitude ~25
    let head = [455usize, 327usize];
    let v = with[head[1] * w + head[0]] as f64 - without[head[1] * w + head[0]] as f64;
    assert!(v > 15.0, "head {v}");
}

#[test]
fn noise_std_matches_noise_sigma() {
    for sigma in [2.5, 6.0] {
        let spec = RenderSpec::custom(11, 640, 480, 30.0, 2.0).with_noise_sigma(sigma);
        let scene = Scene::new(&spec).unwrap();
        let frames: Vec<Vec<u8>> = (0..24).map(|i| frame(&scene, i)).collect();
        // temporal std dev per pixel over a 64x64 sky region, averaged
        let mut var_sum = 0.0;
        let mut n = 0.0;
        for y in 100..164 {
            for x in 300..364 {
                let v: Vec<f64> = frames.iter().map(|f| f[y * 640 + x] as f64).collect();
                let m = v.iter().sum::<f64>() / v.len() as f64;
                var_sum += v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
                n += 1.0;
            }
        }
        let std = (var_sum / n).sqrt();
        assert!(
            (std - sigma).abs() < 0.15 * sigma,
            "sigma {sigma}: measured {std:.2}"
        );
    }
}

#[test]
fn distractor_only_specs() {
    let base = RenderSpec::custom(5, 640, 360, 30.0, 3.0);
    // lightning only: the whole frame brightens, brighter on one side
    let flash = Scene::new(&base.clone().with_event(FlashSpec::new(1.0, 60.0))).unwrap();
    let truth = flash.truth("f.mp4");
    assert_eq!(truth.events.len(), 1);
    assert_eq!(truth.events[0].kind, "flash");
    assert_eq!(truth.events[0].start_xy, None);
    let mean = |f: &[u8]| f.iter().map(|&v| v as f64).sum::<f64>() / f.len() as f64;
    let (before, during) = (mean(&frame(&flash, 20)), mean(&frame(&flash, 30)));
    assert!(during > before + 20.0, "{before} -> {during}");
    // plane only: visible at its position
    let plane = base
        .clone()
        .with_event(MoverSpec::plane([100.0, 100.0], [200.0, 120.0], 0.0, 3.0));
    let scene = Scene::new(&plane).unwrap();
    let t = scene.truth("p.mp4");
    assert_eq!(t.events[0].kind, "plane");
    let f = frame(&scene, 45); // 1.5 s: (150, 110)
    let empty = frame(&Scene::new(&base).unwrap(), 45);
    assert!(f[110 * 640 + 150] as i32 - empty[110 * 640 + 150] as i32 > 15);
}

#[test]
fn truth_is_clipped_to_the_frame() {
    let spec = RenderSpec::custom(1, 640, 360, 30.0, 3.0).with_event(MeteorSpec::new(
        [-100.0, 100.0],
        [300.0, 100.0],
        1.0,
        2.0,
        8.0,
    ));
    let truth = Scene::new(&spec).unwrap().truth("c.mp4");
    let m = &truth.events[0];
    assert!(
        (m.start_xy.unwrap()[0] - 0.0).abs() < 0.2,
        "{:?}",
        m.start_xy
    );
    assert!((m.start_s - 1.25).abs() < 0.002, "{}", m.start_s);
    assert_eq!(m.end_xy, Some([300.0, 100.0]));
}

#[test]
fn every_profile_has_its_content() {
    for profile in Profile::ALL {
        let spec = RenderSpec::from_profile(profile, 2, 1280, 720, 30.0, 60.0);
        let truth = Scene::new(&spec).unwrap().truth("p.mp4");
        let count = |k: &str| truth.events.iter().filter(|e| e.kind == k).count();
        let strip_top = 720.0 * (1.0 - truth.foreground_ratio.unwrap_or(0.0));
        for m in truth.events.iter().filter(|e| e.is_meteor()) {
            assert!(
                m.start_xy.unwrap()[1] < strip_top && m.end_xy.unwrap()[1] < strip_top,
                "{profile}: {m:?}"
            );
        }
        match profile {
            Profile::Mixed => assert!((5..=12).contains(&count("meteor")), "{}", count("meteor")),
            Profile::Quiet => {
                assert_eq!(count("meteor"), 0);
                for k in [
                    "flash",
                    "plane",
                    "satellite",
                    "insect",
                    "bird",
                    "flicker",
                    "headlights",
                    "cloud",
                    "osd_clock",
                ] {
                    assert!(count(k) >= 1, "quiet lacks {k}");
                }
            }
            Profile::Shower => assert!(count("meteor") >= 20, "{}", count("meteor")),
            Profile::Hard => {
                assert_eq!(truth.noise_sigma, Some(6.0));
                let faint = truth
                    .events
                    .iter()
                    .filter(|e| e.is_meteor())
                    .all(|e| e.peak_snr.unwrap() <= 8.0);
                assert!(faint && count("meteor") >= 5 && count("cloud") == 1);
            }
        }
        // short clips work too
        let short = RenderSpec::from_profile(profile, 3, 640, 360, 25.0, 10.0);
        let t = Scene::new(&short).unwrap().truth("s.mp4");
        if profile != Profile::Quiet {
            assert!(
                t.events.iter().any(|e| e.is_meteor()),
                "{profile} 10 s clip has no meteor"
            );
        }
    }
}

#[test]
fn scene_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Scene>();
    let spec = RenderSpec::from_profile(Profile::Quiet, 1, 320, 240, 30.0, 10.0);
    let scene = std::sync::Arc::new(Scene::new(&spec).unwrap());
    let s2 = scene.clone();
    let other = std::thread::spawn(move || frame(&s2, 77)).join().unwrap();
    assert!(other == frame(&scene, 77));
}

#[test]
fn fireballs_saturate() {
    let spec = RenderSpec::custom(4, 640, 360, 30.0, 2.0).with_event(MeteorSpec {
        halo: true,
        ..MeteorSpec::new([100.0, 100.0], [400.0, 200.0], 0.5, 1.5, 150.0)
    });
    let scene = Scene::new(&spec).unwrap();
    let truth = scene.truth("fb.mp4");
    let snr = truth.events[0].peak_snr.unwrap();
    // capped at the headroom above the sky: (255 - ~15) / 2.5
    assert!((85.0..=100.0).contains(&snr), "{snr}");
    assert!(frame(&scene, 33).contains(&255));
}

/// The largest change of one pixel between two frames, in luma levels: what a detector's
/// threshold sees.
fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

#[test]
fn a_looped_scene_restarts_without_moving_its_clouds_at_once() {
    // Clouds alone (next to no noise; no stars or events), drifting for a 20 s loop.
    let mut spec = RenderSpec::custom(3, 640, 360, 30.0, 20.0);
    spec.background = Background {
        clouds: true,
        ..Background::none()
    };
    spec.noise_sigma = 0.01;
    let n = spec.frames();
    let step = |scene: &Scene, a: u64, b: u64| max_diff(&frame(scene, a), &frame(scene, b));

    let played = Scene::new(&spec).unwrap();
    let usual = (100..160).map(|i| step(&played, i, i + 1)).max().unwrap();
    assert!(usual > 0, "the clouds drift");
    // Played once, the last frame is far from the first: looping it would jump (9 levels
    // here, where the drift changes no pixel by more than 1 from frame to frame).
    let jump = step(&played, n - 1, 0);
    assert!(jump >= 4 * usual, "jump {jump}, usual step {usual}");

    // As a loop, last to first is a step like any other, and the loop's first half is
    // the scene as played once.
    let looped = Scene::new(&spec).unwrap().looped();
    let seam = step(&looped, n - 1, 0);
    assert!(seam <= usual, "seam {seam}, usual step {usual}");
    assert!(frame(&looped, 100) == frame(&played, 100));
    // Nor does the fade before it change anything faster than the drift.
    let fade = (n - 160..n - 1)
        .map(|i| step(&looped, i, i + 1))
        .max()
        .unwrap();
    assert!(fade <= usual, "fade {fade}, usual step {usual}");
}
