//! Online AWS work, from the defender's side (cargo feature `aws`): which account owns a key
//! (`sts:GetAccessKeyInfo`), its user, status and last use in the operator's own accounts
//! (IAM, through `sts:AssumeRole` for other accounts), optionally a check signed with the
//! leaked pair (`sts:GetCallerIdentity`), and deactivation or reactivation. Every verdict and
//! action goes to the [`AuditLog`] before it is returned.
//!
//! [`Online`] owns a current-thread tokio runtime and the SDK clients; its methods are
//! synchronous and run after a scan, on the caller's thread.

mod calls;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_iam::operation::RequestId;
use aws_sdk_iam::types::StatusType;
use aws_sdk_sts::config::Credentials;
use serde::Serialize;

pub use calls::CallPolicy;
use calls::{FailureKind, classify};

use super::audit::{AuditError, AuditLog, Entry, FoundAt};
use super::{AccountId, Canaries, PrefixClass, anatomy};
use crate::finding::Secret;

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

/// What the owner-side check says about a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// The key works: it is active in an own account.
    Active,
    /// The key exists and is inactive.
    Inactive,
    /// The owning account is ours but the key no longer exists (deleted).
    NotFound,
    /// The key belongs to an account that is not ours: not checked further.
    Foreign,
    /// The key belongs to a canary account: never checked.
    Canary,
    /// The key belongs to the account's root user: IAM cannot manage it.
    Root,
    /// A temporary (`ASIA`) key: it expires; IAM cannot deactivate it.
    Temporary,
    /// A prefix IAM keys do not have (`ABIA`, `ACCA`, …): nothing to check.
    NotAnAccessKey,
    /// The check failed.
    Error(String),
}

impl Verdict {
    fn label(&self) -> String {
        match self {
            Verdict::Error(e) => format!("error: {e}"),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|v| v["verdict"].as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// What a request signed with the leaked pair said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum LeakedVerdict {
    /// The pair works; the identity it belongs to.
    Live(String),
    /// Unknown, deleted or inactive key, or a wrong secret.
    Invalid(String),
    /// An expired temporary key.
    Expired,
    /// The call failed for another reason.
    Error(String),
}

/// What an action did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum ActionResult {
    /// Dry run: what would be done.
    DryRun(String),
    /// Done and confirmed.
    Done(String),
    /// Nothing to do: already in the wanted state.
    Unchanged(String),
    /// Not done, and what to do instead.
    Refused(String),
    /// It failed.
    Failed(String),
}

/// Everything a run found out about one key. `Debug` redacts the key id.
#[derive(Clone, Serialize)]
pub struct KeyReport {
    /// The key id.
    pub key_id: String,
    /// The account `sts:GetAccessKeyInfo` gave.
    pub account: Option<String>,
    /// The account decoded offline from the id (`None` for old-format ids).
    pub decoded_account: Option<String>,
    /// The account is the operator's (current or configured).
    pub own: bool,
    /// The IAM user owning the key.
    pub user: Option<String>,
    /// When the key was last used, and for what.
    pub last_used: Option<String>,
    /// [`QUARANTINE_POLICY`] (any version) is attached to the user.
    pub quarantined: bool,
    /// The owner-side verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The check signed with the leaked pair, when asked for.
    pub leaked: Option<LeakedVerdict>,
    /// Deactivation or reactivation.
    pub action: Option<ActionResult>,
    /// Quarantine.
    pub quarantine: Option<ActionResult>,
    /// Where the key was found.
    pub found: Vec<FoundAt>,
}

impl std::fmt::Debug for KeyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyReport")
            .field("key_id", &crate::finding::redacted(&self.key_id))
            .field("account", &self.account)
            .field("own", &self.own)
            .field("user", &self.user)
            .field("verdict", &self.verdict)
            .field("leaked", &self.leaked)
            .field("action", &self.action)
            .field("quarantine", &self.quarantine)
            .finish_non_exhaustive()
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

struct Ctx {
    base: aws_config::SdkConfig,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    actor: String,
    account: String,
    partition: &'static str,
    options: OnlineOptions,
    log: Mutex<AuditLog>,
    accounts: tokio::sync::Mutex<HashMap<String, Result<aws_sdk_iam::Client, String>>>,
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
        let ctx = runtime.block_on(async {
            let base = calls::load(
                options.region.as_deref(),
                options.endpoint_url.as_deref(),
                &options.policy,
            )
            .await;
            let sts = aws_sdk_sts::Client::new(&base);
            let me = sts.get_caller_identity().send().await.map_err(|e| {
                OnlineError::Credentials(classify(&e).describe("sts:GetCallerIdentity"))
            })?;
            let region = base.region().map(|r| r.as_ref().to_owned());
            Ok::<_, OnlineError>(Ctx {
                iam: aws_sdk_iam::Client::new(&base),
                sts,
                actor: me.arn().unwrap_or_default().to_owned(),
                account: me.account().unwrap_or_default().to_owned(),
                partition: calls::partition(region.as_deref()),
                base,
                options,
                log: Mutex::new(log),
                accounts: tokio::sync::Mutex::new(HashMap::new()),
            })
        })?;
        Ok(Online { runtime, ctx: Arc::new(ctx) })
    }

