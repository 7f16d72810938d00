//! Composites: the event's frames max-stacked into one still (every position the meteor
//! reached shows at once), saved as-is and with the track marked. The frames are decoded
//! from the pre-roll ring on the writer thread, so building a composite costs the detector
//! nothing per frame; at a few events an hour, decoding a few seconds again is cheap.

use crate::clip::{self, ClipError};
use crate::ingest::{CapsCache, Frame};
use crate::ring::Au;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use opencv::core::{self, Mat, Point, Scalar};
use opencv::imgproc;
use opencv::prelude::*;
use std::time::Duration;

/// The max-stack of every frame whose PTS lies in `[start_ns, end_ns]` (source timeline).
/// Falls back to the frame nearest the interval when none lies inside it.
pub fn stack(aus: &[Au], start_ns: u64, end_ns: u64) -> Result<Mat, ClipError> {
    if aus.is_empty() {
        return Err(ClipError::NoVideo);
    }
    let aus = span(aus, start_ns, end_ns);
    // Few frames in flight and one decoding thread: this second decoder runs a few times an
    // hour beside the live one, and a frame-threaded decoder with an unbounded sink would
    // grow the worker's memory by tens of MB for good (glibc keeps what it once held). Each
    // frame waiting in the sink is 3 MB more at the worker's peak (1080p), so only one does.
    let pipeline = clip::build(
        aus,
        "decodebin ! videoconvert ! video/x-raw,format=I420 ! appsink name=sink sync=false max-buffers=1",
    )?;
    pipeline.connect_deep_element_added(|_, _, element| {
        if element.find_property("max-threads").is_some() {
            element.set_property_from_str("max-threads", "1");
        }
    });
    let sink = pipeline
        .by_name("sink")
        .and_then(|e| e.downcast::<gst_app::AppSink>().ok())
        .ok_or_else(|| ClipError::Pipeline("no appsink".into()))?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|e| ClipError::Pipeline(e.to_string()))?;
    let origin = clip::origin_ns(aus);
    let pushed = clip::push_all(&pipeline, aus);
    let mut acc: Option<Mat> = None;
    // Kept only until the first frame inside the interval: then it is never the answer.
    let mut nearest: Option<(u64, Mat)> = None;
    let mut cache: CapsCache = None;
    let cv = |e: opencv::Error| ClipError::Pipeline(e.to_string());
    let result = pushed.and_then(|()| {
        while let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_seconds(20)) {
            let Some(frame) = Frame::from_sample(&sample, &mut cache) else {
                continue;
            };
            let t = frame.pts_ns + origin;
            if (start_ns..=end_ns).contains(&t) {
                frame
                    .with_luma(|luma| {
                        match acc.as_mut() {
                            None => {
                                nearest = None;
                                acc = Some(luma.try_clone()?);
                            }
                            Some(a) => max_in_place(a, luma)?,
                        }
                        Ok(())
                    })
                    .map_err(cv)?;
            } else if acc.is_none() {
                let dist = if t < start_ns {
                    start_ns - t
                } else {
                    t - end_ns
                };
                if nearest.as_ref().is_none_or(|(d, _)| dist < *d) {
                    // Into the same image each time: no second 1080p plane while it is replaced.
                    let (d, m) = nearest.get_or_insert_with(|| (dist, Mat::default()));
                    *d = dist;
                    frame.with_luma(|l| l.copy_to(m)).map_err(cv)?;
                }
            }
            if sink.is_eos() {
                break;
            }
        }
        Ok(())
    });
    let _ = clip::wait_eos(&pipeline, Duration::from_secs(5));
    let _ = pipeline.set_state(gst::State::Null);
    result?;
    acc.or(nearest.map(|(_, m)| m)).ok_or(ClipError::NoVideo)
}

