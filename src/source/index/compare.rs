//! The comparison of the index with `HEAD`'s tree, directory by directory, passing over every
//! directory whose cache tree id equals `HEAD`'s.

use git2::{Oid, Repository, Tree};

use super::MAX_DEPTH;
use super::format::{CacheTree, Entry};
use crate::source::git::{self, FileChange};

pub(super) struct Walk<'r> {
    pub(super) repo: &'r Repository,
    pub(super) out: Vec<FileChange>,
    /// Whether some file or directory of `HEAD` is gone from the index.
    pub(super) deleted: bool,
}

impl Walk<'_> {
    /// Compares one directory: `entries` (all sharing the directory's path, `prefix` bytes
    /// long) with `head` (the directory's tree in `HEAD`) and `cache` (its cache tree node).
    pub(super) fn compare(
        &mut self,
        depth: usize,
        prefix: usize,
        head: Option<&Tree<'_>>,
        cache: Option<&CacheTree<'_>>,
        entries: &[Entry<'_>],
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut matched = 0;
        let mut i = 0;
        while i < entries.len() {
            let path = entries[i].path;
            let rest = path.get(prefix..)?;
            match memchr::memchr(b'/', rest) {
                None => {
                    let before = head.and_then(|h| h.get_name_bytes(rest));
                    matched += usize::from(before.is_some());
                    let entry = &entries[i];
                    let new = Oid::from_bytes(entry.id).ok()?;
                    if git::is_file_mode(entry.mode as i32) {
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
                        e.path.len() > dir_len && e.path[..dir_len] == path[..dir_len]
                    });
                    if end == i {
                        return None; // a path ending in `/`: not from git
                    }
                    let before = head.and_then(|h| h.get_name_bytes(name));
                    matched += usize::from(before.is_some());
                    let sub_cache = cache.and_then(|c| c.children.iter().find(|t| t.name == name));
                    let unchanged = match (&before, sub_cache.and_then(|c| c.id)) {
                        (Some(b), Some(id)) => id == b.id().as_bytes(),
                        _ => false,
                    };
                    if !unchanged {
                        let sub_head = before
                            .filter(|b| git::is_tree(b.kind()))
                            .and_then(|b| self.repo.find_tree(b.id()).ok());
                        self.compare(
                            depth + 1,
                            dir_len,
                            sub_head.as_ref(),
                            sub_cache,
                            &entries[i..end],
                        )?;
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
