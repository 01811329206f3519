//! Reporters: the only code that writes the report (stdout or `--report-path`).

mod csv;
mod github;
mod gitlab;
mod gitleaks;
mod human;
mod json;
mod junit;
mod sarif;
mod short;
mod text;

use std::io::{self, Write};

pub use csv::Csv;
pub use github::GithubActions;
pub use gitlab::{GITLAB_SCHEMA_VERSION, Gitlab};
pub use gitleaks::GitleaksJson;
pub use human::Human;
pub use json::{Json, JsonLines, SCHEMA_VERSION};
pub use junit::Junit;
pub use sarif::{PARTIAL_FINGERPRINT_KEY, Sarif};
pub use short::Short;
pub use text::{Gap, Redactor, escape, escape_keep_lines, gaps, is_unsafe_char};

use crate::aws::AwsTag;
use crate::finding::{Finding, Origin};
pub use crate::rules::Severity;
use crate::sink::ScanOutcome;

/// Whether secrets are shown in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretDisplay {
    /// Show a redacted prefix (the default).
    Redact,
    /// Show secrets in full (`--show-secrets`).
    Show,
}

impl SecretDisplay {
    /// `secret` as this display policy allows: redacted, or in full. Every reporter shows
    /// secrets (a finding's, an AWS key's pair) through here.
    pub fn show(self, secret: &crate::finding::Secret) -> String {
        match self {
            SecretDisplay::Redact => secret.redacted(),
            SecretDisplay::Show => secret.expose().to_owned(),
        }
    }

    /// The secret of `f` as this display policy allows.
    pub fn secret(self, f: &Finding) -> String {
        self.show(&f.secret)
    }

    /// The finding's line with its secret shown as this policy allows, and the range the
    /// secret occupies in the returned text. When redacting, every other secret that shows in
    /// the line is redacted too.
    pub fn line(self, f: &Finding) -> (String, (usize, usize)) {
        let text = &f.line_text;
        if self == SecretDisplay::Show {
            return (text.clone(), f.line_secret_range);
        }
        // Merge the finding's range with the others into disjoint intervals, left to right.
        let mut ranges = f.line_other_secrets.clone();
        ranges.push(f.line_secret_range);
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s < last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let (own_s, _) = f.line_secret_range;
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut own = (0, 0);
        for (s, e) in merged {
            out.push_str(&text[at..s]);
            let start = out.len();
            out.push_str(&crate::finding::Secret::new(&text[s..e]).redacted());
            if (s..e.max(s + 1)).contains(&own_s) {
                own = (start, out.len());
            }
            at = e;
        }
        out.push_str(&text[at..]);
        (out, own)
    }
}

/// Writes a scan outcome in some format.
pub trait Reporter {
    /// Writes the whole report.
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()>;
}

impl Severity {
    /// The severity of one finding: its rule's ([`Finding::severity`]), lowered for AWS
    /// identifiers and documentation examples.
    pub fn of(f: &Finding) -> Severity {
        match &f.aws {
            Some(a) if a.tags.contains(&AwsTag::Identifier) => Severity::Info,
            Some(a) if a.tags.contains(&AwsTag::Example) => Severity::Low,
            _ => f.severity,
        }
    }
}

/// The file path of an origin, for formats that locate results in files: the path of a
/// working-tree, committed or staged file; `None` for standard input and messages.
pub fn origin_path(origin: &Origin) -> Option<String> {
    origin.path_bytes().map(|p| String::from_utf8_lossy(p).into_owned())
}

/// The path of `origin` as formats that need some file name write it: the path, or for other
/// content the human-readable name (`<stdin>`, `commit 1234567890 message`).
pub fn origin_file_name(origin: &Origin) -> String {
    origin_path(origin).unwrap_or_else(|| origin.display_name())
}

/// The commit id an origin belongs to (commit files, commit messages), if any.
pub fn origin_commit(origin: &Origin) -> Option<&str> {
    origin.commit().map(|c| c.id.as_str())
}

