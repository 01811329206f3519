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
//! An audit passes over blobs scanned already ([`History::passing_over`]): they are recorded
//! like every other blob, so [`History::occurrences`] says where they were introduced, but not
//! read.
//!
//! In a shallow clone, each commit whose parents are missing is reported as a gap
//! ([`SkipReason::ShallowHistory`](crate::source::SkipReason::ShallowHistory)): the history behind it was not scanned. Any other missing
//! or unreadable object is an error for that item; the scan goes on.

mod attribute;
mod refs;
mod visit;
mod walk;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use git2::{Oid, Sort};

use crate::finding::{BlobId, CommitInfo};

use super::git::{self, GitError};
use super::{Planned, Source, VisitorFactory};
use attribute::Seen;

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
    /// Blobs scanned already, passed over (an audit's datastore).
    known: Option<Arc<dyn KnownBlobs>>,
    /// The blobs met that `known` said were scanned already.
    passed: Mutex<HashSet<Oid>>,
}

/// Blobs a history scan passes over because they were scanned already: an audit's datastore
/// holds those of other repositories and earlier runs, so forks and copies cost nothing.
pub trait KnownBlobs: Send + Sync {
    /// Whether `blob` was scanned already. Called once per distinct blob, from the scan's
    /// worker threads.
    fn known(&self, blob: &BlobId) -> bool;
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

    /// The same history, passing over the blobs `known` says were scanned already: they are
    /// recorded (see [`History::occurrences`]) but not read.
    pub fn passing_over(mut self, known: Arc<dyn KnownBlobs>) -> History {
        self.known = Some(known);
        self
    }

    /// Opens the repository and lists the commits to visit.
    pub fn open(options: HistoryOptions) -> Result<History, GitError> {
        let repo = git::open(&options.repo, &options.git_env)?;
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        let mut tags = Vec::new();
        let mut roots = Vec::new();
        let mut pushed = Vec::new();
        let mut walk_errors = Vec::new();
        for tip in refs::tips(&repo, &mut tags, &mut roots, &mut walk_errors)? {
            match walk.push(tip) {
                Ok(()) => pushed.push(tip),
                Err(e) => walk_errors.push(format!("cannot walk from {tip}: {}", e.message())),
            }
        }
        let since = match &options.since {
            Some(since) => Some(git::resolve_commit(&repo, since)?),
            None => None,
        };
        if let Some(since) = since {
            walk.hide(since)?;
        }
        let mut commits = Vec::new();
        if !pushed.is_empty() {
            for id in walk.by_ref() {
                match id {
                    Ok(id) => commits.push(id),
                    Err(e) => {
                        // libgit2's sorted walk gives up at the first commit it cannot read,
                        // often before it has yielded any: the newer commits, readable, would
                        // go unscanned. Walk the readable part by hand instead.
                        walk_errors.push(format!(
                            "the history walk met an unreadable commit ({}): only the commits \
                             that can be read are scanned",
                            e.message()
                        ));
                        commits = walk::readable(&repo, &pushed, since);
                        break;
                    }
                }
                if options.max_commits.is_some_and(|max| commits.len() >= max) {
                    break;
                }
            }
        }
        if let Some(max) = options.max_commits {
            commits.truncate(max);
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
            known: None,
            passed: Mutex::new(HashSet::new()),
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
}

impl History {
    /// Whether `blob` is to be passed over (scanned already); remembers it if so.
    fn pass_over(&self, blob: Oid) -> bool {
        let Some(known) = &self.known else { return false };
        let id = BlobId::from_bytes(oid_bytes(blob));
        if !known.known(&id) {
            return false;
        }
        self.passed.lock().unwrap_or_else(PoisonError::into_inner).insert(blob);
        true
    }

    /// Every distinct blob the scan met, each with whether it was passed over as scanned
    /// already ([`History::passing_over`]); blobs met only as binary by name are included.
    /// Complete once the scan has run.
    pub fn blobs(&self) -> Vec<(BlobId, bool)> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let passed = self.passed.lock().unwrap_or_else(PoisonError::into_inner);
        let roots = self.root_blobs.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all: Vec<(BlobId, bool)> = seen
            .blobs
            .keys()
            .chain(roots.iter().filter(|b| !seen.blobs.contains_key(b)))
            .map(|&b| (BlobId::from_bytes(oid_bytes(b)), passed.contains(&b)))
            .collect();
        all.sort_unstable();
        all
    }

    /// Every commit and path that introduced `blob` (oldest commit first), as a finding in it
    /// would be attributed with `all_occurrences`; empty for a blob the scan did not meet or
    /// met only through a tag. For blobs passed over: an audit records the places of blobs
    /// whose findings it knows from elsewhere.
    pub fn occurrences(&self, blob: &BlobId) -> Vec<(String, Arc<CommitInfo>)> {
        self.places(blob)
    }
}

/// The 20 bytes of a SHA-1 object id (libgit2 builds without SHA-256 object ids here).
fn oid_bytes(id: Oid) -> [u8; 20] {
    let mut out = [0; 20];
    let bytes = id.as_bytes();
    let n = bytes.len().min(20);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

impl Source for History {
    fn holds_findings(&self) -> bool {
        true
    }

    fn finish(&self, findings: Vec<crate::finding::Finding>) -> Vec<crate::finding::Finding> {
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
