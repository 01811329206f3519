//! gitleaks v8 configuration, read as it is and turned into keysentry [`Settings`].
//!
//! Rules become content-anchored keysentry rules (gitleaks runs a rule's regex over the whole
//! content when one of its keywords occurs anywhere in it, and always when it has none), their
//! allowlists either rule allowlists checked in the detector (content-only ones) or post-scan
//! allowlists (those with paths, commits, `AND`, or a line target), global allowlists post-scan
//! allowlists, and a rule's `path` a restriction on where it reports. Whatever cannot be
//! carried over is named in [`Settings::warnings`], rule by rule; nothing is dropped silently.
//! `docs/gitleaks.md` lists what is supported.

mod detect;
mod syntax;
mod translate;

use std::path::{Path, PathBuf};

use crate::rules::Pattern;

use super::file::{CONFIG_SIZE_LIMIT, Within};
use super::{ConfigError, Settings, builtin_rules};
use crate::filter::{Allowlist, Condition, PathPattern, RegexTarget};
use crate::rules::Builtin;
use crate::rules::syntax::{AllowlistSyntax as RuleAllowlist, Anchor, RuleSyntax};
pub use detect::looks_like_gitleaks;
use syntax::{AllowlistSyntax, GitleaksFile};
pub use translate::translate_regex;

/// keysentry's built-in rules that stand for gitleaks' default rules of the same secret, for
/// `[extend] disabledRules` when `useDefault` is set.
const DEFAULT_RULE_MAP: &[(&str, &str)] = &[
    ("aws-access-token", "aws.access_key_id"),
    ("generic-api-key", "generic.secret"),
    ("private-key", "private_key.pem"),
    ("github-pat", "github.pat_classic"),
    ("github-fine-grained-pat", "github.pat_fine_grained"),
    ("gitlab-pat", "gitlab.pat"),
    ("jwt", "jwt.token"),
    ("stripe-access-token", "stripe.secret_key"),
    ("npm-access-token", "npm.token"),
    ("pypi-upload-token", "pypi.token"),
    ("openai-api-key", "openai.api_key"),
    ("anthropic-api-key", "anthropic.api_key"),
    ("sendgrid-api-token", "sendgrid.api_key"),
    ("twilio-api-key", "twilio.api_key"),
    ("gcp-api-key", "google.api_key"),
];

/// Loads gitleaks configuration from `text` (read from `path`).
pub fn load(path: &Path, text: &str, which: Builtin) -> Result<Settings, ConfigError> {
    load_within(path, text, which, Within::Anywhere)
}

/// Loads gitleaks configuration from `text` (read from `path`); `[extend] path` is read as
/// `within` allows (for a file found in the scanned tree: only a file in that tree).
pub fn load_within(
    path: &Path,
    text: &str,
    which: Builtin,
    within: Within<'_>,
) -> Result<Settings, ConfigError> {
    let mut settings = Settings::default();
    let mut seen = vec![path.to_path_buf()];
    load_into(path, text, which, &mut settings, &mut seen, within)?;
    Ok(settings)
}

fn load_into(
    path: &Path,
    text: &str,
    which: Builtin,
    settings: &mut Settings,
    seen: &mut Vec<PathBuf>,
    within: Within<'_>,
) -> Result<(), ConfigError> {
    let (file, mut warnings) = syntax::parse(path, text)?;
    let GitleaksFile { extend, rules, allowlist, allowlists, .. } = file;
    let invalid = |message: String| ConfigError::Invalid { path: path.into(), message };
    // [extend]: the default rules, another file, rules to disable.
    let extend = extend.unwrap_or_default();
    if extend.use_default {
        settings.rules.extend(builtin_rules(which)?);
    }
    if let Some(base) = &extend.path {
        let base = path.parent().unwrap_or(Path::new(".")).join(base);
        if seen.contains(&base) {
            return Err(invalid(format!("extend.path {} extends itself", base.display())));
        }
        seen.push(base.clone());
        if let Within::Tree(tree) = within {
            // A repository's configuration may extend only a file of the repository.
            let inside = std::fs::canonicalize(&base)
                .ok()
                .zip(std::fs::canonicalize(tree).ok())
                .is_some_and(|(b, t)| b.starts_with(t));
            if !inside {
                return Err(invalid(format!(
                    "extend.path {} is outside the scanned tree {}: a configuration found \
                     in the tree may extend only files of the tree",
                    base.display(),
                    tree.display()
                )));
            }
        }
        let text = super::file::read_text(&base, CONFIG_SIZE_LIMIT, within)?;
        load_into(&base, &text, which, settings, seen, within)?;
    }
    for id in extend.disabled_rules {
        let mapped = DEFAULT_RULE_MAP.iter().find(|(g, _)| *g == id).map(|(_, k)| *k);
        let before = settings.rules.len();
        settings.rules.retain(|r| r.id != id && Some(r.id.as_str()) != mapped);
        if settings.rules.len() == before {
            warnings.push(format!("extend.disabledRules: no rule {id:?} to disable"));
        }
    }
    // [[rules]]
    let mut ids = std::collections::HashSet::new();
    for (i, rule) in rules.into_iter().enumerate() {
        let Some(id) = rule.id.clone() else {
            warnings.push(format!("rules[{i}]: a rule without `id`; rule not used"));
            continue;
        };
        if !ids.insert(id.clone()) {
            // gitleaks keeps its rules in a map by id: the later definition wins, silently.
            warnings.push(format!(
                "rules[{i}]: the id {id:?} is defined twice; the later definition is used, as \
                 gitleaks does"
            ));
        }
        match convert_rule(id, rule, settings, &mut warnings) {
            Ok(Some(r)) => match settings.rules.iter().position(|x| x.id == r.id) {
                Some(at) => settings.rules[at] = r,
                None => settings.rules.push(r),
            },
            Ok(None) => {}
            Err(message) => warnings.push(format!("rules[{i}]: {message}; rule not used")),
        }
    }
    // Global allowlists: the old single table and the new array.
    for (i, a) in allowlist.into_iter().chain(allowlists).enumerate() {
        let list = convert_allowlist(&a).map_err(|m| invalid(format!("allowlist {i}: {m}")))?;
        settings.allowlists.push(list);
    }
    let file = path.display();
    settings.warnings.extend(warnings.into_iter().map(|w| format!("{file}: {w}")));
    Ok(())
}

