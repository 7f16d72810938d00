//! The rotated log file driven for real: events through the same subscriber and writer the
//! services use, enough to rotate many times, across a restart, then every kept file read back.

use meteor_service::logging::{rotating_writer, subscriber};
use std::path::{Path, PathBuf};

const MAX: u64 = 4096;
const FILES: u32 = 4;
const PAD: &str = "the quick brown fox jumps over the lazy dog";

/// Logs lines `from..to` through a fresh file logger (as one service run), then drops it,
/// which flushes the queue.
fn run_service(path: &Path, from: usize, to: usize, threads: usize) {
    let (writer, guard) = rotating_writer(path, MAX, FILES).expect("open the log");
    let sub = subscriber(writer, false);
    tracing::subscriber::with_default(sub, || {
        if threads == 1 {
            for i in from..to {
                // Lines of varying length, so rotation points fall anywhere in a line.
                tracing::info!("line {i:07} {} end", &PAD[..i % PAD.len()]);
            }
        } else {
            let dispatch = tracing::dispatcher::get_default(|d| d.clone());
            std::thread::scope(|s| {
                for t in 0..threads {
                    let dispatch = dispatch.clone();
                    s.spawn(move || {
                        tracing::dispatcher::with_default(&dispatch, || {
                            for i in (from + t..to).step_by(threads) {
                                tracing::warn!("line {i:07} {} end", &PAD[..i % PAD.len()]);
                            }
                        })
                    });
                }
            });
        }
    });
    drop(guard);
}

/// The kept files, oldest first: `app.log.<n>` ... `app.log.1`, `app.log`.
fn kept(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().unwrap();
    let mut rotated: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            if name == "app.log" {
                return Some((0, p));
            }
            let n = name.strip_prefix("app.log.")?.parse().ok()?;
            Some((n, p))
        })
        .collect();
    let all = std::fs::read_dir(dir).unwrap().count();
    assert_eq!(
        all,
        rotated.len(),
        "only the log and its generations in {dir:?}"
    );
    rotated.sort_by_key(|r| std::cmp::Reverse(r.0));
    rotated.into_iter().map(|(_, p)| p).collect()
}

/// Every line of the kept files, oldest first, as its number; panics on a torn line.
fn check_files(path: &Path) -> Vec<usize> {
    let files = kept(path);
    assert_eq!(
        files.len(),
        FILES as usize,
        "rotated enough to keep exactly LOG_FILES files: {files:?}"
    );
    let mut numbers = Vec::new();
    let mut longest = 0;
    for (k, f) in files.iter().enumerate() {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.ends_with('\n'), "{f:?} ends inside a line");
        for l in text.lines() {
            longest = longest.max(l.len() as u64 + 1);
            let body = l
                .split_once("line ")
                .unwrap_or_else(|| panic!("{f:?}: torn line {l:?}"))
                .1;
            assert!(l.ends_with(" end"), "{f:?}: torn line {l:?}");
            assert!(l.contains("INFO") || l.contains("WARN"), "{f:?}: {l:?}");
            numbers.push(body[..7].parse::<usize>().expect("line number"));
        }
        let size = std::fs::metadata(f).unwrap().len();
        assert!(
            size <= MAX + longest,
            "{f:?}: {size} bytes, over {MAX} by more than a line"
        );
        // A rotated file was cut only once it passed the limit.
        if k + 1 < files.len() {
            assert!(size > MAX, "{f:?} rotated early at {size} bytes");
        }
    }
    numbers
}

#[test]
fn rotates_by_size_keeping_n_generations_without_losing_or_tearing_lines() {
    let dir = tempfile::tempdir().unwrap();
    // A directory that does not exist yet: it is created.
    let path = dir.path().join("logs").join("app.log");
    // About 100 bytes a line: each file holds ~40, so 3000 lines rotate ~70 times.
    run_service(&path, 0, 1500, 1);
    let first = check_files(&path);
    assert_eq!(
        *first.last().unwrap(),
        1499,
        "the newest line is in the current file"
    );
    // A restart appends to the current file and goes on rotating.
    run_service(&path, 1500, 3000, 1);
    let numbers = check_files(&path);
    let last = *numbers.last().unwrap();
    assert_eq!(last, 2999, "the newest line is in the current file");
    let oldest = numbers[0];
    assert!(
        oldest > 0,
        "the oldest lines were dropped with the oldest generation"
    );
    assert_eq!(
        numbers,
        (oldest..=last).collect::<Vec<_>>(),
        "every line from the oldest kept to the newest, once, in order"
    );
    assert!(
        numbers.len() as u64 >= (FILES as u64 - 1) * MAX / 110,
        "kept files hold their share: {} lines",
        numbers.len()
    );
}

#[test]
fn lines_from_many_threads_stay_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    run_service(&path, 0, 4000, 4);
    // The kept files hold a suffix of the order the lines were written in, so each thread's
    // kept lines are the end of its own sequence, in order, each once.
    let numbers = check_files(&path);
    let mut seen = 0;
    for t in 0..4 {
        let mine: Vec<_> = numbers.iter().copied().filter(|i| i % 4 == t).collect();
        if let Some(&first) = mine.first() {
            assert_eq!(
                mine,
                (first..4000).step_by(4).collect::<Vec<_>>(),
                "thread {t}"
            );
            seen += 1;
        }
    }
    assert!(
        seen >= 1 && numbers.len() > 100,
        "{} lines kept",
        numbers.len()
    );
}
