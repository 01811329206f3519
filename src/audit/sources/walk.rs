//! Repositories found under a directory tree.
//!
//! A directory is a **working copy** when it holds a `.git` directory or a `.git` file that
//! starts with `gitdir:` (a submodule's or a linked worktree's gitlink), and a **bare
//! repository** (mirrors included) when it holds a `HEAD` file and `objects/` and `refs/`
//! directories. The walk records both, never enters a `.git` directory nor a bare repository
//! (their insides are Git's, and a repository stored there, as in `.git/modules/`, belongs to its
//! parent), but goes on through a working copy's tree, where other repositories can be nested
//! (vendored checkouts, submodules).
//!
//! Symbolic links to directories are not followed: a tree's links can make loops or lead out of
//! the tree, and the repository they point to, when it is meant to be audited, is found where it
//! really is. The walk stops at a depth of [`DEFAULT_MAX_DEPTH`] (or the one given) below the root;
//! directories it cannot read and directories below the depth are problems, not failures.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::audit::{RepoLocation, RepoSpec};

/// How deep below a root the walk goes by default.
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// What kind of repository a directory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A working copy: a `.git` directory or gitlink file inside.
    WorkingCopy,
    /// A bare repository or mirror (or a `.git` directory given directly).
    Bare,
}

/// The kind of repository `dir` is, if any.
pub(crate) fn kind(dir: &Path) -> Option<Kind> {
    let dot_git = dir.join(".git");
    if let Ok(meta) = fs::metadata(&dot_git)
        && (meta.is_dir() || (meta.is_file() && is_gitlink(&dot_git)))
    {
        return Some(Kind::WorkingCopy);
    }
    let is_file = |name: &str| fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file());
    let is_dir = |name: &str| fs::metadata(dir.join(name)).is_ok_and(|m| m.is_dir());
    (is_file("HEAD") && is_dir("objects") && is_dir("refs")).then_some(Kind::Bare)
}

/// Whether the file starts with `gitdir:`.
fn is_gitlink(path: &Path) -> bool {
    let mut start = [0u8; 7];
    fs::File::open(path).and_then(|mut f| f.read_exact(&mut start)).is_ok() && &start == b"gitdir:"
}

/// The spec of the repository at `dir`, a canonical path.
pub(crate) fn local_spec(dir: &Path) -> RepoSpec {
    let named = if dir.file_name().is_some_and(|n| n == ".git") { dir.parent() } else { None };
    let base = named.unwrap_or(dir).file_name().map(|n| n.to_string_lossy().into_owned());
    let base = base.unwrap_or_else(|| dir.to_string_lossy().into_owned());
    let name = base.strip_suffix(".git").filter(|n| !n.is_empty()).unwrap_or(&base).to_owned();
    RepoSpec {
        id: dir.to_string_lossy().into_owned(),
        location: RepoLocation::Local(dir.to_path_buf()),
        name,
        fork: false,
        archived: false,
    }
}

/// Every repository under `root` (the root included), in path order.
///
/// # Errors
///
/// When `root` does not exist, cannot be resolved or is not a directory. Trouble below it goes
/// to `problems`.
pub(crate) fn discover(
    root: &Path,
    max_depth: usize,
    problems: &mut Vec<String>,
) -> io::Result<Vec<RepoSpec>> {
    let root = fs::canonicalize(root)?;
    if !fs::metadata(&root)?.is_dir() {
        return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a directory"));
    }
    let mut found = Vec::new();
    let mut stack: Vec<(PathBuf, usize)> = vec![(root, 0)];
    while let Some((dir, depth)) = stack.pop() {
        match kind(&dir) {
            Some(Kind::Bare) => {
                found.push(local_spec(&dir));
                continue;
            }
            Some(Kind::WorkingCopy) => found.push(local_spec(&dir)),
            None => {}
        }
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(format!("cannot read directory {}: {e}", dir.display()));
                continue;
            }
        };
        let mut children = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    problems.push(format!("cannot read directory {}: {e}", dir.display()));
                    break;
                }
            };
            // `file_type` does not follow symbolic links: a link to a directory is skipped.
            let is_dir = match entry.file_type() {
                Ok(t) => t.is_dir(),
                Err(e) => {
                    problems.push(format!("cannot stat {}: {e}", entry.path().display()));
                    continue;
                }
            };
            if is_dir && entry.file_name() != ".git" {
                children.push(entry.path());
            }
        }
        if children.is_empty() {
            continue;
        }
        if depth >= max_depth {
            problems.push(format!(
                "not searched: {} is deeper than {max_depth} directories below the root",
                dir.display()
            ));
            continue;
        }
        children.sort();
        stack.extend(children.into_iter().rev().map(|child| (child, depth + 1)));
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(dir: &Path) {
        fs::create_dir_all(dir.join("objects")).expect("mkdir");
        fs::create_dir_all(dir.join("refs")).expect("mkdir");
        fs::write(dir.join("HEAD"), "ref: refs/heads/main\n").expect("write");
    }

    #[test]
    fn kinds_and_names() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = fs::canonicalize(tmp.path()).expect("canonical");
        let work = root.join("work");
        bare(&work.join(".git"));
        let sub = root.join("sub");
        fs::create_dir_all(&sub).expect("mkdir");
        fs::write(sub.join(".git"), "gitdir: ../work/.git/modules/sub\n").expect("write");
        let not_link = root.join("plain");
        fs::create_dir_all(&not_link).expect("mkdir");
        fs::write(not_link.join(".git"), "something else").expect("write");
        bare(&root.join("api.git"));
        assert_eq!(kind(&work), Some(Kind::WorkingCopy));
        assert_eq!(kind(&sub), Some(Kind::WorkingCopy));
        assert_eq!(kind(&not_link), None);
        assert_eq!(kind(&root.join("api.git")), Some(Kind::Bare));
        assert_eq!(kind(&work.join(".git")), Some(Kind::Bare));
        assert_eq!(local_spec(&root.join("api.git")).name, "api");
        assert_eq!(local_spec(&work.join(".git")).name, "work");
        assert_eq!(local_spec(&work).name, "work");
    }

    #[test]
    fn depth_is_bounded() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = fs::canonicalize(tmp.path()).expect("canonical");
        bare(&root.join("a/b/c/deep.git"));
        bare(&root.join("a/shallow.git"));
        let mut problems = Vec::new();
        let found = discover(&root, 2, &mut problems).expect("walk");
        let names: Vec<_> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["shallow"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("deeper than 2"), "{problems:?}");
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut problems = Vec::new();
        assert!(discover(&tmp.path().join("nope"), 4, &mut problems).is_err());
        let file = tmp.path().join("file");
        fs::write(&file, "x").expect("write");
        assert!(discover(&file, 4, &mut problems).is_err());
    }
}
