//! Clone URLs: which ones an audit accepts, and the identity ([`RepoSpec::id`]) each one has.
//!
//! Accepted: `https://`, `http://`, `git://`, `ssh://` and `file://` URLs, and git's scp-like
//! form `[user@]host:path` (git's rule: a colon before any slash). Everything else is refused
//! with the reason: other schemes (`ext::` and `fd::` run commands, and git would accept them
//! as transports), a leading `-` (git would read it as an option), control characters and
//! white space, and **credentials embedded in the URL**. An audit's URLs come from the command
//! line and from listing files, and the URL of a repository ends up in the clone cache's
//! configuration, the datastore and reports: a password or token inside one would be written to
//! all of them. Credentials come from `GITHUB_TOKEN`/`GITLAB_TOKEN` or git's credential
//! helpers instead. A user name without a password (`ssh://git@host/…`, `git@host:…`) is a
//! login name, not a credential, and is accepted for `ssh` and the scp-like form only: in an
//! `https` URL the "user name" is commonly a token.
//!
//! The identity: scheme and host in lower case, no user name, no query or fragment, no trailing
//! `/` or `.git`; the scp-like form becomes `ssh://host/path`, so that `git@host:acme/api.git`
//! and `ssh://git@host/acme/api` are one repository.

use crate::audit::{RepoLocation, RepoSpec};

/// Why a URL is refused. The messages never repeat the URL's credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Empty after trimming.
    #[error("empty URL")]
    Empty,
    /// Starts with `-`: git would read it as an option.
    #[error("a URL may not start with '-' (git would read it as an option)")]
    LeadingDash,
    /// Holds a control character or white space.
    #[error("the URL holds a control character or white space")]
    ControlCharacter,
    /// A scheme other than the accepted ones.
    #[error(
        "the scheme '{0}' is not accepted (only https, http, git, ssh, file and git@host:path)"
    )]
    Scheme(String),
    /// Credentials in the URL.
    #[error(
        "the URL holds credentials (user:password@ or a token before '@'); they are refused so \
         that they are stored nowhere: give GITHUB_TOKEN/GITLAB_TOKEN or use git's credential \
         helpers"
    )]
    Credentials,
    /// No host (or a malformed one) where the scheme needs one.
    #[error("the URL has no valid host")]
    Host,
    /// A port that is not a number.
    #[error("the URL's port is not a number")]
    Port,
    /// No repository path.
    #[error("the URL names no repository path")]
    Path,
    /// Neither a URL nor the scp-like form.
    #[error("not a URL (scheme://host/path) nor git's host:path form")]
    NotUrl,
}

/// Whether `text` is meant as a URL rather than a local path: it has `://`, or it is git's
/// scp-like form (a colon before any slash, and something before the colon).
pub fn looks_like_url(text: &str) -> bool {
    let text = text.trim();
    if text.contains("://") {
        return true;
    }
    match (text.find(':'), text.find('/')) {
        (Some(colon), Some(slash)) => colon > 0 && colon < slash,
        (Some(colon), None) => colon > 0,
        _ => false,
    }
}

/// The parts of an accepted URL.
struct Parsed<'a> {
    scheme: String,
    /// Lower-cased host, with its port when one was given (`host:2222`, `[::1]:8080`).
    host: String,
    path: &'a str,
}

/// Parses and checks a clone URL, and makes the [`RepoSpec`] of the repository it names:
/// `location` is the URL as given (trimmed, without a fragment), `id` its identity, `name`
/// its path without leading `/` and trailing `.git`.
///
/// # Errors
///
/// [`UrlError`] when the URL is not one an audit accepts (see the module documentation).
pub fn remote_spec(url: &str) -> Result<RepoSpec, UrlError> {
    let url = url.trim();
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    let parsed = parse(url)?;
    let trimmed = trim_path(parsed.path);
    let mut id = format!("{}://{}", parsed.scheme, parsed.host);
    if !trimmed.starts_with('/') {
        id.push('/');
    }
    id.push_str(trimmed);
    let name = trimmed.trim_start_matches('/').to_owned();
    Ok(RepoSpec {
        id,
        location: RepoLocation::Remote(url.to_owned()),
        name,
        fork: false,
        archived: false,
    })
}

/// The identity of a clone URL (see the module documentation).
///
/// # Errors
///
/// As [`remote_spec`].
pub fn normalise(url: &str) -> Result<String, UrlError> {
    remote_spec(url).map(|spec| spec.id)
}

/// A path without query, trailing slashes and `.git`.
fn trim_path(path: &str) -> &str {
    let path = path.split_once('?').map_or(path, |(before, _)| before);
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    path.trim_end_matches('/')
}

