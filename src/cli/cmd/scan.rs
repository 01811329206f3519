//! `keysentry scan`: build the source, run the pipeline, write the report.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::Context;

use super::count;
use crate::cli::args::{ColorChoice, Format, ScanArgs};
use crate::cli::config::{Input, ScanConfig};
use crate::cli::config_filter;
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use crate::cli::progress::{ProgressPolicy, with_progress};
use keysentry::aws::AwsEnricher;
use keysentry::config::path_rules::WithPathRules;
use keysentry::detect::Detector;
use keysentry::pipeline::{self, RunOptions, ScanOutcome};
use keysentry::report::{
    Csv, GithubActions, Gitlab, GitleaksJson, Human, Json, JsonLines, Junit, Redactor, Reporter,
    Sarif, SecretDisplay, escape,
};
use keysentry::source::history::{History, HistoryOptions};
use keysentry::source::range::Range;
use keysentry::source::staged::Staged;
use keysentry::source::stdin::Stdin;
use keysentry::source::worktree::Worktree;
use keysentry::source::{SkipReason, Source};

pub(crate) fn run(
    args: ScanArgs,
    color: ColorChoice,
    env: &Env,
    log: Log,
) -> anyhow::Result<ExitStatus> {
    #[cfg(feature = "aws")]
    let root = args.paths.first().map(|p| p.display().to_string());
    #[cfg_attr(not(feature = "aws"), allow(unused_mut))]
    let mut config = ScanConfig::new(args, color, env)?;
    #[cfg_attr(not(feature = "aws"), allow(unused_mut))]
    let (mut outcome, unit) = scan(&config, env, log)?;
    // Before the report, so that it carries the verdicts; they reach the audit log first. An
    // online step that cannot run is an error, after the report: findings are never lost.
    #[cfg(feature = "aws")]
    let online = config.online.take().map(|run| {
        let (findings, secrets) = (&mut outcome.findings, config.secrets);
        super::aws_online::after_scan(run, findings, root.as_deref(), secrets, log)
    });
    let status = status(&outcome);
    // A reader that stops early (`| head`) does not turn findings into success: a broken pipe
    // ends quietly with the scan's own status, so that `set -o pipefail` fails on findings.
    match write_report(&config, &outcome) {
        Err(e) if super::super::is_broken_pipe(&e) => return Ok(status),
        other => other?,
    }
    summarize(&outcome, unit, log);
    #[cfg(feature = "aws")]
    if online.transpose()? == Some(true) && status == ExitStatus::Clean {
        // A check or an action failed.
        return Ok(ExitStatus::Error);
    }
    Ok(status)
}

/// Runs the scan `config` describes, with its rules, allowlists and baselines; returns the
/// outcome and the noun for what was scanned.
pub(crate) fn scan(
    config: &ScanConfig,
    env: &Env,
    log: Log,
) -> anyhow::Result<(ScanOutcome, (&'static str, &'static str))> {
    let settings = &config.suppression.settings;
    // In the report itself (every format carries them), not only on stderr.
    let mut warnings = settings.warnings.clone();
    if let Some(file) = &settings.file {
        log.debug(format_args!("configuration: {}", file.display()));
    }
    let rules = super::compile_rules(config_filter::rules_for(settings, &config.aws))?;
    log.debug(format_args!("{} rules loaded", rules.len()));
    let detector = Detector::new(rules);
    let aws = AwsEnricher::new(&detector, config.aws.clone());
    let options = RunOptions { inline_ignore: config.suppression.inline_ignore };
    const GIT_UNIT: (&str, &str) = ("object", "objects");
    let unit = match config.input {
        Input::Stdin { .. } => ("input", "inputs"),
        Input::Worktree(_) => ("file", "files"),
        _ => GIT_UNIT,
    };
    let policy = ProgressPolicy::for_stderr(log, env.progress_delay);
    let path_rules = &settings.path_rules;
    let run = |source: &dyn Source| {
        with_progress(policy, unit.1, |p| {
            if path_rules.is_empty() {
                return pipeline::run_observed(source, &detector, &aws, options, p);
            }
            // gitleaks' path-only rules see every item the source yields or passes over.
            let wrapped = WithPathRules::new(source, path_rules);
            let mut outcome = pipeline::run_observed(&wrapped, &detector, &aws, options, p);
            outcome.findings.extend(wrapped.take());
            pipeline::sort_findings(&mut outcome.findings);
            outcome
        })
    };
    let suppression = &config.suppression;
    let outcome = match config.input {
        Input::Stdin { max_size } => run(&Stdin::new(io::stdin(), max_size)),
        Input::Worktree(ref options) => run(&Worktree::new(options.clone())),
        Input::History(ref options) => history(options, suppression, &run, log)?,
        Input::Staged { ref repo, max_size } => {
            let mut staged = Staged::open(repo, max_size, &env.git)?;
            if suppression.no_ignore_files {
                staged = staged.without_ignore_file();
            }
            warnings.extend(config_filter::changed_suppressions(
                "staged change",
                staged.touching(&suppression.watched),
            ));
            run(&staged)
        }
        Input::Range { ref repo, ref spec, max_size, threads } => {
            let mut range = Range::open(repo, spec, max_size, threads, &env.git)?;
            if suppression.no_ignore_files {
                range = range.without_ignore_file();
            }
            warnings.extend(config_filter::changed_suppressions(
                &format!("range {spec}"),
                range.touching(&suppression.watched),
            ));
            log.info(format_args!(
                "range {spec}: {}",
                count(range.len() as u64, "commit", "commits")
            ));
            run(&range)
        }
    };
    let mut outcome = outcome;
    let applied = config.suppression.filters.apply_observed(&mut outcome.findings);
    let left_out = applied.left_out;
    warnings.extend(config_filter::hid_everything(settings, &applied));
    outcome.warnings.extend(warnings);
    if left_out > 0 {
        log.debug(format_args!(
            "{} left out by allowlists, ignore lists and baselines",
            count(left_out as u64, "finding", "findings")
        ));
    }
    Ok((outcome, unit))
}

