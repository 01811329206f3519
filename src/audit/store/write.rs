//! Writing one repository's scan (inside the transaction [`Store::write_repo`] opens), and
//! masking every secret out of the text that is stored.
//!
//! [`Store::write_repo`]: super::Store::write_repo

use std::collections::HashMap;

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::types::{RepoResult, RepoStatus, RunId, WriteOutcome};
use super::{NOW, stored_location};
use crate::audit::RepoSpec;
use crate::finding::aws::AwsInfo;
use crate::finding::{BlobId, CommitInfo, Finding, Origin};

/// Where a simulated failure stops a write (tests only): every stage is inside the
/// transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// After the repository's row, refs and gaps.
    Refs,
    /// After the blobs.
    Blobs,
    /// After the findings, just before the commit.
    Findings,
}

fn maybe_fail(fail: Option<Stage>, at: Stage) -> rusqlite::Result<()> {
    if fail == Some(at) {
        return Err(rusqlite::Error::ToSqlConversionFailure(
            format!("simulated failure after {at:?}").into(),
        ));
    }
    Ok(())
}

/// Inserts or updates the repository's row; returns its id. `ruleset` and `written` are
/// set by a finished scan (`mark_in_progress` keeps the previous ones).
pub(crate) fn upsert_repo(
    tx: &Transaction<'_>,
    repo: &RepoSpec,
    status: &RepoStatus,
    ruleset: Option<&str>,
    run: RunId,
    written: bool,
) -> rusqlite::Result<i64> {
    let (kind, location) = stored_location(&repo.location);
    let sql = format!(
        "INSERT INTO repos (ident, name, location, location_kind, fork, archived, status,
                            status_reason, ruleset, last_run, scanned_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CASE WHEN ?11 THEN {NOW} END)
         ON CONFLICT (ident) DO UPDATE SET
             name = excluded.name, location = excluded.location,
             location_kind = excluded.location_kind, fork = excluded.fork,
             archived = excluded.archived, status = excluded.status,
             status_reason = excluded.status_reason,
             ruleset = coalesce(excluded.ruleset, ruleset), last_run = excluded.last_run,
             scanned_at = coalesce(excluded.scanned_at, scanned_at)
         RETURNING id"
    );
    tx.prepare_cached(&sql)?.query_row(
        params![
            repo.id,
            repo.name,
            location,
            kind,
            repo.fork,
            repo.archived,
            status.name(),
            status.reason(),
            ruleset,
            run.0,
            written,
        ],
        |r| r.get(0),
    )
}

