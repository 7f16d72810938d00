//! The cameras as a table for `scripts/run.sh`, which runs them without Docker: the same
//! streamers file, read by the same rules (errors name its line), the same service names and
//! the same masks as the compose file would give them, so a camera keeps its name, display
//! name and mask whichever way it runs.
//!
//! One camera a line, four tab-separated fields: name, display name (empty when none), mask
//! file (empty when none), URL with its password (user info percent-encoded). No field can
//! hold a tab or a line break: the URL and the display name refuse control characters and the
//! masks folder is checked like a volume path. Lines starting with `#` are comments. The file
//! is written with mode 0600, like the .env file, since it holds the passwords.

use crate::cli::Settings;
use crate::generate::{plan_cameras, Error, Planned};
use crate::paths::write_atomic;
use crate::streamers;
use std::path::Path;

/// What [`write`] did.
#[derive(Debug, Clone)]
pub struct TableOutcome {
    pub cameras: usize,
    /// One line a thing worth telling (masks written or kept).
    pub notes: Vec<String>,
}

/// The table's text for `planned`, masks under `mask_dir`.
fn render(planned: &Planned, mask_dir: &Path) -> String {
    let mut text = String::from(
        "# cameras for scripts/run.sh, written by compose-gen --run-table (mode 0600: it holds \
         the passwords)\n# name\tdisplay name\tmask\tURL\n",
    );
    for (cam, plan) in planned.cameras.iter().zip(&planned.plans) {
        let mask = plan
            .mask_file
            .as_ref()
            .map(|f| mask_dir.join(f).display().to_string())
            .unwrap_or_default();
        let fields = [
            plan.camera_name.as_str(),
            plan.display_name.as_deref().unwrap_or(""),
            mask.as_str(),
            &cam.url.normalized(),
        ]
        .join("\t");
        text.push_str(&fields);
        text.push('\n');
    }
    text
}

/// Reads the streamers file of `s`, builds the masks, and writes the table to `path`.
pub fn write(s: &Settings, path: &Path) -> Result<TableOutcome, Error> {
    let cameras = streamers::read(&s.streamers)?;
    let planned = plan_cameras(s, cameras)?;
    let text = render(&planned, &s.mask_dir);
    write_atomic(path, text.as_bytes(), 0o600).map_err(|source| Error::Write {
        path: path.display().to_string(),
        source,
    })?;
    Ok(TableOutcome {
        cameras: planned.cameras.len(),
        notes: planned.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cli;
    use clap::Parser;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn one_line_a_camera_with_names_masks_and_passwords_kept() {
        let dir = tempfile::tempdir().unwrap();
        let streamers = dir.path().join("streamers");
        let masks = dir.path().join("masks");
        std::fs::create_dir(&masks).unwrap();
        // A mask already in the folder is used, as for compose.
        std::fs::write(masks.join("camera2_cam_b.png"), b"png").unwrap();
        std::fs::write(
            &streamers,
            "# roof\nrtsp://viewer:p@ss w0rd'x@10.0.1.25:554/s1 | name=North roof\n\n\
             rtsp://cam-b/live\n",
        )
        .unwrap();
        let table = dir.path().join("cameras.tsv");
        let cli = Cli::parse_from([
            "compose-gen",
            "--streamers",
            streamers.to_str().unwrap(),
            "--mask-output-dir",
            masks.to_str().unwrap(),
        ]);
        let out = write(&cli.settings().unwrap(), &table).unwrap();
        assert_eq!(out.cameras, 2);
        assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
        let text = std::fs::read_to_string(&table).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('\t').collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec![
                    "camera1_10_0_1_25",
                    "North roof",
                    "",
                    "rtsp://viewer:p%40ss%20w0rd%27x@10.0.1.25:554/s1"
                ],
                vec![
                    "camera2_cam_b",
                    "",
                    masks.join("camera2_cam_b.png").to_str().unwrap(),
                    "rtsp://cam-b/live"
                ],
            ]
        );
        let mode = std::fs::metadata(&table).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_bad_line_is_named_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let streamers = dir.path().join("streamers");
        std::fs::write(&streamers, "rtsp://a/1\nhttp://b/2\n").unwrap();
        let table = dir.path().join("cameras.tsv");
        let cli = Cli::parse_from(["compose-gen", "--streamers", streamers.to_str().unwrap()]);
        let err = write(&cli.settings().unwrap(), &table).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("{}:2: ", streamers.display())),
            "{msg}"
        );
        assert!(!table.exists());
    }
}