/// Scans a history and names the commits that introduced each finding.
fn history(
    options: &HistoryOptions,
    suppression: &config_filter::Suppression,
    run: &dyn Fn(&dyn Source) -> ScanOutcome,
    log: Log,
) -> anyhow::Result<ScanOutcome> {
    let mut history = History::open(options.clone())?;
    if suppression.no_ignore_files {
        history = history.without_ignore_file();
    }
    let mut outcome = run(&history);
    outcome.findings = history.attribute(std::mem::take(&mut outcome.findings));
    pipeline::sort_findings(&mut outcome.findings);
    let s = history.summary();
    log.info(format_args!(
        "history: {}, {}",
        count(s.commits as u64, "commit", "commits"),
        count(s.blobs as u64, "distinct blob", "distinct blobs")
    ));
    Ok(outcome)
}

fn write_report(config: &ScanConfig, outcome: &ScanOutcome) -> anyhow::Result<()> {
    let secrets = config.secrets;
    let reporter: Box<dyn Reporter> = match config.format {
        Format::Human => Box::new(Human { secrets, color: config.color }),
        Format::Json => Box::new(Json { secrets }),
        Format::Jsonl => Box::new(JsonLines { secrets }),
        Format::Sarif => Box::new(Sarif { secrets }),
        Format::Github => Box::new(GithubActions { secrets }),
        Format::Gitlab => Box::new(Gitlab { secrets }),
        Format::Junit => Box::new(Junit { secrets }),
        Format::Csv => Box::new(Csv { secrets }),
        Format::GitleaksJson => Box::new(GitleaksJson { secrets }),
    };
    match &config.report_path {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            let mut out = BufWriter::new(file);
            reporter
                .report(outcome, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write report to {}", path.display()))
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            reporter
                .report(outcome, &mut out)
                .and_then(|()| out.flush())
                .context("cannot write report")
        }
    }
}

/// Writes skipped items, errors and the closing summary to stderr. `unit` names what was
/// scanned, singular and plural.
fn summarize(outcome: &ScanOutcome, unit: (&'static str, &'static str), log: Log) {
    // Paths and messages come from the scanned content: every known secret redacted, and
    // escaped in full (line feeds too).
    let redactor = Redactor::new(outcome, SecretDisplay::Redact);
    let name =
        |o: &keysentry::finding::Origin| escape(&redactor.origin(o).display_name()).into_owned();
    for e in &outcome.errors {
        log.error(escape(&redactor.string(&e.to_string())));
    }
    for (origin, reason) in &outcome.skipped {
        match reason {
            SkipReason::TooLarge { size, limit } => log.alert(format_args!(
                "not scanned: {}: {} is larger than the limit of {} (--max-file-size)",
                name(origin),
                human_bytes(*size),
                human_bytes(*limit)
            )),
            SkipReason::Binary => log.debug(format_args!("skipped binary {}", name(origin))),
            SkipReason::LfsPointer => {
                log.debug(format_args!("skipped Git LFS pointer {}", name(origin)))
            }
            SkipReason::NotAFile => log.warn(format_args!(
                "skipped {}: not a regular file (a FIFO, socket or device), not opened",
                name(origin)
            )),
            other if other.is_gap() => {
                log.alert(format_args!("not scanned: {}: {other}", name(origin)))
            }
            other => log.debug(format_args!("skipped {}: {other}", name(origin))),
        }
    }
    for w in &outcome.warnings {
        log.alert(escape(&redactor.string(w)));
    }
    if outcome.is_incomplete() {
        log.alert(format_args!(
            "the scan is incomplete: {} not scanned in full (exit status 2 unless secrets were \
             found)",
            count(keysentry::report::gaps(outcome).len() as u64, "item was", "items were")
        ));
    }
    let s = &outcome.stats;
    let secs = outcome.elapsed.as_secs_f64();
    let rate = if secs > 0.0 { s.bytes as f64 / secs / f64::from(1 << 20) } else { 0.0 };
    let n = outcome.findings.len();
    let mut line = format!(
        "scanned {} ({}) in {:.2}s ({:.0} MiB/s): {}",
        count(s.scanned, unit.0, unit.1),
        human_bytes(s.bytes),
        secs,
        rate,
        count(n as u64, "finding", "findings"),
    );
    if s.skipped_binary + s.skipped_too_large > 0 {
        line.push_str(&format!(
            "; skipped {} binary, {} too large",
            s.skipped_binary, s.skipped_too_large
        ));
    }
    if s.errors > 0 {
        line.push_str(&format!("; {}", count(s.errors, "error", "errors")));
    }
    log.info(line);
    let by_rule = keysentry::report::counts_by_rule(&outcome.findings);
    if !by_rule.is_empty() {
        let width = by_rule.iter().map(|(_, n)| n.to_string().len()).max().unwrap_or(1);
        let mut table = String::from("findings by rule:");
        for (rule, n) in by_rule {
            table.push_str(&format!("\n  {n:>width$}  {rule}"));
        }
        log.info(table);
    }
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

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(50 << 20), "50.0 MiB");
    }
}
