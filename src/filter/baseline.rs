//! Baselines: findings already known (and accepted or being dealt with), left out of reports.
//!
//! keysentry's own baseline stores one fingerprint per finding: a hash of the rule id, the
//! secret and the path, nothing else (no secret, no line, no commit, no time), sorted, one per
//! line. So it survives rebases, squashes and code moved within a file, merges cleanly, and a
//! different secret on a baselined line is new. A gitleaks JSON report, a `.gitleaksignore`
//! file and a detect-secrets `.secrets.baseline` work as baselines too.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use sha1::Digest as _;

use std::path::Path;

use super::{finding_path, key_path};
use crate::finding::{Finding, hex, short_sha256};

/// Version of keysentry's baseline format.
pub const BASELINE_VERSION: u32 = 1;

/// A baseline, in one of the formats keysentry reads.
#[derive(Debug)]
pub enum Baseline {
    /// keysentry's own: baseline fingerprints ([`baseline_fingerprint`]).
    Keysentry(HashSet<String>),
    /// A gitleaks JSON report: findings by file, line and (unless redacted) secret.
    GitleaksReport(Vec<GitleaksEntry>),
    /// `.gitleaksignore`: gitleaks fingerprints `[commit:]file:rule:line`.
    GitleaksIgnore(Vec<GitleaksEntry>),
    /// A detect-secrets baseline: SHA-1 of each secret, in hex.
    DetectSecrets(HashSet<String>),
}

/// One finding of a gitleaks report or `.gitleaksignore` line. `Debug` redacts the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct GitleaksEntry {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The rule id, when given (`.gitleaksignore`).
    pub rule: Option<String>,
    /// The secret, when the report has it unredacted.
    pub secret: Option<String>,
    /// The commit, for git scans.
    pub commit: Option<String>,
}

impl std::fmt::Debug for GitleaksEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitleaksEntry")
            .field("file", &self.file)
            .field("line", &self.line)
            .field("rule", &self.rule)
            .field("secret", &self.secret.as_deref().map(crate::finding::redacted))
            .field("commit", &self.commit)
            .finish()
    }
}

/// A baseline that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not JSON in any known baseline shape.
    #[error("not a baseline keysentry reads (keysentry, gitleaks report, detect-secrets): {0}")]
    Format(String),
    /// A keysentry baseline of a newer version.
    #[error("baseline version {0} is newer than this keysentry reads ({BASELINE_VERSION})")]
    Version(u32),
}

/// The fingerprint keysentry's baseline stores for a finding: the first 16 bytes of
/// SHA-256(rule id, NUL, secret, NUL, path), in hex. The path is relative to the repository
/// root (in a git scan, the path in the commit; outside a repository, relative to the
/// working directory: see [`baseline_fingerprint_in`]), so that it does not depend on how
/// the scanned path was given.
pub fn baseline_fingerprint(f: &Finding) -> String {
    baseline_fingerprint_in(f, None)
}

/// [`baseline_fingerprint`] with paths outside a repository taken relative to `base` (the
/// scan's project directory).
pub fn baseline_fingerprint_in(f: &Finding, base: Option<&Path>) -> String {
    fingerprint_at(f, key_path(f, base).as_deref())
}

