//! `keysentry hook`: the pre-commit check, the pre-push check, and installing the hooks.

use std::io::{self, BufRead, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::count;
use super::scan::status;
use crate::cli::args::{ColorChoice, HookAction, HookArgs};
use crate::cli::args_filter::FilterArgs;
use crate::cli::config::use_color;
use crate::cli::config_filter::{self, Suppression};
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::aws::{AwsEnricher, AwsOptions};
use keysentry::config::path_rules::WithPathRules;
use keysentry::detect::Detector;
use keysentry::pipeline::{self, Progress, RunOptions, ScanOutcome};
use keysentry::report::{Redactor, Reporter, SecretDisplay, Short, escape, gaps};
use keysentry::rules::syntax::RuleSyntax;
use keysentry::source::Source;
use keysentry::source::range::{PushUpdate, Range};
use keysentry::source::staged::Staged;
use keysentry::source::worktree::DEFAULT_MAX_FILE_SIZE;

pub(crate) fn run(
    mut args: HookArgs,
    color: ColorChoice,
    env: &Env,
    log: Log,
) -> anyhow::Result<ExitStatus> {
    let secrets = if args.show_secrets { SecretDisplay::Show } else { SecretDisplay::Redact };
    let color = use_color(color, io::stdout().is_terminal(), env);
    let here = Path::new(".");
    let max_size = args.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    match args.action.take() {
        None => {
            let (suppression, aws) = configuration(&args, env)?;
            // Compiling the rules takes a few milliseconds: do it while git is read.
            let rules = config_filter::rules_for(&suppression.settings, &aws);
            let compiling = std::thread::spawn(move || detector(rules));
            let mut source = Staged::open(here, max_size, &env.git)?;
            if source.is_empty() {
                return Ok(ExitStatus::Clean);
            }
            if suppression.no_ignore_files {
                source = source.without_ignore_file();
            }
            let changed = config_filter::changed_suppressions(
                "staged change",
                source.touching(&suppression.watched),
            );
            let detector = compiling
                .join()
                .map_err(|_| anyhow::anyhow!("compiling the rules failed unexpectedly"))??;
            let outcome = check(&source, &detector, &suppression, aws, changed);
            finish(&outcome, "staged changes", "the commit is blocked", secrets, color, log)
        }
        Some(HookAction::PrePush { remote, url: _ }) => {
            let mut updates = Vec::new();
            for line in io::stdin().lock().lines() {
                let line = line.context("cannot read the pushed refs from standard input")?;
                if line.trim().is_empty() {
                    continue;
                }
                match PushUpdate::parse(&line) {
                    Some(u) => updates.push(u),
                    None => bail!("unexpected pre-push input line: {line:?}"),
                }
            }
            let (max, git) = (max_size, &env.git);
            let mut range = Range::for_push(here, &updates, remote.as_deref(), max, 0, git)?;
            log.debug(format_args!("push: {}", count(range.len() as u64, "commit", "commits")));
            let (suppression, aws) = configuration(&args, env)?;
            if suppression.no_ignore_files {
                range = range.without_ignore_file();
            }
            let changed = config_filter::changed_suppressions(
                "commits being pushed",
                range.touching(&suppression.watched),
            );
            let detector = detector(config_filter::rules_for(&suppression.settings, &aws))?;
            let outcome = check(&range, &detector, &suppression, aws, changed);
            finish(&outcome, "commits being pushed", "the push is blocked", secrets, color, log)
        }
        Some(HookAction::Install { pre_push, force }) => {
            let kind = HookKind::of(pre_push);
            let dir = hooks_dir(here, &env.git)?;
            let exe = std::env::current_exe().ok();
            let done = install(&dir, kind, force, exe.as_deref(), args.max_file_size)?;
            log.info(done);
            Ok(ExitStatus::Clean)
        }
        Some(HookAction::Uninstall { pre_push }) => {
            let dir = hooks_dir(here, &env.git)?;
            log.info(uninstall(&dir, HookKind::of(pre_push))?);
            Ok(ExitStatus::Clean)
        }
    }
}

/// The configuration of the repository in the current directory, as a scan would load it,
/// and the AWS options it sets (the hook works offline: every account only tags).
fn configuration(args: &HookArgs, env: &Env) -> anyhow::Result<(Suppression, AwsOptions)> {
    let filter = FilterArgs {
        no_config: args.no_config,
        no_ignore_files: args.no_ignore_files,
        ..FilterArgs::default()
    };
    let suppression = config_filter::load(&filter, Path::new("."), true, env)?;
    let mut aws = AwsOptions::with_builtin_canaries();
    config_filter::add_aws(&suppression.settings, &mut aws)?;
    config_filter::add_repository_accounts(&suppression, &mut aws)?;
    Ok((suppression, aws))
}

fn detector(rules: Vec<RuleSyntax>) -> anyhow::Result<Detector> {
    Ok(Detector::new(super::compile_rules(rules)?))
}

/// Scans `source` with the configuration's rules, AWS accounts and suppressions; the
/// configuration's warnings, `changed` (suppression files changed in the change) and
/// allowlist entries that hid every finding go into the report.
fn check(
    source: &dyn Source,
    detector: &Detector,
    suppression: &Suppression,
    aws: AwsOptions,
    changed: Vec<String>,
) -> ScanOutcome {
    let aws = AwsEnricher::new(detector, aws);
    let options = RunOptions { inline_ignore: suppression.inline_ignore };
    let rules = &suppression.settings.path_rules;
    let wrapped = WithPathRules::new(source, rules);
    let source: &dyn Source = if rules.is_empty() { source } else { &wrapped };
    let mut outcome = pipeline::run_observed(source, detector, &aws, options, &Progress::default());
    outcome.findings.extend(wrapped.take());
    pipeline::sort_findings(&mut outcome.findings);
    let applied = suppression.filters.apply_observed(&mut outcome.findings);
    outcome.warnings.extend(suppression.settings.warnings.iter().cloned());
    outcome.warnings.extend(changed);
    outcome.warnings.extend(config_filter::hid_everything(&suppression.settings, &applied));
    outcome
}

/// Writes the short report and what to do about it. A file that was not scanned in full
/// blocks like a finding (exit 2), with how to proceed.
fn finish(
    outcome: &ScanOutcome,
    what: &str,
    blocked: &str,
    secrets: SecretDisplay,
    color: bool,
    log: Log,
) -> anyhow::Result<ExitStatus> {
    let status = status(outcome);
    let mut out = BufWriter::new(io::stdout().lock());
    let written = Short { secrets, color }.report(outcome, &mut out).and_then(|()| out.flush());
    match written {
        // A closed stdout loses the list, not the verdict.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write report")?,
    }
    let redactor = Redactor::new(outcome, secrets);
    for e in &outcome.errors {
        log.error(escape(&redactor.string(&e.to_string())));
    }
    for w in &outcome.warnings {
        log.alert(escape(&redactor.string(w)));
    }
    let n = outcome.findings.len() as u64;
    if n > 0 {
        log.info(format_args!(
            "keysentry: {} in the {what}: {blocked}.\n\
             A false positive? Add its path to .keysentryignore, or bypass the check once with \
             --no-verify.",
            count(n, "secret", "secrets")
        ));
    }
    let not_scanned: Vec<_> = gaps(outcome).into_iter().filter(|g| g.origin.is_some()).collect();
    for g in &not_scanned {
        log.alert(escape(&g.text(&redactor)));
    }
    if outcome.is_incomplete() {
        // Not hidden by --quiet: this is why the commit or push is refused.
        log.alert(format_args!(
            "{} in the {what} could not be scanned in full: {blocked}.\n\
             To proceed consciously: raise the limit (`keysentry hook --max-file-size 100M`, \
             also in the installed hook or the pre-commit `args`), allowlist the path \
             (.keysentryignore or the configuration's allowlist), or bypass the check once \
             with `git commit --no-verify` (`git push --no-verify`).",
            count(gaps(outcome).len() as u64, "item", "items")
        ));
    } else if n == 0 {
        log.debug(format_args!(
            "{what}: {} scanned",
            count(outcome.stats.scanned, "file", "files")
        ));
    }
    Ok(status)
}

/// Which hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HookKind {
    PreCommit,
    PrePush,
}

