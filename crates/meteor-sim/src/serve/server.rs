//! [`SimServer`]: the public handle of the simulated cameras. It renders (or loads) every
//! camera's loop, starts the RTSP server, and keeps each mount's state: its [`Timeline`] and
//! [`Schedule`] of loops (switches), the stall switch, and the gaps (stalled or stopped) left
//! out of the served truth.

use super::cache::{self, EncodedLoop};
use super::network::Wander;
use super::rtsp::{self, Running};
use super::switch::{self, Schedule, Segment};
use super::timeline::{Gap, ServedEvent, Timeline};
use super::{Audio, CameraConfig, Codec, ServerConfig};
use crate::error::SimError;
use crate::spec::RenderSpec;
use chrono::{DateTime, Utc};
use meteor_core::Truth;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a mount serves and its state, shared with the media and pushers.
pub(crate) struct MountState {
    pub path: String,
    pub codec: Codec,
    pub audio: Audio,
    pub credentials: Option<(String, String)>,
    pub keyframe_interval_s: f64,
    /// Refuses RTP over TCP (a camera that only streams over UDP).
    pub udp_only: bool,
    /// Also serves a metadata stream (media `application`).
    pub metadata: bool,
    /// The first segment's timeline: offsets (gaps, switches) count from its start.
    pub timeline: Timeline,
    /// The loops served, by start.
    pub schedule: Schedule,
    control: Mutex<Control>,
    /// Media being fed now.
    pub streams: AtomicUsize,
    pub frames_sent: AtomicU64,
}

impl Control {
    /// Whether a client sees no usable picture.
    fn dark(&self) -> bool {
        self.stalled || self.stopped || self.garbage
    }
}

#[derive(Default)]
struct Control {
    stalled: bool,
    stopped: bool,
    garbage: bool,
    /// Drop one RTP video packet in this many (0: none).
    loss_every: u32,
    /// A network delay wandering between zero and this, over this period, since then.
    wander: Option<Wander>,
    gaps: Vec<Gap>,
}

impl MountState {
    pub(crate) fn is_stalled(&self) -> bool {
        self.control().stalled
    }

    pub(crate) fn is_garbage(&self) -> bool {
        self.control().garbage
    }

    /// The network faults in effect: drop one packet in this many (0: none), and the wander.
    pub(crate) fn network(&self) -> (u32, Option<Wander>) {
        let c = self.control();
        (c.loss_every, c.wander)
    }

    /// The segment due now.
    pub(crate) fn segment_now(&self) -> Arc<Segment> {
        self.schedule.at_instant(&self.timeline, Instant::now())
    }

    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes a fault switch, opening or closing a gap in the truth when the mount goes
    /// dark (stalled, stopped or sending garbage) or comes back.
    fn set_fault(&self, change: impl FnOnce(&mut Control)) {
        let now = self.timeline.offset_of_instant(Instant::now());
        let mut c = self.control();
        let was = c.dark();
        change(&mut c);
        match (was, c.dark()) {
            (false, true) => c.gaps.push(Gap {
                start_s: now,
                end_s: None,
            }),
            (true, false) => {
                if let Some(g) = c.gaps.last_mut() {
                    g.end_s = Some(now);
                }
            }
            _ => {}
        }
    }
}

/// Simulated RTSP cameras on one port (see the [module doc](super)). Every method takes
/// `&self`, so a test may share the server between threads. Dropping it stops the server.
pub struct SimServer {
    bind: String,
    port: u16,
    mounts: Vec<Arc<MountState>>,
    running: Mutex<Option<Running>>,
    cache_dir: std::path::PathBuf,
}

