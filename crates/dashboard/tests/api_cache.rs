//! The dashboard's bounded cache against a stand-in worker (tests/common/stub.rs): records
//! past the newest `CACHE_RECORDS` of a camera come from their worker, with one time budget
//! per page, and say so when the worker is slow or down.

mod common;

use common::stub::Stub;
use common::{ids, synced, Dash};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

/// With `--cache-records 2` the dashboard holds the text of a camera's two newest records
/// only: a page showing older ones reads them from their worker, whole and with the label
/// set through the dashboard, and says which it could not read when the worker is slow or
/// down, without waiting longer than the request timeout for the whole page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_past_the_cache_are_read_from_their_worker() {
    let w = Stub::start("cam", None).await;
    let id = |m: u32| format!("20261123_01{m:02}00_cccc{m:04}");
    for m in 1..=20 {
        w.add(
            &id(m),
            &format!("2026-11-23T01:{m:02}:00.000Z"),
            0.5 + f64::from(m) / 100.0,
        );
    }
    let d = Dash::start(
        &format!("cam={}", w.url()),
        &[
            "--poll-interval",
            "300ms",
            "--request-timeout",
            "1s",
            "--cache-records",
            "2",
        ],
    )
    .await;
    synced(&d, "cam", 20).await;
    assert_eq!(d.camera("cam").await["cached_whole"], 2);

    let old = id(2);
    let (st, rec) = d
        .send(
            Method::PUT,
            &format!("/api/cameras/cam/detections/{old}/label"),
            Some(json!({"label": "meteor"})),
        )
        .await;
    assert_eq!((st, rec["label"].as_str()), (200, Some("meteor")), "{rec}");
    // The worker answered the label with the whole record; it is not kept.
    assert_eq!(d.camera("cam").await["cached_whole"], 2);

    let v = d.json("/detections?limit=5&offset=15").await;
    assert_eq!(ids(&v), (1..=5).rev().map(id).collect::<Vec<_>>());
    let worker = w.inner.lock().unwrap().records.clone();
    for got in v["detections"].as_array().unwrap() {
        let want = worker.iter().find(|r| r["id"] == got["id"]).unwrap();
        for (k, val) in want.as_object().unwrap() {
            assert_eq!(&got[k], val, "{k} of {}", got["id"]);
        }
        assert!(got["urls"]["clip"].is_string() && got.get("record_error").is_none());
    }
    let mut asked = w.inner.lock().unwrap().one_calls.clone();
    asked.sort();
    assert_eq!(asked, (1..=5).map(id).collect::<Vec<_>>());
    let one = d.json(&format!("/api/cameras/cam/detections/{old}")).await;
    assert_eq!(
        (one["label"].as_str(), one["clip"].is_string()),
        (Some("meteor"), true)
    );
    // The newest come from the cache: the worker is not asked for them (it was for the five
    // old ones and the single old record).
    let v = d.json("/detections?limit=2").await;
    assert_eq!(ids(&v), [id(20), id(19)]);
    assert_eq!(w.inner.lock().unwrap().one_calls.len(), 6);

    // Single records slow to come (the camera stays online): the page of 20 takes the request
    // timeout once, not once for each eight records read at a time; the two newest whole from
    // the cache, the others with what the cache knows and why.
    w.inner.lock().unwrap().one_delay = Duration::from_secs(5);
    let t = Instant::now();
    let v = d.json("/detections?limit=20").await;
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
    let page = v["detections"].as_array().unwrap();
    assert!(page[..2].iter().all(|r| r["clip"].is_string()), "{v}");
    assert_eq!(
        (page[2]["id"].as_str(), page[2]["confidence"].as_f64()),
        (Some(id(18).as_str()), Some(0.5 + 18.0 / 100.0))
    );
    for r in &page[2..] {
        assert!(r["clip"].is_null(), "{r}");
        assert_eq!(r["record_error"], "cam: no answer within 1s", "{r}");
    }
    // A worker found down is not waited for at all.
    w.set_delay(Duration::from_secs(30));
    d.until_state("offline", Some(1), Duration::from_secs(10))
        .await;
    let t = Instant::now();
    let v = d.json("/detections?limit=20").await;
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    let err = v["detections"][5]["record_error"].as_str().unwrap();
    assert!(err.starts_with("cam: worker offline ("), "{err}");

    // The CSV export still has a row for every record, oldest first: what the dashboard
    // knows of the ones it could not read whole, and why in `note`.
    let (_, rows) = d.csv("").await;
    assert_eq!(
        rows.iter().map(|r| r["id"].clone()).collect::<Vec<_>>(),
        (1..=20).map(id).collect::<Vec<_>>()
    );
    let old = &rows[1];
    assert_eq!(
        [
            &old["start_time"],
            &old["confidence"],
            &old["label"],
            &old["clip"]
        ],
        ["2026-11-23T01:02:00.000Z", "0.52", "meteor", ""]
    );
    assert!(old["note"].starts_with("cam: worker offline ("), "{old:?}");
    let newest = &rows[19];
    assert_eq!(newest["note"], "");
    assert_eq!(
        newest["clip"],
        format!("/cameras/cam/files/meteor_{}.mp4", id(20))
    );
}
