//! The whole path in headless Chromium: simulated cameras → real camera-workers → dashboard →
//! page. Every camera shows with its status, a simulated meteor appears in the review while
//! the page is open, its clip plays (an H.265 camera's through its H.264 rendition, with the
//! original offered for download), it is labelled; another is deleted and stays deleted
//! after a reload and after its worker restarts; a worker's own page keeps its live view at
//! the picture's size; a killed worker's card turns red within a poll. Screenshots:
//! `<target>/test-screenshots/live-*.png`.

mod common;

use common::browser::{Browser, ENTER};
use common::workers::{fleet_codecs, Worker};
use common::{closed_port, get_json, Dash};
use meteor_sim::serve::Codec;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

async fn worker_record(w: &Worker, id: &str) -> (u16, Value) {
    get_json(&format!("{}/detections/{id}", w.url())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meteor_to_review_in_a_browser() {
    let mut b = Browser::start().await;
    let tmp = tempfile::tempdir().unwrap();
    // The first worker has a display name that looks like HTML; the second camera is H.265.
    let (sim, mut w) = fleet_codecs(2, &[Codec::H264, Codec::H265], tmp.path(), |i| {
        if i == 1 {
            vec![("CAMERA_DISPLAY_NAME", "Roof east ☄ <north>")]
        } else {
            vec![]
        }
    })
    .await;
    let cams = format!(
        "cam1={},cam2={},garden=http://127.0.0.1:{}",
        w[0].url(),
        w[1].url(),
        closed_port()
    );
    let d = Dash::start(
        &cams,
        &[
            "--poll-interval",
            "1s",
            "--request-timeout",
            "2s",
            "--resync-interval",
            "3s",
        ],
    )
    .await;

    // Every camera, with the right status.
    b.open(&d.url("/")).await;
    b.wait(
        "three cards",
        T,
        "return document.querySelectorAll('.cam').length === 3",
    )
    .await;
    b.wait("statuses", Duration::from_secs(60),
        "return [...document.querySelectorAll('.cam')].map(c => c.dataset.state).join() === 'detecting,detecting,offline'").await;
    assert_eq!(
        b.js("return document.querySelector('.cam .cam-name').textContent")
            .await,
        json!("Roof east ☄ <north>")
    );
    b.wait("live previews", T,
        "return [...document.querySelectorAll('.cam img.snap')].filter(i => !i.hidden && i.naturalWidth === 640).length === 2").await;
    b.shot("live-cameras").await;
    // A click on a preview opens the camera's live MJPEG through the dashboard; closing the
    // dialog ends the stream.
    b.js("document.querySelector('.cam .preview').click()")
        .await;
    b.wait(
        "the live view",
        T,
        "const i = document.getElementById('live-img'); return document.getElementById('live').open && i.naturalWidth === 640",
    )
    .await;
    b.shot("live-mjpeg").await;
    b.js("document.getElementById('live-close').click()").await;
    assert_eq!(
        b.js("return [document.getElementById('live').open, document.getElementById('live-img').hasAttribute('src')]")
            .await,
        json!([false, false])
    );

    // The review open before any meteor: one appears without a reload.
    b.c.goto(&d.url("/#review")).await.unwrap();
    let before = b
        .js("return document.querySelectorAll('.det').length")
        .await
        .as_u64()
        .unwrap();
    let t0 = Instant::now();
    b.wait(
        "two detections in the review",
        Duration::from_secs(150),
        &format!(
            "return document.querySelectorAll('.det').length >= {}",
            (before + 1).max(2)
        ),
    )
    .await;
    eprintln!(
        "{} detection(s) at first, more after {:?}",
        before,
        t0.elapsed()
    );
    b.wait("thumbnails", T, "return [...document.querySelectorAll('.det img.thumb')].every(i => i.complete && i.naturalWidth > 0)").await;
    b.shot("live-review").await;

    // Play the newest H.264 clip, moving down the list with the keyboard: the video advances.
    // (An H.265 event plays its H.264 rendition, made by a nice-19 child that a busy machine
    // starves for a while; h265_plays_its_rendition below waits for it.)
    let can = b.js("return document.createElement('video').canPlayType('video/mp4; codecs=\"avc1.42E01E\"')").await;
    eprintln!("chromium canPlayType(H.264): {can}");
    b.wait(
        "an H.264 detection in the review",
        Duration::from_secs(150),
        "return MW.review.items.some(d => d.camera === 'cam1')",
    )
    .await;
    let cursor = "const e = document.querySelector('.det.cursor'); return e ? [e.dataset.camera, e.dataset.id] : null";
    let mut first = json!(null);
    for _ in 0..50 {
        b.key('j').await;
        first = b.js(cursor).await;
        if first[0] == "cam1" {
            break;
        }
    }
    assert_eq!(first[0], "cam1", "no H.264 event under the cursor");
    let (cam, id) = (
        first[0].as_str().unwrap().to_string(),
        first[1].as_str().unwrap().to_string(),
    );
    b.key(ENTER).await;
    b.wait(
        "player open",
        T,
        "return document.getElementById('player').open",
    )
    .await;
    if can != json!("") {
        let t = b.wait_video_plays("the clip playing", T).await;
        eprintln!("clip playing at {t} s, {}", b.js("const v = document.getElementById('p-video'); return v.videoWidth + 'x' + v.videoHeight + ' ' + v.duration + ' s'").await);
    } else {
        b.wait(
            "the clip's metadata",
            T,
            "return document.getElementById('p-video').networkState !== 3",
        )
        .await;
    }
    b.shot("live-player-clip").await;
    // Label it "meteor" from the player; the worker has it.
    b.key('m').await;
    let wk = if cam == "cam1" { &w[0] } else { &w[1] };
    let t0 = Instant::now();
    while worker_record(wk, &id).await.1["label"] != "meteor" {
        assert!(t0.elapsed() < T, "label did not reach the worker");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.composite_then_close("live-player-composite").await;
    h265_plays_its_rendition(&b).await;

    // Delete the next one, or the one before when the played one is last (after a
    // confirmation); it stays deleted after a reload…
    b.key('j').await;
    let mut victim = b.js(cursor).await;
    if victim[1] == id.as_str() {
        b.key('k').await;
        victim = b.js(cursor).await;
    }
    let (vcam, vid) = (
        victim[0].as_str().unwrap().to_string(),
        victim[1].as_str().unwrap().to_string(),
    );
    assert_ne!(vid, id);
    b.delete_key(true, None).await;
    let gone = format!(
        "return ![...document.querySelectorAll('.det')].some(e => e.dataset.id === '{vid}')"
    );
    b.wait("gone from the page", T, &gone).await;
    let vw = if vcam == "cam1" { 0 } else { 1 };
    assert_eq!(worker_record(&w[vw], &vid).await.0, 404);
    b.c.refresh().await.unwrap();
    b.wait(
        "review after reload",
        T,
        "return document.querySelectorAll('.det').length > 0",
    )
    .await;
    assert_eq!(b.js(&gone).await, json!(true));
    // … and after its worker restarts (and the dashboard has re-read it in full).
    w[vw].restart();
    w[vw].wait_ready(Duration::from_secs(60));
    b.wait("worker back", Duration::from_secs(60), &format!(
        "return document.querySelectorAll('.cam')[{vw}].dataset.state === 'detecting' || MW.state.cameras[{vw}].state === 'detecting'")).await;
    tokio::time::sleep(Duration::from_secs(4)).await; // > RESYNC_INTERVAL
    b.c.refresh().await.unwrap();
    b.wait(
        "review after restart",
        T,
        "return document.querySelectorAll('.det').length > 0",
    )
    .await;
    assert_eq!(b.js(&gone).await, json!(true));
    assert_eq!(worker_record(&w[vw], &vid).await.0, 404);
    let labelled = format!("return [...document.querySelectorAll('.det')].find(e => e.dataset.id === '{id}').dataset.label");
    assert_eq!(b.js(&labelled).await, json!("meteor"));

    // Chart and settings views.
    b.c.goto(&d.url("/#chart")).await.unwrap();
    b.wait(
        "bars",
        T,
        "return document.querySelectorAll('#chart rect.bar').length > 0",
    )
    .await;
    b.shot("live-chart").await;
    b.c.goto(&d.url("/#settings")).await.unwrap();
    b.wait(
        "settings",
        T,
        "return document.getElementById('s-params').rows.length > 3",
    )
    .await;
    b.apply_scale("3").await;
    b.wait(
        "error at the field",
        T,
        "return document.querySelector('.err[data-for=scale]').textContent",
    )
    .await;
    b.shot("live-settings").await;

    camera_page_fits_its_picture(&b, &w[0]).await;

    // Kill cam2: the first poll after the kill finds it down, and the page's next refresh
    // turns its card red.
    b.c.goto(&d.url("/")).await.unwrap();
    b.wait(
        "cards",
        T,
        "return document.querySelectorAll('.cam')[1].dataset.state === 'detecting'",
    )
    .await;
    let before = d.camera("cam2").await;
    let polls = |c: &Value| c["polls"].as_u64().unwrap();
    let fails = |c: &Value| c["poll_failures"].as_u64().unwrap();
    w[1].kill();
    b.wait(
        "cam2 red",
        T,
        "return document.querySelectorAll('.cam')[1].classList.contains('down')",
    )
    .await;
    // The page refreshes every poll interval, so the card turns red one or two polls after
    // the first failed one, not later.
    let c = d.camera("cam2").await;
    let failed = fails(&c) - fails(&before);
    assert!(
        (1..=3).contains(&failed),
        "red after {failed} failed polls: {before} -> {c}"
    );
    assert!(
        polls(&c) - polls(&before) - failed <= 1,
        "only a poll under way at the kill may have succeeded: {before} -> {c}"
    );
    // The reason: at first maybe a pooled connection reset by the dying process, from the
    // next poll on a refused connection.
    b.wait(
        "the reason on the card",
        T,
        "return document.querySelectorAll('.cam')[1].querySelector('.error').textContent.includes('connection refused')",
    )
    .await;
    let cam1_meta = b
        .js("return document.querySelectorAll('.cam')[0].dataset.state")
        .await;
    assert_eq!(cam1_meta, json!("detecting"));
    b.shot("live-cameras-killed").await;
    b.close().await;
    drop(w);
    sim.stop();
}

/// A worker's own page: its live view keeps the picture's size when the list of detections
/// beside it is taller (a night's worth; it grew a black band under the picture), and the
/// mask overlay lies on the picture.
async fn camera_page_fits_its_picture(b: &Browser, w: &Worker) {
    b.c.goto(&format!("{}/", w.url())).await.unwrap();
    b.wait(
        "the live picture and a detection",
        T,
        "return document.getElementById('live').naturalWidth > 0 && document.querySelector('#list li img') !== null",
    )
    .await;
    // Measured right after the list grows, before the page's refresh replaces it.
    let m = b
        .js(
            "const list = document.getElementById('list'); const li = list.firstElementChild; \
             for (let i = 0; i < 40; i++) list.append(li.cloneNode(true)); \
             const view = document.getElementById('view'); view.classList.add('show-mask'); \
             const r = id => { const b = document.getElementById(id).getBoundingClientRect(); \
               return [Math.round(b.top), Math.round(b.height)]; }; \
             const m = { live: r('live'), view: r('view'), mask: r('mask-img'), \
               list: Math.round(list.getBoundingClientRect().height) }; \
             view.classList.remove('show-mask'); return m;",
        )
        .await;
    assert!(
        m["list"].as_f64().unwrap() > m["live"][1].as_f64().unwrap(),
        "{m}"
    );
    assert_eq!(
        m["view"], m["live"],
        "the view is not the picture's size: {m}"
    );
    assert_eq!(
        m["mask"], m["live"],
        "the mask does not lie on the picture: {m}"
    );
    b.shot("live-camera-page").await;
}

/// An H.265 camera's detection in the player: Chromium cannot play HEVC, so the video element
/// plays the H.264 rendition, and "download original" points at the untouched clip.
async fn h265_plays_its_rendition(b: &Browser) {
    let hevc = b
        .js("return document.createElement('video').canPlayType('video/mp4; codecs=\"hvc1.1.6.L93.B0\"')")
        .await;
    eprintln!("chromium canPlayType(HEVC): {hevc:?}");
    b.wait(
        "an H.265 detection in the review",
        Duration::from_secs(60),
        "return MW.review.items.some(d => d.camera === 'cam2')",
    )
    .await;
    let rec = b
        .js("const i = MW.review.items.findIndex(d => d.camera === 'cam2'); MW.player.open(i); return MW.review.items[i]")
        .await;
    assert_eq!(rec["clip_codec"], "H.265", "{rec}");
    let clip = rec["clip"].as_str().unwrap().to_string();
    // Played as a person would: a key press (a user gesture, so autoplay rules allow it).
    b.key('c').await;
    b.key('c').await;
    // The rendition is made by a nice-19 child: with the rest of the test suite busy on
    // both cores it can wait its turn for a minute.
    let t = b
        .wait_video_plays(
            "the H.265 event's rendition playing",
            Duration::from_secs(120),
        )
        .await;
    let (src, dl) = (
        b.js("return document.getElementById('p-video').currentSrc").await,
        b.js("const a = document.getElementById('p-download'); return a.hidden ? null : a.getAttribute('href')").await,
    );
    eprintln!("H.265 event playing {src} at {t} s");
    assert!(src.as_str().unwrap().ends_with("_browser.mp4"), "{src}");
    assert!(dl.as_str().unwrap().ends_with(&clip), "{dl} for {clip}");
    b.shot("live-player-h265").await;
    b.key(common::browser::ESCAPE).await;
    b.wait(
        "player closed",
        T,
        "return !document.getElementById('player').open",
    )
    .await;
}
