//! The commits of a history whose sorted walk failed: every commit that can be read, found
//! from the tips through the parents that can be read.

use std::collections::{HashMap, HashSet};

use git2::{Oid, Repository};

/// Every commit reachable from `tips` through readable commits, and not from `hide` (nor
/// from any of its readable ancestors), newest first as libgit2's walk gives them (by
/// committer time; ties by id). A commit that cannot be read ends its line of history; the
/// worker that visits its child reports it (`cannot read parent`).
pub(super) fn readable(repo: &Repository, tips: &[Oid], hide: Option<Oid>) -> Vec<Oid> {
    let hidden = match hide {
        Some(h) => reachable(repo, &[h], &HashSet::new()).into_keys().collect(),
        None => HashSet::new(),
    };
    let mut commits: Vec<(i64, Oid)> =
        reachable(repo, tips, &hidden).into_iter().map(|(id, time)| (time, id)).collect();
    commits.sort_unstable_by(|a, b| b.cmp(a));
    commits.into_iter().map(|(_, id)| id).collect()
}

/// The readable commits reachable from `from` without passing through `stop`, with their
/// committer times.
fn reachable(repo: &Repository, from: &[Oid], stop: &HashSet<Oid>) -> HashMap<Oid, i64> {
    let mut seen = HashMap::new();
    let mut todo: Vec<Oid> = from.iter().copied().filter(|id| !stop.contains(id)).collect();
    while let Some(id) = todo.pop() {
        if seen.contains_key(&id) {
            continue;
        }
        let Ok(commit) = repo.find_commit(id) else { continue };
        seen.insert(id, commit.time().seconds());
        todo.extend(commit.parent_ids().filter(|p| !stop.contains(p) && !seen.contains_key(p)));
    }
    seen
}
