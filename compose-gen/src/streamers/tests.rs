use super::*;

fn ok(text: &str) -> Vec<CameraLine> {
    parse(Path::new("streamers"), text).unwrap()
}

fn err(text: &str) -> String {
    parse(Path::new("streamers"), text).unwrap_err().to_string()
}

#[test]
fn comments_blank_lines_and_url_forms() {
    let cams = ok(
        "# cameras\n\n   # indented comment\nrtsp://10.0.1.25/stream1\n\
                   \trtsps://cam.local:322/live\r\nrtsp://u:pw@[fe80::1]:8554/x\n",
    );
    assert_eq!(cams.len(), 3);
    assert_eq!(
        cams.iter().map(|c| c.line).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
    assert_eq!(cams[0].url.normalized(), "rtsp://10.0.1.25/stream1");
    assert_eq!(cams[1].url.normalized(), "rtsps://cam.local:322/live");
    assert_eq!(cams[2].url.host(), "[fe80::1]");
    assert!(cams
        .iter()
        .all(|c| c.photo.is_none() && c.display_name.is_none()));
}

#[test]
fn passwords_with_any_character() {
    let cams = ok("rtsp://admin:p@ss:w/rd#1@10.0.1.25:554/stream1\n\
                   rtsp://admin:a$b c\"d'e%f@10.0.1.26/x\n\
                   rtsp://admin:pa%40ss@10.0.1.27/x\n\
                   rtsp://admin:a|b@10.0.1.28/x | name=Yard\n");
    assert_eq!(cams[0].url.host(), "10.0.1.25");
    assert_eq!(
        cams[0].url.normalized(),
        "rtsp://admin:p%40ss:w%2Frd%231@10.0.1.25:554/stream1"
    );
    assert_eq!(
        cams[1].url.normalized(),
        "rtsp://admin:a$b%20c%22d%27e%25f@10.0.1.26/x"
    );
    assert_eq!(cams[2].url.normalized(), "rtsp://admin:pa%40ss@10.0.1.27/x");
    assert_eq!(cams[3].url.normalized(), "rtsp://admin:a%7Cb@10.0.1.28/x");
    assert_eq!(cams[3].display_name.as_deref(), Some("Yard"));
}

#[test]
fn options_in_either_order() {
    let path = Path::new("/etc/meteor/streamers");
    let a = parse(
        path,
        "rtsp://10.0.1.25/s | day/cam1.jpg | name=North roof\n\
         rtsp://10.0.1.26/s|name= South #2 |cam2.PNG\n\
         rtsp://10.0.1.27/s | name=Only a name\n\
         rtsp://10.0.1.28/s | /abs/photo.jpeg\n",
    )
    .unwrap();
    assert_eq!(
        a[0].photo.as_deref(),
        Some(Path::new("/etc/meteor/day/cam1.jpg"))
    );
    assert_eq!(a[0].display_name.as_deref(), Some("North roof"));
    assert_eq!(
        a[1].photo.as_deref(),
        Some(Path::new("/etc/meteor/cam2.PNG"))
    );
    assert_eq!(a[1].display_name.as_deref(), Some("South #2"));
    assert_eq!(a[2].photo, None);
    assert_eq!(a[3].photo.as_deref(), Some(Path::new("/abs/photo.jpeg")));
}

#[test]
fn every_error_names_file_and_line() {
    let cases = [
        ("http://10.0.0.1/x", "streamers:1: not an rtsp:// URL"),
        ("# c\n\n10.0.0.1/stream", "streamers:3: not an rtsp:// URL"),
        ("rtsp://", "streamers:1: the URL has no host"),
        ("rtsp://h:70000/x", "streamers:1: bad port \"70000\""),
        ("rtsp://bad_h@st!/x", "streamers:1: bad host \"st!\""),
        ("rtsp://:pw@h/x", "streamers:1: the user name is empty"),
        (
            "rtsp://h/a\nrtsp://h/b\n\n\nrtsp://h/a",
            "streamers:5: duplicate of the camera on line 1 (rtsp://h/a)",
        ),
        (
            "rtsp://h/a\nrtsp://admin:pw@h/a\nRTSP://admin:pw@H:554/a",
            "streamers:3: duplicate of the camera on line 2 (rtsp://admin:***@H:554/a)",
        ),
        ("rtsp://h/a | name=", "streamers:1: name= is empty"),
        (
            "rtsp://h/a | name=x | name=y",
            "streamers:1: name= is given twice",
        ),
        (
            "rtsp://h/a | a.jpg | b.jpg",
            "streamers:1: more than one daytime photo",
        ),
        (
            "rtsp://h/a | day.gif",
            "streamers:1: unexpected \"day.gif\" after the URL",
        ),
        (
            "rtsp://h/a | colour=red",
            "streamers:1: unexpected \"colour=red\"",
        ),
        ("rtsp://h/a |", "streamers:1: unexpected \"\" after the URL"),
        ("", "streamers: no cameras in it"),
        ("# only\n  # comments\n\n", "streamers: no cameras in it"),
    ];
    for (text, want) in cases {
        let got = err(text);
        assert!(
            got.starts_with(want),
            "{text:?}: got {got:?}, want {want:?}"
        );
    }
}

#[test]
fn no_error_shows_a_password() {
    let secret = "S3cr#t@p:ss";
    let lines = [
        format!("rtsp://admin:{secret}@h:99999/x"),
        format!("rtsp://admin:{secret}@bad host/x"),
        format!("rtsp://admin:{secret}@h/x\nrtsp://admin:{secret}@h/x"),
        format!("rtsp://admin:{secret}@h/x | what=ever"),
        format!("rtsp://admin:{secret}@h/x | name="),
        format!("rtsp://admin:{secret}@h/x | a.jpg | b.png"),
        format!("rtsp://admin:{secret}@/x"),
        format!("admin:{secret}@h/x"),
        format!("rtsp://:{secret}@h/x"),
        format!("rtsp://admin:{secret}@h:1/x\u{7}"),
    ];
    for text in lines {
        let msg = err(&text);
        for part in ["S3cr", "p:ss", "t@p"] {
            assert!(!msg.contains(part), "{msg:?} shows the password");
        }
    }
}

#[test]
fn read_names_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("streamers");
    let msg = read(&missing).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("{}: cannot read", missing.display())),
        "{msg}"
    );
}
