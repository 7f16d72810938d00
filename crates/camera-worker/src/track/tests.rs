//! The tracker on synthetic candidates: following movers, bridging gaps, continuations.

use super::*;

fn cand(x: f32, y: f32) -> Candidate {
    Candidate {
        x,
        y,
        half_w: 2.0,
        half_h: 2.0,
        area: 4,
        bbox_area: 4,
        peak: 40.0,
        noise: 2.0,
        at_mask: false,
    }
}

/// A streak smeared over `half` px each way, as a mover is during one exposure.
fn streak(x: f32, y: f32, half: f32) -> Candidate {
    Candidate {
        half_w: half,
        half_h: half,
        ..cand(x, y)
    }
}

fn tracker() -> Tracker {
    Tracker::new(&DetectionParams::default(), 1280, 720, 25.0)
}

#[test]
fn follows_a_fast_straight_mover_next_to_a_still_star() {
    let mut t = tracker();
    for f in 0..10u64 {
        let c = [
            streak(100.0 + 30.0 * f as f32, 100.0 + 10.0 * f as f32, 14.0),
            cand(400.0, 300.0),
        ];
        t.update(f, f as f64 / 25.0, &c);
    }
    assert_eq!(t.active().len(), 2);
    let mover = t.active().iter().find(|tr| tr.first().x == 100.0).unwrap();
    assert_eq!(mover.points.len(), 10);
    let star = t.active().iter().find(|tr| tr.first().x == 400.0).unwrap();
    assert_eq!(star.points.len(), 10);
}

/// Two dots 60 px apart in consecutive frames are not one object moving: it would have
/// been smeared into a streak about that long. The same step by a streak is followed.
#[test]
fn far_apart_dots_do_not_link_but_streaks_do() {
    let mut t = tracker();
    for f in 0..4u64 {
        t.update(f, 0.0, &[cand(100.0 + 60.0 * f as f32, 200.0)]);
    }
    assert!(t.active().iter().all(|tr| tr.points.len() == 1));
    let mut t = tracker();
    for f in 0..4u64 {
        t.update(f, 0.0, &[streak(100.0 + 60.0 * f as f32, 200.0, 25.0)]);
    }
    assert_eq!(t.active().len(), 1);
    assert_eq!(t.active()[0].points.len(), 4);
}

/// A tracker that followed an object along y = 300 from x = 100 at `v` px/s for `n` frames
/// (25 fps), then lost it.
fn lost_after(v: f32, n: u64) -> Tracker {
    let mut t = tracker();
    for f in 0..n {
        let s = f as f64 / 25.0;
        t.update(f, s, &[cand(100.0 + v * s as f32, 300.0)]);
    }
    for f in n..n + 20 {
        t.update(f, f as f64 / 25.0, &[]);
    }
    assert_eq!(t.take_finished().len(), 1);
    t
}

/// A track of `n` sightings at 25 fps from `s0` s, at x = `x0` + `v` (s - `s0`) and `y`.
fn piece(s0: f64, n: u64, x0: f32, v: f32, y: f32) -> Track {
    Track::for_tests(
        (0..n)
            .map(|i| {
                let s = s0 + i as f64 / 25.0;
                point(1000 + i, s, &cand(x0 + v * (s - s0) as f32, y))
            })
            .collect(),
    )
}

/// A track that starts where a finished one was heading, at its pace, is its continuation
/// (a satellite that faded for a while); one crossing elsewhere or at another pace is not.
#[test]
fn a_continuation_is_recognised() {
    // 50 px/s for 2 s, then gone: at 4 s it would be near x = 300.
    let t = lost_after(50.0, 50);
    assert!(t.continues(&piece(4.0, 10, 302.0, 50.0, 301.0)));
    assert!(
        !t.continues(&piece(4.0, 10, 302.0, 50.0, 500.0)),
        "elsewhere"
    );
    assert!(
        !t.continues(&piece(4.0, 10, 302.0, 400.0, 301.0)),
        "another pace"
    );
}

/// A flapping bird split in two: the new piece was picked up two frames before the old
/// one was let go, its middle half a wingspan off the line. It is the same bird.
#[test]
fn a_piece_starting_as_its_forerunner_ends_continues_it() {
    // 130 px/s for 1 s (x 100 -> 230), then gone.
    let t = lost_after(130.0, 26);
    let at = |s: f64| 100.0 + 130.0 * s as f32;
    assert!(t.continues(&piece(0.92, 8, at(0.92), 130.0, 318.0)));
    assert!(
        !t.continues(&piece(0.6, 8, at(0.6), 130.0, 300.0)),
        "alongside for 0.4 s: another"
    );
    assert!(
        !t.continues(&piece(0.92, 8, at(0.92), 130.0, 340.0)),
        "elsewhere"
    );
}

#[test]
fn bridges_a_short_gap_and_finishes_after_a_long_one() {
    let mut t = tracker();
    let mut f = 0u64;
    for _ in 0..5 {
        t.update(f, 0.0, &[cand(100.0 + 10.0 * f as f32, 200.0)]);
        f += 1;
    }
    // Three frames unseen (0.12 s < max_gap 0.5 s), then seen where it should be.
    for _ in 0..3 {
        t.update(f, 0.0, &[]);
        f += 1;
    }
    t.update(f, 0.0, &[cand(100.0 + 10.0 * f as f32, 200.0)]);
    assert_eq!(t.active().len(), 1);
    assert_eq!(t.active()[0].points.len(), 6);
    for _ in 0..20 {
        f += 1;
        t.update(f, 0.0, &[]);
    }
    assert!(t.active().is_empty());
    let done = t.take_finished();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].points.len(), 6);
}

#[test]
fn two_crossing_paths_stay_apart() {
    let mut t = tracker();
    for f in 0..12u64 {
        let x = 100.0 + 20.0 * f as f32;
        t.update(
            f,
            0.0,
            &[
                streak(x, 100.0 + 20.0 * f as f32, 12.0),
                streak(x, 400.0 - 5.0 * f as f32, 9.0),
            ],
        );
    }
    let lens: Vec<_> = t.active().iter().map(|tr| tr.points.len()).collect();
    assert_eq!(lens, vec![12, 12]);
    for tr in t.active() {
        let ys: Vec<f32> = tr.points.iter().map(|p| p.y).collect();
        let rising = ys.windows(2).all(|w| w[1] > w[0]);
        let falling = ys.windows(2).all(|w| w[1] < w[0]);
        assert!(rising || falling, "a track switched paths: {ys:?}");
    }
}