impl HookKind {
    fn of(pre_push: bool) -> HookKind {
        if pre_push { HookKind::PrePush } else { HookKind::PreCommit }
    }

    fn name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
        }
    }
}

/// The marker that tells keysentry's hooks from others.
const MARKER: &str = "# keysentry-hook:";
/// An existing hook that keysentry's hook runs after its own check.
const CHAINED: &str = "keysentry-chained";
/// An existing hook replaced with --force (kept for uninstall).
const REPLACED: &str = "keysentry-replaced";

/// The directory git runs hooks from: `core.hooksPath` (relative to the working tree's top),
/// or `hooks` in the common git directory.
fn hooks_dir(path: &Path, env: &keysentry::source::git::GitEnv) -> anyhow::Result<PathBuf> {
    let repo = keysentry::source::git::open(path, env)?;
    let configured = repo.config().ok().and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    })
}

fn sidecar(hook: &Path, what: &str) -> PathBuf {
    let mut name = hook.as_os_str().to_owned();
    name.push(".");
    name.push(what);
    PathBuf::from(name)
}

fn is_ours(hook: &Path) -> bool {
    std::fs::read_to_string(hook).is_ok_and(|s| s.contains(MARKER))
}

/// Installs the hook; returns what was done, for people.
fn install(
    dir: &Path,
    kind: HookKind,
    force: bool,
    exe: Option<&Path>,
    max_file_size: Option<u64>,
) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let hook = dir.join(kind.name());
    let mut note = String::new();
    if hook.exists() && !is_ours(&hook) {
        let keep = sidecar(&hook, if force { REPLACED } else { CHAINED });
        if sidecar(&hook, CHAINED).exists() || sidecar(&hook, REPLACED).exists() {
            bail!(
                "{} is not keysentry's, and an earlier hook is already kept beside it; \
                 move one of them away first",
                hook.display()
            );
        }
        std::fs::rename(&hook, &keep)
            .with_context(|| format!("cannot move {} aside", hook.display()))?;
        note = if force {
            format!("; the previous hook was replaced and kept as {}", keep.display())
        } else {
            format!("; the previous hook runs after it (kept as {})", keep.display())
        };
    }
    let script = script(kind, exe, max_file_size);
    std::fs::write(&hook, script).with_context(|| format!("cannot write {}", hook.display()))?;
    make_executable(&hook)?;
    Ok(format!("installed keysentry's {} hook in {}{note}", kind.name(), hook.display()))
}

