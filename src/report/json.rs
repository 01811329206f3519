//! JSON (one document) and JSON Lines (one finding per line). Schema: `docs/output.md`.

use std::io::{self, Write};

use serde::Serialize;

use super::{Reporter, SecretDisplay};
use crate::aws::{
    AccountDecode, AccountId, AwsInfo, AwsTag, Encoding, Paired, PairedBy, PrefixClass,
};
use crate::finding::{Finding, Location, Origin, Secret};
use crate::pipeline::{ScanOutcome, ScanStats};
use crate::source::SkipReason;

/// Version of the JSON schema. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// One JSON document with findings, statistics, skipped items and errors.
#[derive(Debug)]
pub struct Json {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

/// One JSON object per line, one line per finding.
#[derive(Debug)]
pub struct JsonLines {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<FindingJson<'a>>,
    stats: &'a ScanStats,
    elapsed_seconds: f64,
    skipped: Vec<SkippedJson<'a>>,
    errors: Vec<String>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    rule_id: &'a str,
    description: &'a str,
    origin: &'a Origin,
    location: &'a Location,
    secret: String,
    secret_redacted: bool,
    line: String,
    fingerprint: &'a str,
    blob_id: String,
    entropy: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws: Option<AwsJson<'a>>,
}

#[derive(Serialize)]
struct AwsJson<'a> {
    key_id: Option<String>,
    prefix_class: Option<PrefixClass>,
    credential: Option<bool>,
    account_id: Option<AccountId>,
    account_id_reason: Option<&'static str>,
    paired_secret: Option<PairedJson>,
    session_token: Option<PairedJson>,
    tags: Vec<AwsTag>,
    canary_owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    online: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct PairedJson {
    value: String,
    by: PairedBy,
    encoding: Encoding,
    line: usize,
}

fn aws_json(info: &AwsInfo, secrets: SecretDisplay) -> AwsJson<'_> {
    let show = |s: &Secret| match secrets {
        SecretDisplay::Redact => s.redacted(),
        SecretDisplay::Show => s.expose().to_owned(),
    };
    let paired = |p: &Paired| PairedJson {
        value: show(&p.value),
        by: p.by,
        encoding: p.encoding,
        line: p.line,
    };
    AwsJson {
        key_id: info.key_id.as_ref().map(show),
        prefix_class: info.prefix_class,
        credential: info.prefix_class.map(PrefixClass::is_credential),
        account_id: info.account.and_then(AccountDecode::account),
        account_id_reason: match info.account {
            Some(a) => a.reason(),
            None => Some("no key id"),
        },
        paired_secret: info.paired_secret.as_ref().map(paired),
        session_token: info.session_token.as_ref().map(paired),
        tags: info.tags.iter().copied().collect(),
        canary_owner: info.canary_owner.as_deref(),
        online: info.online.as_ref(),
    }
}

#[derive(Serialize)]
struct LineJson<'a> {
    version: u32,
    #[serde(flatten)]
    finding: FindingJson<'a>,
}

#[derive(Serialize)]
struct SkippedJson<'a> {
    origin: &'a Origin,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

fn finding(f: &Finding, secrets: SecretDisplay) -> FindingJson<'_> {
    FindingJson {
        rule_id: &f.rule_id,
        description: &f.description,
        origin: &f.origin,
        location: &f.location,
        secret: secrets.secret(f),
        secret_redacted: secrets == SecretDisplay::Redact,
        line: secrets.line(f).0,
        fingerprint: f.fingerprint.as_str(),
        blob_id: f.blob_id.to_hex(),
        // Two decimals are plenty and keep snapshots stable.
        entropy: (f.entropy * 100.0).round() / 100.0,
        aws: f.aws.as_ref().map(|a| aws_json(a, secrets)),
    }
}

impl Reporter for Json {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let doc = Document {
            version: SCHEMA_VERSION,
            tool: Tool { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") },
            findings: outcome.findings.iter().map(|f| finding(f, self.secrets)).collect(),
            stats: &outcome.stats,
            elapsed_seconds: outcome.elapsed.as_secs_f64(),
            skipped: outcome
                .skipped
                .iter()
                .map(|(origin, reason)| match reason {
                    SkipReason::Binary => SkippedJson { origin, reason: "binary", size: None },
                    SkipReason::LfsPointer => {
                        SkippedJson { origin, reason: "lfs_pointer", size: None }
                    }
                    SkipReason::TooLarge { size, .. } => {
                        SkippedJson { origin, reason: "too_large", size: Some(*size) }
                    }
                    SkipReason::NotAFile => {
                        SkippedJson { origin, reason: "not_a_file", size: None }
                    }
                })
                .collect(),
            errors: outcome.errors.iter().map(ToString::to_string).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

impl Reporter for JsonLines {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        for f in &outcome.findings {
            let line = LineJson { version: SCHEMA_VERSION, finding: finding(f, self.secrets) };
            serde_json::to_writer(&mut *out, &line)?;
            writeln!(out)?;
        }
        Ok(())
    }
}
