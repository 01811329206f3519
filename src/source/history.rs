//! The history source: every blob reachable from any ref, each distinct blob once, plus
//! commit and tag messages.
//!
//! [`History::open`] lists the commits to visit (all refs, `HEAD`, every stash entry), oldest
//! first, and the blobs and trees that refs reach without a commit (lightweight or annotated
//! tags of a blob or a tree, through any chain of tags). [`Source::scan`] then hands commits
//! to worker threads, each with its own repository handle. A worker compares a commit's tree
//! with its parents' trees, descending only into subtrees that differ, and records each file
//! the commit introduces (content absent from every parent at that path). The first worker to
//! meet a blob reads it from the object database and scans it; every later sighting is only
//! recorded. After the scan, [`History::attribute`] names, for each finding, the oldest commit
//! that introduced its blob (or every commit and path with `all_occurrences`). Blobs reached
//! only through a tagged blob or tree are scanned last, in a second pass, unless a commit had
//! them.
//!
//! In a shallow clone, each commit whose parents are missing is reported as a gap
//! ([`SkipReason::ShallowHistory`]): the history behind it was not scanned. Any other missing
//! or unreadable object is an error for that item; the scan goes on.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use git2::{ObjectType, Oid, Repository, Sort, Tree};

use super::git::{self, GitError, TreeCache};
use super::{Planned, SkipReason, Source, SourceError, Visitor, VisitorFactory};
use crate::finding::{CommitInfo, Finding, Origin};

/// How to walk a history.
#[derive(Clone, Debug)]
pub struct HistoryOptions {
    /// The repository (a working tree, a `.git` directory, a bare repository or a mirror).
    pub repo: PathBuf,
    /// Only commits not reachable from this revision.
    pub since: Option<String>,
    /// Only the newest this many commits.
    pub max_commits: Option<usize>,
    /// Report every commit and path where a blob with a finding was introduced, not only the
    /// first.
    pub all_occurrences: bool,
    /// Blobs larger than this are skipped and reported.
    pub max_file_size: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Where git's environment puts the repository's parts.
    pub git_env: git::GitEnv,
}

/// A repository's history, ready to scan.
pub struct History {
    options: HistoryOptions,
    git_dir: PathBuf,
    /// Commits to visit, oldest first: a commit's index is its age rank.
    commits: Vec<Oid>,
    /// Annotated tags: name and tag object id.
    tags: Vec<(String, Oid)>,
    /// Blobs and trees that refs reach without a commit: the ref's name and the object.
    roots: Vec<(String, Oid)>,
    /// The blobs of `roots` already handed out (the second pass).
    root_blobs: Mutex<HashSet<Oid>>,
    shallow: bool,
    walk_errors: Vec<String>,
    filter: git::PathFilter,
    seen: Mutex<Seen>,
}

/// Where blobs were introduced, filled in by the workers.
#[derive(Default)]
struct Seen {
    blobs: HashMap<Oid, Occurrences>,
    paths: Vec<String>,
    path_ids: HashMap<Box<[u8]>, u32>,
}

/// The commits (by index) and paths (by id) that introduced one blob.
struct Occurrences {
    first: (u32, u32),
    /// Further occurrences, kept only with `all_occurrences`.
    more: Vec<(u32, u32)>,
}

impl Seen {
    fn path_id(&mut self, path: &[u8]) -> u32 {
        if let Some(&id) = self.path_ids.get(path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(String::from_utf8_lossy(path).into_owned());
        self.path_ids.insert(path.into(), id);
        id
    }
}

/// What the walk covered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistorySummary {
    /// Commits visited.
    pub commits: usize,
    /// Distinct blobs met (scanned or skipped).
    pub blobs: usize,
    /// Whether the repository is a shallow clone (its oldest commits lack their parents).
    pub shallow: bool,
}

impl History {
    /// The same history without the repository's `.keysentryignore` (`--no-ignore-files`).
    pub fn without_ignore_file(mut self) -> History {
        self.filter = git::PathFilter::default();
        self
    }

