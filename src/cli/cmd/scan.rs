//! `keysentry scan`: open the source, run the library's scan (with the online AWS step when
//! asked), write the report and the summary.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use crate::cli::args::{ColorChoice, Format, ScanArgs};
use crate::cli::config::ScanConfig;
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use crate::cli::progress::ProgressPolicy;
use crate::cli::scanning::{self, status};
use keysentry::report::{
    Csv, GithubActions, Gitlab, GitleaksJson, Human, Json, JsonLines, Junit, Reporter, Sarif,
    SecretDisplay,
};
use keysentry::sink::ScanOutcome;

pub(crate) fn run(
    args: ScanArgs,
    color: ColorChoice,
    env: &Env,
    log: Log,
) -> anyhow::Result<ExitStatus> {
    #[cfg(feature = "aws")]
    let root = args.paths.first().map(|p| p.display().to_string());
    let mut config = ScanConfig::new(args, color, env)?;
    #[cfg_attr(not(feature = "aws"), allow(unused_mut))]
    let (source, mut scan) = scanning::prepare(&mut config, env, log)?;
    #[cfg(feature = "aws")]
    let verifying = config.online.is_some();
    #[cfg(feature = "aws")]
    if let Some(run) = config.online.take() {
        scan = scan.verifier(super::aws_online::verifier(run, root, config.secrets, log)?);
    }
    let policy = ProgressPolicy::for_stderr(log, env.progress_delay);
    let (outcome, summary) = scanning::run(&scan, source.source(), policy, source.unit().1, log)?;
    source.after(log);
    let status = status(&outcome);
    // A reader that stops early (`| head`) does not turn findings into success: a broken pipe
    // ends quietly with the scan's own status, so that `set -o pipefail` fails on findings.
    match write_report(&config, &outcome) {
        Err(e) if super::super::is_broken_pipe(&e) => return Ok(status),
        other => other?,
    }
    crate::cli::summary::summarize(&outcome, source.unit(), log);
    #[cfg(feature = "aws")]
    match summary.verification {
        // An online step that cannot run is an error, after the report: findings are never lost.
        Some(Err(e)) => return Err(e.into()),
        Some(Ok(v)) if v.failed > 0 && status == ExitStatus::Clean => return Ok(ExitStatus::Error),
        None if verifying => log.info("AWS: no access key ids to check"),
        _ => {}
    }
    #[cfg(not(feature = "aws"))]
    let _ = summary;
    Ok(status)
}

fn write_report(config: &ScanConfig, outcome: &ScanOutcome) -> anyhow::Result<()> {
    let reporter = reporter(config.format, config.secrets, config.color);
    let (mut out, name) = output(config.report_path.as_deref())?;
    reporter.report(outcome, &mut out).and_then(|()| out.flush()).context(name)
}

/// The reporter of a format (`scan --format`, and `report --datastore`'s formats but HTML).
pub(crate) fn reporter(format: Format, secrets: SecretDisplay, color: bool) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(Human { secrets, color }),
        Format::Json => Box::new(Json { secrets }),
        Format::Jsonl => Box::new(JsonLines { secrets }),
        Format::Sarif => Box::new(Sarif { secrets }),
        Format::Github => Box::new(GithubActions { secrets }),
        Format::Gitlab => Box::new(Gitlab { secrets }),
        Format::Junit => Box::new(Junit { secrets }),
        Format::Csv => Box::new(Csv { secrets }),
        Format::GitleaksJson => Box::new(GitleaksJson { secrets }),
    }
}

/// Where a report goes (`-o FILE`, else standard output), buffered, with the context its
/// write errors get.
pub(crate) fn output(path: Option<&Path>) -> anyhow::Result<(BufWriter<Box<dyn Write>>, String)> {
    let (out, name): (Box<dyn Write>, _) = match path {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            (Box::new(file), format!("cannot write report to {}", path.display()))
        }
        None => (Box::new(io::stdout().lock()), "cannot write report".to_owned()),
    };
    Ok((BufWriter::new(out), name))
}
