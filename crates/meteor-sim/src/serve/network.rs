//! The network faults a test can switch on for a mount (see
//! [`SimServer::packet_loss`](super::SimServer::packet_loss) and
//! [`SimServer::network_wander`](super::SimServer::network_wander)), done by a probe on
//! each media's video payloader output, so they act on RTP packets as a network would.

use super::MountState;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_rtsp_server as rtsp;
use gstreamer_rtsp_server::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
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
/// `loss_every`; wander holds each packet until its due time (its running time) plus the
/// delay due now, so the delay follows the wave and never piles up from packet to packet.
pub(crate) fn install(media: &rtsp::RTSPMedia, mount: &Arc<MountState>) {
    let Some(pad) = media
        .element()
        .downcast_ref::<gst::Bin>()
        .and_then(|b| b.by_name("pay0"))
        .and_then(|p| p.static_pad("src"))
    else {
        return;
    };
    let (m, n) = (mount.clone(), AtomicU64::new(0));
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        // One look at the switches per packet.
        let (every, wander) = m.network();
        let every = every as u64;
        if every > 0 && n.fetch_add(1, Ordering::Relaxed) % every == every - 1 {
            return gst::PadProbeReturn::Drop;
        }
        if let Some(w) = wander {
            let delay = w.delay_at(Instant::now());
            let due = info.buffer().and_then(|b| b.pts());
            let clock = pad
                .parent_element()
                .and_then(|e| Some((e.clock()?, e.base_time()?)));
            if let (Some(due), Some((clock, base))) = (due, clock) {
                let now = clock.time().saturating_sub(base);
                let send = due + gst::ClockTime::from_nseconds(delay.as_nanos() as u64);
                if let Some(wait) = send.checked_sub(now) {
                    std::thread::sleep(Duration::from_nanos(wait.nseconds()).min(delay));
                }
            }
        }
        gst::PadProbeReturn::Ok
    });
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
}
