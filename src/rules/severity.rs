//! How much a finding matters: a rule's `severity` field.

use serde::Deserialize;

/// How much a finding matters, for formats that rank results (SARIF, GitLab, GitHub
/// annotations, CSV). Each rule sets its own (`severity` in the rule file); reports lower it
/// for AWS documentation examples and identifiers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Not a credential: an AWS identifier (informational).
    Info,
    /// A documentation example or similar, reported on request.
    Low,
    /// A probable secret found by a generic rule (assignments, tokens without a vendor prefix).
    Medium,
    /// A vendor token or key: the default.
    #[default]
    High,
    /// Cloud credentials and private keys: full access to infrastructure.
    Critical,
}

impl Severity {
    /// The name GitLab's security reports use.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "Info",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }

    /// GitHub code scanning's `security-severity` score (0.0 to 10.0; 9.0 and above is
    /// critical, 7.0 high, 4.0 medium, above 0 low).
    pub fn score(self) -> &'static str {
        match self {
            Severity::Info => "0.0",
            Severity::Low => "2.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_13_severity_is_a_rule_field_high_by_default() {
        let base = "[[rules]]\nid='a.b'\ndescription='d'\nkeywords=['abc']\nregex='x'\n";
        let parse = |extra: &str| super::super::syntax::parse(&format!("{base}{extra}"));
        assert_eq!(parse("").unwrap().rules[0].severity, Severity::High);
        assert_eq!(parse("severity='critical'\n").unwrap().rules[0].severity, Severity::Critical);
        assert_eq!(parse("severity='info'\n").unwrap().rules[0].severity, Severity::Info);
        let err = parse("severity='urgent'\n").unwrap_err();
        assert!(err.to_string().contains("urgent"), "{err}");
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    }

    /// The built-in rules carry the severities that report's table of rule ids gave.
    #[test]
    fn issue_13_builtin_rules_set_their_severity() {
        let rules = crate::rules::Builtin::All.syntax().unwrap();
        let of = |id: &str| rules.iter().find(|r| r.id == id).map(|r| r.severity);
        assert_eq!(of("aws.access_key_id"), Some(Severity::Critical));
        assert_eq!(of("private_key.pem"), Some(Severity::Critical));
        assert_eq!(of("database.url_password"), Some(Severity::Critical));
        assert_eq!(of("github.pat_classic"), Some(Severity::High));
        assert_eq!(of("generic.secret"), Some(Severity::Medium));
        assert_eq!(of("aws.identifier"), Some(Severity::Info));
    }
}
