//! Where a scan's configuration is: the project directory, the repository's top, the file.

use std::path::{Path, PathBuf};

use super::file;
use super::names::{CONFIG_FILE, GITLEAKS_FILE};

/// The directory whose configuration applies to a scan of `root`: inside a git working tree,
/// the first directory from `root` (or, for a file, its directory) up to the top of the
/// working tree that holds `.keysentry.toml` or `.gitleaks.toml`, else that top; outside git,
/// `root`'s directory itself. The search never climbs out of the repository, so a file
/// planted in a shared parent directory (`/tmp`) governs nothing below it.
pub fn project_dir(root: &Path) -> PathBuf {
    let start = if root.is_dir() { root } else { root.parent().unwrap_or(Path::new(".")) };
    let start = if start.as_os_str().is_empty() { Path::new(".") } else { start };
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let Some(top) = repository_top(&absolute) else { return start.to_path_buf() };
    for dir in absolute.ancestors() {
        if [CONFIG_FILE, GITLEAKS_FILE].iter().any(|n| file::exists(&dir.join(n))) || dir == top {
            return dir.to_path_buf();
        }
    }
    top
}

/// The top of the git working tree holding `dir`: the nearest directory at or above it with a
/// `.git` directory or a `.git` file (`gitdir: …`, a linked worktree or a submodule) owned by
/// the user who owns `dir`, as git's `safe.directory` check would have it: someone else's
/// `.git` in `/tmp` does not make `/tmp` a repository.
pub fn repository_top(dir: &Path) -> Option<PathBuf> {
    for d in dir.ancestors() {
        let git = d.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&git) else { continue };
        let valid = meta.is_dir()
            || (meta.is_file()
                && meta.len() < 4096
                && std::fs::read(&git).is_ok_and(|t| t.starts_with(b"gitdir:")));
        if valid && same_owner(&git, dir) {
            return Some(d.to_path_buf());
        }
    }
    None
}

#[cfg(unix)]
fn same_owner(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (std::fs::symlink_metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.uid() == b.uid(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_owner(_: &Path, _: &Path) -> bool {
    true
}

/// The configuration file in `dir`: `.keysentry.toml`, else `.gitleaks.toml`. Anything by
/// that name counts (a FIFO or a directory too: loading it reports it, instead of passing it
/// over in silence).
pub fn discover(dir: &Path) -> Option<PathBuf> {
    [CONFIG_FILE, GITLEAKS_FILE].iter().map(|name| dir.join(name)).find(|p| file::exists(p))
}
