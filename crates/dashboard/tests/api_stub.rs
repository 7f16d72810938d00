//! The aggregate API against stand-in workers (tests/common/stub.rs): fast and exact about
//! merging, filters, paging, the cache, forwarding changes with the token, error
//! pass-through, Range on the file proxy, timeouts, and sixteen cameras.

mod common;

use common::stub::Stub;
use common::{closed_port, free_port, ids, synced, wait_for, Dash};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_detections_labels_deletes_settings_and_files() {
    let a = Stub::start("alpha", Some("s3cret")).await;
    let b = Stub::start("beta", Some("s3cret")).await;
    a.add("20261123_010000_aaaaaaa1", "2026-11-23T01:00:00.000Z", 0.9);
    a.add("20261123_030000_aaaaaaa2", "2026-11-23T03:00:00.000Z", 0.4);
    b.add("20261123_020000_bbbbbbb1", "2026-11-23T02:00:00.000Z", 0.8);
    // The dashboard's names differ from the workers' own; one is not ASCII.
    let cams = format!("Alpha ☄={},beta=http://127.0.0.1:{}", a.url(), b.port);
    let d = Dash::start(
        &cams,
        &["--poll-interval", "300ms", "--api-token", "s3cret"],
    )
    .await;
    synced(&d, "Alpha ☄", 2).await;
    synced(&d, "beta", 1).await;

    let v = d.json("/detections").await;
    assert_eq!(v["total"], 3);
    assert_eq!(
        ids(&v),
        [
            "20261123_030000_aaaaaaa2",
            "20261123_020000_bbbbbbb1",
            "20261123_010000_aaaaaaa1"
        ]
    );
    let first = &v["detections"][0];
    assert_eq!(first["camera"], "Alpha ☄");
    assert_eq!(first["worker_camera"], "alpha");
    assert_eq!(first["night"], "2026-11-22");
    assert_eq!(
        first["urls"]["clip"],
        "/cameras/Alpha%20%E2%98%84/files/meteor_20261123_030000_aaaaaaa2.mp4"
    );
    // Filters and paging.
    let v = d.json("/detections?camera=beta").await;
    assert_eq!(ids(&v), ["20261123_020000_bbbbbbb1"]);
    let v = d
        .json("/detections?min_confidence=0.5&limit=1&offset=1")
        .await;
    assert_eq!(
        (v["total"].as_u64(), ids(&v)),
        (Some(2), vec!["20261123_010000_aaaaaaa1".to_string()])
    );
    let v = d
        .json("/detections?since=2026-11-23T01:30:00Z&until=2026-11-23T03:00:00Z")
        .await;
    assert_eq!(ids(&v), ["20261123_020000_bbbbbbb1"]);
    let v = d.json("/detections?night=2026-11-22").await;
    assert_eq!(v["total"], 3);
    let (st, e) = d.get("/detections?limit=0").await;
    assert_eq!((st, e["field"].as_str()), (400, Some("limit")));
    let (st, e) = d.get("/detections?camera=nope").await;
    assert_eq!((st, e["field"].as_str()), (404, Some("camera")));

    // The same as a CSV file: the filters applied, oldest first, named after them.
    let (h, rows) = d.csv("?night=2026-11-22&camera=Alpha%20%E2%98%84").await;
    assert_eq!(h["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"meteors_2026-11-22_Alpha--.csv\""
    );
    assert_eq!(h["x-total-count"], "2");
    let got: Vec<[&str; 5]> = rows
        .iter()
        .map(|r| ["camera", "night", "id", "confidence", "duration_s"].map(|k| r[k].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            [
                "Alpha ☄",
                "2026-11-22",
                "20261123_010000_aaaaaaa1",
                "0.9",
                "1.0"
            ],
            [
                "Alpha ☄",
                "2026-11-22",
                "20261123_030000_aaaaaaa2",
                "0.4",
                "1.0"
            ]
        ]
    );
    assert_eq!(
        rows[1]["clip"],
        "/cameras/Alpha%20%E2%98%84/files/meteor_20261123_030000_aaaaaaa2.mp4"
    );
    assert_eq!(rows[1]["start_time"], "2026-11-23T03:00:00.000Z");
    assert_eq!(
        (rows[1]["label"].as_str(), rows[1]["note"].as_str()),
        ("", "")
    );
    let (h, rows) = d.csv("?min_confidence=0.5").await;
    assert_eq!(
        (rows.len(), h["content-disposition"].to_str().unwrap()),
        (2, "attachment; filename=\"meteors.csv\"")
    );
    let (h, rows) = d.csv("?night=2026-11-01").await;
    assert_eq!((rows.len(), h["x-total-count"].to_str().unwrap()), (0, "0"));
    let (st, e) = d.get("/detections.csv?min_confidence=2").await;
    assert_eq!((st, e["field"].as_str()), (400, Some("min_confidence")));
    let (st, e) = d.get("/api/detections.csv?camera=nope").await;
    assert_eq!((st, e["field"].as_str()), (404, Some("camera")));

    // A label goes to the owning worker with the token, and into the cache.
    let path = "/api/cameras/Alpha%20%E2%98%84/detections/20261123_010000_aaaaaaa1";
    let (st, rec) = d
        .send(
            Method::PUT,
            &format!("{path}/label"),
            Some(json!({"label": "meteor"})),
        )
        .await;
    assert_eq!(st, 200, "{rec}");
    assert_eq!(rec["label"], "meteor");
    assert!(a
        .inner
        .lock()
        .unwrap()
        .records
        .iter()
        .any(|r| r["label"] == "meteor"));
    assert_eq!(
        a.inner.lock().unwrap().auth_seen.last().unwrap().as_deref(),
        Some("Bearer s3cret")
    );
    let v = d.json("/detections?label=meteor").await;
    assert_eq!(ids(&v), ["20261123_010000_aaaaaaa1"]);
    let v = d.json("/detections?label=none").await;
    assert_eq!(v["total"], 2);
    let (st, e) = d
        .send(
            Method::PUT,
            &format!("{path}/label"),
            Some(json!({"label": "maybe"})),
        )
        .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("label")));

    // Delete: gone from the worker and from the list at once; a second delete is a 404.
    let (st, _) = d.send(Method::DELETE, path, None).await;
    assert_eq!(st, 204);
    assert_eq!(
        a.inner.lock().unwrap().deleted,
        ["20261123_010000_aaaaaaa1"]
    );
    assert_eq!(d.json("/detections").await["total"], 2);
    let (st, _) = d.send(Method::DELETE, path, None).await;
    assert_eq!(st, 404);

    // Bulk label across both cameras.
    let (st, r) = d
        .send(
            Method::POST,
            "/api/detections/bulk",
            Some(json!({"action": "label", "label": "not_meteor", "items": [
                {"camera": "Alpha ☄", "id": "20261123_030000_aaaaaaa2"},
                {"camera": "beta", "id": "20261123_020000_bbbbbbb1"},
                {"camera": "beta", "id": "missing"}]})),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["done"], 2);
    assert_eq!(r["failed"][0]["status"], 404);
    assert_eq!(d.json("/detections?label=not_meteor").await["total"], 2);

    // A detection added on the worker arrives incrementally (since the newest known).
    b.add("20261123_040000_bbbbbbb2", "2026-11-23T04:00:00.000Z", 0.7);
    synced(&d, "beta", 2).await;
    let since = b.inner.lock().unwrap().list_calls.last().cloned().unwrap();
    assert!(
        since.starts_with("2026-11-23T01:50:00"),
        "incremental read since {since:?}"
    );
    // A deletion made elsewhere is noticed (counts disagree -> full read).
    b.inner
        .lock()
        .unwrap()
        .records
        .retain(|r| r["id"] != "20261123_020000_bbbbbbb1");
    synced(&d, "beta", 1).await;

    // Settings: read, applied with the token, validation errors passed through with the field.
    let s = d.json("/api/cameras/beta/settings").await;
    assert_eq!(s["sensitivity"], "medium");
    let (st, s) = d
        .send(
            Method::PUT,
            "/api/cameras/beta/settings",
            Some(json!({"scale": 0.75})),
        )
        .await;
    assert_eq!((st, s["scale"].as_f64()), (200, Some(0.75)));
    let (st, e) = d
        .send(
            Method::PUT,
            "/api/cameras/beta/settings",
            Some(json!({"scale": 7})),
        )
        .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("scale")), "{e}");

    // Files through the proxy, with Range.
    let r = common::client()
        .get(d.url("/cameras/beta/files/meteor_x.mp4"))
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 100-199/1000");
    assert_eq!(r.headers()["content-type"], "video/mp4");
    let body = r.bytes().await.unwrap();
    assert_eq!((body.len(), body[0]), (100, 100));
    let (st, _) = d.get("/cameras/beta/files/..hidden").await;
    assert_eq!(st, 400);
    // A browser rendition the worker makes on request answers late: the proxy waits for it
    // (a failed request would show the reviewer an error instead of the clip).
    let t = Instant::now();
    let r = common::client()
        .get(d.url("/cameras/beta/files/meteor_x_browser.mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "after {:?}", t.elapsed());
    assert!(t.elapsed() >= common::stub::RENDITION_WAIT);
    assert_eq!(r.bytes().await.unwrap().len(), 1000);
    assert_eq!(
        d.kind("/cameras/Alpha%20%E2%98%84/snapshot.jpg").await,
        (200, "image/jpeg".into())
    );

    // Nights and the chart.
    let n = d.json("/api/nights").await;
    let night = n["nights"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["night"] == "2026-11-22")
        .unwrap();
    assert_eq!(night["total"], 2);
    let c = d.json("/api/chart?night=2026-11-22").await;
    assert_eq!(c["hours"][0], "12");
    let beta = c["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["camera"] == "beta")
        .unwrap();
    assert_eq!(beta["counts"][16], 1, "04:00 UTC is slot 16: {beta}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_worker_delays_nothing_else_and_sixteen_cameras_show() {
    let fast = Stub::start("fast", None).await;
    let slow = Stub::start("slow", None).await;
    fast.add("20261123_010000_ffffffff", "2026-11-23T01:00:00.000Z", 0.9);
    let mut cams = vec![
        format!("fast={}", fast.url()),
        format!("slow={}", slow.url()),
    ];
    for i in 3..=16 {
        cams.push(format!("dead \"{i}\"=http://127.0.0.1:{}", closed_port()));
    }
    let d = Dash::start(
        &cams.join(","),
        &["--poll-interval", "500ms", "--request-timeout", "2s"],
    )
    .await;
    synced(&d, "fast", 1).await;
    wait_for("slow online", Duration::from_secs(5), || async {
        (d.camera("slow").await["online"] == json!(true)).then_some(())
    })
    .await;
    slow.set_delay(Duration::from_secs(30));
    let c = wait_for("slow to turn offline", Duration::from_secs(10), || async {
        let c = d.camera("slow").await;
        (c["state"] == "offline").then_some(c)
    })
    .await;
    assert!(
        c["error"].as_str().unwrap().contains("no answer within"),
        "{c}"
    );
    assert!(c["last_seen"].is_string());

    // The page's data never waits for a worker: every answer comes well within the 2 s a
    // worker is given (the slow one holds each poll for all of it), and the fast one keeps
    // being polled meanwhile.
    let before = d.camera("fast").await["polls"].as_u64().unwrap();
    for _ in 0..6 {
        for path in [
            "/api/cameras",
            "/stats",
            "/detections",
            "/api/nights",
            "/healthz",
        ] {
            let t = Instant::now();
            let v = d.json(path).await;
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "{path} waited for a worker: {:?}",
                t.elapsed()
            );
            if path == "/api/cameras" {
                assert_eq!(v["cameras"].as_array().unwrap().len(), 16);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = d.camera("fast").await;
    assert_eq!(after["state"], "detecting");
    assert!(
        after["polls"].as_u64().unwrap() >= before + 2,
        "the fast camera kept being polled: {before} -> {after}"
    );

    let v = d.json("/api/cameras").await;
    let states: Vec<&str> = v["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "offline").count(),
        15,
        "{states:?}"
    );
    let dead = d.camera("dead \"7\"").await;
    assert!(
        dead["error"].as_str().unwrap().contains("refused"),
        "{dead}"
    );
    assert!(dead["last_seen"].is_null());
    let s = d.json("/stats").await;
    assert_eq!(s["cameras"], json!({"total": 16, "online": 1}));
    assert_eq!(s["detections"]["total"], 1);
    let (st, h) = d.get("/healthz").await;
    assert_eq!((st, h["status"].as_str()), (200, Some("warn")));
    let (st, e) = d.get("/cameras/dead%20%227%22/snapshot.jpg").await;
    assert_eq!(st, 503, "{e}");

    let m = d.metrics().await;
    assert!(m.contains("meteor_dashboard_cameras 16\n"), "{m}");
    assert!(m.contains("meteor_dashboard_camera_up{camera=\"fast\"} 1\n"));
    assert!(
        m.contains("meteor_dashboard_camera_up{camera=\"dead \\\"7\\\"\"} 0\n"),
        "{m}"
    );
    assert!(m.contains("# TYPE meteor_dashboard_camera_polls_total counter"));
    slow.set_delay(Duration::ZERO);
    wait_for("slow back", Duration::from_secs(5), || async {
        (d.camera("slow").await["online"] == json!(true)).then_some(())
    })
    .await;
}

#[test]
fn binary_healthcheck_and_config_errors() {
    let bin = env!("CARGO_BIN_EXE_dashboard");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cams.txt");
    std::fs::write(
        &file,
        "# cameras\ncam1=http://127.0.0.1:1\n\nnot a camera line\n",
    )
    .unwrap();
    let o = std::process::Command::new(bin)
        .args(["--cameras-file", file.to_str().unwrap()])
        .env_remove("CAMERAS")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cams.txt:4: expected name=http://host:port"),
        "{err}"
    );

    let port = free_port();
    let o = std::process::Command::new(bin)
        .args(["healthcheck"])
        .env("WEB_PORT", port.to_string())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "nothing listens: unhealthy");

    std::fs::write(&file, "cam1=http://127.0.0.1:1\n").unwrap();
    let mut child = std::process::Command::new(bin)
        .args([
            "--cameras-file",
            file.to_str().unwrap(),
            "--bind",
            "127.0.0.1",
        ])
        .env("WEB_PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let ok = loop {
        let o = std::process::Command::new(bin)
            .args(["healthcheck"])
            .env("WEB_PORT", port.to_string())
            .output()
            .unwrap();
        if o.status.success() || t0.elapsed() > Duration::from_secs(10) {
            break o.status.success();
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "healthcheck against the running dashboard");
}
