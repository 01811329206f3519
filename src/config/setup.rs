//! The configuration that applies to a scan, as `keysentry scan` loads it: which
//! configuration file (the operator's, `--config`, or the one found in the tree, with what
//! each may set), its allowlists, the repository's ignore lists and the baselines, turned into
//! [`Settings`] and [`Filters`].

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{self, Settings, Trust};
use crate::files::names::{GITLEAKS_IGNORE_FILE, IGNORE_FILE, IGNORED_FINGERPRINTS_FILE};
use crate::files::read::{self as file, BASELINE_SIZE_LIMIT, Within};
use crate::filter::{Baseline, Filters, ignored};
use crate::rules::Builtin;

/// What a scan is configured with beyond its input.
#[derive(Debug)]
pub struct Suppression {
    /// Rules, allowlists and (trusted) AWS settings: `aws_accounts` here are those of the
    /// operator (`--config`, the operator's configuration) and may take part in online work.
    pub settings: Settings,
    /// Own AWS accounts named by a configuration found in the scanned tree: they tag findings
    /// ours or foreign, and never reach online work.
    pub repository_accounts: Vec<String>,
    /// Allowlists, ignored fingerprints and baselines.
    pub filters: Filters,
    /// Inline ignore comments are honoured.
    pub inline_ignore: bool,
    /// Files whose change in the very change being checked (`--staged`, `--range`, the hooks)
    /// is reported: the configuration, ignore lists and baselines of the repository.
    pub watched: Vec<String>,
    /// Ignore lists of the repository are not read (`--no-ignore-files`).
    pub no_ignore_files: bool,
}

/// What [`setup`] is asked to load: the command line's choices and the operator's own
/// configuration, never anything the scanned tree says about itself.
#[derive(Clone, Debug, Default)]
pub struct SetupOptions {
    /// A configuration named by the operator (`--config`): it may set everything.
    pub config: Option<PathBuf>,
    /// Read no configuration from the scanned tree (`--no-config`).
    pub no_config: bool,
    /// Read none of the repository's ignore lists (`--no-ignore-files`).
    pub no_ignore_files: bool,
    /// Honour inline ignore comments (on unless `--no-inline-ignore`).
    pub inline_ignore: bool,
    /// Baselines named by the operator (`--baseline`).
    pub baselines: Vec<PathBuf>,
    /// Apply baselines (off to write a baseline of everything found).
    pub with_baselines: bool,
    /// Which built-in rules.
    pub builtin: Builtin,
    /// The operator's own configuration, outside any scanned tree (`KEYSENTRY_CONFIG` or the
    /// user's configuration directory).
    pub operator_config: Option<PathBuf>,
}

/// The names of the files through which a repository suppresses findings.
pub const SUPPRESSION_FILES: &[&str] = &[
    config::CONFIG_FILE,
    config::GITLEAKS_FILE,
    IGNORE_FILE,
    IGNORED_FINGERPRINTS_FILE,
    GITLEAKS_IGNORE_FILE,
];

