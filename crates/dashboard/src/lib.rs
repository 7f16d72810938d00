//! The meteor watch dashboard: polls every camera-worker over HTTP (docs/api.md), caches their
//! detections, and serves one page and an aggregate API for all of them (docs/dashboard.md).
//! Workers may live on other hosts; the dashboard holds only caches, each worker stays the
//! source of truth for its detections.

pub mod cache;
pub mod config;
pub mod night;
pub mod poller;
pub mod selfcheck;
pub mod state;
pub mod web;
pub mod worker;

pub use config::{Cli, Command, Config};
pub use state::App;

/// Why the dashboard could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("WEB_PORT: cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

/// Runs the dashboard until SIGTERM or Ctrl-C.
pub async fn serve(config: Config) -> Result<(), Error> {
    let app = App::new(config);
    poller::spawn(&app);
    selfcheck::spawn(&app);
    web::serve(app).await
}
