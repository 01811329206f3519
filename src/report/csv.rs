//! CSV for spreadsheets: a header row, then one row per finding.

use std::io::{self, Write};

use super::{
    Redactor, Reporter, SecretDisplay, Severity, escape, gaps, origin_commit, origin_file_name,
};
use crate::aws::AccountDecode;
use crate::sink::ScanOutcome;

/// One row per finding, with a header row (`--format csv`).
#[derive(Debug)]
pub struct Csv {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

/// The header row; `docs/output.md` describes each column.
const HEADER: [&str; 19] = [
    "rule_id",
    "description",
    "severity",
    "kind",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "fingerprint",
    "blob_id",
    "commit",
    "author",
    "email",
    "date",
    "aws_class",
    "aws_account",
    "repository",
];

impl Reporter for Csv {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(HEADER)?;
        let r = Redactor::new(outcome, self.secrets);
        for f in &outcome.findings {
            let loc = &f.location;
            let origin = r.origin(&f.origin);
            let commit = origin.commit();
            let aws = f.aws.as_ref();
            let record = [
                f.rule_id.clone(),
                f.description.clone(),
                Severity::of(f).name().to_owned(),
                origin_kind(&f.origin).to_owned(),
                origin_file_name(&origin),
                loc.line.to_string(),
                loc.column.to_string(),
                loc.end_line.to_string(),
                loc.end_column.to_string(),
                self.secrets.secret(f),
                f.fingerprint.to_string(),
                f.blob_id.to_hex(),
                origin_commit(&origin).unwrap_or_default().to_owned(),
                commit.map(|c| c.author.clone()).unwrap_or_default(),
                commit.map(|c| c.email.clone()).unwrap_or_default(),
                commit.map(|c| c.date.clone()).unwrap_or_default(),
                aws.and_then(|a| a.prefix_class).map(|c| c.to_string()).unwrap_or_default(),
                aws.and_then(|a| a.account)
                    .and_then(AccountDecode::account)
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                origin.repository().unwrap_or_default().to_owned(),
            ];
            w.write_record(record.iter().map(|cell| cell_text(cell)))?;
        }
        // Items not scanned in full, then warnings about the scan: one row each, with the kind
        // `not_scanned` or `warning`, the path when there is one, and the reason in
        // `description`.
        let extra = gaps(outcome)
            .into_iter()
            .map(|g| {
                let path = g.origin.map(|o| origin_file_name(&r.origin(o))).unwrap_or_default();
                ("not_scanned", path, r.string(&g.reason))
            })
            .chain(outcome.warnings.iter().map(|w| ("warning", String::new(), r.string(w))));
        for (kind, path, why) in extra {
            let mut record: Vec<String> = vec![String::new(); HEADER.len()];
            record[1] = why;
            record[3] = kind.to_owned();
            record[4] = path;
            w.write_record(record.iter().map(|cell| cell_text(cell)))?;
        }
        w.flush()
    }
}

fn origin_kind(origin: &crate::finding::Origin) -> &'static str {
    use crate::finding::Origin;
    match origin {
        // The repository has a column of its own.
        Origin::InRepository { inner, .. } => origin_kind(inner),
        Origin::File { .. } => "file",
        Origin::Stdin => "stdin",
        Origin::Commit { .. } => "commit",
        Origin::CommitMessage { .. } => "commit_message",
        Origin::TagMessage { .. } => "tag_message",
        Origin::Staged { .. } => "staged",
        Origin::Ref { .. } => "ref",
    }
}

/// A cell as written: control characters escaped visibly (`\x1b`), then defused.
fn cell_text(cell: &str) -> String {
    defuse(&escape(cell)).into_owned()
}

/// A cell that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return) gets a leading `'`: scanned content is untrusted, and a file name
/// or secret must not run as a formula when the security team opens the report.
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(defuse("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(defuse("@SUM"), "'@SUM");
        assert_eq!(defuse("config/prod.env"), "config/prod.env");
        assert_eq!(defuse(""), "");
    }
}
