//! JSON (one document) and JSON Lines (one finding per line). Schema: `docs/output.md`.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use super::{Gap, Redactor, Reporter, SecretDisplay, gaps};
use crate::aws::{
    AccountDecode, AccountId, AwsInfo, AwsTag, Encoding, Paired, PairedBy, PrefixClass,
};
use crate::finding::aws::OnlineVerdict;
use crate::finding::{Finding, Location, Origin, Secret};
use crate::sink::{ScanOutcome, ScanStats};
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
    incomplete: bool,
    gaps: Vec<GapJson<'a>>,
    warnings: Vec<String>,
}

/// An item not scanned in full (a skip that leaves a gap, an error).
#[derive(Serialize)]
struct GapJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    origin: Option<Cow<'a, Origin>>,
    message: String,
}

/// The last line of JSON Lines output when the scan was incomplete or has warnings.
#[derive(Serialize)]
struct StatusLine<'a> {
    version: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    incomplete: bool,
    gaps: Vec<GapJson<'a>>,
    warnings: Vec<String>,
}

fn gaps_json<'a>(outcome: &'a ScanOutcome, r: &Redactor) -> Vec<GapJson<'a>> {
    gaps(outcome)
        .into_iter()
        .map(|g: Gap<'a>| GapJson {
            origin: g.origin.map(|o| r.origin(o)),
            message: r.string(&g.reason),
        })
        .collect()
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
    origin: Cow<'a, Origin>,
    location: &'a Location,
    secret: String,
    secret_redacted: bool,
    line: String,
    fingerprint: &'a str,
    blob_id: String,
    entropy: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'a str>,
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
    online: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct PairedJson {
    value: String,
    by: PairedBy,
    encoding: Encoding,
    line: usize,
}

fn aws_json(info: &AwsInfo, secrets: SecretDisplay) -> AwsJson<'_> {
    let show = |s: &Secret| secrets.show(s);
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
        online: info.online.as_ref().map(|o| online_json(o, secrets)),
    }
}

/// `aws.online` as reports write it: the key id in its details redacted unless secrets are
/// shown, and the keys in the order these objects have always had (sorted: a JSON value's).
pub(super) fn online_json(online: &OnlineVerdict, secrets: SecretDisplay) -> serde_json::Value {
    let shown;
    let online = match secrets {
        SecretDisplay::Redact => online,
        SecretDisplay::Show => {
            shown = online.exposed();
            &shown
        }
    };
    serde_json::to_value(online).unwrap_or_default()
}

#[derive(Serialize)]
struct LineJson<'a> {
    version: u32,
    #[serde(flatten)]
    finding: FindingJson<'a>,
}

#[derive(Serialize)]
struct SkippedJson<'a> {
    origin: Cow<'a, Origin>,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

fn finding<'a>(f: &'a Finding, secrets: SecretDisplay, r: &Redactor) -> FindingJson<'a> {
    FindingJson {
        rule_id: &f.rule_id,
        description: &f.description,
        origin: r.origin(&f.origin),
        location: &f.location,
        secret: secrets.secret(f),
        secret_redacted: secrets == SecretDisplay::Redact,
        line: r.string(&secrets.line(f).0),
        fingerprint: f.fingerprint.as_str(),
        blob_id: f.blob_id.to_hex(),
        // Two decimals are plenty and keep snapshots stable.
        entropy: (f.entropy * 100.0).round() / 100.0,
        encoding: f.encoding.as_deref(),
        aws: f.aws.as_ref().map(|a| aws_json(a, secrets)),
    }
}

impl Reporter for Json {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let r = Redactor::new(outcome, self.secrets);
        let doc = Document {
            version: SCHEMA_VERSION,
            tool: Tool { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") },
            findings: outcome.findings.iter().map(|f| finding(f, self.secrets, &r)).collect(),
            stats: &outcome.stats,
            elapsed_seconds: outcome.elapsed.as_secs_f64(),
            skipped: outcome
                .skipped
                .iter()
                .map(|(origin, reason)| (r.origin(origin), reason))
                .map(|(origin, reason)| match reason {
                    SkipReason::Binary => SkippedJson { origin, reason: "binary", size: None },
                    SkipReason::LfsPointer => {
                        SkippedJson { origin, reason: "lfs_pointer", size: None }
                    }
                    SkipReason::ShallowHistory => {
                        SkippedJson { origin, reason: "shallow_history", size: None }
                    }
                    SkipReason::TooLarge { size, .. } => {
                        SkippedJson { origin, reason: "too_large", size: Some(*size) }
                    }
                    SkipReason::NotAFile => {
                        SkippedJson { origin, reason: "not_a_file", size: None }
                    }
                    SkipReason::Cut { size, .. } => {
                        SkippedJson { origin, reason: "cut_short", size: Some(*size) }
                    }
                    SkipReason::Changed(_) => {
                        SkippedJson { origin, reason: "changed_while_scanned", size: None }
                    }
                })
                .collect(),
            errors: outcome.errors.iter().map(|e| r.string(&e.to_string())).collect(),
            incomplete: outcome.is_incomplete(),
            gaps: gaps_json(outcome, &r),
            warnings: outcome.warnings.iter().map(|w| r.string(w)).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}

impl Reporter for JsonLines {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let r = Redactor::new(outcome, self.secrets);
        for f in &outcome.findings {
            let line = LineJson { version: SCHEMA_VERSION, finding: finding(f, self.secrets, &r) };
            serde_json::to_writer(&mut *out, &line)?;
            writeln!(out)?;
        }
        if outcome.is_incomplete() || !outcome.warnings.is_empty() {
            let status = StatusLine {
                version: SCHEMA_VERSION,
                kind: "scan_status",
                incomplete: outcome.is_incomplete(),
                gaps: gaps_json(outcome, &r),
                warnings: outcome.warnings.iter().map(|w| r.string(w)).collect(),
            };
            serde_json::to_writer(&mut *out, &status)?;
            writeln!(out)?;
        }
        Ok(())
    }
}
