//! GitHub: an organisation's repositories, or a user's.

use serde::Deserialize;

use super::http::Client;
use super::{
    ApiError, ApiEvent, ApiOptions, ApiToken, GITHUB_API, HostedRepo, Provider, printable,
};

/// The fields read from GitHub's repository objects; the others are ignored.
#[derive(Deserialize)]
struct Repo {
    full_name: String,
    clone_url: String,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    archived: bool,
}

/// The repositories of the GitHub organisation or user `owner`, in the order the API lists
/// them, from `api` ([`GITHUB_API`] when `None`; GitHub Enterprise Server:
/// `https://HOST/api/v3`). See the [module documentation](super) for pagination, rate limits
/// and the token.
///
/// # Errors
///
/// [`ApiError::NotFound`] when neither an organisation nor a user has that name, and the other
/// [`ApiError`]s for a bad URL or name, the token refused, a rate limit longer than allowed, a
/// transport failure, an oversized or malformed page.
pub fn github_repos(
    api: Option<&str>,
    owner: &str,
    token: Option<&ApiToken>,
    options: &ApiOptions,
    log: &mut dyn FnMut(&ApiEvent),
) -> Result<Vec<HostedRepo>, ApiError> {
    let provider = Provider::GitHub;
    // GitHub's names: letters, digits and '-' (organisations also '_' and '.' on GHE).
    let valid = !owner.is_empty()
        && owner.len() <= 100
        && owner.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !owner.starts_with('.');
    if !valid {
        return Err(ApiError::Name {
            provider,
            what: "organisation or user",
            name: printable(owner),
        });
    }
    let (client, base) = Client::new(provider, api.unwrap_or(GITHUB_API), token, options)?;
    let mut repos = Vec::new();
    let mut read_page =
        |body: &[u8], url: &str| {
            let page: Vec<Repo> = serde_json::from_slice(body).map_err(|e| {
                ApiError::Malformed { provider, url: url.to_owned(), reason: e.to_string() }
            })?;
            let count = page.len();
            repos.extend(page.into_iter().map(|r| HostedRepo {
                name: r.full_name,
                clone_url: r.clone_url,
                fork: r.fork,
                archived: r.archived,
            }));
            Ok(count)
        };
    let org = format!("{base}/orgs/{owner}/repos?per_page=100&type=all");
    let user = format!("{base}/users/{owner}/repos?per_page=100&type=owner");
    let found = client.pages(&org, owner, log, &mut read_page)?
        || client.pages(&user, owner, log, &mut read_page)?;
    if found {
        return Ok(repos);
    }
    Err(ApiError::NotFound { provider, what: "organisation or user", name: owner.to_owned() })
}
