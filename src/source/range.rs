//! The range source: the commits of a pull request or a push. Each commit is compared with
//! its first parent and only the lines it adds are reported, attributed to it. A merge
//! reports only what is new relative to all of its parents (a conflict resolution or an
//! "evil merge"), so changes are not counted twice.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use git2::{DiffFindOptions, Oid, Repository, Sort, Tree};

use super::git::{self, GitEnv, GitError};
use super::{Planned, Source, SourceError, Visitor, VisitorFactory};
use crate::finding::Origin;

/// One ref update of a push: the local commit sent and the remote's current commit (zero
/// for a new ref or a deletion, as git writes them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushUpdate {
    /// The commit being pushed (zero when the remote ref is deleted).
    pub local: Oid,
    /// The commit the remote ref points to now (zero when it does not exist).
    pub remote: Oid,
}

impl PushUpdate {
    /// Parses one line of a pre-push hook's input:
    /// `<local ref> <local id> <remote ref> <remote id>`.
    pub fn parse(line: &str) -> Option<PushUpdate> {
        let mut words = line.split_whitespace();
        let (_, local, _, remote) = (words.next()?, words.next()?, words.next()?, words.next()?);
        Some(PushUpdate { local: Oid::from_str(local).ok()?, remote: Oid::from_str(remote).ok()? })
    }
}

/// The commits reachable from some revisions and not from others.
#[derive(Debug)]
pub struct Range {
    git_dir: PathBuf,
    env: GitEnv,
    /// Oldest first.
    commits: Vec<Oid>,
    max_file_size: u64,
    threads: usize,
    filter: git::PathFilter,
    errors: Vec<String>,
}

impl Range {
    /// Opens the repository at or above `path` and lists the commits of `spec`: `BASE..HEAD`
    /// (reachable from HEAD, not from BASE) or `BASE...HEAD` (not from their merge base).
    pub fn open(
        path: &Path,
        spec: &str,
        max_file_size: u64,
        threads: usize,
        env: &GitEnv,
    ) -> Result<Range, GitError> {
        let repo = git::open(path, env)?;
        let (base, head, symmetric) = if let Some((a, b)) = spec.split_once("...") {
            (a, b, true)
        } else if let Some((a, b)) = spec.split_once("..") {
            (a, b, false)
        } else {
            return Err(GitError::Revision(format!(
                "range {spec:?} has no `..`: give BASE..HEAD (for example origin/main..HEAD)"
            )));
        };
        let head = git::resolve_commit(&repo, if head.is_empty() { "HEAD" } else { head })?;
        let base = git::resolve_commit(&repo, if base.is_empty() { "HEAD" } else { base })?;
        let base = if symmetric { repo.merge_base(base, head)? } else { base };
        Range::between(&repo, env, &[head], &[base], max_file_size, threads)
    }

    /// The commits a push sends, from the lines git passes to a pre-push hook: for each
    /// updated ref, what is reachable from the local commit and not from the remote's. A new
    /// branch (the remote side is zero, or unknown here) excludes everything on the remote's
    /// remote-tracking refs (all remotes' when `remote` is `None`); deletions send nothing.
    pub fn for_push(
        path: &Path,
        updates: &[PushUpdate],
        remote: Option<&str>,
        max_file_size: u64,
        threads: usize,
        env: &GitEnv,
    ) -> Result<Range, GitError> {
        let repo = git::open(path, env)?;
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        let mut unknown_base = false;
        for u in updates {
            if u.local.is_zero() {
                continue;
            }
            include.push(u.local);
            if !u.remote.is_zero() && repo.find_commit(u.remote).is_ok() {
                exclude.push(u.remote);
            } else {
                unknown_base = true;
            }
        }
        if unknown_base {
            let glob = format!("refs/remotes/{}/*", remote.unwrap_or("*"));
            for r in repo.references_glob(&glob)?.flatten() {
                if let Ok(commit) = r.peel_to_commit() {
                    exclude.push(commit.id());
                }
            }
        }
        Range::between(&repo, env, &include, &exclude, max_file_size, threads)
    }

    fn between(
        repo: &Repository,
        env: &GitEnv,
        include: &[Oid],
        exclude: &[Oid],
        max_file_size: u64,
        threads: usize,
    ) -> Result<Range, GitError> {
        let mut walk = repo.revwalk()?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
        for id in include {
            walk.push(*id)?;
        }
        for id in exclude {
            walk.hide(*id)?;
        }
        let commits = walk.collect::<Result<Vec<_>, _>>()?;
        let (filter, errors) = git::PathFilter::load(repo);
        Ok(Range {
            git_dir: repo.path().to_path_buf(),
            env: env.clone(),
            commits,
            max_file_size,
            threads,
            filter,
            errors,
        })
    }

