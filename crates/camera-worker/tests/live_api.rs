//! The live worker's API as the dashboard and a person use it: settings changed live (no
//! reconnect, visible in /stats and in what gets written) and kept across a restart; labels
//! and deletions that stick, also after a restart; a 4xx with a message for every bad input;
//! the API token guarding every change.

mod support;

use meteor_sim::serve::CameraConfig;
use reqwest::blocking::RequestBuilder;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use support::{meteor_loop, serve, Worker};

const TOKEN: &str = "t0ken-for-tests";

fn auth(r: RequestBuilder) -> RequestBuilder {
    r.bearer_auth(TOKEN)
}

/// Sends `r` and returns the status and the JSON body (Null when there is none).
fn call(r: RequestBuilder) -> (StatusCode, Value) {
    let resp = r.send().unwrap();
    let status = resp.status();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn wait_detections(w: &Worker, n: usize) -> Vec<meteor_core::Detection> {
    w.wait_for("detections", Duration::from_secs(40), |w| {
        w.detections().len() >= n
    });
    w.detections()
}

#[test]
fn settings_labels_and_deletions_live_and_across_restarts() {
    let server = serve(vec![
        CameraConfig::new("/cam1", meteor_loop(31)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut w = Worker::start(&server.url("/cam1"), &out, &[("API_TOKEN", TOKEN)]);
    let first = wait_detections(&w, 1).pop().unwrap();
    assert!(first.clip.is_some());
    assert_eq!(first.sensitivity, "medium");
    let http = w.http().clone();

    // A change without (or with a wrong) token is refused; with it, it applies live.
    let patch = json!({"sensitivity": "high", "extract_clips": false});
    let (st, body) = call(http.put(w.url("/settings")).json(&patch));
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{body}");
    let (st, _) = call(
        http.put(w.url("/settings"))
            .bearer_auth("nope")
            .json(&patch),
    );
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let before = w.stats();
    let (st, body) = call(auth(http.put(w.url("/settings"))).json(&patch));
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["sensitivity"], "high");
    let stats = w.stats();
    assert_eq!(stats["settings"]["sensitivity"], "high");
    assert_eq!(stats["settings"]["extract_clips"], false);
    // ... without dropping the stream
    assert_eq!(stats["reconnects"], before["reconnects"]);
    assert_eq!(stats["connected"], true);
    // ... and in behaviour: the next meteor is recorded without a clip.
    let n = w.detections().len();
    let next = wait_detections(&w, n + 1);
    let newest = &next[0];
    assert!(newest.start_time > first.start_time);
    assert_eq!(newest.sensitivity, "high");
    assert!(
        newest.clip.is_none(),
        "a clip although clips are off: {newest:?}"
    );
    assert!(newest.composite.is_some());

    // Label one, delete the other.
    let (st, body) = call(
        auth(http.put(w.url(&format!("/detections/{}/label", newest.id))))
            .json(&json!({"label": "meteor"})),
    );
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["label"], "meteor");
    let files: Vec<String> = [&first.clip, &first.composite, &first.composite_original]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let (st, _) = call(auth(
        http.delete(w.url(&format!("/detections/{}", first.id))),
    ));
    assert_eq!(st, StatusCode::NO_CONTENT);
    for f in &files {
        assert!(!out.join(f).exists(), "{f} left after the delete");
    }
    let gone = |w: &Worker| {
        let (st, _) = call(w.http().get(w.url(&format!("/detections/{}", first.id))));
        st == StatusCode::NOT_FOUND && w.detections().iter().all(|d| d.id != first.id)
    };
    assert!(gone(&w));

    w.restart();
    assert!(gone(&w), "the deleted detection came back after a restart");
    let s = w.get("/settings");
    assert_eq!(
        s["sensitivity"], "high",
        "settings lost in the restart: {s}"
    );
    assert_eq!(s["extract_clips"], false);
    let labelled = w.get(&format!("/detections/{}", newest.id));
    assert_eq!(labelled["label"], "meteor");
    // Clearing a label.
    let (st, body) = call(
        auth(http.put(w.url(&format!("/detections/{}/label", newest.id))))
            .json(&json!({"label": "none"})),
    );
    assert_eq!(st, StatusCode::OK);
    assert_eq!(body["label"], Value::Null);
}

#[test]
fn bad_input_gets_a_4xx_naming_what_is_wrong() {
    let server = serve(vec![
        CameraConfig::new("/cam1", meteor_loop(32)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let w = Worker::start(&server.url("/cam1"), &out, &[("API_TOKEN", TOKEN)]);
    let d = wait_detections(&w, 1).pop().unwrap();
    let http = w.http().clone();
    let field = |r: RequestBuilder, status: StatusCode, field: Option<&str>| {
        let (st, body) = call(r);
        assert_eq!(st, status, "{body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "no message: {body}"
        );
        if let Some(f) = field {
            assert_eq!(body["field"], f, "{body}");
        }
    };
    let put = |path: &str| auth(http.put(w.url(path)));
    let bad = StatusCode::BAD_REQUEST;
    field(
        put("/settings").json(&json!({"scale": 7})),
        bad,
        Some("scale"),
    );
    field(
        put("/settings").json(&json!({"sensitivity": "extreme"})),
        bad,
        Some("sensitivity"),
    );
    field(
        put("/settings").json(&json!({"overrides": {"k_sigma": -1}})),
        bad,
        Some("k_sigma"),
    );
    field(put("/settings").json(&json!({"bogus": 1})), bad, None);
    field(
        put("/settings")
            .header("content-type", "application/json")
            .body("{not json"),
        bad,
        None,
    );
    // Nothing of a refused change was applied.
    assert_eq!(w.get("/settings")["sensitivity"], "medium");
    assert_eq!(w.get("/settings")["scale"], 0.5);

    let get = |path: &str| http.get(w.url(path));
    field(get("/detections?limit=abc"), bad, Some("limit"));
    field(get("/detections?limit=-3"), bad, Some("limit"));
    field(get("/detections?since=yesterday"), bad, Some("since"));
    field(
        get("/detections?until=2026-13-01T00:00:00Z"),
        bad,
        Some("until"),
    );
    field(get("/detections?color=red"), bad, None);
    field(get("/detections/no-such-id"), StatusCode::NOT_FOUND, None);
    field(
        put(&format!("/detections/{}/label", d.id)).json(&json!({"label": "maybe"})),
        bad,
        Some("label"),
    );
    field(
        auth(http.delete(w.url("/detections/20260101_000000_deadbeef"))),
        StatusCode::NOT_FOUND,
        None,
    );
    // ("/files/.." itself never reaches the server: clients resolve dot segments.)
    for name in [
        "..%2Fsettings.json",
        ".hidden",
        "a%5Cb",
        "%2Fetc%2Fpasswd",
        "x%00.mp4",
    ] {
        field(get(&format!("/files/{name}")), bad, None);
    }
    field(
        get("/files/meteor_nothing.mp4"),
        StatusCode::NOT_FOUND,
        None,
    );
    field(get("/nowhere"), StatusCode::NOT_FOUND, None);

    // Range requests on a clip, and no cross-origin opening.
    let clip = d.clip.unwrap();
    let size = std::fs::metadata(out.join(&clip)).unwrap().len();
    let r = get(&format!("/files/{clip}"))
        .header("range", "bytes=0-99")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes 0-99/{size}")
    );
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert_eq!(r.bytes().unwrap().len(), 100);
    let r = get(&format!("/files/{clip}"))
        .header("range", format!("bytes={}-", size + 10))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
}

#[test]
fn exclusion_mask_from_a_daytime_photo_applied_live_and_kept() {
    let server = serve(vec![
        CameraConfig::new("/cam1", support::empty_loop(33)).with_keyframe_interval(1.0)
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut w = Worker::start(&server.url("/cam1"), &out, &[("API_TOKEN", TOKEN)]);
    w.wait_for("connected", Duration::from_secs(20), |w| {
        w.stats()["connected"] == true
    });
    let http = w.http().clone();
    let overlay = |w: &Worker| {
        w.http()
            .get(w.url("/mask.png"))
            .send()
            .unwrap()
            .bytes()
            .unwrap()
    };
    let before = overlay(&w);
    assert_eq!(&before[1..4], b"PNG");

    let mut photo = Vec::new();
    sky_mask::example::daytime_photo()
        .write_to(
            &mut std::io::Cursor::new(&mut photo),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let (st, _) = call(http.post(w.url("/mask")).body(photo.clone()));
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, body) = call(auth(http.post(w.url("/mask"))).body(b"not an image".to_vec()));
    assert_eq!(
        (st, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("image")),
        "{body}"
    );
    let (st, body) = call(auth(http.post(w.url("/mask/confirm"))));
    assert_eq!(st, StatusCode::CONFLICT, "{body}");

    let (st, body) = call(auth(http.post(w.url("/mask"))).body(photo));
    assert_eq!(st, StatusCode::OK, "{body}");
    let sky = body["sky_fraction"].as_f64().unwrap();
    assert!((0.4..0.55).contains(&sky), "{body}");
    let preview = http.get(w.url("/mask/preview.png")).send().unwrap();
    assert_eq!(preview.status(), StatusCode::OK);
    // Not in force before it is confirmed.
    assert_eq!(w.get("/settings")["mask"], Value::Null);
    let (st, body) = call(auth(http.post(w.url("/mask/confirm"))));
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["mask_source"], "api");
    assert!(out.join("mask.png").is_file());
    assert_ne!(overlay(&w), before, "the overlay did not change");
    let stats = w.stats();
    assert_eq!(stats["settings"]["mask_source"], "api");
    assert_eq!(stats["reconnects"], 0, "the mask change dropped the stream");

    w.restart();
    assert_eq!(w.get("/settings")["mask_source"], "api");
    let (st, body) = call(auth(w.http().delete(w.url("/mask"))));
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["mask"], Value::Null);
    assert_eq!(overlay(&w), before);
}
