//! Staged changes read straight from the index file, using the index's cache of tree ids
//! ("cache tree") to pass over every directory whose staged content equals `HEAD`'s. In a
//! large repository this is what makes a pre-commit hook fast: libgit2 would parse and hash
//! the whole index and compare every entry with `HEAD`'s tree.
//!
//! It answers only when its answer is certain; otherwise (no cache tree, a sparse index,
//! unresolved conflicts, or files both added and deleted, which may be renames) the caller
//! asks libgit2 for a full diff.

use git2::{Oid, Repository, Tree};
use gix_index::extension::Tree as CacheTree;
use gix_index::{Entry, State};

use super::git::{self, FileChange};

/// The files the index adds or changes relative to `head` (`None`: no commit yet), or `None`
/// when this fast path cannot tell for sure.
pub(crate) fn staged_changes(
    repo: &Repository,
    head: Option<&Tree<'_>>,
) -> Option<Vec<FileChange>> {
    let path = repo.path().join("index");
    if !path.exists() {
        return Some(Vec::new());
    }
    let options = gix_index::decode::Options { thread_limit: Some(1), ..Default::default() };
    // The trailing checksum is not verified: the caller reads every blob it reports from the
    // object database, and a damaged index fails there or in libgit2's fallback.
    let file = gix_index::File::at(&path, gix_hash::Kind::Sha1, true, options).ok()?;
    if file.is_sparse() || file.entries().iter().any(|e| e.stage_raw() != 0) {
        return None;
    }
    let cache = file.tree()?;
    let mut walk = Walk { repo, state: &file, out: Vec::new(), deleted: false };
    walk.compare(0, head, Some(cache), file.entries())?;
    if walk.deleted && walk.out.iter().any(|c| c.old.is_none()) {
        return None;
    }
    Some(walk.out)
}

struct Walk<'r, 's> {
    repo: &'r Repository,
    state: &'s State,
    out: Vec<FileChange>,
    /// Whether some file or directory of `HEAD` is gone from the index.
    deleted: bool,
}

impl Walk<'_, '_> {
    /// Compares one directory: `entries` (all sharing the directory's path, `prefix` bytes
    /// long) with `head` (the directory's tree in `HEAD`) and `cache` (its cache tree node).
    fn compare(
        &mut self,
        prefix: usize,
        head: Option<&Tree<'_>>,
        cache: Option<&CacheTree>,
        entries: &[Entry],
    ) -> Option<()> {
        let mut matched = 0;
        let mut i = 0;
        while i < entries.len() {
            let path: &[u8] = entries[i].path(self.state);
            let rest = path.get(prefix..)?;
            match memchr::memchr(b'/', rest) {
                None => {
                    let before = head.and_then(|h| h.get_name_bytes(rest));
                    matched += usize::from(before.is_some());
                    let entry = &entries[i];
                    let new = Oid::from_bytes(entry.id.as_slice()).ok()?;
                    if git::is_file_mode(entry.mode.bits() as i32) {
                        let old = match &before {
                            Some(b) if b.id() == new => None,
                            Some(b) if git::is_file_mode(b.filemode()) => Some(Some(b.id())),
                            _ => Some(None),
                        };
                        if let Some(old) = old {
                            self.out.push(FileChange { path: path.to_vec(), old, new });
                        }
                    }
                    i += 1;
                }
                Some(slash) => {
                    let name = &rest[..slash];
                    let dir_len = prefix + slash + 1;
                    let end = i + entries[i..].partition_point(|e| {
                        let p: &[u8] = e.path(self.state);
                        p.len() > dir_len && p[..dir_len] == path[..dir_len]
                    });
                    let before = head.and_then(|h| h.get_name_bytes(name));
                    matched += usize::from(before.is_some());
                    let sub_cache =
                        cache.and_then(|c| c.children.iter().find(|t| t.name.as_slice() == name));
                    let unchanged = match (&before, sub_cache) {
                        (Some(b), Some(c)) => {
                            c.num_entries.is_some() && c.id.as_slice() == b.id().as_bytes()
                        }
                        _ => false,
                    };
                    if !unchanged {
                        let sub_head = before
                            .filter(|b| git::is_tree(b.kind()))
                            .and_then(|b| self.repo.find_tree(b.id()).ok());
                        self.compare(dir_len, sub_head.as_ref(), sub_cache, &entries[i..end])?;
                    }
                    i = end;
                }
            }
        }
        if head.is_some_and(|h| h.len() > matched) {
            self.deleted = true;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    /// The fast path agrees with libgit2's diff on a tree with changes in several places.
    #[test]
    fn agrees_with_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        for (p, c) in [("a.txt", "a"), ("x/b.txt", "b"), ("x/y/c.txt", "c"), ("z/d.txt", "d")] {
            std::fs::create_dir_all(d.join(p).parent().unwrap()).unwrap();
            std::fs::write(d.join(p), c).unwrap();
        }
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "base"]);
        std::fs::write(d.join("x/y/c.txt"), "c2").unwrap();
        std::fs::write(d.join("x/new.txt"), "n").unwrap();
        std::fs::write(d.join("top.txt"), "t").unwrap();
        git(d, &["add", "-A"]);

        let repo = Repository::open(d).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let mut fast = staged_changes(&repo, Some(&head)).expect("fast path answers");
        fast.sort_by(|a, b| a.path.cmp(&b.path));
        let index = repo.index().unwrap();
        let diff = repo.diff_tree_to_index(Some(&head), Some(&index), None).unwrap();
        let mut slow = git::diff_changes(&diff);
        slow.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(fast, slow);
        let paths: Vec<_> = fast.iter().map(|c| String::from_utf8_lossy(&c.path)).collect();
        assert_eq!(paths, ["top.txt", "x/new.txt", "x/y/c.txt"]);

        // A deletion next to an addition may be a rename: the fast path declines.
        git(d, &["rm", "-q", "z/d.txt"]);
        assert!(staged_changes(&repo, Some(&head)).is_none());
    }
}
