//! Day/night profile switches and audio codecs of the simulated cameras, against a real
//! GStreamer client: the decoded size and frame rate change on the same connection (one
//! session, timestamps still increasing), at the new rate, and the served truth knows which
//! loop showed each event and when.

mod common;

use common::{assert_rate, Client};
use meteor_sim::serve::{Audio, CameraConfig, Codec, ServerConfig, SimServer};
use meteor_sim::{MeteorSpec, RenderSpec};
use std::time::Duration;

fn with_meteor(spec: RenderSpec, start_s: f64) -> RenderSpec {
    let (w, h) = (spec.width as f64, spec.height as f64);
    spec.with_event(MeteorSpec::new(
        [0.2 * w, 0.2 * h],
        [0.7 * w, 0.6 * h],
        start_s,
        start_s + 0.5,
        12.0,
    ))
}

#[test]
fn switch_changes_size_and_rate_on_the_same_connection() {
    let day = with_meteor(RenderSpec::custom(21, 320, 240, 30.0, 4.0), 1.0);
    let night = with_meteor(RenderSpec::custom(22, 240, 160, 15.0, 4.0), 1.5);
    let server = SimServer::start(ServerConfig::new(vec![CameraConfig::new("/s", day)])).unwrap();
    let client = Client::connect(&server.url("/s"), Codec::H264, "tcp");
    client.wait_frames(10, Duration::from_secs(10));
    assert_eq!(client.formats(), [(320, 240, 30.0)]);

    let tl = server.switch("/s", night).unwrap();
    assert!((tl.fps() - 15.0).abs() < 1e-9);
    assert_eq!(tl.frames_per_loop, 60);
    client.wait_size(240, 160, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(1200));
    assert_rate(&client, 15.0, Duration::from_secs(3));
    assert_eq!(client.formats(), [(320, 240, 30.0), (240, 160, 15.0)]);
    assert!(client.error_or_eos(Duration::ZERO).is_none());
    assert!(client.timestamps_increase(), "timestamps go back");
    // one session all along: the server fed one media, the client got one stream
    assert_eq!(server.active_streams("/s").unwrap(), 1);
    assert_eq!(client.streams(), ["video"]);
    assert_eq!(server.timeline("/s").unwrap().start, tl.start);

    // the loop after the switch is segment 1, its events on the new timeline; nothing of
    // segment 0 ends after the switch
    let served = server.truth("/s").unwrap();
    let after: Vec<_> = served.iter().filter(|e| e.segment == 1).collect();
    assert!(!after.is_empty(), "{served:?}");
    for e in &after {
        let start = tl.offset_of(e.start);
        assert!(
            (start - (4.0 * e.loop_index as f64 + 1.5)).abs() < 1e-6,
            "{start}"
        );
    }
    assert!(served
        .iter()
        .filter(|e| e.segment == 0)
        .all(|e| e.end <= tl.start));
    let segments = server.segments("/s").unwrap();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[1].1.width, 240);
}

#[test]
fn scheduled_switch_over_udp_and_every_audio_codec() {
    let day = RenderSpec::custom(23, 320, 240, 25.0, 4.0);
    let night = RenderSpec::custom(23, 320, 240, 12.5, 4.0);
    let cams = vec![
        CameraConfig::new("/aac", day.clone())
            .with_codec(Codec::H265)
            .with_audio(Audio::Aac)
            .with_switch(3.0, night),
        CameraConfig::new("/pcmu", day.clone()).with_audio(Audio::Pcmu),
        CameraConfig::new("/pcma", day).with_audio(Audio::Pcma),
    ];
    let server = SimServer::start(ServerConfig::new(cams)).unwrap();
    let aac = Client::connect(&server.url("/aac"), Codec::H265, "udp");
    let pcmu = Client::connect(&server.url("/pcmu"), Codec::H264, "tcp");
    let pcma = Client::connect(&server.url("/pcma"), Codec::H264, "tcp");
    for c in [&aac, &pcmu, &pcma] {
        c.wait_frames(5, Duration::from_secs(10));
    }
    for (c, enc) in [(&aac, "MPEG4-GENERIC"), (&pcmu, "PCMU"), (&pcma, "PCMA")] {
        // The first frames (a keyframe interval, sent at once) may beat the audio pad.
        let t = std::time::Instant::now();
        while c.encodings().len() < 2 && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut got = c.encodings();
        got.sort();
        assert!(got.contains(&enc.to_string()), "{got:?}");
        assert_eq!(got.len(), 2, "{got:?}");
    }
    // a frame-rate change alone (same size): the decoder's caps say so
    let t = std::time::Instant::now();
    while aac.formats().len() < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(8),
            "no switch: {:?}",
            aac.formats()
        );
        if let Some(e) = aac.error_or_eos(Duration::from_millis(50)) {
            panic!("client failed: {e}");
        }
    }
    assert_eq!(aac.formats(), [(320, 240, 25.0), (320, 240, 12.5)]);
    std::thread::sleep(Duration::from_millis(1200));
    assert_rate(&aac, 12.5, Duration::from_secs(4));
    assert!(aac.timestamps_increase());
    assert!((server.timeline("/aac").unwrap().fps() - 12.5).abs() < 1e-9);
}