    /// Opens the repository and lists the commits to visit.
    pub fn open(options: HistoryOptions) -> Result<History, GitError> {
        let repo = git::open(&options.repo, &options.git_env)?;
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        let mut tags = Vec::new();
        let mut roots = Vec::new();
        let mut pushed = 0usize;
        let mut walk_errors = Vec::new();
        for tip in tips(&repo, &mut tags, &mut roots, &mut walk_errors)? {
            match walk.push(tip) {
                Ok(()) => pushed += 1,
                Err(e) => walk_errors.push(format!("cannot walk from {tip}: {}", e.message())),
            }
        }
        if let Some(since) = &options.since {
            walk.hide(git::resolve_commit(&repo, since)?)?;
        }
        let mut commits = Vec::new();
        if pushed > 0 {
            for id in walk.by_ref() {
                match id {
                    Ok(id) => commits.push(id),
                    Err(e) => {
                        walk_errors.push(format!("history walk stopped early: {}", e.message()));
                        break;
                    }
                }
                if options.max_commits.is_some_and(|max| commits.len() >= max) {
                    break;
                }
            }
        }
        commits.reverse();
        let (filter, errors) = git::PathFilter::load(&repo);
        walk_errors.extend(errors);
        Ok(History {
            filter,
            git_dir: repo.path().to_path_buf(),
            shallow: repo.is_shallow(),
            options,
            commits,
            tags,
            roots,
            root_blobs: Mutex::new(HashSet::new()),
            walk_errors,
            seen: Mutex::new(Seen::default()),
        })
    }

    /// What the walk covers (blob counts are complete once the scan has run).
    pub fn summary(&self) -> HistorySummary {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        HistorySummary {
            commits: self.commits.len(),
            blobs: seen.blobs.len(),
            shallow: self.shallow,
        }
    }

    /// Names, for each finding of this scan, the commit that introduced its content: the
    /// oldest one, or with `all_occurrences` one finding per commit and path. Commit messages
    /// get their commit's author, date and summary. Call once, after the scan.
    pub fn attribute(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let repo = git::reopen(&self.git_dir, &self.options.git_env).ok();
        let mut infos: HashMap<Oid, Arc<CommitInfo>> = HashMap::new();
        let mut info = |id: Oid| -> Arc<CommitInfo> {
            infos
                .entry(id)
                .or_insert_with(|| {
                    repo.as_ref()
                        .and_then(|r| r.find_commit(id).ok())
                        .map(|c| Arc::new(git::commit_info(&c)))
                        .unwrap_or_else(|| git::commit_stub(id))
                })
                .clone()
        };
        let mut out = Vec::with_capacity(findings.len());
        for f in findings {
            match &f.origin {
                Origin::Commit { .. } => {
                    let Some(occ) = Oid::from_bytes(f.blob_id.as_bytes())
                        .ok()
                        .and_then(|id| seen.blobs.get(&id))
                    else {
                        out.push(f);
                        continue;
                    };
                    let mut places = vec![occ.first];
                    if self.options.all_occurrences {
                        places.extend(&occ.more);
                        places.sort_unstable();
                        places.dedup();
                    }
                    for (c, p) in places {
                        let mut g = f.clone();
                        g.origin = Origin::Commit {
                            path: seen.paths[p as usize].clone(),
                            commit: info(self.commits[c as usize]),
                        };
                        out.push(g);
                    }
                }
                Origin::CommitMessage { commit } => {
                    let full = Oid::from_str(&commit.id).map(&mut info);
                    let mut g = f;
                    if let Ok(commit) = full {
                        g.origin = Origin::CommitMessage { commit };
                    }
                    out.push(g);
                }
                _ => out.push(f),
            }
        }
        out
    }

