//! GitLab's secret-detection report (`gl-secret-detection-report.json`), which merge
//! requests and the security dashboard read.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::json;

use super::{Redactor, Reporter, SecretDisplay, Severity, gaps, origin_file_name, short_hash};
use crate::finding::Finding;
use crate::sink::ScanOutcome;

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

fn vulnerability(f: &Finding, secrets: SecretDisplay, r: &Redactor) -> serde_json::Value {
    let origin = r.origin(&f.origin);
    let file = origin_file_name(&origin);
    let loc = &f.location;
    let commit = match origin.commit() {
        Some(c) => json!({
            "sha": c.id, "author": c.author, "date": c.date, "message": c.summary,
        }),
        None => json!({ "sha": NO_COMMIT }),
    };
    let mut id_parts = vec![
        f.fingerprint.as_str().to_owned(),
        file.clone(),
        loc.line.to_string(),
        loc.column.to_string(),
        f.origin.commit().map_or("", |c| c.id.as_str()).to_owned(),
    ];
    // Ids of one repository's scan stay as they were; an audit's tell repositories apart.
    id_parts.extend(f.origin.repository().map(str::to_owned));
    let id = short_hash(&id_parts.iter().map(String::as_str).collect::<Vec<_>>());
    let place = match origin.repository() {
        Some(repo) => format!("{repo}: {file}"),
        None => file.clone(),
    };
    json!({
        "id": id,
        "category": "secret_detection",
        "name": f.description,
        "description": format!(
            "{} ({}) in {place} line {}. Revoke or rotate it, then remove it from the code.",
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
        let r = Redactor::new(outcome, self.secrets);
        // An item not scanned in full fails the scan ("failure", with a fatal message per
        // item); warnings about the scan are "warn" messages.
        let mut messages: Vec<serde_json::Value> = gaps(outcome)
            .iter()
            .map(|g| json!({ "level": "fatal", "value": g.text(&r) }))
            .collect();
        messages.extend(
            outcome.warnings.iter().map(|w| json!({ "level": "warn", "value": r.string(w) })),
        );
        let report = Report {
            version: GITLAB_SCHEMA_VERSION,
            vulnerabilities: outcome
                .findings
                .iter()
                .map(|f| vulnerability(f, self.secrets, &r))
                .collect(),
            scan: json!({
                "analyzer": tool,
                "scanner": tool,
                "type": "secret_detection",
                "start_time": time(start),
                "end_time": time(end),
                "status": if outcome.is_incomplete() { "failure" } else { "success" },
                "messages": messages,
            }),
        };
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)
    }
}
