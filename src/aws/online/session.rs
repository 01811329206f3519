//! The operator's session: SDK configuration and clients, who the operator is, the IAM client
//! of each own account (the operator's, or one through `sts:AssumeRole`), and the audit log
//! every verdict and action is written to before it is returned.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_sts::config::Credentials;

use super::calls::{self, classify};
use super::verdicts::KeyReport;
use super::{OnlineError, OnlineOptions};
use crate::aws::AccountId;
use crate::aws::audit::{Action, AuditLog, Entry, Outcome};

/// What every check and action of a run shares.
pub(super) struct Ctx {
    pub(super) base: aws_config::SdkConfig,
    pub(super) sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    pub(super) actor: String,
    pub(super) account: String,
    pub(super) partition: &'static str,
    pub(super) options: OnlineOptions,
    log: Mutex<AuditLog>,
    accounts: tokio::sync::Mutex<HashMap<String, Result<aws_sdk_iam::Client, String>>>,
}

impl Ctx {
    /// Loads the operator's credentials and learns who they are (`sts:GetCallerIdentity`).
    pub(super) async fn connect(options: OnlineOptions, log: AuditLog) -> Result<Ctx, OnlineError> {
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
        Ok(Ctx {
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
    }

    /// Appends a record about `report`'s key; an action must not go ahead when this fails.
    pub(super) fn record(
        &self,
        report: &KeyReport,
        action: Action,
        result: Outcome,
        request_id: Option<&str>,
    ) -> Result<(), String> {
        let entry = Entry {
            actor: Some(self.actor.clone()),
            key_id: report.key_id.clone(),
            account: report.check.account.clone(),
            user: report.check.user.clone(),
            action,
            result,
            request_id: request_id.map(str::to_owned),
            found: report.found.clone(),
        };
        let mut log = self.log.lock().map_err(|_| "audit log unavailable".to_owned())?;
        log.append(entry).map(|_| ()).map_err(|e| e.to_string())
    }

    /// The IAM client for an own account: the operator's, or one through `sts:AssumeRole`.
    pub(super) async fn iam_for(&self, account: &str) -> Result<aws_sdk_iam::Client, String> {
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
            Some(role) => self.assume(account, role).await,
        };
        cache.insert(account.to_owned(), result.clone());
        result
    }

    async fn assume(&self, account: &str, role: &str) -> Result<aws_sdk_iam::Client, String> {
        let arn = format!("arn:{}:iam::{account}:role/{role}", self.partition);
        let out = self
            .sts
            .assume_role()
            .role_arn(&arn)
            .role_session_name("keysentry")
            .duration_seconds(900)
            .send()
            .await
            .map_err(|e| classify(&e).describe(&format!("sts:AssumeRole on {arn}")))?;
        let Some(c) = out.credentials() else {
            return Err(format!("sts:AssumeRole {arn} returned no credentials"));
        };
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "keysentry-assumed-role",
        );
        let conf =
            aws_sdk_iam::config::Builder::from(&self.base).credentials_provider(creds).build();
        Ok(aws_sdk_iam::Client::from_conf(conf))
    }
}