/// The baseline fingerprint of `f` at `path`, its [`key_path`].
fn fingerprint_at(f: &Finding, path: Option<&str>) -> String {
    let path = path.unwrap_or("").as_bytes();
    short_sha256(&[f.rule_id.as_bytes(), f.secret.expose().as_bytes(), path])
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysentryBaseline {
    version: u32,
    tool: String,
    fingerprints: Vec<String>,
}

/// keysentry's baseline for `findings`, as written to `.keysentry-baseline.json`; paths are
/// taken relative to their repository root, else to `base` ([`super::key_path`]).
pub fn write_baseline(findings: &[Finding], base: Option<&Path>) -> String {
    let mut fingerprints: Vec<String> =
        findings.iter().map(|f| baseline_fingerprint_in(f, base)).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    let doc =
        KeysentryBaseline { version: BASELINE_VERSION, tool: "keysentry".into(), fingerprints };
    // Pretty printing puts one fingerprint per line: baselines merge line by line.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GitleaksFinding {
    #[serde(default)]
    file: String,
    #[serde(default)]
    start_line: usize,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    commit: Option<String>,
}

#[derive(Deserialize)]
struct DetectSecretsBaseline {
    results: std::collections::BTreeMap<String, Vec<DetectSecretsResult>>,
}

#[derive(Deserialize)]
struct DetectSecretsResult {
    hashed_secret: String,
}

impl Baseline {
    /// Reads a baseline in any format keysentry knows; `.gitleaksignore` text is recognised by
    /// `name` ending in `.gitleaksignore`.
    pub fn parse(name: &str, text: &str) -> Result<Baseline, BaselineError> {
        if name.ends_with(".gitleaksignore") {
            return Ok(Baseline::GitleaksIgnore(parse_gitleaksignore(text)));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| BaselineError::Format(e.to_string()))?;
        if value.is_array() {
            let items: Vec<GitleaksFinding> = serde_json::from_value(value)
                .map_err(|e| BaselineError::Format(format!("gitleaks report: {e}")))?;
            let entries = items
                .into_iter()
                .map(|g| GitleaksEntry {
                    file: g.file,
                    line: g.start_line,
                    rule: None,
                    // Redacted by gitleaks (`REDACTED`) or by keysentry (`ghp_****…`): the
                    // file and line still identify the finding.
                    secret: g
                        .secret
                        .filter(|s| !s.is_empty() && s != "REDACTED" && !s.ends_with('*')),
                    commit: g.commit.filter(|c| !c.is_empty()),
                })
                .collect();
            return Ok(Baseline::GitleaksReport(entries));
        }
        if value.get("fingerprints").is_some() {
            let doc: KeysentryBaseline = serde_json::from_value(value)
                .map_err(|e| BaselineError::Format(format!("keysentry baseline: {e}")))?;
            if doc.version > BASELINE_VERSION {
                return Err(BaselineError::Version(doc.version));
            }
            return Ok(Baseline::Keysentry(doc.fingerprints.into_iter().collect()));
        }
        if value.get("results").is_some() {
            let doc: DetectSecretsBaseline = serde_json::from_value(value)
                .map_err(|e| BaselineError::Format(format!("detect-secrets baseline: {e}")))?;
            let hashes = doc.results.into_values().flatten().map(|r| r.hashed_secret).collect();
            return Ok(Baseline::DetectSecrets(hashes));
        }
        Err(BaselineError::Format(
            "expected keysentry's {\"fingerprints\": …}, a gitleaks report array, or \
             detect-secrets' {\"results\": …}"
                .into(),
        ))
    }

    /// Whether `f` is in the baseline.
    pub fn contains(&self, f: &Finding) -> bool {
        self.contains_in(f, None)
    }

    /// [`Baseline::contains`] with paths outside a repository taken relative to `base`.
    pub fn contains_in(&self, f: &Finding, base: Option<&Path>) -> bool {
        self.contains_at(f, key_path(f, base).as_deref())
    }

    /// [`Baseline::contains`] for `f` at `key`, its [`key_path`] (computed once by the caller
    /// for all baselines).
    pub fn contains_at(&self, f: &Finding, key: Option<&str>) -> bool {
        match self {
            Baseline::Keysentry(set) => set.contains(&fingerprint_at(f, key)),
            Baseline::DetectSecrets(set) => {
                set.contains(&hex(&sha1::Sha1::digest(f.secret.expose().as_bytes())))
            }
            Baseline::GitleaksReport(entries) | Baseline::GitleaksIgnore(entries) => {
                // gitleaks names files relative to the directory it scanned: either path.
                let path = key.unwrap_or("");
                let given = finding_path(f).unwrap_or("").trim_start_matches("./");
                let commit = f.origin.commit().map(|c| c.id.as_str());
                entries.iter().any(|e| {
                    let file = e.file.trim_start_matches("./");
                    (file == path || file == given)
                        && e.line == f.location.line
                        && e.rule.as_ref().is_none_or(|r| *r == f.rule_id)
                        && e.secret.as_ref().is_none_or(|s| s == f.secret.expose())
                        && e.commit.as_ref().is_none_or(|c| commit == Some(c.as_str()))
                })
            }
        }
    }
}

/// `.gitleaksignore` lines: `commit:file:rule:line` or `file:rule:line`; `#` comments.
fn parse_gitleaksignore(text: &str) -> Vec<GitleaksEntry> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut parts = line.rsplitn(3, ':');
        let (Some(n), Some(rule), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        let (commit, file) = match rest.split_once(':') {
            Some((c, f)) if c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (Some(c.to_owned()), f.to_owned())
            }
            _ => (None, rest.to_owned()),
        };
        out.push(GitleaksEntry {
            file,
            line: n,
            rule: Some(rule.to_owned()),
            secret: None,
            commit,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitleaksignore_lines() {
        let c = "a".repeat(40);
        let got = parse_gitleaksignore(&format!(
            "# comment\n{c}:src/a.env:generic-api-key:12\nconfig/b.yml:aws-access-token:3\nbad\n"
        ));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].commit.as_deref(), Some(c.as_str()));
        assert_eq!((got[0].file.as_str(), got[0].line), ("src/a.env", 12));
        assert_eq!(got[1].rule.as_deref(), Some("aws-access-token"));
        assert_eq!(got[1].commit, None);
    }

    #[test]
    fn formats_are_recognised() {
        assert!(matches!(
            Baseline::parse("x.json", r#"{"version":1,"tool":"keysentry","fingerprints":["ab"]}"#),
            Ok(Baseline::Keysentry(_))
        ));
        assert!(matches!(Baseline::parse("r.json", "[]"), Ok(Baseline::GitleaksReport(_))));
        assert!(matches!(
            Baseline::parse(
                ".secrets.baseline",
                r#"{"version":"1","results":{"a":[{"hashed_secret":"ff","type":"x"}]}}"#
            ),
            Ok(Baseline::DetectSecrets(_))
        ));
        assert!(Baseline::parse("x.json", "{}").is_err());
        assert!(Baseline::parse("x.json", "not json").is_err());
        assert!(matches!(
            Baseline::parse("x.json", r#"{"version":9,"tool":"keysentry","fingerprints":[]}"#),
            Err(BaselineError::Version(9))
        ));
    }
}

#[cfg(test)]
mod issue_12_debug {
    use super::*;

    #[test]
    fn issue_12_gitleaks_entry_debug_redacts_the_secret() {
        let secret = ["Zq9Xw7Vv5Tt3", "Rr1Pp0Oo9Nn8"].concat();
        let e = GitleaksEntry {
            file: "a.env".into(),
            secret: Some(secret.clone()),
            ..Default::default()
        };
        let debug = format!("{e:?}");
        assert!(!debug.contains(&secret) && debug.contains("a.env"), "{debug}");
    }
}
