//! The dashboard: aggregates every camera-worker over HTTP and serves the browser UI.
//! Not written yet: it comes after the live camera-worker it aggregates.

fn main() -> std::process::ExitCode {
    eprintln!(
        "dashboard: not available yet in this version; use `camera-worker detect` (see README.md)"
    );
    std::process::ExitCode::from(2)
}
