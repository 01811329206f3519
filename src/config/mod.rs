//! Configuration files: keysentry's `.keysentry.toml` and, for teams coming from gitleaks,
//! gitleaks v8 configuration as it is (`gitleaks/`). Both become [`Settings`]: the rules to
//! run, post-scan allowlists, rule path restrictions and AWS account lists. `docs/config.md`
//! and `docs/gitleaks.md` describe them. Where the file is: `discover.rs`; what its `[aws]`
//! may ask for: `aws_online.rs`; the names of every file keysentry reads: `names.rs`.

mod aws_online;
pub mod check;
mod discover;
pub mod gitleaks;
mod keysentry;
pub mod path_rules;
mod setup;

/// File names (moved to [`crate::files::names`]; kept here for old paths).
pub use crate::files::names;
/// Reading steering files safely (moved to [`crate::files::read`]; kept here for old paths).
pub use crate::files::read as file;

use std::path::{Path, PathBuf};

use file::{CONFIG_SIZE_LIMIT, FileError, Within};

pub use aws_online::AwsOnlineSettings;
pub use discover::{discover, project_dir, repository_top};
#[cfg(fuzzing)]
pub(crate) use keysentry::load_keysentry;
#[cfg(not(fuzzing))]
use keysentry::load_keysentry;
pub use keysentry::select_rules;
pub use setup::{SUPPRESSION_FILES, SetupError, SetupOptions, Suppression, setup};

use crate::filter::{Allowlist, PathPattern};
use crate::rules::syntax::RuleSyntax;
use crate::rules::{Builtin, RuleError};

pub use names::{CONFIG_FILE, GITLEAKS_FILE};

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
