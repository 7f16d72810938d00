//! Connected components of the changed pixels, found from their runs.
//!
//! On a night sky only a few hundred pixels change per frame, so taking each row's runs
//! while the comparison has the row in cache (`Changes`; no mask plane is kept) and joining
//! runs that touch (8-connectivity) costs a small fraction of a full-image labelling pass
//! (OpenCV's `connectedComponentsWithStats` walks and writes every pixel). Each component keeps what the detector needs: area, bounding
//! box, centroid and its brightest pixel in a companion image.

use opencv::core::Mat;
use opencv::prelude::*;

/// One connected group of changed pixels. Coordinates are processing-scale pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blob {
    pub area: u32,
    pub left: i32,
    pub top: i32,
    /// Inclusive.
    pub right: i32,
    pub bottom: i32,
    sum_x: u64,
    sum_y: u64,
    /// Largest value of the companion image over the blob, and where (first in scan order).
    pub peak: u8,
    pub peak_x: i32,
    pub peak_y: i32,
}

impl Blob {
    pub fn centroid(&self) -> (f64, f64) {
        let n = self.area.max(1) as f64;
        (self.sum_x as f64 / n, self.sum_y as f64 / n)
    }

    pub fn width(&self) -> i32 {
        self.right - self.left + 1
    }

    pub fn height(&self) -> i32 {
        self.bottom - self.top + 1
    }

