//! `keysentry aws inspect` (explain AWS ids offline) and `keysentry aws audit-log verify`.

use std::io::{self, BufWriter, Write};

#[cfg(feature = "aws")]
use super::aws_online::KeyCommand;
use crate::cli::args_aws::{AuditLogCommand, AwsCommand, InspectArgs, InspectFormat};
use crate::cli::config_aws::account_options;
use crate::cli::exit::ExitStatus;
use keysentry::aws::audit::{self, AuditError};
use keysentry::aws::{AwsTag, Inspection, inspect};

/// Runs an AWS command; the online ones read the operator's configuration named in `env`.
#[cfg_attr(not(feature = "aws"), allow(unused_variables))]
pub(crate) fn run(cmd: AwsCommand, env: &crate::cli::env::Env) -> anyhow::Result<ExitStatus> {
    match cmd {
        AwsCommand::Inspect(args) => run_inspect(args),
        AwsCommand::AuditLog(AuditLogCommand::Verify { file }) => verify_log(&file),
        #[cfg(feature = "aws")]
        AwsCommand::Identify(a) => super::aws_online::run_keys(KeyCommand::Identify(a), env),
        #[cfg(feature = "aws")]
        AwsCommand::Deactivate(a) => super::aws_online::run_keys(KeyCommand::Deactivate(a), env),
        #[cfg(feature = "aws")]
        AwsCommand::Reactivate(a) => super::aws_online::run_keys(KeyCommand::Reactivate(a), env),
    }
}

fn verify_log(file: &std::path::Path) -> anyhow::Result<ExitStatus> {
    let mut out = io::stdout().lock();
    match audit::verify_file(file) {
        Ok(s) => {
            writeln!(
                out,
                "{}: intact, {} records; last hash {}",
                file.display(),
                s.records,
                s.last_hash
            )?;
            Ok(ExitStatus::Clean)
        }
        Err(e @ AuditError::Broken { .. }) => {
            writeln!(out, "{}: BROKEN: {e}", file.display())?;
            Ok(ExitStatus::Findings)
        }
        Err(e) => Err(e.into()),
    }
}

fn run_inspect(args: InspectArgs) -> anyhow::Result<ExitStatus> {
    let options = account_options(&args.accounts)?;
    let all: Vec<Inspection> = args.ids.iter().map(|id| inspect(id, &options)).collect();
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        InspectFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        InspectFormat::Human => {
            for i in &all {
                human(i, &mut out)?;
            }
        }
    }
    out.flush()?;
    Ok(if all.iter().any(|i| i.malformed.is_some()) {
        ExitStatus::Error
    } else {
        ExitStatus::Clean
    })
}

fn human(i: &Inspection, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", i.id)?;
    if let Some(why) = &i.malformed {
        writeln!(out, "  not an AWS id: {why}")?;
    }
    if let (Some(class), Some(what)) = (i.prefix_class, i.class_description) {
        writeln!(out, "  class:      {class}, {what}")?;
    }
    match (&i.account_id, i.account_id_reason) {
        (Some(a), _) => writeln!(
            out,
            "  account:    {a} (decoded offline; sts:GetAccessKeyInfo is authoritative)"
        )?,
        (None, Some(why)) if i.malformed.is_none() => writeln!(out, "  account:    {why}")?,
        _ => {}
    }
    if let Some(g) = i.generation {
        writeln!(out, "  generation: {g}")?;
    }
    let tags: Vec<&str> = i
        .tags
        .iter()
        .map(|t| match t {
            AwsTag::Example => "example (AWS documentation)",
            AwsTag::Canary => "canary (never use this key: any use alerts its owner)",
            AwsTag::Ours => "ours",
            AwsTag::Foreign => "foreign",
            AwsTag::Identifier => "identifier (not a secret)",
        })
        .collect();
    if !tags.is_empty() {
        writeln!(out, "  tags:       {}", tags.join(", "))?;
    }
    if let Some(owner) = &i.canary_owner {
        writeln!(out, "  canary of:  {owner}")?;
    }
    writeln!(out)
}
