//! GitLab: a group's projects, its subgroups' included.

use serde::Deserialize;

use super::http::Client;
use super::{
    ApiError, ApiEvent, ApiOptions, ApiToken, GITLAB_API, HostedRepo, Provider, printable,
};

/// The fields read from GitLab's project objects; the others are ignored.
#[derive(Deserialize)]
struct Project {
    path_with_namespace: String,
    http_url_to_repo: String,
    #[serde(default)]
    archived: bool,
    /// Present (an object) on forks the caller can see the parent of.
    #[serde(default)]
    forked_from_project: Option<serde::de::IgnoredAny>,
}

/// The projects of the GitLab group `group` (a full path, `acme` or `acme/platform`) and of
/// its subgroups, from `api` ([`GITLAB_API`] when `None`; self-managed:
/// `https://HOST/api/v4`). See the [module documentation](super) for pagination, rate limits
/// and the token.
///
/// # Errors
///
/// [`ApiError::NotFound`] when there is no such group (or it is not visible with this token),
/// and the other [`ApiError`]s as for [`super::github_repos`].
pub fn gitlab_projects(
    api: Option<&str>,
    group: &str,
    token: Option<&ApiToken>,
    options: &ApiOptions,
    log: &mut dyn FnMut(&ApiEvent),
) -> Result<Vec<HostedRepo>, ApiError> {
    let provider = Provider::GitLab;
    let group = group.trim_matches('/');
    let valid = !group.is_empty()
        && group.len() <= 1000
        && group.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if !valid {
        return Err(ApiError::Name { provider, what: "group", name: printable(group) });
    }
    let (client, base) = Client::new(provider, api.unwrap_or(GITLAB_API), token, options)?;
    let mut projects = Vec::new();
    let read_page =
        |body: &[u8], url: &str| {
            let page: Vec<Project> = serde_json::from_slice(body).map_err(|e| {
                ApiError::Malformed { provider, url: url.to_owned(), reason: e.to_string() }
            })?;
            let count = page.len();
            projects.extend(page.into_iter().map(|p| HostedRepo {
                name: p.path_with_namespace,
                clone_url: p.http_url_to_repo,
                fork: p.forked_from_project.is_some(),
                archived: p.archived,
            }));
            Ok(count)
        };
    let encoded = group.replace('/', "%2F");
    let first = format!("{base}/groups/{encoded}/projects?per_page=100&include_subgroups=true");
    if client.pages(&first, group, log, read_page)? {
        return Ok(projects);
    }
    Err(ApiError::NotFound { provider, what: "group", name: group.to_owned() })
}
