//! A synthetic daytime view for tests and demos: a bluish sky getting paler toward the
//! horizon, dark textured ground, a dark leafy tree reaching into the sky and a smooth grey
//! building on the horizon.

use image::{Rgb, RgbImage};

/// Deterministic noise in -amp..=amp.
pub struct Noise(pub u64);
impl Noise {
    pub fn next(&mut self, amp: i32) -> i32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % (2 * amp as u64 + 1)) as i32 - amp
    }
}

pub const W: u32 = 640;
pub const H: u32 = 400;
pub const HORIZON: u32 = 240;
pub const TREE: (i32, i32, i32) = (150, 200, 70);
pub const BUILDING: (u32, u32, u32, u32) = (450, 170, 560, 240);

pub fn in_tree(x: u32, y: u32) -> bool {
    let (cx, cy, r) = TREE;
    let (dx, dy) = (x as i32 - cx, y as i32 - cy);
    dx * dx + dy * dy <= r * r || ((140..160).contains(&x) && y >= cy as u32)
}

pub fn in_building(x: u32, y: u32) -> bool {
    let (x0, y0, x1, y1) = BUILDING;
    (x0..x1).contains(&x) && (y0..y1).contains(&y)
}

/// A bluish sky getting paler toward the horizon, dark textured ground, a dark leafy tree
/// reaching into the sky and a smooth grey building on the horizon.
pub fn daytime_photo() -> RgbImage {
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    RgbImage::from_fn(W, H, |x, y| {
        let clamp = |v: i32| v.clamp(0, 255) as u8;
        if in_tree(x, y) {
            let n = noise.next(35);
            Rgb([clamp(30 + n), clamp(65 + n), clamp(30 + n / 2)])
        } else if in_building(x, y) {
            Rgb([70, 70, 75])
        } else if y >= HORIZON {
            let n = noise.next(45);
            Rgb([clamp(65 + n), clamp(58 + n), clamp(40 + n)])
        } else {
            let t = y as f32 / HORIZON as f32;
            let mix = |a: f32, b: f32| (a + (b - a) * t).round() as u8;
            Rgb([mix(100.0, 190.0), mix(150.0, 215.0), mix(230.0, 245.0)])
        }
    })
}
