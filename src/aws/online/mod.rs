//! Online AWS work, from the defender's side (cargo feature `aws`): which account owns a key
//! (`sts:GetAccessKeyInfo`), its user, status and last use in the operator's own accounts
//! (IAM, through `sts:AssumeRole` for other accounts), optionally a check signed with the
//! leaked pair (`sts:GetCallerIdentity`), and deactivation or reactivation. Every verdict and
//! action goes to the [`AuditLog`] before it is returned.
//!
//! [`Online`] owns a current-thread tokio runtime and the SDK clients; its methods are
//! synchronous and run after a scan, on the caller's thread. [`AwsVerifier`] is the same work
//! as the pipeline's [`Verifier`](crate::verify::Verifier).
//!
//! Inside: `session` (the operator's clients, assumed roles, the audit log), `checks` (the
//! verdict of one key), `actions` (deactivate, reactivate, quarantine, each written as intent,
//! call, outcome), `verdicts` (what a run reports), `calls` (the SDK setup, failures
//! classified, the status write and its retries), `verifier`.

mod actions;
mod calls;
mod checks;
mod session;
mod verdicts;
mod verifier;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

pub use calls::CallPolicy;
pub use verdicts::{ActionResult, Detail, KeyReport, LeakedVerdict, OnlineVerdict, Verdict};
pub use verifier::{AwsVerifier, AwsVerifyError, VerifierOptions};

use super::audit::{Action, AuditError, AuditLog, FoundAt};
use super::{AccountId, Canaries};
use crate::finding::Secret;
use session::Ctx;

/// The managed policy AWS attaches to exposed keys.
pub const QUARANTINE_POLICY: &str = "AWSCompromisedKeyQuarantineV3";

/// How to reach AWS and which accounts are the operator's.
#[derive(Clone, Debug, Default)]
pub struct OnlineOptions {
    /// The region (its partition decides ARNs and endpoints); default: the chain's, else
    /// `us-east-1`.
    pub region: Option<String>,
    /// Endpoint override for every service (an emulator, a VPC endpoint).
    pub endpoint_url: Option<String>,
    /// The organisation's own accounts, besides the operator's current account.
    pub own_accounts: BTreeSet<AccountId>,
    /// The role assumed in own accounts other than the current one.
    pub role_name: Option<String>,
    /// Per-account role names, overriding `role_name`.
    pub roles: BTreeMap<AccountId, String>,
    /// Canary accounts: their keys are never checked.
    pub canaries: Canaries,
    /// Keys checked at the same time.
    pub concurrency: usize,
    /// Timeouts and retries.
    pub policy: CallPolicy,
}

/// Whether to sign a request with the leaked pair itself (visible to the key's owner).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeakedCheck {
    /// Never (the default).
    #[default]
    Skip,
    /// `sts:GetCallerIdentity` with the pair, for keys that have a secret and are no canary.
    Verify,
}

/// Whether an action is carried out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Apply {
    /// Say what would be done (the default).
    #[default]
    DryRun,
    /// Do it.
    Yes,
}

/// Whether deactivation also attaches [`QUARANTINE_POLICY`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quarantine {
    /// No.
    #[default]
    No,
    /// Yes.
    Attach,
}

/// What a run does after checking each key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Plan {
    /// Check only.
    #[default]
    Check,
    /// Deactivate active keys of own accounts.
    Deactivate(Apply, Quarantine),
    /// Reactivate inactive keys of own accounts.
    Reactivate(Apply),
}

/// A key to check, with where it was found. `Debug` redacts the key id and secrets.
#[derive(Clone)]
pub struct Target {
    /// The access key id.
    pub key_id: String,
    /// The paired secret, for [`LeakedCheck::Verify`].
    pub secret: Option<Secret>,
    /// The paired session token (`ASIA` keys).
    pub session_token: Option<Secret>,
    /// Where it was found.
    pub found: Vec<FoundAt>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("key_id", &crate::finding::redacted(&self.key_id))
            .field("secret", &self.secret)
            .field("session_token", &self.session_token)
            .field("found", &self.found)
            .finish()
    }
}

/// A run that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum OnlineError {
    /// No usable operator credentials.
    #[error(
        "cannot use the operator's AWS credentials (sts:GetCallerIdentity failed: {0}); set \
         AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or log in with `aws sso login`"
    )]
    Credentials(String),
    /// The tokio runtime cannot start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The audit log failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// A connection to AWS as the operator.
pub struct Online {
    runtime: tokio::runtime::Runtime,
    ctx: Arc<Ctx>,
}

impl std::fmt::Debug for Online {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Online").field("actor", &self.ctx.actor).finish_non_exhaustive()
    }
}

impl Online {
    /// Loads the operator's credentials and learns who they are (`sts:GetCallerIdentity`).
    pub fn connect(options: OnlineOptions, log: AuditLog) -> Result<Online, OnlineError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(OnlineError::Runtime)?;
        let ctx = runtime.block_on(Ctx::connect(options, log))?;
        Ok(Online { runtime, ctx: Arc::new(ctx) })
    }

    /// The operator's identity (ARN).
    pub fn actor(&self) -> &str {
        &self.ctx.actor
    }

    /// Checks each key once (targets with the same id are merged), then carries out `plan`.
    /// Reports come back in the order of first appearance, one for every key: a check whose
    /// task failed is an error verdict for its key, recorded in the audit log too.
    pub fn run(&self, targets: Vec<Target>, plan: Plan, leaked: LeakedCheck) -> Vec<KeyReport> {
        let ctx = Arc::clone(&self.ctx);
        let limit = ctx.options.concurrency;
        let reports = self.runtime.block_on(each(merge(targets), limit, move |t| {
            let ctx = Arc::clone(&ctx);
            async move { checks::process(&ctx, t, plan, leaked).await }
        }));
        reports
            .into_iter()
            .map(|(r, task)| {
                if task == Task::Failed {
                    // Best effort: the log may be what failed.
                    let outcome = verdicts::outcome(&r.check.verdict);
                    let _ = self.ctx.record(&r, Action::Check, outcome, None);
                }
                r
            })
            .collect()
    }
}

