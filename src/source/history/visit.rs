//! The work of one history item: a commit (its message and the files it introduced), an
//! annotated tag's message, a tagged blob or tree.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError};

use git2::{ObjectType, Oid, Repository, Tree};

use super::History;
use crate::finding::Origin;
use crate::source::git::{self, TreeCache};
use crate::source::{SkipReason, SourceError, Visitor};

impl History {
    pub(super) fn visit_commit(
        &self,
        trees: &mut TreeCache<'_>,
        c: u32,
        visitor: &mut dyn Visitor,
    ) {
        let repo = trees.repo();
        let id = self.commits[c as usize];
        let commit = match repo.find_commit(id) {
            Ok(commit) => commit,
            Err(e) => {
                return visitor
                    .error(SourceError::Git(format!("cannot read commit {id}: {}", e.message())));
            }
        };
        let stub = git::commit_stub(id);
        git::visit_message(
            commit.message_raw_bytes(),
            Origin::CommitMessage { commit: stub.clone() },
            visitor,
        );
        let tree = match trees.get(commit.tree_id()) {
            Ok(tree) => tree,
            Err(e) => {
                return visitor.error(SourceError::Git(format!(
                    "cannot read the tree of commit {id}: {}",
                    e.message()
                )));
            }
        };
        // The parents the commit names (libgit2 hides a shallow clone's cut ones). One
        // missing from the object database counts as no parent: everything in the commit is
        // then new as far as this clone can tell. At a shallow clone's boundary that is a gap
        // (the history behind it was not scanned); elsewhere the object is lost: an error.
        let mut parents: Vec<Tree<'_>> = Vec::new();
        let mut cut = false;
        for p in header_parents(commit.raw_header_bytes()) {
            match repo.find_commit(p).and_then(|p| trees.get(p.tree_id())) {
                Ok(tree) => parents.push(tree),
                Err(_) if self.shallow && !repo.odb().is_ok_and(|o| o.exists(p)) => cut = true,
                Err(e) => visitor.error(SourceError::Git(format!(
                    "commit {id}: cannot read parent {p}: {}",
                    e.message()
                ))),
            }
        }
        if cut {
            let origin =
                Origin::Commit { path: String::new(), commit: Arc::new(git::commit_info(&commit)) };
            visitor.skipped(origin, SkipReason::ShallowHistory);
        }
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        introduced(trees, &tree, parents.first(), &mut entries, &mut errors);
        for e in errors {
            visitor.error(SourceError::Git(format!("commit {id}: {e}")));
        }
        entries.retain(|(path, _)| !self.filter.excludes(path));
        // In a merge, content is new only if no parent has it at that path.
        if parents.len() > 1 {
            entries.retain(|(path, blob)| {
                parents[1..]
                    .iter()
                    .all(|p| !p.get_path(&git::path_of(path)).is_ok_and(|e| e.id() == *blob))
            });
        }
        for (path, blob) in self.record(c, entries) {
            if self.pass_over(blob) {
                continue;
            }
            let origin = Origin::Commit {
                path: String::from_utf8_lossy(&path).into_owned(),
                commit: stub.clone(),
            };
            if crate::source::has_binary_extension(&path) {
                visitor.skipped(origin, SkipReason::Binary);
            } else {
                let limits = git::Limits {
                    max_file_size: self.options.max_file_size,
                    budget: trees.budget(),
                };
                git::visit_blob(repo, blob, origin, None, &limits, visitor);
            }
        }
    }

    /// Scans the blobs of a tagged blob or tree that no commit had.
    pub(super) fn visit_root(
        &self,
        trees: &mut TreeCache<'_>,
        i: usize,
        visitor: &mut dyn Visitor,
    ) {
        let (name, id) = &self.roots[i];
        let repo = trees.repo();
        let mut entries = Vec::new();
        match repo.find_object(*id, None) {
            Ok(o) if o.kind() == Some(ObjectType::Tree) => match trees.get(*id) {
                Ok(tree) => {
                    let mut errors = Vec::new();
                    introduced(trees, &tree, None, &mut entries, &mut errors);
                    for e in errors {
                        visitor.error(SourceError::Git(format!("ref {name}: {e}")));
                    }
                }
                Err(e) => visitor.error(SourceError::Git(format!(
                    "ref {name}: cannot read tree {id}: {}",
                    e.message()
                ))),
            },
            Ok(_) => entries.push((Vec::new(), *id)),
            Err(e) => {
                return visitor.error(SourceError::Git(format!(
                    "ref {name}: cannot read {id}: {}",
                    e.message()
                )));
            }
        }
        entries.retain(|(path, _)| path.is_empty() || !self.filter.excludes(path));
        let new: Vec<_> = {
            let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            let mut mine = self.root_blobs.lock().unwrap_or_else(PoisonError::into_inner);
            entries
                .into_iter()
                .filter(|(_, blob)| !seen.blobs.contains_key(blob) && mine.insert(*blob))
                .collect()
        };
        for (path, blob) in new {
            if self.pass_over(blob) {
                continue;
            }
            let origin = Origin::Ref {
                name: name.clone(),
                path: String::from_utf8_lossy(&path).into_owned(),
            };
            if crate::source::has_binary_extension(&path) {
                visitor.skipped(origin, SkipReason::Binary);
            } else {
                let limits = git::Limits {
                    max_file_size: self.options.max_file_size,
                    budget: trees.budget(),
                };
                git::visit_blob(repo, blob, origin, None, &limits, visitor);
            }
        }
    }

