//! Configuration files: keysentry's `.keysentry.toml` and, for teams coming from gitleaks,
//! gitleaks v8 configuration as it is (`gitleaks.rs`). Both become [`Settings`]: the rules to
//! run, post-scan allowlists, rule path restrictions and AWS account lists. `docs/config.md`
//! and `docs/gitleaks.md` describe them.

pub mod check;
pub mod file;
pub mod gitleaks;
pub mod path_rules;

use std::path::{Path, PathBuf};

use file::{CONFIG_SIZE_LIMIT, FileError, Within};

use serde::Deserialize;

use crate::filter::{Allowlist, Condition, PathPattern, RegexTarget};
use crate::rules::syntax::RuleSyntax;
use crate::rules::{Builtin, Pattern, RuleError};

/// The name keysentry looks for at the root of a scan.
pub const CONFIG_FILE: &str = ".keysentry.toml";
/// gitleaks' configuration file, used when there is no [`CONFIG_FILE`].
pub const GITLEAKS_FILE: &str = ".gitleaks.toml";

/// Where a configuration came from, which decides what it may set (docs/config.md, "What a
/// repository's configuration may set").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// Named by the operator (`--config`) or the operator's own configuration: it may set
    /// everything.
    #[default]
    Operator,
    /// Found in the scanned tree: rules, allowlists, baselines and offline AWS tagging only.
    Repository,
}

/// What a configuration file asks for.
#[derive(Debug, Default)]
pub struct Settings {
    /// The rules to run (built-in ones included when the file keeps them).
    pub rules: Vec<RuleSyntax>,
    /// Post-scan allowlists, global or for some rules.
    pub allowlists: Vec<Allowlist>,
    /// Rules that report only in files whose path matches: (rule id, path pattern).
    pub rule_paths: Vec<(String, PathPattern)>,
    /// Rules that report files by path alone (gitleaks' rules with a `path` and no `regex`).
    pub path_rules: Vec<path_rules::PathRule>,
    /// The organisation's own AWS account ids. From a repository's configuration they tag
    /// findings ours or foreign and never take part in online work.
    pub aws_accounts: Vec<String>,
    /// Extra AWS canary accounts: (owner, accounts).
    pub canaries: Vec<(String, Vec<String>)>,
    /// Online AWS settings (`[aws]` `verify`, `role_name`, `roles`, `audit_log`).
    pub aws_online: AwsOnlineSettings,
    /// Things the user should know (a gitleaks rule that could not be used, say).
    pub warnings: Vec<String>,
    /// The file these settings came from, if any.
    pub file: Option<PathBuf>,
    /// Whether that file was found in the scanned tree.
    pub trust: Trust,
}

impl Settings {
    /// The built-in rules and nothing else: the settings without a configuration file.
    pub fn builtin(which: Builtin) -> Result<Settings, ConfigError> {
        Ok(Settings { rules: builtin_rules(which)?, ..Settings::default() })
    }
}

/// What `[aws]` says about online checks; used only with the `aws` cargo feature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsOnlineSettings {
    /// `scan` checks AWS keys owner-side as if `--verify` were given (`--offline` overrides).
    pub verify: bool,
    /// The role assumed in own accounts other than the operator's.
    pub role_name: Option<String>,
    /// Per-account role names: (account, role).
    pub roles: Vec<(String, String)>,
    /// Where the audit log is written.
    pub audit_log: Option<PathBuf>,
    /// The AWS region calls go to (as `--region`).
    pub region: Option<String>,
    /// The endpoint URL for STS and IAM (as `--endpoint-url`).
    pub endpoint_url: Option<String>,
}

impl AwsOnlineSettings {
    /// The `[aws]` keys these settings give a value.
    pub fn keys_set(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.verify {
            keys.push("verify");
        }
        if self.role_name.is_some() {
            keys.push("role_name");
        }
        if !self.roles.is_empty() {
            keys.push("roles");
        }
        if self.audit_log.is_some() {
            keys.push("audit_log");
        }
        if self.region.is_some() {
            keys.push("region");
        }
        if self.endpoint_url.is_some() {
            keys.push("endpoint_url");
        }
        keys
    }

