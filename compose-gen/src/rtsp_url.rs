//! One camera URL, `rtsp[s]://[user[:password]@]host[:port][/path]`: parsing it the way people
//! write it (a password may hold any character, percent-encoded or not: the user info ends at
//! the last `@` before the host), normalising it into the form an RTSP client parses
//! unambiguously (every character that is not allowed raw percent-encoded, `%XX` kept as
//! written), and showing it with the password masked as `***`.

use percent_encoding::percent_encode_byte;
use std::fmt;

/// A parsed camera URL. `Display` masks the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtspUrl {
    /// `rtsp` or `rtsps`, lower case.
    scheme: &'static str,
    /// Percent-encoded user name, when the URL has user info.
    user: Option<String>,
    /// Percent-encoded password, when the user info has a `:`.
    password: Option<String>,
    /// Host as written: a name, an IPv4 address or a bracketed IPv6 address.
    host: String,
    port: Option<u16>,
    /// Percent-encoded path and query, empty or starting with `/`.
    path: String,
}

/// Why a URL was refused. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not an rtsp:// URL (expected rtsp://[user:password@]host[:port]/path)")]
    NotRtsp,
    #[error("the URL has no host")]
    NoHost,
    #[error("bad host {0:?} (expected a name, an IPv4 address or [IPv6])")]
    BadHost(String),
    #[error("bad port {0:?} (expected 1-65535)")]
    BadPort(String),
    #[error("the user name is empty")]
    EmptyUser,
    #[error(
        "cannot tell the user, password and host apart (the detail is not shown: it would \
         show the password); expected rtsp://[user:password@]host[:port]/path"
    )]
    Unreadable,
    #[error("the URL has a control character")]
    ControlCharacter,
    #[error(
        "unexpected {0:?} after the URL (the options are `| name=Display Name` and \
         `| daytime.jpg`, a .jpg/.jpeg/.png photo)"
    )]
    TextAfterUrl(String),
}

/// RFC 3986 `unreserved` plus the `sub-delims` except `'` (kept out so the URL can always be
/// written single-quoted into the .env file).
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&()*+,;=".contains(c)
}

/// Percent-encodes every character outside `plain` and `extra`; a `%` followed by two hex
/// digits is taken as already encoded and kept as written.
fn encode(raw: &str, extra: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.char_indices() {
        let escaped = c == '%'
            && bytes.len() > i + 2
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit();
        if escaped || plain(c) || extra.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(percent_encode_byte(b));
            }
        }
    }
    out
}

/// Splits `host[:port]`, checking both.
fn parse_authority(hostport: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let Some(end) = rest.find(']') else {
            return Err(UrlError::BadHost(hostport.to_string()));
        };
        let inner = &rest[..end];
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
        {
            return Err(UrlError::BadHost(hostport.to_string()));
        }
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(UrlError::BadHost(hostport.to_string())),
        };
        (&hostport[..end + 2], port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if !host.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(UrlError::BadHost(host.to_string()));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => Some(n),
            _ => return Err(UrlError::BadPort(p.to_string())),
        },
    };
    Ok((host.to_string(), port))
}

/// Where the authority that starts at `from` ends: the first `/`, `?`, `|` or blank, else the
/// end.
fn authority_end(s: &str, from: usize) -> usize {
    s[from..]
        .find(['/', '?', '|', ' ', '\t'])
        .map_or(s.len(), |i| from + i)
}

/// Whether `s` has the shape of `host[:digits]` (the port's range is checked later, so a
/// wrong port is reported as such instead of moving the end of the user info).
fn host_shaped(s: &str) -> bool {
    match parse_authority(s) {
        Ok(_) => true,
        Err(UrlError::BadPort(p)) => !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()),
        Err(_) => false,
    }
}

/// The text between `scheme://user:` and the last `@` of `text`: all that may be password.
fn password_region(text: &str) -> Option<&str> {
    let rest = &text[text.find("://")? + 3..];
    let info = &rest[..rest.rfind('@')?];
    Some(&info[info.find(':')? + 1..])
}

/// Whether `message` holds 4 or more characters in a row from `secret`.
fn overlaps(message: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(4)
        .any(|w| message.contains(&w.iter().collect::<String>()))
}

impl RtspUrl {
    /// Parses a URL as written in a streamers file. An error never quotes the password: one
    /// whose detail would (a URL too mangled to tell the password from the rest) says less.
    pub fn parse(text: &str) -> Result<RtspUrl, UrlError> {
        Self::parse_unchecked(text).map_err(|e| match password_region(text) {
            Some(secret) if overlaps(&e.to_string(), secret) => UrlError::Unreadable,
            _ => e,
        })
    }