    /// The number of commits in the range.
    pub fn len(&self) -> usize {
        self.commits.len()
    }

    /// Whether the range has no commits.
    pub fn is_empty(&self) -> bool {
        self.commits.is_empty()
    }

    /// The same range without the repository's `.keysentryignore` (`--no-ignore-files`).
    pub fn without_ignore_file(mut self) -> Range {
        self.filter = git::PathFilter::default();
        self
    }

    /// The files whose name is one of `names` that a commit of the range adds or changes, as
    /// `commit:path` (abbreviated commit): a change to the configuration or ignore lists in the
    /// very range being checked.
    pub fn touching(&self, names: &[String]) -> Vec<String> {
        let Ok(repo) = git::reopen(&self.git_dir, &self.env) else { return Vec::new() };
        let mut out = Vec::new();
        // Trees only: the content budget of a scan does not apply to this check.
        let budget = crate::source::Budget::new(crate::source::CONTENT_IN_FLIGHT);
        for id in &self.commits {
            let Ok(commit) = repo.find_commit(*id) else { continue };
            let Ok(tree) = commit.tree() else { continue };
            let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
            // A hostile tree is not diffed here either; the scan reports it.
            let mut trees = git::TreeCache::new(&repo, &budget);
            if git::check_changes(&mut trees, &tree, parent.as_ref(), git::MAX_CHANGED_FILES)
                .is_err()
            {
                continue;
            }
            let Ok(diff) = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None) else {
                continue;
            };
            let old_side = parent.as_ref().map_or(git::Side::Empty, git::Side::Tree);
            for c in git::diff_changes(&diff, old_side, git::Side::Tree(&tree)) {
                let path = String::from_utf8_lossy(&c.path).into_owned();
                if names.iter().any(|n| path.rsplit('/').next() == Some(n.as_str())) {
                    let short = id.to_string();
                    out.push(format!("{}:{path}", &short[..short.len().min(12)]));
                }
            }
        }
        out
    }

    fn visit_commit(
        &self,
        repo: &Repository,
        id: Oid,
        budget: &crate::source::Budget,
        visitor: &mut dyn Visitor,
    ) {
        let result = (|| -> Result<(), git2::Error> {
            let commit = repo.find_commit(id)?;
            let info = Arc::new(git::commit_info(&commit));
            git::visit_message(
                commit.message_raw_bytes(),
                Origin::CommitMessage { commit: info.clone() },
                visitor,
            );
            let tree = commit.tree()?;
            // A parent that cannot be read counts as none (every line is then added), and is
            // an error unless the clone is shallow and the parent is simply not there.
            let mut parents: Vec<Tree<'_>> = Vec::new();
            for p in commit.parent_ids() {
                match repo.find_commit(p).and_then(|p| p.tree()) {
                    Ok(tree) => parents.push(tree),
                    Err(_) if repo.is_shallow() && !repo.odb().is_ok_and(|o| o.exists(p)) => {}
                    Err(e) => visitor.error(SourceError::Git(format!(
                        "commit {id}: cannot read parent {p}: {}",
                        e.message()
                    ))),
                }
            }
            // libgit2's diff lists every changed path: measure a hostile tree first.
            let mut trees = git::TreeCache::new(repo, budget);
            if let Err(too_big) =
                git::check_changes(&mut trees, &tree, parents.first(), git::MAX_CHANGED_FILES)
            {
                visitor.error(SourceError::Git(format!("commit {id} was not scanned: {too_big}")));
                return Ok(());
            }
            let mut diff = repo.diff_tree_to_tree(parents.first(), Some(&tree), None)?;
            diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
            let others = parents.get(1..).unwrap_or_default();
            let origin = |path: &[u8]| Origin::Commit {
                path: String::from_utf8_lossy(path).into_owned(),
                commit: info.clone(),
            };
            let old_side = parents.first().map_or(git::Side::Empty, git::Side::Tree);
            let limits = git::Limits { max_file_size: self.max_file_size, budget };
            for change in git::diff_changes(&diff, old_side, git::Side::Tree(&tree)) {
                git::visit_change(repo, &change, others, &self.filter, &origin, &limits, visitor);
            }
            Ok(())
        })();
        if let Err(e) = result {
            visitor.error(SourceError::Git(format!("commit {id}: {}", e.message())));
        }
    }
}

impl Source for Range {
    fn scan(&self, factory: &dyn VisitorFactory) {
        git::run_workers(
            (&self.git_dir, &self.env),
            self.threads,
            self.commits.len(),
            1,
            &self.errors,
            factory,
            &|repo, i, visitor| {
                self.visit_commit(repo.repo(), self.commits[i], repo.budget(), visitor)
            },
        );
    }

    fn planned(&self) -> Option<Planned> {
        Some(Planned { units: self.commits.len() as u64, name: "commits" })
    }
}
