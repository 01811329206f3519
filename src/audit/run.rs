//! The audit loop: repositories one after the other, each a history scan that passes over the
//! blobs the datastore knows, each written to the datastore in one transaction.
//!
//! Clones run ahead of the scans, a few at a time ([`clone::Clones`]); scans run one
//! repository at a time, each with every worker thread, so that a blob met in two
//! repositories is scanned by the first and only recorded by the second. A repository whose
//! refs point where they pointed when it was last scanned in full, with the same rule set, is
//! skipped. A repository is marked in progress before its scan and written whole after it:
//! killed in between, the next run finds it in progress and scans it again.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::clone::{self, Cache, CloneEvent, Clones, Mirror};
use super::store::{self, BlobIndex, Gap, RepoResult, RepoStatus, RunCounts, Store};
use super::{RepoLocation, RepoSpec};
use crate::Scan;
use crate::finding::BlobId;
use crate::pipeline::Progress;
use crate::sink::Collect;
use crate::source::git::GitEnv;
use crate::source::history::{History, HistoryOptions, KnownBlobs};

/// How an audit runs.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// The rule set's version ([`ruleset_version`]): blobs scanned with another are scanned
    /// again, and repositories last scanned with another are not skipped as unchanged.
    pub ruleset: String,
    /// Worker threads of each repository's scan (0: one per core).
    pub threads: usize,
    /// Blobs larger than this are skipped and reported.
    pub max_file_size: u64,
    /// Where git's environment puts a repository's parts.
    pub git_env: GitEnv,
    /// How remote repositories are mirrored.
    pub clone: clone::CloneOptions,
}

/// What became of one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepoOutcome {
    /// Scanned in full.
    Complete,
    /// Scanned, with gaps (content not scanned in full, objects that could not be read).
    Incomplete {
        /// What was not scanned, and why.
        gaps: Vec<String>,
    },
    /// Not scanned: the clone failed, or the repository cannot be opened.
    Failed {
        /// Why.
        reason: String,
    },
    /// Not scanned: its refs did not move since it was last scanned in full.
    Unchanged,
}

/// What an audit did, for the summary at its end.
#[derive(Clone, Debug, Default)]
pub struct AuditSummary {
    /// Repositories scanned in full.
    pub complete: u64,
    /// Repositories scanned with gaps: name and gaps.
    pub incomplete: Vec<(String, Vec<String>)>,
    /// Repositories not scanned: name and reason.
    pub failed: Vec<(String, String)>,
    /// Repositories skipped as unchanged.
    pub unchanged: u64,
    /// Distinct blobs scanned.
    pub blobs_scanned: u64,
    /// Blobs passed over as scanned already (in another repository, or an earlier run).
    pub blobs_known: u64,
    /// Findings (distinct secrets) the datastore did not hold before this run.
    pub new_findings: u64,
    /// Mirrors whose fetch failed and that were scanned as they were.
    pub stale: Vec<String>,
    /// How long it took.
    pub elapsed: Duration,
    /// The run's id in the datastore.
    pub run: Option<store::RunId>,
}

impl AuditSummary {
    /// Whether some repository was not scanned in full (failed, or with gaps).
    pub fn is_incomplete(&self) -> bool {
        !self.failed.is_empty() || !self.incomplete.is_empty()
    }
}

/// An audit error that stops the whole audit: the datastore cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The datastore failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Counters of a running audit, for a progress display drawn by another thread.
#[derive(Default)]
pub struct AuditProgress {
    /// Repositories to audit.
    pub total: AtomicU64,
    /// Repositories done (whatever became of them).
    pub done: AtomicU64,
    /// Blobs passed over as known so far.
    pub known: AtomicU64,
    /// The repository being scanned now.
    current: Mutex<Vec<String>>,
    /// The repositories being cloned or fetched now.
    cloning: Arc<Mutex<Vec<String>>>,
    /// The blobs scanned and bytes read, across repositories.
    pub scan: Progress,
}

impl AuditProgress {
    /// The names of the repositories being scanned now, then of those being mirrored.
    pub fn current(&self) -> Vec<String> {
        let mut names = self.current.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let cloning = self.cloning.lock().unwrap_or_else(PoisonError::into_inner);
        names.extend(cloning.iter().map(|n| format!("{n} (mirroring)")));
        names
    }

    fn set_current(&self, names: Vec<String>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = names;
    }
}

/// The datastore's blob index as the history source asks it: a blob is known when it was
/// scanned with this rule set, in any repository, in any run.
struct Known {
    index: Arc<BlobIndex>,
    ruleset: String,
}

impl KnownBlobs for Known {
    fn known(&self, blob: &BlobId) -> bool {
        // A lookup that fails scans the blob again: nothing is missed, at worst done twice.
        self.index.scanned(blob, &self.ruleset)
    }
}

