//! What every command that scans shares (`scan`, `baseline`, the hooks): open the source the
//! input names, build the library's [`Scan`] from the configuration, run it with a progress
//! display into a sorting sink, and turn the result into an exit status.

use std::io;

use super::cmd::count;
use super::config::{Input, ScanConfig};
use super::config_filter::{self, Suppression};
use super::env::Env;
use super::exit::ExitStatus;
use super::log::Log;
use super::progress::{ProgressPolicy, with_progress};
use keysentry::aws::AwsOptions;
use keysentry::detect::Detector;
use keysentry::sink::{Collect, ScanOutcome, Summary};
use keysentry::source::Source;
use keysentry::source::history::History;
use keysentry::source::range::Range;
use keysentry::source::staged::Staged;
use keysentry::source::stdin::Stdin;
use keysentry::source::worktree::Worktree;
use keysentry::{Scan, ScanOptions};

/// A source, opened.
pub(crate) enum Opened {
    Stdin(Stdin<io::Stdin>),
    Worktree(Worktree),
    History(Box<History>),
    Staged(Staged),
    Range(Range),
}

impl Opened {
    /// Opens what `input` names, as the configuration says (`--no-ignore-files`); returns it
    /// with the warnings opening it gave: suppression files changed in the very change being
    /// checked.
    pub(crate) fn open(
        input: &Input,
        suppression: &Suppression,
        env: &Env,
        log: Log,
    ) -> anyhow::Result<(Opened, Vec<String>)> {
        if !matches!(input, Input::Stdin { .. } | Input::Worktree(_)) {
            git_options();
        }
        let skip_ignore_files = suppression.no_ignore_files;
        let watched = &suppression.watched;
        Ok(match input {
            Input::Stdin { max_size } => {
                (Opened::Stdin(Stdin::new(io::stdin(), *max_size)), vec![])
            }
            Input::Worktree(options) => (Opened::Worktree(Worktree::new(options.clone())), vec![]),
            Input::History(options) => {
                let history = History::open(options.clone())?;
                let history =
                    if skip_ignore_files { history.without_ignore_file() } else { history };
                (Opened::History(Box::new(history)), vec![])
            }
            Input::Staged { repo, max_size } => {
                let staged = Staged::open(repo, *max_size, &env.git)?;
                let staged = if skip_ignore_files { staged.without_ignore_file() } else { staged };
                let changed = staged.touching(watched);
                (
                    Opened::Staged(staged),
                    config_filter::changed_suppressions("staged change", changed),
                )
            }
            Input::Range { repo, spec, max_size, threads } => {
                let range = Range::open(repo, spec, *max_size, *threads, &env.git)?;
                log.info(format_args!(
                    "range {spec}: {}",
                    count(range.len() as u64, "commit", "commits")
                ));
                Opened::range(range, skip_ignore_files, watched, &format!("range {spec}"))
            }
            Input::Push { repo, updates, remote, max_size } => {
                let range =
                    Range::for_push(repo, updates, remote.as_deref(), *max_size, 0, &env.git)?;
                log.debug(format_args!("push: {}", count(range.len() as u64, "commit", "commits")));
                Opened::range(range, skip_ignore_files, watched, "commits being pushed")
            }
        })
    }

    fn range(range: Range, skip: bool, watched: &[String], what: &str) -> (Opened, Vec<String>) {
        let range = if skip { range.without_ignore_file() } else { range };
        let changed = range.touching(watched);
        (Opened::Range(range), config_filter::changed_suppressions(what, changed))
    }

    pub(crate) fn source(&self) -> &dyn Source {
        match self {
            Opened::Stdin(s) => s,
            Opened::Worktree(s) => s,
            Opened::History(s) => s.as_ref(),
            Opened::Staged(s) => s,
            Opened::Range(s) => s,
        }
    }

    /// What was scanned, singular and plural.
    pub(crate) fn unit(&self) -> (&'static str, &'static str) {
        match self {
            Opened::Stdin(_) => ("input", "inputs"),
            Opened::Worktree(_) => ("file", "files"),
            _ => ("object", "objects"),
        }
    }

