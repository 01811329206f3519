//! `keysentry aws identify | deactivate | reactivate`, and the online step of `scan --verify`:
//! open the audit log, connect as the operator, check (and act), print the verdicts.

use std::io::{self, BufWriter, Write};

use anyhow::Context;

use crate::cli::args_aws::{DeactivateArgs, InspectFormat, OnlineKeysArgs};
use crate::cli::config_aws::{OnlineRun, account_options, online_run};
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use keysentry::aws::audit::AuditLog;
use keysentry::aws::online::{
    ActionResult, Apply, AwsVerifier, AwsVerifyError, KeyReport, LeakedCheck, LeakedVerdict,
    Online, Plan, Quarantine, Target, Verdict, VerifierOptions,
};
use keysentry::finding::Finding;
use keysentry::report::SecretDisplay;
use keysentry::verify::{Verification, Verifier, VerifyError};

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
    Ok(if reports.iter().any(KeyReport::failed) { ExitStatus::Error } else { ExitStatus::Clean })
}

/// The operator's own configuration, if there is one. The current directory's configuration is
/// not read: a repository's `.keysentry.toml` must not choose the accounts, roles, endpoints
/// or audit log of online work done with the operator's credentials.
pub(crate) fn operator_settings(
    env: &crate::cli::env::Env,
) -> anyhow::Result<keysentry::config::Settings> {
    match &env.operator_config {
        Some(file) if keysentry::files::read::exists(file) => {
            Ok(keysentry::config::load(file, keysentry::rules::Builtin::All)
                .with_context(|| format!("the operator's configuration {}", file.display()))?)
        }
        _ => Ok(keysentry::config::Settings::default()),
    }
}

/// The online step of a scan as the pipeline's verifier: checks the AWS keys found (the
/// library's [`AwsVerifier`]), which records each verdict and action in the findings of its
/// key id (`aws.online`, for the report), and lists the verdicts on stderr.
pub(crate) fn verifier(
    run: OnlineRun,
    root: Option<String>,
    secrets: SecretDisplay,
    log: Log,
) -> anyhow::Result<Box<dyn Verifier>> {
    Ok(Box::new(OnlineStep::new(run, root, secrets, log)))
}

/// [`AwsVerifier`], and the verdicts on stderr.
struct OnlineStep {
    aws: AwsVerifier,
    secrets: SecretDisplay,
    log: Log,
}

impl OnlineStep {
    fn new(run: OnlineRun, root: Option<String>, secrets: SecretDisplay, log: Log) -> OnlineStep {
        let options = VerifierOptions {
            online: run.options,
            audit_log: run.audit_log,
            plan: run.plan,
            leaked: run.leaked,
            root,
        };
        OnlineStep { aws: AwsVerifier::new(options), secrets, log }
    }

    fn run(&self, findings: &mut [Finding]) -> Result<Verification, AwsVerifyError> {
        let reports = self.aws.check(findings)?;
        if reports.is_empty() {
            self.log.info("AWS: no access key ids to check");
            return Ok(Verification::default());
        }
        let mut text = Vec::new();
        // Writing into memory does not fail.
        let _ = human(&reports, &mut text);
        // The verdicts go to stderr (a CI log): key ids and every other secret of the findings
        // are redacted there as in the report, unless secrets are shown.
        let text = String::from_utf8_lossy(&text);
        let redactor = match self.secrets {
            SecretDisplay::Show => keysentry::report::Redactor::of_secrets([]),
            SecretDisplay::Redact => {
                keysentry::report::Redactor::of_secrets(findings.iter().flat_map(|f| {
                    std::iter::once(&f.secret).chain(f.aws.as_ref().and_then(|a| a.key_id.as_ref()))
                }))
            }
        };
        self.log.info(format_args!("AWS verdicts:\n{}", redactor.text(text.trim_end())));
        Ok(Verification {
            checked: reports.len(),
            failed: reports.iter().filter(|r| r.failed()).count(),
        })
    }
}

impl Verifier for OnlineStep {
    fn wants(&self, finding: &Finding) -> bool {
        self.aws.wants(finding)
    }

    fn verify(&self, findings: &mut [Finding]) -> Result<Verification, VerifyError> {
        self.run(findings).map_err(VerifyError::new)
    }
}

fn execute(run: OnlineRun, targets: Vec<Target>) -> anyhow::Result<Vec<KeyReport>> {
    let log = AuditLog::open(&run.audit_log)
        .with_context(|| format!("cannot use the audit log {}", run.audit_log.display()))?;
    let online = Online::connect(run.options, log)?;
    Ok(online.run(targets, run.plan, run.leaked))
}

fn human(reports: &[KeyReport], out: &mut dyn Write) -> io::Result<()> {
    for r in reports {
        let c = &r.check;
        let verdict = match &c.verdict {
            Verdict::Active => "active (the key works: deactivate it)".to_owned(),
            Verdict::Inactive => "inactive".to_owned(),
            Verdict::NotFound => "not found (deleted)".to_owned(),
            Verdict::Foreign => "foreign account (not checked)".to_owned(),
            Verdict::Canary => "canary (never checked)".to_owned(),
            Verdict::Root => "root user key".to_owned(),
            Verdict::Temporary => "temporary key (ASIA): expires on its own".to_owned(),
            Verdict::NotAnAccessKey => "not an IAM access key".to_owned(),
            Verdict::Error(e) => format!("error: {}", e.expose()),
        };
        writeln!(out, "{}  {verdict}", r.key_id)?;
        if let Some(a) = &c.account {
            let decoded = match &c.decoded_account {
                Some(d) if d == a => " (matches the offline decode)".to_owned(),
                Some(d) => format!(" (the id decodes to {d})"),
                None => " (old-format id)".to_owned(),
            };
            let own = if c.own { "ours" } else { "not ours" };
            writeln!(out, "  account:    {a}, {own}{decoded}")?;
        }
        if let Some(u) = &c.user {
            writeln!(out, "  user:       {u}")?;
        }
        if let Some(l) = &c.last_used {
            writeln!(out, "  last used:  {l}")?;
        }
        if c.quarantined {
            writeln!(out, "  quarantine: policy attached")?;
        }
        if let Some(l) = &c.leaked {
            let s = match l {
                LeakedVerdict::Live(arn) => format!("live, as {}", arn.expose()),
                LeakedVerdict::Invalid(why) => format!("invalid ({})", why.expose()),
                LeakedVerdict::Expired => "expired".to_owned(),
                LeakedVerdict::Error(e) => format!("error: {}", e.expose()),
            };
            writeln!(out, "  leaked pair: {s}")?;
        }
        for (what, a) in [("action:    ", &c.action), ("quarantine:", &c.quarantine)] {
            let Some(a) = a else { continue };
            let s = a.detail().expose();
            let s = match a {
                ActionResult::DryRun(_) => format!("dry run: {s}"),
                ActionResult::Done(_) => format!("done: {s}"),
                ActionResult::Unchanged(_) => format!("unchanged: {s}"),
                ActionResult::Refused(_) => format!("not done: {s}"),
                ActionResult::Failed(_) => format!("FAILED: {s}"),
            };
            writeln!(out, "  {what} {s}")?;
        }
    }
    Ok(())
}
