//! Feeding one client's media: a thread per media pushes the mount's cached access units into
//! the media's `appsrc` when the [`Timeline`](super::Timeline) says they are due, looping
//! forever, with timestamps that keep increasing across loops (frame `n` of the endless stream
//! gets `pts0 + offset(n) - offset(n0)`, `n0` being the first frame pushed).
//!
//! A media starts at the last keyframe at or before the frame due when it starts (sent at once,
//! then the frames after it as they fall due), so a client always begins with a keyframe and
//! is live from its first burst on (the media's sinks do not sync, see `rtsp.rs`: what is
//! pushed before PLAY goes out at PLAY, at once). The thread also starts again
//! at a keyframe after a stall, or when it fell more than a keyframe interval behind (the
//! pipeline was blocked, e.g. between DESCRIBE and PLAY, which also caps the `appsrc` queue).
//! It ends when the media is unprepared, the server stops or the pipeline refuses data.
//!
//! At a switch (`switch.rs`) it sets the new loop's caps on the `appsrc` and starts again at
//! the new loop's first keyframe due, its timestamps going on from the last frame's end.

use super::cache::EncodedLoop;
use super::switch::Segment;
use super::MountState;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Starts the thread feeding `appsrc`.
pub(crate) fn spawn(
    appsrc: gst_app::AppSrc,
    mount: Arc<MountState>,
    run_cancel: Arc<AtomicBool>,
    media_cancel: Arc<AtomicBool>,
) {
    let name = format!("push{}", mount.path);
    let spawned = std::thread::Builder::new()
        .name(name)
        .spawn(move || run(&appsrc, &mount, &run_cancel, &media_cancel));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start a pusher thread");
    }
}

/// Counts the media being fed while it lives.
struct Streaming<'a>(&'a MountState);

impl Drop for Streaming<'_> {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What pacing needs of the loop being served.
#[derive(Clone, Copy)]
struct Limits {
    /// Bytes that may wait in the appsrc queue: about two seconds of stream.
    max_queue: u64,
    gop: u64,
    frame_dur: Duration,
}

impl Limits {
    fn of(seg: &Segment) -> Limits {
        let (lp, tl) = (&seg.encoded, &seg.timeline);
        Limits {
            max_queue: (lp.bytes as f64 * 2.0 / tl.loop_duration_s()).max(1e6) as u64,
            gop: lp.max_gop(),
            frame_dur: tl.frame_offset(1),
        }
    }
}

