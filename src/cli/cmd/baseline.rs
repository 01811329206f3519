//! `keysentry baseline create|update` and `keysentry ignore`.

use std::io::Write;

use anyhow::{Context, bail};

use super::count;
use crate::cli::args::{BaselineArgs, BaselineCommand, ColorChoice};
use crate::cli::args_filter::IgnoreArgs;
use crate::cli::config::ScanConfig;
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use crate::cli::progress::ProgressPolicy;
use crate::cli::scanning;
use keysentry::files::names::{IGNORE_FILE, IGNORED_FINGERPRINTS_FILE};
use keysentry::files::read as file;
use keysentry::filter::{baseline::write_baseline, ignored};
use keysentry::report::{Redactor, SecretDisplay, escape, gaps};

pub(crate) fn run(
    command: BaselineCommand,
    color: ColorChoice,
    env: &Env,
    log: Log,
) -> anyhow::Result<ExitStatus> {
    let (args, create): (BaselineArgs, bool) = match command {
        BaselineCommand::Create(a) => (a, true),
        BaselineCommand::Update(a) => (a, false),
    };
    if create && file::exists(&args.output) {
        bail!("{} exists: `keysentry baseline update` rewrites it", args.output.display());
    }
    // Not through a link or into a FIFO: the default name is in the scanned repository.
    file::check_write_target(&args.output)?;
    let mut config = ScanConfig::build(args.scan, color, env, false)?;
    let base = config.suppression.filters.base.clone();
    let (source, scan) = scanning::prepare(&mut config, env, log)?;
    let policy = ProgressPolicy::for_stderr(log, env.progress_delay);
    let (outcome, _) = scanning::run(&scan, source.source(), policy, source.unit().1, log)?;
    source.after(log);
    for e in &outcome.errors {
        log.error(escape(&e.to_string()));
    }
    // A baseline made from an incomplete scan would miss what was not read: say so, exit 2.
    let incomplete = outcome.is_incomplete();
    let redactor = Redactor::new(&outcome, SecretDisplay::Redact);
    for g in gaps(&outcome).iter().filter(|g| g.origin.is_some()) {
        log.alert(escape(&g.text(&redactor)));
    }
    for w in &outcome.warnings {
        log.alert(escape(w));
    }
    let findings: Vec<_> =
        outcome.findings.into_iter().filter(|f| !keysentry::aws::is_informational(f)).collect();
    let text = write_baseline(&findings, base.as_deref());
    std::fs::write(&args.output, text)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    log.info(format_args!(
        "wrote {} with {}",
        args.output.display(),
        count(findings.len() as u64, "finding", "findings")
    ));
    Ok(if incomplete { ExitStatus::Error } else { ExitStatus::Clean })
}

/// `keysentry ignore`: appends fingerprints, one per line, to the fingerprint file
/// (`.keysentry-ignored-fingerprints`; never `.keysentryignore`, which holds path patterns).
pub(crate) fn ignore(args: IgnoreArgs, log: Log) -> anyhow::Result<ExitStatus> {
    for f in &args.fingerprints {
        if !ignored::is_fingerprint(f) {
            bail!("{f:?} is not a fingerprint (32 hex digits, as reports print them)");
        }
    }
    if args.file.file_name().is_some_and(|n| n == IGNORE_FILE) {
        bail!(
            "{}: {IGNORE_FILE} holds path patterns only; fingerprints go to \
             {IGNORED_FINGERPRINTS_FILE} (the default of --file)",
            args.file.display()
        );
    }
    // The fingerprint file is the repository's: a regular file, never a link to elsewhere (the
    // append would write there) nor a FIFO (the read would wait forever).
    file::check_write_target(&args.file)?;
    let existing =
        file::read_optional(&args.file, file::BASELINE_SIZE_LIMIT, file::Within::Anywhere)?
            .unwrap_or_default();
    let (known, _) = ignored::parse_fingerprints(&args.file.display().to_string(), &existing);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let mut added = 0u64;
    let mut text = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        text.push('\n');
    }
    for f in &args.fingerprints {
        let f = f.to_ascii_lowercase();
        if !known.contains(&f) && !text.contains(&f) {
            text.push_str(&f);
            text.push('\n');
            added += 1;
        }
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", args.file.display()))?;
    log.info(format_args!(
        "{}: added {}",
        args.file.display(),
        count(added, "fingerprint", "fingerprints")
    ));
    // Old-form lines beside it still apply; say where they belong.
    let old = args.file.with_file_name(IGNORE_FILE);
    if let Ok(Some(text)) =
        file::read_optional(&old, file::BASELINE_SIZE_LIMIT, file::Within::Anywhere)
        && let Some(w) = ignored::old_form_warning(&old.display().to_string(), &text)
    {
        log.alert(escape(&w));
    }
    Ok(ExitStatus::Clean)
}
