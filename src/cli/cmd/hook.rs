//! `keysentry hook`: the pre-commit check (the staged changes) and the pre-push check (the
//! commits being pushed), scanned as `keysentry scan --staged` and `--range` would, with a short
//! report; `hook install | uninstall` are in [`super::hook_install`].

use std::io::{self, BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::hook_install::{HookKind, hooks_dir, install, uninstall};
use crate::cli::args::{ColorChoice, HookAction, HookArgs};
use crate::cli::args_filter::FilterArgs;
use crate::cli::config::{Input, use_color};
use crate::cli::config_filter;
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use crate::cli::progress::ProgressPolicy;
use crate::cli::scanning::{self, Opened};
use keysentry::aws::AwsOptions;
use keysentry::report::SecretDisplay;
use keysentry::source::range::PushUpdate;
use keysentry::source::worktree::DEFAULT_MAX_FILE_SIZE;

pub(crate) fn run(
    mut args: HookArgs,
    color: ColorChoice,
    env: &Env,
    log: Log,
) -> anyhow::Result<ExitStatus> {
    let (repo, max_size) =
        (PathBuf::from("."), args.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE));
    let (input, what, blocked) = match args.action.take() {
        None => (Input::Staged { repo, max_size }, "staged changes", "the commit is blocked"),
        Some(HookAction::PrePush { remote, url: _ }) => {
            let updates = pushed(io::stdin().lock())?;
            let input = Input::Push { repo, updates, remote, max_size };
            (input, "commits being pushed", "the push is blocked")
        }
        Some(HookAction::Install { pre_push, force }) => {
            let dir = hooks_dir(Path::new("."), &env.git)?;
            let exe = std::env::current_exe().ok();
            let kind = HookKind::of(pre_push);
            log.info(install(&dir, kind, force, exe.as_deref(), args.max_file_size)?);
            return Ok(ExitStatus::Clean);
        }
        Some(HookAction::Uninstall { pre_push }) => {
            let dir = hooks_dir(Path::new("."), &env.git)?;
            log.info(uninstall(&dir, HookKind::of(pre_push))?);
            return Ok(ExitStatus::Clean);
        }
    };
    // The configuration of the repository in the current directory, as a scan would load it
    // (the hook works offline: every account only tags).
    let filter = FilterArgs {
        no_config: args.no_config,
        no_ignore_files: args.no_ignore_files,
        ..FilterArgs::default()
    };
    let mut suppression = config_filter::load(&filter, Path::new("."), true, env)?;
    let mut aws = AwsOptions::with_builtin_canaries();
    config_filter::add_aws(&suppression.settings, &mut aws)?;
    config_filter::add_repository_accounts(&suppression, &mut aws)?;
    // Compiling the rules takes a few milliseconds: do it while git is read.
    let (source, warnings, detector) = std::thread::scope(|s| {
        let compiling = s.spawn(|| scanning::detector(&suppression, &aws));
        let opened = Opened::open(&input, &suppression, env, log);
        let detector = compiling.join().map_err(|_| anyhow::anyhow!("compiling the rules failed"));
        opened.and_then(|(source, warnings)| Ok((source, warnings, detector??)))
    })?;
    if matches!(&source, Opened::Staged(s) if s.is_empty()) {
        return Ok(ExitStatus::Clean);
    }
    let scan = scanning::scan(detector, &mut suppression, aws, warnings, None);
    let quiet = ProgressPolicy { enabled: false, delay: std::time::Duration::ZERO };
    let (outcome, _) = scanning::run(&scan, source.source(), quiet, "objects", log)?;
    let secrets = if args.show_secrets { SecretDisplay::Show } else { SecretDisplay::Redact };
    let color = use_color(color, io::stdout().is_terminal(), env);
    crate::cli::summary::hook_verdict(&outcome, what, blocked, secrets, color, log)
}

/// The ref updates git writes on a pre-push hook's standard input.
fn pushed(input: impl BufRead) -> anyhow::Result<Vec<PushUpdate>> {
    let mut updates = Vec::new();
    for line in input.lines() {
        let line = line.context("cannot read the pushed refs from standard input")?;
        if line.trim().is_empty() {
            continue;
        }
        match PushUpdate::parse(&line) {
            Some(u) => updates.push(u),
            None => bail!("unexpected pre-push input line: {line:?}"),
        }
    }
    Ok(updates)
}
