//! GitLab's secret-detection report (`gl-secret-detection-report.json`), which merge
//! requests and the security dashboard read.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::json;

use super::{Reporter, SecretDisplay, Severity, origin_file_name, short_hash};
use crate::finding::Finding;
use crate::pipeline::ScanOutcome;

/// The version of GitLab's report schema this output follows.
pub const GITLAB_SCHEMA_VERSION: &str = "15.0.7";

/// GitLab secret-detection report (`--format gitlab`).
#[derive(Debug)]
pub struct Gitlab {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

#[derive(Serialize)]
struct Report {
    version: &'static str,
    vulnerabilities: Vec<serde_json::Value>,
    scan: serde_json::Value,
}

/// A commit id GitLab accepts where content has no commit (a working-tree scan); GitLab's own
/// analyzer writes the same.
const NO_COMMIT: &str = "0000000";

fn vulnerability(f: &Finding, secrets: SecretDisplay) -> serde_json::Value {
    let file = origin_file_name(&f.origin);
    let loc = &f.location;
    let commit = match f.origin.commit() {
        Some(c) => json!({
            "sha": c.id, "author": c.author, "date": c.date, "message": c.summary,
        }),
        None => json!({ "sha": NO_COMMIT }),
    };
    let id = short_hash(&[
        f.fingerprint.as_str(),
        &file,
        &loc.line.to_string(),
        &loc.column.to_string(),
        f.origin.commit().map_or("", |c| c.id.as_str()),
    ]);
    json!({
        "id": id,
        "category": "secret_detection",
        "name": f.description,
        "description": format!(
            "{} ({}) in {file} line {}. Revoke or rotate it, then remove it from the code.",
            f.description, f.rule_id, loc.line
        ),
        "severity": Severity::of(f).name(),
        "raw_source_code_extract": secrets.secret(f),
        "scanner": { "id": "keysentry", "name": "keysentry" },
        "location": {
            "file": file,
            "start_line": loc.line,
            "end_line": loc.end_line,
            "commit": commit,
        },
        "identifiers": [{
            "type": "keysentry_rule_id",
            "name": format!("keysentry rule {}", f.rule_id),
            "value": f.rule_id,
        }],
    })
}

impl Reporter for Gitlab {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let end = jiff::Timestamp::now();
        let start = end
            .checked_sub(jiff::SignedDuration::try_from(outcome.elapsed).unwrap_or_default())
            .unwrap_or(end);
        let time = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S").to_string();
        let tool = json!({
            "id": "keysentry",
            "name": "keysentry",
            "version": env!("CARGO_PKG_VERSION"),
            "vendor": { "name": "keysentry" },
        });
        let report = Report {
            version: GITLAB_SCHEMA_VERSION,
            vulnerabilities: outcome
                .findings
                .iter()
                .map(|f| vulnerability(f, self.secrets))
                .collect(),
            scan: json!({
                "analyzer": tool,
                "scanner": tool,
                "type": "secret_detection",
                "start_time": time(start),
                "end_time": time(end),
                // Items that could not be read are listed in `messages`; the scan itself ran.
                "status": "success",
                "messages": outcome.errors.iter().map(|e| json!({
                    "level": "warn", "value": e.to_string(),
                })).collect::<Vec<_>>(),
            }),
        };
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)
    }
}
