//! Clip timing. A camera sends its frames evenly spaced, but the timestamps they come with
//! follow arrival (rtspsrc slaves them to our clock, so that records keep wall-clock time
//! through a long night), and they stretch and squeeze when the delay of the network or of
//! this host changes. Muxed as they are, a 25 fps clip reads as 24.975 fps, or as a variable
//! rate that plays unevenly. So the spacing of each pair of units, when it is a whole number
//! of frame periods give or take a quarter period, becomes exactly that: evenly spaced units
//! stay evenly spaced, and a lost frame stays a gap of two periods. A spacing that is no such
//! multiple (a unit far late) is kept as it came, and when most spacings are none (a rate
//! change the caps do not announce) all the times are kept: timing stays true.

use gstreamer as gst;

/// One unit's presentation and decode times, in nanoseconds.
pub type Times = (Option<u64>, Option<u64>);

/// The frame period `1e9 * den / num` ns, kept as a fraction so 30000/1001 stays exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Period {
    num: i128,
    den: i128,
}

impl Period {
    fn from_fraction(f: gst::Fraction) -> Option<Period> {
        (f.numer() > 0 && f.denom() > 0).then(|| Period {
            num: f.numer() as i128,
            den: f.denom() as i128 * 1_000_000_000,
        })
    }

    fn ns(self) -> f64 {
        self.den as f64 / self.num as f64
    }

    /// `k` periods, in whole nanoseconds.
    fn times(self, k: i128) -> i128 {
        div_round(k * self.den, self.num)
    }

    /// The whole number of periods (at least one) `gap` is, within a quarter period.
    fn steps(self, gap: u64) -> Option<i128> {
        let k = div_round(gap as i128 * self.num, self.den);
        (k >= 1 && ((self.times(k) - gap as i128) as f64).abs() <= self.ns() / 4.0).then_some(k)
    }
}

fn div_round(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    if 2 * a.rem_euclid(b) >= b {
        q + 1
    } else {
        q
    }
}

/// The stream's frame period: the caps' frame rate when they give one. Else the mean spacing,
/// put on the nearest standard rate within 1.5 %: a whole rate first, then a half one (12.5),
/// then an NTSC one (n * 1000/1001). Arrival wander makes the mean too rough to tell 25 from
/// 24.975 fps, and cameras that do not say their rate run at whole ones.
fn period(caps_rate: Option<gst::Fraction>, gaps: &[u64]) -> Option<Period> {
    if let Some(p) = caps_rate.and_then(Period::from_fraction) {
        return Some(p);
    }
    let mut sorted = gaps.to_vec();
    sorted.sort_unstable();
    let median = *sorted.get(sorted.len() / 2)?;
    if median == 0 || median > 2_000_000_000 {
        return None;
    }
    // The mean over the spacings that are a whole number of median spacings (lost frames
    // count as several; outliers not at all).
    let rough = Period::from_fraction(gst::Fraction::new(1_000_000_000, median as i32))?;
    let (span, steps) = gaps
        .iter()
        .filter_map(|&g| rough.steps(g).map(|k| (g as f64, k as f64)))
        .fold((0.0, 0.0), |(s, n), (g, k)| (s + g, n + k));
    if steps == 0.0 {
        return None;
    }
    let fps = 1e9 * steps / span;
    let near = |rates: &mut dyn Iterator<Item = (i32, i32)>| {
        rates
            .map(|(n, d)| (n, d, n as f64 / d as f64))
            .filter(|&(_, _, r)| (r - fps).abs() <= 0.015 * fps)
            .min_by(|a, b| (a.2 - fps).abs().total_cmp(&(b.2 - fps).abs()))
    };
    let whole = (fps * 0.9).floor().max(1.0) as i32..=(fps * 1.1).ceil() as i32;
    let found = near(&mut whole.clone().map(|n| (n, 1)))
        .or_else(|| near(&mut whole.clone().map(|n| (2 * n + 1, 2))))
        .or_else(|| near(&mut whole.map(|n| (n * 1000, 1001))))?;
    Period::from_fraction(gst::Fraction::new(found.0, found.1))
}

/// The times to mux the units with: evenly spaced where they were sent so (see the module
/// comment), else as they came. `caps_rate` is the stream's frame rate, if its caps say.
pub fn retime(times: &[Times], caps_rate: Option<gst::Fraction>) -> Vec<Times> {
    retimed(times, caps_rate).unwrap_or_else(|| times.to_vec())
}

