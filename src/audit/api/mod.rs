//! The repositories of a GitHub organisation or user and of a GitLab group, through their REST
//! APIs.
//!
//! [`github_repos`] lists `GET {api}/orgs/{name}/repos?per_page=100&type=all`, and
//! `GET {api}/users/{name}/repos?per_page=100&type=owner` when there is no such organisation
//! (a user's own repositories: `type=all` would add every repository the user merely
//! collaborates on). [`gitlab_projects`] lists
//! `GET {api}/groups/{path}/projects?per_page=100&include_subgroups=true`. Pages follow the
//! `Link` header's `rel="next"` (and GitLab's `x-next-page`).
//!
//! What a caller can count on:
//! - **Rate limits are waited out.** GitHub's 403/429 with `x-ratelimit-remaining: 0` and
//!   `x-ratelimit-reset`, or with `retry-after`; GitLab's 429 with `RateLimit-Reset` or
//!   `Retry-After` (a 429 without either waits a minute). Each wait is reported as an
//!   [`ApiEvent`] first; a wait longer than [`ApiOptions::max_rate_limit_wait`] is an error that
//!   says when to retry. Server errors (500, 502, 503, 504) are retried twice.
//! - **The token stays with the API.** It goes in `Authorization: Bearer` (GitHub) or
//!   `PRIVATE-TOKEN` (GitLab), only to the API's own origin (scheme, host and port of the API
//!   URL): a next-page link or a redirect to anywhere else is refused, with or without a token,
//!   so a listing never mixes in another server's answer. It is never sent over plain `http`
//!   except to a loopback address, and it appears in no error, event or `Debug` output.
//! - **Bounded work.** Each request has a timeout ([`ApiOptions::timeout`]), each page a size
//!   limit ([`ApiOptions::max_page_bytes`]), each listing a page limit; a page that is not the
//!   expected JSON is an error naming the URL.
//!
//! The HTTP client is ureq with the system's TLS library (OpenSSL through native-tls, the one
//! git2's `https` transport uses) and the system's certificate store, so GitHub Enterprise and
//! GitLab servers with an internal certificate authority work as they do for git.

mod github;
mod gitlab;
mod http;

use std::fmt;
use std::time::Duration;

pub use github::github_repos;
pub use gitlab::gitlab_projects;

/// GitHub's public API.
pub const GITHUB_API: &str = "https://api.github.com";
/// GitLab.com's API.
pub const GITLAB_API: &str = "https://gitlab.com/api/v4";

/// An API token. `Debug` and `Display` show `***`; the value leaves only in a request header.
#[derive(Clone)]
pub struct ApiToken(String);

impl ApiToken {
    /// A token, checked to be something an HTTP header can carry (visible ASCII, no spaces).
    ///
    /// # Errors
    ///
    /// [`ApiError::BadToken`] when it is empty or holds other characters; the error does not
    /// repeat the value.
    pub fn new(value: impl Into<String>) -> Result<Self, ApiError> {
        let value = value.into();
        let value = value.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::BadToken);
        }
        Ok(Self(value.to_owned()))
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which hosting API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// GitHub or GitHub Enterprise Server.
    GitHub,
    /// GitLab.com or a self-managed GitLab.
    GitLab,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::GitHub => "GitHub",
            Self::GitLab => "GitLab",
        })
    }
}

/// Limits of the API requests. `Debug` hides credentials in the proxy URL.
#[derive(Clone)]
pub struct ApiOptions {
    /// The whole of one request: connecting, sending, the answer's headers and body.
    pub timeout: Duration,
    /// The longest rate-limit wait accepted; a longer one is [`ApiError::RateLimitTooLong`].
    pub max_rate_limit_wait: Duration,
    /// The largest page body accepted.
    pub max_page_bytes: u64,
    /// The most pages one listing follows (100 repositories each).
    pub max_pages: usize,
    /// An HTTP proxy (`http://host:port`), none by default. The library reads no environment
    /// variable: a caller that honours `HTTPS_PROXY` passes it here.
    pub proxy: Option<String>,
}

impl fmt::Debug for ApiOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiOptions")
            .field("timeout", &self.timeout)
            .field("max_rate_limit_wait", &self.max_rate_limit_wait)
            .field("max_page_bytes", &self.max_page_bytes)
            .field("max_pages", &self.max_pages)
            .field("proxy", &self.proxy.as_deref().map(crate::audit::sources::url::redact))
            .finish()
    }
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            max_rate_limit_wait: Duration::from_secs(3600),
            max_page_bytes: 16 << 20,
            max_pages: 10_000,
            proxy: None,
        }
    }
}

/// A repository as a hosting API lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostedRepo {
    /// `owner/name` (GitHub's `full_name`, GitLab's `path_with_namespace`).
    pub name: String,
    /// The HTTPS clone URL (`clone_url`, `http_url_to_repo`).
    pub clone_url: String,
    /// A fork (`fork`; GitLab: `forked_from_project` present).
    pub fork: bool,
    /// Archived.
    pub archived: bool,
}

/// Something worth telling the user while listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiEvent {
    /// A rate limit: the listing waits `wait`, until `until`.
    RateLimited {
        /// The API.
        provider: Provider,
        /// How long.
        wait: Duration,
        /// Until when.
        until: jiff::Timestamp,
    },
    /// A server error (`status`): the request is tried again after `wait`.
    Retrying {
        /// The API.
        provider: Provider,
        /// The status answered.
        status: u16,
        /// How long before trying again.
        wait: Duration,
    },
    /// A page was read.
    Page {
        /// The API.
        provider: Provider,
        /// The organisation, user or group.
        owner: String,
        /// Its number, from 1.
        page: usize,
        /// Repositories on it.
        repos: usize,
    },
}