    /// The operator's identity (ARN).
    pub fn actor(&self) -> &str {
        &self.ctx.actor
    }

    /// Checks each key once (targets with the same id are merged), then carries out `plan`.
    /// Reports come back in the order of first appearance.
    pub fn run(&self, targets: Vec<Target>, plan: Plan, leaked: LeakedCheck) -> Vec<KeyReport> {
        let targets = merge(targets);
        let ctx = Arc::clone(&self.ctx);
        self.runtime.block_on(async move {
            let limit = Arc::new(tokio::sync::Semaphore::new(ctx.options.concurrency.max(1)));
            let mut set = tokio::task::JoinSet::new();
            let n = targets.len();
            for (i, t) in targets.into_iter().enumerate() {
                let ctx = Arc::clone(&ctx);
                let limit = Arc::clone(&limit);
                set.spawn(async move {
                    let _permit = limit.acquire_owned().await;
                    (i, process(&ctx, t, plan, leaked).await)
                });
            }
            let mut out: Vec<Option<KeyReport>> = vec![None; n];
            while let Some(done) = set.join_next().await {
                if let Ok((i, report)) = done {
                    out[i] = Some(report);
                }
            }
            out.into_iter().flatten().collect()
        })
    }
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

impl Ctx {
    /// Appends a record; an action must not go ahead when this fails.
    fn record(
        &self,
        report: &KeyReport,
        action: &str,
        result: &str,
        request_id: Option<&str>,
    ) -> Result<(), String> {
        let entry = Entry {
            actor: Some(self.actor.clone()),
            key_id: report.key_id.clone(),
            account: report.account.clone(),
            user: report.user.clone(),
            action: action.to_owned(),
            result: result.to_owned(),
            request_id: request_id.map(str::to_owned),
            found: report.found.clone(),
        };
        let mut log = self.log.lock().map_err(|_| "audit log unavailable".to_owned())?;
        log.append(entry).map(|_| ()).map_err(|e| e.to_string())
    }