/// The write itself; see [`Store::write_repo`](super::Store::write_repo).
pub(crate) fn write_repo(
    tx: &Transaction<'_>,
    r: &RepoResult,
    fail: Option<Stage>,
) -> rusqlite::Result<WriteOutcome> {
    let mask = Masker::new(&r.findings);
    let failed = matches!(r.status, RepoStatus::Failed(_));
    // A failed repository was not scanned: the rule set of its last scan stays with the refs.
    let ruleset = (!failed).then_some(r.ruleset.as_str());
    let repo = upsert_repo(tx, &r.repo, &r.status, ruleset, r.run, true)?;
    if !failed {
        for table in ["refs", "gaps", "occurrences"] {
            tx.prepare_cached(&format!("DELETE FROM {table} WHERE repo = ?1"))?.execute([repo])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT INTO refs (repo, name, target) VALUES (?1, ?2, ?3)
                                        ON CONFLICT DO UPDATE SET target = excluded.target",
        )?;
        for (name, target) in &r.refs {
            st.execute(params![repo, mask.text(name), target])?;
        }
        let mut st = tx.prepare_cached(
            "INSERT OR IGNORE INTO gaps (repo, what, reason) VALUES (?1, ?2, ?3)",
        )?;
        for g in &r.gaps {
            st.execute(params![repo, mask.text(&g.what), mask.text(&g.reason)])?;
        }
    }
    maybe_fail(fail, Stage::Refs)?;

    tx.prepare_cached("INSERT OR IGNORE INTO rulesets (version) VALUES (?1)")?
        .execute([&r.ruleset])?;
    let ruleset: i64 = tx
        .prepare_cached("SELECT id FROM rulesets WHERE version = ?1")?
        .query_row([&r.ruleset], |row| row.get(0))?;
    let mut new_blobs = 0;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO blobs (blob, ruleset, run) VALUES (?1, ?2, ?3)",
        )?;
        let mut hex = [0u8; 40];
        for blob in &r.blobs_scanned {
            new_blobs += insert.execute(params![hex_of(blob, &mut hex), ruleset, r.run.0])? as u64;
        }
    }
    forget_matches(tx, &r.blobs_scanned)?;
    maybe_fail(fail, Stage::Blobs)?;

    let first_seen: String = tx
        .prepare_cached("SELECT started FROM runs WHERE id = ?1")?
        .query_row([r.run.0], |row| row.get(0))?;
    let mut ids: HashMap<&str, i64> = HashMap::new();
    let mut new_fingerprints = Vec::new();
    for f in &r.findings {
        let fp = f.fingerprint.as_str();
        let id = match ids.get(fp) {
            Some(&id) => id,
            None => {
                let (id, new) = upsert_finding(tx, f, r.run, &first_seen)?;
                if new {
                    new_fingerprints.push(fp.to_owned());
                }
                ids.insert(fp, id);
                id
            }
        };
        insert_match(tx, id, f, &mask)?;
        insert_occurrence(tx, &f.blob_id, repo, &f.origin, &mask)?;
    }
    for (blob, path, commit) in &r.known_occurrences {
        let origin = Origin::Commit { path: path.clone(), commit: commit.clone() };
        insert_occurrence(tx, blob, repo, &origin, &mask)?;
    }
    maybe_fail(fail, Stage::Findings)?;
    new_fingerprints.sort();
    Ok(WriteOutcome { new_fingerprints, new_blobs })
}

/// Deletes the matches of the blobs scanned again (with another rule set): this scan's
/// findings replace them. Costs the smaller of one lookup per scanned blob and one pass over
/// the blobs that have matches (few, next to all blobs).
fn forget_matches(tx: &Transaction<'_>, scanned: &[BlobId]) -> rusqlite::Result<()> {
    let with_matches: i64 = tx
        .prepare_cached("SELECT count(DISTINCT blob) FROM matches")?
        .query_row([], |r| r.get(0))?;
    let mut forget = tx.prepare_cached("DELETE FROM matches WHERE blob = ?1")?;
    if (with_matches as u64) < scanned.len() as u64 {
        let scanned: std::collections::HashSet<String> =
            scanned.iter().map(BlobId::to_hex).collect();
        let doomed: Vec<String> = tx
            .prepare_cached("SELECT DISTINCT blob FROM matches")?
            .query_map([], |r| r.get::<_, String>(0))?
            .filter(|b| b.as_ref().map_or(true, |b| scanned.contains(b)))
            .collect::<rusqlite::Result<_>>()?;
        for blob in doomed {
            forget.execute([blob])?;
        }
    } else {
        let mut hex = [0u8; 40];
        for blob in scanned {
            forget.execute([hex_of(blob, &mut hex)])?;
        }
    }
    Ok(())
}

fn hex_of<'a>(blob: &BlobId, buf: &'a mut [u8; 40]) -> &'a str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in blob.as_bytes().iter().enumerate() {
        buf[2 * i] = DIGITS[usize::from(b >> 4)];
        buf[2 * i + 1] = DIGITS[usize::from(b & 15)];
    }
    // Hex digits are ASCII.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// The offline AWS facts of a finding as stored: nothing secret (the key id redacted).
struct AwsColumns {
    key_id: Option<String>,
    prefix: Option<&'static str>,
    account: Option<String>,
    account_note: Option<&'static str>,
    tags: Option<String>,
    canary_owner: Option<String>,
}

