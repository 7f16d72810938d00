//! Writes one rendered frame (before compression) as a PGM image, for looking at the sky:
//! `cargo run --release -p meteor-sim --example dump_frame -- PROFILE SEED SECONDS OUT.pgm [W H]`.

use meteor_sim::{Profile, RenderSpec, Scene};
use std::io::Write;

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 4 {
        eprintln!("usage: dump_frame PROFILE SEED SECONDS OUT.pgm [WIDTH HEIGHT]");
        std::process::exit(2);
    }
    let profile: Profile = a[0].parse().expect("profile");
    let seed: u64 = a[1].parse().expect("seed");
    let at: f64 = a[2].parse().expect("seconds");
    let (w, h) = (
        a.get(4).map_or(1280, |v| v.parse().expect("width")),
        a.get(5).map_or(720, |v| v.parse().expect("height")),
    );
    let spec = RenderSpec::from_profile(profile, seed, w, h, 30.0, 60.0_f64.max(at + 1.0));
    let scene = Scene::new(&spec).expect("scene");
    let mut buf = Vec::new();
    scene.render_frame((at * 30.0) as u64, &mut buf);
    let mut f = std::fs::File::create(&a[3]).expect("create");
    write!(f, "P5\n{w} {h}\n255\n").expect("write");
    f.write_all(&buf).expect("write");
}
