//! The clone loop of an audit: repositories obtained from the cache by a few threads at once,
//! handed to the consumer in the order they finish, never far ahead of it.
//!
//! At most `concurrency` fetches run at once, and at most `buffer` finished ones wait in the
//! channel; a thread with a result and no room waits too, so no more than
//! `concurrency + buffer` results exist that the consumer has not taken. Memory stays bounded
//! whatever the number of repositories. Dropping [`Clones`] cancels the fetches under way (at
//! their next callback, or libgit2's socket timeout) and waits for the threads.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::{Cache, CloneError, Credentials, FetchLimits, Mirror};
use crate::audit::RepoSpec;

/// How [`Clones`] runs.
#[derive(Clone)]
pub struct CloneOptions {
    /// Fetches at once (at least 1).
    pub concurrency: usize,
    /// Finished results that may wait for the consumer (at least 1).
    pub buffer: usize,
    /// The longest one attempt may take.
    pub timeout: Duration,
    /// Attempts after a failed one.
    pub retries: u32,
    /// Tokens and credential helpers.
    pub credentials: Credentials,
    /// Called, on the fetching thread, when a repository's fetch starts and ends: for a
    /// progress display of the current ones. It must be quick and must not panic.
    pub events: Option<Arc<dyn Fn(&CloneEvent<'_>) + Send + Sync>>,
}

impl Default for CloneOptions {
    fn default() -> CloneOptions {
        CloneOptions {
            concurrency: 4,
            buffer: 4,
            timeout: Duration::from_secs(600),
            retries: 1,
            credentials: Credentials::default(),
            events: None,
        }
    }
}

impl fmt::Debug for CloneOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloneOptions")
            .field("concurrency", &self.concurrency)
            .field("buffer", &self.buffer)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("credentials", &self.credentials)
            .field("events", &self.events.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// What a fetching thread tells [`CloneOptions::events`].
#[derive(Debug)]
pub enum CloneEvent<'a> {
    /// It starts on this repository.
    Started(&'a RepoSpec),
    /// It is done with this repository (the result goes to the consumer next).
    Finished(&'a RepoSpec, &'a Result<Mirror, CloneError>),
}

/// The result of one repository.
type Outcome = (RepoSpec, Result<Mirror, CloneError>);

/// Repositories being obtained from a [`Cache`]; iterate to take them as they finish.
pub struct Clones {
    results: Option<Receiver<Outcome>>,
    cancel: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Clones {
    /// Starts obtaining `specs` from `cache` with `options`' bounds. The iterator yields each
    /// spec once, with its mirror or why there is none, in the order they finish.
    pub fn start(cache: Cache, specs: Vec<RepoSpec>, options: CloneOptions) -> Clones {
        let concurrency = options.concurrency.max(1).min(specs.len().max(1));
        let (sender, receiver) = mpsc::sync_channel(options.buffer.max(1));
        let queue = Arc::new(Mutex::new(specs.into_iter()));
        let cancel = Arc::new(AtomicBool::new(false));
        let limits = Arc::new(FetchLimits {
            timeout: options.timeout,
            retries: options.retries,
            credentials: options.credentials,
        });
        let threads = (0..concurrency)
            .map(|n| {
                let worker = Worker {
                    cache: cache.clone(),
                    queue: Arc::clone(&queue),
                    results: sender.clone(),
                    cancel: Arc::clone(&cancel),
                    limits: Arc::clone(&limits),
                    events: options.events.clone(),
                };
                thread::Builder::new()
                    .name(format!("keysentry-clone-{n}"))
                    .spawn(move || worker.run())
            })
            .filter_map(Result::ok)
            .collect();
        Clones { results: Some(receiver), cancel, threads }
    }
}

impl Iterator for Clones {
    type Item = (RepoSpec, Result<Mirror, CloneError>);

    fn next(&mut self) -> Option<Self::Item> {
        self.results.as_ref()?.recv().ok()
    }
}

impl Drop for Clones {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        // Closing the channel wakes the threads waiting to hand over a result.
        self.results = None;
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

/// One fetching thread.
struct Worker {
    cache: Cache,
    queue: Arc<Mutex<std::vec::IntoIter<RepoSpec>>>,
    results: SyncSender<Outcome>,
    cancel: Arc<AtomicBool>,
    limits: Arc<FetchLimits>,
    events: Option<Arc<dyn Fn(&CloneEvent<'_>) + Send + Sync>>,
}

impl Worker {
    fn run(self) {
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return;
            }
            // A poisoned queue (a panic in another thread while it held it) still holds specs.
            let next = self.queue.lock().unwrap_or_else(|p| p.into_inner()).next();
            let Some(spec) = next else { return };
            if let Some(events) = &self.events {
                events(&CloneEvent::Started(&spec));
            }
            let result = self.cache.obtain(&spec, &self.limits, &self.cancel);
            if let Some(events) = &self.events {
                events(&CloneEvent::Finished(&spec, &result));
            }
            if self.results.send((spec, result)).is_err() {
                return;
            }
        }
    }
}