fn aws_columns(aws: Option<&AwsInfo>) -> AwsColumns {
    let Some(a) = aws else {
        return AwsColumns {
            key_id: None,
            prefix: None,
            account: None,
            account_note: None,
            tags: None,
            canary_owner: None,
        };
    };
    let tags: Vec<&str> = a.tags.iter().map(|t| t.name()).collect();
    AwsColumns {
        key_id: a.key_id.as_ref().map(|k| k.redacted()),
        prefix: a.prefix_class.map(|p| p.prefix()),
        account: a.account.and_then(|d| d.account()).map(|a| a.to_string()),
        account_note: a.account.and_then(|d| d.reason()),
        tags: Some(tags.join(",")),
        canary_owner: a.canary_owner.clone(),
    }
}

/// Inserts the finding, or refreshes what the rules say about it (keeping its triage, first
/// sighting and stored verdict unless this one brings a verdict). Returns its id and whether
/// it is new.
fn upsert_finding(
    tx: &Transaction<'_>,
    f: &Finding,
    run: RunId,
    first_seen: &str,
) -> rusqlite::Result<(i64, bool)> {
    let existing: Option<i64> = tx
        .prepare_cached("SELECT id FROM findings WHERE fingerprint = ?1")?
        .query_row([f.fingerprint.as_str()], |r| r.get(0))
        .optional()?;
    let a = aws_columns(f.aws.as_ref());
    let verdict = f
        .aws
        .as_ref()
        .and_then(|a| a.online.as_ref())
        .and_then(|v| serde_json::to_string(&**v).ok());
    let entropy = if f.entropy.is_finite() { f.entropy } else { 0.0 };
    let sql = format!(
        "INSERT INTO findings (fingerprint, rule_id, description, severity, secret_preview,
             secret_len, entropy, aws_key_id, aws_prefix, aws_account, aws_account_note,
             aws_tags, aws_canary_owner, verdict, verdict_at, first_run, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                 CASE WHEN ?14 IS NOT NULL THEN {NOW} END, ?15, ?16)
         ON CONFLICT (fingerprint) DO UPDATE SET
             rule_id = excluded.rule_id, description = excluded.description,
             severity = excluded.severity, secret_preview = excluded.secret_preview,
             secret_len = excluded.secret_len, entropy = excluded.entropy,
             aws_key_id = excluded.aws_key_id, aws_prefix = excluded.aws_prefix,
             aws_account = excluded.aws_account, aws_account_note = excluded.aws_account_note,
             aws_tags = excluded.aws_tags, aws_canary_owner = excluded.aws_canary_owner,
             verdict = coalesce(excluded.verdict, verdict),
             verdict_at = coalesce(excluded.verdict_at, verdict_at)
         RETURNING id"
    );
    let id = tx.prepare_cached(&sql)?.query_row(
        params![
            f.fingerprint.as_str(),
            f.rule_id,
            f.description,
            severity_name(f.severity),
            f.secret.redacted(),
            f.secret.len() as i64,
            entropy,
            a.key_id,
            a.prefix,
            a.account,
            a.account_note,
            a.tags,
            a.canary_owner,
            verdict,
            run.0,
            first_seen,
        ],
        |r| r.get(0),
    )?;
    Ok((id, existing.is_none()))
}

/// The stored name of a severity.
pub(crate) fn severity_name(s: crate::rules::Severity) -> &'static str {
    use crate::rules::Severity;
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

