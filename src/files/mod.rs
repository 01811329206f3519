//! The files that steer a scan, below every other module: their names (one constant each),
//! reading them safely from a tree that may be hostile, and the lexical path helpers that
//! place a file in its repository. Sources, configuration and filters all use these; these
//! use nothing of theirs.

pub mod names;
pub mod read;

use std::path::PathBuf;

/// `path` made absolute against `cwd`, with `.` and `..` resolved lexically (as
/// `std::path::absolute` does, without asking the system, and without keeping `..`).
pub fn lexically_absolute(cwd: &std::path::Path, path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let joined;
    let abs = if path.is_absolute() {
        path
    } else {
        joined = cwd.join(path);
        &joined
    };
    let mut out = PathBuf::with_capacity(abs.as_os_str().len());
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The top of the git working tree `dir` is in, for ignore rules and repository-relative
/// paths: the nearest directory, `dir` itself included, that holds a `.git` entry (a
/// directory, or a file in a linked worktree). Where trust is decided (whose configuration
/// applies), [`crate::config::repository_top`] also asks who owns that entry.
pub fn enclosing_worktree(dir: &std::path::Path) -> Option<&std::path::Path> {
    dir.ancestors().find(|d| d.join(".git").symlink_metadata().is_ok())
}
