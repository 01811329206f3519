//! keysentry's own `.keysentry.toml`, as serde types (unknown keys are errors that name them).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{AwsOnlineSettings, ConfigError, Settings, builtin_rules};
use crate::filter::{Allowlist, Condition, PathPattern, RegexTarget};
use crate::rules::Builtin;
use crate::rules::Pattern;
use crate::rules::syntax::RuleSyntax;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    extend: Extend,
    #[serde(default)]
    rules: Vec<RuleSyntax>,
    #[serde(default)]
    allowlists: Vec<AllowlistSyntax>,
    #[serde(default)]
    aws: AwsSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Extend {
    #[serde(default = "yes")]
    builtin: bool,
    /// Kept for compatibility: every built-in rule runs by default now.
    #[serde(default)]
    extended: Option<bool>,
    #[serde(default)]
    disabled_rules: Vec<String>,
    /// Run only the built-in rules these ids or globs (`aws.*`) name.
    #[serde(default)]
    only: Option<Vec<String>>,
}

impl Default for Extend {
    fn default() -> Extend {
        Extend { builtin: true, extended: None, disabled_rules: Vec::new(), only: None }
    }
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistSyntax {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: ConditionSyntax,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    regex_target: TargetSyntax,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ConditionSyntax {
    #[default]
    Or,
    And,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TargetSyntax {
    #[default]
    Secret,
    Match,
    Line,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AwsSection {
    #[serde(default)]
    accounts: Vec<String>,
    #[serde(default)]
    canaries: Vec<CanarySyntax>,
    #[serde(default)]
    verify: bool,
    #[serde(default)]
    role_name: Option<String>,
    #[serde(default)]
    roles: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    audit_log: Option<PathBuf>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    endpoint_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CanarySyntax {
    owner: String,
    accounts: Vec<String>,
}

pub(crate) fn load_keysentry(
    path: &Path,
    text: &str,
    which: Builtin,
) -> Result<Settings, ConfigError> {
    let file: ConfigFile = toml::from_str(text)
        .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
    let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
    let mut warnings = Vec::new();
    if file.extend.extended.is_some() {
        warnings.push(format!(
            "{}: extend.extended does nothing now: every built-in rule runs by default (to run \
             fewer, list them in extend.only)",
            path.display()
        ));
    }
    let mut rules = if file.extend.builtin { builtin_rules(which)? } else { Vec::new() };
    if let Some(only) = &file.extend.only {
        rules = select_rules(rules, only).map_err(|e| invalid(format!("extend.only: {e}")))?;
    }
    for id in &file.extend.disabled_rules {
        let before = rules.len();
        rules.retain(|r| r.id != *id);
        if rules.len() == before {
            return Err(invalid(format!("extend.disabled_rules: no rule {id:?}")));
        }
    }
    // A rule with a built-in rule's id replaces it; two rules of the file with one id are a
    // mistake (which one was meant?).
    let mut ids = std::collections::HashSet::new();
    for rule in &file.rules {
        if !ids.insert(rule.id.as_str()) {
            return Err(invalid(format!("rules: the id {:?} is defined twice", rule.id)));
        }
    }
    for rule in file.rules {
        match rules.iter().position(|r| r.id == rule.id) {
            Some(i) => rules[i] = rule,
            None => rules.push(rule),
        }
    }
    let mut allowlists = Vec::new();
    for (i, a) in file.allowlists.into_iter().enumerate() {
        let at = |what: &str, e: String| invalid(format!("allowlists[{i}].{what}: {e}"));
        let paths = a
            .paths
            .iter()
            .map(|p| PathPattern::glob(p).map_err(|e| at("paths", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let regexes = a
            .regexes
            .iter()
            .map(|r| Pattern::new(r).map_err(|e| at("regexes", e)))
            .collect::<Result<Vec<_>, _>>()?;
        for id in &a.rules {
            if !rules.iter().any(|r| r.id == *id) {
                return Err(at("rules", format!("no rule {id:?}")));
            }
        }
        allowlists.push(Allowlist {
            description: a.description,
            condition: match a.condition {
                ConditionSyntax::Or => Condition::Or,
                ConditionSyntax::And => Condition::And,
            },
            regexes,
            regex_target: match a.regex_target {
                TargetSyntax::Secret => RegexTarget::Secret,
                TargetSyntax::Match => RegexTarget::Match,
                TargetSyntax::Line => RegexTarget::Line,
            },
            paths,
            stopwords: a.stopwords.iter().map(|w| w.to_ascii_lowercase()).collect(),
            commits: a.commits,
            target_rules: a.rules,
        });
    }
    Ok(Settings {
        rules,
        allowlists,
        aws_accounts: file.aws.accounts,
        canaries: file.aws.canaries.into_iter().map(|c| (c.owner, c.accounts)).collect(),
        aws_online: AwsOnlineSettings {
            verify: file.aws.verify,
            role_name: file.aws.role_name,
            roles: file.aws.roles.into_iter().collect(),
            audit_log: file.aws.audit_log,
            region: file.aws.region,
            endpoint_url: file.aws.endpoint_url,
        },
        warnings,
        ..Settings::default()
    })
}

/// The rules whose ids `patterns` name: ids, or globs (`aws.*`, `*.token`). A pattern that
/// names no rule is an error (a misspelt id would otherwise switch off what it meant to keep).
pub fn select_rules(
    rules: Vec<RuleSyntax>,
    patterns: &[String],
) -> Result<Vec<RuleSyntax>, String> {
    let matchers = patterns
        .iter()
        .map(|p| {
            globset::Glob::new(p)
                .map(|g| g.compile_matcher())
                .map_err(|e| format!("{p:?} is not a rule id or glob: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (p, m) in patterns.iter().zip(&matchers) {
        if !rules.iter().any(|r| m.is_match(&r.id)) {
            return Err(format!("no rule matches {p:?} (`keysentry rules list` lists them)"));
        }
    }
    Ok(rules.into_iter().filter(|r| matchers.iter().any(|m| m.is_match(&r.id))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CONFIG_FILE;

    fn load_text(text: &str) -> Result<Settings, ConfigError> {
        load_keysentry(Path::new(CONFIG_FILE), text, Builtin::All)
    }

    #[test]
    fn an_empty_file_is_the_builtin_rules() {
        let s = load_text("").unwrap();
        assert_eq!(s.rules.len(), builtin_rules(Builtin::All).unwrap().len());
        assert!(s.allowlists.is_empty());
    }

    #[test]
    fn extended_is_kept_for_compatibility_and_warned_about() {
        let all = builtin_rules(Builtin::All).unwrap().len();
        assert!(all > builtin_rules(Builtin::Core).unwrap().len());
        let extended = load_text("[extend]\nextended = true\n").unwrap();
        assert_eq!(extended.rules.len(), all);
        assert_eq!(extended.warnings.len(), 1, "{:?}", extended.warnings);
        assert!(extended.warnings[0].contains("extend.extended does nothing"));
        assert!(load_text("").unwrap().warnings.is_empty());
        // `extended = false` does not make the set smaller either.
        assert_eq!(load_text("[extend]\nextended = false\n").unwrap().rules.len(), all);
        // Disabling works on extended rules too; without built-in rules there is nothing.
        let s =
            load_text("[extend]\nextended = true\ndisabled_rules = [\"stripe.webhook_secret\"]\n");
        assert_eq!(s.unwrap().rules.len(), all - 1);
        let none = load_text("[extend]\nbuiltin = false\nextended = true\n").unwrap();
        assert!(none.rules.is_empty());
        let core = load_keysentry(Path::new("k.toml"), "", Builtin::Core).unwrap();
        assert_eq!(core.rules.len(), builtin_rules(Builtin::Core).unwrap().len());
    }

    #[test]
    fn only_keeps_the_builtin_rules_it_names_and_the_files_own() {
        let s = load_text(
            "[extend]\nonly = [\"aws.*\", \"github.pat_classic\"]\n\n[[rules]]\nid = \"acme.token\"\n\
             description = \"d\"\nkeywords = [\"acme_\"]\nregex = 'acme_([a-z]{8})'\n\
             secret_group = 1\n",
        )
        .unwrap();
        let ids: Vec<&str> = s.rules.iter().map(|r| r.id.as_str()).collect();
        assert!(
            ids.contains(&"aws.access_key_id") && ids.contains(&"github.pat_classic"),
            "{ids:?}"
        );
        assert!(ids.contains(&"acme.token"));
        assert!(ids.iter().all(|id| id.starts_with("aws.")
            || *id == "github.pat_classic"
            || *id == "acme.token"));
        // A pattern that names nothing is a mistake, said with the pattern.
        let err = load_text("[extend]\nonly = [\"aws.*\", \"awz.*\"]\n").unwrap_err().to_string();
        assert!(err.contains("extend.only") && err.contains("awz.*"), "{err}");
        let err = load_text("[extend]\nonly = [\"[\"]\n").unwrap_err().to_string();
        assert!(err.contains("not a rule id or glob"), "{err}");
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = load_text("[extend]\nbuiltins = false\n").unwrap_err().to_string();
        assert!(err.contains("builtins"), "{err}");
        let err = load_text("[[allowlists]]\npath = [\"a\"]\n").unwrap_err().to_string();
        assert!(err.contains("path"), "{err}");
    }

    #[test]
    fn rules_are_added_replaced_and_disabled() {
        let s = load_text(
            r#"
[extend]
disabled_rules = ["generic.secret"]

[[rules]]
id = "acme.token"
description = "Acme token"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{32})\b'''
secret_group = 1
"#,
        )
        .unwrap();
        assert!(s.rules.iter().any(|r| r.id == "acme.token"));
        assert!(!s.rules.iter().any(|r| r.id == "generic.secret"));
        let err = load_text("[extend]\ndisabled_rules = [\"no.such\"]\n").unwrap_err();
        assert!(err.to_string().contains("no.such"));
        let only = load_text("[extend]\nbuiltin = false\n").unwrap();
        assert!(only.rules.is_empty());
    }

    #[test]
    fn allowlists_and_aws() {
        let s = load_text(
            r#"
[[allowlists]]
description = "fixtures"
paths = ["fixtures/**", "*.snap"]
rules = ["aws.access_key_id"]

[[allowlists]]
regexes = ["^sk_test_"]
stopwords = ["Example"]
condition = "and"

[aws]
accounts = ["111122223333"]
canaries = [{ owner = "us", accounts = ["444455556666"] }]
verify = true
role_name = "keysentry-remediation"
roles = { "444455556666" = "other-role" }
"#,
        )
        .unwrap();
        assert_eq!(s.allowlists.len(), 2);
        assert_eq!(s.allowlists[1].condition, Condition::And);
        assert_eq!(s.allowlists[1].stopwords, ["example"]);
        assert!(s.allowlists[0].paths[1].matches("tests/snapshots/a.snap"));
        assert!(s.allowlists[0].paths[0].matches("fixtures/x/y.env"));
        assert!(!s.allowlists[0].paths[0].matches("src/fixtures/y.env"));
        assert_eq!(s.aws_accounts, ["111122223333"]);
        assert_eq!(s.canaries[0].0, "us");
        assert!(s.aws_online.verify);
        assert_eq!(s.aws_online.role_name.as_deref(), Some("keysentry-remediation"));
        assert_eq!(s.aws_online.roles, [("444455556666".to_owned(), "other-role".to_owned())]);
        let err = load_text("[[allowlists]]\nrules = [\"no.such\"]\n").unwrap_err();
        assert!(err.to_string().contains("no.such"));
        let err = load_text("[[allowlists]]\nregexes = [\"(\"]\n").unwrap_err();
        assert!(err.to_string().contains("allowlists[0].regexes"));
    }
}