/// The units the stack needs out of a clip's: from the last keyframe at or before `start_ns`
/// to the last unit decoded at or before `end_ns`, cut by the same rules as the ring's
/// `slice` (so no frame of the interval is lost). The clip's second on either side, and the rest
/// of the keyframe interval before, would be decoded only to be thrown away: on a 1-second
/// keyframe interval that was two thirds of an event's decoding.
fn span(aus: &[Au], start_ns: u64, end_ns: u64) -> &[Au] {
    let first = aus
        .iter()
        .rposition(|a| a.keyframe && a.time_ns().is_some_and(|t| t <= start_ns))
        .unwrap_or(0);
    let end = aus[first..]
        .iter()
        .position(|a| a.decode_time_ns().is_some_and(|t| t > end_ns))
        .map_or(aus.len(), |i| first + i);
    &aus[first..end.max(first + 1).min(aus.len())]
}

/// `acc = max(acc, luma)`, row by row in place: OpenCV's `max` would need a second plane as
/// its output (the borrow rules forbid passing `acc` as both), 2 MB more at the decode's
/// peak for a 1080p event. The compiler vectorises the loop.
fn max_in_place(acc: &mut Mat, luma: &Mat) -> opencv::Result<()> {
    if acc.size()? != luma.size()? || acc.typ() != luma.typ() || acc.typ() != core::CV_8UC1 {
        return Err(opencv::Error::new(
            core::StsUnmatchedSizes,
            "composite frames differ in size or type",
        ));
    }
    for r in 0..acc.rows() {
        let src = luma.at_row::<u8>(r)?;
        for (a, &b) in acc.at_row_mut::<u8>(r)?.iter_mut().zip(src) {
            *a = (*a).max(b);
        }
    }
    Ok(())
}

/// The stack with the track marked beside it (never over it: the meteor stays visible), its
/// start in green and end in red, and a caption; in RGB, as `picture` encodes colour.
pub fn annotate(stacked: &Mat, track: &[[f64; 2]], caption: &str) -> opencv::Result<Mat> {
    let mut rgb = Mat::default();
    imgproc::cvt_color(stacked, &mut rgb, imgproc::COLOR_GRAY2RGB, 0)?;
    let h = stacked.rows() as f64;
    let scale = (h / 720.0).max(0.5);
    let (Some(a), Some(b)) = (track.first(), track.last()) else {
        return Ok(rgb);
    };
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy).max(1e-6);
    let offset = 14.0 * scale;
    let (nx, ny) = (-dy / len * offset, dx / len * offset);
    let pt = |p: &[f64; 2], k: f64| {
        Point::new(
            (p[0] + nx * k).round() as i32,
            (p[1] + ny * k).round() as i32,
        )
    };
    let thick = (2.0 * scale).round().max(1.0) as i32;
    let yellow = Scalar::new(255.0, 220.0, 0.0, 0.0);
    for k in [1.0, -1.0] {
        imgproc::line(
            &mut rgb,
            pt(a, k),
            pt(b, k),
            yellow,
            thick,
            imgproc::LINE_AA,
            0,
        )?;
    }
    // Start in green, end in red.
    for (p, colour) in [
        (a, Scalar::new(0.0, 255.0, 0.0, 0.0)),
        (b, Scalar::new(255.0, 0.0, 0.0, 0.0)),
    ] {
        let r = (10.0 * scale) as i32;
        imgproc::circle(&mut rgb, pt(p, 0.0), r, colour, thick, imgproc::LINE_AA, 0)?;
    }
    // A dark band behind the caption keeps it readable over a camera's own clock text.
    let band = opencv::core::Rect::new(0, 0, stacked.cols(), (40.0 * scale) as i32);
    imgproc::rectangle(
        &mut rgb,
        band,
        Scalar::all(0.0),
        imgproc::FILLED,
        imgproc::LINE_8,
        0,
    )?;
    imgproc::put_text(
        &mut rgb,
        caption,
        Point::new((10.0 * scale) as i32, (28.0 * scale) as i32),
        imgproc::FONT_HERSHEY_SIMPLEX,
        0.7 * scale,
        Scalar::new(255.0, 255.0, 255.0, 0.0),
        thick.max(1),
        imgproc::LINE_AA,
        false,
    )?;
    Ok(rgb)
}

