//! Mirrors of remote repositories in a clone cache, fetched incrementally, with a timeout, a
//! retry and bounded concurrency ([`Clones`]).
//!
//! A remote [`RepoSpec`] is mirrored into `DIR/<name>-<16 hex>.git`: a bare repository with
//! every ref of the remote (`+refs/*:refs/*`), its remote URL stored as given (the cache
//! refuses URLs that hold credentials). The 16 hex digits are the start of SHA-256 of the
//! spec's id, so two repositories whose names read alike never share a mirror.
//!
//! What the cache guarantees:
//! - A mirror appears at its path only complete: a clone goes to a temporary directory in the
//!   cache (`<mirror>.git.tmp-…`) and is renamed into place at the end. A clone killed half-way
//!   leaves only a temporary directory, removed the next time the cache is opened or that
//!   mirror is used.
//! - One operation at a time per mirror, across threads and processes: a lock file
//!   (`<mirror>.lock`) is held while a mirror is cloned, fetched or replaced.
//! - A mirror that no longer opens, or whose refs point at objects it cannot read, is cloned
//!   again; a mirror whose fetch fails (the network, the server) is returned as it was, marked
//!   stale, with the reason.
//! - Entries of the cache that are symbolic links are never followed: the operation fails.
//! - Local repositories ([`RepoLocation::Local`]) are not copied: their path is returned once
//!   git2 opens it.

mod credentials;
mod driver;
mod fetch;
mod timeouts;
mod url;

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use git2::{Repository, RepositoryInitOptions};

pub use credentials::{Credentials, Helpers, HostToken, TokenKind};
pub use driver::{CloneEvent, CloneOptions, Clones};

use crate::audit::{RepoLocation, RepoSpec};
use fetch::{Bounds, Failure};

/// The suffix of a mirror's temporary directory, after the mirror's directory name.
const TEMP_MARK: &str = ".git.tmp-";

/// The pause before a retry.
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// Why a repository could not be had from the cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloneError {
    /// The URL is refused before anything is fetched (see the reason); never retried.
    #[error("URL refused: {reason}")]
    Refused {
        /// Why.
        reason: String,
    },
    /// An entry of the cache is a symbolic link, which the cache never follows.
    #[error("{} is a symbolic link: the clone cache does not follow links", path.display())]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// The cache directory could not be read or written.
    #[error("clone cache {}: {reason}", path.display())]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// A local repository that git2 cannot open.
    #[error("{}: not a repository git can open: {reason}", path.display())]
    NotARepository {
        /// Its path.
        path: PathBuf,
        /// libgit2's reason.
        reason: String,
    },
    /// Every attempt ran past the timeout (a server that does not answer, or too slowly).
    #[error("timed out after {timeout:?} ({attempts} attempts)")]
    Timeout {
        /// The timeout of one attempt.
        timeout: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The server refused the credentials, or wanted some and none were given for its host.
    #[error("authentication failed: {reason}")]
    Authentication {
        /// libgit2's reason.
        reason: String,
    },
    /// Every attempt failed (network, protocol, the server's refusal).
    #[error("fetch failed ({attempts} attempts): {reason}")]
    Transfer {
        /// The last attempt's reason, from libgit2.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The audit stopped before the repository was fetched.
    #[error("cancelled")]
    Cancelled,
}

impl CloneError {
    fn cache(path: &Path, error: &io::Error) -> CloneError {
        CloneError::Cache { path: path.to_owned(), reason: error.to_string() }
    }
}

/// A repository ready to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The repository to open: the mirror in the cache, or the local repository's own path.
    pub path: PathBuf,
    /// Cloned or fetched in this call (false for a local repository and for a stale mirror).
    pub fetched: bool,
    /// An existing mirror whose fetch failed: it is as the last successful fetch left it.
    pub stale: bool,
    /// Why it is stale.
    pub stale_reason: Option<CloneError>,
}

/// How one fetch is bounded.
#[derive(Debug, Clone)]
pub struct FetchLimits {
    /// The longest one attempt may take.
    pub timeout: Duration,
    /// Attempts after the first one fails (a timeout or a transfer failure).
    pub retries: u32,
    /// Tokens and credential helpers.
    pub credentials: Credentials,
}

impl Default for FetchLimits {
    fn default() -> FetchLimits {
        FetchLimits {
            timeout: Duration::from_secs(600),
            retries: 1,
            credentials: Credentials::default(),
        }
    }
}

/// A directory of mirrors. Cheap to clone: clones share one sequence of temporary names.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    sequence: Arc<AtomicU64>,
}

