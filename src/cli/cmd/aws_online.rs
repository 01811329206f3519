//! `keysentry aws identify | deactivate | reactivate`, and the online step of `scan --verify`:
//! open the audit log, connect as the operator, check (and act), print the verdicts.

use std::io::{self, BufWriter, Write};

use anyhow::Context;

use crate::cli::args_aws::{DeactivateArgs, InspectFormat, OnlineKeysArgs};
use crate::cli::config_aws::{OnlineRun, account_options, online_run};
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::aws::audit::{AuditLog, FoundAt};
use keysentry::aws::online::{
    ActionResult, Apply, KeyReport, LeakedCheck, LeakedVerdict, Online, Plan, Quarantine, Target,
    Verdict,
};
use keysentry::finding::{Finding, Origin, Secret};
use keysentry::report::SecretDisplay;

/// Which key command.
pub(crate) enum KeyCommand {
    Identify(OnlineKeysArgs),
    Deactivate(DeactivateArgs),
    Reactivate(OnlineKeysArgs),
}

pub(crate) fn run_keys(cmd: KeyCommand, env: &crate::cli::env::Env) -> anyhow::Result<ExitStatus> {
    let (args, plan) = match cmd {
        KeyCommand::Identify(a) => (a, Plan::Check),
        KeyCommand::Reactivate(a) => (a, Plan::Reactivate(Apply::Yes)),
        KeyCommand::Deactivate(d) => (
            d.keys,
            Plan::Deactivate(
                if d.yes { Apply::Yes } else { Apply::DryRun },
                if d.quarantine { Quarantine::Attach } else { Quarantine::No },
            ),
        ),
    };
    let mut aws = account_options(&args.keys.accounts)?;
    let settings = operator_settings(env)?;
    crate::cli::config_filter::add_aws(&settings, &mut aws)?;
    let run = online_run(&args.conn, &aws, &settings.aws_online, plan, LeakedCheck::Skip)?;
    let targets = args
        .keys
        .ids
        .iter()
        .map(|id| Target {
            key_id: id.trim().to_owned(),
            secret: None,
            session_token: None,
            found: Vec::new(),
        })
        .collect();
    let reports = execute(run, targets)?;
    let mut out = BufWriter::new(io::stdout().lock());
    match args.keys.format {
        InspectFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &reports)?;
            writeln!(out)?;
        }
        InspectFormat::Human => human(&reports, &mut out)?,
    }
    out.flush()?;
    Ok(if reports.iter().any(failed) { ExitStatus::Error } else { ExitStatus::Clean })
}

/// The operator's own configuration, if there is one. The current directory's configuration is
/// not read: a repository's `.keysentry.toml` must not choose the accounts, roles, endpoints
/// or audit log of online work done with the operator's credentials.
fn operator_settings(env: &crate::cli::env::Env) -> anyhow::Result<keysentry::config::Settings> {
    match &env.operator_config {
        Some(file) if keysentry::config::file::exists(file) => {
            Ok(keysentry::config::load(file, keysentry::rules::Builtin::Core)
                .with_context(|| format!("the operator's configuration {}", file.display()))?)
        }
        _ => Ok(keysentry::config::Settings::default()),
    }
}

/// The online step of a scan, before the report: checks the AWS keys found, records each
/// verdict and action in the findings of its key id (`aws.online`, for the report) and on
/// stderr. Returns whether a check or an action failed.
pub(crate) fn after_scan(
    run: OnlineRun,
    findings: &mut [Finding],
    root: Option<&str>,
    secrets: SecretDisplay,
    log: Log,
) -> anyhow::Result<bool> {
    let targets: Vec<Target> = findings.iter().filter_map(|f| target(f, root)).collect();
    if targets.is_empty() {
        log.info("AWS: no access key ids to check");
        return Ok(false);
    }
    let reports = execute(run, targets)?;
    for f in findings.iter_mut() {
        let Some(aws) = f.aws.as_mut() else { continue };
        let Some(id) = aws.key_id.as_ref().map(|k| k.expose().to_owned()) else { continue };
        if let Some(r) = reports.iter().find(|r| r.key_id == id) {
            aws.online = Some(online_json(r, secrets)?);
        }
    }
    let mut text = Vec::new();
    human(&reports, &mut text)?;
    // The verdicts go to stderr (a CI log): key ids and every other secret of the scan are
    // redacted there as in the report, unless secrets are shown.
    let text = String::from_utf8_lossy(&text);
    let redactor = match secrets {
        SecretDisplay::Show => keysentry::report::Redactor::of_secrets([]),
        SecretDisplay::Redact => {
            keysentry::report::Redactor::of_secrets(findings.iter().flat_map(|f| {
                std::iter::once(&f.secret).chain(f.aws.as_ref().and_then(|a| a.key_id.as_ref()))
            }))
        }
    };
    log.info(format_args!("AWS verdicts:\n{}", redactor.text(text.trim_end())));
    Ok(reports.iter().any(failed))
}

