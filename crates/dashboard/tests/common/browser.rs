//! Headless Chromium driven over WebDriver (Debian's chromium and chromium-driver, through
//! fantoccini): start, run JavaScript, wait for a condition, press keys, save screenshots.

use super::screenshot_dir;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// WebDriver's keys.
pub const DELETE: char = '\u{E017}';
pub const ENTER: char = '\u{E007}';
pub const ESCAPE: char = '\u{E00C}';
/// How long the helpers wait for the page.
const LIMIT: Duration = Duration::from_secs(20);

pub struct Browser {
    pub c: Client,
    driver: Child,
    /// chromedriver's log, with Chromium's messages in it.
    log: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session. Panics when either is missing:
    /// `scripts/setup.sh` installs Debian's `chromium` and `chromium-driver`.
    pub async fn start() -> Browser {
        for bin in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: install Debian's chromium and chromium-driver (scripts/setup.sh)"
            );
        }
        let port = super::free_port();
        // The driver's and the browser's own messages go to a file: when Chromium dies, its
        // last words are what says why (see `open`).
        let log = screenshot_dir().join(format!("chromedriver-{port}.log"));
        // Its own process group, so the Chromium it starts goes with it (see `Drop`).
        let driver = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .arg("--enable-chrome-logs")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1400,1000", "--autoplay-policy=no-user-gesture-required",
                         "--mute-audio", "--lang=en-GB"],
            }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session");
        Browser { c, driver, log }
    }

    /// The first navigation of a test. Chromium's renderer has, once in many CI runs, died on
    /// it ("session deleted as the browser has closed the connection ... Unable to receive
    /// message from renderer"), before the page ran any of its code. Nothing is lost by
    /// starting again at that point, so the browser is replaced once, after printing what
    /// Chromium logged; a second death fails the test. Later navigations use `c.goto`.
    pub async fn open(&mut self, url: &str) {
        let Err(e) = self.c.goto(url).await else {
            return;
        };
        use fantoccini::error::{CmdError, ErrorStatus};
        let died = match &e {
            CmdError::Standard(w) => w.error == ErrorStatus::InvalidSessionId,
            CmdError::NotW3C(v) => v.as_str() == Some("tab crashed"),
            _ => false,
        };
        assert!(died, "opening {url}: {e}");
        // Kept under another name: dropping this browser removes its log.
        let kept = self.log.with_extension("died.log");
        let _ = std::fs::rename(&self.log, &kept);
        eprintln!(
            "the browser died opening {url} ({e}); starting a new one. The end of {}:\n{}",
            kept.display(),
            tail(&kept, 40)
        );
        *self = Browser::start().await;
        self.c
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("opening {url} in a new browser: {e}"));
    }

    /// Runs `js` (a function body: `return ...`).
    pub async fn js(&self, js: &str) -> Value {
        self.c
            .execute(js, vec![])
            .await
            .unwrap_or_else(|e| panic!("{js}: {e}"))
    }

    /// Like [`Browser::js`] but for promises: the body may `await`; its result is returned.
    pub async fn js_async(&self, body: &str) -> Value {
        let wrapped = format!(
            "const done = arguments[arguments.length - 1];\
             (async () => {{ {body} }})().then(done, e => done('ERROR: ' + e));"
        );
        self.c
            .execute_async(&wrapped, vec![])
            .await
            .unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    /// Polls `js` until it returns something truthy; returns it.
    pub async fn wait(&self, what: &str, limit: Duration, js: &str) -> Value {
        let t0 = Instant::now();
        loop {
            let v = self.c.execute(js, vec![]).await.unwrap_or(Value::Null);
            let truthy =
                !matches!(&v, Value::Null | Value::Bool(false)) && v != json!(0) && v != json!("");
            if truthy {
                return v;
            }
            if t0.elapsed() > limit {
                let _ = self.shot("timeout").await;
                panic!("timed out after {limit:?} waiting for {what} (last: {v})");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the player's video has played past 0.3 s without an error; returns its
    /// current time. On a timeout the panic gives the element's whole state.
    pub async fn wait_video_plays(&self, what: &str, limit: Duration) -> Value {
        let t0 = Instant::now();
        loop {
            let st = self
                .js("const v = document.getElementById('p-video'); return [v.readyState, v.currentTime, v.error ? v.error.code : 0, v.networkState, v.paused, v.duration, v.currentSrc, document.getElementById('player').dataset.view || ''];")
                .await;
            if st[0].as_u64() >= Some(2) && st[1].as_f64() > Some(0.3) && st[2] == 0 {
                return st[1].clone();
            }
            if t0.elapsed() > limit {
                let _ = self.shot("timeout").await;
                panic!(
                    "timed out after {limit:?} waiting for {what}: [readyState, currentTime, \
                     error, networkState, paused, duration, src, view] = {st}"
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Presses and releases `key` (a character, or a WebDriver key such as `\u{E017}`).
    pub async fn key(&self, key: char) {
        let actions = KeyActions::new("keys".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.c.perform_actions(actions).await.expect("key press");
    }

    /// Presses Delete and waits for the confirmation, then answers it.
    pub async fn delete_key(&self, confirm: bool, shot: Option<&str>) {
        self.key(DELETE).await;
        self.wait(
            "the confirmation",
            LIMIT,
            "return document.getElementById('confirm').open",
        )
        .await;
        if let Some(name) = shot {
            self.shot(name).await;
        }
        let button = if confirm { "confirm-yes" } else { "confirm-no" };
        self.js(&format!("document.getElementById('{button}').click()"))
            .await;
    }

    /// In the open player: shows the composite, saves `shot`, closes the player with Esc.
    pub async fn composite_then_close(&self, shot: &str) {
        self.js("document.querySelector('#player [data-view=composite]').click()")
            .await;
        self.wait(
            "the composite",
            LIMIT,
            "const i = document.getElementById('p-image'); return !i.hidden && i.naturalWidth > 0",
        )
        .await;
        self.shot(shot).await;
        self.key(ESCAPE).await;
        self.wait(
            "the player closed",
            LIMIT,
            "return !document.getElementById('player').open",
        )
        .await;
    }

    /// Sets the settings form's scale to `value` and applies it.
    pub async fn apply_scale(&self, value: &str) {
        self.js(&format!(
            "document.getElementById('s-scale').value = '{value}'; \
             document.getElementById('s-apply').click()"
        ))
        .await;
    }

    /// Saves a PNG screenshot as `<target>/test-screenshots/<name>.png`.
    pub async fn shot(&self, name: &str) -> PathBuf {
        let png = self.c.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
        path
    }

    pub async fn close(self) {
        let _ = self.c.clone().close().await;
    }
}

impl Drop for Browser {
    /// Ends chromedriver and the browser it started (its process group), also after a panic.
    fn drop(&mut self) {
        // The log is kept when a test fails, beside its screenshots.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}

/// The last `n` lines of the file at `path` (or why it could not be read).
fn tail(path: &Path, n: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("({e})"),
    }
}