/// Lowercase hex of the first 16 bytes of SHA-256 over `parts`, each followed by a NUL.
pub(crate) fn short_hash(parts: &[&str]) -> String {
    // Each part is followed by a NUL: an empty last part adds the final one.
    let parts: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).chain([&b""[..]]).collect();
    crate::finding::short_sha256(&parts)
}

/// The finding counts per rule, sorted by rule id.
pub fn counts_by_rule(findings: &[Finding]) -> Vec<(&str, usize)> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for f in findings {
        *counts.entry(f.rule_id.as_str()).or_default() += 1;
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finding's severity is its rule's `severity` field.
    #[test]
    fn issue_13_severity_comes_from_the_rule() {
        let toml = "[[rules]]\nid = 'acme.token'\ndescription = 'd'\nkeywords = ['acme_']\n\
                    regex = 'acme_[0-9]{4}'\nseverity = 'low'\n";
        let rules = crate::rules::syntax::parse(toml).unwrap().rules;
        let detector = crate::detect::Detector::new(crate::rules::RuleSet::compile(rules).unwrap());
        let mut scratch = crate::detect::Scratch::new();
        let found = detector.scan(b"x = acme_1234", &Origin::Stdin, &mut scratch);
        assert_eq!(found.iter().map(Severity::of).collect::<Vec<_>>(), [Severity::Low]);
    }

    /// An outcome with no finding, one warning, one file too large and one error, reported in
    /// every format: each carries the warning and the gaps (gitleaks-json has no place for them).
    #[test]
    fn issue_12_every_reporter_carries_warnings_and_gaps() {
        let mut outcome = ScanOutcome::default();
        outcome.warnings.push("an allowlist entry suppresses every finding".into());
        outcome.skipped.push((
            Origin::File { path: "big\u{1b}[8m.env".into() },
            crate::source::SkipReason::TooLarge { size: 9000, limit: 10 },
        ));
        outcome.errors.push(crate::source::SourceError::Git("object abc is corrupt".into()));
        let secrets = SecretDisplay::Redact;
        let reporters: Vec<(&str, Box<dyn Reporter>)> = vec![
            ("human", Box::new(Human { secrets, color: false })),
            ("json", Box::new(Json { secrets })),
            ("jsonl", Box::new(JsonLines { secrets })),
            ("sarif", Box::new(Sarif { secrets })),
            ("github", Box::new(GithubActions { secrets })),
            ("gitlab", Box::new(Gitlab { secrets })),
            ("junit", Box::new(Junit { secrets })),
            ("csv", Box::new(Csv { secrets })),
        ];
        for (name, r) in reporters {
            let mut out = Vec::new();
            r.report(&outcome, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(!text.contains('\u{1b}'), "{name}: raw ESC in {text:?}");
            if name == "human" {
                // The human report lists findings; gaps and warnings go to stderr.
                continue;
            }
            assert!(text.contains("suppresses every finding"), "{name}: {text}");
            assert!(text.contains("object abc is corrupt"), "{name}: {text}");
            assert!(text.contains("9000 bytes"), "{name}: {text}");
        }
    }

    /// Issue 13: one helper for the three truncated SHA-256 hashes, each value unchanged
    /// (baselines and ignore lists hold them).
    #[test]
    fn issue_13_one_hash_helper_keeps_every_value() {
        use sha2::Digest as _;
        let old = |bytes: &[u8]| crate::finding::hex(&sha2::Sha256::digest(bytes)[..16]);
        let secret = crate::finding::Secret::new(["s3", "cr", "et"].concat());
        let fp = crate::finding::Fingerprint::new("r.id", &secret);
        assert_eq!(fp.as_str(), old(b"r.id\0s3cret"));
        assert_eq!(short_hash(&["a", "b"]), old(b"a\0b\0"));
    }

    #[test]
    fn short_hash_separates_parts() {
        assert_ne!(short_hash(&["ab", "c"]), short_hash(&["a", "bc"]));
        assert_eq!(short_hash(&["x"]).len(), 32);
    }
}
