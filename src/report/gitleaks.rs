//! gitleaks' JSON report shape, so that tools (and baselines) written for gitleaks read
//! keysentry's findings. The field names are exactly gitleaks'.

use std::io::{self, Write};

use serde::Serialize;

use super::{Redactor, Reporter, SecretDisplay, origin_commit, origin_path};
use crate::finding::Finding;
use crate::sink::ScanOutcome;

/// A JSON array of gitleaks-shaped findings (`--format gitleaks-json`).
#[derive(Debug)]
pub struct GitleaksJson {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GitleaksFinding {
    description: String,
    start_line: usize,
    end_line: usize,
    start_column: usize,
    end_column: usize,
    #[serde(rename = "Match")]
    match_: String,
    secret: String,
    file: String,
    symlink_file: String,
    commit: String,
    entropy: f64,
    author: String,
    email: String,
    date: String,
    message: String,
    tags: Vec<String>,
    #[serde(rename = "RuleID")]
    rule_id: String,
    fingerprint: String,
}

fn convert(f: &Finding, secrets: SecretDisplay, r: &Redactor) -> GitleaksFinding {
    let origin = r.origin(&f.origin);
    let file = origin_path(&origin).unwrap_or_default();
    let commit = origin_commit(&origin).unwrap_or_default().to_owned();
    let info = origin.commit();
    let loc = &f.location;
    // gitleaks' fingerprint: commit:file:rule:line in git scans, file:rule:line otherwise.
    let fingerprint = if commit.is_empty() {
        format!("{file}:{}:{}", f.rule_id, loc.line)
    } else {
        format!("{commit}:{file}:{}:{}", f.rule_id, loc.line)
    };
    let secret = secrets.secret(f);
    GitleaksFinding {
        description: f.description.clone(),
        start_line: loc.line,
        end_line: loc.end_line,
        start_column: loc.column,
        // gitleaks' end column is the secret's last column, not the one after it.
        end_column: loc.end_column.saturating_sub(1).max(loc.column),
        match_: secret.clone(),
        secret,
        file,
        symlink_file: String::new(),
        commit,
        entropy: (f.entropy * 100.0).round() / 100.0,
        author: info.map(|c| c.author.clone()).unwrap_or_default(),
        email: info.map(|c| c.email.clone()).unwrap_or_default(),
        // gitleaks writes commit dates in UTC.
        date: info
            .map(|c| c.date.parse::<jiff::Timestamp>().map_or(c.date.clone(), |t| t.to_string()))
            .unwrap_or_default(),
        message: info.map(|c| c.summary.clone()).unwrap_or_default(),
        // gitleaks' report has no field for a repository: an audit's names it in a tag.
        tags: f
            .aws
            .iter()
            .flat_map(|a| a.tags.iter().map(|t| t.name().to_owned()))
            .chain(origin.repository().map(|repo| format!("repository:{repo}")))
            .collect(),
        rule_id: f.rule_id.clone(),
        fingerprint,
    }
}

impl Reporter for GitleaksJson {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        // gitleaks' report is an array of findings and has no place for items not scanned in
        // full: they show on stderr and in the exit status only.
        let r = Redactor::new(outcome, self.secrets);
        let all: Vec<GitleaksFinding> =
            outcome.findings.iter().map(|f| convert(f, self.secrets, &r)).collect();
        serde_json::to_writer_pretty(&mut *out, &all)?;
        writeln!(out)
    }
}
