//! The network faults a test can switch on for a mount (see
//! [`SimServer::packet_loss`](super::SimServer::packet_loss) and
//! [`SimServer::network_wander`](super::SimServer::network_wander)), done by a probe on
//! each media's video payloader output, so they act on RTP packets as a network would.

use super::MountState;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::prelude::*;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A network delay wandering between zero and `amplitude` over each `period`, from `since`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wander {
    amplitude: Duration,
    period: Duration,
    since: Instant,
}

impl Wander {
    /// The fault, or none when `amplitude` or `period` is zero.
    pub(crate) fn new(amplitude: Duration, period: Duration, since: Instant) -> Option<Wander> {
        (!amplitude.is_zero() && !period.is_zero()).then_some(Wander {
            amplitude,
            period,
            since,
        })
    }

    /// The delay due at `now`: a triangle wave from zero up to the amplitude and back.
    pub(crate) fn delay_at(&self, now: Instant) -> Duration {
        let period = self.period.as_secs_f64();
        let phase = (now.saturating_duration_since(self.since).as_secs_f64() % period) / period;
        let rise = 1.0 - (2.0 * phase - 1.0).abs();
        self.amplitude.mul_f64(rise)
    }
}

/// Adds the probe to `media`'s video payloader. Packet loss drops one packet in
/// `loss_every`; wander holds each packet until its due time plus the delay due now, so the
/// delay follows the wave and never piles up from packet to packet. Payloaders push a frame's
/// packets as one buffer list (always, for H.265), so lists are handled packet by packet.
pub(crate) fn install(media: &rtsp::RTSPMedia, mount: &Arc<MountState>) {
    let Some(pad) = media
        .element()
        .downcast_ref::<gst::Bin>()
        .and_then(|b| b.by_name("pay0"))
        .and_then(|p| p.static_pad("src"))
    else {
        return;
    };
    let (m, n, due) = (mount.clone(), AtomicU64::new(0), DueTime::new());
    let kinds = gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST;
    pad.add_probe(kinds, move |pad, info| {
        // One look at the switches per push.
        let (every, wander) = m.network();
        let every = every as u64;
        let lose = || every > 0 && n.fetch_add(1, Ordering::Relaxed) % every == every - 1;
        if let Some(w) = wander {
            let pts = match info.buffer_list() {
                Some(list) => list.get(0).and_then(|b| b.pts()),
                None => info.buffer().and_then(|b| b.pts()),
            };
            let clock = pad
                .parent_element()
                .and_then(|e| Some((e.clock()?, e.base_time()?)));
            if let (Some(pts), Some((clock, base))) = (pts, clock) {
                let now = clock.time().saturating_sub(base);
                let delay = w.delay_at(Instant::now());
                let send =
                    due.of(pts, now) + gst::ClockTime::from_nseconds(delay.as_nanos() as u64);
                if let Some(wait) = send.checked_sub(now) {
                    std::thread::sleep(Duration::from_nanos(wait.nseconds()).min(delay));
                }
            }
        }
        if let Some(list) = info.buffer_list_mut() {
            let list = list.make_mut();
            let mut i = 0;
            while i < list.len() {
                if lose() {
                    list.remove(i..=i);
                } else {
                    i += 1;
                }
            }
            if list.is_empty() {
                return gst::PadProbeReturn::Drop;
            }
        } else if lose() {
            return gst::PadProbeReturn::Drop;
        }
        gst::PadProbeReturn::Ok
    });
}

/// When a packet was due on the running time: the pusher hands frames over as they fall due,
/// but their timestamps run ahead of the running time by however long the media waited
/// paused between DESCRIBE and PLAY, and the frames queued meanwhile pass here late. The
/// smallest `running time - pts` seen (while a wander is on) is the relation of a frame
/// passing when due.
struct DueTime {
    /// The least `running time - pts` seen, in nanoseconds.
    least: AtomicI64,
}

impl DueTime {
    fn new() -> DueTime {
        DueTime {
            least: AtomicI64::new(i64::MAX),
        }
    }

    fn of(&self, pts: gst::ClockTime, now: gst::ClockTime) -> gst::ClockTime {
        let offset = now.nseconds() as i64 - pts.nseconds() as i64;
        let least = self.least.fetch_min(offset, Ordering::Relaxed).min(offset);
        gst::ClockTime::from_nseconds((pts.nseconds() as i64 + least).max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_rises_to_the_amplitude_and_falls_back_each_period() {
        let t0 = Instant::now();
        let w = Wander::new(Duration::from_millis(40), Duration::from_secs(4), t0).unwrap();
        let at = |ms: u64| w.delay_at(t0 + Duration::from_millis(ms)).as_millis();
        assert_eq!(
            [at(0), at(1000), at(2000), at(3000), at(4000), at(5000)],
            [0, 20, 40, 20, 0, 20]
        );
        assert!(Wander::new(Duration::ZERO, Duration::from_secs(1), t0).is_none());
    }

    #[test]
    fn packets_queued_before_play_do_not_move_the_due_time_of_live_ones() {
        let ms = gst::ClockTime::from_mseconds;
        let due = DueTime::new();
        // Queued while paused: frames of 0..80 ms pass at once when the running time is 10 ms.
        assert_eq!(due.of(ms(0), ms(10)), ms(10));
        assert_eq!(due.of(ms(40), ms(10)), ms(10));
        assert_eq!(due.of(ms(80), ms(11)), ms(11));
        // Live from then on: each frame passes when due, and late ones are due all the same.
        assert_eq!(due.of(ms(120), ms(50)), ms(50));
        assert_eq!(due.of(ms(160), ms(150)), ms(90));
    }
}
