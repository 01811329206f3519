//! HTTPS credentials for fetches: a token the caller gives for a host, else git's credential
//! helpers, and never the same refusal twice.
//!
//! The token reaches libgit2 only through the credential callback, for the host it was given
//! for: it is never put in a URL, so it is never in a mirror's configuration, in libgit2's error
//! messages or in a redirect to another host. [`HostToken`]'s `Debug` shows the host only.

use std::fmt;

use crate::finding::Secret;

/// How many times one fetch asks for credentials before it gives up. libgit2 asks again
/// each time the server refuses what it was given: without a bound a wrong token loops forever.
const MAX_ATTEMPTS: u32 = 2;

/// Which hosting service a token is for; it decides the user name sent with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// GitHub (github.com or GitHub Enterprise): user name `x-access-token`.
    GitHub,
    /// GitLab (gitlab.com or self-managed): user name `oauth2`.
    GitLab,
}

impl TokenKind {
    /// The user name sent with the token over HTTPS.
    pub fn username(self) -> &'static str {
        match self {
            TokenKind::GitHub => "x-access-token",
            TokenKind::GitLab => "oauth2",
        }
    }
}

/// A token for the repositories of one host.
#[derive(Clone)]
pub struct HostToken {
    host: String,
    kind: TokenKind,
    token: Secret,
}

impl HostToken {
    /// A token for `host` (`github.com`, `gitlab.example.com`; compared without case, port
    /// ignored).
    pub fn new(host: &str, kind: TokenKind, token: Secret) -> HostToken {
        HostToken { host: host.to_ascii_lowercase(), kind, token }
    }

    /// The host it is for, lower-cased.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The service it is for.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }
}

impl fmt::Debug for HostToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostToken")
            .field("host", &self.host)
            .field("kind", &self.kind)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The credentials fetches may use: tokens by host, and whether git's credential helpers are
/// asked for hosts without one.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Tokens, one per host (the first one for a host wins).
    pub tokens: Vec<HostToken>,
    /// Ask git's credential helpers (`credential.helper` in the user's git configuration)
    /// for hosts without a token.
    pub helpers: Helpers,
}

/// Whether git's credential helpers are asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Helpers {
    /// Ask them (the default).
    Ask,
    /// Never: hosts without a token are fetched without credentials.
    Never,
}

impl Default for Credentials {
    fn default() -> Credentials {
        Credentials { tokens: Vec::new(), helpers: Helpers::Ask }
    }
}

impl Credentials {
    /// The token for `host`, if one was given.
    fn token_for(&self, host: &str) -> Option<&HostToken> {
        self.tokens.iter().find(|t| t.host == host)
    }
}

/// What one fetch's credential callback did, read after the fetch to explain a failure.
#[derive(Debug, Default)]
pub(crate) struct Asked {
    /// Times libgit2 asked.
    pub(crate) attempts: u32,
    /// It gave up after [`MAX_ATTEMPTS`]: the server refused what it was given.
    pub(crate) gave_up: bool,
}

/// libgit2's credential callback for one fetch of a repository on `host`.
pub(crate) fn callback<'a>(
    credentials: &'a Credentials,
    host: &'a str,
    asked: &'a mut Asked,
) -> impl FnMut(&str, Option<&str>, git2::CredentialType) -> Result<git2::Cred, git2::Error> + 'a {
    move |url, username_from_url, allowed| {
        asked.attempts += 1;
        if asked.attempts > MAX_ATTEMPTS {
            asked.gave_up = true;
            return Err(git2::Error::from_str("the server refused the credentials"));
        }
        // libgit2 asks with the URL it is fetching (after a redirect, perhaps another host's):
        // a token goes only to the host it was given for.
        let asking_host = url_host(url);
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT) {
            if let Some(token) = credentials.token_for(host).filter(|_| asking_host == host) {
                return git2::Cred::userpass_plaintext(token.kind.username(), token.token.expose());
            }
            if credentials.helpers == Helpers::Ask {
                if let Ok(config) = git2::Config::open_default() {
                    if let Ok(cred) = git2::Cred::credential_helper(&config, url, username_from_url)
                    {
                        return Ok(cred);
                    }
                }
            }
        }
        if allowed.contains(git2::CredentialType::DEFAULT) {
            return git2::Cred::default();
        }
        asked.gave_up = true;
        Err(git2::Error::from_str("the server asks for credentials and none were given for it"))
    }
}

/// The lower-cased host of `url`, empty when it has none.
fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let value = ["gh", "p_", "0123456789abcdefghij0123456789abcdef"].concat();
        let token = HostToken::new("GitHub.com", TokenKind::GitHub, Secret::new(value.clone()));
        let shown = format!("{:?}", Credentials { tokens: vec![token], helpers: Helpers::Never });
        assert!(!shown.contains(&value), "{shown}");
        assert!(shown.contains("github.com"), "{shown}");
    }

    #[test]
    fn usernames_by_service() {
        assert_eq!(TokenKind::GitHub.username(), "x-access-token");
        assert_eq!(TokenKind::GitLab.username(), "oauth2");
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(url_host("https://GitHub.com/acme/x"), "github.com");
        assert_eq!(url_host("https://u@h.example:8443/x"), "h.example");
        assert_eq!(url_host("http://[::1]:80/x"), "::1");
    }

    #[test]
    fn gives_up_after_two_attempts() {
        let credentials = Credentials {
            tokens: vec![HostToken::new("h", TokenKind::GitLab, Secret::new("t"))],
            helpers: Helpers::Never,
        };
        let mut asked = Asked::default();
        {
            let mut cb = callback(&credentials, "h", &mut asked);
            let plain = git2::CredentialType::USER_PASS_PLAINTEXT;
            assert!(cb("https://h/x", None, plain).is_ok());
            assert!(cb("https://h/x", None, plain).is_ok());
            assert!(cb("https://h/x", None, plain).is_err());
            // A redirect to another host gets no token.
            assert!(cb("https://other/x", None, plain).is_err());
        }
        assert!(asked.gave_up);
    }

    #[test]
    fn no_token_for_another_host() {
        let credentials = Credentials {
            tokens: vec![HostToken::new("h", TokenKind::GitHub, Secret::new("t"))],
            helpers: Helpers::Never,
        };
        let mut asked = Asked::default();
        let mut cb = callback(&credentials, "h", &mut asked);
        assert!(cb("https://evil/x", None, git2::CredentialType::USER_PASS_PLAINTEXT).is_err());
    }
}