/// The result of a repository that was not scanned.
fn failed(spec: &RepoSpec, run: store::RunId, ruleset: &str, reason: &str) -> RepoResult {
    RepoResult {
        repo: spec.clone(),
        run,
        ruleset: ruleset.to_owned(),
        status: RepoStatus::Failed(reason.to_owned()),
        refs: Vec::new(),
        blobs_scanned: Vec::new(),
        findings: Vec::new(),
        known_occurrences: Vec::new(),
        gaps: Vec::new(),
    }
}

/// Audits `repos` with `scan` into `store`, mirroring remote ones into `cache`.
pub fn audit(
    scan: &Scan,
    repos: Vec<RepoSpec>,
    store: &mut Store,
    cache: Option<&Cache>,
    options: &AuditOptions,
    progress: &AuditProgress,
) -> Result<AuditSummary, AuditError> {
    let started = Instant::now();
    let run = store.begin_run(&options.ruleset)?;
    let threads = crate::source::worker_threads(options.threads);
    let index = Arc::new(store.blob_index(threads)?);
    let known: Arc<dyn KnownBlobs> =
        Arc::new(Known { index: index.clone(), ruleset: options.ruleset.clone() });
    progress.total.store(repos.len() as u64, Ordering::Relaxed);
    let mut summary = AuditSummary::default();
    // Local repositories are scanned where they are, while the remote ones are being mirrored.
    let (local, remote): (Vec<RepoSpec>, Vec<RepoSpec>) =
        repos.into_iter().partition(|r| matches!(r.location, RepoLocation::Local(_)));
    let mut no_cache = Vec::new();
    let clones = match cache {
        Some(cache) => {
            let mut clone_options = options.clone.clone();
            let watched = progress.cloning.clone();
            clone_options.events = Some(Arc::new(move |event: &CloneEvent<'_>| {
                let mut names = watched.lock().unwrap_or_else(PoisonError::into_inner);
                match event {
                    CloneEvent::Started(spec) => names.push(spec.name.clone()),
                    CloneEvent::Finished(spec, _) => names.retain(|n| n != &spec.name),
                }
            }));
            Some(Clones::start(cache.clone(), remote, clone_options))
        }
        None => {
            no_cache = remote;
            None
        }
    };
    let here = local.into_iter().map(|spec| {
        let path = match &spec.location {
            RepoLocation::Local(path) => path.clone(),
            RepoLocation::Remote(url) => url.into(),
        };
        let mirror = Mirror { path, fetched: false, stale: false, stale_reason: None };
        (spec, Ok(mirror))
    });
    let uncached = no_cache.into_iter().map(|spec| {
        let reason = "no clone cache to mirror it into".to_owned();
        (spec, Err(reason))
    });
    let mirrored =
        clones.into_iter().flatten().map(|(spec, m)| (spec, m.map_err(|e| e.to_string())));
    for (spec, mirrored) in here.chain(uncached).chain(mirrored) {
        progress.set_current(vec![spec.name.clone()]);
        let outcome = match mirrored {
            Err(reason) => {
                store.write_repo(&failed(&spec, run, &options.ruleset, &reason))?;
                RepoOutcome::Failed { reason }
            }
            Ok(mirror) => {
                if mirror.stale {
                    summary.stale.push(spec.name.clone());
                }
                let repo = Repo { spec: &spec, path: &mirror.path, run };
                audit_repo(scan, &repo, store, &known, &index, options, progress, &mut summary)?
            }
        };
        match outcome {
            RepoOutcome::Complete => summary.complete += 1,
            RepoOutcome::Incomplete { gaps } => summary.incomplete.push((spec.name.clone(), gaps)),
            RepoOutcome::Failed { reason } => summary.failed.push((spec.name.clone(), reason)),
            RepoOutcome::Unchanged => summary.unchanged += 1,
        }
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    progress.set_current(Vec::new());
    summary.elapsed = started.elapsed();
    let counts = RunCounts {
        repos_complete: summary.complete,
        repos_incomplete: summary.incomplete.len() as u64,
        repos_failed: summary.failed.len() as u64,
        repos_unchanged: summary.unchanged,
        blobs_scanned: summary.blobs_scanned,
        blobs_skipped: summary.blobs_known,
        findings_new: summary.new_findings,
    };
    store.finish_run(run, &counts)?;
    summary.run = Some(run);
    Ok(summary)
}

/// A repository ready to scan: its spec, where its git directory is, and the run.
struct Repo<'a> {
    spec: &'a RepoSpec,
    path: &'a Path,
    run: store::RunId,
}

