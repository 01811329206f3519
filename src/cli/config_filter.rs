//! Configuration file, allowlists, ignore lists and baselines turned into [`Settings`] and
//! [`Filters`] before a scan starts.

use std::path::Path;

use anyhow::Context;

use super::args_filter::FilterArgs;
use super::env::Env;
use keysentry::aws::{AccountId, AwsOptions, Include};
use keysentry::config::{self, Settings, Trust};
use keysentry::files::names::{GITLEAKS_IGNORE_FILE, IGNORE_FILE, IGNORED_FINGERPRINTS_FILE};
use keysentry::files::read::{self as file, BASELINE_SIZE_LIMIT, Within};
use keysentry::filter::{Baseline, Filters, ignored};
use keysentry::rules::syntax::RuleSyntax;

/// What a scan is configured with beyond its input.
#[derive(Debug)]
pub(crate) struct Suppression {
    /// Rules, allowlists and (trusted) AWS settings: `aws_accounts` here are those of the
    /// operator (`--config`, the operator's configuration) and may take part in online work.
    pub(crate) settings: Settings,
    /// Own AWS accounts named by a configuration found in the scanned tree: they tag findings
    /// ours or foreign, and never reach online work.
    pub(crate) repository_accounts: Vec<String>,
    pub(crate) filters: Filters,
    pub(crate) inline_ignore: bool,
    /// Files whose change in the very change being checked (`--staged`, `--range`, the hooks)
    /// is reported: the configuration, ignore lists and baselines of the repository.
    pub(crate) watched: Vec<String>,
    /// Ignore lists of the repository are not read (`--no-ignore-files`).
    pub(crate) no_ignore_files: bool,
}

/// The names of the files through which a repository suppresses findings.
pub(crate) const SUPPRESSION_FILES: &[&str] = &[
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
/// baseline is written from everything found).
pub(crate) fn load(
    args: &FilterArgs,
    root: &Path,
    with_baselines: bool,
    env: &Env,
) -> anyhow::Result<Suppression> {
    let which = args.builtin();
    let operator = match &env.operator_config {
        Some(path) if file::exists(path) => Some(
            config::load(path, which)
                .with_context(|| format!("the operator's configuration {}", path.display()))?,
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
    if with_baselines {
        if !args.no_ignore_files
            && let Some(text) = repo_file(GITLEAKS_IGNORE_FILE, &mut settings.warnings)
        {
            filters.baselines.push(Baseline::parse(GITLEAKS_IGNORE_FILE, &text)?);
        }
        for path in &args.baseline {
            let text = file::read_text(path, BASELINE_SIZE_LIMIT, Within::Anywhere)
                .with_context(|| format!("cannot read baseline {}", path.display()))?;
            let name = path.to_string_lossy();
            let baseline = Baseline::parse(&name, &text)
                .with_context(|| format!("baseline {}", path.display()))?;
            filters.baselines.push(baseline);
        }
    }
    let mut watched: Vec<String> = SUPPRESSION_FILES.iter().map(|s| (*s).to_owned()).collect();
    if let Some(name) = settings.file.as_ref().and_then(|f| f.file_name()) {
        watched.push(name.to_string_lossy().into_owned());
    }
    for b in &args.baseline {
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
        inline_ignore: !args.no_inline_ignore,
        watched,
        no_ignore_files: args.no_ignore_files,
    })
}

/// Adds the configuration's trusted AWS accounts and canaries to `aws`.
pub(crate) fn add_aws(settings: &Settings, aws: &mut AwsOptions) -> anyhow::Result<()> {
    add_accounts(settings, &settings.aws_accounts, aws)?;
    for (owner, accounts) in &settings.canaries {
        aws.canaries
            .add(owner, accounts)
            .with_context(|| format!("{}: aws.canaries", name(settings)))?;
    }
    Ok(())
}

/// Adds the accounts of a configuration found in the tree to `aws`: once the online run is
/// built, for tagging only.
pub(crate) fn add_repository_accounts(
    suppression: &Suppression,
    aws: &mut AwsOptions,
) -> anyhow::Result<()> {
    add_accounts(&suppression.settings, &suppression.repository_accounts, aws)
}

fn name(settings: &Settings) -> String {
    settings.file.as_ref().map_or_else(String::new, |f| f.display().to_string())
}

fn add_accounts(
    settings: &Settings,
    accounts: &[String],
    aws: &mut AwsOptions,
) -> anyhow::Result<()> {
    for a in accounts {
        let id = AccountId::parse(a).with_context(|| {
            format!("{}: aws.accounts: {a:?} is not a 12-digit AWS account id", name(settings))
        })?;
        aws.own_accounts.insert(id);
    }
    Ok(())
}

/// The rules a scan runs: the configuration's, less the AWS identifier rule unless
/// identifiers are asked for (they are reported only on request, and without it the rule would
/// only cost prefilter hits: its keywords, such as `asca`, occur in ordinary words).
pub(crate) fn rules_for(settings: &Settings, aws: &AwsOptions) -> Vec<RuleSyntax> {
    let mut rules = settings.rules.clone();
    if aws.identifiers == Include::No {
        rules.retain(|r| r.id != keysentry::aws::IDENTIFIER_RULE);
    }
    rules
}

/// Warnings for configuration and ignore files changed in the change being checked (`what`):
/// the change may itself be what hides its findings.
pub(crate) fn changed_suppressions(what: &str, touched: Vec<String>) -> Vec<String> {
    touched
        .into_iter()
        .map(|path| {
            format!(
                "{path} is changed in the {what} being checked: a change to the configuration, \
                 ignore lists or baselines can hide the change's own findings; review it, or \
                 check with --no-config --no-ignore-files"
            )
        })
        .collect()
}
