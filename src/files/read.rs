//! Reading configuration, baseline and ignore-list files, which may come from a hostile tree:
//! only regular files, within a size cap, and (for files found in the scanned tree) never
//! through a symbolic link that leads out of it. A FIFO, a device, a directory or a link to
//! `/dev/zero` is reported, never opened: opening a FIFO blocks until a writer comes, and a
//! device can be read without end.

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// The largest configuration file read (`.keysentry.toml`, `.gitleaks.toml`, `--config`, the
/// operator's configuration, account and canary lists).
pub const CONFIG_SIZE_LIMIT: u64 = 1 << 20;

/// The largest baseline or ignore list read (`--baseline`, `.gitleaksignore`, the fingerprint
/// lines of `.keysentryignore`): a gitleaks report of a large history is big.
pub const BASELINE_SIZE_LIMIT: u64 = 256 << 20;

/// Where a file may lead.
#[derive(Clone, Copy, Debug)]
pub enum Within<'a> {
    /// A file the operator named (`--config`, `--baseline`): a symbolic link is followed.
    Anywhere,
    /// A file found in the scanned tree rooted here: a symbolic link may not leave it.
    Tree(&'a Path),
}

/// A file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A FIFO, a device, a socket or a directory.
    #[error("{} is {kind}, not a regular file: not read", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is ("a FIFO", "a directory", …).
        kind: &'static str,
    },
    /// Larger than the cap.
    #[error("{} is larger than {limit} bytes: not read", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap.
        limit: u64,
    },
    /// A symbolic link in the scanned tree that leads out of it.
    #[error("{} is a symbolic link that leads out of {}: not read", path.display(), root.display())]
    Escapes {
        /// The link.
        path: PathBuf,
        /// The tree.
        root: PathBuf,
    },
    /// Not UTF-8 text.
    #[error("{} is not UTF-8 text", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// Any other I/O error (not found included).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl FileError {
    /// Whether the file does not exist (nothing to read; for files looked for, not named).
    /// A path through a file (`.git/info/exclude` where `.git` is a file, in a linked
    /// worktree) counts as not found too.
    pub fn is_not_found(&self) -> bool {
        use std::io::ErrorKind::{NotADirectory, NotFound};
        matches!(self, FileError::Io { source, .. } if matches!(source.kind(), NotFound | NotADirectory))
    }
}

/// What a file system entry is, for messages; `None` for a regular file.
fn kind_of(t: std::fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return Some("a FIFO");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// An error unless `path` is absent or a regular file (not a symbolic link, a FIFO, a device
/// or a directory): for a file keysentry is about to write or append to in a tree that may be
/// hostile (`.keysentry-baseline.json`, `.keysentryignore`), where a link would send the write
/// anywhere the operator can write (`~/.bashrc`).
pub fn check_write_target(path: &Path) -> Result<(), FileError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FileError::Io { path: path.to_path_buf(), source }),
        Ok(m) if m.file_type().is_symlink() => {
            Err(FileError::NotRegular { path: path.to_path_buf(), kind: "a symbolic link" })
        }
        Ok(m) => match kind_of(m.file_type()) {
            Some(kind) => Err(FileError::NotRegular { path: path.to_path_buf(), kind }),
            None => Ok(()),
        },
    }
}

/// Whether there is an entry (of any kind, a dangling link included) at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The bytes of `path`: a regular file of at most `limit` bytes, reached as `within` allows.
pub fn read_bytes(path: &Path, limit: u64, within: Within<'_>) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io { path: path.to_path_buf(), source };
    let link = std::fs::symlink_metadata(path).map_err(io)?;
    if link.file_type().is_symlink()
        && let Within::Tree(root) = within
    {
        let escapes = || FileError::Escapes { path: path.to_path_buf(), root: root.to_path_buf() };
        let target = std::fs::canonicalize(path).map_err(io)?;
        let root = std::fs::canonicalize(root).map_err(io)?;
        if !target.starts_with(&root) {
            return Err(escapes());
        }
    }
    let meta = std::fs::metadata(path).map_err(io)?;
    let not_regular =
        |t| kind_of(t).map(|kind| FileError::NotRegular { path: path.to_path_buf(), kind });
    if let Some(e) = not_regular(meta.file_type()) {
        return Err(e);
    }
    let too_large = || FileError::TooLarge { path: path.to_path_buf(), limit };
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // The entry may have been swapped between the check and the open: check what was opened.
    if let Some(e) = file.metadata().ok().and_then(|m| not_regular(m.file_type())) {
        return Err(e);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The text of `path`, as [`read_bytes`] reads it.
pub fn read_text(path: &Path, limit: u64, within: Within<'_>) -> Result<String, FileError> {
    String::from_utf8(read_bytes(path, limit, within)?)
        .map_err(|_| FileError::NotText { path: path.to_path_buf() })
}

/// The text of `path` if there is anything at `path`; `Ok(None)` if nothing is there.
pub fn read_optional(
    path: &Path,
    limit: u64,
    within: Within<'_>,
) -> Result<Option<String>, FileError> {
    match read_text(path, limit, within) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.is_not_found() && !exists(path) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The bytes of `path` if there is anything at `path` (as [`read_bytes`] reads them);
/// `Ok(None)` if nothing is there. For ignore files, which need not be UTF-8.
pub fn read_bytes_optional(
    path: &Path,
    limit: u64,
    within: Within<'_>,
) -> Result<Option<Vec<u8>>, FileError> {
    // One system call for the common case, a file that is not there (the walk looks for three
    // ignore files in every directory); a dangling link is there, and an error.
    if let Err(e) = std::fs::symlink_metadata(path)
        && matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory)
    {
        return Ok(None);
    }
    read_bytes(path, limit, within).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_cap_and_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("tree");
        std::fs::create_dir(&root).unwrap();
        let a = root.join("a.toml");
        std::fs::write(&a, "x = 1\n").unwrap();
        assert_eq!(read_text(&a, 100, Within::Tree(&root)).unwrap(), "x = 1\n");
        assert!(matches!(read_text(&a, 3, Within::Anywhere), Err(FileError::TooLarge { .. })));
        assert!(matches!(
            read_text(&root, 100, Within::Anywhere),
            Err(FileError::NotRegular { kind: "a directory", .. })
        ));
        assert_eq!(read_optional(&root.join("none"), 100, Within::Anywhere).unwrap(), None);
        #[cfg(unix)]
        {
            let outside = dir.path().join("secret");
            std::fs::write(&outside, "x").unwrap();
            let link = root.join("link.toml");
            std::os::unix::fs::symlink(&outside, &link).unwrap();
            assert!(matches!(
                read_text(&link, 100, Within::Tree(&root)),
                Err(FileError::Escapes { .. })
            ));
            assert_eq!(read_text(&link, 100, Within::Anywhere).unwrap(), "x");
            let inside = root.join("in.toml");
            std::os::unix::fs::symlink(&a, &inside).unwrap();
            assert!(read_text(&inside, 100, Within::Tree(&root)).is_ok());
            let zero = root.join("zero");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            assert!(matches!(
                read_text(&zero, 100, Within::Anywhere),
                Err(FileError::NotRegular { kind: "a device", .. })
            ));
            assert!(check_write_target(&link).is_err());
            assert!(check_write_target(&a).is_ok());
            assert!(check_write_target(&root.join("new")).is_ok());
            let dangling = root.join("dangling");
            std::os::unix::fs::symlink(root.join("gone"), &dangling).unwrap();
            assert!(read_optional(&dangling, 100, Within::Anywhere).is_err());
        }
    }
}
