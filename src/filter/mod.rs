//! What keeps a finding out of a report once found: allowlists (global or per rule; by path,
//! secret, line, stopword or commit), inline ignore comments, ignored fingerprints and
//! baselines (keysentry's own, gitleaks reports, `.gitleaksignore`, detect-secrets).
//!
//! Every source yields findings of the same shape, so these controls apply alike to working
//! trees, staged changes, ranges and histories.

pub mod allowlist;
pub mod baseline;
pub mod ignored;
pub mod inline;

pub use allowlist::{Allowlist, Condition, PathPattern, RegexTarget};
pub use baseline::{Baseline, BaselineError, baseline_fingerprint};
pub use ignored::{FINGERPRINT_PREFIX, ignored_fingerprints};

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::finding::Finding;

/// The post-scan controls of one run.
#[derive(Debug, Default)]
pub struct Filters {
    /// Allowlists, global or for some rules.
    pub allowlists: Vec<Allowlist>,
    /// Finding fingerprints to leave out (`keysentry ignore`, [`ignored::load`]).
    pub ignored: HashSet<String>,
    /// Baselines: a finding in any of them is left out.
    pub baselines: Vec<Baseline>,
    /// Rules that report only in files whose path matches (gitleaks' rule `path`).
    pub rule_paths: Vec<(String, PathPattern)>,
    /// The scan's project directory (absolute): paths of files outside any repository are
    /// taken relative to it for baselines and path allowlists ([`key_path`]).
    pub base: Option<PathBuf>,
}

impl Filters {
    /// Whether `f` is to be reported.
    pub fn keep(&self, f: &Finding) -> bool {
        if self.ignored.contains(f.fingerprint.as_str()) {
            return false;
        }
        if self.allowlists.is_empty() && self.baselines.is_empty() && self.rule_paths.is_empty() {
            return true;
        }
        // Once per finding: it may look for the repository's top on disk.
        let key = key_path(f, self.base.as_deref());
        // Path patterns match the repository-relative path, or the path as the walk produced
        // it (gitleaks' patterns are relative to the scanned directory: `^docs/` for
        // `gitleaks dir .` in a subdirectory of a repository).
        let given = finding_path(f).map(|p| p.trim_start_matches("./"));
        let mut paths = vec![key.as_deref()];
        if given != key.as_deref() {
            paths.push(given);
        }
        !(self.outside_rule_paths(f, &paths)
            || self.allowlists.iter().any(|a| paths.iter().any(|p| a.allows_at(f, *p)))
            || self.baselines.iter().any(|b| b.contains_at(f, key.as_deref())))
    }

    fn outside_rule_paths(&self, f: &Finding, paths: &[Option<&str>]) -> bool {
        let mut limits = self.rule_paths.iter().filter(|(r, _)| *r == f.rule_id).peekable();
        if limits.peek().is_none() {
            return false;
        }
        let limits: Vec<_> = limits.collect();
        !paths.iter().flatten().any(|p| limits.iter().any(|(_, pat)| pat.matches(p)))
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.allowlists.is_empty()
            && self.ignored.is_empty()
            && self.baselines.is_empty()
            && self.rule_paths.is_empty()
    }
}

/// The path a finding's origin names (a file, a file in a commit, a staged file), if any.
pub fn finding_path(f: &Finding) -> Option<&str> {
    f.origin.path_bytes().and_then(|p| std::str::from_utf8(p).ok())
}

/// The path that identifies a finding's file, whatever the scan's arguments were: relative
/// to the root of the repository holding the file (the nearest directory above it with a
/// `.git`), else relative to `base` (the scan's project directory), else as the finding
/// names it; with `/` separators and no leading `./`. Git sources already name paths
/// relative to the repository root. Baselines, path allowlists and rules' `path` limits
/// use it, so that `scan /abs/repo`, `scan repo` and `scan .` in a subdirectory agree;
/// reports keep showing the path as the walk produced it.
pub fn key_path<'f>(f: &'f Finding, base: Option<&Path>) -> Option<Cow<'f, str>> {
    use crate::finding::Origin;
    let Origin::File { path } = &f.origin else {
        return finding_path(f).map(|p| Cow::Borrowed(p.trim_start_matches("./")));
    };
    let fallback = || path.to_str().map(|p| Cow::Borrowed(p.trim_start_matches("./")));
    let Ok(cwd) = std::env::current_dir() else { return fallback() };
    let abs = crate::files::lexically_absolute(&cwd, path);
    let root = abs.parent().and_then(crate::files::enclosing_worktree);
    let rel = match (root, base) {
        (Some(root), _) => abs.strip_prefix(root).ok(),
        (None, Some(base)) => abs.strip_prefix(crate::files::lexically_absolute(&cwd, base)).ok(),
        (None, None) => None,
    };
    match rel {
        Some(rel) if !rel.as_os_str().is_empty() => {
            let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect();
            Some(Cow::Owned(parts.join("/")))
        }
        _ => fallback(),
    }
}
