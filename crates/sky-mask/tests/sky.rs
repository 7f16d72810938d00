//! The sky mask of the synthetic daytime view: sky white, ground, tree and building black,
//! with a small margin.

use image::GrayImage;
use sky_mask::example::{daytime_photo, in_building, in_tree, H, HORIZON, W};

fn white(mask: &GrayImage, x: u32, y: u32) -> bool {
    mask.get_pixel(x, y).0[0] == 255
}

/// Share of white pixels among those where `pick` holds.
fn white_share(mask: &GrayImage, pick: impl Fn(u32, u32) -> bool) -> f32 {
    let (mut n, mut w) = (0u32, 0u32);
    for (x, y, p) in mask.enumerate_pixels() {
        if pick(x, y) {
            n += 1;
            w += u32::from(p.0[0] == 255);
        }
    }
    w as f32 / n as f32
}

/// Whether (x, y) lies within `d` pixels of something that is not sky.
fn near_ground(x: u32, y: u32, d: u32) -> bool {
    let x0 = x.saturating_sub(d);
    let y0 = y.saturating_sub(d);
    (x0..=(x + d).min(W - 1)).any(|xx| {
        (y0..=(y + d).min(H - 1)).any(|yy| yy >= HORIZON || in_tree(xx, yy) || in_building(xx, yy))
    })
}

#[test]
fn sky_is_white_and_ground_tree_and_building_are_black() {
    let photo = daytime_photo();
    let built = sky_mask::sky_mask(&photo);
    let mask = &built.mask;
    assert_eq!(mask.dimensions(), (W, H));
    assert!(mask.pixels().all(|p| p.0[0] == 0 || p.0[0] == 255));
    for (x, y) in [
        (20, 20),
        (320, 10),
        (630, 5),
        (320, 150),
        (600, 100),
        (300, 225),
    ] {
        assert!(white(mask, x, y), "sky at ({x},{y}) should be white");
    }
    for (x, y) in [
        (150, 200),
        (150, 135),
        (100, 200),
        (500, 200),
        (320, 300),
        (5, 395),
    ] {
        assert!(!white(mask, x, y), "({x},{y}) should be black");
    }
    // Open sky (more than 12 px from anything else) is watched...
    let sky = white_share(mask, |x, y| y < HORIZON && !near_ground(x, y, 12));
    assert!(sky > 0.99, "open sky white share {sky}");
    // ...ground, tree and building are ignored, with a margin of a few pixels around them.
    let ground = white_share(mask, |x, y| near_ground(x, y, 2));
    assert!(ground < 0.005, "ground white share {ground}");
    assert!(
        (0.4..0.55).contains(&built.sky_fraction),
        "{}",
        built.sky_fraction
    );
}
