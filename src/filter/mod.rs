//! What keeps a finding out of a report once found: allowlists (global or per rule; by path,
//! secret, line, stopword or commit), inline ignore comments, ignored fingerprints and
//! baselines (keysentry's own, gitleaks reports, `.gitleaksignore`, detect-secrets).
//!
//! Every source yields findings of the same shape, so these controls apply alike to working
//! trees, staged changes, ranges and histories.

pub mod allowlist;
pub mod baseline;
pub mod inline;

pub use allowlist::{Allowlist, Condition, PathPattern, RegexTarget};
pub use baseline::{Baseline, BaselineError, baseline_fingerprint};

use std::collections::HashSet;

use crate::finding::Finding;

/// The post-scan controls of one run.
#[derive(Debug, Default)]
pub struct Filters {
    /// Allowlists, global or for some rules.
    pub allowlists: Vec<Allowlist>,
    /// Finding fingerprints to leave out (`keysentry ignore`).
    pub ignored: HashSet<String>,
    /// Baselines: a finding in any of them is left out.
    pub baselines: Vec<Baseline>,
    /// Rules that report only in files whose path matches (gitleaks' rule `path`).
    pub rule_paths: Vec<(String, PathPattern)>,
}

impl Filters {
    /// Whether `f` is to be reported.
    pub fn keep(&self, f: &Finding) -> bool {
        !(self.ignored.contains(f.fingerprint.as_str())
            || self.outside_rule_paths(f)
            || self.allowlists.iter().any(|a| a.allows(f))
            || self.baselines.iter().any(|b| b.contains(f)))
    }

    fn outside_rule_paths(&self, f: &Finding) -> bool {
        let mut limits = self.rule_paths.iter().filter(|(r, _)| *r == f.rule_id).peekable();
        if limits.peek().is_none() {
            return false;
        }
        let path = finding_path(f);
        !path.is_some_and(|p| limits.any(|(_, pat)| pat.matches(p)))
    }

    /// Keeps the findings to report; returns how many were left out.
    pub fn apply(&self, findings: &mut Vec<Finding>) -> usize {
        self.apply_observed(findings).left_out
    }

    /// Keeps the findings to report, and says how many were left out and which allowlist
    /// entries, if any, left out every finding of the scan (when there was at least one): a
    /// stopword, a regex or a path that allows everything hides the scan's whole result.
    pub fn apply_observed(&self, findings: &mut Vec<Finding>) -> Applied {
        let (kept, removed): (Vec<Finding>, Vec<Finding>) =
            std::mem::take(findings).into_iter().partition(|f| self.keep(f));
        *findings = kept;
        let mut applied = Applied { left_out: removed.len(), hid_everything: Vec::new() };
        if removed.is_empty() || !findings.is_empty() {
            return applied;
        }
        for (i, a) in self.allowlists.iter().enumerate() {
            for (what, entry) in a.entries() {
                if removed.iter().all(|f| entry.allows(f)) {
                    let name = match &a.description {
                        Some(d) => format!("allowlist {i} ({d:?})"),
                        None => format!("allowlist {i}"),
                    };
                    applied.hid_everything.push(format!("{name}: {what}"));
                }
            }
        }
        applied
    }

    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.allowlists.is_empty()
            && self.ignored.is_empty()
            && self.baselines.is_empty()
            && self.rule_paths.is_empty()
    }
}

/// What applying the filters did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings left out.
    pub left_out: usize,
    /// Allowlist entries (described: `allowlist 0: stopword "a"`) that alone allow every
    /// finding the scan made, when it made some and all were left out.
    pub hid_everything: Vec<String>,
}

/// The path a finding's origin names (a file, a file in a commit, a staged file), if any.
pub fn finding_path(f: &Finding) -> Option<&str> {
    use crate::finding::Origin;
    match &f.origin {
        Origin::File { path } => path.to_str(),
        Origin::Commit { path, .. } | Origin::Staged { path } => Some(path),
        Origin::Ref { path, .. } if !path.is_empty() => Some(path),
        _ => None,
    }
}

/// The fingerprints listed in an ignore file (`.keysentryignore`): lines
/// `fingerprint:<hex>`. Other lines (path patterns) are not fingerprints.
pub fn ignored_fingerprints(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(FINGERPRINT_PREFIX))
        .map(|f| f.trim().to_ascii_lowercase())
        .filter(|f| !f.is_empty())
        .collect()
}

/// How `.keysentryignore` marks a fingerprint line.
pub const FINGERPRINT_PREFIX: &str = "fingerprint:";