/// How the task of one key ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Task {
    /// It returned its report.
    Done,
    /// It panicked or was cancelled: its report is an error made for it.
    Failed,
}

/// Runs `check` on every target, at most `limit` at a time, each in its own task; returns the
/// reports in the order of `targets`. A task that fails (a panic, a cancellation) gives an
/// error report for its key, never a missing one.
async fn each<F, Fut>(targets: Vec<Target>, limit: usize, check: F) -> Vec<(KeyReport, Task)>
where
    F: Fn(Target) -> Fut,
    Fut: Future<Output = KeyReport> + Send + 'static,
{
    let limit = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut tasks = HashMap::new();
    let keys: Vec<(String, Vec<FoundAt>)> =
        targets.iter().map(|t| (t.key_id.clone(), t.found.clone())).collect();
    for (i, t) in targets.into_iter().enumerate() {
        let limit = Arc::clone(&limit);
        let checked = check(t);
        let task = set.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (i, checked.await)
        });
        tasks.insert(task.id(), i);
    }
    let mut out: Vec<Option<(KeyReport, Task)>> = keys.iter().map(|_| None).collect();
    while let Some(done) = set.join_next().await {
        match done {
            Ok((i, report)) => out[i] = Some((report, Task::Done)),
            Err(e) => {
                if let Some(&i) = tasks.get(&e.id()) {
                    let (key_id, found) = &keys[i];
                    let why = Detail::text(format!("the check of this key failed: {e}"));
                    let report = KeyReport::new(key_id, found.clone(), Verdict::Error(why));
                    out[i] = Some((report, Task::Failed));
                }
            }
        }
    }
    out.into_iter()
        .zip(keys)
        .map(|(r, (key_id, found))| {
            r.unwrap_or_else(|| {
                let why = Detail::text("the check of this key did not finish");
                (KeyReport::new(&key_id, found, Verdict::Error(why)), Task::Failed)
            })
        })
        .collect()
}

fn merge(targets: Vec<Target>) -> Vec<Target> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Target> = Vec::new();
    for t in targets {
        match index.get(&t.key_id) {
            Some(&i) => {
                let m = &mut out[i];
                m.secret = m.secret.take().or(t.secret);
                m.session_token = m.session_token.take().or(t.session_token);
                for f in t.found {
                    if !m.found.contains(&f) {
                        m.found.push(f);
                    }
                }
            }
            None => {
                index.insert(t.key_id.clone(), out.len());
                out.push(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod issue_12_debug {
    use super::*;

    #[test]
    fn issue_12_target_debug_redacts_the_key_id() {
        let key_id = format!("AKIA{}", ["Z7VX", "WQ2R", "5TYU", "3MNB"].concat());
        let secret = ["Zq9Xw7Vv5Tt3", "Rr1Pp0Oo9Nn8", "Mm7Ll6Kk5Jj4Hh3Gg2Ff1"].concat();
        let t = Target {
            key_id: key_id.clone(),
            secret: Some(Secret::new(secret.clone())),
            session_token: None,
            found: Vec::new(),
        };
        let debug = format!("{t:?}");
        assert!(!debug.contains(&key_id) && !debug.contains(&secret), "{debug}");
    }
}

#[cfg(test)]
mod issue_13 {
    use super::*;

    fn target(key_id: &str) -> Target {
        let found = FoundAt { path: format!("{key_id}.env"), ..FoundAt::default() };
        Target { key_id: key_id.into(), secret: None, session_token: None, found: vec![found] }
    }

    #[test]
    fn issue_13_failed_task_is_an_error_for_its_key() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let targets = vec![target("KEY-A"), target("KEY-B"), target("KEY-C")];
        // The seam: the check of one key panics, so its task ends in a JoinError.
        let reports = runtime.block_on(each(targets, 2, |t| async move {
            assert_ne!(t.key_id, "KEY-B", "injected failure");
            KeyReport::new(&t.key_id, t.found, Verdict::Inactive)
        }));
        assert_eq!(reports.len(), 3, "{reports:?}");
        let ended: Vec<(&str, Task)> =
            reports.iter().map(|(r, t)| (r.key_id.as_str(), *t)).collect();
        assert_eq!(ended, [("KEY-A", Task::Done), ("KEY-B", Task::Failed), ("KEY-C", Task::Done)]);
        let failed = &reports[1].0;
        assert_eq!(failed.found, target("KEY-B").found);
        assert!(failed.failed());
        let Verdict::Error(why) = &failed.check.verdict else { panic!("{failed:?}") };
        assert!(why.expose().contains("failed") && why.expose().contains("panic"), "{why}");
    }

    #[test]
    fn issue_13_targets_merge_by_key_id() {
        let mut second = target("KEY-A");
        second.secret = Some(Secret::new("s"));
        second.found[0].line = 9;
        let merged = merge(vec![target("KEY-A"), target("KEY-B"), second]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].found.len(), 2);
        assert!(merged[0].secret.is_some());
    }
}
