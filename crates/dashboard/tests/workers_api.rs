//! The aggregate API against real `camera-worker run` processes fed by simulated RTSP
//! cameras (meteor-sim), with sixteen cameras configured: three real workers and thirteen
//! addresses where nothing answers.

mod common;

use common::workers::{cameras_of, fleet};
use common::{client, closed_port, get_json, wait_for, Dash};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

const TOKEN: &str = "dash-test-token";

fn list(v: &Value) -> &Vec<Value> {
    v["detections"].as_array().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_cameras_three_real_workers() {
    let tmp = tempfile::tempdir().unwrap();
    let (sim, workers) = fleet(3, tmp.path(), |_| vec![("API_TOKEN", TOKEN)]).await;
    let mut cams = cameras_of(&workers);
    for i in 4..=16 {
        cams.push(format!("cam{i}=http://127.0.0.1:{}", closed_port()));
    }
    let d = Dash::start(
        &cams.join(","),
        &[
            "--poll-interval",
            "1s",
            "--request-timeout",
            "1s",
            "--api-token",
            TOKEN,
            "--resync-interval",
            "5s",
        ],
    )
    .await;

    // Every camera with its status: the three real ones stream and detect, the rest are down.
    d.until_state("detecting", Some(3), Duration::from_secs(60))
        .await;
    let v = d.json("/api/cameras").await;
    assert_eq!(v["total"], 16);
    for c in v["cameras"].as_array().unwrap() {
        if ["cam1", "cam2", "cam3"].contains(&c["name"].as_str().unwrap()) {
            assert_eq!(c["connected"], true, "{c}");
            assert_eq!(c["resolution"], "640x360");
            assert!(c["settings"]["sensitivity"].is_string());
        } else {
            assert_eq!(c["state"], "offline", "{c}");
            assert!(c["error"].as_str().unwrap().contains("refused"), "{c}");
        }
    }

    // A simulated meteor on each real camera reaches the merged list.
    for i in 1..=3 {
        wait_for(
            &format!("a detection on cam{i}"),
            Duration::from_secs(120),
            || async {
                let v = d.json(&format!("/detections?camera=cam{i}")).await;
                (v["total"].as_u64().unwrap() >= 1).then_some(())
            },
        )
        .await;
    }
    let merged = d.json("/detections?limit=1000").await;
    let times: Vec<&str> = list(&merged)
        .iter()
        .map(|r| r["start_time"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    assert_eq!(merged["total"].as_u64().unwrap() as usize, times.len());
    // The same records the worker has, field for field (plus the dashboard's own fields).
    // (A new detection may land between the two reads: then they are read again.)
    let ids = |v: &Value| {
        let mut x: Vec<String> = list(v)
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        x.sort();
        x
    };
    let worker_list = format!("{}/detections?limit=1000", workers[0].url());
    let (mine, w1) = wait_for("the same records", Duration::from_secs(10), || async {
        let w1 = get_json(&worker_list).await.1;
        let mine = d.json("/detections?camera=cam1&limit=1000").await;
        (ids(&mine) == ids(&w1)).then_some((mine, w1))
    })
    .await;
    let rec = list(&mine)[0].clone();
    let theirs = list(&w1).iter().find(|r| r["id"] == rec["id"]).unwrap();
    for k in [
        "start_time",
        "confidence",
        "clip",
        "composite",
        "track",
        "length_px",
    ] {
        assert_eq!(rec[k], theirs[k], "{k}");
    }
    // The CSV export: the same measurements, oldest first.
    let (_, rows) = d.csv("?camera=cam1").await;
    let row = rows
        .iter()
        .find(|r| r["id"] == rec["id"].as_str().unwrap())
        .expect("the record in the CSV");
    let num = |k: &str| {
        row[k]
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("{k}: {:?}", row[k]))
    };
    assert_eq!(num("start_x"), rec["start_xy"][0].as_f64().unwrap());
    assert_eq!(num("end_y"), rec["end_xy"][1].as_f64().unwrap());
    for k in [
        "length_px",
        "speed_px_s",
        "peak_snr",
        "confidence",
        "duration_s",
    ] {
        assert_eq!(num(k), rec[k].as_f64().unwrap(), "{k}");
    }
    assert_eq!(row["start_time"], rec["start_time"].as_str().unwrap());
    assert_eq!(row["clip"], rec["urls"]["clip"].as_str().unwrap());
    assert_eq!((row["width"].as_str(), row["note"].as_str()), ("640", ""));
    let times: Vec<&str> = rows.iter().map(|r| r["start_time"].as_str()).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "oldest first: {times:?}"
    );
    let one = d.json("/detections?limit=1&offset=1").await;
    assert_eq!(list(&one).len(), 1);
    assert_eq!(list(&one)[0]["id"], list(&merged)[1]["id"]);

    // The clip through the proxy: Range in, 206 and Content-Range out, bytes as on disk.
    let clip_url = rec["urls"]["clip"].as_str().expect("a clip url");
    let on_disk = std::fs::read(workers[0].out.join(rec["clip"].as_str().unwrap())).unwrap();
    let r = client()
        .get(d.url(clip_url))
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"].to_str().unwrap(),
        format!("bytes 0-99/{}", on_disk.len())
    );
    assert_eq!(r.headers()["content-type"], "video/mp4");
    assert_eq!(&r.bytes().await.unwrap()[..], &on_disk[..100]);
    let whole = d.raw(clip_url).await.bytes().await.unwrap();
    assert_eq!(whole, on_disk);
    let composite = rec["urls"]["composite"].as_str().unwrap();
    assert_eq!(d.kind(composite).await, (200, "image/jpeg".into()));
    assert_eq!(
        d.kind("/cameras/cam2/snapshot.jpg").await,
        (200, "image/jpeg".into())
    );
    let mut stream = d.raw("/cameras/cam3/stream").await;
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("multipart/x-mixed-replace"));
    let first = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!first.is_empty());
    drop(stream);

    // Label: forwarded with the token; the worker has it, and so does the merged list.
    let id = rec["id"].as_str().unwrap();
    let (st, r) = d
        .send(
            Method::PUT,
            &format!("/api/cameras/cam1/detections/{id}/label"),
            Some(json!({"label": "meteor"})),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let w = get_json(&format!("{}/detections/{id}", workers[0].url())).await;
    assert_eq!(w.1["label"], "meteor");
    assert_eq!(list(&d.json("/detections?label=meteor").await)[0]["id"], id);
    // Without the token the worker refuses, and the refusal comes through.
    let d2 = Dash::start(&format!("cam1={}", workers[0].url()), &[]).await;
    let (st, e) = d2
        .send(
            Method::PUT,
            &format!("/api/cameras/cam1/detections/{id}/label"),
            Some(json!({"label": "none"})),
        )
        .await;
    assert_eq!(st, 401, "{e}");

    // Delete: gone on the worker, from the list, and it stays gone across full re-reads.
    let victim = list(&d.json("/detections?camera=cam2").await)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _) = d
        .send(
            Method::DELETE,
            &format!("/api/cameras/cam2/detections/{victim}"),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let gone = get_json(&format!("{}/detections/{victim}", workers[1].url())).await;
    assert_eq!(gone.0, 404);
    let has = |v: &Value| list(v).iter().any(|r| r["id"] == victim.as_str());
    assert!(!has(&d.json("/detections?limit=1000").await));
    tokio::time::sleep(Duration::from_secs(6)).await; // past RESYNC_INTERVAL
    assert!(!has(&d.json("/detections?limit=1000").await));

    // Settings: a bad value is refused naming the field; a good one applies and shows.
    let s = d.json("/api/cameras/cam3/settings").await;
    assert!(s["params"].is_object(), "{s}");
    let (st, e) = d
        .send(
            Method::PUT,
            "/api/cameras/cam3/settings",
            Some(json!({"scale": 5.0})),
        )
        .await;
    assert_eq!(e["field"], "scale", "{e}");
    // Passed through as the worker gave it (docs/api.md says 422).
    let direct = client()
        .put(format!("{}/settings", workers[2].url()))
        .bearer_auth(TOKEN)
        .json(&json!({"scale": 5.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(st, direct.status().as_u16());
    assert_eq!(e, direct.json::<Value>().await.unwrap());
    let (st, s) = d
        .send(
            Method::PUT,
            "/api/cameras/cam3/settings",
            Some(json!({"sensitivity": "high"})),
        )
        .await;
    assert_eq!((st, s["sensitivity"].as_str()), (200, Some("high")), "{s}");
    wait_for(
        "the card to show the new preset",
        Duration::from_secs(5),
        || async { (d.camera("cam3").await["settings"]["sensitivity"] == "high").then_some(()) },
    )
    .await;

    // Stats and metrics agree with the workers.
    let stats = d.json("/stats").await;
    assert_eq!(stats["cameras"], json!({"total": 16, "online": 3}));
    for (i, w) in workers.iter().enumerate() {
        let ws = get_json(&format!("{}/stats", w.url())).await.1;
        let mine = stats["per_camera"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["camera"] == w.name)
            .unwrap()
            .clone();
        let total = ws["detections"]["total"].as_u64().unwrap();
        // A new detection may land between the two reads.
        assert!(
            mine["total"].as_u64().unwrap().abs_diff(total) <= 1,
            "cam{}: {mine} vs {}",
            i + 1,
            ws["detections"]
        );
    }
    let m = d.metrics().await;
    assert!(
        m.contains("meteor_dashboard_camera_up{camera=\"cam1\"} 1"),
        "{m}"
    );
    assert!(m.contains("meteor_dashboard_camera_up{camera=\"cam16\"} 0"));
    assert!(m.contains("meteor_dashboard_cameras_online 3"));
    drop(workers);
    sim.stop();
}