/// One gitleaks rule as a keysentry rule; `Ok(None)` for a rule that only reports paths (it
/// goes to `settings.path_rules`).
fn convert_rule(
    id: String,
    rule: syntax::RuleSyntax,
    settings: &mut Settings,
    warnings: &mut Vec<String>,
) -> Result<Option<RuleSyntax>, String> {
    let description = rule.description.clone().unwrap_or_else(|| id.clone());
    let path = match &rule.path {
        Some(p) => Some(Pattern::new(p).map_err(|e| format!("rule {id}: path regex: {e}"))?),
        None => None,
    };
    let Some(regex) = &rule.regex else {
        let Some(path) = path else {
            return Err(format!("rule {id} has neither `regex` nor `path`"));
        };
        // Reports every file whose path matches, whatever its content.
        settings.path_rules.push(super::path_rules::PathRule { id, description, path });
        return Ok(None);
    };
    if let Some(re) = path {
        settings.rule_paths.push((id.clone(), PathPattern::Regex(re)));
    }
    let regex = translate_regex(regex);
    // Parsed in the rules' dialect (bytes, ASCII classes, as RE2's): with Unicode classes the
    // largest gitleaks rules (generic-api-key, pypi-upload-token, vault-batch-token) exceeded
    // the size limit although they compile as rules.
    let captures = crate::rules::regex::capture_groups(&regex)
        .map_err(|e| format!("rule {id}: regex does not parse in Rust syntax: {e}"))?;
    // Without `secretGroup`, gitleaks takes the first group that matched something, else the
    // whole match.
    let (secret_group, first_group) = match rule.secret_group {
        Some(g) if g > 0 => (g as usize, false),
        _ => (0, captures > 0),
    };
    let mut keywords: Vec<String> = rule.keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
    if keywords.iter().any(|k| k.len() < crate::rules::MIN_KEYWORD_LEN) {
        // Too short to prefilter on: run the rule on every content instead (never fewer
        // findings than gitleaks, which requires a keyword).
        keywords.clear();
    }
    let mut syntax = RuleSyntax {
        id: id.clone(),
        description,
        keywords,
        severity: Default::default(),
        regex,
        secret_group,
        first_group,
        entropy: rule.entropy,
        checksum: None,
        multiline: false,
        generic: false,
        anchor: Anchor::Content,
        allowlist: RuleAllowlist::default(),
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
        context: Vec::new(),
        builtin: false,
    };
    for (i, a) in rule.allowlist.iter().chain(&rule.allowlists).enumerate() {
        if !a.target_rules.is_empty() {
            warnings.push(format!(
                "rule {id}: allowlist {i}: key `targetRules` is not supported in a rule's \
                 allowlist and was ignored"
            ));
        }
        let mut list =
            convert_allowlist(a).map_err(|m| format!("rule {id}: allowlist {i}: {m}"))?;
        let content_only = list.paths.is_empty()
            && list.commits.is_empty()
            && list.condition == Condition::Or
            && list.regex_target != RegexTarget::Line;
        if content_only {
            // In RE2 syntax, as the rule's regex: translated the same way.
            let regexes: Vec<String> = a.regexes.iter().map(|r| translate_regex(r)).collect();
            match list.regex_target {
                RegexTarget::Match => syntax.allowlist.match_regexes.extend(regexes),
                _ => syntax.allowlist.regexes.extend(regexes),
            }
            syntax.allowlist.stopwords.extend(list.stopwords);
        } else {
            list.target_rules = vec![id.clone()];
            settings.allowlists.push(list);
        }
    }
    Ok(Some(syntax))
}