fn parse(url: &str) -> Result<Parsed<'_>, UrlError> {
    if url.is_empty() {
        return Err(UrlError::Empty);
    }
    if url.starts_with('-') {
        return Err(UrlError::LeadingDash);
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(UrlError::ControlCharacter);
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "https" | "http" | "git" | "ssh" | "file") {
            return Err(UrlError::Scheme(printable_scheme(&scheme)));
        }
        return parse_hierarchical(scheme, rest);
    }
    if url.contains("::") {
        // git's `<transport>::<address>` (`ext::sh -c …`, `fd::…`).
        let transport = url.split("::").next().unwrap_or_default();
        return Err(UrlError::Scheme(format!("{}::", printable_scheme(transport))));
    }
    if !looks_like_url(url) {
        return Err(UrlError::NotUrl);
    }
    parse_scp(url)
}

/// A scheme for an error message: short, and only its harmless characters.
fn printable_scheme(scheme: &str) -> String {
    scheme.chars().filter(|c| c.is_ascii_alphanumeric() || "+.-".contains(*c)).take(32).collect()
}

fn parse_hierarchical(scheme: String, rest: &str) -> Result<Parsed<'_>, UrlError> {
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, ""),
    };
    // A `?` in the authority part ends it too (`https://host?x`): no path then.
    let authority = authority.split_once('?').map_or(authority, |(before, _)| before);
    let host_port = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            // A user name alone is a login for ssh; anything else before '@' is a credential.
            if scheme != "ssh" || userinfo.contains(':') || userinfo.is_empty() {
                return Err(UrlError::Credentials);
            }
            host_port
        }
        None => authority,
    };
    if scheme == "file" {
        if !host_port.is_empty() && !host_port.eq_ignore_ascii_case("localhost") {
            return Err(UrlError::Host);
        }
        if trim_path(path).trim_start_matches('/').is_empty() {
            return Err(UrlError::Path);
        }
        return Ok(Parsed { scheme, host: String::new(), path });
    }
    let host = check_host_port(host_port)?;
    if trim_path(path).trim_start_matches('/').is_empty() {
        return Err(UrlError::Path);
    }
    Ok(Parsed { scheme, host, path })
}