/// Loads the configuration that applies to a scan of `root` and the suppressions.
///
/// Settings: `--config FILE`, else (unless `--no-config`) the configuration found in the
/// scanned tree, else the operator's own configuration, else the built-in rules. The
/// operator's configuration's `[aws]` applies in every case (a `--config` file's overrides it
/// key by key); a configuration found in the tree sets rules, allowlists, baselines and
/// offline AWS tagging only.
///
/// Suppressions: the configuration's allowlists, the ignored fingerprints
/// (`.keysentry-ignored-fingerprints`, and the old `fingerprint:` lines of `.keysentryignore`,
/// with a warning) and the `.gitleaksignore` of the project directory (unless
/// `--no-ignore-files`), and the `--baseline` files (unless `with_baselines` is false: a
/// baseline is written from everything found). `keysentry scan` loads its configuration
/// with this function: a program that embeds the library and calls it gets the same
/// configuration for the same tree and options.
pub fn setup(args: &SetupOptions, root: &Path) -> Result<Suppression, SetupError> {
    let which = args.builtin;
    let operator = match &args.operator_config {
        Some(path) if file::exists(path) => Some(
            config::load(path, which)
                .context(|| format!("the operator's configuration {}", path.display()))?,
        ),
        _ => None,
    };
    let dir = config::project_dir(root);
    let absolute = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
    let tree = config::repository_top(&absolute).unwrap_or(absolute);
    let project = match &args.config {
        Some(path) => Some(config::load(path, which)?),
        None if args.no_config => None,
        None => match config::discover(&dir) {
            Some(path) => Some(config::load_found(&path, which, &tree)?),
            None => None,
        },
    };
    let mut repository_accounts = Vec::new();
    let mut settings = match (project, operator) {
        (Some(mut p), Some(o)) => {
            p.aws_online = p.aws_online.or(&o.aws_online);
            if p.trust == Trust::Repository {
                repository_accounts = std::mem::take(&mut p.aws_accounts);
            }
            p.aws_accounts.extend(o.aws_accounts);
            p.canaries.extend(o.canaries);
            p.warnings.extend(o.warnings);
            p
        }
        (Some(mut p), None) => {
            if p.trust == Trust::Repository {
                repository_accounts = std::mem::take(&mut p.aws_accounts);
            }
            p
        }
        (None, Some(o)) => o,
        (None, None) => Settings::builtin(which)?,
    };
    settings.ensure_rules()?;
    settings.warnings.extend(config::check::dangerous_shapes(&settings));
    let mut filters = Filters {
        allowlists: std::mem::take(&mut settings.allowlists),
        rule_paths: std::mem::take(&mut settings.rule_paths),
        base: Some(std::path::absolute(&dir).unwrap_or_else(|_| dir.clone())),
        ..Filters::default()
    };
    let repo_file = |name: &str, warnings: &mut Vec<String>| -> Option<String> {
        match file::read_optional(&dir.join(name), BASELINE_SIZE_LIMIT, Within::Tree(&tree)) {
            Ok(text) => text,
            Err(e) => {
                // Not applying it reports more, never less: a warning, not an error.
                warnings.push(format!("{e}; its entries were not applied"));
                None
            }
        }
    };
    if !args.no_ignore_files {
        let (ignored, ignore_text) = ignored::load(&dir, Within::Tree(&tree));
        filters.ignored = ignored.fingerprints;
        settings.warnings.extend(ignored.warnings);
        if let Some(text) = ignore_text {
            let name = dir.join(IGNORE_FILE).display().to_string();
            settings.warnings.extend(config::check::ignore_list_dangers(&name, &text));
        }
    }
    if args.with_baselines {
        if !args.no_ignore_files
            && let Some(text) = repo_file(GITLEAKS_IGNORE_FILE, &mut settings.warnings)
        {
            filters.baselines.push(Baseline::parse(GITLEAKS_IGNORE_FILE, &text)?);
        }
        for path in &args.baselines {
            let text = file::read_text(path, BASELINE_SIZE_LIMIT, Within::Anywhere)
                .context(|| format!("cannot read baseline {}", path.display()))?;
            let name = path.to_string_lossy();
            let baseline =
                Baseline::parse(&name, &text).context(|| format!("baseline {}", path.display()))?;
            filters.baselines.push(baseline);
        }
    }
    let mut watched: Vec<String> = SUPPRESSION_FILES.iter().map(|s| (*s).to_owned()).collect();
    if let Some(name) = settings.file.as_ref().and_then(|f| f.file_name()) {
        watched.push(name.to_string_lossy().into_owned());
    }
    for b in &args.baselines {
        if let Some(name) = b.file_name() {
            watched.push(name.to_string_lossy().into_owned());
        }
    }
    watched.sort();
    watched.dedup();
    Ok(Suppression {
        settings,
        repository_accounts,
        filters,
        inline_ignore: args.inline_ignore,
        watched,
        no_ignore_files: args.no_ignore_files,
    })
}

/// A configuration, ignore list or baseline that cannot be used: what it was, and why.
#[derive(Debug)]
pub struct SetupError {
    context: Option<String>,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(c) => f.write_str(c),
            None => fmt::Display::fmt(&self.source, f),
        }
    }
}

impl std::error::Error for SetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.context {
            Some(_) => Some(&*self.source),
            None => self.source.source(),
        }
    }
}

impl From<config::ConfigError> for SetupError {
    fn from(e: config::ConfigError) -> SetupError {
        SetupError { context: None, source: Box::new(e) }
    }
}

impl From<crate::filter::BaselineError> for SetupError {
    fn from(e: crate::filter::BaselineError) -> SetupError {
        SetupError { context: None, source: Box::new(e) }
    }
}

/// Names what failed.
trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, SetupError>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, SetupError> {
        self.map_err(|e| SetupError { context: Some(what()), source: Box::new(e) })
    }
}
