//! Bad inputs to `camera-worker detect`: each gets an error naming the file and what is wrong,
//! the other inputs are still processed, and the exit status says something failed.

mod common;
use common::*;

#[test]
fn every_bad_input_is_named_and_the_good_one_still_processed() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "this is not a video, just some text\n".repeat(50)).unwrap();
    let truncated = dir.path().join("truncated.mp4");
    let real = std::fs::read(real_dir().join("gmn_cz0003_20210307.mp4")).unwrap();
    std::fs::write(&truncated, &real[..real.len() / 3]).unwrap();
    let missing = dir.path().join("missing.mp4");
    let good = real_dir().join("gmn_cz0003_20210307.mp4");
    let out = dir.path().join("out");
    let args: Vec<String> = [&missing, &empty, &text, &truncated, dir.path(), &good]
        .iter()
        .map(|p| p.display().to_string())
        .chain([
            "--output".into(),
            out.display().to_string(),
            "--no-clips".into(),
        ])
        .collect();
    let o = worker(
        &["detect"]
            .into_iter()
            .chain(args.iter().map(|s| s.as_str()))
            .collect::<Vec<_>>(),
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let line = |needle: &str| {
        stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no error about {needle}: {stderr}"))
            .to_string()
    };
    assert!(line("missing.mp4").contains("no such file"));
    assert!(line("empty.mp4").contains("empty"));
    assert!(
        line("notes.mp4").to_lowercase().contains("type") || line("notes.mp4").contains("not"),
        "{}",
        line("notes.mp4")
    );
    assert!(line("truncated.mp4").len() > "truncated.mp4".len() + 5);
    assert!(stderr.contains("is a directory"), "{stderr}");
    assert!(
        stdout.contains("gmn_cz0003_20210307.mp4: 1 meteor"),
        "the good file was not processed: {stdout}"
    );
}

#[test]
fn invalid_settings_are_refused_naming_the_field() {
    let good = real_dir().join("gmn_cz0003_20210307.mp4");
    let g = good.to_str().unwrap();
    for (args, field) in [
        (vec!["--exclude-bottom", "1.5"], "exclude_bottom"),
        (vec!["--sensitivity", "loud"], "sensitivity"),
        (vec!["--set", "max_gap_s=-1"], "max_gap_s"),
        (vec!["--set", "min_speed=9"], "min_speed"),
        (vec!["--set", "bogus=1"], "bogus"),
        (vec!["--scale", "0"], "scale"),
        (vec!["--mask", "/nonexistent/mask.png"], "mask.png"),
    ] {
        let mut all = vec!["detect", g, "--output", "/tmp/never-written"];
        all.extend(args.iter());
        let o = worker(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(field),
            "{args:?}: the error does not name {field}: {stderr}"
        );
    }
}
