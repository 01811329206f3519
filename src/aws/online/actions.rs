//! Actions on a key: deactivation, reactivation, quarantine. Each write to AWS goes through
//! [`act`]: an `intent` record synced before the call, then the outcome, so that an action
//! taken is never missing from the audit log.

use std::future::Future;

use aws_sdk_iam::operation::RequestId;
use aws_sdk_iam::types::StatusType;

use super::calls::{self, classify};
use super::session::Ctx;
use super::verdicts::{ActionResult, Detail, KeyReport, Verdict};
use super::{Apply, QUARANTINE_POLICY};
use crate::aws::audit::{Action, Outcome};

/// What an IAM write came to: what it did and its request id, or why it failed (with the
/// request id of the failed call, when there was one).
type Sent = Result<(Detail, Option<String>), (String, Option<String>)>;

/// Carries out one write to AWS on `r`'s key, recorded: a dry run is logged and described by
/// `would`; otherwise the intent is logged (nothing is sent if that fails), `call` runs with
/// the IAM client of the key's account, and its outcome is logged.
async fn act<F, Fut>(
    ctx: &Ctx,
    r: &KeyReport,
    action: Action,
    apply: Apply,
    would: Detail,
    call: F,
) -> ActionResult
where
    F: FnOnce(aws_sdk_iam::Client) -> Fut,
    Fut: Future<Output = Sent>,
{
    if apply == Apply::DryRun {
        return match ctx.record(r, action, Outcome::DryRun, None) {
            Ok(()) => ActionResult::DryRun(would),
            Err(e) => failed(format!("cannot write the audit log: {e}")),
        };
    }
    if let Err(e) = ctx.record(r, action, Outcome::Intent, None) {
        return failed(format!("not done: cannot write the audit log: {e}"));
    }
    let sent = match r.check.account.as_deref() {
        None => Err(("no account".to_owned(), None)),
        Some(account) => match ctx.iam_for(account).await {
            Ok(iam) => call(iam).await,
            Err(e) => Err((e, None)),
        },
    };
    let (result, outcome, request_id) = match sent {
        Ok((done, rid)) => (ActionResult::Done(done), Outcome::Done, rid),
        Err((e, rid)) => (ActionResult::Failed(r.about(&e)), Outcome::error(e), rid),
    };
    let label = outcome.to_string();
    match ctx.record(r, action, outcome, request_id.as_deref()) {
        Ok(()) => result,
        Err(e) => ActionResult::Failed(r.about(&format!(
            "{label}, but the audit log could not record it ({e}); the intent record stands"
        ))),
    }
}

/// Nothing to do: recorded as `unchanged`.
fn unchanged(ctx: &Ctx, r: &KeyReport, action: Action, why: &str) -> ActionResult {
    match ctx.record(r, action, Outcome::Unchanged, None) {
        Ok(()) => ActionResult::Unchanged(Detail::text(why)),
        Err(e) => failed(format!("cannot write the audit log: {e}")),
    }
}

fn failed(why: String) -> ActionResult {
    ActionResult::Failed(Detail::text(why))
}

fn refused(why: &str) -> ActionResult {
    ActionResult::Refused(Detail::text(why))
}

/// Deactivates (`to` inactive) or reactivates (`to` active) the key, if its verdict allows.
pub(super) async fn change(ctx: &Ctx, r: &KeyReport, to: StatusType, apply: Apply) -> ActionResult {
    let (action, from) = match to {
        StatusType::Active => (Action::Reactivate, Verdict::Inactive),
        _ => (Action::Deactivate, Verdict::Active),
    };
    match &r.check.verdict {
        v if *v == from => {}
        Verdict::Active | Verdict::Inactive => {
            return unchanged(ctx, r, action, &format!("already {}", to.as_str()));
        }
        Verdict::Root => {
            return refused(
                "a root user key: IAM cannot manage it; sign in as root and delete it under \
                 Security credentials, then enable MFA",
            );
        }
        Verdict::Temporary => {
            return refused(
                "a temporary key: it expires on its own; revoke the issuing role's active \
                 sessions (an inline Deny on aws:TokenIssueTime) to stop it now",
            );
        }
        Verdict::Canary => return refused("a canary key: never touched"),
        Verdict::Foreign => return refused("not one of our accounts: tell its owner"),
        Verdict::NotFound => return unchanged(ctx, r, action, "the key no longer exists"),
        Verdict::NotAnAccessKey => return refused("not an IAM access key"),
        Verdict::Error(_) => return failed("the key could not be checked".into()),
    }
    let user = r.check.user.clone().unwrap_or_default();
    let status = to.as_str().to_owned();
    let would = Detail::text("would set ")
        .key_id(&r.key_id)
        .then(&format!(" of {user} {status} (--yes to do it)"));
    act(ctx, r, action, apply, would, |iam| async move {
        match calls::set_status(&iam, &user, &r.key_id, to, &ctx.options.policy).await {
            Ok(w) => Ok((
                Detail::default().key_id(&r.key_id).then(&format!(" is {status}")),
                w.request_id,
            )),
            Err(f) => Err((f.describe("iam:UpdateAccessKey"), f.request_id)),
        }
    })
    .await
}

/// Attaches [`QUARANTINE_POLICY`] to the key's user.
pub(super) async fn attach_quarantine(ctx: &Ctx, r: &KeyReport, apply: Apply) -> ActionResult {
    if r.check.quarantined {
        return unchanged(ctx, r, Action::Quarantine, "the quarantine policy is already attached");
    }
    let user = r.check.user.clone().unwrap_or_default();
    let arn = format!("arn:{}:iam::aws:policy/{QUARANTINE_POLICY}", ctx.partition);
    let would = Detail::text(format!("would attach {arn} to {user}"));
    act(ctx, r, Action::Quarantine, apply, would, |iam| async move {
        match iam.attach_user_policy().user_name(&user).policy_arn(&arn).send().await {
            Ok(o) => Ok((
                Detail::text(format!("{arn} attached to {user}")),
                o.request_id().map(str::to_owned),
            )),
            Err(e) => Err((classify(&e).describe("iam:AttachUserPolicy"), None)),
        }
    })
    .await
}