fn parse_scp(url: &str) -> Result<Parsed<'_>, UrlError> {
    let (before, path) = url.split_once(':').ok_or(UrlError::NotUrl)?;
    let host = match before.rsplit_once('@') {
        Some((user, host)) => {
            if user.is_empty() || user.contains(':') {
                return Err(UrlError::Credentials);
            }
            host
        }
        None => before,
    };
    if host.is_empty() || !host.chars().all(is_host_char) {
        return Err(UrlError::Host);
    }
    // `user:password@host:path` splits at its first colon: the password is then in the path.
    if path.split('/').next().is_some_and(|first| first.contains('@')) {
        return Err(UrlError::Credentials);
    }
    if trim_path(path).trim_start_matches('/').is_empty() {
        return Err(UrlError::Path);
    }
    Ok(Parsed { scheme: "ssh".to_owned(), host: host.to_ascii_lowercase(), path })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`, lower-cased.
fn check_host_port(host_port: &str) -> Result<String, UrlError> {
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or(UrlError::Host)?;
        if v6.is_empty() || !v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return Err(UrlError::Host);
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlError::Host)?),
        };
        (&host_port[..v6.len() + 2], port)
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() || (!host.starts_with('[') && !host.chars().all(is_host_char)) {
        return Err(UrlError::Host);
    }
    let mut out = host.to_ascii_lowercase();
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UrlError::Port);
        }
        out.push(':');
        out.push_str(port);
    }
    Ok(out)
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_'
}

/// `url` with anything between `://` and `@` replaced by `***`, for messages about URLs that
/// came from outside (a server's `Link` header, a listing file).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(url: &str) -> String {
        normalise(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn identities_drop_case_user_query_slashes_and_dot_git() {
        assert_eq!(id("https://github.com/acme/api"), "https://github.com/acme/api");
        assert_eq!(id("HTTPS://GitHub.COM/acme/api.git/"), "https://github.com/acme/api");
        assert_eq!(id("https://github.com/acme/api.git?x=1#frag"), "https://github.com/acme/api");
        assert_eq!(id("  https://github.com/acme/api//  "), "https://github.com/acme/api");
        assert_eq!(id("http://127.0.0.1:8080/a/b.git"), "http://127.0.0.1:8080/a/b");
        assert_eq!(id("git://example.org/pub/x.git"), "git://example.org/pub/x");
        assert_eq!(
            id("ssh://git@Example.org:2222/acme/api.git"),
            "ssh://example.org:2222/acme/api"
        );
        assert_eq!(id("http://[::1]:9418/acme/api"), "http://[::1]:9418/acme/api");
        assert_eq!(id("file:///srv/git/api.git"), "file:///srv/git/api");
        assert_eq!(id("file://localhost/srv/git/api.git"), "file:///srv/git/api");
        // Path case is kept: paths are case-sensitive on most servers.
        assert_eq!(id("https://gitlab.com/Acme/API"), "https://gitlab.com/Acme/API");
    }

    #[test]
    fn scp_form_is_the_ssh_url() {
        assert_eq!(id("git@github.com:acme/api.git"), "ssh://github.com/acme/api");
        assert_eq!(id("ssh://git@github.com/acme/api"), "ssh://github.com/acme/api");
        assert_eq!(id("github.com:acme/api"), "ssh://github.com/acme/api");
        let spec = remote_spec("git@github.com:acme/api.git").expect("accepted");
        assert_eq!(spec.name, "acme/api");
        assert_eq!(spec.location, RepoLocation::Remote("git@github.com:acme/api.git".into()));
    }

    #[test]
    fn names_are_the_path() {
        let spec = remote_spec("https://gitlab.example/group/sub/project.git").expect("accepted");
        assert_eq!(spec.name, "group/sub/project");
        assert!(!spec.fork && !spec.archived);
    }

    #[test]
    fn credentials_are_refused_and_never_echoed() {
        let password = ["hunter", "2xyz"].concat();
        for url in [
            format!("https://user:{password}@github.com/acme/api"),
            format!("https://{password}@github.com/acme/api"),
            format!("http://x-access-token:{password}@host/a/b"),
            format!("git://{password}@host/a/b"),
            format!("ssh://git:{password}@host/a/b"),
            format!("git:{password}@host:a/b"),
        ] {
            let err = normalise(&url).expect_err(&url);
            assert_eq!(err, UrlError::Credentials, "{url}");
            assert!(!err.to_string().contains(&password));
            assert!(!redact(&url).contains(&password) || !url.contains("://"), "{url}");
        }
    }

    #[test]
    fn refused_forms() {
        assert_eq!(normalise("ext::sh -c touch% /tmp/x"), Err(UrlError::ControlCharacter));
        assert_eq!(normalise("ext::sh"), Err(UrlError::Scheme("ext::".into())));
        assert_eq!(normalise("fd::17"), Err(UrlError::Scheme("fd::".into())));
        assert_eq!(normalise("ftp://host/a"), Err(UrlError::Scheme("ftp".into())));
        assert_eq!(normalise("javascript://x/y"), Err(UrlError::Scheme("javascript".into())));
        assert_eq!(normalise("-uhttps://host/a"), Err(UrlError::LeadingDash));
        assert_eq!(normalise("--upload-pack=touch x"), Err(UrlError::LeadingDash));
        assert_eq!(normalise("https://host/a\u{7}b"), Err(UrlError::ControlCharacter));
        assert_eq!(normalise("https://host/a\nb"), Err(UrlError::ControlCharacter));
        assert_eq!(normalise(""), Err(UrlError::Empty));
        assert_eq!(normalise("https:///a/b"), Err(UrlError::Host));
        assert_eq!(normalise("https://ho st/a"), Err(UrlError::ControlCharacter));
        assert_eq!(normalise("https://host%2f/a"), Err(UrlError::Host));
        assert_eq!(normalise("https://host:80x/a"), Err(UrlError::Port));
        assert_eq!(normalise("https://host"), Err(UrlError::Path));
        assert_eq!(normalise("https://host/.git"), Err(UrlError::Path));
        assert_eq!(normalise("file://otherhost/a"), Err(UrlError::Host));
        assert_eq!(normalise("relative/path"), Err(UrlError::NotUrl));
        assert_eq!(normalise("host:"), Err(UrlError::Path));
    }

    #[test]
    fn url_or_path() {
        assert!(looks_like_url("https://host/a"));
        assert!(looks_like_url("git@host:a/b"));
        assert!(looks_like_url("host:a"));
        assert!(!looks_like_url("./host:a"));
        assert!(!looks_like_url("/srv/git/a"));
        assert!(!looks_like_url("repos/a"));
        assert!(!looks_like_url(":a"));
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("https://u:p@h/x"), "https://***@h/x");
        assert_eq!(redact("https://h/x@y"), "https://h/x@y");
        assert_eq!(redact("not a url"), "not a url");
    }
}
