//! A repository's location as the datastore stores it: never with credentials.

use crate::audit::RepoLocation;

/// A repository's location as stored: a path, or a URL without any password or token
/// (`https://TOKEN@host/…` and `https://user:TOKEN@host/…` lose the user information; ssh
/// keeps the user name, which is not a secret, and loses a password).
pub(crate) fn stored_location(location: &RepoLocation) -> (&'static str, String) {
    match location {
        RepoLocation::Local(p) => ("local", p.to_string_lossy().into_owned()),
        RepoLocation::Remote(url) => ("remote", strip_credentials(url)),
    }
}

fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..host_end].rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, after) = (&rest[..at], &rest[at + 1..]);
    let keep_user = !scheme.starts_with("http");
    match userinfo.split_once(':') {
        _ if !keep_user => format!("{scheme}://{after}"),
        Some((user, _)) => format!("{scheme}://{user}@{after}"),
        None => url.to_owned(),
    }
}