fn run(
    appsrc: &gst_app::AppSrc,
    mount: &MountState,
    run_cancel: &AtomicBool,
    media_cancel: &AtomicBool,
) {
    mount.streams.fetch_add(1, Ordering::SeqCst);
    let _streaming = Streaming(mount);
    let mut seg = mount.segment_now();
    let mut limits = Limits::of(&seg);
    let mut last: Option<u64> = None;
    let mut resync = true;
    let mut origin: Option<(u64, gst::ClockTime)> = None;
    // The end of the last frame pushed: a new segment's timestamps start there at the earliest.
    let mut pts_floor = gst::ClockTime::ZERO;
    tracing::debug!(mount = %mount.path, "pusher started");
    loop {
        if run_cancel.load(Ordering::SeqCst)
            || media_cancel.load(Ordering::SeqCst)
            || appsrc.current_state() == gst::State::Null
        {
            break;
        }
        if mount.is_stalled() {
            resync = true;
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        let now = std::time::Instant::now();
        let due_seg = mount.schedule.at_instant(&mount.timeline, now);
        if !Arc::ptr_eq(&due_seg, &seg) {
            seg = due_seg;
            limits = Limits::of(&seg);
            (last, origin, resync) = (None, None, true);
            tracing::info!(mount = %mount.path, to = %seg.describe(), "client switched");
        }
        if appsrc.caps().as_ref() != Some(&seg.encoded.caps) {
            // the next buffer goes out after a caps event; the payloader updates its sprop
            // parameter sets, the client's parser and decoder renegotiate
            appsrc.set_caps(Some(&seg.encoded.caps));
        }
        let (lp, tl) = (&*seg.encoded, &seg.timeline);
        let Limits {
            max_queue,
            gop,
            frame_dur,
        } = limits;
        let due = tl.due_frame(now);
        let behind = last.is_none_or(|l| l + 1 + gop <= due);
        let n = match last {
            Some(l) if !resync && !behind => l + 1,
            _ => start_frame(lp, due, last),
        };
        if n > due {
            let wait = tl.frame_instant(n).saturating_duration_since(now);
            std::thread::sleep(wait.min(Duration::from_millis(50)));
            continue;
        }
        if appsrc.current_level_bytes() > max_queue {
            resync = true;
            std::thread::sleep(frame_dur);
            continue;
        }
        let (n0, pts0) = *origin.get_or_insert_with(|| {
            (
                n,
                appsrc
                    .current_running_time()
                    .unwrap_or(gst::ClockTime::ZERO)
                    .max(pts_floor),
            )
        });
        let since = tl.frame_offset(n) - tl.frame_offset(n0);
        let pts = pts0 + gst::ClockTime::from_nseconds(since.as_nanos() as u64);
        let duration = tl.frame_offset(n + 1) - tl.frame_offset(n);
        let mut buffer = lp.frames[(n % lp.len()) as usize].copy();
        {
            let b = buffer.get_mut().expect("a copied buffer is writable");
            b.set_pts(pts);
            b.set_dts(pts);
            b.set_duration(gst::ClockTime::from_nseconds(duration.as_nanos() as u64));
            if resync || behind {
                b.set_flags(gst::BufferFlags::DISCONT);
            }
            if mount.is_garbage() {
                scramble(b, n);
            }
        }
        pts_floor = pts + gst::ClockTime::from_nseconds(duration.as_nanos() as u64);
        if appsrc.push_buffer(buffer).is_err() {
            break;
        }
        mount.frames_sent.fetch_add(1, Ordering::Relaxed);
        if resync || behind {
            tracing::debug!(mount = %mount.path, frame = n, due, "streaming from a keyframe");
        }
        resync = false;
        last = Some(n);
    }
    tracing::debug!(mount = %mount.path, "pusher ended");
}

/// Overwrites an access unit with noise, keeping its first start code and NAL header so
/// the payloader still sends it: the camera's "garbage" fault.
fn scramble(buffer: &mut gst::BufferRef, seed: u64) {
    let Ok(mut map) = buffer.map_writable() else {
        return;
    };
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for byte in map.iter_mut().skip(5) {
        // xorshift64: cheap, and no start codes in practice.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *byte = (x >> 24) as u8 | 0x01;
    }
}

/// Where to (re)start: the last keyframe at or before `due`, or, when that was already sent,
/// the next keyframe after the last frame sent.
fn start_frame(lp: &EncodedLoop, due: u64, last: Option<u64>) -> u64 {
    let n = lp.len();
    let k = due / n * n + lp.keyframe_at_or_before(due % n);
    match last {
        Some(l) if k <= l => {
            let base = l / n * n;
            base + lp.keyframe_after(l % n).unwrap_or(n)
        }
        _ => k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_loop(frames: u64, keyframes: Vec<u64>) -> EncodedLoop {
        gst::init().unwrap();
        EncodedLoop {
            caps: gst::Caps::new_empty_simple("video/x-h264"),
            fps: gst::Fraction::new(30, 1),
            frames: (0..frames).map(|_| gst::Buffer::new()).collect(),
            keyframes,
            truth: serde_json::from_str(
                r#"{"source":"x","width":32,"height":32,"fps":30,"duration_s":1,"events":[]}"#,
            )
            .unwrap(),
            bytes: 0,
        }
    }

    #[test]
    fn starts_at_a_keyframe_never_going_back() {
        let lp = fake_loop(100, vec![0, 30, 60, 90]);
        assert_eq!(lp.max_gop(), 30);
        assert_eq!(start_frame(&lp, 0, None), 0);
        assert_eq!(start_frame(&lp, 45, None), 30);
        assert_eq!(start_frame(&lp, 95, None), 90);
        assert_eq!(start_frame(&lp, 100 * 3 + 61, None), 360);
        // a short stall: the keyframe before `due` was sent already, wait for the next one
        assert_eq!(start_frame(&lp, 50, Some(40)), 60);
        assert_eq!(start_frame(&lp, 99, Some(95)), 100);
        assert_eq!(start_frame(&lp, 250, Some(200)), 230);
    }
}