fn normalise_mount(m: &str) -> String {
    if m.starts_with('/') {
        m.to_string()
    } else {
        format!("/{m}")
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_userinfo(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl SimServer {
    /// Renders (or loads from the cache) every camera's loop, then listens. Returns once the
    /// server accepts connections; every mount's timeline starts then.
    pub fn start(config: ServerConfig) -> Result<SimServer, SimError> {
        let bad = |m: String| Err(SimError::Config(m));
        if config.cameras.is_empty() {
            return bad("no cameras".into());
        }
        let dir = config
            .cache_dir
            .clone()
            .unwrap_or_else(cache::default_cache_dir);
        let mut loops = Vec::new();
        for (i, cam) in config.cameras.iter().enumerate() {
            let path = normalise_mount(&cam.mount);
            let valid = path.len() > 1
                && path[1..].split('/').all(|seg| {
                    !seg.is_empty()
                        && seg
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                });
            if !valid {
                return bad(format!("bad mount `{}`", cam.mount));
            }
            if config.cameras[..i]
                .iter()
                .any(|c| normalise_mount(&c.mount) == path)
            {
                return bad(format!("mount `{path}` given twice"));
            }
            if !(cam.keyframe_interval_s.is_finite() && cam.keyframe_interval_s > 0.0) {
                return bad(format!("{path}: keyframe interval must be > 0"));
            }
            if let Some((user, _)) = &cam.credentials {
                if user.is_empty() || user.contains(':') {
                    return bad(format!("{path}: user must be non-empty, without `:`"));
                }
            }
            let lp = cache::load_or_render(&cam.spec, cam.codec, cam.keyframe_interval_s, &dir)?;
            let mut switches = Vec::new();
            let mut last = 0.0;
            for sw in &cam.switches {
                if !(sw.after_s.is_finite() && sw.after_s > last) {
                    return bad(format!("{path}: switch times must be > 0 and increase"));
                }
                last = sw.after_s;
                sw.spec.validate()?;
                let l = cache::load_or_render(&sw.spec, cam.codec, cam.keyframe_interval_s, &dir)?;
                switches.push((Duration::from_secs_f64(sw.after_s), l));
            }
            loops.push((path, cam, lp, switches));
        }
        let (wall, mono) = (Utc::now(), Instant::now());
        let mounts: Vec<Arc<MountState>> = loops
            .into_iter()
            .map(
                |(path, cam, lp, switches): (String, &CameraConfig, Arc<EncodedLoop>, _)| {
                    let fps = lp.fps;
                    let timeline = Timeline::new(fps.numer() as u64, fps.denom() as u64, lp.len())
                        .starting_at(wall, mono);
                    let mut segments = vec![Segment::new(&timeline, Duration::ZERO, lp)];
                    let later: Vec<(Duration, Arc<EncodedLoop>)> = switches;
                    for (at, l) in later {
                        segments.push(Segment::new(&timeline, at, l));
                    }
                    Arc::new(MountState {
                        path,
                        codec: cam.codec,
                        audio: cam.audio,
                        credentials: cam.credentials.clone(),
                        keyframe_interval_s: cam.keyframe_interval_s,
                        udp_only: cam.udp_only,
                        metadata: cam.metadata,
                        schedule: Schedule::new(segments),
                        timeline,
                        control: Mutex::default(),
                        streams: AtomicUsize::new(0),
                        frames_sent: AtomicU64::new(0),
                    })
                },
            )
            .collect();
        let running = rtsp::start(&config.bind, config.port, &mounts)?;
        let server = SimServer {
            bind: config.bind.clone(),
            port: running.port,
            mounts,
            running: Mutex::new(Some(running)),
            cache_dir: dir,
        };
        for m in &server.mounts {
            tracing::info!(url = %server.url_without_credentials(&m.path), "serving");
        }
        Ok(server)
    }

    /// The TCP port (the one picked when the config said 0); kept across restarts.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mounted paths, e.g. `["/cam1", "/cam2"]`.
    pub fn mounts(&self) -> Vec<String> {
        self.mounts.iter().map(|m| m.path.clone()).collect()
    }

    fn host(&self) -> String {
        match self.bind.as_str() {
            "0.0.0.0" | "" => "127.0.0.1".into(),
            "::" => "[::1]".into(),
            b if b.contains(':') => format!("[{b}]"),
            b => b.into(),
        }
    }

    /// `rtsp://[user:pass@]HOST:PORT/MOUNT`, user and password percent-encoded; HOST is the
    /// bind address (127.0.0.1 when bound to all interfaces).
    pub fn url(&self, mount: &str) -> String {
        let path = normalise_mount(mount);
        let cred = self
            .mount(&path)
            .ok()
            .and_then(|m| m.credentials.as_ref())
            .map(|(u, p)| format!("{}:{}@", encode_userinfo(u), encode_userinfo(p)))
            .unwrap_or_default();
        format!("rtsp://{cred}{}:{}{path}", self.host(), self.port)
    }

    /// [`SimServer::url`] without the credentials.
    pub fn url_without_credentials(&self, mount: &str) -> String {
        format!(
            "rtsp://{}:{}{}",
            self.host(),
            self.port,
            normalise_mount(mount)
        )
    }

    fn mount(&self, mount: &str) -> Result<&Arc<MountState>, SimError> {
        let path = normalise_mount(mount);
        self.mounts
            .iter()
            .find(|m| m.path == path)
            .ok_or(SimError::UnknownMount(path))
    }

    fn running(&self) -> MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the server is listening (not [`stop`](SimServer::stop)ped).
    pub fn is_running(&self) -> bool {
        self.running().is_some()
    }

    /// A camera going away: closes every client connection and session and stops listening
    /// (new connections are refused). The timelines go on; what they show while stopped is
    /// left out of the truth. Does nothing when already stopped.
    pub fn stop(&self) {
        let Some(running) = self.running().take() else {
            return;
        };
        for m in &self.mounts {
            m.set_fault(|c| c.stopped = true);
        }
        running.stop();
        // the pushers notice within a frame interval or two
        let deadline = Instant::now() + std::time::Duration::from_secs(2);
        while Instant::now() < deadline
            && self
                .mounts
                .iter()
                .any(|m| m.streams.load(Ordering::SeqCst) > 0)
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        tracing::info!(port = self.port, "server stopped");
    }

    /// The camera coming back: listens again on the same port with the same cameras and
    /// timelines. Does nothing when running.
    pub fn restart(&self) -> Result<(), SimError> {
        let mut running = self.running();
        if running.is_some() {
            return Ok(());
        }
        *running = Some(rtsp::start(&self.bind, self.port, &self.mounts)?);
        for m in &self.mounts {
            m.set_fault(|c| c.stopped = false);
        }
        tracing::info!(port = self.port, "server restarted");
        Ok(())
    }

    /// A camera that freezes (`true`): connections stay open but no frame is sent until
    /// `stall(mount, false)`, when each client resumes at the next due keyframe.
    pub fn stall(&self, mount: &str, stalled: bool) -> Result<(), SimError> {
        let m = self.mount(mount)?;
        m.set_fault(|c| c.stalled = stalled);
        tracing::info!(mount = %m.path, stalled, "stall");
        Ok(())
    }

    /// A camera sending garbage (`true`): frames keep coming at the frame rate, but their
    /// payload after each access unit's first NAL header is random bytes, which no decoder
    /// can make a picture of. What the mount shows meanwhile is left out of the truth.
    pub fn garbage(&self, mount: &str, on: bool) -> Result<(), SimError> {
        let m = self.mount(mount)?;
        m.set_fault(|c| c.garbage = on);
        tracing::info!(mount = %m.path, on, "garbage");
        Ok(())
    }

    /// A lossy network: one RTP video packet in `every` is dropped after the payloader, so
    /// clients see sequence gaps (lost packets) and broken frames; 0 ends it. Not a gap in
    /// the truth (frames keep coming), but meteors shown meanwhile may be damaged.
    pub fn packet_loss(&self, mount: &str, every: u32) -> Result<(), SimError> {
        let m = self.mount(mount)?;
        m.control().loss_every = every;
        tracing::info!(mount = %m.path, every, "packet loss");
        Ok(())
    }

    /// A network whose delay wanders (a queue filling and draining somewhere on the way, as
    /// on a busy Wi-Fi link): every RTP video packet leaves `amplitude` late at most, the
    /// delay rising from zero to `amplitude` and back over each `period`. Frames keep their
    /// RTP timestamps; only their arrival moves. A zero `amplitude` ends it.
    pub fn network_wander(
        &self,
        mount: &str,
        amplitude: Duration,
        period: Duration,
    ) -> Result<(), SimError> {
        let m = self.mount(mount)?;
        m.control().wander = Wander::new(amplitude, period, Instant::now());
        tracing::info!(
            mount = %m.path,
            amplitude_ms = amplitude.as_millis() as u64,
            period_ms = period.as_millis() as u64,
            "network wander"
        );
        Ok(())
    }

    /// The timeline of the loop the mount serves now: frame `n` is due at
    /// `timeline.frame_wall(n)`, the loop's truth repeating every `timeline.loop_duration_s()`
    /// from `timeline.start` (the server's start, or the last switch).
    pub fn timeline(&self, mount: &str) -> Result<Timeline, SimError> {
        Ok(self.mount(mount)?.segment_now().timeline.clone())
    }

    /// The ground truth of the loop the mount serves now (times from the loop start).
    pub fn loop_truth(&self, mount: &str) -> Result<Truth, SimError> {
        Ok(self.mount(mount)?.segment_now().encoded.truth.clone())
    }

    /// The ground truth and timeline of every loop the mount serves or will serve (scheduled
    /// switches included), in order: entry `k` is [`ServedEvent::segment`] `k`.
    pub fn segments(&self, mount: &str) -> Result<Vec<(Timeline, Truth)>, SimError> {
        let m = self.mount(mount)?;
        Ok(m.schedule
            .all()
            .iter()
            .map(|s| (s.timeline.clone(), s.encoded.truth.clone()))
            .collect())
    }

    /// A day/night profile switch, now: from here on the mount serves the loop of `spec`
    /// (rendered first, or taken from the cache; same codec and keyframe interval) on the
    /// same connections, its frame 0 due at the returned timeline's start. Every client gets
    /// the new caps and, with the next access unit, a keyframe with new parameter sets.
    /// Switches scheduled later by [`CameraConfig::with_switch`] are cancelled.
    pub fn switch(&self, mount: &str, spec: RenderSpec) -> Result<Timeline, SimError> {
        let m = self.mount(mount)?;
        spec.validate()?;
        let lp = cache::load_or_render(&spec, m.codec, m.keyframe_interval_s, &self.cache_dir)?;
        let at = m.timeline.offset_of_duration(Instant::now());
        let seg = Segment::new(&m.timeline, at, lp);
        let timeline = seg.timeline.clone();
        tracing::info!(mount = %m.path, to = %seg.describe(), "switch");
        m.schedule.switch(seg);
        Ok(timeline)
    }

    /// Every event the mount has shown so far with its wall-clock times: the loop's truth
    /// repeated along the timeline, for events that have ended, less those cut by a stall or
    /// a stop. A client gets the frames since its start keyframe at once, then each frame
    /// when due, so only transport and jitter-buffer latency separate what it receives from
    /// the timeline; compare with some tolerance.
    pub fn truth(&self, mount: &str) -> Result<Vec<ServedEvent>, SimError> {
        self.truth_until(mount, Utc::now())
    }

    /// [`SimServer::truth`] for the events that ended by `until`.
    pub fn truth_until(
        &self,
        mount: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<ServedEvent>, SimError> {
        let m = self.mount(mount)?;
        let gaps = m.control().gaps.clone();
        let until_s = m.timeline.offset_of(until);
        Ok(switch::served(&m.path, &m.schedule.all(), &gaps, until_s))
    }

    /// How many clients are being fed frames of this mount now.
    pub fn active_streams(&self, mount: &str) -> Result<usize, SimError> {
        Ok(self.mount(mount)?.streams.load(Ordering::SeqCst))
    }

    /// Frames sent to all clients of this mount since the server started.
    pub fn frames_sent(&self, mount: &str) -> Result<u64, SimError> {
        Ok(self.mount(mount)?.frames_sent.load(Ordering::Relaxed))
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_percent_encoded() {
        assert_eq!(encode_userinfo("admin"), "admin");
        assert_eq!(
            encode_userinfo("p@ss:w#rd%1 /?"),
            "p%40ss%3Aw%23rd%251%20%2F%3F"
        );
        assert_eq!(encode_userinfo("é"), "%C3%A9");
        assert_eq!(normalise_mount("cam1"), "/cam1");
        assert_eq!(normalise_mount("/cam1"), "/cam1");
    }
}
