//! The `streamers` file: one camera a line, `rtsp://[user:password@]host[:port]/path`,
//! optionally followed by `| daytime.jpg` (a photo to build the camera's mask from, relative
//! to the streamers file) and `| name=Display Name`, in either order. Blank lines and lines
//! whose first non-blank character is `#` are skipped; a `#` inside a URL is part of it.
//! Errors name the file and the line and never show a password.

use crate::rtsp_url::RtspUrl;
use std::path::{Path, PathBuf};

/// Extensions a daytime photo may have (what the `image` crate here can read).
const PHOTO_EXTENSIONS: [&str; 3] = [".jpg", ".jpeg", ".png"];

/// One camera of the streamers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraLine {
    /// 1-based line number in the streamers file.
    pub line: usize,
    pub url: RtspUrl,
    /// The daytime photo, resolved against the streamers file's folder.
    pub photo: Option<PathBuf>,
    /// `name=`, trimmed.
    pub display_name: Option<String>,
}

/// What is wrong with a streamers file.
#[derive(Debug, thiserror::Error)]
pub enum StreamersError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: {what}")]
    Line {
        file: String,
        line: usize,
        what: String,
    },
    #[error("{file}: no cameras in it (add one rtsp:// URL a line; see streamers.sample)")]
    Empty { file: String },
}

/// Reads and parses the streamers file at `path`.
pub fn read(path: &Path) -> Result<Vec<CameraLine>, StreamersError> {
    let text = std::fs::read(path).map_err(|source| StreamersError::Read {
        file: path.display().to_string(),
        source,
    })?;
    let text = String::from_utf8_lossy(&text);
    parse(path, &text)
}

/// Parses streamers text; `path` names the file in errors and anchors relative photo paths.
pub fn parse(path: &Path, text: &str) -> Result<Vec<CameraLine>, StreamersError> {
    let file = path.display().to_string();
    let base = path.parent().unwrap_or(Path::new(""));
    let mut cameras: Vec<CameraLine> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let fail = |what: String| StreamersError::Line {
            file: file.clone(),
            line,
            what,
        };
        let trimmed = raw.trim_start_matches('\u{feff}').trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let camera = parse_line(line, trimmed, base).map_err(fail)?;
        if let Some(first) = cameras.iter().find(|c| c.url.same_camera(&camera.url)) {
            return Err(fail(format!(
                "duplicate of the camera on line {} ({})",
                first.line, camera.url
            )));
        }
        cameras.push(camera);
    }
    if cameras.is_empty() {
        return Err(StreamersError::Empty { file });
    }
    Ok(cameras)
}

enum LineOption {
    Name(String),
    Photo(String),
}

/// `name=...` or a photo path; anything else is no option (so it stays part of the URL, where
/// a password may hold `|`).
fn as_option(segment: &str) -> Option<LineOption> {
    let s = segment.trim();
    if s.len() >= 5 && s[..5].eq_ignore_ascii_case("name=") {
        return Some(LineOption::Name(s[5..].trim().to_string()));
    }
    let lower = s.to_ascii_lowercase();
    PHOTO_EXTENSIONS
        .iter()
        .any(|ext| lower.ends_with(ext))
        .then(|| LineOption::Photo(s.to_string()))
}

fn parse_line(line: usize, text: &str, base: &Path) -> Result<CameraLine, String> {
    let segments: Vec<&str> = text.split('|').collect();
    let mut url_segments = segments.len();
    let mut display_name = None;
    let mut photo = None;
    while url_segments > 1 {
        let Some(option) = as_option(segments[url_segments - 1]) else {
            break;
        };
        match option {
            LineOption::Name(name) => {
                if display_name.is_some() {
                    return Err("name= is given twice".into());
                }
                if name.is_empty() {
                    return Err("name= is empty (write `| name=Display Name`)".into());
                }
                if name.chars().any(char::is_control) {
                    return Err("name= has a control character".into());
                }
                display_name = Some(name);
            }
            LineOption::Photo(p) => {
                if photo.is_some() {
                    return Err("more than one daytime photo is given".into());
                }
                photo = Some(base.join(p));
            }
        }
        url_segments -= 1;
    }
    let url_text = segments[..url_segments].join("|");
    let url = RtspUrl::parse(&url_text).map_err(|e| e.to_string())?;
    Ok(CameraLine {
        line,
        url,
        photo,
        display_name,
    })
}

#[cfg(test)]
mod tests;
