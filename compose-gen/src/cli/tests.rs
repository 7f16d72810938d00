use super::*;

fn parse(args: &[&str]) -> Result<Settings, String> {
    let mut all = vec!["compose-gen"];
    all.extend_from_slice(args);
    let cli = Cli::try_parse_from(all).map_err(|e| e.to_string())?;
    cli.settings().map_err(|e| e.to_string())
}

#[test]
fn defaults() {
    let s = parse(&[]).unwrap();
    assert_eq!(s.streamers, PathBuf::from("streamers"));
    assert_eq!(s.output, PathBuf::from("docker-compose.yml"));
    assert_eq!(s.env_file, PathBuf::from(".env"));
    assert!(s.env_file_is_default);
    assert_eq!(s.mask_dir, PathBuf::from("masks"));
    assert_eq!(s.sensitivity, Sensitivity::Medium);
    assert_eq!((s.scale, s.buffer), (0.5, 15.0));
    assert_eq!(s.exclude_bottom, None);
    assert!(s.extract_clips);
    assert!(!s.enable_time_window);
    assert_eq!(s.base_port, 8080);
    assert_eq!(s.bind.to_string(), "0.0.0.0");
    assert_eq!(s.image, "meteor-watch:latest");
    assert_eq!(s.user, "1000:1000");
    assert_eq!((s.log_max_size.as_str(), s.log_max_file), ("10m", 3));
    assert_eq!((s.memory_limit.clone(), s.cpu_limit), (None, None));
}

#[test]
fn every_option_is_read() {
    let s = parse(&[
        "--streamers",
        "cams.txt",
        "--output",
        "deploy/compose.yml",
        "--sensitivity",
        "faint",
        "--scale",
        "1",
        "--buffer",
        "20",
        "--exclude-bottom",
        "0.1",
        "--extract-clips",
        "false",
        "--latitude",
        "-33.9",
        "--longitude",
        "151.2",
        "--timezone",
        "Australia/Sydney",
        "--enable-time-window",
        "--base-port",
        "9000",
        "--bind",
        "127.0.0.1",
        "--mask-output-dir",
        "m",
        "--image",
        "registry.local:5000/meteor:1.2",
        "--api-token",
        "s3cret",
        "--user",
        "1001:1001",
        "--memory-limit",
        "1.5g",
        "--cpu-limit",
        "2",
        "--log-max-size",
        "50m",
        "--log-max-file",
        "5",
    ])
    .unwrap();
    assert_eq!(s.env_file, PathBuf::from("deploy/.env"));
    assert_eq!(s.sensitivity, Sensitivity::Faint);
    assert_eq!((s.latitude, s.longitude), (Some(-33.9), Some(151.2)));
    assert!(s.enable_time_window && !s.extract_clips);
    assert_eq!(s.timezone.as_deref(), Some("Australia/Sydney"));
    assert_eq!(s.api_token.as_deref(), Some("s3cret"));
    assert_eq!(s.memory_limit.as_deref(), Some("1.5g"));
    assert_eq!(s.cpu_limit, Some(2.0));
    let s = parse(&[
        "--env-file",
        "secrets/meteor.env",
        "--enable-time-window=false",
    ])
    .unwrap();
    assert!(!s.env_file_is_default && !s.enable_time_window);
}

#[test]
fn bad_values_name_the_option() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--scale", "2"],
            "--scale: must be between 0.25 and 1 (got 2)",
        ),
        (&["--scale", "0.1"], "--scale: must be between"),
        (&["--buffer", "0"], "--buffer: must be between 1 and 600"),
        (
            &["--exclude-bottom", "1"],
            "--exclude-bottom: must be between 0 and 0.9",
        ),
        (
            &["--latitude", "91", "--longitude", "0"],
            "--latitude: must be between -90 and 90",
        ),
        (
            &["--latitude", "1", "--longitude", "-181"],
            "--longitude: must be between",
        ),
        (
            &["--latitude", "50"],
            "--longitude: give --latitude and --longitude together",
        ),
        (
            &["--enable-time-window"],
            "--enable-time-window: needs --latitude",
        ),
        (
            &["--timezone", "Europe/Berln"],
            "--timezone: unknown time zone \"Europe/Berln\"",
        ),
        (&["--base-port", "0"], "--base-port: must be 1 to 65535"),
        (
            &["--max-age-days", "0"],
            "--max-age-days: must be between 0.01 and 36500",
        ),
        (
            &["--max-disk-percent", "100"],
            "--max-disk-percent: must be between 1 and 99",
        ),
        (
            &["--image", "my image"],
            "--image: \"my image\" is not an image reference",
        ),
        (
            &["--api-token", "a b"],
            "--api-token: may hold printable ASCII",
        ),
        (
            &["--api-token", "it's"],
            "--api-token: may hold printable ASCII",
        ),
        (&["--user", "1000:"], "--user: \"1000:\" is not uid:gid"),
        (
            &["--memory-limit", "lots"],
            "--memory-limit: \"lots\" is not a size",
        ),
        (&["--cpu-limit", "0"], "--cpu-limit: must be between"),
        (
            &["--log-max-size", "10 m"],
            "--log-max-size: \"10 m\" is not a size",
        ),
        (
            &["--log-max-file", "0"],
            "--log-max-file: must be at least 1",
        ),
        (
            &["--mask-output-dir", "a:b"],
            "--mask-output-dir: \"a:b\": the path may not hold",
        ),
    ];
    for (args, want) in cases {
        let got = parse(args).unwrap_err();
        assert!(
            got.starts_with(want),
            "{args:?}: got {got:?}, want {want:?}"
        );
    }
    // clap's own errors name the option too.
    for (args, option) in [
        (&["--sensitivity", "extreme"][..], "--sensitivity"),
        (&["--bind", "localhost"][..], "--bind"),
        (&["--base-port", "70000"][..], "--base-port"),
        (&["--extract-clips", "maybe"][..], "--extract-clips"),
    ] {
        let got = parse(args).unwrap_err();
        assert!(got.contains(option), "{args:?}: {got}");
    }
}

#[test]
fn sizes() {
    for ok in ["512m", "2g", "1.5gb", "1048576", "64M", "100kb"] {
        assert!(size_ok(ok, true), "{ok}");
    }
    for bad in ["", "m", "1.m", ".5g", "1.2.3g", "5t", "1_000m", "-1m"] {
        assert!(!size_ok(bad, true), "{bad}");
    }
    assert!(!size_ok("1.5m", false));
}
