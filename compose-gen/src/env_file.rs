//! The `.env` file beside docker-compose.yml that holds the secrets (camera URLs with their
//! passwords, the API token), so the compose file itself holds none. Values are written
//! single-quoted, the one form that docker-compose 1.29 (python-dotenv) and the `docker
//! compose` v2 plugin (compose-go) both read back unchanged, as long as the value holds no
//! `'`, no `\`, no `${` and no control character: such values are refused. The file is
//! replaced atomically and is only ever readable by its owner (mode 0600).

use crate::paths::write_atomic;
use std::path::Path;

/// Why a .env file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("{key}: the value cannot be written to a .env file both compose versions read the same way: {why}")]
    Unrepresentable { key: String, why: &'static str },
    #[error("{key}: not a variable name (letters, digits and _; not starting with a digit)")]
    BadKey { key: String },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Checks that `value` reads back unchanged from `KEY='value'` in both compose versions.
pub fn check_value(key: &str, value: &str) -> Result<(), EnvFileError> {
    let why = if value.contains('\'') {
        Some("it holds a single quote")
    } else if value.contains('\\') {
        Some("it holds a backslash")
    } else if value.contains("${") {
        Some("it holds `${`")
    } else if value.chars().any(char::is_control) {
        Some("it holds a control character")
    } else {
        None
    };
    match why {
        Some(why) => Err(EnvFileError::Unrepresentable {
            key: key.to_string(),
            why,
        }),
        None => Ok(()),
    }
}

fn check_key(key: &str) -> Result<(), EnvFileError> {
    let ok = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(EnvFileError::BadKey {
            key: key.to_string(),
        })
    }
}

/// The file's text: `header` lines as comments, then `KEY='value'` a line, in order.
pub fn render(header: &[String], vars: &[(String, String)]) -> Result<String, EnvFileError> {
    let mut out = String::new();
    for line in header {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    for (key, value) in vars {
        check_key(key)?;
        check_value(key, value)?;
        out.push_str(&format!("{key}='{value}'\n"));
    }
    Ok(out)
}

/// Writes `text` to `path` with mode 0600, atomically (see [`write_atomic`]): never
/// world-readable, not even for a moment, whatever the old file's mode was.
pub fn write_private(path: &Path, text: &str) -> Result<(), EnvFileError> {
    write_atomic(path, text.as_bytes(), 0o600).map_err(|source| EnvFileError::Write {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn values_are_single_quoted() {
        let text = render(
            &["secrets".to_string()],
            &[
                ("CAMERA1_RTSP_URL".into(), "rtsp://a:b$c%20d#e@h/x".into()),
                ("API_TOKEN".into(), "t0k\"en $x".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            text,
            "# secrets\nCAMERA1_RTSP_URL='rtsp://a:b$c%20d#e@h/x'\nAPI_TOKEN='t0k\"en $x'\n"
        );
    }

    #[test]
    fn unrepresentable_values_and_keys_are_refused() {
        for bad in ["it's", "a\\b", "x${Y}", "a\nb", "tab\there"] {
            let e = render(&[], &[("K".into(), bad.into())]).unwrap_err();
            assert!(e.to_string().starts_with("K: the value cannot"), "{e}");
        }
        for key in ["", "1A", "A-B", "A B"] {
            assert!(matches!(
                render(&[], &[(key.into(), "v".into())]),
                Err(EnvFileError::BadKey { .. })
            ));
        }
    }

    #[test]
    fn written_with_mode_0600_even_over_a_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "OLD=1\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "A='b'\n").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "A='b'\n");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }
}
