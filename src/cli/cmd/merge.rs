//! `keysentry merge`: combines shard datastores into one.

use crate::cli::args_audit::MergeArgs;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::audit::store::{self, FindingFilter, Store};

use super::count;

pub(crate) fn run(args: MergeArgs, log: Log) -> anyhow::Result<ExitStatus> {
    store::merge(&args.inputs, &args.output)?;
    let merged = Store::open(&args.output)?;
    let repos = merged.repos()?.len() as u64;
    let findings = merged.findings(&FindingFilter::default())?.len() as u64;
    log.info(format_args!(
        "merged {} into {}: {}, {}",
        count(args.inputs.len() as u64, "datastore", "datastores"),
        args.output.display(),
        count(repos, "repository", "repositories"),
        count(findings, "finding", "findings"),
    ));
    Ok(ExitStatus::Clean)
}
