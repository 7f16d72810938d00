//! compose-gen: turns a `streamers` file (one RTSP camera a line) into the docker-compose.yml
//! that runs one camera-worker per camera and the dashboard, the `.env` file holding the
//! secrets it refers to, and camera masks built from daytime photos.
//!
//! * [`streamers`] parses the cameras file, [`rtsp_url`] one camera URL;
//! * [`cli`] is the command line and its validation;
//! * [`compose`] the compose model and its YAML, [`env_file`] the secrets file;
//! * [`mask`] builds masks from daytime photos and keeps hand-edited ones;
//! * [`generate`] runs it all; [`run_table`] lists the cameras for `scripts/run.sh` instead.

pub mod cli;
pub mod compose;
pub mod env_file;
pub mod generate;
pub mod mask;
pub mod paths;
pub mod rtsp_url;
pub mod run_table;
pub mod streamers;

pub use cli::{Cli, Settings};
pub use generate::{run, Error, Outcome};