    fn parse_unchecked(text: &str) -> Result<RtspUrl, UrlError> {
        let text = text.trim();
        if text.chars().any(char::is_control) {
            return Err(UrlError::ControlCharacter);
        }
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let (scheme, rest) = if lower.starts_with("rtsps://") {
            ("rtsps", &text[8..])
        } else if lower.starts_with("rtsp://") {
            ("rtsp", &text[7..])
        } else {
            return Err(UrlError::NotRtsp);
        };
        // User info is there when an `@` comes before the first `/` or `?`, or when the text up
        // to there is no valid host (a password holding `/`); it then runs to the last `@`
        // followed by a valid host (a password may hold `@`, `/`, `#`, ...).
        let first_end = authority_end(rest, 0);
        let has_userinfo = rest[..first_end].contains('@')
            || (rest.contains('@') && parse_authority(&rest[..first_end]).is_err());
        let (userinfo, host_start) = if has_userinfo {
            let at = rest
                .match_indices('@')
                .map(|(i, _)| i)
                .rev()
                .find(|&i| host_shaped(&rest[i + 1..authority_end(rest, i + 1)]))
                .or_else(|| rest.rfind('@'))
                .unwrap_or(0);
            (Some(&rest[..at]), at + 1)
        } else {
            (None, 0)
        };
        let end = authority_end(rest, host_start);
        let (host, port) = parse_authority(&rest[host_start..end])?;
        let tail = &rest[end..];
        if let Some(bar) = tail.find('|') {
            let after = tail[bar + 1..].split('|').next().unwrap_or("");
            return Err(UrlError::TextAfterUrl(after.trim().to_string()));
        }
        if !tail.is_empty() && !tail.starts_with(['/', '?']) {
            return Err(UrlError::TextAfterUrl(tail.trim().to_string()));
        }
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                if u.is_empty() {
                    return Err(UrlError::EmptyUser);
                }
                (Some(encode(u, "")), p.map(|p| encode(p, ":")))
            }
        };
        Ok(RtspUrl {
            scheme,
            user,
            password,
            host,
            port,
            path: encode(tail, ":@/?"),
        })
    }

    /// The URL for the RTSP client: user info and path percent-encoded where needed.
    pub fn normalized(&self) -> String {
        self.render(self.password.as_deref())
    }

    /// The host as written (`10.0.1.25`, `cam.local`, `[fe80::1]`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the URL carries a password.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The same camera: scheme and host compared without case, the rest exactly (encoded).
    pub fn same_camera(&self, other: &RtspUrl) -> bool {
        self.scheme == other.scheme
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port.unwrap_or(554) == other.port.unwrap_or(554)
            && self.user == other.user
            && self.password == other.password
            && self.path == other.path
    }

    fn render(&self, password: Option<&str>) -> String {
        let mut s = format!("{}://", self.scheme);
        if let Some(user) = &self.user {
            s.push_str(user);
            if let Some(p) = password {
                s.push(':');
                s.push_str(p);
            }
            s.push('@');
        }
        s.push_str(&self.host);
        if let Some(port) = self.port {
            s.push_str(&format!(":{port}"));
        }
        s.push_str(&self.path);
        s
    }
}

