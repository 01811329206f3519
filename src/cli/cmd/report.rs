//! `keysentry report --datastore DB`: an audit's findings from its datastore, in any format
//! of `keysentry scan` or as one HTML page; with `--verify`, the AWS online checks of `scan
//! --verify` over them first, their verdicts stored back.

use std::io::Write;

use anyhow::{Context, bail};

use crate::cli::args::Format;
use crate::cli::args_audit::{ReportArgs, ReportFormat, TriageChoice};
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::audit::report::DatastoreReport;
use keysentry::audit::store::{FindingFilter, RunId, Since, Store, TriageStatus};
use keysentry::files::read as file;
use keysentry::report::SecretDisplay;

pub(crate) fn run(args: ReportArgs, env: &Env, log: Log) -> anyhow::Result<ExitStatus> {
    if args.show_secrets {
        bail!(
            "--show-secrets cannot be used with --datastore: the datastore never holds a secret \
             (only a redacted preview and lines with secrets masked), so reports from it are \
             always redacted"
        );
    }
    if !file::exists(&args.datastore) {
        bail!("{}: no such datastore", args.datastore.display());
    }
    let filter = FindingFilter {
        repo: args.repo.clone(),
        rule: args.rule.clone(),
        status: args.status.map(|s| match s {
            TriageChoice::Open => TriageStatus::Open,
            TriageChoice::FalsePositive => TriageStatus::FalsePositive,
            TriageChoice::Accepted => TriageStatus::Accepted,
            TriageChoice::Revoked => TriageStatus::Revoked,
        }),
        since: args.since.as_deref().map(parse_since).transpose()?,
    };
    #[allow(unused_mut)]
    let mut notes: Vec<String> = Vec::new();
    #[allow(unused_mut)]
    let mut verify_failed = false;
    #[cfg(feature = "aws")]
    if let Some(run) = online_run(&args, env)? {
        verify_failed = super::report_verify::verify(&args, run, &filter, env, log, &mut notes)?;
    }
    #[cfg(not(feature = "aws"))]
    let _ = (env, &log);
    let store = Store::open_read_only(&args.datastore)?;
    let report = DatastoreReport::load(&store, &filter)?;
    let status = if report.open_findings() > 0 {
        ExitStatus::Findings
    } else if verify_failed {
        ExitStatus::Error
    } else {
        ExitStatus::Clean
    };
    match write(&args, &report, &notes) {
        Err(e) if super::super::is_broken_pipe(&e) => return Ok(status),
        other => other?,
    }
    Ok(status)
}

/// `--since`: a date, an RFC 3339 time (compared in UTC, as the datastore stores times), or
/// `run:N`.
fn parse_since(s: &str) -> anyhow::Result<Since> {
    let s = s.trim();
    if let Some(n) = s.strip_prefix("run:") {
        let n: i64 = n.parse().with_context(|| format!("--since {s}: not a run number"))?;
        return Ok(Since::Run(RunId(n)));
    }
    if let Ok(date) = s.parse::<jiff::civil::Date>() {
        return Ok(Since::Time(date.to_string()));
    }
    let t: jiff::Timestamp = s.parse().with_context(|| {
        format!("--since {s}: give a date (2026-12-01), an RFC 3339 time or run:N")
    })?;
    Ok(Since::Time(t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()))
}

fn write(args: &ReportArgs, report: &DatastoreReport, notes: &[String]) -> anyhow::Result<()> {
    let (mut out, name) = super::scan::output(args.output.as_deref())?;
    let format = match args.format {
        ReportFormat::Html => {
            return keysentry::audit::html::render(report, notes, &mut out)
                .and_then(|()| out.flush())
                .context(name);
        }
        ReportFormat::Human => Format::Human,
        ReportFormat::Json => Format::Json,
        ReportFormat::Jsonl => Format::Jsonl,
        ReportFormat::Sarif => Format::Sarif,
        ReportFormat::Github => Format::Github,
        ReportFormat::Gitlab => Format::Gitlab,
        ReportFormat::Junit => Format::Junit,
        ReportFormat::Csv => Format::Csv,
        ReportFormat::GitleaksJson => Format::GitleaksJson,
    };
    // The datastore holds no secret: reports from it are always redacted.
    let reporter = super::scan::reporter(format, SecretDisplay::Redact, false);
    let mut outcome = report.outcome();
    outcome.warnings.extend(notes.iter().cloned());
    reporter.report(&outcome, &mut out).and_then(|()| out.flush()).context(name)
}

/// The online run `--verify`, `--verify-leaked` or `--deactivate` asks for (the datastore's
/// configuration never turns it on by itself).
#[cfg(feature = "aws")]
fn online_run(
    args: &ReportArgs,
    env: &Env,
) -> anyhow::Result<Option<(crate::cli::config_aws::OnlineRun, keysentry::aws::AwsOptions)>> {
    let o = &args.online;
    if !(o.verify || o.verify_leaked || o.deactivate) {
        return Ok(None);
    }
    let mut aws = crate::cli::config_aws::account_options(&args.accounts)?;
    let settings = super::aws_online::operator_settings(env)?;
    crate::cli::config_filter::add_aws(&settings, &mut aws)?;
    let (plan, leaked) = crate::cli::config_aws::plan(o);
    let run =
        crate::cli::config_aws::online_run(&o.conn, &aws, &settings.aws_online, plan, leaked)?;
    Ok(Some((run, aws)))
}