    pub(super) fn visit_tag(
        &self,
        repo: &Repository,
        name: &str,
        id: Oid,
        visitor: &mut dyn Visitor,
    ) {
        match repo.find_tag(id) {
            Ok(tag) => {
                if let Some(message) = tag.message_bytes() {
                    let origin = Origin::TagMessage { tag: name.to_owned(), id: id.to_string() };
                    git::visit_message(message, origin, visitor);
                }
            }
            Err(e) => visitor
                .error(SourceError::Git(format!("cannot read tag {name} ({id}): {}", e.message()))),
        }
    }
}

/// The parents a commit's header names, in order.
fn header_parents(header: &[u8]) -> Vec<Oid> {
    header
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_prefix(b"parent "))
        .filter_map(|hex| std::str::from_utf8(hex).ok().and_then(|h| Oid::from_str(h.trim()).ok()))
        .collect()
}

/// One tree being read by [`introduced`]: its entries from `next` on are still to do.
struct Frame<'r> {
    new: Tree<'r>,
    old: Option<Tree<'r>>,
    /// The length of the path prefix of this tree's entries.
    prefix: usize,
    next: usize,
}

/// Collects into `out` the files of `new` whose content differs from `old` at the same path
/// (all of them when `old` is `None`), descending only into subtrees that differ. A subtree
/// that cannot be read is described in `errors` and passed over; the rest is still collected.
///
/// Bounded on hostile trees: the walk keeps its own stack (no recursion to overflow), goes at
/// most [`git::MAX_TREE_DEPTH`] levels down, and compares each pair of (new, old) subtrees once: a
/// "tree bomb" of 30 levels, each naming the next twice, holds a billion paths but only 30
/// distinct pairs. A repeated pair yields the same blobs at another path, and blobs are what
/// is scanned; the first path stands for the others.
fn introduced(
    trees: &mut TreeCache<'_>,
    new: &Tree<'_>,
    old: Option<&Tree<'_>>,
    out: &mut Vec<(Vec<u8>, Oid)>,
    errors: &mut Vec<String>,
) {
    let mut done: HashSet<(Oid, Option<Oid>)> = HashSet::new();
    let mut prefix: Vec<u8> = Vec::new();
    let mut stack = vec![Frame { new: new.clone(), old: old.cloned(), prefix: 0, next: 0 }];
    while let Some(frame) = stack.last_mut() {
        prefix.truncate(frame.prefix);
        // Tree entries borrow their tree (and drop): take what is needed out of them.
        let (id, name, old_id) = {
            let Some(entry) = frame.new.get(frame.next) else {
                stack.pop();
                continue;
            };
            frame.next += 1;
            let name = entry.name_bytes();
            let before = frame.old.as_ref().and_then(|o| o.get_name_bytes(name));
            if before.as_ref().is_some_and(|b| b.id() == entry.id()) {
                continue;
            }
            if !git::is_tree(entry.kind()) {
                if git::is_file_mode(entry.filemode()) {
                    let mut path = Vec::with_capacity(prefix.len() + name.len());
                    path.extend_from_slice(&prefix);
                    path.extend_from_slice(name);
                    out.push((path, entry.id()));
                }
                continue;
            }
            let old_id = before.filter(|b| git::is_tree(b.kind())).map(|b| b.id());
            (entry.id(), name.to_vec(), old_id)
        };
        if !done.insert((id, old_id)) {
            continue;
        }
        if stack.len() >= git::MAX_TREE_DEPTH {
            errors.push(format!(
                "tree {id} ({}{}) is nested more than {} levels deep: not read",
                String::from_utf8_lossy(&prefix),
                String::from_utf8_lossy(&name),
                git::MAX_TREE_DEPTH,
            ));
            continue;
        }
        let sub = match trees.get(id) {
            Ok(sub) => sub,
            Err(e) => {
                errors.push(format!(
                    "cannot read tree {id} ({}{}): {}",
                    String::from_utf8_lossy(&prefix),
                    String::from_utf8_lossy(&name),
                    e.message()
                ));
                continue;
            }
        };
        let old_sub = old_id.and_then(|o| trees.get(o).ok());
        prefix.extend_from_slice(&name);
        prefix.push(b'/');
        stack.push(Frame { new: sub, old: old_sub, prefix: prefix.len(), next: 0 });
    }
}
