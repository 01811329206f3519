//! Configuration file, allowlists, ignore lists and baselines turned into [`Settings`] and
//! [`Filters`] before a scan starts.

use std::path::Path;

use anyhow::Context;

use super::args_filter::FilterArgs;
use keysentry::aws::{AccountId, AwsOptions, Include};
use keysentry::config::{self, Settings};
use keysentry::filter::{Baseline, Filters, ignored_fingerprints};
use keysentry::rules::syntax::RuleSyntax;

/// What a scan is configured with beyond its input.
#[derive(Debug)]
pub(crate) struct Suppression {
    pub(crate) settings: Settings,
    pub(crate) filters: Filters,
    pub(crate) inline_ignore: bool,
}

/// Loads the configuration that applies to a scan of `root` and the suppressions: the
/// configuration's allowlists, `fingerprint:` lines of `.keysentryignore` and the
/// `.gitleaksignore` of the project directory, and the `--baseline` files (unless
/// `with_baselines` is false: a baseline is written from everything found).
pub(crate) fn load(
    args: &FilterArgs,
    root: &Path,
    with_baselines: bool,
) -> anyhow::Result<Suppression> {
    let dir = config::project_dir(root);
    let file =
        if args.no_config { None } else { args.config.clone().or_else(|| config::discover(&dir)) };
    let mut settings = match &file {
        Some(path) => config::load(path, args.builtin())?,
        None => Settings::builtin(args.builtin())?,
    };
    let mut filters = Filters {
        allowlists: std::mem::take(&mut settings.allowlists),
        rule_paths: std::mem::take(&mut settings.rule_paths),
        base: Some(std::path::absolute(&dir).unwrap_or_else(|_| dir.clone())),
        ..Filters::default()
    };
    let ignore_file = dir.join(".keysentryignore");
    // The repository's own file: read only if it is a regular file within the size limit.
    match keysentry::source::read_control_file(&ignore_file, keysentry::source::CONTROL_FILE_LIMIT)
    {
        Ok(Some(text)) => filters.ignored = ignored_fingerprints(&String::from_utf8_lossy(&text)),
        Ok(None) => {}
        Err(e) => settings.warnings.push(format!(
            "{}: not read: {e}; its fingerprints are not ignored",
            ignore_file.display()
        )),
    }
    if with_baselines {
        let gitleaksignore = dir.join(".gitleaksignore");
        let mut files: Vec<_> = args.baseline.clone();
        let project_files = usize::from(gitleaksignore.symlink_metadata().is_ok());
        if project_files > 0 {
            files.push(gitleaksignore);
        }
        let operator_files = files.len() - project_files;
        for (i, path) in files.into_iter().enumerate() {
            let text = if i < operator_files {
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read baseline {}", path.display()))?
            } else {
                // The repository's `.gitleaksignore`: a regular file within the size limit.
                let limit = keysentry::source::CONTROL_FILE_LIMIT;
                match keysentry::source::read_control_file(&path, limit) {
                    Ok(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
                    Ok(None) => continue,
                    Err(e) => {
                        let why = format!(
                            "{}: not read: {e}; its entries are not applied",
                            path.display()
                        );
                        settings.warnings.push(why);
                        continue;
                    }
                }
            };
            let name = path.to_string_lossy();
            let baseline = Baseline::parse(&name, &text)
                .with_context(|| format!("baseline {}", path.display()))?;
            filters.baselines.push(baseline);
        }
    }
    Ok(Suppression { settings, filters, inline_ignore: !args.no_inline_ignore })
}

/// Adds the configuration's AWS accounts and canaries to `aws`.
pub(crate) fn add_aws(settings: &Settings, aws: &mut AwsOptions) -> anyhow::Result<()> {
    let name = || settings.file.as_ref().map_or_else(String::new, |f| f.display().to_string());
    for a in &settings.aws_accounts {
        let id = AccountId::parse(a).with_context(|| {
            format!("{}: aws.accounts: {a:?} is not a 12-digit AWS account id", name())
        })?;
        aws.own_accounts.insert(id);
    }
    for (owner, accounts) in &settings.canaries {
        aws.canaries.add(owner, accounts).with_context(|| format!("{}: aws.canaries", name()))?;
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