impl Cache {
    /// Opens the cache at `dir`, creating it if needed, and removes temporary directories that
    /// killed clones left (those of a mirror nobody holds the lock of).
    ///
    /// Fails when `dir` cannot be created or is not a directory.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Cache, CloneError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| CloneError::cache(&dir, &e))?;
        let meta = fs::metadata(&dir).map_err(|e| CloneError::cache(&dir, &e))?;
        if !meta.is_dir() {
            return Err(CloneError::Cache { path: dir, reason: "not a directory".to_owned() });
        }
        let cache = Cache { dir, sequence: Arc::new(AtomicU64::new(0)) };
        cache.sweep()?;
        Ok(cache)
    }

    /// The cache's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the mirror of `spec` is (or would be).
    pub fn mirror_path(&self, spec: &RepoSpec) -> PathBuf {
        self.dir.join(format!("{}.git", url::mirror_name(&spec.name, &spec.id)))
    }

    /// The repository of `spec`, ready to scan: a local one checked openable; a remote one
    /// cloned on first use, else fetched (with prune), each attempt within `limits.timeout`,
    /// failures retried `limits.retries` times. `cancel` stops the fetch under way.
    ///
    /// An existing mirror whose fetch fails is returned stale; a damaged one is cloned again.
    pub fn obtain(
        &self,
        spec: &RepoSpec,
        limits: &FetchLimits,
        cancel: &AtomicBool,
    ) -> Result<Mirror, CloneError> {
        let url = match &spec.location {
            RepoLocation::Local(path) => return open_local(path),
            RepoLocation::Remote(url) => url::check(url)?,
        };
        let name = url::mirror_name(&spec.name, &spec.id);
        let path = self.dir.join(format!("{name}.git"));
        let _lock = self.lock(&name)?;
        self.remove_leftovers(&name)?;
        match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(CloneError::cache(&path, &e)),
            Ok(meta) if meta.file_type().is_symlink() => return Err(CloneError::Symlink { path }),
            Ok(meta) => {
                if meta.is_dir() && fetch::check_mirror(&path).is_ok() {
                    match self.update(&path, &url, limits, cancel) {
                        Ok(()) => {
                            return Ok(Mirror {
                                path,
                                fetched: true,
                                stale: false,
                                stale_reason: None,
                            });
                        }
                        Err(Updated::Stale(reason)) => {
                            return Ok(Mirror {
                                path,
                                fetched: false,
                                stale: true,
                                stale_reason: Some(reason),
                            });
                        }
                        Err(Updated::Corrupt) => {}
                    }
                }
                // Damaged: moved aside (a temporary name, removed below or by the next sweep),
                // so that a crash from here on leaves no mirror rather than a damaged one.
                let aside = self.temp_path(&name);
                fs::rename(&path, &aside).map_err(|e| CloneError::cache(&path, &e))?;
                remove_entry(&aside)?;
            }
        }
        self.clone_new(&name, &path, &url, limits, cancel)?;
        Ok(Mirror { path, fetched: true, stale: false, stale_reason: None })
    }

    /// Fetches into the existing mirror at `path`, retrying.
    fn update(
        &self,
        path: &Path,
        url: &url::CheckedUrl,
        limits: &FetchLimits,
        cancel: &AtomicBool,
    ) -> Result<(), Updated> {
        let repo = Repository::open_bare(path).map_err(|_| Updated::Corrupt)?;
        let outcome = retrying(limits, cancel, |bounds| fetch::fetch(&repo, url, bounds));
        match outcome {
            Ok(()) => Ok(()),
            Err(Attempted::Corrupt) => Err(Updated::Corrupt),
            Err(Attempted::Failed(error)) => Err(Updated::Stale(error)),
        }
    }

    /// Clones `url` into a temporary directory, then renames it to `path`.
    fn clone_new(
        &self,
        name: &str,
        path: &Path,
        url: &url::CheckedUrl,
        limits: &FetchLimits,
        cancel: &AtomicBool,
    ) -> Result<(), CloneError> {
        let outcome = retrying(limits, cancel, |bounds| {
            let temp = self.temp_path(name);
            let result = clone_into(&temp, url, bounds);
            match result {
                Ok(()) => match fetch::check_mirror(&temp) {
                    Ok(()) => Ok(temp),
                    Err(reason) => {
                        let _ = remove_entry(&temp);
                        Err(Failure::Transfer(reason))
                    }
                },
                Err(failure) => {
                    let _ = remove_entry(&temp);
                    // A fresh repository is not damaged: whatever went wrong came from the
                    // transfer.
                    Err(match failure {
                        Failure::Corrupt(reason) => Failure::Transfer(reason),
                        other => other,
                    })
                }
            }
        });
        match outcome {
            Ok(temp) => fs::rename(&temp, path).map_err(|e| {
                let _ = remove_entry(&temp);
                CloneError::cache(path, &e)
            }),
            Err(Attempted::Failed(error)) => Err(error),
            Err(Attempted::Corrupt) => Err(CloneError::Transfer {
                reason: "the new clone is damaged".to_owned(),
                attempts: limits.retries + 1,
            }),
        }
    }

    /// A new temporary path for mirror `name` (not created).
    fn temp_path(&self, name: &str) -> PathBuf {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        self.dir.join(format!("{name}{TEMP_MARK}{}-{nanos:08x}-{n}", std::process::id()))
    }

    /// Takes mirror `name`'s lock, waiting for whoever holds it; released when dropped (and
    /// by the system when the process dies).
    fn lock(&self, name: &str) -> Result<File, CloneError> {
        let path = self.dir.join(format!("{name}.lock"));
        let file = open_lock(&path)?;
        file.lock().map_err(|e| CloneError::cache(&path, &e))?;
        Ok(file)
    }

    /// Removes mirror `name`'s temporary directories; its lock is held, so nobody uses them.
    fn remove_leftovers(&self, name: &str) -> Result<(), CloneError> {
        let prefix = format!("{name}{TEMP_MARK}");
        let entries = fs::read_dir(&self.dir).map_err(|e| CloneError::cache(&self.dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| CloneError::cache(&self.dir, &e))?;
            if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
                remove_entry(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Removes the temporary directories of every mirror whose lock is free.
    fn sweep(&self) -> Result<(), CloneError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| CloneError::cache(&self.dir, &e))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let file_name = entry.file_name();
                let file_name = file_name.to_str()?;
                let (name, _) = file_name.split_once(TEMP_MARK)?;
                Some(name.to_owned())
            })
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            let path = self.dir.join(format!("{name}.lock"));
            let Ok(file) = open_lock(&path) else { continue };
            if file.try_lock().is_ok() {
                self.remove_leftovers(&name)?;
            }
        }
        Ok(())
    }
}

