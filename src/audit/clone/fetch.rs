//! One fetch with libgit2, bounded by a deadline: the callbacks stop it when the deadline
//! passes or the audit is cancelled, and its failure is sorted into what the cache does next
//! (retry, give up, or re-clone a mirror found corrupt).

use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use git2::{AutotagOption, FetchOptions, FetchPrune, RemoteCallbacks, Repository};

use super::credentials::{self, Asked, Credentials};
use super::url::CheckedUrl;

/// Every ref of the remote into the same name here: a mirror.
pub(crate) const MIRROR_REFSPEC: &str = "+refs/*:refs/*";

/// The remote's name in a mirror.
pub(crate) const REMOTE: &str = "origin";

/// The longest part of a libgit2 message an error keeps, in bytes.
const MAX_MESSAGE: usize = 400;

/// What bounds one fetch.
pub(crate) struct Bounds<'a> {
    /// When it is stopped.
    pub(crate) deadline: Instant,
    /// Set when the audit stops.
    pub(crate) cancel: &'a AtomicBool,
    /// Tokens and helpers.
    pub(crate) credentials: &'a Credentials,
}

/// Why one fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The deadline passed (in a callback, or libgit2's socket timeout).
    Timeout,
    /// The audit was cancelled.
    Cancelled,
    /// The server refused the credentials, or asked for some and there were none.
    Authentication(String),
    /// The repository here is damaged (objects, refs, configuration): re-clone it.
    Corrupt(String),
    /// Anything else: network, protocol, the server's refusal.
    Transfer(String),
}

/// Why a callback stopped the fetch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Deadline,
    Cancel,
}

/// Creates the bare mirror configuration in the empty repository `repo`: remote `origin` at
/// `url` (which holds no credentials: [`super::url::check`]) fetching every ref.
pub(crate) fn configure(repo: &Repository, url: &CheckedUrl) -> Result<(), Failure> {
    repo.remote_with_fetch(REMOTE, &url.url, MIRROR_REFSPEC).map_err(corrupt)?;
    let mut config = repo.config().map_err(corrupt)?;
    config.set_bool("remote.origin.mirror", true).map_err(corrupt)?;
    Ok(())
}

/// Fetches every ref of `url` into the mirror `repo`, pruning refs the remote no longer has,
/// and points `HEAD` at the remote's default branch.
pub(crate) fn fetch(
    repo: &Repository,
    url: &CheckedUrl,
    bounds: &Bounds<'_>,
) -> Result<(), Failure> {
    let current = repo.find_remote(REMOTE).ok().and_then(|r| r.url().ok().map(str::to_owned));
    if current.as_deref() != Some(url.url.as_str()) {
        repo.remote_set_url(REMOTE, &url.url).map_err(corrupt)?;
    }
    let mut remote = repo.find_remote(REMOTE).map_err(corrupt)?;
    let stopped = Cell::new(None::<Stop>);
    let mut asked = Asked::default();
    let result = {
        let go_on = || {
            if bounds.cancel.load(Ordering::Relaxed) {
                stopped.set(Some(Stop::Cancel));
                false
            } else if Instant::now() >= bounds.deadline {
                stopped.set(Some(Stop::Deadline));
                false
            } else {
                true
            }
        };
        let mut callbacks = RemoteCallbacks::new();
        callbacks.transfer_progress(|_| go_on());
        callbacks.sideband_progress(|_| go_on());
        callbacks.certificate_check(|_, _| {
            if go_on() {
                // libgit2 verifies the certificate as usual.
                Ok(git2::CertificateCheckStatus::CertificatePassthrough)
            } else {
                Err(git2::Error::from_str("stopped"))
            }
        });
        callbacks.credentials(credentials::callback(bounds.credentials, &url.host, &mut asked));
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(callbacks)
            .prune(FetchPrune::On)
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        remote.fetch(&[MIRROR_REFSPEC], Some(&mut options), None)
    };
    if let Err(error) = result {
        return Err(match stopped.get() {
            Some(Stop::Cancel) => Failure::Cancelled,
            Some(Stop::Deadline) => Failure::Timeout,
            None if asked.gave_up || error.code() == git2::ErrorCode::Auth => {
                Failure::Authentication(message(&error))
            }
            None => classify(&error),
        });
    }
    if let Ok(branch) = remote.default_branch() {
        if let Ok(name) = branch.as_str() {
            if repo.find_reference(name).is_ok() {
                repo.set_head(name).map_err(corrupt)?;
            }
        }
    }
    Ok(())
}

/// Whether the mirror at `path` can be scanned as it is: a bare repository with its remote,
/// every ref's target object readable.
pub(crate) fn check_mirror(path: &Path) -> Result<(), String> {
    let repo = Repository::open_bare(path).map_err(|e| message(&e))?;
    if !repo.is_bare() {
        return Err("not a bare repository".to_owned());
    }
    repo.find_remote(REMOTE).map_err(|e| message(&e))?;
    for reference in repo.references().map_err(|e| message(&e))? {
        let reference = reference.map_err(|e| message(&e))?;
        if let Some(oid) = reference.target() {
            repo.find_object(oid, None).map_err(|e| message(&e))?;
        }
    }
    Ok(())
}

/// Sorts a libgit2 failure that no callback caused.
fn classify(error: &git2::Error) -> Failure {
    use git2::ErrorClass as C;
    let text = message(error);
    if error.code() == git2::ErrorCode::Timeout || text.contains("timed out") {
        return Failure::Timeout;
    }
    match error.class() {
        C::Odb | C::Zlib | C::Repository | C::Object | C::Index | C::Config | C::Reference => {
            Failure::Corrupt(text)
        }
        _ => Failure::Transfer(text),
    }
}

/// A damaged repository here.
fn corrupt(error: git2::Error) -> Failure {
    Failure::Corrupt(message(&error))
}

/// libgit2's message, cut to [`MAX_MESSAGE`] bytes. libgit2 never sees a credential in a URL
/// (they are refused), so its messages hold none.
pub(crate) fn message(error: &git2::Error) -> String {
    let text = error.message();
    let mut end = text.len().min(MAX_MESSAGE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
