//! gitleaks v8 configuration, read as it is and turned into keysentry [`Settings`].
//!
//! Rules become content-anchored keysentry rules (gitleaks runs a rule's regex over the whole
//! content when one of its keywords occurs anywhere in it, and always when it has none), their
//! allowlists either rule allowlists checked in the detector (content-only ones) or post-scan
//! allowlists (those with paths, commits, `AND`, or a line target), global allowlists post-scan
//! allowlists, and a rule's `path` a restriction on where it reports. Whatever cannot be
//! carried over is named in [`Settings::warnings`], rule by rule; nothing is dropped silently.
//! `docs/gitleaks.md` lists what is supported.

use std::path::Path;

use toml::{Table, Value};

use super::file::{CONFIG_SIZE_LIMIT, Within};
use super::{ConfigError, Settings, builtin_rules};
use crate::filter::{Allowlist, Condition, PathPattern, RegexTarget};
use crate::rules::syntax::{AllowlistSyntax, Anchor, RuleSyntax};
use crate::rules::{Builtin, Pattern};

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

/// Whether a TOML text is gitleaks configuration: it uses a key only gitleaks has (camelCase
/// keys, `title`, a single `[allowlist]` table, a rule's `path`, `tags` or `allowlists`, an
/// `[extend]` with `useDefault` or `path`), or it is not valid TOML but mentions them.
pub fn looks_like_gitleaks(text: &str) -> bool {
    const CAMEL: &[&str] =
        &["useDefault", "secretGroup", "regexTarget", "targetRules", "disabledRules", "minVersion"];
    let Ok(table) = text.parse::<Table>() else {
        return CAMEL.iter().any(|k| text.contains(k))
            || text.lines().any(|l| l.trim_start().starts_with("[rules.allowlist]"));
    };
    let has = |t: &Table, keys: &[&str]| keys.iter().any(|k| t.contains_key(*k));
    let tables = |v: Option<&Value>| -> Vec<Table> {
        match v {
            Some(Value::Table(t)) => vec![t.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_table).cloned().collect(),
            _ => Vec::new(),
        }
    };
    if has(&table, &["title", "description", "minVersion", "allowlist"]) {
        return true;
    }
    if let Some(extend) = table.get("extend").and_then(Value::as_table)
        && has(extend, &["useDefault", "path", "disabledRules"])
    {
        return true;
    }
    let allowlist_keys = ["regexTarget", "targetRules"];
    if tables(table.get("allowlists")).iter().any(|a| has(a, &allowlist_keys)) {
        return true;
    }
    tables(table.get("rules")).iter().any(|r| {
        has(r, &["secretGroup", "path", "tags", "allowlists"])
            || tables(r.get("allowlist"))
                .iter()
                .any(|a| has(a, &["regexTarget", "condition", "paths", "commits"]))
    })
}

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
    seen: &mut Vec<std::path::PathBuf>,
    within: Within<'_>,
) -> Result<(), ConfigError> {
    let table: Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Parse {
        path: path.into(),
        message: e.to_string(),
    })?;
    let invalid = |message: String| ConfigError::Invalid { path: path.into(), message };
    let mut warnings = Vec::new();
    for key in table.keys() {
        if !["title", "description", "minVersion", "extend", "rules", "allowlist", "allowlists"]
            .contains(&key.as_str())
        {
            warnings.push(format!("key `{key}` is not supported and was ignored"));
        }
    }
    // [extend]: the default rules, another file, rules to disable.
    let mut disabled = Vec::new();
    if let Some(extend) = table.get("extend") {
        let extend = extend.as_table().ok_or_else(|| invalid("extend is not a table".into()))?;
        for key in extend.keys() {
            if !["useDefault", "path", "disabledRules"].contains(&key.as_str()) {
                warnings.push(format!("extend.{key} is not supported and was ignored"));
            }
        }
        if extend.get("useDefault").and_then(Value::as_bool) == Some(true) {
            settings.rules.extend(builtin_rules(which)?);
        }
        if let Some(base) = extend.get("path").and_then(Value::as_str) {
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
        disabled = strings(extend.get("disabledRules"));
    }
    for id in disabled {
        let mapped = DEFAULT_RULE_MAP.iter().find(|(g, _)| *g == id).map(|(_, k)| *k);
        let before = settings.rules.len();
        settings.rules.retain(|r| r.id != id && Some(r.id.as_str()) != mapped);
        if settings.rules.len() == before {
            warnings.push(format!("extend.disabledRules: no rule {id:?} to disable"));
        }
    }
    // [[rules]]
    let mut ids = std::collections::HashSet::new();
    for (i, rule) in table.get("rules").and_then(Value::as_array).into_iter().flatten().enumerate()
    {
        let Some(rule) = rule.as_table() else {
            return Err(invalid(format!("rules[{i}] is not a table")));
        };
        if let Some(id) = rule.get("id").and_then(Value::as_str)
            && !ids.insert(id.to_owned())
        {
            // gitleaks keeps its rules in a map by id: the later definition wins, silently.
            warnings.push(format!(
                "rules[{i}]: the id {id:?} is defined twice; the later definition is used, as \
                 gitleaks does"
            ));
        }
        match convert_rule(rule, settings, &mut warnings) {
            Ok(Some(r)) => match settings.rules.iter().position(|x| x.id == r.id) {
                Some(at) => settings.rules[at] = r,
                None => settings.rules.push(r),
            },
            Ok(None) => {}
            Err(message) => warnings.push(format!("rules[{i}]: {message}; rule not used")),
        }
    }
    // Global allowlists: the old single table and the new array.
    let globals = table
        .get("allowlist")
        .into_iter()
        .chain(table.get("allowlists").and_then(Value::as_array).into_iter().flatten());
    for (i, a) in globals.enumerate() {
        let a = a.as_table().ok_or_else(|| invalid(format!("allowlist {i} is not a table")))?;
        let list = allowlist(a, &["targetRules"], &mut warnings)
            .map_err(|m| invalid(format!("allowlist {i}: {m}")))?;
        settings.allowlists.push(list);
    }
    let file = path.display();
    settings.warnings.extend(warnings.into_iter().map(|w| format!("{file}: {w}")));
    Ok(())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// One gitleaks rule as a keysentry rule; `Ok(None)` for a rule keysentry cannot run (named in
/// `warnings`).
fn convert_rule(
    rule: &Table,
    settings: &mut Settings,
    warnings: &mut Vec<String>,
) -> Result<Option<RuleSyntax>, String> {
    let id = rule.get("id").and_then(Value::as_str).ok_or("a rule without `id`")?.to_owned();
    for key in rule.keys() {
        if ![
            "id",
            "description",
            "regex",
            "secretGroup",
            "entropy",
            "keywords",
            "path",
            "tags",
            "allowlist",
            "allowlists",
        ]
        .contains(&key.as_str())
        {
            warnings.push(format!("rule {id}: key `{key}` is not supported and was ignored"));
        }
    }
    let path = match rule.get("path").and_then(Value::as_str) {
        Some(p) => Some(Pattern::new(p).map_err(|e| format!("rule {id}: path regex: {e}"))?),
        None => None,
    };
    let Some(regex) = rule.get("regex").and_then(Value::as_str) else {
        let Some(path) = path else {
            return Err(format!("rule {id} has neither `regex` nor `path`"));
        };
        // Reports every file whose path matches, whatever its content.
        settings.path_rules.push(super::path_rules::PathRule {
            id: id.clone(),
            description: rule.get("description").and_then(Value::as_str).unwrap_or(&id).to_owned(),
            path,
        });
        return Ok(None);
    };
    if let Some(re) = path {
        settings.rule_paths.push((id.clone(), PathPattern::Regex(re)));
    }
    let regex = translate_regex(regex);
    // Parsed as rule regexes are compiled (bytes, ASCII classes, as RE2's): compiling here with
    // Unicode classes made the largest gitleaks rules (generic-api-key, pypi-upload-token,
    // vault-batch-token) exceed the size limit although they compile as rules.
    let syntax = regex_automata::util::syntax::Config::new().utf8(false).unicode(false);
    let captures = regex_automata::util::syntax::parse_with(&regex, &syntax)
        .map_err(|e| format!("rule {id}: regex does not parse in Rust syntax: {e}"))?
        .properties()
        .explicit_captures_len();
    // Without `secretGroup`, gitleaks takes the first group that matched something, else the
    // whole match.
    let (secret_group, first_group) = match rule.get("secretGroup").and_then(Value::as_integer) {
        Some(g) if g > 0 => (g as usize, false),
        _ => (0, captures > 0),
    };
    let mut keywords: Vec<String> =
        strings(rule.get("keywords")).into_iter().map(|k| k.to_ascii_lowercase()).collect();
    if keywords.iter().any(|k| k.len() < crate::rules::MIN_KEYWORD_LEN) {
        // Too short to prefilter on: run the rule on every content instead (never fewer
        // findings than gitleaks, which requires a keyword).
        keywords.clear();
    }
    let mut syntax = RuleSyntax {
        id: id.clone(),
        description: rule.get("description").and_then(Value::as_str).unwrap_or(&id).to_owned(),
        keywords,
        severity: Default::default(),
        regex,
        secret_group,
        first_group,
        entropy: rule
            .get("entropy")
            .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64))),
        checksum: None,
        multiline: false,
        generic: false,
        anchor: Anchor::Content,
        allowlist: AllowlistSyntax::default(),
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
        context: Vec::new(),
        builtin: false,
    };
    let lists = rule
        .get("allowlist")
        .into_iter()
        .chain(rule.get("allowlists").and_then(Value::as_array).into_iter().flatten());
    for (i, a) in lists.enumerate() {
        let a = a.as_table().ok_or(format!("rule {id}: allowlist {i} is not a table"))?;
        let mut list =
            allowlist(a, &[], warnings).map_err(|m| format!("rule {id}: allowlist {i}: {m}"))?;
        let content_only = list.paths.is_empty()
            && list.commits.is_empty()
            && list.condition == Condition::Or
            && list.regex_target != RegexTarget::Line;
        if content_only {
            // In RE2 syntax, as the rule's regex: translated the same way.
            let regexes: Vec<String> =
                strings(a.get("regexes")).iter().map(|r| translate_regex(r)).collect();
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

/// A gitleaks allowlist table as an [`Allowlist`]; `extra` names keys allowed besides the
/// common ones.
fn allowlist(a: &Table, extra: &[&str], warnings: &mut Vec<String>) -> Result<Allowlist, String> {
    for key in a.keys() {
        if !["description", "condition", "regexTarget", "regexes", "paths", "commits", "stopwords"]
            .contains(&key.as_str())
            && !extra.contains(&key.as_str())
        {
            warnings.push(format!("allowlist key `{key}` is not supported and was ignored"));
        }
    }
    let compile = |what: &str| -> Result<Vec<Pattern>, String> {
        strings(a.get(what))
            .iter()
            .map(|r| Pattern::new(&translate_regex(r)).map_err(|e| format!("{what}: {e}")))
            .collect()
    };
    let condition = match a.get("condition").and_then(Value::as_str).map(str::to_ascii_uppercase) {
        None => Condition::Or,
        Some(c) if c == "OR" => Condition::Or,
        Some(c) if c == "AND" => Condition::And,
        Some(c) => return Err(format!("condition {c:?} is neither OR nor AND")),
    };
    let regex_target = match a.get("regexTarget").and_then(Value::as_str) {
        None | Some("secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(t) => return Err(format!("regexTarget {t:?} is not secret, match or line")),
    };
    Ok(Allowlist {
        description: a.get("description").and_then(Value::as_str).map(str::to_owned),
        condition,
        regexes: compile("regexes")?,
        regex_target,
        paths: compile("paths")?.into_iter().map(PathPattern::Regex).collect(),
        stopwords: strings(a.get("stopwords")).iter().map(|w| w.to_ascii_lowercase()).collect(),
        commits: strings(a.get("commits")),
        target_rules: strings(a.get("targetRules")),
    })
}

/// Go RE2 syntax as Rust `regex` syntax: `\Q…\E` quoting (which Rust lacks) becomes escaped
/// text, and a `{` that cannot start a repetition (RE2 takes it literally) is escaped.
/// Everything else RE2 accepts means the same in Rust's regex syntax.
pub fn translate_regex(go: &str) -> String {
    let mut out = String::with_capacity(go.len());
    let mut rest = go;
    while let Some(at) = rest.find("\\Q") {
        out.push_str(&rest[..at]);
        let quoted = &rest[at + 2..];
        let end = quoted.find("\\E").unwrap_or(quoted.len());
        out.push_str(&regex::escape(&quoted[..end]));
        rest = quoted.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    escape_literal_braces(&out)
}

/// Escapes `{` where it does not start a valid repetition `{n}`, `{n,}` or `{n,m}`.
fn escape_literal_braces(re: &str) -> String {
    let bytes = re.as_bytes();
    let mut out = String::with_capacity(re.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && i + 1 < bytes.len() {
            let ch = re[i + 1..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&re[i..i + 1 + ch]);
            i += 1 + ch;
            continue;
        }
        if c == b'{' {
            let close = re[i..].find('}').map(|j| i + j);
            let valid = close.is_some_and(|j| {
                let inner = &re[i + 1..j];
                let (a, b) = inner.split_once(',').unwrap_or((inner, "0"));
                !a.is_empty()
                    && a.bytes().all(|x| x.is_ascii_digit())
                    && b.bytes().all(|x| x.is_ascii_digit())
            });
            if !valid {
                out.push_str("\\{");
                i += 1;
                continue;
            }
        }
        let ch = re[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&re[i..i + ch]);
        i += ch;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Settings {
        load(Path::new(".gitleaks.toml"), text, Builtin::Core).unwrap()
    }

    #[test]
    fn translations() {
        assert_eq!(translate_regex(r"a\Q.*+\Eb"), r"a\.\*\+b");
        assert_eq!(translate_regex(r"x{2,3}y{,3}z{a}"), r"x{2,3}y\{,3}z\{a}");
        assert_eq!(translate_regex(r"\{literal\}"), r"\{literal\}");
        assert!(Pattern::new(&translate_regex(r"key\s*[:=]\s*\Q${\E")).is_ok());
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
    fn gitleaks_files_are_recognised_by_their_keys() {
        let gl = [
            "title = \"x\"\n",
            "[allowlist]\npaths = ['''a''']\n",
            "[extend]\nuseDefault = true\n",
            "[[rules]]\nid = \"a\"\nregex = '''a'''\ntags = [\"t\"]\n",
            "[[rules]]\nid = \"a\"\nregex = '''a'''\n[[rules.allowlists]]\nregexes = ['''b''']\n",
            "[[allowlists]]\ntargetRules = [\"a\"]\n",
            "[[rules]]\nid = \"a\"\nregex = '''(a)'''\nsecretGroup = 1\n",
        ];
        for text in gl {
            assert!(looks_like_gitleaks(text), "{text}");
        }
        let ks = [
            "",
            "[extend]\nbuiltin = false\n[[rules]]\nid = \"a.b\"\ndescription = \"d\"\nkeywords = [\"abc\"]\nregex = '''abc'''\n",
            "[[allowlists]]\npaths = [\"x/**\"]\nregex_target = \"line\"\n",
            "[aws]\naccounts = [\"111122223333\"]\n",
        ];
        for text in ks {
            assert!(!looks_like_gitleaks(text), "{text}");
        }
    }

    #[test]
    fn extend_path_reads_the_base_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("base.toml"),
            "[[rules]]\nid = \"base-rule\"\nregex = '''base_[0-9]{8}'''\nkeywords = [\"base_\"]\n",
        )
        .unwrap();
        let top = dir.path().join(".gitleaks.toml");
        std::fs::write(&top, "[extend]\npath = \"base.toml\"\n").unwrap();
        let s = super::super::load(&top, Builtin::Core).unwrap();
        assert_eq!(s.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["base-rule"]);
        std::fs::write(dir.path().join("loop.toml"), "[extend]\npath = \"loop.toml\"\n").unwrap();
        assert!(super::super::load(&dir.path().join("loop.toml"), Builtin::Core).is_err());
    }
}
