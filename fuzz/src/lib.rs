//! What the fuzz targets share: the detector of the built-in rules (built once per process),
//! input splitting, and findings made of arbitrary text.

use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use keysentry::detect::Detector;
use keysentry::finding::{BlobId, CommitInfo, Finding, Fingerprint, Location, Origin, Secret};
use keysentry::rules::{RuleSet, Severity};

/// The detector of the built-in rules, as `keysentry scan` builds it by default.
pub fn detector() -> &'static Detector {
    static DETECTOR: LazyLock<Detector> =
        LazyLock::new(|| Detector::new(RuleSet::builtin().expect("built-in rules compile")));
    &DETECTOR
}

/// `data` cut at its first `\n` (kept with the first part), or `None` without one.
pub fn first_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    memchr::memchr(b'\n', data).map(|i| data.split_at(i + 1))
}

/// The first `n` newline-separated fields of `data`, then the rest (fewer when it has fewer
/// newlines).
pub fn fields(data: &[u8], n: usize) -> (Vec<&[u8]>, &[u8]) {
    let mut rest = data;
    let mut out = Vec::new();
    while out.len() < n {
        let Some((line, after)) = first_line(rest) else { break };
        out.push(&line[..line.len() - 1]);
        rest = after;
    }
    (out, rest)
}

/// A byte offset into `s` derived from `seed`, moved back to a character boundary.
pub fn boundary(s: &str, seed: usize) -> usize {
    let mut at = seed % (s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A finding whose path, line and secret are arbitrary text (the secret a piece of the line,
/// on character boundaries), the way a report sees one from hostile content.
pub fn arbitrary_finding(path: &[u8], line: &str, seeds: (usize, usize), origin: u8) -> Finding {
    let (a, b) = (boundary(line, seeds.0), boundary(line, seeds.1));
    let (start, end) = (a.min(b), a.max(b));
    let secret = Secret::new(&line[start..end]);
    let path_text = String::from_utf8_lossy(path).into_owned();
    let commit = Arc::new(CommitInfo {
        id: BlobId::of(path).to_hex(),
        author: path_text.clone(),
        email: line.to_owned(),
        date: "2026-01-02T03:04:05+01:00".to_owned(),
        summary: line.to_owned(),
    });
    let origin = match origin % 5 {
        0 => {
            use std::os::unix::ffi::OsStrExt as _;
            Origin::File { path: PathBuf::from(std::ffi::OsStr::from_bytes(path)) }
        }
        1 => Origin::Commit { path: path_text, commit },
        2 => Origin::CommitMessage { commit },
        3 => Origin::Ref { name: path_text, path: line.to_owned() },
        _ => Origin::Staged { path: path_text },
    };
    let rule_id = "fuzz.arbitrary";
    Finding {
        rule_id: rule_id.to_owned(),
        description: line.to_owned(),
        severity: Severity::High,
        origin,
        location: Location {
            line: 1 + seeds.0 % 1000,
            column: start + 1,
            end_line: 1 + seeds.0 % 1000,
            end_column: end + 1,
            byte_start: start,
            byte_end: end,
        },
        fingerprint: Fingerprint::new(rule_id, &secret),
        secret,
        blob_id: BlobId::of(line.as_bytes()),
        entropy: keysentry::detect::shannon(line.as_bytes()),
        line_text: line.to_owned(),
        line_secret_range: (start, end),
        line_other_secrets: vec![(0, start)],
        encoding: None,
        aws: None,
    }
}
