//! Hiding credentials in URLs before they reach a log line, the API or a page.
//!
//! Owns [`mask_url`] (one URL), [`mask_secrets_in`] (every URL inside a longer text, such as
//! a GStreamer error that embeds the camera's location) and [`host_of`].
//!
//! # How the userinfo is found
//!
//! Camera passwords are often pasted into URLs without percent-encoding, so the password may
//! hold a raw `@`, `:`, `/`, `?`, `#` or `%`, and the URL no longer parses unambiguously. The
//! rule here leans towards hiding too much, never too little:
//!
//! 1. The authority starts after `scheme://`. Without a `scheme://` prefix the whole input is
//!    read as if it started with the authority (`admin:pw@host` is still masked).
//! 2. The userinfo ends at the **last** `@` that is followed by a well-formed host (a
//!    registered name or IPv4 address of URL host characters, or a bracketed IPv6 literal),
//!    an optional `:port` of digits, and then the end of the authority (`/`, `?`, `#` or the
//!    end of the input). A password cannot push the real host out of that position, so it is
//!    hidden whole whatever raw characters it holds. The cost: when the path or query holds an
//!    `@` followed by host-like text (`/users/bob@example.com`), everything up to that `@` is
//!    taken as userinfo and hidden, the real host with it.
//! 3. If some `@` is present but none is followed by a well-formed host, everything up to the
//!    last `@` is treated as userinfo (malformed input: hide more).
//! 4. Within the userinfo the user ends at the first `:` and is kept: `admin:***@host`.
//!    A userinfo without `:` may be a bare token (`https://TOKEN@host`), so it becomes
//!    `***@host`. An empty userinfo is left alone.
//!
//! After the authority, the values of parameters named like credentials (`password=`,
//! `passwd=`, `pwd=`, `pass=`, `secret=`, `token=`, `access_token=`, `api_key=`, `apikey=`,
//! `auth=`, case-insensitive, after `?`, `&`, `;`, `/` or `_`) are hidden up to the next `&`
//! or `#` (cameras such as XMeye put `user=admin_password=x_channel=1` in the path).
//!
//! In free text a URL starts at `scheme://` and ends at the first whitespace or control
//! character, so a password holding a raw space cannot be found there: percent-encode it.

const MASK: &str = "***";

const SECRET_KEYS: [&str; 10] = [
    "password",
    "passwd",
    "pwd",
    "pass",
    "secret",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "auth",
];

/// `url` with its password (or bare-token userinfo) and credential parameters replaced by
/// `***`. Input without credentials comes back unchanged. See the module documentation for
/// the rules.
pub fn mask_url(url: &str) -> String {
    let parts = split(url);
    let Some(at) = parts.at_sign else {
        let (head, tail) = url.split_at(parts.authority_start);
        return format!("{head}{}", mask_params(tail));
    };
    let userinfo = &url[parts.authority_start..at];
    let user = match userinfo.find(':') {
        _ if userinfo.is_empty() => String::new(),
        Some(colon) => format!("{}:{MASK}", &userinfo[..colon]),
        None => MASK.to_string(),
    };
    format!(
        "{}{user}{}",
        &url[..parts.authority_start],
        mask_params(&url[at..])
    )
}

