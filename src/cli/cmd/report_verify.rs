//! `keysentry report --datastore DB --verify`: the AWS online step of `scan --verify` over an
//! audit's AWS findings. The datastore holds no secret, so each finding is rebuilt from its
//! blob, read again from its repository (a local path, or the mirror in `--clone-cache`);
//! the verdicts are stored back in the datastore.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cli::args_audit::ReportArgs;
use crate::cli::config_aws::OnlineRun;
use crate::cli::log::Log;
use keysentry::audit::report::DatastoreReport;
use keysentry::audit::reread::reread;
use keysentry::audit::store::{FindingFilter, Store, StoredFinding, StoredRepo};
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
    log: Log,
    notes: &mut Vec<String>,
) -> anyhow::Result<bool> {
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
    let mirrors = args.clone_cache.as_deref().map(mirrors_by_url).unwrap_or_default();
    let locate = |r: &StoredRepo| -> Option<PathBuf> {
        match r.location_kind.as_str() {
            "local" => Some(PathBuf::from(&r.location)),
            _ => mirrors.get(&r.location).cloned(),
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

/// The mirrors in a clone cache, by the URL of their `origin` remote.
fn mirrors_by_url(cache: &Path) -> HashMap<String, PathBuf> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir(cache) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(repo) = git2::Repository::open_bare(&path) else { continue };
        let url = repo.find_remote("origin").ok().and_then(|r| r.url().ok().map(str::to_owned));
        if let Some(url) = url {
            out.insert(url, path);
        }
    }
    out
}
