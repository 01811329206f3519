//! The staged source: what `git commit` is about to record. It compares the index with
//! `HEAD` (or with nothing, before the first commit), reads each new or changed file's content
//! from the object database (where `git add` put it; never from the working tree, so
//! `git add -p` is handled right), scans it whole and reports only findings on the lines the
//! change adds.

use std::path::{Path, PathBuf};

use git2::{DiffFindOptions, DiffOptions, Repository};

use super::git::{self, FileChange, GitEnv, GitError, PathFilter};
use super::{Source, SourceError, VisitorFactory};
use crate::finding::Origin;

/// The staged changes of a repository, listed when it is opened.
#[derive(Debug)]
pub struct Staged {
    git_dir: PathBuf,
    env: GitEnv,
    max_file_size: u64,
    changes: Vec<FileChange>,
    filter: PathFilter,
    errors: Vec<String>,
}

impl Staged {
    /// Opens the repository at or above `path` (or the one `env` names) and lists its staged
    /// changes: those of the index `env` names (`GIT_INDEX_FILE`, which `git commit -a`,
    /// `git commit PATH` and `git commit --amend` hand their hook), else of the repository's
    /// own. A bare repository has no index: that is an error.
    pub fn open(path: &Path, max_file_size: u64, env: &GitEnv) -> Result<Staged, GitError> {
        let repo = git::open(path, env)?;
        if repo.is_bare() {
            return Err(GitError::Revision(format!(
                "{} is a bare repository: it has no staged changes",
                repo.path().display()
            )));
        }
        // An unborn HEAD (no commit yet): everything staged is new.
        let head = match repo.head() {
            Ok(head) => Some(head.peel_to_tree()?),
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                None
            }
            Err(e) => return Err(e.into()),
        };
        let index = git::index_path(&repo, env);
        let changes = match super::index::staged_changes(&repo, head.as_ref(), &index) {
            Some(changes) => changes,
            None => full_diff(&repo, head.as_ref(), &index)?,
        };
        let (filter, errors) = PathFilter::load(&repo);
        Ok(Staged {
            git_dir: repo.path().to_path_buf(),
            env: env.clone(),
            max_file_size,
            changes,
            filter,
            errors,
        })
    }

    /// The number of files the staged changes add or modify.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The same changes without the repository's `.keysentryignore` (`--no-ignore-files`).
    pub fn without_ignore_file(mut self) -> Staged {
        self.filter = PathFilter::default();
        self
    }

    /// The staged files (paths in the repository) whose file name is one of `names`: a
    /// change to the configuration or ignore lists in the very change being checked.
    pub fn touching(&self, names: &[String]) -> Vec<String> {
        self.changes
            .iter()
            .map(|c| String::from_utf8_lossy(&c.path).into_owned())
            .filter(|p| names.iter().any(|n| p.rsplit('/').next() == Some(n.as_str())))
            .collect()
    }
}

/// The staged changes by libgit2's diff of `HEAD` and the index at `path`, with rename
/// detection.
fn full_diff(
    repo: &Repository,
    head: Option<&git2::Tree<'_>>,
    path: &Path,
) -> Result<Vec<FileChange>, GitError> {
    let index = super::index::libgit2_index(repo, path)?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true);
    let mut diff = repo.diff_tree_to_index(head, Some(&index), Some(&mut opts))?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))?;
    let old = head.map_or(git::Side::Empty, git::Side::Tree);
    Ok(git::diff_changes(&diff, old, git::Side::Index(&index)))
}

impl Source for Staged {
    fn scan(&self, factory: &dyn VisitorFactory) {
        let mut visitor = factory.visitor();
        for e in &self.errors {
            visitor.error(SourceError::Git(e.clone()));
        }
        if self.changes.is_empty() {
            return;
        }
        let repo = match git::reopen(&self.git_dir, &self.env) {
            Ok(repo) => repo,
            Err(e) => {
                return visitor.error(SourceError::Git(format!(
                    "cannot open {}: {}",
                    self.git_dir.display(),
                    e.message()
                )));
            }
        };
        let origin =
            |path: &[u8]| Origin::Staged { path: String::from_utf8_lossy(path).into_owned() };
        // One thread: the budget only bounds what one diff holds.
        let budget = super::Budget::new(super::CONTENT_IN_FLIGHT);
        let limits = git::Limits { max_file_size: self.max_file_size, budget: &budget };
        for change in &self.changes {
            git::visit_change(&repo, change, &[], &self.filter, &origin, &limits, visitor.as_mut());
        }
    }
}
