//! The on-disk form of rules: TOML files deserialized as they are written.

use serde::Deserialize;

pub use super::checksum::Checksum;
use super::error::{RuleError, RuleErrorKind};
pub use super::severity::Severity;

/// A rule file: a list of `[[rules]]` tables.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// The rules, in file order.
    #[serde(default)]
    pub rules: Vec<RuleSyntax>,
}

/// One rule as written in a rule file. See `docs/rules.md` for the meaning of each field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    /// Stable identifier, `provider.name`. Baselines and allowlists refer to it.
    pub id: String,
    /// What the rule detects, for people.
    pub description: String,
    /// Literals, matched case-insensitively, of which at least one occurs near every match.
    pub keywords: Vec<String>,
    /// Literals of which at least one occurs on the line of every match too (`key`, `token`):
    /// the prefilter looks for these, shared by many rules, and the keywords are then looked
    /// for only on the lines holding one. Empty (the default): the prefilter looks for the
    /// keywords.
    #[serde(default)]
    pub context: Vec<String>,
    /// The regular expression (Rust `regex` syntax), applied to the line around a keyword hit.
    pub regex: String,
    /// Capture group holding the secret; 0 (the default) is the whole match.
    #[serde(default)]
    pub secret_group: usize,
    /// The secret is the first capture group that matched something, else the whole match
    /// (`secret_group` is then not used): what gitleaks does for a rule without
    /// `secretGroup`, whose regex often has one group per alternative.
    #[serde(default)]
    pub first_group: bool,
    /// How much a finding of this rule matters, for formats that rank results (SARIF,
    /// GitLab, GitHub annotations, CSV): `info`, `low`, `medium`, `high` (the default) or
    /// `critical`.
    #[serde(default)]
    pub severity: Severity,
    /// Minimum Shannon entropy of the secret, in bits per byte.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// A checksum the secret carries, which a candidate must pass to be reported.
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// The match may span lines (for example a PEM block): the regex runs over a window that
    /// starts at the keyword's line instead of over that line alone.
    #[serde(default)]
    pub multiline: bool,
    /// A generic rule gives way to specific ones: its finding is dropped when a non-generic
    /// rule reports an overlapping secret.
    #[serde(default)]
    pub generic: bool,
    /// Where the regex starts matching: `line` (default) searches the whole line around a
    /// keyword; `word` runs the regex anchored at the start of the word holding each keyword
    /// hit (a word is a run of letters, digits, `_`, `.` and `-`), which is much cheaper on
    /// keywords common in code. With `word`, the regex must be able to match from there.
    #[serde(default)]
    pub anchor: Anchor,
    /// Matches to ignore for this rule.
    #[serde(default)]
    pub allowlist: AllowlistSyntax,
    /// Where the token format is documented.
    #[serde(default)]
    pub references: Vec<String>,
    /// Texts in which the rule must find exactly one secret.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts in which no rule may find anything.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// A built-in rule, as shipped: its regex is known to compile (the test suite compiles
    /// every one), so it compiles when the rule first runs, not when the rules load.
    #[serde(skip)]
    pub builtin: bool,
}

/// Where a rule's regex starts matching.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// Anywhere on the line around a keyword hit.
    #[default]
    Line,
    /// At the start of the word that holds a keyword hit.
    Word,
    /// Over the whole content, when any of the rule's keywords occurs anywhere in it, or
    /// always for a rule without keywords (gitleaks' semantics; its imported rules use it).
    Content,
}

/// A per-rule allowlist: a secret matching any of these is not reported.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSyntax {
    /// Regexes tried against the secret.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Regexes tried against the whole match (the secret with its context, such as the name
    /// it is assigned to).
    #[serde(default)]
    pub match_regexes: Vec<String>,
    /// Words that, contained in the secret (case-insensitively), mark it as not a secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

/// Parses a rule file. The error names the line and the offending key.
pub fn parse(text: &str) -> Result<RuleFile, toml::de::Error> {
    toml::from_str(text)
}

/// Parses several rule files into one list of rule definitions.
pub fn parse_files(files: &[(&str, &str)]) -> Result<Vec<RuleSyntax>, Vec<RuleError>> {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        match parse(text) {
            Ok(f) => all.extend(f.rules),
            Err(e) => errors.push(RuleError {
                id: (*name).to_owned(),
                kind: RuleErrorKind::Parse { file: (*name).to_owned(), message: e.to_string() },
            }),
        }
    }
    if errors.is_empty() { Ok(all) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_rejected() {
        let err =
            parse("[[rules]]\nid='a.b'\ndescription='d'\nkeywords=['abc']\nregex='x'\nbogus=1\n")
                .unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn anchor_values() {
        let base = "[[rules]]\nid='a.b'\ndescription='d'\nkeywords=['abc']\nregex='x'\n";
        let word = parse(&format!("{base}anchor='word'\n")).unwrap();
        assert_eq!(word.rules[0].anchor, Anchor::Word);
        let err = parse(&format!("{base}anchor='file'\n")).unwrap_err();
        assert!(err.to_string().contains("file"), "{err}");
    }

    #[test]
    fn defaults_apply() {
        let f =
            parse("[[rules]]\nid='a.b'\ndescription='d'\nkeywords=['abc']\nregex='x'\n").unwrap();
        let r = &f.rules[0];
        assert_eq!(r.secret_group, 0);
        assert!(!r.multiline && !r.generic && r.entropy.is_none());
        assert_eq!(r.anchor, Anchor::Line);
    }
}