/// A gitleaks allowlist table as an [`Allowlist`].
fn convert_allowlist(a: &AllowlistSyntax) -> Result<Allowlist, String> {
    let compile = |what: &str, list: &[String]| -> Result<Vec<Pattern>, String> {
        list.iter()
            .map(|r| Pattern::new(&translate_regex(r)).map_err(|e| format!("{what}: {e}")))
            .collect()
    };
    let condition = match a.condition.as_deref().map(str::to_ascii_uppercase) {
        None => Condition::Or,
        Some(c) if c == "OR" => Condition::Or,
        Some(c) if c == "AND" => Condition::And,
        Some(c) => return Err(format!("condition {c:?} is neither OR nor AND")),
    };
    let regex_target = match a.regex_target.as_deref() {
        None | Some("secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(t) => return Err(format!("regexTarget {t:?} is not secret, match or line")),
    };
    Ok(Allowlist {
        description: a.description.clone(),
        condition,
        regexes: compile("regexes", &a.regexes)?,
        regex_target,
        paths: compile("paths", &a.paths)?.into_iter().map(PathPattern::Regex).collect(),
        stopwords: a.stopwords.iter().map(|w| w.to_ascii_lowercase()).collect(),
        commits: a.commits.clone(),
        target_rules: a.target_rules.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GITLEAKS_FILE;

    fn load_text(text: &str) -> Settings {
        load(Path::new(GITLEAKS_FILE), text, Builtin::Core).unwrap()
    }

    #[test]
    fn rules_and_allowlists() {
        let s = load_text(
            r#"
title = "test"
[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "acme-token"
description = "Acme"
regex = '''acme_([a-z0-9]{16})'''
keywords = ["ACME_"]
entropy = 2
path = '''\.env$'''
[rules.allowlist]
regexes = ['''^0+$''']
stopwords = ["Test"]
[[rules.allowlists]]
paths = ['''^fixtures/''']
[[rules.allowlists]]
condition = "AND"
regexTarget = "line"
regexes = ['''dummy''']
commits = ["abcdef1"]

[[allowlists]]
targetRules = ["acme-token"]
paths = ['''vendor/''']
[allowlist]
regexes = ['''EXAMPLE''']
"#,
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert!(!s.rules.iter().any(|r| r.id == "generic.secret"));
        assert!(s.rules.iter().any(|r| r.id == "aws.access_key_id"));
        let acme = s.rules.iter().find(|r| r.id == "acme-token").unwrap();
        assert_eq!(acme.anchor, Anchor::Content);
        assert_eq!(acme.keywords, ["acme_"]);
        assert!(acme.first_group && acme.secret_group == 0);
        assert_eq!(acme.entropy, Some(2.0));
        assert_eq!(acme.allowlist.regexes, ["^0+$"]);
        assert_eq!(acme.allowlist.stopwords, ["test"]);
        // Two post-scan rule allowlists and two global ones.
        assert_eq!(s.allowlists.len(), 4);
        assert_eq!(s.allowlists[0].target_rules, ["acme-token"]);
        assert_eq!(s.allowlists[1].condition, Condition::And);
        assert_eq!(s.rule_paths.len(), 1);
        assert!(s.rule_paths[0].1.matches("prod.env") && !s.rule_paths[0].1.matches("a.py"));
    }

    #[test]
    fn what_cannot_be_used_is_named() {
        let s = load_text(
            r#"
[[rules]]
id = "p12"
path = '''\.p12$'''
[[rules]]
id = "bad"
regex = '''(?<name>x'''
[[rules]]
id = "odd"
regex = "x"
validate = true
"#,
        );
        let w = s.warnings.join("\n");
        assert!(!w.contains("rule p12"), "{w}");
        assert_eq!(s.path_rules.len(), 1);
        assert!(s.path_rules[0].path.is_match("certs/a.p12"));
        assert!(w.contains("rule bad") && w.contains("does not parse"), "{w}");
        assert!(w.contains("rule odd: key `validate`"), "{w}");
        assert_eq!(s.rules.len(), 1);
    }

    #[test]
    fn extend_path_reads_the_base_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.toml"),
            "[[rules]]\nid = \"base-rule\"\nregex = '''base_[0-9]{8}'''\nkeywords = [\"base_\"]\n",
        )
        .unwrap();
        let top = dir.path().join(GITLEAKS_FILE);
        std::fs::write(&top, "[extend]\npath = \"base.toml\"\n").unwrap();
        let s = super::super::load(&top, Builtin::Core).unwrap();
        assert_eq!(s.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["base-rule"]);
        std::fs::write(dir.path().join("loop.toml"), "[extend]\npath = \"loop.toml\"\n").unwrap();
        assert!(super::super::load(&dir.path().join("loop.toml"), Builtin::Core).is_err());
    }
}