    /// Records that commit `c` introduced `entries`; returns those met for the first time.
    fn record(&self, c: u32, entries: Vec<(Vec<u8>, Oid)>) -> Vec<(Vec<u8>, Oid)> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut new = Vec::new();
        for (path, id) in entries {
            let p = seen.path_id(&path);
            let Seen { blobs, paths, .. } = &mut *seen;
            match blobs.get_mut(&id) {
                Some(occ) => {
                    let (fc, fp) = occ.first;
                    if (c, &paths[p as usize]) < (fc, &paths[fp as usize]) {
                        let old = std::mem::replace(&mut occ.first, (c, p));
                        if self.options.all_occurrences {
                            occ.more.push(old);
                        }
                    } else if self.options.all_occurrences {
                        occ.more.push((c, p));
                    }
                }
                None => {
                    blobs.insert(id, Occurrences { first: (c, p), more: Vec::new() });
                    new.push((path, id));
                }
            }
        }
        new
    }

    fn visit_commit(&self, trees: &mut TreeCache<'_>, c: u32, visitor: &mut dyn Visitor) {
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
        let mut prefix = Vec::new();
        let mut errors = Vec::new();
        introduced(trees, &tree, parents.first(), &mut prefix, &mut entries, &mut errors);
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
            let origin = Origin::Commit {
                path: String::from_utf8_lossy(&path).into_owned(),
                commit: stub.clone(),
            };
            if super::has_binary_extension(&path) {
                visitor.skipped(origin, SkipReason::Binary);
            } else {
                git::visit_blob(repo, blob, origin, None, self.options.max_file_size, visitor);
            }
        }
    }

    /// Scans the blobs of a tagged blob or tree that no commit had.
    fn visit_root(&self, trees: &mut TreeCache<'_>, i: usize, visitor: &mut dyn Visitor) {
        let (name, id) = &self.roots[i];
        let repo = trees.repo();
        let mut entries = Vec::new();
        match repo.find_object(*id, None) {
            Ok(o) if o.kind() == Some(ObjectType::Tree) => match trees.get(*id) {
                Ok(tree) => {
                    let mut errors = Vec::new();
                    introduced(trees, &tree, None, &mut Vec::new(), &mut entries, &mut errors);
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
            let origin = Origin::Ref {
                name: name.clone(),
                path: String::from_utf8_lossy(&path).into_owned(),
            };
            if super::has_binary_extension(&path) {
                visitor.skipped(origin, SkipReason::Binary);
            } else {
                git::visit_blob(repo, blob, origin, None, self.options.max_file_size, visitor);
            }
        }
    }

    fn visit_tag(&self, repo: &Repository, name: &str, id: Oid, visitor: &mut dyn Visitor) {
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

impl Source for History {
    fn holds_findings(&self) -> bool {
        true
    }

    fn finish(&self, findings: Vec<Finding>) -> Vec<Finding> {
        self.attribute(findings)
    }

    fn scan(&self, factory: &dyn VisitorFactory) {
        // Work items: tags first, then commits newest first. Packs store the newest version
        // of a file whole and older ones as deltas against it, so reading in that order
        // keeps libgit2's delta base cache warm: on a 17,000-commit history this took a
        // fifth off the scan. Attribution does not depend on the order (see `record`).
        let tags = self.tags.len();
        let newest = self.commits.len().saturating_sub(1);
        git::run_workers(
            (&self.git_dir, &self.options.git_env),
            self.options.threads,
            tags + self.commits.len(),
            64,
            &self.walk_errors,
            factory,
            &|repo, i, visitor| match self.tags.get(i) {
                Some((name, id)) => self.visit_tag(repo.repo(), name, *id, visitor),
                None => self.visit_commit(repo, (newest - (i - tags)) as u32, visitor),
            },
        );
        // After every commit: a tagged blob that some commit has is that commit's.
        if !self.roots.is_empty() {
            git::run_workers(
                (&self.git_dir, &self.options.git_env),
                self.options.threads,
                self.roots.len(),
                1,
                &[],
                factory,
                &|repo, i, visitor| self.visit_root(repo, i, visitor),
            );
        }
    }

    /// Its commits, its annotated tags (each is one unit too: their messages are scanned) and
    /// the blobs and trees that refs reach without a commit.
    fn planned(&self) -> Option<Planned> {
        let units = self.tags.len() + self.commits.len() + self.roots.len();
        Some(Planned { units: units as u64, name: "commits" })
    }
}

/// The commits to start from: every ref (branches, tags, remote-tracking refs, notes, the
/// stash), `HEAD`, and every older stash entry (kept in the stash's reflog). Annotated tags
/// met on the way are collected into `tags`, blobs and trees that refs name (directly or
/// through tags) into `roots`, refs to missing objects into `errors`.
fn tips(
    repo: &Repository,
    tags: &mut Vec<(String, Oid)>,
    roots: &mut Vec<(String, Oid)>,
    errors: &mut Vec<String>,
) -> Result<Vec<Oid>, GitError> {
    let mut tips = Vec::new();
    for r in repo.references()? {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("cannot read a ref: {}", e.message()));
                continue;
            }
        };
        let Some(target) = r.target() else { continue }; // symbolic: its target is listed too
        let name = String::from_utf8_lossy(r.shorthand_bytes()).into_owned();
        let mut object = match repo.find_object(target, None) {
            Ok(o) => o,
            Err(e) => {
                errors.push(format!("ref {name} points to a missing object: {}", e.message()));
                continue;
            }
        };
        // Follow tags (possibly of tags) down to what they name, a bounded number of steps
        // (a chain can be long, but not endless: ids are hashes of content).
        let mut depth = 0;
        while object.kind() == Some(ObjectType::Tag) && depth < MAX_TAG_CHAIN {
            depth += 1;
            tags.push((name.clone(), object.id()));
            let Some(tag) = object.as_tag() else { break };
            let target = tag.target_id();
            match tag.target() {
                Ok(next) => object = next,
                Err(e) => {
                    errors.push(format!(
                        "tag {name} ({}) names a missing object {target}: {}",
                        object.id(),
                        e.message()
                    ));
                    break;
                }
            }
        }
        match object.kind() {
            Some(ObjectType::Commit) => tips.push(object.id()),
            Some(ObjectType::Blob | ObjectType::Tree) => roots.push((name, object.id())),
            Some(ObjectType::Tag) => errors.push(format!(
                "ref {name}: a chain of more than {MAX_TAG_CHAIN} tags was not followed to its end"
            )),
            _ => {}
        }
    }
    roots.sort();
    roots.dedup_by(|a, b| a.1 == b.1);
    if let Ok(head) = repo.head()
        && let Some(id) = head.target()
    {
        tips.push(id);
    }
    if let Ok(reflog) = repo.reflog("refs/stash") {
        tips.extend(reflog.iter().map(|e| e.id_new()));
    }
    tags.sort();
    tags.dedup();
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// The longest chain of tags (a tag of a tag of …) followed.
const MAX_TAG_CHAIN: usize = 64;

/// The parents a commit's header names, in order.
fn header_parents(header: &[u8]) -> Vec<Oid> {
    header
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_prefix(b"parent "))
        .filter_map(|hex| std::str::from_utf8(hex).ok().and_then(|h| Oid::from_str(h.trim()).ok()))
        .collect()
}