/// A key's report as the findings carry it: without the key id (the finding has it) and the
/// places it was found (the finding is one of them). The key id is redacted in the details,
/// as in the rest of the report, unless secrets are shown.
fn online_json(r: &KeyReport, secrets: SecretDisplay) -> anyhow::Result<serde_json::Value> {
    fn redact(v: &mut serde_json::Value, id: &str, with: &str) {
        match v {
            serde_json::Value::String(s) if s.contains(id) => *s = s.replace(id, with),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| redact(i, id, with)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|i| redact(i, id, with)),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(r)?;
    if let Some(o) = v.as_object_mut() {
        o.remove("key_id");
        o.remove("found");
    }
    if secrets == SecretDisplay::Redact {
        redact(&mut v, &r.key_id, &Secret::new(r.key_id.clone()).redacted());
    }
    Ok(v)
}

fn execute(run: OnlineRun, targets: Vec<Target>) -> anyhow::Result<Vec<KeyReport>> {
    let log = AuditLog::open(&run.audit_log)
        .with_context(|| format!("cannot use the audit log {}", run.audit_log.display()))?;
    let online = Online::connect(run.options, log)?;
    Ok(online.run(targets, run.plan, run.leaked))
}

fn target(f: &Finding, root: Option<&str>) -> Option<Target> {
    let aws = f.aws.as_ref()?;
    let key_id = aws.key_id.as_ref()?.expose().to_owned();
    let (path, commit) = match &f.origin {
        Origin::File { path } => (path.display().to_string(), None),
        Origin::Commit { path, commit } => (path.clone(), Some(commit.id.clone())),
        other => (other.display_name(), other.commit().map(|c| c.id.clone())),
    };
    Some(Target {
        key_id,
        secret: aws.paired_secret.as_ref().map(|p| p.value.clone()),
        session_token: aws.session_token.as_ref().map(|p| p.value.clone()),
        found: vec![FoundAt {
            repository: root.map(str::to_owned),
            commit,
            path,
            line: f.location.line,
            fingerprint: f.fingerprint.to_string(),
        }],
    })
}

fn failed(r: &KeyReport) -> bool {
    matches!(r.verdict, Verdict::Error(_))
        || matches!(r.action, Some(ActionResult::Failed(_)))
        || matches!(r.quarantine, Some(ActionResult::Failed(_)))
}

fn human(reports: &[KeyReport], out: &mut dyn Write) -> io::Result<()> {
    for r in reports {
        let verdict = match &r.verdict {
            Verdict::Active => "active (the key works: deactivate it)".to_owned(),
            Verdict::Inactive => "inactive".to_owned(),
            Verdict::NotFound => "not found (deleted)".to_owned(),
            Verdict::Foreign => "foreign account (not checked)".to_owned(),
            Verdict::Canary => "canary (never checked)".to_owned(),
            Verdict::Root => "root user key".to_owned(),
            Verdict::Temporary => "temporary key (ASIA): expires on its own".to_owned(),
            Verdict::NotAnAccessKey => "not an IAM access key".to_owned(),
            Verdict::Error(e) => format!("error: {e}"),
        };
        writeln!(out, "{}  {verdict}", r.key_id)?;
        if let Some(a) = &r.account {
            let decoded = match &r.decoded_account {
                Some(d) if d == a => " (matches the offline decode)".to_owned(),
                Some(d) => format!(" (the id decodes to {d})"),
                None => " (old-format id)".to_owned(),
            };
            let own = if r.own { "ours" } else { "not ours" };
            writeln!(out, "  account:    {a}, {own}{decoded}")?;
        }
        if let Some(u) = &r.user {
            writeln!(out, "  user:       {u}")?;
        }
        if let Some(l) = &r.last_used {
            writeln!(out, "  last used:  {l}")?;
        }
        if r.quarantined {
            writeln!(out, "  quarantine: policy attached")?;
        }
        if let Some(l) = &r.leaked {
            let s = match l {
                LeakedVerdict::Live(arn) => format!("live, as {arn}"),
                LeakedVerdict::Invalid(why) => format!("invalid ({why})"),
                LeakedVerdict::Expired => "expired".to_owned(),
                LeakedVerdict::Error(e) => format!("error: {e}"),
            };
            writeln!(out, "  leaked pair: {s}")?;
        }
        for (what, a) in [("action:    ", &r.action), ("quarantine:", &r.quarantine)] {
            let Some(a) = a else { continue };
            let s = match a {
                ActionResult::DryRun(s) => format!("dry run: {s}"),
                ActionResult::Done(s) => format!("done: {s}"),
                ActionResult::Unchanged(s) => format!("unchanged: {s}"),
                ActionResult::Refused(s) => format!("not done: {s}"),
                ActionResult::Failed(s) => format!("FAILED: {s}"),
            };
            writeln!(out, "  {what} {s}")?;
        }
    }
    Ok(())
}

/// The online step of `scan --verify` as the pipeline's verifier.
pub(crate) fn verifier(
    run: OnlineRun,
    root: Option<String>,
    secrets: SecretDisplay,
    log: Log,
) -> anyhow::Result<Box<dyn keysentry::verify::Verifier>> {
    Ok(Box::new(AfterScan { run: std::sync::Mutex::new(Some(run)), root, secrets, log }))
}

struct AfterScan {
    run: std::sync::Mutex<Option<OnlineRun>>,
    root: Option<String>,
    secrets: SecretDisplay,
    log: Log,
}

impl keysentry::verify::Verifier for AfterScan {
    fn wants(&self, f: &Finding) -> bool {
        f.aws.as_ref().is_some_and(|a| a.key_id.is_some())
    }

    fn verify(
        &self,
        findings: &mut [Finding],
    ) -> Result<keysentry::verify::Verification, keysentry::verify::VerifyError> {
        use keysentry::verify::{Verification, VerifyError};
        let run = self.run.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let run = run.ok_or_else(|| VerifyError::new("the online step runs once per scan"))?;
        let failed = after_scan(run, findings, self.root.as_deref(), self.secrets, self.log)
            .map_err(|e| VerifyError::new(format!("{e:#}")))?;
        Ok(Verification { checked: findings.len(), failed: usize::from(failed) })
    }
}