fn retimed(times: &[Times], caps_rate: Option<gst::Fraction>) -> Option<Vec<Times>> {
    let pts: Vec<u64> = times.iter().map(|t| t.0.or(t.1)).collect::<Option<_>>()?;
    if pts.len() < 3 {
        return None;
    }
    // In presentation order (B-frames send units out of it).
    let mut order: Vec<usize> = (0..pts.len()).collect();
    order.sort_by_key(|&i| pts[i]);
    let gaps: Vec<u64> = order.windows(2).map(|w| pts[w[1]] - pts[w[0]]).collect();
    let p = period(caps_rate, &gaps)?;
    let steps: Vec<Option<i128>> = gaps.iter().map(|&g| p.steps(g)).collect();
    // Mostly not whole periods: not a steady stream at this rate; its own times are the truth.
    if steps.iter().flatten().count() * 10 < gaps.len() * 9 {
        return None;
    }
    let mut new_pts = pts.clone();
    // Whole periods count from the last unit kept as it came, so rounding never piles up.
    let (mut base, mut k) = (pts[order[0]] as i128, 0i128);
    for (w, (step, &gap)) in order.windows(2).zip(steps.iter().zip(&gaps)) {
        let (prev, cur) = (w[0], w[1]);
        new_pts[cur] = match step {
            Some(s) => {
                k += s;
                (base + p.times(k)) as u64
            }
            None => {
                let t = new_pts[prev] + gap;
                (base, k) = (t as i128, 0);
                t
            }
        };
    }
    // Decode times move with their own unit, so a stream with B-frames keeps DTS <= PTS;
    // should they stop rising, every time is kept.
    let dts: Vec<Option<u64>> = times
        .iter()
        .zip(pts.iter().zip(&new_pts))
        .map(|(t, (&old, &new))| t.1.map(|d| (d as i128 + new as i128 - old as i128) as u64))
        .collect();
    let dts_ok = dts.windows(2).all(|w| match (w[0], w[1]) {
        (Some(a), Some(b)) => a < b,
        _ => true,
    }) && dts
        .iter()
        .zip(&new_pts)
        .all(|(d, p)| d.is_none_or(|d| d <= *p));
    if !dts_ok {
        return None;
    }
    Some(
        times
            .iter()
            .zip(new_pts.iter().zip(dts))
            .map(|(t, (&p, d))| (t.0.map(|_| p), d))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn fps(n: i32, d: i32) -> Option<gst::Fraction> {
        Some(gst::Fraction::new(n, d))
    }

    fn pts_only(ts: &[u64]) -> Vec<Times> {
        ts.iter().map(|&t| (Some(t), None)).collect()
    }

    /// 25 fps with arrival wander of up to +-4 ms and, with `drift`, a slow drift of 0.1 %
    /// (what a busy host does to slaved timestamps).
    fn wandering_25(n: u64, drift: bool) -> Vec<u64> {
        let drift = if drift { 40 * MS / 1000 } else { 0 };
        (0..n)
            .map(|i| 7_000 * MS + i * (40 * MS + drift) + (i * 7919 % 9) * MS - 4 * MS)
            .collect()
    }

    fn assert_even(out: &[Times], period: u64, what: &str) {
        let p: Vec<u64> = out.iter().map(|t| t.0.unwrap()).collect();
        for (i, w) in p.windows(2).enumerate() {
            assert_eq!(w[1] - w[0], period, "{what}: unit {i}");
        }
    }

    #[test]
    fn wandering_units_come_out_evenly_spaced() {
        for (rate, drift) in [
            (fps(25, 1), true),
            (fps(25, 1), false),
            (None, false),
            (None, true),
        ] {
            let ts = wandering_25(125, drift);
            let out = retime(&pts_only(&ts), rate);
            assert_even(&out, 40 * MS, &format!("{rate:?}, drift {drift}"));
            assert_eq!(out[0].0, Some(ts[0]), "the clip keeps its start");
        }
    }

    #[test]
    fn a_delay_ramp_of_seven_percent_still_gives_the_camera_rate() {
        // Arrival stretched by 200 ms over 3 s, then squeezed back: what a queue filling and
        // draining on the way does.
        let ts: Vec<u64> = (0..150u64)
            .map(|i| {
                let up = if i < 75 { i } else { 150 - i };
                i * 40 * MS + up * 200 * MS / 75
            })
            .collect();
        assert_even(&retime(&pts_only(&ts), fps(25, 1)), 40 * MS, "ramp");
    }

    #[test]
    fn ntsc_rates_from_the_caps_stay_exact_over_a_long_clip() {
        let ts: Vec<u64> = (0..900u64)
            .map(|i| i * 1_001_000_000 / 30 + 3 * MS)
            .collect();
        let out = retime(&pts_only(&ts), fps(30000, 1001));
        for (i, t) in out.iter().enumerate() {
            let ideal = (i as u64 * 1_001_000_000 + 15) / 30;
            assert!(t.0.unwrap().abs_diff(ideal + 3 * MS) <= 1, "unit {i}");
        }
    }

    #[test]
    fn rates_the_caps_do_not_give_are_found_from_the_units() {
        for (n, d) in [(30u64, 1u64), (15, 1), (25, 2), (60, 1), (25, 1)] {
            let period = 1_000_000_000 * d / n;
            // Wander of up to a fifth of a frame, and two frames lost.
            let ts: Vec<u64> = (0..80u64)
                .filter(|i| ![10, 11].contains(i))
                .map(|i| i * period + (i * 7 % 5) * period / 20)
                .collect();
            let out = retime(&pts_only(&ts), None);
            let first = out[0].0.unwrap();
            for (i, t) in out.iter().enumerate() {
                let off = t.0.unwrap() - first;
                let k = (off + period / 2) / period;
                let exact = (k * 1_000_000_000 * d + n / 2) / n;
                assert!(off.abs_diff(exact) <= 1, "{n}/{d} fps, unit {i} at {off}");
            }
        }
    }

    #[test]
    fn a_gap_stays_a_gap_and_a_late_unit_stays_late() {
        let mut ts: Vec<u64> = (0..50u64).map(|i| i * 40 * MS + (i % 3) * MS).collect();
        ts.drain(20..25); // five frames lost
        ts[30] += 15 * MS; // one unit 15 ms late: more than a quarter frame
        let out = retime(&pts_only(&ts), fps(25, 1));
        let p: Vec<u64> = out.iter().map(|t| t.0.unwrap()).collect();
        assert_eq!(p[20] - p[19], 6 * 40 * MS);
        assert_eq!(p[30] - p[29], ts[30] - ts[29]);
        assert_eq!(p[31] - p[30], ts[31] - ts[30]);
        assert_eq!(p[32] - p[31], 40 * MS);
    }

    #[test]
    fn a_rate_change_the_caps_do_not_announce_keeps_true_times() {
        // 25 fps for 2 s, then 15 fps for 4 s, all under 25 fps caps.
        let mut ts: Vec<u64> = (0..50u64).map(|i| i * 40 * MS).collect();
        ts.extend((1..=60u64).map(|i| 2_000 * MS - 40 * MS + i * 200 * MS / 3));
        let rows = pts_only(&ts);
        assert_eq!(retime(&rows, fps(25, 1)), rows);
    }

    #[test]
    fn decode_times_move_with_their_unit_and_stay_rising() {
        let rows: Vec<Times> = (0..30u64)
            .map(|i| {
                let t = i * 40 * MS + u64::from(i % 3 == 1) * 3 * MS;
                (Some(t), Some(t))
            })
            .collect();
        let out = retime(&rows, fps(25, 1));
        for (i, (p, d)) in out.iter().enumerate() {
            assert_eq!(p, d);
            assert_eq!(p.unwrap() % (40 * MS), 0, "unit {i}: {p:?}");
        }
        // Units with only a decode time get a presentation time on the grid too.
        let rows: Vec<Times> = rows.iter().map(|t| (None, t.1)).collect();
        let out = retime(&rows, fps(25, 1));
        assert!(out
            .iter()
            .all(|t| t.0.is_none() && t.1.unwrap() % (40 * MS) == 0));
    }

    #[test]
    fn too_few_or_untimed_units_are_left_alone() {
        let two = pts_only(&[0, 41 * MS]);
        assert_eq!(retime(&two, fps(25, 1)), two);
        let untimed = vec![(Some(0), None), (None, None), (Some(80 * MS), None)];
        assert_eq!(retime(&untimed, fps(25, 1)), untimed);
    }
}
