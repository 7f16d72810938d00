//! Paths as the generated files name them (a folder as a compose volume source relative to
//! the compose file, words quoted for the shell command shown in the header), and the one
//! way every generated file is written: atomically, with its mode from the start.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// Writes `bytes` to `path`: into a temporary file with `mode` in the same folder (created
/// when missing), synced, then renamed over the old file, so no reader ever sees a
/// half-written file or one with looser permissions.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".compose-gen.")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `p` made absolute against the current directory, `.` and `..` resolved without touching
/// the file system (so it works before the folder exists and gives the same answer each run).
fn lexical_absolute(p: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(p)?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// `dir` as a bind-mount source in a compose file that lives in `compose_dir`: `./masks` or
/// `../shared/masks`, or `dir` itself when it was given absolute and lies outside.
pub fn volume_path(compose_dir: &Path, dir: &Path) -> std::io::Result<String> {
    let base = lexical_absolute(compose_dir)?;
    let target = lexical_absolute(dir)?;
    if let Ok(rel) = target.strip_prefix(&base) {
        return Ok(if rel.as_os_str().is_empty() {
            ".".to_string()
        } else {
            format!("./{}", rel.display())
        });
    }
    if dir.is_absolute() {
        return Ok(target.display().to_string());
    }
    let common = base
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut rel = PathBuf::new();
    for _ in common..base.components().count() {
        rel.push("..");
    }
    for c in target.components().skip(common) {
        rel.push(c);
    }
    Ok(rel.display().to_string())
}

/// `word` as one shell word: as it is when it holds only safe characters, else single-quoted.
/// Control characters are shown as `?` (the header is a comment: it must stay one line).
pub fn shell_word(word: &str) -> String {
    let word: String = word
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c));
    if safe {
        word
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_paths_are_relative_to_the_compose_file() {
        let cwd = std::env::current_dir().unwrap();
        let v = |c: &str, d: &str| volume_path(Path::new(c), Path::new(d)).unwrap();
        assert_eq!(v(".", "masks"), "./masks");
        assert_eq!(v(".", "./masks/"), "./masks");
        assert_eq!(v("deploy", "deploy/masks"), "./masks");
        assert_eq!(v("deploy", "masks"), "../masks");
        assert_eq!(v("a/b", "c/d"), "../../c/d");
        assert_eq!(v("deploy", "deploy"), ".");
        assert_eq!(v(".", "/srv/masks"), "/srv/masks");
        let inside = cwd.join("x/masks");
        assert_eq!(v(".", &inside.to_string_lossy()), "./x/masks");
        assert_eq!(v(&cwd.to_string_lossy(), "m"), "./m");
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("streamers"), "streamers");
        assert_eq!(shell_word("my cams/streamers"), "'my cams/streamers'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("a\nb"), "'a?b'");
        assert_eq!(shell_word(""), "''");
    }
}