impl fmt::Display for RtspUrl {
    /// The URL with the password shown as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(self.password.as_ref().map(|_| "***")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        RtspUrl::parse(s).unwrap().normalized()
    }

    #[test]
    fn plain_urls_are_kept_as_written() {
        for u in [
            "rtsp://10.0.1.25/stream1",
            "rtsp://10.0.1.25:554/stream1",
            "rtsp://cam-3.local",
            "rtsps://cam.example.org:322/live/main",
            "rtsp://admin:secret@192.0.2.10:554/Streaming/Channels/101",
            "rtsp://192.0.2.4:554/cam/realmonitor?channel=1&subtype=0",
            "rtsp://admin:pa%40ss@10.0.0.2/h264",
            "rtsp://user@10.0.0.2/x",
            "rtsp://[fe80::1]:8554/x",
            "rtsp://a:b$c!d*e@h/x",
            "rtsp://a:b:c:d@h/x",
        ] {
            assert_eq!(norm(u), u);
        }
        assert_eq!(norm("RTSP://h/x"), "rtsp://h/x");
    }

    #[test]
    fn raw_passwords_end_at_the_last_at_and_are_encoded() {
        let u = RtspUrl::parse("rtsp://admin:p@ss:w/rd#1@10.0.1.25:554/stream1").unwrap();
        assert_eq!(u.host(), "10.0.1.25");
        assert_eq!(u.port, Some(554));
        assert_eq!(u.user.as_deref(), Some("admin"));
        assert_eq!(u.password.as_deref(), Some("p%40ss:w%2Frd%231"));
        assert_eq!(u.path, "/stream1");
        assert_eq!(
            norm("rtsp://me:a b\"c'd%zz%41é?x@h/p"),
            "rtsp://me:a%20b%22c%27d%25zz%41%C3%A9%3Fx@h/p"
        );
        assert_eq!(norm("rtsp://u:{x}@h/p q"), "rtsp://u:%7Bx%7D@h/p%20q");
        // An `@` in the path when there is no user info.
        assert_eq!(RtspUrl::parse("rtsp://h/live@main").unwrap().host(), "h");
        // A password holding `/` but no `@`.
        assert_eq!(norm("rtsp://u:pa/ss@h/x"), "rtsp://u:pa%2Fss@h/x");
    }

    #[test]
    fn display_masks_the_password() {
        let u = RtspUrl::parse("rtsp://admin:p@ss:w/rd#1@10.0.1.25:554/stream1").unwrap();
        assert_eq!(u.to_string(), "rtsp://admin:***@10.0.1.25:554/stream1");
        let u = RtspUrl::parse("rtsp://viewer@h/x").unwrap();
        assert_eq!(u.to_string(), "rtsp://viewer@h/x");
    }

    #[test]
    fn bad_urls_are_refused() {
        use UrlError::*;
        let err = |s: &str| RtspUrl::parse(s).unwrap_err();
        assert_eq!(err("http://h/x"), NotRtsp);
        assert_eq!(err("10.0.0.1/x"), NotRtsp);
        assert_eq!(err("rtsp://"), NoHost);
        assert_eq!(err("rtsp:///x"), NoHost);
        assert_eq!(err("rtsp://h:99999/x"), BadPort("99999".into()));
        assert_eq!(err("rtsp://h:0/x"), BadPort("0".into()));
        assert_eq!(err("rtsp://h:abc/x"), BadPort("abc".into()));
        assert_eq!(err("rtsp://:pw@h/x"), EmptyUser);
        assert_eq!(err("rtsp://ho st/x"), TextAfterUrl("st/x".into()));
        assert_eq!(err("rtsp://h!/x"), BadHost("h!".into()));
        assert_eq!(err("rtsp://a\tb/x"), ControlCharacter);
        assert_eq!(err("rtsp://h/x | foo"), TextAfterUrl("foo".into()));
        assert_eq!(err("rtsp://h | foo=1"), TextAfterUrl("foo=1".into()));
        assert_eq!(err("rtsp://h:554 junk"), TextAfterUrl("junk".into()));
    }

    #[test]
    fn a_bad_port_after_a_tricky_password_is_reported_without_it() {
        let err = |s: &str| RtspUrl::parse(s).unwrap_err();
        // A blank, `@` and `|` in the password: the user info still ends before `cam`.
        assert_eq!(
            err("rtsp://admin:p@ss w$rd|y/z:{}@cam:99999/x"),
            UrlError::BadPort("99999".into())
        );
        // `@ss:word` is no host with a port, so it is not taken for one.
        assert_eq!(
            err("rtsp://admin:p@ss:word@h!/x"),
            UrlError::BadHost("h!".into())
        );
        // When the detail would quote the password, it is left out.
        // (the split at `@ss` would leave `w0rd@h!/x` after the URL).
        let e = err("rtsp://admin:p@ss w0rd@h!/x");
        assert_eq!(e, UrlError::Unreadable);
        assert!(!e.to_string().contains("w0rd") && !e.to_string().contains("p@ss"));
        // Text after a host that is no part of the password is still quoted.
        assert_eq!(
            err("rtsp://admin:se@cret@ter|r ible/x"),
            UrlError::TextAfterUrl("r ible/x".into())
        );
    }

    #[test]
    fn password_overlap() {
        assert_eq!(password_region("rtsp://u:a@b@h/x"), Some("a@b"));
        assert_eq!(password_region("rtsp://u@h/x"), None);
        assert!(overlaps("unexpected \"ecre\"", "secret"));
        assert!(!overlaps("bad port \"554\"", "secret"));
    }

    #[test]
    fn same_camera_ignores_case_and_default_port() {
        let a = RtspUrl::parse("rtsp://Cam.Local/x").unwrap();
        let b = RtspUrl::parse("RTSP://cam.local:554/x").unwrap();
        let c = RtspUrl::parse("rtsp://cam.local/X").unwrap();
        assert!(a.same_camera(&b));
        assert!(!a.same_camera(&c));
    }
}
