//! The scene's second look on hand-made tracks.

use super::*;
use crate::track::Point;

fn track(id: u64, pts: impl Iterator<Item = (f64, f32, f32)>) -> Track {
    let mut t = Track::for_tests(
        pts.map(|(t, x, y)| Point {
            frame: (t * 30.0).round() as u64,
            t,
            x,
            y,
            half_w: 2.0,
            half_h: 2.0,
            area: 9,
            bbox_area: 16,
            peak: 20.0,
            noise: 2.0,
            at_mask: false,
        })
        .collect(),
    );
    t.id = id;
    t
}

/// `n` frames at 30 fps from `t0`, moving `v` px/s along x from `x0`.
fn mover(id: u64, t0: f64, n: usize, x0: f32, y: f32, v: f32) -> Track {
    track(
        id,
        (0..n).map(move |i| {
            let t = t0 + i as f64 / 30.0;
            (t, x0 + v * (t - t0) as f32, y)
        }),
    )
}

#[test]
fn a_piece_riding_on_a_satellite_is_part_of_it() {
    let scene = Scene::new(1280, 720);
    // A satellite at 50 px/s for 4 s, and a 0.1 s piece near it at 2 s, going back.
    let sat = mover(1, 0.0, 120, 100.0, 300.0, 50.0);
    let piece = mover(2, 2.0, 4, 205.0, 305.0, -150.0);
    assert_eq!(
        scene.doubt(&piece, std::slice::from_ref(&sat)),
        Some(Reason::PartOfAnother)
    );
    // The same piece elsewhere in the sky is not; nor a meteor going its way.
    let apart = mover(3, 2.0, 4, 600.0, 305.0, -150.0);
    assert_eq!(scene.doubt(&apart, std::slice::from_ref(&sat)), None);
    let along = mover(4, 2.0, 4, 195.0, 305.0, 250.0);
    assert_eq!(scene.doubt(&along, std::slice::from_ref(&sat)), None);
    // Once finished, the satellite still counts for a while.
    let mut scene = Scene::new(1280, 720);
    scene.finished(&sat);
    scene.frame(4.5, false, false);
    assert_eq!(scene.doubt(&piece, &[]), Some(Reason::PartOfAnother));
    scene.frame(20.0, false, false);
    assert_eq!(scene.doubt(&piece, &[]), None, "forgotten");
}

#[test]
fn an_aircraft_followed_twice_is_one_object() {
    // An aircraft at 17 px/s for 7 s; its strobe outshone it, and the tracker picked it up
    // again as a second track 0.5 s before the first one ended, running on to the edge.
    let mut scene = Scene::new(1280, 720);
    let plane = mover(1, 0.0, 210, 1136.0, 520.0, 17.0);
    scene.finished(&plane);
    let again = mover(2, 6.5, 33, 1246.5, 521.0, 20.0);
    scene.frame(7.6, false, false);
    assert_eq!(scene.doubt(&again, &[]), Some(Reason::PartOfAnother));
    // A meteor passing along the same way, ten times as fast, is not the aircraft.
    let meteor = mover(3, 6.5, 8, 1200.0, 521.0, 200.0);
    assert_eq!(scene.doubt(&meteor, &[]), None);
    // Nor is an object at the aircraft's pace elsewhere in the sky.
    let apart = mover(4, 6.5, 33, 400.0, 200.0, 20.0);
    assert_eq!(scene.doubt(&apart, &[]), None);
}

#[test]
fn a_still_star_carries_nothing() {
    let scene = Scene::new(1280, 720);
    let star = track(1, (0..300).map(|i| (i as f64 / 30.0, 400.0, 300.0)));
    let meteor = mover(2, 3.0, 6, 395.0, 300.0, 60.0);
    assert_eq!(scene.doubt(&meteor, &[star]), None);
}

#[test]
fn a_slow_track_followed_by_its_continuation_was_a_satellite() {
    let mut scene = Scene::new(1280, 720);
    // 47 px/s for 0.5 s, gone for 1.8 s, then on at the same pace and heading.
    let first = mover(1, 0.0, 15, 970.0, 107.0, 47.0);
    assert!(scene.must_hold(&first));
    let later = mover(2, 2.3, 30, 970.0 + 47.0 * 2.3, 107.0, 47.0);
    assert_eq!(
        scene.doubt(&first, std::slice::from_ref(&later)),
        Some(Reason::ContinuedLater)
    );
    scene.finished(&later);
    assert_eq!(scene.doubt(&first, &[]), Some(Reason::ContinuedLater));
    // Another slow object crossing elsewhere, or heading another way, is no continuation.
    let across = track(
        3,
        (0..30).map(|i| (2.3 + i as f64 / 30.0, 1100.0, 107.0 + 1.5 * i as f32)),
    );
    assert_eq!(Scene::new(1280, 720).doubt(&first, &[across]), None);
    // On its line but too far on for its pace: another object.
    let ahead = mover(5, 2.3, 30, 970.0 + 47.0 * 8.0, 107.0, 47.0);
    assert_eq!(Scene::new(1280, 720).doubt(&first, &[ahead]), None);
    // A short, faint piece (14 px in 0.4 s) whose heading is a little off, and the rest
    // 1.8 s later where the true pace puts it.
    let piece = track(
        6,
        (0..12).map(|i| {
            (
                i as f64 / 30.0,
                150.0 + 1.0 * i as f32,
                120.0 - 0.9 * i as f32,
            )
        }),
    );
    let rest = track(
        7,
        (0..24).map(|i| {
            let t = 2.2 + i as f64 / 30.0;
            (t, 150.0 + 24.0 * t as f32, 120.0 - 26.0 * t as f32)
        }),
    );
    assert_eq!(
        Scene::new(1280, 720).doubt(&piece, &[rest]),
        Some(Reason::ContinuedLater)
    );
    // A fast meteor is not held at all.
    assert!(!scene.must_hold(&mover(4, 0.0, 10, 100.0, 100.0, 600.0)));
}

