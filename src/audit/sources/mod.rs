//! Where the repositories of an audit come from: directory trees, listing files, clone URLs,
//! GitHub organisations and users, GitLab groups.
//!
//! [`collect`] takes a [`SourceOptions`] and the [`Tokens`] (the caller reads `GITHUB_TOKEN` and
//! `GITLAB_TOKEN`; this library reads no environment variable) and returns every
//! [`RepoSpec`] once, sorted by [`RepoSpec::id`], with the problems met on the way:
//! - **directories** ([`SourceOptions::dirs`]) are searched for working copies, bare
//!   repositories and mirrors, never entering a `.git` directory or a bare repository but
//!   going on through working trees (nested repositories): symbolic links are not followed, the
//!   depth is bounded ([`SourceOptions::max_depth`]), an unreadable directory is a problem; the
//!   id is the canonical path (made UTF-8 lossily);
//! - **listing files** ([`SourceOptions::lists`]): a local path or clone URL a line, `#`
//!   comments; a bad line is a problem naming the file and line;
//! - **URLs** ([`SourceOptions::urls`]) are checked by [`url::remote_spec`]: only https, http,
//!   git, ssh, file and `git@host:path`, and no embedded credentials;
//! - **GitHub and GitLab** names are listed through [`crate::audit::api`], forks and archived
//!   repositories left out unless asked for.
//!
//! When one repository comes from several places it is kept once, with what the hosting API
//! said about it (fork, archived, its `owner/name`).
//!
//! ```
//! use keysentry::audit::sources::{SourceOptions, Tokens, collect};
//!
//! let tree = tempfile::tempdir()?;
//! git2::Repository::init_bare(tree.path().join("srv/api.git")).expect("a bare repository");
//! git2::Repository::init(tree.path().join("work/app")).expect("a working copy");
//! let mut options = SourceOptions::default();
//! options.add_target(tree.path().as_os_str());
//! let collected = collect(&options, &Tokens::default(), &mut |event| eprintln!("{event}"))?;
//! let names: Vec<_> = collected.repos.iter().map(|r| r.name.as_str()).collect();
//! assert_eq!(names, ["api", "app"]);
//! assert!(collected.problems.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod list;
pub mod url;
mod walk;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub use walk::DEFAULT_MAX_DEPTH;

use super::RepoSpec;
use super::api::{self, ApiError, ApiEvent, ApiOptions, ApiToken, HostedRepo, Provider};
use url::{UrlError, looks_like_url, redact, remote_spec};

/// What to collect.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// Directory trees to search.
    pub dirs: Vec<PathBuf>,
    /// Listing files.
    pub lists: Vec<PathBuf>,
    /// Clone URLs.
    pub urls: Vec<String>,
    /// GitHub organisations or users.
    pub github: Vec<String>,
    /// GitLab groups (full paths).
    pub gitlab: Vec<String>,
    /// The GitHub API URL; [`api::GITHUB_API`] when `None`.
    pub github_api: Option<String>,
    /// The GitLab API URL; [`api::GITLAB_API`] when `None`.
    pub gitlab_api: Option<String>,
    /// Keep the forks an API lists.
    pub include_forks: bool,
    /// Keep the archived repositories an API lists.
    pub include_archived: bool,
    /// How deep below each directory the search goes.
    pub max_depth: usize,
    /// Limits of the API requests.
    pub api: ApiOptions,
}

impl Default for SourceOptions {
    fn default() -> Self {
        Self {
            dirs: Vec::new(),
            lists: Vec::new(),
            urls: Vec::new(),
            github: Vec::new(),
            gitlab: Vec::new(),
            github_api: None,
            gitlab_api: None,
            include_forks: false,
            include_archived: false,
            max_depth: DEFAULT_MAX_DEPTH,
            api: ApiOptions::default(),
        }
    }
}

impl SourceOptions {
    /// Adds a command-line argument as a URL or a directory: a URL when it has `://`, a
    /// directory when that path exists, else a URL when it is git's `host:path` form, else a
    /// directory (whose absence [`collect`] then reports).
    pub fn add_target(&mut self, target: &OsStr) {
        match target.to_str() {
            Some(text) if text.contains("://") => self.urls.push(text.to_owned()),
            Some(text) if !Path::new(target).exists() && looks_like_url(text) => {
                self.urls.push(text.to_owned());
            }
            _ => self.dirs.push(PathBuf::from(target)),
        }
    }
}