    fn absorb(&mut self, o: &Blob) {
        self.area += o.area;
        self.left = self.left.min(o.left);
        self.top = self.top.min(o.top);
        self.right = self.right.max(o.right);
        self.bottom = self.bottom.max(o.bottom);
        self.sum_x += o.sum_x;
        self.sum_y += o.sum_y;
        if o.peak > self.peak {
            (self.peak, self.peak_x, self.peak_y) = (o.peak, o.peak_x, o.peak_y);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Run {
    y: i32,
    x0: i32,
    /// Inclusive.
    x1: i32,
}

/// Runs a frame's comparison keeps at most (48 KiB); a frame with more (a noise storm, a
/// flash) is compared again, row by row, if it is labelled at all.
pub const MAX_KEPT_RUNS: usize = 4096;

/// The changed pixels of one frame as runs, taken row by row from the comparison.
#[derive(Default)]
pub struct Changes {
    runs: Vec<Run>,
    /// The row being compared: 0 or 255 per pixel.
    row: Vec<u8>,
    cap: usize,
    complete: bool,
}

impl Changes {
    /// Starts a frame of rows `width` pixels wide, keeping at most `cap` runs.
    pub fn start(&mut self, width: usize, cap: usize) {
        self.runs.clear();
        self.row.resize(width, 0);
        self.cap = cap;
        self.complete = true;
    }

    /// Where the comparison marks the current row.
    pub fn row_mut(&mut self) -> &mut [u8] {
        &mut self.row
    }

    /// Takes the runs of the marked row `y`, which has `changed` pixels set.
    pub fn keep_row(&mut self, y: usize, changed: usize) {
        if changed == 0 || !self.complete {
            return;
        }
        // A row has at most as many runs as changed pixels.
        if self.runs.len() + changed > self.cap {
            self.complete = false;
            self.runs.clear();
            return;
        }
        find_runs(&self.row, y as i32, &mut self.runs);
    }

    /// Whether every changed pixel of the frame is in the runs (the cap was not reached).
    pub fn complete(&self) -> bool {
        self.complete
    }
}

/// Reusable labelling buffers: after the first frames, labelling allocates nothing.
#[derive(Default)]
pub struct Components {
    /// The runs to label: filled by the comparison (`changes_mut`) or from a mask (`label`).
    changes: Changes,
    parent: Vec<u32>,
    slot: Vec<u32>,
    blobs: Vec<Blob>,
}

impl Components {
    /// Labels the non-zero pixels of `mask` (CV_8UC1) and measures each component's peak in
    /// `values` (the same size, rows packed), less `base` where given (in `prep::STEP`ths,
    /// rounded; saturating at 0: the rise of a frame over its background, worked out only
    /// where something changed).
    pub fn label(
        &mut self,
        mask: &Mat,
        values: &[u8],
        base: Option<&[u16]>,
    ) -> opencv::Result<&[Blob]> {
        let (rows, cols) = (mask.rows().max(0) as usize, mask.cols().max(0) as usize);
        let pixels = mask.data_bytes()?;
        self.changes.start(cols, usize::MAX);
        for y in 0..rows {
            find_runs(
                &pixels[y * cols..][..cols],
                y as i32,
                &mut self.changes.runs,
            );
        }
        self.label_changes(cols, rows, values, base)
    }

    /// Where the comparison leaves a frame's changes for `label_changes`.
    pub fn changes_mut(&mut self) -> &mut Changes {
        &mut self.changes
    }

    /// Labels the runs in `changes_mut()` (which must be complete) of a `cols` x `rows`
    /// frame; `values` and `base` as for `label`.
    pub fn label_changes(
        &mut self,
        cols: usize,
        rows: usize,
        values: &[u8],
        base: Option<&[u16]>,
    ) -> opencv::Result<&[Blob]> {
        self.parent.clear();
        self.blobs.clear();
        let size = rows * cols;
        if values.len() != size || base.is_some_and(|b| b.len() != size) {
            return Err(opencv::Error::new(
                opencv::core::StsBadSize,
                format!(
                    "label: values of {} pixels for a {cols}x{rows} frame",
                    values.len()
                ),
            ));
        }
        debug_assert!(
            self.changes.complete(),
            "labelling an incomplete set of runs"
        );
        let n = self.changes.runs.len();
        self.parent.extend(0..n as u32);
        // Runs come row by row; each row's are joined with those of the row just above.
        let (mut prev, mut i) = (0..0, 0);
        while i < n {
            let y = self.changes.runs[i].y;
            let end = i + self.changes.runs[i..]
                .iter()
                .take_while(|r| r.y == y)
                .count();
            if prev.is_empty() || self.changes.runs[prev.start].y + 1 != y {
                prev = 0..0;
            }
            self.join(prev, i..end);
            prev = i..end;
            i = end;
        }
        let row_start = |y: i32| y as usize * cols;
        self.slot.clear();
        self.slot.resize(n, u32::MAX);
        for i in 0..n {
            let root = find(&mut self.parent, i as u32) as usize;
            let r = self.changes.runs[i];
            let at = row_start(r.y);
            let span = at + r.x0 as usize..=at + r.x1 as usize;
            let vals = &values[span.clone()];
            let under = match base {
                Some(b) => &b[span],
                None => &[][..],
            };
            let (off, peak) = vals.iter().enumerate().fold((0, 0u8), |best, (k, &v)| {
                let v = v.saturating_sub(under.get(k).map_or(0, |&b| super::prep::whole_steps(b)));
                if v > best.1 {
                    (k, v)
                } else {
                    best
                }
            });
            let len = (r.x1 - r.x0 + 1) as u64;
            let sum_x = len * (r.x0 + r.x1) as u64 / 2;
            if self.slot[root] == u32::MAX {
                self.slot[root] = self.blobs.len() as u32;
                self.blobs.push(Blob {
                    area: 0,
                    left: r.x0,
                    top: r.y,
                    right: r.x1,
                    bottom: r.y,
                    sum_x: 0,
                    sum_y: 0,
                    peak,
                    peak_x: r.x0 + off as i32,
                    peak_y: r.y,
                });
            }
            let b = &mut self.blobs[self.slot[root] as usize];
            b.area += len as u32;
            b.left = b.left.min(r.x0);
            b.right = b.right.max(r.x1);
            b.bottom = b.bottom.max(r.y);
            b.sum_x += sum_x;
            b.sum_y += len * r.y as u64;
            if peak > b.peak {
                b.peak = peak;
                b.peak_x = r.x0 + off as i32;
                b.peak_y = r.y;
            }
        }
        Ok(&self.blobs)
    }

    /// Joins blobs whose bounding boxes, grown by `reach` - 1 pixels, touch (with `reach` 2:
    /// pieces one empty pixel apart), when there
    /// are at most `max_blobs` of them (a noise storm is left as it is). A faint streak
    /// crosses the threshold in pieces; as one blob it keeps its true length and centroid.
    pub fn merge_close(&mut self, reach: i32, max_blobs: usize) -> &[Blob] {
        let n = self.blobs.len();
        if reach <= 0 || n < 2 || n > max_blobs {
            return &self.blobs;
        }
        self.parent.clear();
        self.parent.extend(0..n as u32);
        for i in 0..n {
            let a = self.blobs[i];
            for j in i + 1..n {
                let b = &self.blobs[j];
                // Blobs come in scan order of their top row: none further down can be close.
                if b.top > a.bottom + reach {
                    break;
                }
                if b.left <= a.right + reach && a.left <= b.right + reach {
                    union(&mut self.parent, i as u32, j as u32);
                }
            }
        }
        // Roots are each set's smallest index (see `union`), so a root's slot is known
        // before any of its members is folded in.
        self.slot.clear();
        self.slot.resize(n, u32::MAX);
        let mut kept = 0;
        for i in 0..n {
            let root = find(&mut self.parent, i as u32) as usize;
            if root == i {
                self.slot[i] = kept as u32;
                self.blobs.swap(kept, i);
                kept += 1;
            } else {
                let b = self.blobs[i];
                self.blobs[self.slot[root] as usize].absorb(&b);
            }
        }
        self.blobs.truncate(kept);
        &self.blobs
    }

    /// Unites every run of the previous row with the runs of this row it touches,
    /// diagonals included. Both rows' runs are sorted by x.
    fn join(&mut self, prev: std::ops::Range<usize>, cur: std::ops::Range<usize>) {
        let runs = &self.changes.runs;
        let mut j = prev.start;
        for c in cur {
            let (x0, x1) = (runs[c].x0, runs[c].x1);
            while j < prev.end && runs[j].x1 < x0 - 1 {
                j += 1;
            }
            let mut k = j;
            while k < prev.end && runs[k].x0 <= x1 + 1 {
                union(&mut self.parent, k as u32, c as u32);
                k += 1;
            }
        }
    }
}

/// Appends the runs of non-zero bytes in `row`, skipping zero words eight bytes at a time.
fn find_runs(row: &[u8], y: i32, runs: &mut Vec<Run>) {
    let n = row.len();
    let mut x = 0;
    let mut open: Option<i32> = None;
    while x < n {
        if open.is_none() && x + 8 <= n {
            let word = u64::from_ne_bytes(row[x..x + 8].try_into().unwrap());
            if word == 0 {
                x += 8;
                continue;
            }
        }
        match (row[x] != 0, open) {
            (true, None) => open = Some(x as i32),
            (false, Some(x0)) => {
                runs.push(Run {
                    y,
                    x0,
                    x1: x as i32 - 1,
                });
                open = None;
            }
            _ => {}
        }
        x += 1;
    }
    if let Some(x0) = open {
        runs.push(Run {
            y,
            x0,
            x1: n as i32 - 1,
        });
    }
}

fn find(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let up = parent[parent[i as usize] as usize];
        parent[i as usize] = up;
        i = up;
    }
    i
}

fn union(parent: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    // The smaller index wins, so a blob's first run (in scan order) is its root.
    if ra < rb {
        parent[rb as usize] = ra;
    } else if rb < ra {
        parent[ra as usize] = rb;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencv::core::{Scalar, CV_32S, CV_8UC1};
    use opencv::imgproc;
    use rand::{Rng, SeedableRng};

    /// The same components, areas, boxes and centroids as OpenCV's labelling, on random
    /// masks from sparse specks to half-covered noise.
    #[test]
    fn agrees_with_opencv_on_random_masks() {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let mut comps = Components::default();
        for (density, w, h) in [
            (0.002, 97, 61),
            (0.05, 160, 90),
            (0.3, 64, 64),
            (0.5, 33, 17),
        ] {
            let mut mask =
                Mat::new_rows_cols_with_default(h, w, CV_8UC1, Scalar::all(0.0)).unwrap();
            let mut values = mask.clone();
            for y in 0..h {
                for x in 0..w {
                    *values.at_2d_mut::<u8>(y, x).unwrap() = rng.random();
                    if rng.random::<f64>() < density {
                        *mask.at_2d_mut::<u8>(y, x).unwrap() = 255;
                    }
                }
            }
            let (mut labels, mut stats, mut centroids) =
                (Mat::default(), Mat::default(), Mat::default());
            let n = imgproc::connected_components_with_stats(
                &mask,
                &mut labels,
                &mut stats,
                &mut centroids,
                8,
                CV_32S,
            )
            .unwrap();
            let blobs = comps
                .label(&mask, values.data_bytes().unwrap(), None)
                .unwrap()
                .to_vec();
            assert_eq!(
                blobs.len() as i32,
                n - 1,
                "component count at density {density}"
            );
            for b in &blobs {
                // Find the OpenCV label through the blob's peak pixel, which belongs to it.
                let l = *labels.at_2d::<i32>(b.peak_y, b.peak_x).unwrap();
                assert!(l > 0);
                let s = |f| *stats.at_2d::<i32>(l, f).unwrap();
                assert_eq!(b.area as i32, s(imgproc::CC_STAT_AREA));
                assert_eq!(b.left, s(imgproc::CC_STAT_LEFT));
                assert_eq!(b.top, s(imgproc::CC_STAT_TOP));
                assert_eq!(b.width(), s(imgproc::CC_STAT_WIDTH));
                assert_eq!(b.height(), s(imgproc::CC_STAT_HEIGHT));
                let (cx, cy) = b.centroid();
                assert!((cx - *centroids.at_2d::<f64>(l, 0).unwrap()).abs() < 1e-9);
                assert!((cy - *centroids.at_2d::<f64>(l, 1).unwrap()).abs() < 1e-9);
                // The peak is the largest value under the component.
                let mut best = 0u8;
                for y in b.top..=b.bottom {
                    for x in b.left..=b.right {
                        if *labels.at_2d::<i32>(y, x).unwrap() == l {
                            best = best.max(*values.at_2d::<u8>(y, x).unwrap());
                        }
                    }
                }
                assert_eq!(b.peak, best);
                assert_eq!(*values.at_2d::<u8>(b.peak_y, b.peak_x).unwrap(), best);
            }
        }
    }

    /// Pieces of a broken streak within `reach` become one blob with their summed area, box
    /// and brightest pixel; a piece further off stays apart.
    #[test]
    fn close_pieces_merge_and_far_ones_do_not() {
        let mut mask = Mat::new_rows_cols_with_default(10, 40, CV_8UC1, Scalar::all(0.0)).unwrap();
        let mut values = mask.clone();
        for (x, y, v) in [
            (2, 2, 5),
            (3, 2, 5),
            (5, 3, 9),
            (6, 3, 5),
            (8, 4, 5),
            (30, 8, 7),
        ] {
            *mask.at_2d_mut::<u8>(y, x).unwrap() = 1;
            *values.at_2d_mut::<u8>(y, x).unwrap() = v;
        }
        let mut comps = Components::default();
        assert_eq!(
            comps
                .label(&mask, values.data_bytes().unwrap(), None)
                .unwrap()
                .len(),
            4
        );
        let merged = comps.merge_close(2, 100).to_vec();
        assert_eq!(merged.len(), 2, "{merged:?}");
        let streak = merged.iter().find(|b| b.left == 2).unwrap();
        assert_eq!((streak.area, streak.right, streak.bottom), (5, 8, 4));
        assert_eq!((streak.peak, streak.peak_x, streak.peak_y), (9, 5, 3));
        assert_eq!(streak.centroid(), (24.0 / 5.0, 14.0 / 5.0));
        // Over `max_blobs` pieces: left as they are.
        comps
            .label(&mask, values.data_bytes().unwrap(), None)
            .unwrap();
        assert_eq!(comps.merge_close(2, 3).len(), 4);
    }

    #[test]
    fn diagonal_pixels_join_and_gaps_split() {
        let mut mask = Mat::new_rows_cols_with_default(4, 20, CV_8UC1, Scalar::all(0.0)).unwrap();
        for (x, y) in [(0, 0), (1, 1), (2, 2), (10, 0), (12, 0), (19, 3)] {
            *mask.at_2d_mut::<u8>(y, x).unwrap() = 1;
        }
        let values = mask.clone();
        let mut comps = Components::default();
        let blobs = comps
            .label(&mask, values.data_bytes().unwrap(), None)
            .unwrap();
        let areas: Vec<u32> = blobs.iter().map(|b| b.area).collect();
        assert_eq!(areas, vec![3, 1, 1, 1]);
        assert_eq!((blobs[0].right, blobs[0].bottom), (2, 2));
    }
}
