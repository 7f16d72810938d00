//! `GET /`: the camera's own page (live view, status, recent detections). Static HTML with
//! the camera's name filled in (escaped), and a small script that reads `/stats` and
//! `/detections`; no CDN, works offline.

use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("assets/camera.html");

pub async fn index(State(sh): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE.replace("{{name}}", &escape_html(&sh.display_name)),
    )
}

/// Text made safe for HTML element content and quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_escaped() {
        assert_eq!(
            super::escape_html(r#"<b>"Roof" & 'east' ☄</b>"#),
            "&lt;b&gt;&quot;Roof&quot; &amp; &#39;east&#39; ☄&lt;/b&gt;"
        );
    }
}
