//! `keysentry triage`: sets the triage status of datastore findings.

use anyhow::{Context, bail};

use crate::cli::args_audit::{TriageArgs, TriageChoice};
use crate::cli::env::Env;
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::audit::store::{FindingSelector, Store, TriageStatus};
use keysentry::files::read as file;
use keysentry::report::escape;

pub(crate) fn run(args: TriageArgs, env: &Env, log: Log) -> anyhow::Result<ExitStatus> {
    // Triage acts on an audit's results: a mistyped path must not create an empty datastore.
    if !file::exists(&args.datastore) {
        bail!("{}: no such datastore", args.datastore.display());
    }
    let selectors = args
        .findings
        .iter()
        .map(|s| {
            FindingSelector::parse(s).with_context(|| {
                format!("{}: not a finding id (a number) or a fingerprint (hex)", escape(s))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let status = match args.status {
        TriageChoice::Open => TriageStatus::Open,
        TriageChoice::FalsePositive => TriageStatus::FalsePositive,
        TriageChoice::Accepted => TriageStatus::Accepted,
        TriageChoice::Revoked => TriageStatus::Revoked,
    };
    let who = args.by.or_else(|| env.user.clone()).unwrap_or_else(|| "unknown".to_owned());
    let mut store = Store::open(&args.datastore)?;
    let ids = store.set_triage_all(&selectors, status, args.note.as_deref(), &who)?;
    for (sel, id) in selectors.iter().zip(&ids) {
        match sel {
            FindingSelector::Id(_) => log.info(format_args!("finding {id}: {status}")),
            FindingSelector::Fingerprint(fp) => {
                log.info(format_args!("finding {id} ({fp}): {status}"));
            }
        }
    }
    Ok(ExitStatus::Clean)
}