/// Collects into `out` the files of `new` whose content differs from `old` at the same path
/// (all of them when `old` is `None`), descending only into subtrees that differ. A subtree
/// that cannot be read is described in `errors` and passed over; the rest is still collected.
fn introduced(
    trees: &mut TreeCache<'_>,
    new: &Tree<'_>,
    old: Option<&Tree<'_>>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<(Vec<u8>, Oid)>,
    errors: &mut Vec<String>,
) {
    for entry in new.iter() {
        let name = entry.name_bytes();
        let before = old.and_then(|o| o.get_name_bytes(name));
        if before.as_ref().is_some_and(|b| b.id() == entry.id()) {
            continue;
        }
        if git::is_tree(entry.kind()) {
            let sub = match trees.get(entry.id()) {
                Ok(sub) => sub,
                Err(e) => {
                    errors.push(format!(
                        "cannot read tree {} ({}{}): {}",
                        entry.id(),
                        String::from_utf8_lossy(prefix),
                        String::from_utf8_lossy(name),
                        e.message()
                    ));
                    continue;
                }
            };
            let old_sub = match before {
                Some(b) if git::is_tree(b.kind()) => trees.get(b.id()).ok(),
                _ => None,
            };
            let len = prefix.len();
            prefix.extend_from_slice(name);
            prefix.push(b'/');
            introduced(trees, &sub, old_sub.as_ref(), prefix, out, errors);
            prefix.truncate(len);
        } else if git::is_file_mode(entry.filemode()) {
            let mut path = Vec::with_capacity(prefix.len() + name.len());
            path.extend_from_slice(prefix);
            path.extend_from_slice(name);
            out.push((path, entry.id()));
        }
    }
}
