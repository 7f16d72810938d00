//! The page in headless Chromium against stand-in workers: camera names that look like HTML
//! stay text, statuses show, review keys label and delete (with confirmation), bulk actions,
//! a settings error shown at its field, the chart, records past the dashboard's cache read
//! from their worker (and shown when it is silent). Screenshots go to
//! `<target>/test-screenshots/stub-*.png`.

mod common;

use common::browser::{Browser, ENTER};
use common::stub::Stub;
use common::{closed_port, Dash};
use serde_json::json;
use std::time::Duration;

const T: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_shows_cameras_reviews_and_settings() {
    let mut b = Browser::start().await;
    // No `=` (it separates the name from the URL in CAMERAS), but HTML all the same.
    let evil = "Ostrava <b>&amp;</b> \"☄\"";
    let a = Stub::start("ostrava", None).await;
    let beta = Stub::start("beta", None).await;
    // Times inside the current night (noon to noon, UTC), whatever the time of day: the
    // review opens on tonight.
    let now = chrono::Utc::now();
    let noon = now.date_naive().and_hms_opt(12, 0, 0).unwrap().and_utc();
    let night_start = if now >= noon {
        noon
    } else {
        noon - chrono::TimeDelta::days(1)
    };
    let evening = night_start + chrono::TimeDelta::hours(8);
    let at = |min: i64| {
        (evening - chrono::TimeDelta::minutes(min))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    for (i, m) in [5, 25, 65, 95].iter().enumerate() {
        a.add(
            &format!("20261123_0{i}0000_a000000{i}"),
            &at(*m),
            0.6 + 0.1 * i as f64,
        );
    }
    beta.add("20261123_001500_b0000001", &at(15), 0.95);
    let cams = format!(
        "{evil}={},beta={},dead=http://127.0.0.1:{}",
        a.url(),
        beta.url(),
        closed_port()
    );
    let d = Dash::start(
        &cams,
        // One record of a camera kept whole: the others are read from their worker.
        &[
            "--poll-interval",
            "500ms",
            "--preview-interval",
            "1",
            "--cache-records",
            "1",
        ],
    )
    .await;

    b.open(&d.url("/")).await;
    b.wait(
        "three camera cards",
        T,
        "return document.querySelectorAll('.cam').length === 3",
    )
    .await;
    b.wait("statuses", T, "return [...document.querySelectorAll('.cam')].map(c => c.dataset.state).join() === 'detecting,detecting,offline'").await;
    // The odd name is shown as text: no <img> was made from it, and the text is exact.
    let title = b
        .js("return document.querySelector('.cam .cam-name').textContent")
        .await;
    assert_eq!(title, json!(evil));
    assert_eq!(
        b.js("return document.querySelectorAll('.cam-name b, .det b.camname b').length")
            .await,
        json!(0)
    );
    let dead = b.js("const c = document.querySelectorAll('.cam')[2]; return [c.classList.contains('down'), c.querySelector('.error').textContent]").await;
    assert_eq!(dead[0], json!(true));
    assert!(dead[1].as_str().unwrap().contains("refused"), "{dead}");
    b.wait("previews", T, "return [...document.querySelectorAll('.cam img.snap')].filter(i => !i.hidden && i.naturalWidth > 0).length === 2").await;
    b.wait(
        "header totals",
        T,
        "return document.getElementById('h-total').textContent === '5'",
    )
    .await;
    assert_eq!(
        b.js("return document.getElementById('h-online').textContent")
            .await,
        json!("2 / 3")
    );
    b.shot("stub-cameras").await;

    // Review: newest first, keys.
    b.c.goto(&d.url("/#review")).await.unwrap();
    b.wait(
        "five detections",
        T,
        "return document.querySelectorAll('.det').length === 5",
    )
    .await;
    let order = b
        .js("return [...document.querySelectorAll('.det')].map(e => e.dataset.camera)")
        .await;
    assert_eq!(order, json!([evil, "beta", evil, evil, evil]));
    b.key('j').await;
    b.key('m').await;
    b.wait(
        "label meteor on the worker",
        T,
        "return document.querySelector('.det').dataset.label === 'meteor'",
    )
    .await;
    assert_eq!(
        a.inner
            .lock()
            .unwrap()
            .records
            .iter()
            .filter(|r| r["label"] == "meteor")
            .count(),
        1
    );
    // Select two with x, bulk "not meteor" with n.
    b.key('j').await;
    b.key('x').await;
    b.key('j').await;
    b.key('x').await;
    assert_eq!(
        b.js("return document.getElementById('r-selected').textContent")
            .await,
        json!("2 selected")
    );
    b.key('n').await;
    b.wait("bulk label", T, "return [...document.querySelectorAll('.det')].filter(e => e.dataset.label === 'not_meteor').length === 2").await;
    b.shot("stub-review").await;
    // Delete the last one: asks first; Cancel keeps it, Delete removes it on the worker.
    b.key('j').await;
    b.key('j').await;
    b.delete_key(false, Some("stub-confirm-delete")).await;
    assert_eq!(
        b.js("return document.querySelectorAll('.det').length")
            .await,
        json!(5)
    );
    b.delete_key(true, None).await;
    b.wait(
        "four left",
        T,
        "return document.querySelectorAll('.det').length === 4",
    )
    .await;
    assert_eq!(a.inner.lock().unwrap().deleted.len(), 1);
    // The player opens on Enter, with the composite view available.
    b.key('k').await;
    b.key(ENTER).await;
    b.wait("player", T, "return document.getElementById('player').open")
        .await;
    b.composite_then_close("stub-player-composite").await;

    // Settings: a bad value comes back from the worker and is shown at its field.
    b.c.goto(&d.url("/#settings")).await.unwrap();
    b.wait(
        "settings form",
        T,
        "return document.getElementById('s-scale').value === '0.5'",
    )
    .await;
    b.js("const s = document.getElementById('s-camera'); s.value = 'beta'; s.dispatchEvent(new Event('change'))").await;
    b.wait("beta settings", T, "return document.getElementById('s-scale').value === '0.5' && document.getElementById('s-camera').value === 'beta'").await;
    b.apply_scale("7").await;
    let err = b
        .wait(
            "error at the field",
            T,
            "return document.querySelector('.err[data-for=scale]').textContent",
        )
        .await;
    assert!(err.as_str().unwrap().contains("scale"), "{err}");
    assert_eq!(
        b.js("return document.getElementById('s-scale').classList.contains('invalid')")
            .await,
        json!(true)
    );
    b.shot("stub-settings-error").await;
    b.apply_scale("0.75").await;
    b.wait(
        "applied",
        T,
        "return document.getElementById('s-status').textContent.startsWith('Applied')",
    )
    .await;
    assert_eq!(beta.inner.lock().unwrap().settings["scale"], json!(0.75));

    // Chart: bars for tonight.
    b.c.goto(&d.url("/#chart")).await.unwrap();
    b.wait(
        "bars",
        T,
        "return document.querySelectorAll('#chart rect.bar').length > 0",
    )
    .await;
    // beta's only detection was labelled "not meteor": left out until asked for.
    let legend = b
        .js("return document.getElementById('chart-legend').textContent")
        .await;
    assert!(!legend.as_str().unwrap().contains("beta"), "{legend}");
    b.js("document.getElementById('c-hide-not').click()").await;
    b.wait(
        "beta in the legend",
        T,
        "return document.getElementById('chart-legend').textContent.includes('beta (1)')",
    )
    .await;
    b.shot("stub-chart").await;

    b.c.goto(&d.url("/#review")).await.unwrap();
    // "download CSV" saves what the filters show, the camera's awkward name quoted.
    label_filter(&b, "not_meteor").await;
    b.wait(
        "only the two not meteors",
        T,
        "return document.querySelectorAll('.det').length === 2",
    )
    .await;
    let got = b
        .js_async(
            "const a = document.getElementById('r-csv'); const r = await fetch(a.href); \
             return [a.getAttribute('href'), a.hasAttribute('download'), await r.text()]",
        )
        .await;
    let href = got[0].as_str().unwrap();
    assert!(
        href.starts_with("/detections.csv?night=") && href.ends_with("&label=not_meteor"),
        "{href}"
    );
    assert_eq!(got[1], true);
    let text = got[2].as_str().unwrap();
    let rows = common::parse_csv(text);
    assert_eq!(rows.len(), 2, "{text}");
    let got: Vec<[&str; 2]> = rows
        .iter()
        .map(|r| [r["camera"].as_str(), r["label"].as_str()])
        .collect();
    assert_eq!(
        got,
        [[evil, "not_meteor"], ["beta", "not_meteor"]],
        "{text}"
    );
    label_filter(&b, "any").await;
    b.wait(
        "four detections again",
        T,
        "return document.querySelectorAll('.det').length === 4",
    )
    .await;
    // The two older records of the first camera are past the cache: when their worker stops
    // answering they keep their cards, which say so.
    a.set_delay(Duration::from_secs(30));
    b.c.goto(&d.url("/#review")).await.unwrap();
    b.wait("cards of a silent worker", Duration::from_secs(30), "return [...document.querySelectorAll('.det .thumb.none')].filter(e => e.textContent === 'worker did not answer').length === 2").await;
    b.shot("stub-review-worker-silent").await;
    b.close().await;
}

/// Picks `value` in the review's label filter, as a click would.
async fn label_filter(b: &Browser, value: &str) {
    b.js(&format!(
        "const s = document.getElementById('r-label'); s.value = '{value}'; \
         s.dispatchEvent(new Event('change')); return true"
    ))
    .await;
}
