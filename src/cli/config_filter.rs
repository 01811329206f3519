//! The command line's configuration options turned into the library's [`SetupOptions`], and
//! the AWS options and warnings a configuration adds.

use std::path::Path;

use anyhow::Context;

use super::args_filter::FilterArgs;
use super::env::Env;
use keysentry::aws::{AccountId, AwsOptions, Include};
pub(crate) use keysentry::config::Suppression;
use keysentry::config::{Settings, SetupOptions};
use keysentry::rules::syntax::RuleSyntax;

/// Loads the configuration that applies to a scan of `root` ([`keysentry::config::setup`]).
pub(crate) fn load(
    args: &FilterArgs,
    root: &Path,
    with_baselines: bool,
    env: &Env,
) -> anyhow::Result<Suppression> {
    let options = SetupOptions {
        config: args.config.clone(),
        no_config: args.no_config,
        no_ignore_files: args.no_ignore_files,
        inline_ignore: !args.no_inline_ignore,
        baselines: args.baseline.clone(),
        with_baselines,
        builtin: args.builtin(),
        operator_config: env.operator_config.clone(),
    };
    let mut suppression = keysentry::config::setup(&options, root)?;
    let settings = &mut suppression.settings;
    settings.warnings.extend(args.compatibility_warnings());
    if !args.enable_rule.is_empty() {
        let rules = std::mem::take(&mut settings.rules);
        settings.rules = keysentry::config::select_rules(rules, &args.enable_rule)
            .map_err(|e| anyhow::anyhow!("--enable-rule: {e}"))?;
    }
    Ok(suppression)
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
