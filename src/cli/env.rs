//! Every environment variable keysentry reads. The environment is read once, at start-up.
//!
//! The online AWS commands (cargo feature `aws`) also hand the AWS SDK the standard AWS
//! variables, which it reads itself: credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_PROFILE`, `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, …), the
//! region (`AWS_REGION`), endpoints (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_STS`,
//! `AWS_ENDPOINT_URL_IAM`) and `AWS_EC2_METADATA_DISABLED`. Nothing else reads them.

/// Disables colours in `--color auto` mode when set to a non-empty value (<https://no-color.org>).
pub(crate) const NO_COLOR: &str = "NO_COLOR";

/// Milliseconds a scan runs before its progress bar appears on a terminal (default 1000; `0`
/// shows it at once). The bar never appears when stderr is not a terminal or with `--quiet`.
pub(crate) const KEYSENTRY_PROGRESS_DELAY_MS: &str = "KEYSENTRY_PROGRESS_DELAY_MS";

/// The base directory of user configuration (XDG Base Directory): the operator's
/// configuration is `$XDG_CONFIG_HOME/keysentry/config.toml` (an absolute path only).
pub(crate) const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
/// The user's home directory: without `XDG_CONFIG_HOME`, the operator's configuration is
/// `$HOME/.config/keysentry/config.toml`.
pub(crate) const HOME: &str = "HOME";

/// GitHub Actions, pull request events: the target branch's name.
pub(crate) const GITHUB_BASE_REF: &str = "GITHUB_BASE_REF";
/// GitHub Actions: the commit the workflow runs on.
pub(crate) const GITHUB_SHA: &str = "GITHUB_SHA";
/// GitLab merge request pipelines: the merge request's base commit.
pub(crate) const CI_MERGE_REQUEST_DIFF_BASE_SHA: &str = "CI_MERGE_REQUEST_DIFF_BASE_SHA";
/// GitLab: the commit the pipeline runs on.
pub(crate) const CI_COMMIT_SHA: &str = "CI_COMMIT_SHA";

/// Git: the repository's `.git` directory, instead of discovering it from the path given.
pub(crate) const GIT_DIR: &str = "GIT_DIR";
/// Git: the working tree's top (where `.keysentryignore` is read).
pub(crate) const GIT_WORK_TREE: &str = "GIT_WORK_TREE";
/// Git: the index that staged changes are read from. `git commit -a`, `git commit PATH`,
/// `git commit --amend` and `git commit -p` hand their pre-commit hook a temporary index here.
pub(crate) const GIT_INDEX_FILE: &str = "GIT_INDEX_FILE";
/// Git: the object store, instead of `$GIT_DIR/objects` (a pre-receive hook's quarantine).
pub(crate) const GIT_OBJECT_DIRECTORY: &str = "GIT_OBJECT_DIRECTORY";
/// Git: further object stores, separated by `:` (`;` on Windows).
pub(crate) const GIT_ALTERNATE_OBJECT_DIRECTORIES: &str = "GIT_ALTERNATE_OBJECT_DIRECTORIES";

/// The user's login name: who `keysentry triage` records as setting a status (`--by`
/// overrides it).
pub(crate) const USER: &str = "USER";
/// `keysentry audit --github`: the token GitHub's API and HTTPS clones are called with. Never
/// logged, stored or shown.
pub(crate) const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
/// `keysentry audit --gitlab`: the token GitLab's API and HTTPS clones are called with.
pub(crate) const GITLAB_TOKEN: &str = "GITLAB_TOKEN";
/// Kubernetes Indexed Jobs: the pod's index, which `audit --shard auto/N` takes as K.
pub(crate) const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";
/// The base directory of user caches (XDG Base Directory): the audit's mirrors are in
/// `$XDG_CACHE_HOME/keysentry/mirrors` (an absolute path only), else
/// `$HOME/.cache/keysentry/mirrors`.
pub(crate) const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";

/// A value that must never be shown: `Debug` prints `<hidden>`.
#[derive(Clone, Default)]
pub(crate) struct Hidden(pub(crate) String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// The environment variables keysentry reads, captured once.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    /// `NO_COLOR` is set and non-empty.
    pub(crate) no_color: bool,
    /// CI variables that `--range auto` reads, each when set and non-empty.
    pub(crate) github_base_ref: Option<String>,
    pub(crate) github_sha: Option<String>,
    pub(crate) gitlab_base_sha: Option<String>,
    pub(crate) gitlab_commit_sha: Option<String>,
    /// `KEYSENTRY_PROGRESS_DELAY_MS`, when set to a number.
    pub(crate) progress_delay: Option<std::time::Duration>,
    /// The operator's configuration file (it may not exist): from `XDG_CONFIG_HOME`, else
    /// `HOME`.
    pub(crate) operator_config: Option<std::path::PathBuf>,
    /// Git's variables that say where a repository's parts are, relative paths made absolute
    /// against the working directory (as git reads them).
    pub(crate) git: keysentry::source::git::GitEnv,
    /// `USER`, when set and non-empty.
    pub(crate) user: Option<String>,
    /// `GITHUB_TOKEN` and `GITLAB_TOKEN`, when set and non-empty.
    pub(crate) github_token: Option<Hidden>,
    pub(crate) gitlab_token: Option<Hidden>,
    /// `JOB_COMPLETION_INDEX`, when set and non-empty.
    pub(crate) job_completion_index: Option<String>,
    /// The audit's default clone cache: from `XDG_CACHE_HOME`, else `HOME`.
    pub(crate) mirror_cache: Option<std::path::PathBuf>,
}

