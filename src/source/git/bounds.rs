//! Limits on what one commit's trees may ask of a scan. A crafted repository can nest trees
//! any number of levels deep, or name one subtree again and again (a "tree bomb": 30 levels,
//! each naming the next twice, is a billion paths in 31 objects). libgit2's tree diff lists
//! every path, so a commit is measured before it is diffed.

use std::collections::HashMap;

use git2::{Oid, Tree};

use super::{TreeCache, is_file_mode, is_tree};

/// Trees nested deeper than this are not read, and the scan says where it stopped. git itself
/// refuses deeper trees by default (`core.maxTreeDepth`, 2,048 or 4,096 by version).
pub(crate) const MAX_TREE_DEPTH: usize = 4096;

/// The most files one commit may change for a diff-based source to diff it: far beyond any
/// real commit, far below what a tree bomb names.
pub(crate) const MAX_CHANGED_FILES: u64 = 1_000_000;

/// Why a commit's trees were not diffed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TooBig {
    /// Nested more than [`MAX_TREE_DEPTH`] levels.
    Deep,
    /// More than the limit of changed files (counting every path, as a diff lists them).
    Wide,
}

impl std::fmt::Display for TooBig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TooBig::Deep => write!(f, "its trees nest more than {MAX_TREE_DEPTH} levels deep"),
            TooBig::Wide => write!(f, "it changes more than {MAX_CHANGED_FILES} files"),
        }
    }
}

/// One tree being counted: its entries from `next` on are still to do.
struct Frame<'r> {
    new: Tree<'r>,
    old: Option<Tree<'r>>,
    key: (Oid, Option<Oid>),
    next: usize,
    total: u64,
}

/// Checks that the files `new` changes relative to `old` (every path, as a diff lists them)
/// are at most `limit`, within [`MAX_TREE_DEPTH`] levels. Linear in the distinct pairs of
/// (new, old) subtrees, not in paths: a repeated pair is counted once and its count reused.
/// A subtree that cannot be read counts as empty here; the diff reports it.
pub(crate) fn check_changes(
    trees: &mut TreeCache<'_>,
    new: &Tree<'_>,
    old: Option<&Tree<'_>>,
    limit: u64,
) -> Result<(), TooBig> {
    let mut memo: HashMap<(Oid, Option<Oid>), u64> = HashMap::new();
    let key = (new.id(), old.map(Tree::id));
    let mut stack = vec![Frame { new: new.clone(), old: old.cloned(), key, next: 0, total: 0 }];
    loop {
        let frame = stack.last_mut().expect("the stack ends with its root");
        // Entries borrow (and drop with) their tree: take out what is needed.
        let sub = {
            match frame.new.get(frame.next) {
                None => None,
                Some(entry) => {
                    frame.next += 1;
                    let before =
                        frame.old.as_ref().and_then(|o| o.get_name_bytes(entry.name_bytes()));
                    if before.as_ref().is_some_and(|b| b.id() == entry.id()) {
                        continue;
                    }
                    if !is_tree(entry.kind()) {
                        if is_file_mode(entry.filemode()) {
                            frame.total += 1;
                        }
                        if frame.total > limit {
                            return Err(TooBig::Wide);
                        }
                        continue;
                    }
                    let old_id = before.filter(|b| is_tree(b.kind())).map(|b| b.id());
                    Some((entry.id(), old_id))
                }
            }
        };
        match sub {
            None => {
                let done = stack.pop().expect("a frame");
                memo.insert(done.key, done.total);
                match stack.last_mut() {
                    Some(parent) => {
                        parent.total = parent.total.saturating_add(done.total);
                        if parent.total > limit {
                            return Err(TooBig::Wide);
                        }
                    }
                    None => return Ok(()),
                }
            }
            Some(key) => {
                if let Some(&n) = memo.get(&key) {
                    frame.total = frame.total.saturating_add(n);
                    if frame.total > limit {
                        return Err(TooBig::Wide);
                    }
                    continue;
                }
                if stack.len() >= MAX_TREE_DEPTH {
                    return Err(TooBig::Deep);
                }
                let Ok(new) = trees.get(key.0) else { continue };
                let old = key.1.and_then(|o| trees.get(o).ok());
                stack.push(Frame { new, old, key, next: 0, total: 0 });
            }
        }
    }
}