/// Scans one repository (unless unchanged) and writes it to the datastore.
#[allow(clippy::too_many_arguments)]
fn audit_repo(
    scan: &Scan,
    repo: &Repo<'_>,
    store: &mut Store,
    known: &Arc<dyn KnownBlobs>,
    index: &BlobIndex,
    options: &AuditOptions,
    progress: &AuditProgress,
    summary: &mut AuditSummary,
) -> Result<RepoOutcome, AuditError> {
    let spec = repo.spec;
    let refs = match ref_tips(repo.path, &options.git_env) {
        Ok(refs) => refs,
        Err(reason) => {
            store.write_repo(&failed(spec, repo.run, &options.ruleset, &reason))?;
            return Ok(RepoOutcome::Failed { reason });
        }
    };
    if let Some(last) = store.repo_state(&spec.id)?
        && last.status == RepoStatus::Complete
        && last.ruleset.as_deref() == Some(options.ruleset.as_str())
        && last.refs == refs
    {
        return Ok(RepoOutcome::Unchanged);
    }
    store.mark_in_progress(spec, repo.run)?;
    let history = HistoryOptions {
        repo: repo.path.to_path_buf(),
        since: None,
        max_commits: None,
        all_occurrences: true,
        max_file_size: options.max_file_size,
        threads: options.threads,
        git_env: options.git_env.clone(),
    };
    let history = match History::open(history) {
        // The audit is the organisation's view: a repository's own ignore file does not hide
        // content from it.
        Ok(h) => h.without_ignore_file().passing_over(known.clone()),
        Err(e) => {
            let reason = format!("cannot read the history: {e}");
            store.write_repo(&failed(spec, repo.run, &options.ruleset, &reason))?;
            return Ok(RepoOutcome::Failed { reason });
        }
    };
    let mut sink = Collect::new();
    if let Err(e) = scan.run_observed(&history, &mut sink, &progress.scan) {
        // `Collect` does not fail; were it to, the repository is failed, not half written.
        let reason = format!("the scan's results could not be collected: {e}");
        store.write_repo(&failed(spec, repo.run, &options.ruleset, &reason))?;
        return Ok(RepoOutcome::Failed { reason });
    }
    let outcome = sink.into_outcome();
    let mut gaps: Vec<Gap> = outcome
        .skipped
        .iter()
        .filter(|(_, why)| why.is_gap())
        .map(|(origin, why)| Gap { what: origin.display_name(), reason: why.to_string() })
        .collect();
    gaps.extend(
        outcome.errors.iter().map(|e| Gap { what: String::from("read"), reason: e.to_string() }),
    );
    let mut scanned = Vec::new();
    let mut occurrences = Vec::new();
    for (blob, passed) in history.blobs() {
        if !passed {
            scanned.push(blob);
            continue;
        }
        progress.known.fetch_add(1, Ordering::Relaxed);
        summary.blobs_known += 1;
        // A lookup that fails is an error of the datastore, which stops the audit.
        if index.try_has_findings(&blob)? {
            for (path, commit) in history.occurrences(&blob) {
                occurrences.push((blob, path, commit));
            }
        }
    }
    summary.blobs_scanned += scanned.len() as u64;
    let status = if gaps.is_empty() { RepoStatus::Complete } else { RepoStatus::Incomplete };
    let shown: Vec<String> = gaps.iter().map(|g| format!("{}: {}", g.what, g.reason)).collect();
    let written = store.write_repo(&RepoResult {
        repo: spec.clone(),
        run: repo.run,
        ruleset: options.ruleset.clone(),
        status,
        refs,
        blobs_scanned: scanned,
        findings: outcome.findings,
        known_occurrences: occurrences,
        gaps,
    })?;
    summary.new_findings += written.new_fingerprints.len() as u64;
    Ok(if shown.is_empty() {
        RepoOutcome::Complete
    } else {
        RepoOutcome::Incomplete { gaps: shown }
    })
}

/// Every ref of the repository at `path` and the object it points at (symbolic refs by their
/// name and target's name), sorted: what "the refs did not move" compares.
pub fn ref_tips(path: &Path, env: &GitEnv) -> Result<Vec<(String, String)>, String> {
    let repo = crate::source::git::open(path, env).map_err(|e| e.to_string())?;
    let mut tips = BTreeMap::new();
    let refs = repo.references().map_err(|e| format!("cannot list the refs: {}", e.message()))?;
    for r in refs {
        let r = r.map_err(|e| format!("cannot read a ref: {}", e.message()))?;
        let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
        let target = match (r.target(), r.symbolic_target_bytes()) {
            (Some(id), _) => id.to_string(),
            (None, Some(to)) => format!("-> {}", String::from_utf8_lossy(to)),
            (None, None) => String::new(),
        };
        tips.insert(name, target);
    }
    if let Ok(head) = repo.head()
        && let Some(id) = head.target()
    {
        tips.insert("HEAD".to_owned(), id.to_string());
    }
    Ok(tips.into_iter().collect())
}

/// The version of a rule set: a hash of keysentry's version and of everything that decides
/// what is found and kept (`parts`: the rules' definitions, the configuration's allowlists,
/// the AWS options). Blobs scanned under another version are scanned again.
pub fn ruleset_version(parts: &[&[u8]]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()[..12].iter().map(|b| format!("{b:02x}")).collect()
}
