//! `keysentry report --datastore DB --verify`: the AWS online step of `scan --verify` over an
//! audit's AWS findings. The datastore holds no secret, so each finding is rebuilt from its
//! blob, read again from its repository (a local path, or its mirror in the audit's `--cache`);
//! the verdicts are stored back in the datastore.

use std::path::PathBuf;

use crate::cli::args_audit::ReportArgs;
use crate::cli::config_aws::OnlineRun;
use crate::cli::env::Env;
use crate::cli::log::Log;
use keysentry::audit::clone::Cache;
use keysentry::audit::report::DatastoreReport;
use keysentry::audit::reread::reread;
use keysentry::audit::store::{FindingFilter, Store, StoredFinding, StoredRepo};
use keysentry::audit::{RepoLocation, RepoSpec};
use keysentry::aws::AwsOptions;
use keysentry::report::SecretDisplay;
use keysentry::{Scan, ScanOptions};

/// Largest blob read again (the default `--max-file-size` of a scan).
const MAX_BLOB: u64 = 50 << 20;

/// Checks the AWS key ids among the findings `filter` selects and stores each verdict.
/// Returns whether something could not be verified or a check failed; each finding that could
/// not be rebuilt is logged and added to `notes`.
pub(crate) fn verify(
    args: &ReportArgs,
    (run, aws): (OnlineRun, AwsOptions),
    filter: &FindingFilter,
    env: &Env,
    log: Log,
    notes: &mut Vec<String>,
) -> anyhow::Result<bool> {
    crate::cli::scanning::git_options();
    let mut store = Store::open(&args.datastore)?;
    let report = DatastoreReport::load(&store, filter)?;
    let wanted: Vec<StoredFinding> = report
        .findings
        .iter()
        .filter(|f| f.aws.as_ref().is_some_and(|a| a.key_id_redacted.is_some()))
        .cloned()
        .collect();
    if wanted.is_empty() {
        log.info("AWS: no access key ids to check");
        return Ok(false);
    }
    let scan = Scan::new(super::builtin_rules()?, ScanOptions { aws, ..ScanOptions::default() });
    // The audit's cache, where its mirrors are named after each repository's identity.
    let cache = args
        .cache
        .clone()
        .or_else(|| env.mirror_cache.clone())
        .filter(|dir| dir.is_dir())
        .and_then(|dir| Cache::new(dir).ok());
    let locate = |r: &StoredRepo| -> Option<PathBuf> {
        match r.location_kind.as_str() {
            "local" => Some(PathBuf::from(&r.location)),
            _ => cache.as_ref().map(|c| c.mirror_path(&remote_spec(r))),
        }
    };
    let rebuilt = reread(&scan, &wanted, &report.repos, &locate, MAX_BLOB);
    for n in &rebuilt.not_rebuilt {
        let msg = format!("finding {} ({}): not verified: {}", n.id, n.fingerprint, n.reason);
        log.warn(keysentry::report::escape(&msg));
        notes.push(msg);
    }
    let mut findings = rebuilt.findings;
    let mut failed = !rebuilt.not_rebuilt.is_empty();
    if findings.is_empty() {
        return Ok(failed);
    }
    let verifier = super::aws_online::verifier(run, None, SecretDisplay::Redact, log)?;
    let done = verifier.verify(&mut findings)?;
    failed |= done.failed > 0;
    for f in &findings {
        if let Some(online) = f.aws.as_ref().and_then(|a| a.online.as_deref()) {
            store.set_verdict(&f.fingerprint, online)?;
        }
    }
    Ok(failed)
}

/// The spec an audit mirrored a stored remote repository under.
fn remote_spec(r: &StoredRepo) -> RepoSpec {
    RepoSpec {
        id: r.id.clone(),
        location: RepoLocation::Remote(r.location.clone()),
        name: r.name.clone(),
        fork: r.fork,
        archived: r.archived,
    }
}