/// How updating an existing mirror ended, when not fetched.
enum Updated {
    /// The fetch failed; the mirror is as it was.
    Stale(CloneError),
    /// The mirror is damaged: clone it again.
    Corrupt,
}

/// How retried attempts ended, when none succeeded.
enum Attempted {
    /// The reason to report.
    Failed(CloneError),
    /// The repository here is damaged.
    Corrupt,
}

/// Runs `attempt` once, and again up to `limits.retries` times after a timeout or a transfer
/// failure, each with its own deadline; sets libgit2's socket timeouts first.
fn retrying<T>(
    limits: &FetchLimits,
    cancel: &AtomicBool,
    mut attempt: impl FnMut(&Bounds<'_>) -> Result<T, Failure>,
) -> Result<T, Attempted> {
    if let Err(error) = timeouts::lower_to(limits.timeout) {
        return Err(Attempted::Failed(CloneError::Transfer {
            reason: fetch::message(&error),
            attempts: 0,
        }));
    }
    let mut attempts = 0;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Attempted::Failed(CloneError::Cancelled));
        }
        attempts += 1;
        let bounds = Bounds {
            deadline: Instant::now() + limits.timeout,
            cancel,
            credentials: &limits.credentials,
        };
        let failure = match attempt(&bounds) {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        let retry = matches!(failure, Failure::Timeout | Failure::Transfer(_));
        if !retry || attempts > limits.retries || cancel.load(Ordering::Relaxed) {
            return Err(match failure {
                Failure::Corrupt(_) => Attempted::Corrupt,
                Failure::Cancelled => Attempted::Failed(CloneError::Cancelled),
                Failure::Authentication(reason) => {
                    Attempted::Failed(CloneError::Authentication { reason })
                }
                Failure::Timeout => {
                    Attempted::Failed(CloneError::Timeout { timeout: limits.timeout, attempts })
                }
                Failure::Transfer(reason) => {
                    Attempted::Failed(CloneError::Transfer { reason, attempts })
                }
            });
        }
        thread::sleep(RETRY_PAUSE);
    }
}

/// Creates the bare mirror at `temp` (a new directory) and fetches `url` into it.
fn clone_into(temp: &Path, url: &url::CheckedUrl, bounds: &Bounds<'_>) -> Result<(), Failure> {
    fs::create_dir(temp).map_err(|e| Failure::Corrupt(e.to_string()))?;
    let mut options = RepositoryInitOptions::new();
    options.bare(true).no_reinit(true).mkdir(false);
    let repo =
        Repository::init_opts(temp, &options).map_err(|e| Failure::Corrupt(fetch::message(&e)))?;
    fetch::configure(&repo, url)?;
    fetch::fetch(&repo, url, bounds)
}

/// A local repository: its own path, once git2 opens it.
fn open_local(path: &Path) -> Result<Mirror, CloneError> {
    match Repository::open(path) {
        Ok(_) => {
            Ok(Mirror { path: path.to_owned(), fetched: false, stale: false, stale_reason: None })
        }
        Err(e) => {
            Err(CloneError::NotARepository { path: path.to_owned(), reason: fetch::message(&e) })
        }
    }
}

/// Opens (creating) a lock file, refusing a symbolic link.
fn open_lock(path: &Path) -> Result<File, CloneError> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(CloneError::Symlink { path: path.to_owned() });
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc_eloop()) {
            CloneError::Symlink { path: path.to_owned() }
        } else {
            CloneError::cache(path, &e)
        }
    })
}

/// `ELOOP`, what `O_NOFOLLOW` fails with on a link.
fn libc_eloop() -> i32 {
    #[cfg(unix)]
    {
        libc::ELOOP
    }
    #[cfg(not(unix))]
    {
        -1
    }
}

/// Removes a file, link or directory tree without following a link.
fn remove_entry(path: &Path) -> Result<(), CloneError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(CloneError::cache(path, &e)),
    };
    let removed = if meta.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
    match removed {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(CloneError::cache(path, &e)),
        _ => Ok(()),
    }
}
