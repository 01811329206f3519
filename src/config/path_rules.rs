//! gitleaks' path-only rules (a rule with a `path` and no `regex`, such as `pkcs12-file`):
//! every file whose path matches is a finding, whatever its content. The pipeline applies them
//! (`pipeline::path_rules`).

use crate::rules::Pattern;

/// A rule that reports files by path.
#[derive(Clone, Debug)]
pub struct PathRule {
    /// The rule id (gitleaks').
    pub id: String,
    /// What it detects.
    pub description: String,
    /// Searched in the file's path (relative to the scan root or the repository).
    pub path: Pattern,
}