#[test]
fn a_second_track_along_a_reported_meteor_is_the_same_meteor() {
    let mut scene = Scene::new(1920, 1080);
    // 900 px/s along a line; a second track starts on it 0.17 s in, before it ended.
    let first = mover(1, 17.1, 9, 1330.0, 900.0, 900.0);
    assert_eq!(scene.doubt(&first, &[]), None);
    scene.reported(&first);
    let second = mover(2, 17.27, 7, 1330.0 + 900.0 * 0.17, 901.0, 900.0);
    assert_eq!(scene.doubt(&second, &[]), Some(Reason::SameMeteor));
    // Another meteor at the same time on another line, or on the line a second later,
    // or on the line at the same time but elsewhere (a shower's meteors share a radiant),
    // is its own event.
    let other = mover(3, 17.27, 7, 1330.0, 700.0, 900.0);
    assert_eq!(scene.doubt(&other, &[]), None);
    let ahead = mover(5, 17.1, 7, 630.0, 900.0, 900.0);
    assert_eq!(scene.doubt(&ahead, &[]), None);
    let later = mover(4, 18.5, 7, 1330.0, 900.0, 900.0);
    assert_eq!(scene.doubt(&later, &[]), None);
}

#[test]
fn a_track_ending_as_a_flash_begins_was_cut_short() {
    let mut scene = Scene::new(1280, 720);
    let bird = mover(1, 10.0, 8, 500.0, 300.0, 175.0); // ends at 10.233 s
                                                       // A flash from 10.27 to 10.5 s, blind until 11 s.
    for i in 0..40 {
        let t = 10.0 + i as f64 / 30.0;
        scene.frame(t, (10.27..10.5).contains(&t), (10.27..11.0).contains(&t));
    }
    assert_eq!(scene.doubt(&bird, &[]), Some(Reason::CutByFlash));
    let fading = mover(5, 9.9, 8, 500.0, 300.0, 175.0); // ends at 10.133 s
    assert_eq!(scene.doubt(&fading, &[]), Some(Reason::CutByFlash));
    // A flash well after the track ended is unrelated.
    let earlier = mover(2, 9.0, 8, 500.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&earlier, &[]), None);
    // A track starting as the detector sees again began unseen; one a while later did
    // not.
    let after = mover(3, 11.0, 8, 700.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&after, &[]), Some(Reason::CutByFlash));
    let later = mover(4, 11.4, 8, 700.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&later, &[]), None);
}

#[test]
fn a_track_seen_while_the_stream_was_damaged_is_refused() {
    let mut scene = Scene::new(1280, 720);
    // Packets lost between the checks at 20 and 21 s: doubtful from 19.8 to 23 s.
    scene.damaged(20.0 - CUT_S, 21.0 + DAMAGE_S);
    for (start, refused) in [(22.5, true), (19.7, true), (19.0, false), (23.1, false)] {
        let t = mover(1, start, 8, 500.0, 300.0, 175.0); // 0.233 s long
        let want = refused.then_some(Reason::DamagedStream);
        assert_eq!(scene.doubt(&t, &[]), want, "track from {start} s");
    }
    // A loss found at the next check lengthens the spell.
    scene.damaged(22.0, 24.0);
    assert_eq!(scene.damaged.len(), 1);
    let later = mover(2, 23.1, 8, 500.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&later, &[]), Some(Reason::DamagedStream));
}

/// Two seconds at 30 fps: the detector warms up for the first second (blind), then judges.
fn warm_up(scene: &mut Scene) {
    for i in 0..60 {
        let t = i as f64 / 30.0;
        scene.frame(t, false, t < 1.0);
    }
}

#[test]
fn a_track_in_progress_when_the_warm_up_ends_started_unseen() {
    let mut scene = Scene::new(640, 360).live(true);
    warm_up(&mut scene);
    // A bird that was flying when the connection began is first seen as the warm-up ends.
    let bird = mover(1, 1.0, 8, 500.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&bird, &[]), Some(Reason::StartedUnseen));
    let just_after = mover(2, 1.0 + CUT_S, 8, 500.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&just_after, &[]), Some(Reason::StartedUnseen));
    // One that appears later was seen from its start.
    let later = mover(3, 1.3, 8, 500.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&later, &[]), None);
    // Flashes later on do not move the start of sight.
    scene.frame(2.5, true, true);
    scene.frame(3.0, false, false);
    let after_flash = mover(4, 3.5, 8, 500.0, 300.0, 175.0);
    assert_eq!(scene.doubt(&after_flash, &[]), None);

    // A recording starts where someone cut it: the meteor a second in is judged as it is.
    let mut recording = Scene::new(640, 360);
    warm_up(&mut recording);
    assert_eq!(recording.doubt(&bird, &[]), None);
}
