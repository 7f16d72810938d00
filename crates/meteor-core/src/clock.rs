//! Time sources and the mapping of stream timestamps to wall-clock time.
//!
//! Owns the [`Clock`] trait that every time-dependent piece of logic takes (as Moonfire NVR
//! does), so tests run on simulated time: [`SystemClock`] for production, [`SimulatedClock`]
//! for tests. Also owns [`WallClockMapper`], which gives each frame of one connection a
//! wall-clock time from its presentation timestamp without ever going backwards.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A source of time.
pub trait Clock: Send + Sync {
    /// The wall-clock time. May jump (NTP steps, manual changes).
    fn now(&self) -> DateTime<Utc>;

    /// Time since an arbitrary origin fixed for the life of the clock. Never goes
    /// backwards and is unaffected by wall-clock steps: use it for timeouts and rates.
    fn monotonic(&self) -> Duration;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
    fn monotonic(&self) -> Duration {
        (**self).monotonic()
    }
}

/// The machine's clocks: `Utc::now()` and an [`Instant`] taken at construction.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

#[derive(Debug)]
struct SimState {
    wall: DateTime<Utc>,
    mono: Duration,
}

/// A clock that moves only when a test tells it to. Clones share the same time, so a test
/// keeps one clone and hands another (or an `Arc`) to the code under test.
#[derive(Debug, Clone)]
pub struct SimulatedClock {
    state: Arc<Mutex<SimState>>,
}

