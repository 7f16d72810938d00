use super::*;
use crate::cli::Cli;
use clap::Parser;

fn settings(args: &[&str]) -> Settings {
    let mut all = vec!["compose-gen"];
    all.extend_from_slice(args);
    Cli::try_parse_from(all).unwrap().settings().unwrap()
}

fn plan(n: usize) -> Plan {
    Plan {
        cameras: (1..=n)
            .map(|i| CameraPlan {
                index: i,
                camera_name: camera_name(i, &format!("10.0.1.{}", 24 + i)),
                display_name: (i == 1).then(|| "North $HOME: yes".to_string()),
                mask_file: (i == 2).then(|| camera_name(i, "10.0.1.26") + ".png"),
            })
            .collect(),
        mask_volume: Some("./masks".into()),
        env_file_label: ".env".into(),
    }
}

#[test]
fn camera_names_from_index_and_host() {
    assert_eq!(camera_name(1, "10.0.1.25"), "camera1_10_0_1_25");
    assert_eq!(camera_name(12, "cam-3.local"), "camera12_cam_3_local");
    assert_eq!(camera_name(2, "[fe80::1]"), "camera2__fe80__1_");
}

#[test]
fn services_and_their_settings() {
    let s = settings(&[
        "--latitude",
        "50.1",
        "--longitude",
        "-8.5",
        "--timezone",
        "Europe/Berlin",
        "--api-token",
        "tok",
        "--exclude-bottom",
        "0.1",
        "--memory-limit",
        "1g",
        "--cpu-limit",
        "1.5",
        "--user",
        "1000:50",
    ]);
    let text = render(&s, &plan(2), &["header".into()]).unwrap();
    assert!(
        text.starts_with("# header\nservices:\n  camera1:\n"),
        "{text}"
    );
    let want_camera1 = r#"  camera1:
    image: "meteor-watch:latest"
    container_name: meteor-camera1
    command:
    - camera-worker
    - run
    user: "1000:50"
    restart: unless-stopped
    environment:
    - RTSP_URL=${CAMERA1_RTSP_URL:?CAMERA1_RTSP_URL is missing, run compose-gen to write it to .env}
    - CAMERA_NAME=camera1_10_0_1_25
    - 'CAMERA_DISPLAY_NAME=North $$HOME: yes'
    - OUTPUT_DIR=/output/camera1_10_0_1_25
    - WEB_PORT=8080
    - SENSITIVITY=medium
    - SCALE=0.5
    - BUFFER=15
    - EXCLUDE_BOTTOM=0.1
    - EXTRACT_CLIPS=true
    - LATITUDE=50.1
    - LONGITUDE=-8.5
    - TIMEZONE=Europe/Berlin
    - ENABLE_TIME_WINDOW=false
    - RTSP_TRANSPORT=tcp
    - API_TOKEN=${API_TOKEN:?API_TOKEN is missing, run compose-gen to write it to .env}
    ports:
    - 0.0.0.0:8081:8080
    volumes:
    - ./detections:/output
    - ./masks:/masks:ro
    networks:
    - meteor-net
    healthcheck:
      test:
      - CMD
      - camera-worker
      - healthcheck
      interval: 30s
      timeout: 10s
      retries: 3
      start_period: 30s
    stop_grace_period: 30s
    mem_limit: 1g
    cpus: 1.5
    logging:
      driver: json-file
      options:
        max-size: 10m
        max-file: '3'
"#;
    assert!(text.contains(want_camera1), "{text}");
    assert!(text.contains("    - MASK_IMAGE=/masks/camera2_10_0_1_26.png\n"));
    assert_eq!(text.matches("MASK_IMAGE").count(), 1);
    let want_dashboard = r#"  dashboard:
    image: "meteor-watch:latest"
    container_name: meteor-dashboard
    command:
    - dashboard
    user: "1000:50"
    restart: unless-stopped
    depends_on:
      camera1:
        condition: service_healthy
      camera2:
        condition: service_healthy
    environment:
    - CAMERAS=camera1=http://camera1:8080,camera2=http://camera2:8080
    - WEB_PORT=8080
    - LATITUDE=50.1
    - LONGITUDE=-8.5
    - TIMEZONE=Europe/Berlin
    - API_TOKEN=${API_TOKEN:?API_TOKEN is missing, run compose-gen to write it to .env}
    ports:
    - 0.0.0.0:8080:8080
    networks:
    - meteor-net
    healthcheck:
      test:
      - CMD
      - dashboard
      - healthcheck
"#;
    assert!(text.contains(want_dashboard), "{text}");
    assert!(
        text.ends_with("networks:\n  meteor-net:\n    driver: bridge\n"),
        "{text}"
    );
    assert!(!text.contains("tok\n") && !text.contains("version"));
}

#[test]
fn optional_parts_are_left_out() {
    let s = settings(&["--bind", "::1", "--base-port", "9000"]);
    let mut p = plan(1);
    p.cameras[0].display_name = None;
    p.mask_volume = None;
    let text = render(&s, &p, &[]).unwrap();
    for absent in [
        "CAMERA_DISPLAY_NAME",
        "MASK_IMAGE",
        "/masks",
        "API_TOKEN",
        "LATITUDE",
        "TIMEZONE",
        "EXCLUDE_BOTTOM",
        "mem_limit",
        "cpus",
    ] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
    assert!(text.contains("    - '[::1]:9001:8080'\n"), "{text}");
    assert!(text.contains("    - '[::1]:9000:8080'\n"), "{text}");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let s = settings(&["--api-token", "x"]);
    let a = render(&s, &plan(16), &["h".into()]).unwrap();
    let b = render(&s, &plan(16), &["h".into()]).unwrap();
    assert_eq!(a, b);
    // camera10 comes after camera9, not after camera1.
    let order: Vec<usize> = (1..=16)
        .map(|i| a.find(&format!("\n  camera{i}:\n")).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    assert!(a.find("\n  dashboard:\n").unwrap() > order[15]);
}

#[test]
fn retention_reaches_every_worker_only_when_asked() {
    let on = settings(&["--max-age-days", "60", "--max-disk-percent", "85"]);
    let text = render(&on, &plan(2), &[]).unwrap();
    assert_eq!(text.matches("MAX_AGE_DAYS=60").count(), 2, "{text}");
    assert_eq!(text.matches("MAX_DISK_PERCENT=85").count(), 2, "{text}");
    let off = render(&settings(&[]), &plan(2), &[]).unwrap();
    assert!(
        !off.contains("MAX_AGE_DAYS") && !off.contains("MAX_DISK_PERCENT"),
        "{off}"
    );
}
