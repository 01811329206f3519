//! Worker threads over a repository, each with its own handle and a cache of trees.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{Oid, Repository, Tree};

use super::{GitEnv, reopen};
use crate::source::{Budget, SourceError, Visitor, VisitorFactory};

/// The trees one worker read last, by id: in a history walk the trees of a commit are read
/// again as its child's parent trees. Bounded; cleared when full.
pub(crate) struct TreeCache<'r> {
    repo: &'r Repository,
    budget: &'r Budget,
    trees: std::collections::HashMap<Oid, Tree<'r>>,
}

impl<'r> TreeCache<'r> {
    const CAPACITY: usize = 2048;

    pub(crate) fn new(repo: &'r Repository, budget: &'r Budget) -> TreeCache<'r> {
        TreeCache { repo, budget, trees: std::collections::HashMap::new() }
    }

    /// The tree `id`, from the cache or the object database.
    pub(crate) fn get(&mut self, id: Oid) -> Result<Tree<'r>, git2::Error> {
        if let Some(t) = self.trees.get(&id) {
            return Ok(t.clone());
        }
        let tree = self.repo.find_tree(id)?;
        if self.trees.len() >= Self::CAPACITY {
            self.trees.clear();
        }
        self.trees.insert(id, tree.clone());
        Ok(tree)
    }
}

/// What a worker thread of [`run_workers`] has: its repository handle, through a cache of
/// the trees it read last, and the content budget it shares with the other workers.
pub(crate) type WorkerRepo<'r> = TreeCache<'r>;

impl<'r> TreeCache<'r> {
    /// The repository.
    pub(crate) fn repo(&self) -> &'r Repository {
        self.repo
    }

    /// The content in flight of all the workers (see [`Budget`]).
    pub(crate) fn budget(&self) -> &'r Budget {
        self.budget
    }
}

/// Runs `work(repo, i, visitor)` for every `i` in `0..items` on `threads` worker threads
/// (0: one per core), each with its own handle on the repository at `git_dir` (opened with
/// `env`) and its own
/// visitor. Items are handed out in runs of `run` consecutive indices, so that a worker sees
/// neighbouring commits (whose trees overlap). `errors` are reported first, by one worker.
pub(crate) fn run_workers(
    (git_dir, env): (&Path, &GitEnv),
    threads: usize,
    items: usize,
    run: usize,
    errors: &[String],
    factory: &dyn VisitorFactory,
    work: &(dyn Fn(&mut WorkerRepo<'_>, usize, &mut dyn Visitor) + Sync),
) {
    let threads = crate::source::worker_threads(threads);
    let next = AtomicUsize::new(0);
    let budget = Budget::new(crate::source::CONTENT_IN_FLIGHT);
    std::thread::scope(|scope| {
        for worker in 0..threads.min(items).max(1) {
            let (next, budget) = (&next, &budget);
            scope.spawn(move || {
                let mut visitor = factory.visitor();
                if worker == 0 {
                    for e in errors {
                        visitor.error(SourceError::Git(e.clone()));
                    }
                }
                let repo = match reopen(git_dir, env) {
                    Ok(repo) => repo,
                    Err(e) => {
                        if worker == 0 {
                            visitor.error(SourceError::Git(format!(
                                "cannot open {}: {}",
                                git_dir.display(),
                                e.message()
                            )));
                        }
                        return;
                    }
                };
                let mut cache = TreeCache::new(&repo, budget);
                let run = run.max(1);
                loop {
                    let start = next.fetch_add(run, Ordering::Relaxed);
                    if start >= items {
                        break;
                    }
                    for i in start..(start + run).min(items) {
                        work(&mut cache, i, visitor.as_mut());
                        visitor.unit_done();
                    }
                }
            });
        }
    });
}