impl SimulatedClock {
    /// Starts at wall-clock `start`, monotonic zero.
    pub fn new(start: DateTime<Utc>) -> Self {
        SimulatedClock {
            state: Arc::new(Mutex::new(SimState {
                wall: start,
                mono: Duration::ZERO,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Steps the wall clock to `wall` (forwards or backwards) without touching the
    /// monotonic clock: what an NTP step or a manual clock change looks like.
    pub fn set(&self, wall: DateTime<Utc>) {
        self.lock().wall = wall;
    }

    /// Lets `d` pass: both clocks move forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut s = self.lock();
        s.mono += d;
        s.wall += chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().wall
    }
    fn monotonic(&self) -> Duration {
        self.lock().mono
    }
}

/// The wall-clock time of one frame, from [`WallClockMapper::map`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    pub wall: DateTime<Utc>,
    /// True when this frame's timestamp went backwards: `wall` was held at the previous
    /// frame's time and the mapping re-anchored on this frame.
    pub discontinuity: bool,
}

/// Maps the presentation timestamps (PTS, nanoseconds) of one connection's frames to
/// wall-clock time: `wall = origin_wall + (pts - origin_pts)`, anchored on the first frame
/// and the clock's `now()` when it arrived.
///
/// Times never go backwards. When a PTS is lower than the previous one (a stream restart,
/// a camera resetting its timestamps), the frame gets the previous frame's wall time, the
/// mapping re-anchors on it (so the frames after it advance normally from there) and the
/// discontinuity is reported and counted. Forward jumps are taken as real gaps (lost
/// frames); a caller that wants to resynchronise with its clock calls [`Self::rebase`].
#[derive(Debug, Clone)]
pub struct WallClockMapper {
    origin_pts: u64,
    origin_wall: DateTime<Utc>,
    last_pts: u64,
    last_wall: DateTime<Utc>,
    discontinuities: u64,
}

impl WallClockMapper {
    /// Anchors on the first frame: `first_pts_ns` happened at `now`.
    pub fn new(first_pts_ns: u64, now: DateTime<Utc>) -> Self {
        WallClockMapper {
            origin_pts: first_pts_ns,
            origin_wall: now,
            last_pts: first_pts_ns,
            last_wall: now,
            discontinuities: 0,
        }
    }

    /// Anchors on the first frame, arriving now by `clock`.
    pub fn from_clock(first_pts_ns: u64, clock: &dyn Clock) -> Self {
        Self::new(first_pts_ns, clock.now())
    }

    /// The wall-clock time of the frame with timestamp `pts_ns`.
    pub fn map(&mut self, pts_ns: u64) -> Mapped {
        if pts_ns < self.last_pts {
            self.discontinuities += 1;
            self.origin_pts = pts_ns;
            self.origin_wall = self.last_wall;
            self.last_pts = pts_ns;
            return Mapped {
                wall: self.last_wall,
                discontinuity: true,
            };
        }
        let delta = i64::try_from(pts_ns - self.origin_pts).unwrap_or(i64::MAX);
        let wall = self
            .origin_wall
            .checked_add_signed(chrono::Duration::nanoseconds(delta))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
            .max(self.last_wall);
        self.last_pts = pts_ns;
        self.last_wall = wall;
        Mapped {
            wall,
            discontinuity: false,
        }
    }

    /// Re-anchors: `pts_ns` happened at `wall`, or at the last mapped time if `wall` is
    /// earlier (the mapping still never goes backwards).
    pub fn rebase(&mut self, pts_ns: u64, wall: DateTime<Utc>) {
        let wall = wall.max(self.last_wall);
        self.origin_pts = pts_ns;
        self.origin_wall = wall;
        self.last_pts = pts_ns;
        self.last_wall = wall;
    }

    /// How many times a timestamp went backwards since the mapper was created.
    pub fn discontinuities(&self) -> u64 {
        self.discontinuities
    }

    /// The wall time of the last mapped frame (of the first frame before any `map`).
    pub fn last_wall(&self) -> DateTime<Utc> {
        self.last_wall
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 8, 12, 22, 0, 0).unwrap()
    }

    #[test]
    fn simulated_clock_advances_both_clocks() {
        let c = SimulatedClock::new(t0());
        let shared = c.clone();
        c.advance(Duration::from_millis(1500));
        assert_eq!(shared.now(), t0() + chrono::Duration::milliseconds(1500));
        assert_eq!(shared.monotonic(), Duration::from_millis(1500));
    }

    #[test]
    fn wall_clock_step_leaves_monotonic_alone() {
        let c = SimulatedClock::new(t0());
        c.advance(Duration::from_secs(10));
        c.set(t0() - chrono::Duration::hours(1));
        assert_eq!(c.now(), t0() - chrono::Duration::hours(1));
        assert_eq!(c.monotonic(), Duration::from_secs(10));
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now(), t0() - chrono::Duration::seconds(3595));
        assert_eq!(c.monotonic(), Duration::from_secs(15));
    }

    #[test]
    fn clock_works_behind_dyn_and_arc() {
        let sim = Arc::new(SimulatedClock::new(t0()));
        let dynamic: Arc<dyn Clock> = sim.clone();
        sim.advance(Duration::from_secs(2));
        assert_eq!(dynamic.now(), t0() + chrono::Duration::seconds(2));
        fn mono(c: impl Clock) -> Duration {
            c.monotonic()
        }
        assert_eq!(mono(&*dynamic), Duration::from_secs(2));
    }

    #[test]
    fn system_clock_monotonic_never_decreases() {
        let c = SystemClock::new();
        let mut last = c.monotonic();
        for _ in 0..1000 {
            let m = c.monotonic();
            assert!(m >= last);
            last = m;
        }
        assert!((Utc::now() - c.now()).num_seconds().abs() < 5);
    }

    #[test]
    fn mapper_follows_pts_from_the_first_frame() {
        let clock = SimulatedClock::new(t0());
        let mut m = WallClockMapper::from_clock(5_000_000_000, &clock);
        let a = m.map(5_000_000_000);
        assert_eq!(a.wall, t0());
        assert!(!a.discontinuity);
        let b = m.map(5_040_000_000);
        assert_eq!(b.wall, t0() + chrono::Duration::milliseconds(40));
        // A forward gap (lost frames) is taken as real time.
        let c = m.map(65_000_000_000);
        assert_eq!(c.wall, t0() + chrono::Duration::seconds(60));
        assert_eq!(m.discontinuities(), 0);
    }

    #[test]
    fn mapper_clamps_backward_pts_and_reanchors() {
        let mut m = WallClockMapper::new(1_000_000_000, t0());
        m.map(1_000_000_000);
        let before = m.map(3_000_000_000).wall; // t0 + 2 s
                                                // The camera restarts its timestamps.
        let jump = m.map(40_000_000);
        assert!(jump.discontinuity);
        assert_eq!(jump.wall, before);
        assert_eq!(m.discontinuities(), 1);
        // Later frames advance from the held time.
        let next = m.map(80_000_000);
        assert!(!next.discontinuity);
        assert_eq!(next.wall, before + chrono::Duration::milliseconds(40));
        // A repeated timestamp is not a discontinuity and does not move.
        assert_eq!(m.map(80_000_000).wall, next.wall);
        assert_eq!(m.discontinuities(), 1);
        m.map(0);
        assert_eq!(m.discontinuities(), 2);
    }

    #[test]
    fn mapper_is_monotonic_over_random_walk() {
        let mut m = WallClockMapper::new(0, t0());
        let mut last = t0();
        let mut pts: u64 = 0;
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            pts = if seed.is_multiple_of(50) {
                pts.saturating_sub(seed % 10_000_000_000)
            } else {
                pts + seed % 100_000_000
            };
            let w = m.map(pts).wall;
            assert!(w >= last);
            last = w;
        }
        assert!(m.discontinuities() > 0);
    }

    #[test]
    fn rebase_never_goes_backwards() {
        let mut m = WallClockMapper::new(0, t0());
        let w = m.map(10_000_000_000).wall;
        m.rebase(10_000_000_000, t0()); // earlier than the last mapped time
        assert_eq!(m.map(11_000_000_000).wall, w + chrono::Duration::seconds(1));
        m.rebase(0, t0() + chrono::Duration::hours(1));
        assert_eq!(m.map(0).wall, t0() + chrono::Duration::hours(1));
        assert_eq!(m.discontinuities(), 0);
    }

    #[test]
    fn huge_pts_saturates() {
        let mut m = WallClockMapper::new(0, t0());
        let w = m.map(u64::MAX).wall;
        assert!(w > t0());
    }
}
