//! Measures frame rendering speed without encoding:
//! `cargo run --release -p meteor-sim --example frame_speed -- [WIDTH HEIGHT [PROFILE [FRAMES]]]`.

use meteor_sim::{Profile, RenderSpec, Scene};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let w: u32 = args.first().map_or(1280, |a| a.parse().expect("width"));
    let h: u32 = args.get(1).map_or(720, |a| a.parse().expect("height"));
    let profile: Profile = args
        .get(2)
        .map_or(Profile::Mixed, |a| a.parse().expect("profile"));
    let frames: u64 = args.get(3).map_or(600, |a| a.parse().expect("frames"));
    let t = Instant::now();
    let spec = RenderSpec::from_profile(profile, 1, w, h, 30.0, frames as f64 / 30.0);
    let scene = Scene::new(&spec).expect("scene");
    let setup = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut buf = Vec::new();
    let mut sum = 0u64;
    for i in 0..frames {
        scene.render_frame(i, &mut buf);
        sum += buf[buf.len() / 2] as u64;
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "{w}x{h} {profile}: setup {setup:.2} s, {frames} frames in {dt:.2} s = {:.0} fps ({sum})",
        frames as f64 / dt
    );
}
