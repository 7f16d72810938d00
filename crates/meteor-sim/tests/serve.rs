//! Simulated RTSP cameras against a real GStreamer client on 127.0.0.1: H.264 and H.265 at
//! the right rate and size, over TCP and UDP, with an audio track, and the served truth.

mod common;

use common::{assert_rate, first_h264_nal_types, small_spec, Client};
use meteor_sim::serve::{Audio, CameraConfig, Codec, ServerConfig, SimServer};
use meteor_sim::{MeteorSpec, RenderSpec};
use std::time::Duration;

fn serve(cams: Vec<CameraConfig>) -> SimServer {
    SimServer::start(ServerConfig::new(cams)).unwrap()
}

#[test]
fn h264_over_tcp_at_the_frame_rate() {
    let server = serve(vec![CameraConfig::new("/cam1", small_spec(1, 4.0))]);
    assert!(server.port() > 0);
    let url = server.url("/cam1");
    assert_eq!(url, format!("rtsp://127.0.0.1:{}/cam1", server.port()));
    let client = Client::connect(&url, Codec::H264, "tcp");
    client.wait_frames(1, Duration::from_secs(8));
    assert_eq!(client.last_size(), Some((320, 240)));
    assert_eq!(server.active_streams("/cam1").unwrap(), 1);
    // past the start (one keyframe interval at most is sent at once), frames come at 30 fps,
    // across loop boundaries (the loop is 4 s)
    std::thread::sleep(Duration::from_millis(1200));
    assert_rate(&client, 30.0, Duration::from_secs(5));
    assert!(client.error_or_eos(Duration::ZERO).is_none());
    assert!(client.timestamps_increase(), "timestamps go back");
    assert!(server.frames_sent("/cam1").unwrap() >= 150);
    drop(client);
    let t = std::time::Instant::now();
    while server.active_streams("/cam1").unwrap() > 0 {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the pusher outlived its client"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn h265_with_audio_over_udp() {
    let cam = CameraConfig::new("cam2", small_spec(2, 4.0))
        .with_codec(Codec::H265)
        .with_audio(Audio::Pcma);
    let server = serve(vec![cam]);
    let client = Client::connect(&server.url("/cam2"), Codec::H265, "udp");
    client.wait_frames(1, Duration::from_secs(10));
    assert_eq!(client.last_size(), Some((320, 240)));
    std::thread::sleep(Duration::from_millis(1200));
    assert_rate(&client, 30.0, Duration::from_secs(3));
    let mut streams = client.streams();
    streams.sort();
    assert_eq!(streams, ["audio", "video"]);
}

#[test]
fn several_cameras_and_clients_on_one_port() {
    let server = serve(vec![
        CameraConfig::new("/a", small_spec(3, 4.0)),
        CameraConfig::new("/b", RenderSpec::custom(4, 640, 360, 15.0, 4.0)).with_audio(Audio::Aac),
    ]);
    assert_eq!(server.mounts(), ["/a", "/b"]);
    let a1 = Client::connect(&server.url("/a"), Codec::H264, "tcp");
    let a2 = Client::connect(&server.url("/a"), Codec::H264, "udp");
    let b = Client::connect(&server.url("/b"), Codec::H264, "tcp");
    for c in [&a1, &a2, &b] {
        c.wait_frames(1, Duration::from_secs(10));
    }
    assert_eq!(b.last_size(), Some((640, 360)));
    assert_eq!(server.active_streams("/a").unwrap(), 2);
    std::thread::sleep(Duration::from_millis(1200));
    assert_rate(&b, 15.0, Duration::from_secs(3));
    assert!(server.stall("/nope", true).is_err());
}

#[test]
fn truth_has_wall_clock_times_along_the_timeline() {
    let spec = RenderSpec::custom(5, 320, 240, 30.0, 2.0).with_event(MeteorSpec::new(
        [40.0, 40.0],
        [200.0, 120.0],
        0.5,
        1.0,
        12.0,
    ));
    let server = serve(vec![CameraConfig::new("/m", spec)]);
    let tl = server.timeline("/m").unwrap();
    assert_eq!(tl.frames_per_loop, 60);
    assert!((tl.loop_duration_s() - 2.0).abs() < 1e-9);
    assert_eq!(server.loop_truth("/m").unwrap().events.len(), 1);
    assert!(server.truth("/m").unwrap().is_empty());
    std::thread::sleep(Duration::from_millis(3200));
    let served = server.truth("/m").unwrap();
    // loop 0 (0.5-1.0 s) and loop 1 (2.5-3.0 s) have ended
    assert_eq!(served.len(), 2, "{served:?}");
    for (k, e) in served.iter().enumerate() {
        assert_eq!(e.loop_index, k as u64);
        assert_eq!(e.event.kind, "meteor");
        let start = tl.offset_of(e.start);
        assert!((start - (2.0 * k as f64 + 0.5)).abs() < 1e-6, "{start}");
        assert!((tl.offset_of(e.end) - start - 0.5).abs() < 1e-6);
    }
    // a stall cuts the events it overlaps out
    server.stall("/m", true).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    server.stall("/m", false).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    let after = server.truth("/m").unwrap();
    let loops: Vec<u64> = after.iter().map(|e| e.loop_index).collect();
    assert!(!loops.contains(&2), "{loops:?}");
    assert!(loops.contains(&3) || loops.contains(&4), "{loops:?}");
}

#[test]
fn every_client_starts_at_a_keyframe_with_parameter_sets() {
    let cam = CameraConfig::new("/k", small_spec(6, 4.0)).with_keyframe_interval(2.0);
    let server = serve(vec![cam]);
    for i in 0..4 {
        std::thread::sleep(Duration::from_millis(300 + 200 * i));
        let types = first_h264_nal_types(&server.url("/k"));
        for t in [7, 8, 5] {
            assert!(
                types.contains(&t),
                "client {i}: first access unit has NAL types {types:?}"
            );
        }
    }
}
