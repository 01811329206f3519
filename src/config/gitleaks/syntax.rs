//! gitleaks v8 configuration as serde types (gitleaks' own `config.ViperConfig`). Keys these
//! types do not know are collected with `serde_ignored` and reported as warnings that name the
//! key, never dropped silently. Keys that gitleaks has and keysentry does not need (`title`,
//! a rule's `tags`) are accepted whatever their value.

use std::path::Path;

use serde::Deserialize;

use crate::config::ConfigError;

/// A whole configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct GitleaksFile {
    // gitleaks' key: accepted, not used.
    pub(super) title: Option<toml::Value>,
    // gitleaks' key: accepted, not used.
    pub(super) description: Option<toml::Value>,
    // gitleaks' key: accepted, not used.
    pub(super) min_version: Option<toml::Value>,
    pub(super) extend: Option<ExtendSyntax>,
    pub(super) rules: Vec<RuleSyntax>,
    /// The old single global allowlist.
    pub(super) allowlist: Option<AllowlistSyntax>,
    pub(super) allowlists: Vec<AllowlistSyntax>,
}

/// `[extend]`: the default rules, another file, rules to disable.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct ExtendSyntax {
    pub(super) use_default: bool,
    pub(super) path: Option<String>,
    pub(super) disabled_rules: Vec<String>,
}

/// One `[[rules]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RuleSyntax {
    pub(super) id: Option<String>,
    pub(super) description: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) secret_group: Option<i64>,
    pub(super) entropy: Option<f64>,
    pub(super) keywords: Vec<String>,
    pub(super) path: Option<String>,
    // gitleaks' key: accepted, not used.
    pub(super) tags: Option<toml::Value>,
    /// The old single rule allowlist.
    pub(super) allowlist: Option<AllowlistSyntax>,
    pub(super) allowlists: Vec<AllowlistSyntax>,
}

/// An allowlist table, global or of a rule (`targetRules` only in global ones).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct AllowlistSyntax {
    pub(super) description: Option<String>,
    pub(super) condition: Option<String>,
    pub(super) regex_target: Option<String>,
    pub(super) regexes: Vec<String>,
    pub(super) paths: Vec<String>,
    pub(super) commits: Vec<String>,
    pub(super) stopwords: Vec<String>,
    pub(super) target_rules: Vec<String>,
}

/// One step of the path to an ignored key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Parses `text` (read from `path`); returns the configuration and one warning per key it
/// does not know (without the file name, which the caller adds).
pub(super) fn parse(path: &Path, text: &str) -> Result<(GitleaksFile, Vec<String>), ConfigError> {
    let parse_error =
        |e: toml::de::Error| ConfigError::Parse { path: path.into(), message: e.to_string() };
    let mut ignored: Vec<Vec<Step>> = Vec::new();
    let de = toml::Deserializer::parse(text).map_err(parse_error)?;
    let file: GitleaksFile = serde_ignored::deserialize(de, |p| {
        let mut steps = Vec::new();
        flatten(&p, &mut steps);
        ignored.push(steps);
    })
    .map_err(parse_error)?;
    let warnings = ignored.iter().map(|steps| describe(&file, steps)).collect();
    Ok((file, warnings))
}

fn flatten(path: &serde_ignored::Path<'_>, out: &mut Vec<Step>) {
    use serde_ignored::Path as P;
    match path {
        P::Root => {}
        P::Seq { parent, index } => {
            flatten(parent, out);
            out.push(Step::Index(*index));
        }
        P::Map { parent, key } => {
            flatten(parent, out);
            out.push(Step::Key(key.clone()));
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            flatten(parent, out);
        }
    }
}

/// The warning for the ignored key at `steps`: `key `x``, `key `extend.x``, `rule ID: key
/// `allowlists[0].x``, …
fn describe(file: &GitleaksFile, steps: &[Step]) -> String {
    let (rule, rest) = match steps {
        [Step::Key(k), Step::Index(i), rest @ ..] if k == "rules" && !rest.is_empty() => {
            let name = match file.rules.get(*i).and_then(|r| r.id.as_deref()) {
                Some(id) => format!("rule {id}: "),
                None => format!("rules[{i}]: "),
            };
            (name, rest)
        }
        _ => (String::new(), steps),
    };
    let mut key = String::new();
    for s in rest {
        match s {
            Step::Key(k) if key.is_empty() => key.push_str(k),
            Step::Key(k) => {
                key.push('.');
                key.push_str(k);
            }
            Step::Index(i) => key.push_str(&format!("[{i}]")),
        }
    }
    format!("{rule}key `{key}` is not supported and was ignored")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_13_unknown_keys_are_named_where_they_are() {
        let text = r#"
titel = "typo"
[extend]
useDefault = false
url = "https://example.test"
[[rules]]
id = "a"
regex = "a"
validate = true
[[rules.allowlists]]
regexes = ["x"]
regexTargets = "line"
[[rules]]
regex = "b"
skipReport = true
[[allowlists]]
targetRules = ["a"]
pathz = ["x"]
[allowlist]
nope = 1
"#;
        // In the order the TOML parser hands tables over (by key).
        let (file, warnings) = parse(Path::new("g.toml"), text).unwrap();
        assert_eq!(file.rules.len(), 2);
        assert_eq!(
            warnings,
            [
                "key `allowlist.nope` is not supported and was ignored",
                "key `allowlists[0].pathz` is not supported and was ignored",
                "key `extend.url` is not supported and was ignored",
                "rule a: key `allowlists[0].regexTargets` is not supported and was ignored",
                "rule a: key `validate` is not supported and was ignored",
                "rules[1]: key `skipReport` is not supported and was ignored",
                "key `titel` is not supported and was ignored",
            ]
        );
        // Keys gitleaks has and keysentry does not need are accepted, whatever their value.
        let (_, warnings) =
            parse(Path::new("g.toml"), "title = 1\nminVersion = \"v8\"\n[[rules]]\ntags = [1]\n")
                .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        // A value of the wrong type is an error that names the file.
        let err = parse(Path::new("g.toml"), "[[rules]]\nkeywords = \"x\"\n").unwrap_err();
        assert!(err.to_string().starts_with("g.toml: "), "{err}");
    }
}