impl fmt::Display for ApiEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited { provider, wait, until } => write!(
                f,
                "{provider} rate limit reached: waiting {} s, until {until:.0}",
                wait.as_secs_f64().ceil()
            ),
            Self::Retrying { provider, status, wait } => write!(
                f,
                "{provider} answered {status}: trying again in {} s",
                wait.as_secs_f64().ceil()
            ),
            Self::Page { provider, owner, page, repos } => {
                write!(f, "{provider} {owner}: page {page}, {repos} repositories")
            }
        }
    }
}

/// Why a listing failed. No variant holds the token.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The token is empty or holds characters a header cannot carry.
    #[error("the API token is empty or holds characters other than visible ASCII")]
    BadToken,
    /// The API URL is not an `http(s)://host[/path]` URL.
    #[error("invalid {provider} API URL '{url}': {reason}")]
    ApiUrl {
        /// The API.
        provider: Provider,
        /// The URL given, its credentials (if any) hidden.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A token would go over plain HTTP to a host that is not loopback.
    #[error(
        "refusing to send the {provider} token over plain http to {host}: use an https API URL"
    )]
    InsecureToken {
        /// The API.
        provider: Provider,
        /// The API's host.
        host: String,
    },
    /// The proxy URL is not valid.
    #[error("invalid proxy URL")]
    Proxy,
    /// Not a valid organisation, user or group name.
    #[error("'{name}' is not a valid {provider} {what} name")]
    Name {
        /// The API.
        provider: Provider,
        /// Organisation, user or group.
        what: &'static str,
        /// The name given (control characters replaced).
        name: String,
    },
    /// No such organisation, user or group.
    #[error("{provider} {what} {name} not found")]
    NotFound {
        /// The API.
        provider: Provider,
        /// "organisation or user", "group".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// 401: the token was refused, or one is needed.
    #[error("{}", unauthorized(*provider, *with_token))]
    Unauthorized {
        /// The API.
        provider: Provider,
        /// Whether a token was sent.
        with_token: bool,
    },
    /// 403 that is not a rate limit.
    #[error("{provider} refused access (403 Forbidden) to {url}")]
    Forbidden {
        /// The API.
        provider: Provider,
        /// The URL.
        url: String,
    },
    /// The rate limit asks for a wait longer than the maximum.
    #[error(
        "{provider} rate limit: the API asks to wait {} s, more than the maximum of {} s; \
         retry after {until:.0}",
        wait.as_secs_f64().ceil(), max.as_secs()
    )]
    RateLimitTooLong {
        /// The API.
        provider: Provider,
        /// The wait asked for.
        wait: Duration,
        /// When the limit resets.
        until: jiff::Timestamp,
        /// The maximum accepted.
        max: Duration,
    },
    /// Rate limits or server errors again and again on one request.
    #[error("{provider} kept answering {status} to {url}; giving up after {tries} tries")]
    TooManyTries {
        /// The API.
        provider: Provider,
        /// The last status.
        status: u16,
        /// The URL.
        url: String,
        /// Tries made.
        tries: u32,
    },
    /// Another unexpected status.
    #[error("{provider} answered HTTP {status} to {url}")]
    Status {
        /// The API.
        provider: Provider,
        /// The status.
        status: u16,
        /// The URL.
        url: String,
    },
    /// The request failed: connection, TLS, timeout, protocol.
    #[error("{provider} request to {url} failed: {message}")]
    Transport {
        /// The API.
        provider: Provider,
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// A page larger than the limit.
    #[error("{provider} page {url} is larger than {limit} bytes")]
    TooLarge {
        /// The API.
        provider: Provider,
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// A page that is not the JSON expected.
    #[error("{provider} page {url} is not the expected JSON: {reason}")]
    Malformed {
        /// The API.
        provider: Provider,
        /// The URL.
        url: String,
        /// The parser's message.
        reason: String,
    },
    /// A next-page link or redirect leads off the API's origin.
    #[error(
        "{provider} sent a {via} to {url}, outside the API's origin {origin}: refused, so that \
         nothing (a token above all) is sent there"
    )]
    ForeignOrigin {
        /// The API.
        provider: Provider,
        /// "next-page link" or "redirect".
        via: &'static str,
        /// Where it pointed (credentials hidden).
        url: String,
        /// The API's origin.
        origin: String,
    },
    /// More pages than [`ApiOptions::max_pages`], or a next link seen before.
    #[error("{provider} listing of {name} did not end: {reason}")]
    Endless {
        /// The API.
        provider: Provider,
        /// The organisation, user or group.
        name: String,
        /// Why it stopped.
        reason: String,
    },
}

fn unauthorized(provider: Provider, with_token: bool) -> String {
    let var = match provider {
        Provider::GitHub => "GITHUB_TOKEN",
        Provider::GitLab => "GITLAB_TOKEN",
    };
    if with_token {
        format!("{provider} rejected the token (401 Unauthorized): check {var}")
    } else {
        format!("{provider} asks for authentication (401 Unauthorized): set {var}")
    }
}

/// Text from outside (a name, a server's message) made safe for a terminal and short.
fn printable(text: &str) -> String {
    let mut out: String =
        text.chars().take(200).map(|c| if c.is_control() { '?' } else { c }).collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}
