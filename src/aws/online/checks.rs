//! The checks of one key: the owner-side verdict (`sts:GetAccessKeyInfo`, then IAM in the
//! owning account) and, when asked, a request signed with the leaked pair; then the plan's
//! actions.

use aws_sdk_iam::types::StatusType;
use aws_sdk_sts::config::Credentials;

use super::calls::{self, FailureKind, classify};
use super::session::Ctx;
use super::verdicts::{self, Detail, KeyReport, LeakedVerdict, Verdict};
use super::{LeakedCheck, Plan, Quarantine, Target, actions};
use crate::aws::audit::Action;
use crate::aws::{AccountId, PrefixClass, anatomy};
use crate::finding::Secret;

/// Checks one key, records the verdict, then carries out `plan`.
pub(super) async fn process(ctx: &Ctx, t: Target, plan: Plan, leaked: LeakedCheck) -> KeyReport {
    let class = PrefixClass::of(&t.key_id);
    let decoded = anatomy::decode_account(&t.key_id).account();
    let mut r = KeyReport::new(&t.key_id, t.found.clone(), Verdict::Error(Detail::default()));
    r.check.decoded_account = decoded.map(|a| a.to_string());
    r.check.verdict = check(ctx, &mut r, class, decoded).await;
    if let Err(e) = ctx.record(&r, Action::Check, verdicts::outcome(&r.check.verdict), None) {
        r.check.verdict = Verdict::Error(Detail::text(format!("cannot write the audit log: {e}")));
        return r;
    }
    if leaked == LeakedCheck::Verify
        && r.check.verdict != Verdict::Canary
        // Whether a key is a canary must be known before it is used.
        && (r.check.account.is_some() || r.check.decoded_account.is_some())
        && let Some(secret) = &t.secret
    {
        let v = verify_leaked(ctx, &t.key_id, secret, t.session_token.as_ref()).await;
        if let Err(e) = ctx.record(&r, Action::VerifyLeaked, verdicts::leaked_outcome(&v), None) {
            let why = Detail::text(format!("cannot write the audit log: {e}"));
            r.check.leaked = Some(LeakedVerdict::Error(why));
            return r;
        }
        r.check.leaked = Some(v);
    }
    match plan {
        Plan::Check => {}
        Plan::Deactivate(apply, quarantine) => {
            r.check.action = Some(actions::change(ctx, &r, StatusType::Inactive, apply).await);
            if quarantine == Quarantine::Attach
                && matches!(r.check.verdict, Verdict::Active | Verdict::Inactive)
            {
                r.check.quarantine = Some(actions::attach_quarantine(ctx, &r, apply).await);
            }
        }
        Plan::Reactivate(apply) => {
            r.check.action = Some(actions::change(ctx, &r, StatusType::Active, apply).await);
        }
    }
    r
}

/// The owner-side verdict; fills in the account, user, last use and quarantine of `r`.
async fn check(
    ctx: &Ctx,
    r: &mut KeyReport,
    class: Option<PrefixClass>,
    decoded: Option<AccountId>,
) -> Verdict {
    let error = |r: &KeyReport, message: &str| Verdict::Error(r.about(message));
    if decoded.is_some_and(|a| ctx.options.canaries.owner(a).is_some()) {
        return Verdict::Canary;
    }
    if !matches!(class, Some(PrefixClass::Akia | PrefixClass::Asia)) {
        return Verdict::NotAnAccessKey;
    }
    let info = match ctx.sts.get_access_key_info().access_key_id(&r.key_id).send().await {
        Ok(o) => o,
        Err(e) => return error(r, &classify(&e).describe("sts:GetAccessKeyInfo")),
    };
    let Some(account) = info.account().map(str::to_owned) else {
        return error(r, "sts:GetAccessKeyInfo returned no account");
    };
    r.check.account = Some(account.clone());
    let parsed = AccountId::parse(&account);
    if parsed.is_some_and(|a| ctx.options.canaries.owner(a).is_some()) {
        return Verdict::Canary;
    }
    r.check.own =
        account == ctx.account || parsed.is_some_and(|a| ctx.options.own_accounts.contains(&a));
    if !r.check.own {
        return Verdict::Foreign;
    }
    if class == Some(PrefixClass::Asia) {
        return Verdict::Temporary;
    }
    let iam = match ctx.iam_for(&account).await {
        Ok(c) => c,
        Err(e) => return error(r, &e),
    };
    let last = match iam.get_access_key_last_used().access_key_id(&r.key_id).send().await {
        Ok(o) => o,
        Err(e) => {
            let f = classify(&e);
            return match f.kind {
                FailureKind::NotFound => Verdict::NotFound,
                _ => error(r, &f.describe("iam:GetAccessKeyLastUsed")),
            };
        }
    };
    if let Some(u) = last.access_key_last_used() {
        r.check.last_used = Some(match u.last_used_date() {
            Some(d) => format!("{d} ({} in {})", u.service_name(), u.region()),
            None => "never".to_owned(),
        });
    }
    let user = match last.user_name() {
        Some(u) if u != "<root_account>" && u != "root" => u.to_owned(),
        _ => return Verdict::Root,
    };
    r.check.user = Some(user.clone());
    let status = match calls::read_status(&iam, &user, &r.key_id).await {
        Ok(s) => s,
        Err(f) => return error(r, &f.describe("iam:ListAccessKeys")),
    };
    match iam.list_attached_user_policies().user_name(&user).send().await {
        Ok(o) => {
            r.check.quarantined = o.attached_policies().iter().any(|p| {
                p.policy_name().is_some_and(|n| n.starts_with("AWSCompromisedKeyQuarantine"))
            });
        }
        Err(e) => return error(r, &classify(&e).describe("iam:ListAttachedUserPolicies")),
    }
    match status {
        Some(StatusType::Active) => Verdict::Active,
        Some(StatusType::Inactive) => Verdict::Inactive,
        Some(other) => error(r, &format!("unknown key status {other}")),
        None => Verdict::NotFound,
    }
}

/// `sts:GetCallerIdentity` signed with the leaked pair.
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
        Ok(o) => LeakedVerdict::Live(Detail::about(o.arn().unwrap_or_default(), key_id)),
        Err(e) => {
            let f = classify(&e);
            match f.kind {
                FailureKind::InvalidToken | FailureKind::BadSignature => {
                    LeakedVerdict::Invalid(Detail::about(&f.message, key_id))
                }
                FailureKind::Expired => LeakedVerdict::Expired,
                _ => LeakedVerdict::Error(Detail::about(
                    &f.describe("sts:GetCallerIdentity (leaked key)"),
                    key_id,
                )),
            }
        }
    }
}
