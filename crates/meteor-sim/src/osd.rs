//! The on-screen clock many IP cameras burn into the picture: `YYYY-MM-DD HH:MM:SS` in bright
//! 5x7 block digits with a dark outline, in the top-left corner, changing every second.

use crate::draw::FrameBuf;
use chrono::NaiveDateTime;

const GLYPH_W: usize = 5;
const GLYPH_H: usize = 7;
const CHARS: usize = 19;

fn glyph(c: char) -> [u8; GLYPH_H] {
    match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        _ => [0; GLYPH_H],
    }
}

pub struct Osd {
    x0: usize,
    y0: usize,
    scale: usize,
    start: NaiveDateTime,
}

impl Osd {
    pub fn new(width: usize, height: usize, start: NaiveDateTime) -> Osd {
        let scale = ((height as f64 / 360.0).round() as usize).max(1);
        let margin = 8 * scale;
        let mut osd = Osd {
            x0: margin,
            y0: margin,
            scale,
            start,
        };
        // Shrink on tiny frames so the text fits.
        while osd.scale > 1 && osd.bbox().1[0] >= width as f64 {
            osd.scale -= 1;
        }
        osd
    }

    /// Top-left and bottom-right pixel of the text including its outline.
    pub fn bbox(&self) -> ([f64; 2], [f64; 2]) {
        let w = (CHARS * (GLYPH_W + 1) - 1) * self.scale;
        let h = GLYPH_H * self.scale;
        let (x0, y0) = (self.x0 as f64 - 1.0, self.y0 as f64 - 1.0);
        ([x0, y0], [x0 + w as f64 + 1.0, y0 + h as f64 + 1.0])
    }

    pub fn text(&self, t: f64) -> String {
        let at = self.start + chrono::Duration::seconds(t.max(0.0).floor() as i64);
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    pub fn draw(&self, fb: &mut FrameBuf, t: f64) {
        let text = self.text(t);
        let s = self.scale;
        let (tw, th) = ((CHARS * (GLYPH_W + 1)) * s + 2, GLYPH_H * s + 2);
        let mut mask = vec![false; tw * th];
        for (ci, c) in text.chars().enumerate() {
            let g = glyph(c);
            for (gy, bits) in g.iter().enumerate() {
                for gx in 0..GLYPH_W {
                    if bits & (0x10 >> gx) == 0 {
                        continue;
                    }
                    for dy in 0..s {
                        for dx in 0..s {
                            let mx = 1 + (ci * (GLYPH_W + 1) + gx) * s + dx;
                            let my = 1 + gy * s + dy;
                            mask[my * tw + mx] = true;
                        }
                    }
                }
            }
        }
        let lit = |x: isize, y: isize| {
            x >= 0
                && y >= 0
                && (x as usize) < tw
                && (y as usize) < th
                && mask[y as usize * tw + x as usize]
        };
        for my in 0..th {
            for mx in 0..tw {
                let (x, y) = (self.x0 + mx - 1, self.y0 + my - 1);
                if x >= fb.width || y >= fb.height {
                    continue;
                }
                if mask[my * tw + mx] {
                    fb.set(x, y, 235);
                } else {
                    let (ix, iy) = (mx as isize, my as isize);
                    let near = (-1..=1).any(|dy| (-1..=1).any(|dx| lit(ix + dx, iy + dy)));
                    if near {
                        fb.set(x, y, 16);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ticks_every_second() {
        let start = chrono::NaiveDate::from_ymd_opt(2026, 8, 12)
            .unwrap()
            .and_hms_opt(23, 59, 59)
            .unwrap();
        let osd = Osd::new(1280, 720, start);
        assert_eq!(osd.text(0.9), "2026-08-12 23:59:59");
        assert_eq!(osd.text(1.0), "2026-08-13 00:00:00");
        let mut data = vec![20u8; 1280 * 720];
        let mut fb = FrameBuf {
            data: &mut data,
            width: 1280,
            height: 720,
            stride: 1280,
        };
        osd.draw(&mut fb, 0.0);
        let (a, b) = osd.bbox();
        let bright = data.iter().filter(|&&v| v == 235).count();
        assert!(bright > 200, "{bright}");
        for (i, &v) in data.iter().enumerate() {
            if v != 20 {
                let (x, y) = ((i % 1280) as f64, (i / 1280) as f64);
                assert!(
                    x >= a[0] && x <= b[0] && y >= a[1] && y <= b[1],
                    "({x},{y}) outside {a:?}-{b:?}"
                );
            }
        }
    }
}
