//! The report writers on arbitrary paths, lines, secrets, commit data, warnings and errors:
//! every machine-readable format must stay a valid document that parses back, with one entry
//! per finding: JSON, JSON Lines (one object per line), SARIF and GitLab (JSON), gitleaks'
//! JSON (an array), CSV (a header and rows of one width, one per finding, then one per gap
//! and warning, through the `csv` crate), JUnit (well-formed XML, through `roxmltree`). The human and short formats must not
//! panic. Both with secrets redacted and shown.
//!
//! Input: a first line (the path, raw bytes), a second (the line text, also commit author,
//! summary and a warning), the rest scanned with the built-in rules, whose findings get the
//! same origin.
#![no_main]

use std::time::Duration;

use keysentry::finding::Origin;
use keysentry::report::{
    Csv, Gitlab, GitleaksJson, Human, Json, JsonLines, Junit, Reporter, Sarif, SecretDisplay, Short,
};
use keysentry::sink::{ScanOutcome, ScanStats, sort_findings};
use keysentry::source::{SkipReason, SourceError};
use keysentry_fuzz::{arbitrary_finding, detector, fields};
use libfuzzer_sys::fuzz_target;

fn write(r: &dyn Reporter, outcome: &ScanOutcome) -> Vec<u8> {
    let mut out = Vec::new();
    r.report(outcome, &mut out).expect("writing to memory works");
    out
}

fn json(bytes: &[u8], what: &str) -> serde_json::Value {
    match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(bytes)),
    }
}

fn check(outcome: &ScanOutcome, secrets: SecretDisplay) {
    let n = outcome.findings.len();
    let doc = json(&write(&Json { secrets }, outcome), "json");
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(n), "json findings");

    let lines = write(&JsonLines { secrets }, outcome);
    let text = std::str::from_utf8(&lines).expect("JSON Lines are UTF-8");
    let mut objects = 0;
    for l in text.lines() {
        json(l.as_bytes(), "jsonl");
        objects += 1;
    }
    assert!(objects >= n, "jsonl: {objects} lines for {n} findings");

    let sarif = json(&write(&Sarif { secrets }, outcome), "sarif");
    assert_eq!(sarif["runs"][0]["results"].as_array().map(Vec::len), Some(n), "sarif results");

    let gitleaks = json(&write(&GitleaksJson { secrets }, outcome), "gitleaks-json");
    assert_eq!(gitleaks.as_array().map(Vec::len), Some(n), "gitleaks-json findings");

    let _ = json(&write(&Gitlab { secrets }, outcome), "gitlab");

    let csv = write(&Csv { secrets }, outcome);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&csv[..]);
    let width = reader.headers().expect("a CSV header").len();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.expect("a CSV row");
        assert_eq!(record.len(), width, "a CSV row of another width");
        // Items not scanned in full and warnings follow the findings, one row each.
        rows += usize::from(!matches!(&record[3], "not_scanned" | "warning"));
    }
    assert_eq!(rows, n, "csv finding rows");

    let junit = write(&Junit { secrets }, outcome);
    let xml = std::str::from_utf8(&junit).expect("JUnit XML is UTF-8");
    if let Err(e) = roxmltree::Document::parse(xml) {
        panic!("junit: not well-formed XML ({e}): {xml}");
    }

    let _ = write(&Human { secrets, color: true }, outcome);
    let _ = write(&Short { secrets, color: false }, outcome);
}

fuzz_target!(|data: &[u8]| {
    let (head, content) = fields(data, 2);
    let path = head.first().copied().unwrap_or(b"");
    let line = String::from_utf8_lossy(head.get(1).copied().unwrap_or(b""));
    let n = data.len();
    let kind = data.last().copied().unwrap_or(0);
    let arbitrary = arbitrary_finding(path, &line, (n, n / 2), kind);
    let mut findings = detector().scan(content, &arbitrary.origin, &mut Default::default());
    findings.push(arbitrary);
    findings.push(arbitrary_finding(path, &line, (n / 3, n), kind.wrapping_add(1)));
    sort_findings(&mut findings);
    let origin = findings[0].origin.clone();
    let outcome = ScanOutcome {
        findings,
        stats: ScanStats { scanned: 1, bytes: n as u64, ..ScanStats::default() },
        skipped: vec![(origin.clone(), SkipReason::Binary), (Origin::Stdin, SkipReason::NotAFile)],
        errors: vec![
            SourceError::Walk(line.to_string()),
            SourceError::Io {
                path: std::path::PathBuf::from(String::from_utf8_lossy(path).into_owned()),
                source: std::io::Error::other(line.to_string()),
            },
        ],
        warnings: vec![line.to_string()],
        elapsed: Duration::from_millis(n as u64),
    };
    check(&outcome, SecretDisplay::Redact);
    check(&outcome, SecretDisplay::Show);
});