/// `text` with every `scheme://` URL in it passed through [`mask_url`]. A URL runs from its
/// scheme to the next whitespace or control character.
pub fn mask_secrets_in(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find("://") {
        let sep = search + found;
        let mut start = sep;
        while start > copied && is_scheme_byte(bytes[start - 1]) {
            start -= 1;
        }
        while start < sep && !bytes[start].is_ascii_alphabetic() {
            start += 1;
        }
        let end = bytes[sep..]
            .iter()
            .position(|&b| b <= b' ' || b == 0x7f)
            .map_or(text.len(), |p| sep + p);
        if start < sep {
            out.push_str(&text[copied..start]);
            out.push_str(&mask_url(&text[start..end]));
            copied = end;
            search = end.max(sep + 3);
        } else {
            search = sep + 3;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A URL's credentials taken out of it: `(url without userinfo, Some((user, password)))`,
/// with user and password percent-decoded (a password pasted raw, with `@`, `:` or `%` in
/// it, comes back as it was typed). Found by the same rules as [`mask_url`]. Used to hand
/// credentials to a client separately, so the location it logs holds no secret.
pub fn split_credentials(url: &str) -> (String, Option<(String, String)>) {
    let parts = split(url);
    let Some(at) = parts.at_sign else {
        return (url.to_string(), None);
    };
    let userinfo = &url[parts.authority_start..at];
    if userinfo.is_empty() {
        return (url.to_string(), None);
    }
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let stripped = format!("{}{}", &url[..parts.authority_start], &url[at + 1..]);
    (stripped, Some((percent_decode(user), percent_decode(pass))))
}

/// Decodes `%XX` escapes; anything else (a raw `%` not followed by two hex digits included)
/// is kept as it is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// The host of a `scheme://` URL, without userinfo or port (IPv6 keeps its brackets);
/// `None` without a `scheme://` prefix or a well-formed host.
pub fn host_of(url: &str) -> Option<String> {
    scheme_end(url.as_bytes())?;
    split(url).host.map(|(a, b)| url[a..b].to_string())
}

struct Parts {
    /// Just after `scheme://`, or 0.
    authority_start: usize,
    /// The `@` ending the userinfo.
    at_sign: Option<usize>,
    /// The host's byte range.
    host: Option<(usize, usize)>,
}

fn split(url: &str) -> Parts {
    let b = url.as_bytes();
    let authority_start = scheme_end(b).unwrap_or(0);
    let ats: Vec<usize> = (authority_start..b.len())
        .filter(|&i| b[i] == b'@')
        .collect();
    if ats.is_empty() {
        return Parts {
            authority_start,
            at_sign: None,
            host: host_then_end(b, authority_start),
        };
    }
    for &at in ats.iter().rev() {
        if let Some(host) = host_then_end(b, at + 1) {
            return Parts {
                authority_start,
                at_sign: Some(at),
                host: Some(host),
            };
        }
    }
    Parts {
        authority_start,
        at_sign: ats.last().copied(),
        host: None,
    }
}

fn is_scheme_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')
}

/// The index just after `scheme://` if `b` starts with one.
fn scheme_end(b: &[u8]) -> Option<usize> {
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let colon = b.iter().position(|&c| !is_scheme_byte(c))?;
    b[colon..].starts_with(b"://").then_some(colon + 3)
}

/// Characters of a registered name or IPv4 address: unreserved, sub-delims,
/// percent-encoding, and non-ASCII (internationalised names).
fn is_host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b'%'
        )
        || c >= 0x80
}

/// If `b[at..]` starts with a non-empty host, an optional `:port` and then the end of the
/// authority, the host's range.
fn host_then_end(b: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    if b.get(i) == Some(&b'[') {
        let close = at + b[at..].iter().position(|&c| c == b']')?;
        let inside = &b[at + 1..close];
        if inside.is_empty() || !inside.iter().all(|&c| is_host_byte(c) || c == b':') {
            return None;
        }
        i = close + 1;
    } else {
        while i < b.len() && is_host_byte(b[i]) {
            i += 1;
        }
        if i == at {
            return None;
        }
    }
    let host_end = i;
    if b.get(i) == Some(&b':') {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    match b.get(i) {
        None | Some(b'/' | b'?' | b'#') => Some((at, host_end)),
        _ => None,
    }
}

/// `rest` (what follows the userinfo) with credential-named parameter values hidden.
fn mask_params(rest: &str) -> String {
    let b = rest.as_bytes();
    let mut out = String::with_capacity(rest.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let starts_key = i > 0 && matches!(b[i - 1], b'?' | b'&' | b';' | b'/' | b'_');
        let key = SECRET_KEYS
            .iter()
            .filter(|k| starts_key && b[i..].len() > k.len())
            .filter(|k| b[i..i + k.len()].eq_ignore_ascii_case(k.as_bytes()))
            .map(|k| k.len())
            .find(|&n| b.get(i + n) == Some(&b'='));
        if let Some(n) = key {
            let value = i + n + 1;
            let end = b[value..]
                .iter()
                .position(|&c| c == b'&' || c == b'#')
                .map_or(b.len(), |p| value + p);
            if end > value {
                out.push_str(&rest[copied..value]);
                out.push_str(MASK);
                copied = end;
            }
            i = end.max(value);
        } else {
            i += 1;
        }
    }
    out.push_str(&rest[copied..]);
    out
}

#[cfg(test)]
mod tests;