/// JPEG bytes of an image.
pub fn jpeg(img: &Mat) -> opencv::Result<Vec<u8>> {
    crate::picture::jpeg(img, 92)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{Vec3b, CV_8UC1};

    #[test]
    fn track_marked_in_rgb_beside_the_meteor() {
        let stacked =
            Mat::new_rows_cols_with_default(720, 1280, CV_8UC1, Scalar::all(0.0)).unwrap();
        let marked = annotate(&stacked, &[[100.0, 300.0], [600.0, 300.0]], "cam").unwrap();
        let px = |x: i32, y: i32| marked.at_2d::<Vec3b>(y, x).unwrap().0;
        // Start circle green, end circle red (radius 10 px at 720 rows), in RGB order.
        assert_eq!(px(110, 300), [0, 255, 0]);
        assert_eq!(px(610, 300), [255, 0, 0]);
        // The two yellow lines run 14 px either side of the track, never over it.
        assert_eq!(px(350, 314), [255, 220, 0]);
        assert_eq!(px(350, 286), [255, 220, 0]);
        assert_eq!(px(350, 300), [0, 0, 0]);
    }

    /// Units at 10 fps in decode order, shown one frame later (reordering), a keyframe
    /// every 10.
    fn stream(n: u64) -> Vec<Au> {
        gst::init().unwrap();
        (0..n)
            .map(|i| Au {
                buffer: gst::Buffer::new(),
                caps: gst::Caps::new_empty_simple("video/x-h264"),
                pts_ns: Some((i * 100 + 100) * 1_000_000),
                dts_ns: Some(i * 100 * 1_000_000),
                keyframe: i % 10 == 0,
            })
            .collect()
    }

    #[test]
    fn decodes_from_the_keyframe_before_the_event_to_its_end_only() {
        let aus = stream(40);
        let ms = |v: u64| v * 1_000_000;
        for (start, end, first, last) in [
            // Keyframes show at 100, 1100, 2100 and 3100 ms.
            (1500, 2500, 10, 25),
            (1100, 1100, 10, 11),
            (2099, 2101, 10, 21),
            (50, 300, 0, 3),
            (3500, 9000, 30, 39),
        ] {
            let got = span(&aus, ms(start), ms(end));
            let idx = |a: &Au| aus.iter().position(|b| std::ptr::eq(a, b)).unwrap();
            assert_eq!(
                (idx(&got[0]), idx(got.last().unwrap())),
                (first, last),
                "{start}..{end} ms"
            );
            assert!(got[0].keyframe);
            // Every frame shown inside the interval is decoded.
            for a in &aus {
                if (ms(start)..=ms(end)).contains(&a.pts_ns.unwrap()) {
                    assert!(got.iter().any(|g| std::ptr::eq(g, a)), "{start}..{end} ms");
                }
            }
        }
    }

    #[test]
    fn stacks_the_brightest_of_each_pixel_from_a_strided_plane() {
        // The decoder's luma plane is a view with a stride wider than the image.
        let mut wide: Vec<u8> = (0..3u8)
            .flat_map(|r| (0..8u8).map(move |c| r * 40 + c * 9))
            .collect();
        // SAFETY: `wide` outlives `luma`, holds 3 rows of 8 bytes, and is only read through it.
        let luma = unsafe {
            Mat::new_rows_cols_with_data_unsafe(3, 5, CV_8UC1, wide.as_mut_ptr().cast(), 8)
        }
        .unwrap();
        let mut acc = Mat::new_rows_cols_with_default(3, 5, CV_8UC1, Scalar::all(50.0)).unwrap();
        max_in_place(&mut acc, &luma).unwrap();
        for r in 0..3 {
            let want: Vec<u8> = (0..5).map(|c| (r as u8 * 40 + c * 9).max(50)).collect();
            assert_eq!(acc.at_row::<u8>(r).unwrap(), &want[..], "row {r}");
        }
        assert_eq!(*acc.at_2d::<u8>(2, 4).unwrap(), 116);
        assert_eq!(*acc.at_2d::<u8>(0, 0).unwrap(), 50);
        // A frame of another size is an error, not a panic or a partial stack.
        let small = Mat::new_rows_cols_with_default(2, 5, CV_8UC1, Scalar::all(0.0)).unwrap();
        assert!(max_in_place(&mut acc, &small).is_err());
    }
}