impl Env {
    pub(crate) fn capture() -> Env {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Env {
            no_color: std::env::var_os(NO_COLOR).is_some_and(|v| !v.is_empty()),
            github_base_ref: var(GITHUB_BASE_REF),
            github_sha: var(GITHUB_SHA),
            gitlab_base_sha: var(CI_MERGE_REQUEST_DIFF_BASE_SHA),
            gitlab_commit_sha: var(CI_COMMIT_SHA),
            progress_delay: var(KEYSENTRY_PROGRESS_DELAY_MS)
                .and_then(|v| v.trim().parse().ok())
                .map(std::time::Duration::from_millis),
            operator_config: operator_config(
                std::env::var_os(XDG_CONFIG_HOME).map(Into::into),
                std::env::var_os(HOME).map(Into::into),
            ),
            git: git_env(),
            user: var(USER),
            github_token: var(GITHUB_TOKEN).map(Hidden),
            gitlab_token: var(GITLAB_TOKEN).map(Hidden),
            job_completion_index: var(JOB_COMPLETION_INDEX),
            mirror_cache: xdg_base(
                std::env::var_os(XDG_CACHE_HOME).map(Into::into),
                std::env::var_os(HOME).map(Into::into),
                ".cache",
            )
            .map(|base| base.join("keysentry").join("mirrors")),
        }
    }

    /// The range `--range auto` means: from GitHub Actions or GitLab CI variables.
    pub(crate) fn ci_range(&self) -> Result<String, String> {
        if let Some(base) = &self.github_base_ref {
            let head = self.github_sha.as_deref().unwrap_or("HEAD");
            return Ok(format!("origin/{}..{head}", base.trim()));
        }
        if let Some(base) = &self.gitlab_base_sha {
            let head = self.gitlab_commit_sha.as_deref().unwrap_or("HEAD");
            return Ok(format!("{}..{head}", base.trim()));
        }
        Err(format!(
            "--range auto found no pull request range: neither {GITHUB_BASE_REF} (GitHub \
             Actions, pull_request events) nor {CI_MERGE_REQUEST_DIFF_BASE_SHA} (GitLab, merge \
             request pipelines) is set. Give the range itself, for example \
             --range origin/main..HEAD"
        ))
    }
}

/// `$XDG_CONFIG_HOME/keysentry/config.toml` when that is an absolute path (the XDG rule: a
/// relative one is ignored), else `$HOME/.config/keysentry/config.toml`.
fn operator_config(
    xdg: Option<std::path::PathBuf>,
    home: Option<std::path::PathBuf>,
) -> Option<std::path::PathBuf> {
    Some(xdg_base(xdg, home, ".config")?.join("keysentry").join("config.toml"))
}

/// An XDG base directory: the variable's value when it is an absolute path (a relative one is
/// ignored), else `$HOME/<fallback>`.
fn xdg_base(
    xdg: Option<std::path::PathBuf>,
    home: Option<std::path::PathBuf>,
    fallback: &str,
) -> Option<std::path::PathBuf> {
    xdg.filter(|p| p.is_absolute())
        .or_else(|| home.filter(|p| !p.as_os_str().is_empty()).map(|h| h.join(fallback)))
}

/// `GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE`, `GIT_OBJECT_DIRECTORY` and
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`, each when set and non-empty.
fn git_env() -> keysentry::source::git::GitEnv {
    let cwd = std::env::current_dir().ok();
    let absolute = |p: std::path::PathBuf| match &cwd {
        Some(cwd) if p.is_relative() => cwd.join(p),
        _ => p,
    };
    let path = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(|v| absolute(v.into()));
    keysentry::source::git::GitEnv {
        git_dir: path(GIT_DIR),
        work_tree: path(GIT_WORK_TREE),
        index_file: path(GIT_INDEX_FILE),
        object_directory: path(GIT_OBJECT_DIRECTORY),
        alternate_object_directories: std::env::var_os(GIT_ALTERNATE_OBJECT_DIRECTORIES)
            .map(|v| {
                std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .map(absolute)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_config_location() {
        let p = |s: &str| Some(std::path::PathBuf::from(s));
        assert_eq!(operator_config(p("/x"), p("/h")), p("/x/keysentry/config.toml"));
        assert_eq!(operator_config(p("rel"), p("/h")), p("/h/.config/keysentry/config.toml"));
        assert_eq!(operator_config(None, p("/h")), p("/h/.config/keysentry/config.toml"));
        assert_eq!(operator_config(None, None), None);
    }

    #[test]
    fn issue_15_tokens_never_show() {
        let env = Env { github_token: Some(Hidden("tok-1234".into())), ..Env::default() };
        assert!(!format!("{env:?}").contains("tok-1234"));
    }

    #[test]
    fn ci_ranges() {
        let gh = Env {
            github_base_ref: Some("main".into()),
            github_sha: Some("abc123".into()),
            ..Env::default()
        };
        assert_eq!(gh.ci_range().as_deref(), Ok("origin/main..abc123"));
        let gl = Env { gitlab_base_sha: Some("def456".into()), ..Env::default() };
        assert_eq!(gl.ci_range().as_deref(), Ok("def456..HEAD"));
        let none = Env::default().ci_range().unwrap_err();
        assert!(none.contains("GITHUB_BASE_REF") && none.contains("--range origin/main..HEAD"));
    }
}
