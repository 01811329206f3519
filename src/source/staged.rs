//! The staged source: what `git commit` is about to record. It compares the index with
//! `HEAD` (or with nothing, before the first commit), reads each new or changed file's content
//! from the index (never from the working tree, so `git add -p` is handled right), scans it
//! whole and reports only findings on the lines the change adds.

use std::path::{Path, PathBuf};

use git2::{DiffFindOptions, DiffOptions, Repository};

use super::git::{self, GitError};
use super::{Source, SourceError, VisitorFactory};
use crate::finding::Origin;

/// The staged changes of a repository.
#[derive(Debug)]
pub struct Staged {
    git_dir: PathBuf,
    max_file_size: u64,
}

impl Staged {
    /// Opens the repository at or above `path`. A bare repository has no index: that is an
    /// error.
    pub fn open(path: &Path, max_file_size: u64) -> Result<Staged, GitError> {
        let repo = git::open(path)?;
        if repo.is_bare() {
            return Err(GitError::Revision(format!(
                "{} is a bare repository: it has no staged changes",
                repo.path().display()
            )));
        }
        Ok(Staged { git_dir: repo.path().to_path_buf(), max_file_size })
    }
}

impl Source for Staged {
    fn scan(&self, factory: &dyn VisitorFactory) {
        let mut visitor = factory.visitor();
        let result = (|| -> Result<(), git2::Error> {
            let repo = Repository::open(&self.git_dir)?;
            let index = repo.index()?;
            // An unborn HEAD (no commit yet): everything staged is new.
            let head = match repo.head() {
                Ok(head) => Some(head.peel_to_tree()?),
                Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
                Err(e) if e.code() == git2::ErrorCode::NotFound => None,
                Err(e) => return Err(e),
            };
            let mut opts = DiffOptions::new();
            opts.include_typechange(true);
            let mut diff = repo.diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut opts))?;
            diff.find_similar(Some(DiffFindOptions::new().renames(true).copies(false)))?;
            let origin =
                |path: &[u8]| Origin::Staged { path: String::from_utf8_lossy(path).into_owned() };
            let (filter, errors) = git::PathFilter::load(&repo);
            for e in errors {
                visitor.error(SourceError::Git(e));
            }
            git::visit_diff(
                &repo,
                &diff,
                &[],
                &filter,
                &origin,
                self.max_file_size,
                visitor.as_mut(),
            );
            Ok(())
        })();
        if let Err(e) = result {
            visitor.error(SourceError::Git(format!(
                "cannot read the staged changes: {}",
                e.message()
            )));
        }
    }
}
