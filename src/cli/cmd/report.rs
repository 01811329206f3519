//! `keysentry report --datastore DB`: an audit's findings from its datastore, in any format
//! of `keysentry scan` or as one HTML page; with `--verify`, the AWS online checks of `scan
//! --verify` over them first, their verdicts stored back.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, bail};

use crate::cli::args_audit::{ReportArgs, ReportFormat, TriageChoice};
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::audit::report::DatastoreReport;
use keysentry::audit::store::{FindingFilter, RunId, Since, Store, TriageStatus};
use keysentry::files::read as file;
use keysentry::report::{
    Csv, GithubActions, Gitlab, GitleaksJson, Human, Json, JsonLines, Junit, Reporter, Sarif,
    SecretDisplay,
};

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
    let (out, name): (Box<dyn Write>, _) = match &args.output {
        Some(path) => {
            let f = File::create(path)
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            (Box::new(f), format!("cannot write report to {}", path.display()))
        }
        None => (Box::new(io::stdout().lock()), "cannot write report".to_owned()),
    };
    let mut out = BufWriter::new(out);
    let secrets = SecretDisplay::Redact;
    let reporter: Box<dyn Reporter> = match args.format {
        ReportFormat::Html => {
            return keysentry::audit::html::render(report, notes, &mut out)
                .and_then(|()| out.flush())
                .context(name);
        }
        ReportFormat::Human => Box::new(Human { secrets, color: false }),
        ReportFormat::Json => Box::new(Json { secrets }),
        ReportFormat::Jsonl => Box::new(JsonLines { secrets }),
        ReportFormat::Sarif => Box::new(Sarif { secrets }),
        ReportFormat::Github => Box::new(GithubActions { secrets }),
        ReportFormat::Gitlab => Box::new(Gitlab { secrets }),
        ReportFormat::Junit => Box::new(Junit { secrets }),
        ReportFormat::Csv => Box::new(Csv { secrets }),
        ReportFormat::GitleaksJson => Box::new(GitleaksJson { secrets }),
    };
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