/// The API tokens. `Debug` shows none of them. The command reads them from `GITHUB_TOKEN` and
/// `GITLAB_TOKEN` (an empty variable meaning none) and makes them with [`ApiToken::new`].
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// For the GitHub API (`GITHUB_TOKEN`).
    pub github: Option<ApiToken>,
    /// For the GitLab API (`GITLAB_TOKEN`).
    pub gitlab: Option<ApiToken>,
}

/// What [`collect`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    /// Every repository once, sorted by id.
    pub repos: Vec<RepoSpec>,
    /// What could not be used, one sentence each: unreadable directories, bad listing lines,
    /// refused clone URLs in an API's answer.
    pub problems: Vec<String>,
    /// Forks an API listed that were left out.
    pub skipped_forks: usize,
    /// Archived repositories an API listed that were left out (forks counted above).
    pub skipped_archived: usize,
}

/// Why [`collect`] failed: a source named by the caller could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A directory to search does not exist or cannot be read.
    #[error("cannot search {}: {source}", path.display())]
    Directory {
        /// The directory given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A listing file cannot be read.
    #[error("cannot read the listing file {}: {source}", path.display())]
    List {
        /// The file given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A URL given is refused.
    #[error("refused repository URL{url}: {source}")]
    Url {
        /// The URL, redacted, with a leading space; empty when it holds credentials.
        url: String,
        /// Why.
        source: UrlError,
    },
    /// Listing a GitHub organisation or user or a GitLab group failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Collects the repositories of `options` (see the module documentation), reporting rate-limit
/// waits, retries and pages to `log`.
///
/// # Errors
///
/// [`SourceError`] when a directory, listing file, URL, organisation or group the caller named
/// cannot be used at all; trouble with one entry inside them is a problem in [`Collected`].
pub fn collect(
    options: &SourceOptions,
    tokens: &Tokens,
    log: &mut dyn FnMut(&ApiEvent),
) -> Result<Collected, SourceError> {
    let mut out = Collected::default();
    // (spec, rank): what an API said is kept over the same repository found elsewhere.
    let mut all: Vec<(RepoSpec, u8)> = Vec::new();
    for dir in &options.dirs {
        let found = walk::discover(dir, options.max_depth, &mut out.problems)
            .map_err(|source| SourceError::Directory { path: dir.clone(), source })?;
        all.extend(found.into_iter().map(|s| (s, 1)));
    }
    for file in &options.lists {
        let found = list::read_list(file, &mut out.problems)
            .map_err(|source| SourceError::List { path: file.clone(), source })?;
        all.extend(found.into_iter().map(|s| (s, 1)));
    }
    for url in &options.urls {
        let spec = remote_spec(url).map_err(|source| SourceError::Url {
            url: match source {
                UrlError::Credentials => String::new(),
                _ => format!(" {}", redact(url.trim()).escape_debug()),
            },
            source,
        })?;
        all.push((spec, 1));
    }
    for owner in &options.github {
        let hosted = api::github_repos(
            options.github_api.as_deref(),
            owner,
            tokens.github.as_ref(),
            &options.api,
            log,
        )?;
        add_hosted(Provider::GitHub, hosted, options, &mut out, &mut all);
    }
    for group in &options.gitlab {
        let hosted = api::gitlab_projects(
            options.gitlab_api.as_deref(),
            group,
            tokens.gitlab.as_ref(),
            &options.api,
            log,
        )?;
        add_hosted(Provider::GitLab, hosted, options, &mut out, &mut all);
    }
    all.sort_by(|(a, ra), (b, rb)| a.id.cmp(&b.id).then(ra.cmp(rb)));
    all.dedup_by(|(later, _), (kept, _)| later.id == kept.id);
    out.repos = all.into_iter().map(|(spec, _)| spec).collect();
    Ok(out)
}

fn add_hosted(
    provider: Provider,
    hosted: Vec<HostedRepo>,
    options: &SourceOptions,
    out: &mut Collected,
    all: &mut Vec<(RepoSpec, u8)>,
) {
    for repo in hosted {
        if repo.fork && !options.include_forks {
            out.skipped_forks += 1;
            continue;
        }
        if repo.archived && !options.include_archived {
            out.skipped_archived += 1;
            continue;
        }
        match remote_spec(&repo.clone_url) {
            Ok(mut spec) => {
                spec.name = repo.name;
                spec.fork = repo.fork;
                spec.archived = repo.archived;
                all.push((spec, 0));
            }
            Err(e) => out.problems.push(format!(
                "{provider} repository {}: its clone URL is refused: {e}",
                repo.name.escape_debug()
            )),
        }
    }
}
