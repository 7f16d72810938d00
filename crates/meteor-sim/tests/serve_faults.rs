//! Simulated camera faults and access control against a real GStreamer client: a server
//! stopping (clients get an error or EOS, new connections are refused) and coming back on the
//! same port; a stalled camera (no frames, connection open); basic-auth credentials.

mod common;

use common::{assert_rate, small_spec, Client};
use meteor_sim::serve::{CameraConfig, Codec, ServerConfig, SimServer};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn stop_closes_clients_and_restart_serves_on_the_same_port() {
    let server = SimServer::start(ServerConfig::new(vec![CameraConfig::new(
        "/cam",
        small_spec(11, 4.0),
    )]))
    .unwrap();
    let port = server.port();
    let client = Client::connect(&server.url("/cam"), Codec::H264, "tcp");
    client.wait_frames(5, Duration::from_secs(8));

    server.stop();
    assert!(!server.is_running());
    let ended = client.error_or_eos(Duration::from_secs(5));
    assert!(
        ended.is_some(),
        "the client did not notice the server stopping"
    );
    assert_eq!(server.active_streams("/cam").unwrap(), 0);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "still listening after stop()"
    );
    let refused = Client::connect(&server.url("/cam"), Codec::H264, "tcp");
    assert!(refused.error_or_eos(Duration::from_secs(5)).is_some());
    drop(refused);

    server.restart().unwrap();
    assert_eq!(server.port(), port);
    let again = Client::connect(&server.url("/cam"), Codec::H264, "tcp");
    again.wait_frames(5, Duration::from_secs(8));
    assert_eq!(again.last_size(), Some((320, 240)));

    // a second stop/restart cycle, and stop() twice is harmless
    server.stop();
    server.stop();
    server.restart().unwrap();
    let third = Client::connect(&server.url("/cam"), Codec::H264, "udp");
    third.wait_frames(5, Duration::from_secs(8));
}

#[test]
fn a_new_server_can_take_over_a_freed_port() {
    let first = SimServer::start(ServerConfig::new(vec![CameraConfig::new(
        "/c",
        small_spec(12, 4.0),
    )]))
    .unwrap();
    let port = first.port();
    let client = Client::connect(&first.url("/c"), Codec::H264, "tcp");
    client.wait_frames(1, Duration::from_secs(8));
    let mut busy = ServerConfig::new(vec![CameraConfig::new("/c", small_spec(12, 4.0))]);
    busy.port = port;
    let err = SimServer::start(busy)
        .err()
        .expect("two servers on one port");
    assert!(err.to_string().contains("cannot listen"), "{err}");
    drop(first);
    assert!(client.error_or_eos(Duration::from_secs(5)).is_some());
    let mut config = ServerConfig::new(vec![CameraConfig::new("/c", small_spec(12, 4.0))]);
    config.port = port;
    let second = SimServer::start(config).unwrap();
    assert_eq!(second.port(), port);
    let client = Client::connect(&second.url("/c"), Codec::H264, "tcp");
    client.wait_frames(1, Duration::from_secs(8));
}

#[test]
fn stall_stops_frames_without_closing() {
    let server = SimServer::start(ServerConfig::new(vec![CameraConfig::new(
        "/cam",
        small_spec(13, 4.0),
    )]))
    .unwrap();
    let client = Client::connect(&server.url("/cam"), Codec::H264, "tcp");
    client.wait_frames(10, Duration::from_secs(8));

    server.stall("/cam", true).unwrap();
    // frames already on their way may still arrive
    std::thread::sleep(Duration::from_millis(600));
    let from = Instant::now();
    assert!(client.error_or_eos(Duration::from_secs(3)).is_none());
    assert_eq!(client.frames_between(from, Instant::now()), 0);
    assert_eq!(server.active_streams("/cam").unwrap(), 1);

    server.stall("/cam", false).unwrap();
    let n = client.frames();
    client.wait_frames(n + 5, Duration::from_secs(4));
    std::thread::sleep(Duration::from_millis(1200));
    assert_rate(&client, 30.0, Duration::from_secs(2));
}

#[test]
fn credentials_with_special_characters() {
    let password = "p@ss:w#rd%1/ ?";
    let server = SimServer::start(ServerConfig::new(vec![
        CameraConfig::new("/locked", small_spec(14, 4.0)).with_credentials("admin", password),
        CameraConfig::new("/open", small_spec(14, 4.0)),
    ]))
    .unwrap();
    let url = server.url("/locked");
    assert!(
        url.starts_with("rtsp://admin:p%40ss%3Aw%23rd%251%2F%20%3F@127.0.0.1:"),
        "{url}"
    );

    let ok = Client::connect(&url, Codec::H264, "tcp");
    ok.wait_frames(3, Duration::from_secs(8));

    for bad in [
        server.url_without_credentials("/locked"),
        url.replace("%251", "%252"),
        url.replace("admin:", "root:"),
    ] {
        let c = Client::connect(&bad, Codec::H264, "tcp");
        let err = c.error_or_eos(Duration::from_secs(8));
        let err = err.unwrap_or_else(|| panic!("{bad} was let in"));
        assert!(
            err.contains("Unauthorized") || err.contains("401"),
            "{bad}: {err}"
        );
        assert_eq!(c.frames(), 0);
    }

    // the open mount stays open, with or without credentials
    let open = Client::connect(&server.url("/open"), Codec::H264, "tcp");
    open.wait_frames(3, Duration::from_secs(8));
}