    /// The IAM client for an own account: the operator's, or one through `sts:AssumeRole`.
    async fn iam_for(&self, account: &str) -> Result<aws_sdk_iam::Client, String> {
        if account == self.account {
            return Ok(self.iam.clone());
        }
        let mut cache = self.accounts.lock().await;
        if let Some(c) = cache.get(account) {
            return c.clone();
        }
        let role = AccountId::parse(account)
            .and_then(|a| self.options.roles.get(&a))
            .or(self.options.role_name.as_ref());
        let result = match role {
            None => Err(format!(
                "account {account} is ours but not the operator's: give a role to assume in it \
                 (--role-name, or [aws.roles] in the configuration)"
            )),
            Some(role) => {
                let arn = format!("arn:{}:iam::{account}:role/{role}", self.partition);
                match self
                    .sts
                    .assume_role()
                    .role_arn(&arn)
                    .role_session_name("keysentry")
                    .duration_seconds(900)
                    .send()
                    .await
                {
                    Ok(out) => match out.credentials() {
                        Some(c) => {
                            let creds = Credentials::new(
                                c.access_key_id(),
                                c.secret_access_key(),
                                Some(c.session_token().to_owned()),
                                None,
                                "keysentry-assumed-role",
                            );
                            let conf = aws_sdk_iam::config::Builder::from(&self.base)
                                .credentials_provider(creds)
                                .build();
                            Ok(aws_sdk_iam::Client::from_conf(conf))
                        }
                        None => Err(format!("sts:AssumeRole {arn} returned no credentials")),
                    },
                    Err(e) => Err(classify(&e).describe(&format!("sts:AssumeRole on {arn}"))),
                }
            }
        };
        cache.insert(account.to_owned(), result.clone());
        result
    }
}

async fn process(ctx: &Ctx, t: Target, plan: Plan, leaked: LeakedCheck) -> KeyReport {
    let class = PrefixClass::of(&t.key_id);
    let decoded = anatomy::decode_account(&t.key_id).account();
    let mut r = KeyReport {
        key_id: t.key_id.clone(),
        account: None,
        decoded_account: decoded.map(|a| a.to_string()),
        own: false,
        user: None,
        last_used: None,
        quarantined: false,
        verdict: Verdict::Error(String::new()),
        leaked: None,
        action: None,
        quarantine: None,
        found: t.found.clone(),
    };
    r.verdict = check(ctx, &mut r, class, decoded).await;
    if let Err(e) = ctx.record(&r, "check", &r.verdict.label(), None) {
        r.verdict = Verdict::Error(format!("cannot write the audit log: {e}"));
        return r;
    }
    if leaked == LeakedCheck::Verify
        && r.verdict != Verdict::Canary
        // Whether a key is a canary must be known before it is used.
        && (r.account.is_some() || r.decoded_account.is_some())
        && let Some(secret) = &t.secret
    {
        let v = verify_leaked(ctx, &t.key_id, secret, t.session_token.as_ref()).await;
        let label = serde_json::to_value(&v)
            .ok()
            .and_then(|v| v["result"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if let Err(e) = ctx.record(&r, "verify-leaked", &label, None) {
            r.leaked = Some(LeakedVerdict::Error(format!("cannot write the audit log: {e}")));
            return r;
        }
        r.leaked = Some(v);
    }
    match plan {
        Plan::Check => {}
        Plan::Deactivate(apply, quarantine) => {
            r.action = Some(change(ctx, &r, StatusType::Inactive, apply).await);
            if quarantine == Quarantine::Attach
                && matches!(r.verdict, Verdict::Active | Verdict::Inactive)
            {
                r.quarantine = Some(attach_quarantine(ctx, &r, apply).await);
            }
        }
        Plan::Reactivate(apply) => {
            r.action = Some(change(ctx, &r, StatusType::Active, apply).await);
        }
    }
    r
}

async fn check(
    ctx: &Ctx,
    r: &mut KeyReport,
    class: Option<PrefixClass>,
    decoded: Option<AccountId>,
) -> Verdict {
    if decoded.is_some_and(|a| ctx.options.canaries.owner(a).is_some()) {
        return Verdict::Canary;
    }
    if !matches!(class, Some(PrefixClass::Akia | PrefixClass::Asia)) {
        return Verdict::NotAnAccessKey;
    }
    let info = match ctx.sts.get_access_key_info().access_key_id(&r.key_id).send().await {
        Ok(o) => o,
        Err(e) => return Verdict::Error(classify(&e).describe("sts:GetAccessKeyInfo")),
    };
    let Some(account) = info.account().map(str::to_owned) else {
        return Verdict::Error("sts:GetAccessKeyInfo returned no account".into());
    };
    r.account = Some(account.clone());
    let parsed = AccountId::parse(&account);
    if parsed.is_some_and(|a| ctx.options.canaries.owner(a).is_some()) {
        return Verdict::Canary;
    }
    r.own = account == ctx.account || parsed.is_some_and(|a| ctx.options.own_accounts.contains(&a));
    if !r.own {
        return Verdict::Foreign;
    }
    if class == Some(PrefixClass::Asia) {
        return Verdict::Temporary;
    }
    let iam = match ctx.iam_for(&account).await {
        Ok(c) => c,
        Err(e) => return Verdict::Error(e),
    };
    let last = match iam.get_access_key_last_used().access_key_id(&r.key_id).send().await {
        Ok(o) => o,
        Err(e) => {
            let f = classify(&e);
            return match f.kind {
                FailureKind::NotFound => Verdict::NotFound,
                _ => Verdict::Error(f.describe("iam:GetAccessKeyLastUsed")),
            };
        }
    };
    if let Some(u) = last.access_key_last_used() {
        r.last_used = Some(match u.last_used_date() {
            Some(d) => format!("{d} ({} in {})", u.service_name(), u.region()),
            None => "never".to_owned(),
        });
    }
    let user = match last.user_name() {
        Some(u) if u != "<root_account>" && u != "root" => u.to_owned(),
        _ => return Verdict::Root,
    };
    r.user = Some(user.clone());
    let status = match calls::read_status(&iam, &user, &r.key_id).await {
        Ok(s) => s,
        Err(f) => return Verdict::Error(f.describe("iam:ListAccessKeys")),
    };
    match iam.list_attached_user_policies().user_name(&user).send().await {
        Ok(o) => {
            r.quarantined = o.attached_policies().iter().any(|p| {
                p.policy_name().is_some_and(|n| n.starts_with("AWSCompromisedKeyQuarantine"))
            });
        }
        Err(e) => return Verdict::Error(classify(&e).describe("iam:ListAttachedUserPolicies")),
    }
    match status {
        Some(StatusType::Active) => Verdict::Active,
        Some(StatusType::Inactive) => Verdict::Inactive,
        Some(other) => Verdict::Error(format!("unknown key status {other}")),
        None => Verdict::NotFound,
    }
}

async fn verify_leaked(
    ctx: &Ctx,
    key_id: &str,
    secret: &Secret,
    token: Option<&Secret>,
) -> LeakedVerdict {
    let creds = Credentials::new(
        key_id,
        secret.expose(),
        token.map(|t| t.expose().to_owned()),
        None,
        "leaked",
    );
    let conf = aws_sdk_sts::config::Builder::from(&ctx.base).credentials_provider(creds).build();
    let sts = aws_sdk_sts::Client::from_conf(conf);
    match sts.get_caller_identity().send().await {
        Ok(o) => LeakedVerdict::Live(o.arn().unwrap_or_default().to_owned()),
        Err(e) => {
            let f = classify(&e);
            match f.kind {
                FailureKind::InvalidToken | FailureKind::BadSignature => {
                    LeakedVerdict::Invalid(f.message)
                }
                FailureKind::Expired => LeakedVerdict::Expired,
                _ => LeakedVerdict::Error(f.describe("sts:GetCallerIdentity (leaked key)")),
            }
        }
    }
}

async fn change(ctx: &Ctx, r: &KeyReport, to: StatusType, apply: Apply) -> ActionResult {
    let (action, from) = match to {
        StatusType::Active => ("reactivate", Verdict::Inactive),
        _ => ("deactivate", Verdict::Active),
    };
    let result = match &r.verdict {
        v if *v == from => None,
        Verdict::Active | Verdict::Inactive => {
            Some(ActionResult::Unchanged(format!("already {}", to.as_str())))
        }
        Verdict::Root => Some(ActionResult::Refused(
            "a root user key: IAM cannot manage it; sign in as root and delete it under \
             Security credentials, then enable MFA"
                .into(),
        )),
        Verdict::Temporary => Some(ActionResult::Refused(
            "a temporary key: it expires on its own; revoke the issuing role's active \
             sessions (an inline Deny on aws:TokenIssueTime) to stop it now"
                .into(),
        )),
        Verdict::Canary => Some(ActionResult::Refused("a canary key: never touched".into())),
        Verdict::Foreign => {
            Some(ActionResult::Refused("not one of our accounts: tell its owner".into()))
        }
        Verdict::NotFound => Some(ActionResult::Unchanged("the key no longer exists".into())),
        Verdict::NotAnAccessKey => Some(ActionResult::Refused("not an IAM access key".into())),
        Verdict::Error(_) => Some(ActionResult::Failed("the key could not be checked".into())),
    };
    if let Some(result) = result {
        if matches!(result, ActionResult::Unchanged(_))
            && let Err(e) = ctx.record(r, action, "unchanged", None)
        {
            return ActionResult::Failed(format!("cannot write the audit log: {e}"));
        }
        return result;
    }
    let user = r.user.clone().unwrap_or_default();
    if apply == Apply::DryRun {
        let what = format!("would set {} of {user} {} (--yes to do it)", r.key_id, to.as_str());
        return match ctx.record(r, action, "dry-run", None) {
            Ok(()) => ActionResult::DryRun(what),
            Err(e) => ActionResult::Failed(format!("cannot write the audit log: {e}")),
        };
    }
    if let Err(e) = ctx.record(r, action, "intent", None) {
        return ActionResult::Failed(format!("not done: cannot write the audit log: {e}"));
    }
    let Some(account) = r.account.as_deref() else {
        return ActionResult::Failed("no account".into());
    };
    let outcome = match ctx.iam_for(account).await {
        Ok(iam) => calls::set_status(&iam, &user, &r.key_id, to.clone(), &ctx.options.policy)
            .await
            .map_err(|f| (f.describe("iam:UpdateAccessKey"), f.request_id)),
        Err(e) => Err((e, None)),
    };
    let (result, label, request_id) = match outcome {
        Ok(w) => (
            ActionResult::Done(format!("{} is {}", r.key_id, to.as_str())),
            "done".to_owned(),
            w.request_id,
        ),
        Err((e, rid)) => (ActionResult::Failed(e.clone()), format!("error: {e}"), rid),
    };
    match ctx.record(r, action, &label, request_id.as_deref()) {
        Ok(()) => result,
        Err(e) => ActionResult::Failed(format!(
            "{label}, but the audit log could not record it ({e}); the intent record stands"
        )),
    }
}

async fn attach_quarantine(ctx: &Ctx, r: &KeyReport, apply: Apply) -> ActionResult {
    if r.quarantined {
        let _ = ctx.record(r, "quarantine", "unchanged", None);
        return ActionResult::Unchanged("the quarantine policy is already attached".into());
    }
    let user = r.user.clone().unwrap_or_default();
    let arn = format!("arn:{}:iam::aws:policy/{QUARANTINE_POLICY}", ctx.partition);
    if apply == Apply::DryRun {
        return match ctx.record(r, "quarantine", "dry-run", None) {
            Ok(()) => ActionResult::DryRun(format!("would attach {arn} to {user}")),
            Err(e) => ActionResult::Failed(format!("cannot write the audit log: {e}")),
        };
    }
    if let Err(e) = ctx.record(r, "quarantine", "intent", None) {
        return ActionResult::Failed(format!("not done: cannot write the audit log: {e}"));
    }
    let Some(account) = r.account.as_deref() else {
        return ActionResult::Failed("no account".into());
    };
    let sent = match ctx.iam_for(account).await {
        Ok(iam) => iam
            .attach_user_policy()
            .user_name(&user)
            .policy_arn(&arn)
            .send()
            .await
            .map(|o| o.request_id().map(str::to_owned))
            .map_err(|e| classify(&e).describe("iam:AttachUserPolicy")),
        Err(e) => Err(e),
    };
    let (result, label, rid) = match sent {
        Ok(rid) => {
            (ActionResult::Done(format!("{arn} attached to {user}")), "done".to_owned(), rid)
        }
        Err(e) => (ActionResult::Failed(e.clone()), format!("error: {e}"), None),
    };
    match ctx.record(r, "quarantine", &label, rid.as_deref()) {
        Ok(()) => result,
        Err(e) => ActionResult::Failed(format!("{label}, but the audit log failed: {e}")),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod issue_12_debug {
    use super::*;

    #[test]
    fn issue_12_target_and_report_debug_redact_the_key_id() {
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
        let r = KeyReport {
            key_id: key_id.clone(),
            account: None,
            decoded_account: None,
            own: false,
            user: None,
            last_used: None,
            quarantined: false,
            verdict: Verdict::Inactive,
            leaked: None,
            action: None,
            quarantine: None,
            found: Vec::new(),
        };
        let debug = format!("{r:?}");
        assert!(!debug.contains(&key_id), "{debug}");
    }
}
