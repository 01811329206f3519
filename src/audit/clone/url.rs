//! Which clone URLs the cache fetches from, and the name each mirror gets in the cache.
//!
//! The URL of a [`RepoSpec`](crate::audit::RepoSpec) comes from a listing file, the command
//! line or a hosting API: untrusted text handed to libgit2. Refused here, before libgit2 sees
//! it: a leading `-` (an option to whatever reads it next), control characters and white space,
//! git's `<transport>::<address>` form (`ext::` runs a command), schemes other than `https`,
//! `http`, `git` and `file`, and credentials inside the URL (they would be written to the
//! mirror's configuration). `ssh://` and the scp-like `git@host:path` are refused with their own
//! reason: this build of libgit2 has no ssh transport.

use sha2::{Digest, Sha256};

use super::CloneError;

/// The schemes a mirror is fetched with.
const SCHEMES: [&str; 4] = ["https", "http", "git", "file"];

/// The longest readable part of a mirror's directory name, in bytes.
const MAX_NAME: usize = 64;

/// A URL the cache accepts: its scheme and its lower-cased host (empty for `file://`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedUrl {
    /// The URL, as given.
    pub(crate) url: String,
    /// `https`, `http`, `git` or `file`.
    pub(crate) scheme: String,
    /// The host, lower-cased, without port; empty for `file://`.
    pub(crate) host: String,
}

/// Checks `url` (see the module documentation); the refusal says why, without the URL's
/// credentials.
pub(crate) fn check(url: &str) -> Result<CheckedUrl, CloneError> {
    let refuse = |reason: &str| Err(CloneError::Refused { reason: reason.to_owned() });
    if url.is_empty() {
        return refuse("empty URL");
    }
    if url.starts_with('-') {
        return refuse("a URL may not start with '-' (git would read it as an option)");
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse("the URL holds a control character or white space");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        if url.contains("::") {
            return refuse("git's '<transport>::<address>' form (ext::, fd::, …) is not accepted");
        }
        if looks_scp_like(url) {
            return refuse("ssh (git@host:path) is not supported: this build has no ssh transport");
        }
        return refuse("not a URL (scheme://host/path)");
    };
    if scheme.contains("::") {
        return refuse("git's '<transport>::<address>' form (ext::, fd::, …) is not accepted");
    }
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git" {
        return refuse("ssh:// is not supported: this build has no ssh transport");
    }
    if !SCHEMES.contains(&scheme.as_str()) {
        return Err(CloneError::Refused {
            reason: format!(
                "the scheme '{}' is not accepted (only https, http, git and file)",
                printable(&scheme)
            ),
        });
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return refuse(
            "the URL holds credentials (user[:password]@): give a token for its host or use \
             git's credential helpers, so that they are stored nowhere",
        );
    }
    let host = if scheme == "file" {
        if !authority.is_empty() && !authority.eq_ignore_ascii_case("localhost") {
            return refuse("a file:// URL names a path on this machine (file:///path)");
        }
        String::new()
    } else {
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        };
        if host.is_empty() {
            return refuse("the URL has no host");
        }
        host.to_ascii_lowercase()
    };
    Ok(CheckedUrl { url: url.to_owned(), scheme, host })
}

/// git's scp-like form: a colon before any slash, with something before it.
fn looks_scp_like(url: &str) -> bool {
    match (url.find(':'), url.find('/')) {
        (Some(colon), Some(slash)) => colon > 0 && colon < slash,
        (Some(colon), None) => colon > 0,
        _ => false,
    }
}

/// A scheme for an error message: at most 20 characters.
fn printable(text: &str) -> String {
    text.chars().take(20).collect()
}

/// The directory name of `id`'s mirror, without `.git`: the readable `name` made safe (ASCII
/// letters, digits, `.`, `_` and `-`; anything else becomes `_`; no leading `.` or `-`; at most
/// 64 bytes), then `-` and 16 hex digits of SHA-256 of `id`, so that two repositories whose
/// names read alike (`acme/api`, `acme_api`) never share a mirror.
pub(crate) fn mirror_name(name: &str, id: &str) -> String {
    let mut safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .take(MAX_NAME)
        .collect();
    while safe.starts_with(['.', '-']) {
        safe.remove(0);
    }
    if safe.is_empty() {
        safe.push_str("repo");
    }
    let digest = Sha256::digest(id.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{safe}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        match check(url) {
            Err(CloneError::Refused { reason }) => reason,
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn accepts_the_fetch_schemes() {
        let ok = check("https://GitHub.com/acme/api.git").unwrap();
        assert_eq!((ok.scheme.as_str(), ok.host.as_str()), ("https", "github.com"));
        assert_eq!(check("git://127.0.0.1:9418/x").unwrap().host, "127.0.0.1");
        assert_eq!(check("http://[::1]:8080/x").unwrap().host, "::1");
        assert_eq!(check("file:///srv/git/x.git").unwrap().host, "");
    }

    #[test]
    fn refuses_hostile_urls() {
        assert!(refused("-uhttps://x/y").contains("'-'"));
        assert!(refused("--upload-pack=touch /tmp/x").contains("'-'"));
        assert!(refused("ext::sh -c touch% /tmp/pwned").contains("white space"));
        assert!(refused("ext::sh").contains("transport"));
        assert!(refused("fd::17").contains("transport"));
        assert!(refused("https://x/y\nz").contains("control"));
        assert!(refused("gopher://x/y").contains("'gopher'"));
        assert!(refused("ssh://git@host/x").contains("ssh"));
        assert!(refused("git@host:acme/api").contains("ssh"));
        assert!(refused("https://user:pw@host/x").contains("credentials"));
        assert!(refused("https://tok@host/x").contains("credentials"));
        assert!(refused("https:///x").contains("no host"));
        assert!(refused("file://otherhost/x").contains("file:///path"));
        assert!(refused("/srv/git/x.git").contains("not a URL"));
        assert!(!refused("https://user:hunter2@host/x").contains("hunter2"));
    }

    #[test]
    fn mirror_names_are_safe_and_distinct() {
        let a = mirror_name("acme/api", "https://h/acme/api");
        let b = mirror_name("acme_api", "https://h/acme_api");
        assert!(a.starts_with("acme_api-") && b.starts_with("acme_api-"));
        assert_ne!(a, b);
        assert_eq!(a.len(), "acme_api-".len() + 16);
        let odd = mirror_name("../../.ssh/x ü", "id");
        assert!(odd.starts_with("_.._.ssh_x__-"), "{odd}");
        assert!(!odd.contains('/'));
        assert!(mirror_name("...", "id").starts_with("repo-"));
        assert!(mirror_name(&"x".repeat(500), "id").len() <= MAX_NAME + 17);
    }
}