    /// Says, after the scan, what the source went through.
    pub(crate) fn after(&self, log: Log) {
        if let Opened::History(history) = self {
            let s = history.summary();
            log.info(format_args!(
                "history: {}, {}",
                count(s.commits as u64, "commit", "commits"),
                count(s.blobs as u64, "distinct blob", "distinct blobs")
            ));
        }
    }
}

/// Sets libgit2's process-wide options, before the first repository is opened (they are the
/// binary's to set, not the library's: see its documentation). Called by the commands that read
/// git repositories only: initialising libgit2 loads OpenSSL's certificate store (its https
/// transport, for audits' clones), which costs a working-tree scan or `--version` 20 ms of
/// CPU for nothing.
pub(crate) fn git_options() {
    keysentry::source::git::set_libgit2_options();
}

/// The source and the scan `config` describes.
pub(crate) fn prepare(
    config: &mut ScanConfig,
    env: &Env,
    log: Log,
) -> anyhow::Result<(Opened, Scan)> {
    if let Some((asked, used)) = config.threads_clamped {
        log.warn(format_args!(
            "--threads {asked}: running {used} (at most {} per core)",
            keysentry::source::MAX_THREADS_PER_CORE
        ));
    }
    if let Some(file) = &config.suppression.settings.file {
        log.debug(format_args!("configuration: {}", file.display()));
    }
    let detector = detector(&config.suppression, &config.aws)?;
    log.debug(format_args!("{} rules loaded", detector.rules().len()));
    let (source, warnings) = Opened::open(&config.input, &config.suppression, env, log)?;
    let aws = config.aws.clone();
    Ok((source, scan(detector, &mut config.suppression, aws, warnings, config.timeout)))
}

/// Compiles the rules the configuration and the AWS options ask for.
pub(crate) fn detector(suppression: &Suppression, aws: &AwsOptions) -> anyhow::Result<Detector> {
    let rules = config_filter::rules_for(&suppression.settings, aws);
    Ok(Detector::new(super::cmd::compile_rules(rules)?))
}

/// The library's scan for `suppression` (its filters are moved into it) and `aws`; `warnings`
/// join the configuration's in the report; `timeout` bounds detection per item (`--timeout`).
pub(crate) fn scan(
    detector: Detector,
    suppression: &mut Suppression,
    aws: AwsOptions,
    warnings: Vec<String>,
    timeout: Option<std::time::Duration>,
) -> Scan {
    let mut options = ScanOptions::configured(suppression, aws);
    options.warnings.extend(warnings);
    options.timeout = timeout;
    Scan::with_detector(detector, options)
}

/// Runs `scan` over `source` with a progress display (as `policy` says) into a sorting sink.
pub(crate) fn run(
    scan: &Scan,
    source: &dyn Source,
    policy: ProgressPolicy,
    unit: &'static str,
    log: Log,
) -> anyhow::Result<(ScanOutcome, Summary)> {
    let mut sink = Collect::new();
    let summary = with_progress(policy, unit, |p| scan.run_observed(source, &mut sink, p))?;
    if summary.left_out > 0 {
        log.debug(format_args!(
            "{} left out by allowlists, ignore lists and baselines",
            count(summary.left_out, "finding", "findings")
        ));
    }
    Ok((sink.into_outcome(), summary))
}

/// The exit status of a scan: 1 with findings; else 2 when anything was not scanned in full
/// (an error, or a skip that leaves a gap: [`ScanOutcome::is_incomplete`]); else 0. Every
/// command that scans ends with it.
pub(crate) fn status(outcome: &ScanOutcome) -> ExitStatus {
    // Informational findings (AWS identifiers) do not fail a scan.
    if outcome.findings.iter().any(|f| !keysentry::aws::is_informational(f)) {
        ExitStatus::Findings
    } else if outcome.is_incomplete() {
        ExitStatus::Error
    } else {
        ExitStatus::Clean
    }
}
