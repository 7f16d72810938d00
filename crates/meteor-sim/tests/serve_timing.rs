//! When frames reach a real GStreamer client: a client that connects late gets the frames
//! since the last keyframe at once and is live from then on (never behind the timeline the
//! truth is written on), over TCP and UDP; a wandering network delay moves arrivals by its
//! amplitude without piling up, for H.265 too (whose payloader sends packet lists).

mod common;

use common::{small_spec, Client};
use meteor_sim::serve::{CameraConfig, Codec, ServerConfig, SimServer};
use std::time::{Duration, Instant};

const FPS: f64 = 30.0;

/// A 4 s loop with one keyframe, at its start.
fn one_keyframe_loop(seed: u64) -> CameraConfig {
    CameraConfig::new("/cam", small_spec(seed, 4.0)).with_keyframe_interval(4.0)
}

/// Connects 1.5 s into the loop: the camera starts the client at the keyframe at 0 s.
fn late_client(protocols: &str, seed: u64) {
    let server = SimServer::start(ServerConfig::new(vec![one_keyframe_loop(seed)])).unwrap();
    // The timeline starts inside `start`: no later than now.
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    let client = Client::connect(&server.url("/cam"), Codec::H264, protocols);
    let first = client.wait_frames(1, Duration::from_secs(8));
    std::thread::sleep(Duration::from_millis(2000));
    let arrivals = client.arrivals();
    let burst = arrivals
        .iter()
        .filter(|t| **t <= arrivals[0] + Duration::from_millis(300))
        .count();
    // Frames since the keyframe, at least 1.5 s of them, came at once ...
    assert!(
        burst as f64 >= 1.0 * FPS,
        "{protocols}: only {burst} frames within 0.3 s of the first (first after {:?})",
        first - started
    );
    eprintln!("{protocols}: {burst} frames within 0.3 s of the first");
    // ... and from then on the client is never behind the timeline: by every arrival, it has
    // every frame due since the timeline started, give or take 0.2 s.
    let settled = arrivals[0] + Duration::from_millis(300);
    for (i, t) in arrivals.iter().enumerate().filter(|(_, t)| **t > settled) {
        let due = t.duration_since(started).as_secs_f64() * FPS;
        assert!(
            (i + 1) as f64 + 0.2 * FPS >= due,
            "{protocols}: frame #{i} came {:?} after the start, when {due:.0} frames were due",
            t.duration_since(started)
        );
    }
}

#[test]
fn a_late_client_gets_the_frames_since_the_keyframe_at_once_over_tcp() {
    late_client("tcp", 31);
}

#[test]
fn a_late_client_gets_the_frames_since_the_keyframe_at_once_over_udp() {
    late_client("udp", 32);
}

/// How far each of `arrivals` lies from a steady `FPS` through the first: max - min, seconds.
fn spread(arrivals: &[Instant]) -> f64 {
    let lateness: Vec<f64> = arrivals
        .iter()
        .enumerate()
        .map(|(i, t)| t.duration_since(arrivals[0]).as_secs_f64() - i as f64 / FPS)
        .collect();
    let max = lateness.iter().cloned().fold(f64::MIN, f64::max);
    let min = lateness.iter().cloned().fold(f64::MAX, f64::min);
    max - min
}

#[test]
fn a_wandering_delay_moves_h265_frames_by_its_amplitude_without_piling_up() {
    let cam = CameraConfig::new("/cam", small_spec(33, 4.0)).with_codec(Codec::H265);
    let server = SimServer::start(ServerConfig::new(vec![cam])).unwrap();
    let client = Client::connect(&server.url("/cam"), Codec::H265, "udp");
    client.wait_frames(1, Duration::from_secs(8));
    // Past the start's burst.
    std::thread::sleep(Duration::from_secs(2));
    let amplitude = Duration::from_millis(200);
    server
        .network_wander("/cam", amplitude, Duration::from_secs(2))
        .unwrap();
    let from = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    let window: Vec<Instant> = client
        .arrivals()
        .into_iter()
        .filter(|t| *t >= from)
        .collect();
    let n = window.len() as f64;
    // The delay rises and falls: arrival follows it, and the rate holds over whole periods.
    let s = spread(&window);
    assert!(
        (0.12..0.4).contains(&s),
        "arrivals spread over {s:.3} s with a 0.2 s wander"
    );
    assert!(
        (n - 4.0 * FPS).abs() <= 0.12 * 4.0 * FPS,
        "{n} frames in 4 s at {FPS} fps"
    );
}