/// Removes keysentry's hook and restores the one that was there before.
fn uninstall(dir: &Path, kind: HookKind) -> anyhow::Result<String> {
    let hook = dir.join(kind.name());
    if hook.exists() {
        if !is_ours(&hook) {
            bail!("{} is not keysentry's hook; leaving it alone", hook.display());
        }
        std::fs::remove_file(&hook).with_context(|| format!("cannot remove {}", hook.display()))?;
    }
    for kept in [CHAINED, REPLACED] {
        let kept = sidecar(&hook, kept);
        if kept.exists() {
            std::fs::rename(&kept, &hook)
                .with_context(|| format!("cannot restore {}", kept.display()))?;
            return Ok(format!(
                "removed keysentry's {} hook; restored the previous one",
                kind.name()
            ));
        }
    }
    Ok(format!("removed keysentry's {} hook", kind.name()))
}

/// The hook script: run keysentry (the binary that installed it, else the one on PATH), then
/// the chained hook if there is one.
fn script(kind: HookKind, exe: Option<&Path>, max_file_size: Option<u64>) -> String {
    let exe = exe.map(|p| shell_quote(&p.to_string_lossy())).unwrap_or_else(|| "keysentry".into());
    let name = kind.name();
    let flags = max_file_size.map(|n| format!(" --max-file-size {n}")).unwrap_or_default();
    let header = format!(
        "#!/bin/sh\n{MARKER} {name}\n# Installed by `keysentry hook install`; `keysentry hook uninstall` removes it\n\
         # and restores the hook that was here before.\n\
         keysentry={exe}\n\
         [ -x \"$keysentry\" ] || keysentry=keysentry\n\
         chained=\"$0.{CHAINED}\"\n"
    );
    let body = match kind {
        HookKind::PreCommit => format!(
            "\"$keysentry\" hook{flags} || exit $?\n\
             if [ -x \"$chained\" ]; then exec \"$chained\" \"$@\"; fi\n"
        ),
        HookKind::PrePush => format!(
            "input=$(cat)\n\
             printf '%s\\n' \"$input\" | \"$keysentry\" hook{flags} pre-push \"$@\" || exit $?\n\
             if [ -x \"$chained\" ]; then printf '%s\\n' \"$input\" | \"$chained\" \"$@\"; exit $?; fi\n"
        ),
    };
    header + &body
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_chains_and_uninstall_restores() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join("pre-commit");
        std::fs::write(&hook, "#!/bin/sh\necho theirs\n").unwrap();
        install(dir.path(), HookKind::PreCommit, false, None, None).unwrap();
        assert!(is_ours(&hook));
        assert_eq!(
            std::fs::read_to_string(sidecar(&hook, CHAINED)).unwrap(),
            "#!/bin/sh\necho theirs\n"
        );
        // Installing again updates keysentry's hook and keeps the chained one.
        install(dir.path(), HookKind::PreCommit, false, Some(Path::new("/opt/it's/ks")), None)
            .unwrap();
        assert!(std::fs::read_to_string(&hook).unwrap().contains("keysentry='/opt/it'\\''s/ks'"));
        assert!(sidecar(&hook, CHAINED).exists());
        uninstall(dir.path(), HookKind::PreCommit).unwrap();
        assert_eq!(std::fs::read_to_string(&hook).unwrap(), "#!/bin/sh\necho theirs\n");
        assert!(!sidecar(&hook, CHAINED).exists());
    }

    #[test]
    fn force_replaces_but_keeps_for_uninstall() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join("pre-push");
        std::fs::write(&hook, "theirs").unwrap();
        install(dir.path(), HookKind::PrePush, true, None, Some(100 << 20)).unwrap();
        let ours = std::fs::read_to_string(&hook).unwrap();
        assert!(ours.contains("hook --max-file-size 104857600 pre-push"), "{ours}");
        assert!(sidecar(&hook, REPLACED).exists() && !sidecar(&hook, CHAINED).exists());
        uninstall(dir.path(), HookKind::PrePush).unwrap();
        assert_eq!(std::fs::read_to_string(&hook).unwrap(), "theirs");
    }

    #[test]
    fn uninstall_leaves_foreign_hooks_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pre-commit"), "theirs").unwrap();
        assert!(uninstall(dir.path(), HookKind::PreCommit).is_err());
        assert!(dir.path().join("pre-commit").exists());
    }
}