    /// These settings, each unset one taken from `defaults`.
    pub fn or(self, defaults: &AwsOnlineSettings) -> AwsOnlineSettings {
        let d = defaults.clone();
        AwsOnlineSettings {
            verify: self.verify || d.verify,
            role_name: self.role_name.or(d.role_name),
            roles: if self.roles.is_empty() { d.roles } else { self.roles },
            audit_log: self.audit_log.or(d.audit_log),
            region: self.region.or(d.region),
            endpoint_url: self.endpoint_url.or(d.endpoint_url),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read, or is not one to read (a FIFO, a directory, too large, a link
    /// out of the tree).
    #[error(transparent)]
    File(#[from] FileError),
    /// A configuration that leaves no rule to run: a scan with it could find nothing.
    #[error(
        "{}: no rule is left active (built-in rules switched off and none added): a scan \
         with it would find nothing",
        path.display()
    )]
    NoRules {
        /// The file.
        path: PathBuf,
    },
    /// Not valid TOML, or a key keysentry does not know (the message names it).
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A value that does not make sense (a bad glob or regex, a rule that does not exist).
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The built-in rules are broken (ruled out by the test suite).
    #[error("built-in rules: {0:?}")]
    Builtin(Vec<String>),
}

/// The built-in rules as syntax.
pub fn builtin_rules(which: Builtin) -> Result<Vec<RuleSyntax>, ConfigError> {
    which.syntax().map_err(|errs: Vec<RuleError>| {
        ConfigError::Builtin(errs.iter().map(ToString::to_string).collect())
    })
}

/// The directory whose configuration applies to a scan of `root`: inside a git working tree,
/// the first directory from `root` (or, for a file, its directory) up to the top of the
/// working tree that holds `.keysentry.toml` or `.gitleaks.toml`, else that top; outside git,
/// `root`'s directory itself. The search never climbs out of the repository, so a file
/// planted in a shared parent directory (`/tmp`) governs nothing below it.
pub fn project_dir(root: &Path) -> PathBuf {
    let start = if root.is_dir() { root } else { root.parent().unwrap_or(Path::new(".")) };
    let start = if start.as_os_str().is_empty() { Path::new(".") } else { start };
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let Some(top) = repository_top(&absolute) else { return start.to_path_buf() };
    for dir in absolute.ancestors() {
        if [CONFIG_FILE, GITLEAKS_FILE].iter().any(|n| file::exists(&dir.join(n))) || dir == top {
            return dir.to_path_buf();
        }
    }
    top
}

/// The top of the git working tree holding `dir`: the nearest directory at or above it with a
/// `.git` directory or a `.git` file (`gitdir: …`, a linked worktree or a submodule) owned by
/// the user who owns `dir`, as git's `safe.directory` check would have it: someone else's
/// `.git` in `/tmp` does not make `/tmp` a repository.
pub fn repository_top(dir: &Path) -> Option<PathBuf> {
    for d in dir.ancestors() {
        let git = d.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&git) else { continue };
        let valid = meta.is_dir()
            || (meta.is_file()
                && meta.len() < 4096
                && std::fs::read(&git).is_ok_and(|t| t.starts_with(b"gitdir:")));
        if valid && same_owner(&git, dir) {
            return Some(d.to_path_buf());
        }
    }
    None
}

#[cfg(unix)]
fn same_owner(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (std::fs::symlink_metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.uid() == b.uid(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_owner(_: &Path, _: &Path) -> bool {
    true
}

/// The configuration file in `dir`: `.keysentry.toml`, else `.gitleaks.toml`. Anything by
/// that name counts (a FIFO or a directory too: loading it reports it, instead of passing it
/// over in silence).
pub fn discover(dir: &Path) -> Option<PathBuf> {
    [CONFIG_FILE, GITLEAKS_FILE].iter().map(|name| dir.join(name)).find(|p| file::exists(p))
}

/// Loads a configuration file the operator named (`--config`, the operator's own): gitleaks'
/// when its name says so (`gitleaks` in it) or when it has gitleaks' keys, keysentry's
/// otherwise. Where it keeps the built-in rules, `which` says which (a keysentry file may ask
/// for all of them itself).
pub fn load(path: &Path, which: Builtin) -> Result<Settings, ConfigError> {
    load_as(path, which, Within::Anywhere, Trust::Operator)
}

/// Loads a configuration file found in the scanned tree rooted at `tree`: read only if it is
/// a regular file in the tree (a link may not lead out of it, nor may gitleaks'
/// `[extend] path`), and only its rules, allowlists, baselines and offline AWS tagging
/// (`[aws] accounts`, `canaries`) are used. Online AWS settings in it are dropped, each named
/// in [`Settings::warnings`].
pub fn load_found(path: &Path, which: Builtin, tree: &Path) -> Result<Settings, ConfigError> {
    let mut settings = load_as(path, which, Within::Tree(tree), Trust::Repository)?;
    let ignored = settings.aws_online.keys_set();
    if !ignored.is_empty() {
        settings.warnings.push(format!(
            "{}: [aws] {} ignored: a configuration found in the scanned tree may set rules, \
             allowlists and baselines only (a repository must not switch on network calls \
             made with your AWS credentials, nor choose roles, endpoints or output paths); \
             give them on the command line, with --config, or in your own configuration \
             (~/.config/keysentry/config.toml)",
            path.display(),
            ignored.join(", ")
        ));
        settings.aws_online = AwsOnlineSettings::default();
    }
    Ok(settings)
}

fn load_as(
    path: &Path,
    which: Builtin,
    within: Within<'_>,
    trust: Trust,
) -> Result<Settings, ConfigError> {
    let text = file::read_text(path, CONFIG_SIZE_LIMIT, within)?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mut settings = if name.contains("gitleaks") || gitleaks::looks_like_gitleaks(&text) {
        gitleaks::load_within(path, &text, which, within)?
    } else {
        load_keysentry(path, &text, which)?
    };
    settings.file = Some(path.to_path_buf());
    settings.trust = trust;
    Ok(settings)
}

impl Settings {
    /// An error if no rule is left to run.
    pub fn ensure_rules(&self) -> Result<(), ConfigError> {
        if self.rules.is_empty() && self.path_rules.is_empty() {
            let path = self.file.clone().unwrap_or_else(|| PathBuf::from("configuration"));
            return Err(ConfigError::NoRules { path });
        }
        Ok(())
    }
}

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
    #[serde(default)]
    extended: bool,
    #[serde(default)]
    disabled_rules: Vec<String>,
}

impl Default for Extend {
    fn default() -> Extend {
        Extend { builtin: true, extended: false, disabled_rules: Vec::new() }
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

fn load_keysentry(path: &Path, text: &str, which: Builtin) -> Result<Settings, ConfigError> {
    let file: ConfigFile = toml::from_str(text)
        .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
    let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
    let which = if file.extend.extended { Builtin::All } else { which };
    let mut rules = if file.extend.builtin { builtin_rules(which)? } else { Vec::new() };
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
        ..Settings::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Settings, ConfigError> {
        load_keysentry(Path::new(".keysentry.toml"), text, Builtin::Core)
    }

    #[test]
    fn an_empty_file_is_the_builtin_rules() {
        let s = load_text("").unwrap();
        assert_eq!(s.rules.len(), builtin_rules(Builtin::Core).unwrap().len());
        assert!(s.allowlists.is_empty());
    }

    #[test]
    fn extended_asks_for_all_the_builtin_rules() {
        let all = builtin_rules(Builtin::All).unwrap().len();
        assert!(all > builtin_rules(Builtin::Core).unwrap().len());
        assert_eq!(load_text("[extend]\nextended = true\n").unwrap().rules.len(), all);
        // Disabling works on extended rules too; without built-in rules there is nothing.
        let s =
            load_text("[extend]\nextended = true\ndisabled_rules = [\"stripe.webhook_secret\"]\n");
        assert_eq!(s.unwrap().rules.len(), all - 1);
        let none = load_text("[extend]\nbuiltin = false\nextended = true\n").unwrap();
        assert!(none.rules.is_empty());
        let cli = load_keysentry(Path::new("k.toml"), "", Builtin::All).unwrap();
        assert_eq!(cli.rules.len(), all);
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