fn insert_match(tx: &Transaction<'_>, id: i64, f: &Finding, mask: &Masker) -> rusqlite::Result<()> {
    let l = &f.location;
    let mut ranges = f.line_other_secrets.clone();
    ranges.push(f.line_secret_range);
    let line = mask.text(&mask_ranges(&f.line_text, &ranges));
    let pairing = |p: Option<&crate::finding::aws::Paired>| {
        p.and_then(|p| serde_json::to_value(p.by).ok()).and_then(|v| v.as_str().map(str::to_owned))
    };
    let paired = pairing(f.aws.as_ref().and_then(|a| a.paired_secret.as_ref()));
    let token = pairing(f.aws.as_ref().and_then(|a| a.session_token.as_ref()));
    let mut hex = [0u8; 40];
    tx.prepare_cached(
        "INSERT OR IGNORE INTO matches (finding, blob, byte_start, byte_end, line, col,
             end_line, end_col, line_text, line_secret_start, line_secret_end, aws_paired,
             aws_session_token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        id,
        hex_of(&f.blob_id, &mut hex),
        l.byte_start as i64,
        l.byte_end as i64,
        l.line as i64,
        l.column as i64,
        l.end_line as i64,
        l.end_column as i64,
        line,
        f.line_secret_range.0 as i64,
        f.line_secret_range.1 as i64,
        paired,
        token,
    ])?;
    Ok(())
}

fn insert_commit(tx: &Transaction<'_>, c: &CommitInfo, mask: &Masker) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO commits (id, author, email, date, summary)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        c.id,
        mask.text(&c.author),
        mask.text(&c.email),
        c.date,
        mask.text(&c.summary)
    ])?;
    Ok(())
}

fn insert_occurrence(
    tx: &Transaction<'_>,
    blob: &BlobId,
    repo: i64,
    origin: &Origin,
    mask: &Masker,
) -> rusqlite::Result<()> {
    let none = String::new();
    let (kind, commit, path, ref_name, tag_id) = match origin {
        Origin::Commit { path, commit } => ("file", Some(&**commit), path, &none, &none),
        Origin::CommitMessage { commit } => {
            ("commit_message", Some(&**commit), &none, &none, &none)
        }
        Origin::TagMessage { tag, id } => ("tag_message", None, &none, tag, id),
        Origin::Ref { name, path } => ("ref", None, path, name, &none),
        // Not an audit's origins; stored as files without a commit.
        Origin::Staged { path } => ("file", None, path, &none, &none),
        Origin::File { .. } | Origin::Stdin => ("file", None, &none, &none, &none),
    };
    let path = match origin {
        Origin::File { path } => path.to_string_lossy().into_owned(),
        _ => path.clone(),
    };
    if let Some(c) = commit {
        insert_commit(tx, c, mask)?;
    }
    let mut hex = [0u8; 40];
    tx.prepare_cached(
        "INSERT OR IGNORE INTO occurrences (blob, repo, kind, commit_id, path, ref_name, tag_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        hex_of(blob, &mut hex),
        repo,
        kind,
        commit.map(|c| c.id.as_str()).unwrap_or(""),
        mask.text(&path),
        mask.text(ref_name),
        tag_id,
    ])?;
    Ok(())
}

/// `text` with every byte of a character that overlaps one of `ranges` replaced by `*`:
/// the length and every byte offset stay as they were.
pub(crate) fn mask_ranges(text: &str, ranges: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        if ranges.iter().any(|&(s, e)| s < end && i < e) {
            out.extend(std::iter::repeat_n('*', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// Masks the secrets of a repository's findings (and the AWS secrets paired with them)
/// wherever they show in text that is stored: a key pasted into a commit message, a path
/// named after a token.
pub(crate) struct Masker {
    secrets: Vec<String>,
}

/// Secrets shorter than this are not searched for in free text: they would mask ordinary
/// words (their own ranges are still masked).
const MIN_MASKED: usize = 4;

impl Masker {
    pub(crate) fn new(findings: &[Finding]) -> Masker {
        let mut secrets: Vec<String> = Vec::new();
        for f in findings {
            secrets.push(f.secret.expose().to_owned());
            if let Some(a) = &f.aws {
                for p in [&a.paired_secret, &a.session_token].into_iter().flatten() {
                    secrets.push(p.value.expose().to_owned());
                }
                if let Some(k) = &a.key_id {
                    secrets.push(k.expose().to_owned());
                }
            }
        }
        secrets.retain(|s| s.len() >= MIN_MASKED);
        // Longest first, so that a secret containing another is masked whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Masker { secrets }
    }

    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), &"*".repeat(s.len()));
            }
        }
        out
    }
}
