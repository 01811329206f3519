//! SARIF 2.1.0: one run, the rules that matched, one result per finding. GitHub code scanning
//! and other code-scanning dashboards read it.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Redactor, Reporter, SecretDisplay, Severity, gaps, origin_path, short_hash};
use crate::finding::Finding;
use crate::sink::ScanOutcome;

/// SARIF 2.1.0 log (`--format sarif`).
#[derive(Debug)]
pub struct Sarif {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

/// The key of keysentry's partial fingerprint: hash of the finding's fingerprint (rule and
/// secret) and its path, independent of the line, so edits above a secret keep its alert.
pub const PARTIAL_FINGERPRINT_KEY: &str = "keysentry/v1";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Info => "note",
        Severity::Low | Severity::Medium => "warning",
        Severity::High | Severity::Critical => "error",
    }
}

/// `aws.access_key_id` → `AwsAccessKeyId`: SARIF's rule name is an identifier.
fn rule_name(id: &str) -> String {
    id.split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn rule(f: &Finding) -> Value {
    let severity = f.severity;
    let help = format!(
        "{desc}. A secret in source code can be read by anyone who can read the repository or \
         any of its copies. Revoke or rotate it with its issuer first, then remove it from the \
         code (and from the history if it was committed), and load it at run time from a \
         secret store or the environment instead.",
        desc = f.description
    );
    json!({
        "id": f.rule_id,
        "name": rule_name(&f.rule_id),
        "shortDescription": { "text": f.description },
        "fullDescription": { "text": format!("{} (keysentry rule {}).", f.description, f.rule_id) },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": level(severity) },
        "properties": {
            "tags": ["security", "secret"],
            "precision": if severity == Severity::Medium { "medium" } else { "high" },
            "security-severity": severity.score(),
        },
    })
}

/// A path as a relative URI reference: `./` dropped, characters outside RFC 3986's
/// unreserved set and `/` percent-encoded. Absolute paths become `file://` URIs.
fn uri(path: &str) -> String {
    let trimmed = path.strip_prefix("./").unwrap_or(path);
    let mut out = String::with_capacity(trimmed.len());
    if trimmed.starts_with('/') {
        out.push_str("file://");
    }
    for b in trimmed.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn result(f: &Finding, rule_index: usize, secrets: SecretDisplay, r: &Redactor) -> Value {
    let loc = &f.location;
    // The partial fingerprint hashes the path as found; what the log shows is redacted.
    let hashed_path = origin_path(&f.origin);
    let origin = r.origin(&f.origin);
    let path = origin_path(&origin);
    let mut message = format!("{} ({}): {}", f.description, f.rule_id, secrets.secret(f));
    if path.is_none() {
        message = format!("{}: {message}", origin.display_name());
    } else if let Some(repo) = origin.repository() {
        message = format!("{repo}: {message}");
    }
    // The same secret at the same path of two repositories is two results; a scan of one
    // repository hashes as it always has.
    let hashed_path = match (f.origin.repository(), hashed_path) {
        (Some(repo), Some(p)) => Some(format!("{repo}\0{p}")),
        (_, p) => p,
    };
    let mut result = json!({
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": level(Severity::of(f)),
        "message": { "text": message },
        "partialFingerprints": {
            PARTIAL_FINGERPRINT_KEY: short_hash(&[f.fingerprint.as_str(), hashed_path.as_deref().unwrap_or("")]),
        },
        "properties": {
            "fingerprint": f.fingerprint.as_str(),
            "blobId": f.blob_id.to_hex(),
            "secret": secrets.secret(f),
            "secretRedacted": secrets == SecretDisplay::Redact,
            "security-severity": Severity::of(f).score(),
        },
    });
    if let Some(encoding) = &f.encoding {
        result["properties"]["encoding"] = json!(encoding);
    }
    if let Some(path) = &path {
        result["locations"] = json!([{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(path) },
                "region": {
                    "startLine": loc.line,
                    "startColumn": loc.column,
                    "endLine": loc.end_line,
                    "endColumn": loc.end_column,
                    "snippet": { "text": r.string(&secrets.line(f).0) },
                },
            },
        }]);
    }
    if let Some(repo) = origin.repository() {
        result["properties"]["repository"] = json!(repo);
    }
    if let Some(c) = origin.commit() {
        result["properties"]["commit"] = json!({
            "id": c.id, "author": c.author, "email": c.email, "date": c.date, "summary": c.summary,
        });
    }
    if let Some(aws) = &f.aws {
        if let Some(class) = aws.prefix_class {
            result["properties"]["awsKeyClass"] = json!(class.to_string());
        }
        if let Some(account) = aws.account.and_then(crate::aws::AccountDecode::account) {
            result["properties"]["awsAccountId"] = json!(account.to_string());
        }
        if let Some(online) = &aws.online {
            result["properties"]["awsOnline"] = super::json::online_json(online, secrets);
        }
    }
    result
}

impl Reporter for Sarif {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let r = Redactor::new(outcome, self.secrets);
        let mut ids: Vec<&str> = outcome.findings.iter().map(|f| f.rule_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let rules: Vec<Value> = ids
            .iter()
            .filter_map(|id| outcome.findings.iter().find(|f| f.rule_id == *id))
            .map(rule)
            .collect();
        let results: Vec<Value> = outcome
            .findings
            .iter()
            .map(|f| {
                let index = ids.binary_search(&f.rule_id.as_str()).unwrap_or_default();
                result(f, index, self.secrets, &r)
            })
            .collect();
        // Every item not scanned in full is an error notification (with its file when it has
        // one), and the run did not execute successfully; warnings about the scan follow.
        let mut notifications: Vec<Value> = gaps(outcome)
            .iter()
            .map(|g| {
                let mut n = json!({ "level": "error", "message": { "text": g.text(&r) } });
                if let Some(path) = g.origin.map(|o| r.origin(o)).and_then(|o| origin_path(&o)) {
                    n["locations"] = json!([{
                        "physicalLocation": { "artifactLocation": { "uri": uri(&path) } },
                    }]);
                }
                n
            })
            .collect();
        notifications.extend(
            outcome
                .warnings
                .iter()
                .map(|w| json!({ "level": "warning", "message": { "text": r.string(w) } })),
        );
        let log = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "keysentry",
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "rules": rules,
                    },
                },
                "invocations": [{
                    "executionSuccessful": !outcome.is_incomplete(),
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
            }],
        });
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names() {
        assert_eq!(rule_name("aws.access_key_id"), "AwsAccessKeyId");
        assert_eq!(rule_name("github.pat_classic"), "GithubPatClassic");
    }

    #[test]
    fn uris() {
        assert_eq!(uri("./config/prod.env"), "config/prod.env");
        assert_eq!(uri("a b/c#d.txt"), "a%20b/c%23d.txt");
        assert_eq!(uri("/abs/x"), "file:///abs/x");
        assert_eq!(uri("é"), "%C3%A9");
    }
}
