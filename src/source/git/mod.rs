//! What the git sources (history, staged, range) share: opening a repository (`repo`),
//! describing a commit (`commit`), the files and lines a change added (`diff`), handing a blob
//! to a visitor (`blob`, `lfs`), limits on hostile trees (`bounds`), the root `.keysentryignore` (`path_filter`) and worker threads
//! with their own repository handles (`workers`).
//!
//! libgit2 has process-wide options that the sources are tuned for; the library never sets
//! them. A program that embeds it should call [`set_libgit2_options`] once at start-up, as the
//! `keysentry` binary does.

mod blob;
mod bounds;
mod commit;
mod diff;
mod lfs;
mod path_filter;
mod repo;
mod workers;

use std::path::Path;

use git2::{ObjectType, Oid};

use crate::finding::BlobId;

pub(crate) use blob::{Limits, visit_blob, visit_message};
pub(crate) use bounds::{MAX_CHANGED_FILES, MAX_TREE_DEPTH, check_changes};
pub(crate) use commit::{commit_info, commit_stub, resolve_commit};
pub(crate) use diff::{FileChange, Side, diff_changes, visit_change};
pub use path_filter::{IGNORE_FILE, PathFilter};
pub use repo::{GitEnv, open, set_libgit2_options};
pub(crate) use repo::{index_path, reopen};
pub(crate) use workers::{TreeCache, run_workers};

/// A failure to open or use a repository as a whole (as opposed to one unreadable object,
/// which is a [`SourceError`](crate::source::SourceError) and does not stop a scan).
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository at or above the path.
    #[error("{}: not a git repository (or any parent up to the filesystem root): {source}", path.display())]
    NotARepository {
        /// The path given.
        path: std::path::PathBuf,
        /// libgit2's message.
        source: git2::Error,
    },
    /// A revision that does not resolve.
    #[error("{0}")]
    Revision(String),
    /// Anything else libgit2 reports.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// A git path (bytes) as a filesystem path.
pub(crate) fn path_of(bytes: &[u8]) -> std::borrow::Cow<'_, Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        std::borrow::Cow::Borrowed(Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(String::from_utf8_lossy(bytes).into_owned().into())
    }
}

/// A git object id as a [`BlobId`] (both are SHA-1 of the same bytes).
pub(crate) fn blob_id(id: Oid) -> BlobId {
    let mut bytes = [0u8; 20];
    let raw = id.as_bytes();
    let n = raw.len().min(20);
    bytes[..n].copy_from_slice(&raw[..n]);
    BlobId::from_bytes(bytes)
}

/// Whether a tree or index entry is a file whose content can be scanned. Symbolic links
/// (their target path), submodules (gitlinks) and trees are not; every other mode is, as
/// libgit2 normalizes modes (any execute bit: an executable file; otherwise anything not a
/// tree, a gitlink or a link: a file), so that an odd mode that git checks out as a file
/// (`100600`, `100666`) cannot hide one.
pub(crate) fn is_file_mode(mode: i32) -> bool {
    let kind = mode & 0o170000;
    if kind == 0o040000 {
        return false;
    }
    mode & 0o111 != 0 || (kind != 0o160000 && kind != 0o120000)
}

/// Whether a tree entry is a subtree.
pub(crate) fn is_tree(kind: Option<ObjectType>) -> bool {
    kind == Some(ObjectType::Tree)
}
