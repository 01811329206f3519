//! The read side: repository states for the unchanged check, and findings, repositories and
//! runs for reports.

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use super::types::{
    FindingFilter, Gap, RepoState, RepoStatus, RunCounts, RunId, Since, StoredAws, StoredFinding,
    StoredMatch, StoredOccurrence, StoredRepo, StoredRun, Triage,
};
use crate::finding::{CommitInfo, Location};
use crate::rules::Severity;

fn status_of(name: &str, reason: Option<String>) -> RepoStatus {
    match name {
        "complete" => RepoStatus::Complete,
        "incomplete" => RepoStatus::Incomplete,
        "failed" => RepoStatus::Failed(reason.unwrap_or_default()),
        // The schema's CHECK admits nothing else.
        _ => RepoStatus::InProgress,
    }
}

fn refs_of(conn: &Connection, repo: i64) -> rusqlite::Result<Vec<(String, String)>> {
    conn.prepare_cached("SELECT name, target FROM refs WHERE repo = ?1 ORDER BY name")?
        .query_map([repo], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

pub(crate) fn repo_state(conn: &Connection, ident: &str) -> rusqlite::Result<Option<RepoState>> {
    let row = conn
        .prepare_cached("SELECT id, status, status_reason, ruleset FROM repos WHERE ident = ?1")?
        .query_row([ident], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((id, status, reason, ruleset)) = row else { return Ok(None) };
    Ok(Some(RepoState { status: status_of(&status, reason), refs: refs_of(conn, id)?, ruleset }))
}

pub(crate) fn repos(conn: &Connection) -> rusqlite::Result<Vec<StoredRepo>> {
    let mut st = conn.prepare_cached(
        "SELECT r.id, r.ident, r.name, r.location, r.location_kind, r.fork, r.archived,
                r.status, r.status_reason, r.last_run, r.scanned_at,
                (SELECT count(DISTINCT m.finding) FROM occurrences o
                   JOIN matches m ON m.blob = o.blob WHERE o.repo = r.id)
         FROM repos r ORDER BY r.ident",
    )?;
    let rows: Vec<(i64, StoredRepo)> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                StoredRepo {
                    id: r.get(1)?,
                    name: r.get(2)?,
                    location: r.get(3)?,
                    location_kind: r.get(4)?,
                    fork: r.get(5)?,
                    archived: r.get(6)?,
                    status: status_of(&r.get::<_, String>(7)?, r.get(8)?),
                    last_run: r.get::<_, Option<i64>>(9)?.map(RunId),
                    scanned_at: r.get(10)?,
                    refs: Vec::new(),
                    gaps: Vec::new(),
                    findings: r.get::<_, i64>(11)? as u64,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut gaps =
        conn.prepare_cached("SELECT what, reason FROM gaps WHERE repo = ?1 ORDER BY what, reason")?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, mut repo) in rows {
        repo.refs = refs_of(conn, id)?;
        repo.gaps = gaps
            .query_map([id], |r| Ok(Gap { what: r.get(0)?, reason: r.get(1)? }))?
            .collect::<rusqlite::Result<_>>()?;
        out.push(repo);
    }
    Ok(out)
}

pub(crate) fn runs(conn: &Connection) -> rusqlite::Result<Vec<StoredRun>> {
    conn.prepare_cached(
        "SELECT id, started, finished, ruleset, repos_complete, repos_incomplete, repos_failed,
                repos_unchanged, blobs_scanned, blobs_skipped, findings_new
         FROM runs ORDER BY id",
    )?
    .query_map([], |r| {
        let n = |i| r.get::<_, i64>(i).map(|v| v as u64);
        Ok(StoredRun {
            id: RunId(r.get(0)?),
            started: r.get(1)?,
            finished: r.get(2)?,
            ruleset: r.get(3)?,
            counts: RunCounts {
                repos_complete: n(4)?,
                repos_incomplete: n(5)?,
                repos_failed: n(6)?,
                repos_unchanged: n(7)?,
                blobs_scanned: n(8)?,
                blobs_skipped: n(9)?,
                findings_new: n(10)?,
            },
        })
    })?
    .collect()
}

pub(crate) fn severity_of(name: &str) -> Severity {
    match name {
        "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "critical" => Severity::Critical,
        _ => Severity::High,
    }
}

fn finding_of(r: &Row<'_>) -> rusqlite::Result<StoredFinding> {
    let prefix: Option<String> = r.get(9)?;
    let tags: Option<String> = r.get(13)?;
    let aws = tags.map(|tags| -> rusqlite::Result<StoredAws> {
        Ok(StoredAws {
            key_id_redacted: r.get(8)?,
            prefix_class: prefix.clone(),
            account: r.get(10)?,
            account_note: r.get(11)?,
            tags: tags.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
            canary_owner: r.get(12)?,
        })
    });
    let status: String = r.get(16)?;
    Ok(StoredFinding {
        id: r.get(0)?,
        fingerprint: r.get(1)?,
        rule_id: r.get(2)?,
        description: r.get(3)?,
        severity: severity_of(&r.get::<_, String>(4)?),
        secret_preview: r.get(5)?,
        secret_len: r.get::<_, i64>(6)? as usize,
        entropy: r.get(7)?,
        aws: aws.transpose()?,
        verdict: r.get(14)?,
        verdict_at: r.get(15)?,
        triage: Triage {
            status: status.parse().unwrap_or_default(),
            note: r.get(17)?,
            by: r.get(18)?,
            at: r.get(19)?,
        },
        first_run: RunId(r.get::<_, Option<i64>>(20)?.unwrap_or(0)),
        first_seen: r.get(21)?,
        matches: Vec::new(),
    })
}

/// The findings' columns, in the order [`finding_of`] reads them.
const FINDING_COLUMNS: &str = "f.id, f.fingerprint, f.rule_id, f.description, f.severity,
    f.secret_preview, f.secret_len, f.entropy, f.aws_key_id, f.aws_prefix, f.aws_account,
    f.aws_account_note, f.aws_canary_owner, f.aws_tags, f.verdict, f.verdict_at,
    f.triage_status, f.triage_note, f.triage_by, f.triage_at, f.first_run, f.first_seen";

/// The repository condition: `?1` is null, or the repository's identity or name.
const REPO_MATCHES: &str = "(?1 IS NULL OR r.ident = ?1 OR r.name = ?1)";

pub(crate) fn findings(
    conn: &Connection,
    filter: &FindingFilter,
) -> rusqlite::Result<Vec<StoredFinding>> {
    let (since_run, since_time) = match &filter.since {
        None => (None, None),
        Some(Since::Run(run)) => (Some(run.0), None),
        Some(Since::Time(t)) => (None, Some(t.as_str())),
    };
    let sql = format!(
        "SELECT {FINDING_COLUMNS} FROM findings f
         WHERE (?2 IS NULL OR f.rule_id = ?2)
           AND (?3 IS NULL OR f.triage_status = ?3)
           AND (?4 IS NULL OR f.first_run >= ?4)
           AND (?5 IS NULL OR f.first_seen >= ?5)
           AND EXISTS (SELECT 1 FROM matches m JOIN occurrences o ON o.blob = m.blob
                       JOIN repos r ON r.id = o.repo
                       WHERE m.finding = f.id AND {REPO_MATCHES})
         ORDER BY f.id"
    );
    let mut found: Vec<StoredFinding> = conn
        .prepare_cached(&sql)?
        .query_map(
            params![
                filter.repo,
                filter.rule,
                filter.status.map(|s| s.name()),
                since_run,
                since_time
            ],
            finding_of,
        )?
        .collect::<rusqlite::Result<_>>()?;
    for f in &mut found {
        f.matches = matches(conn, f.id, filter.repo.as_deref())?;
    }
    Ok(found)
}

fn matches(
    conn: &Connection,
    finding: i64,
    repo: Option<&str>,
) -> rusqlite::Result<Vec<StoredMatch>> {
    let mut st = conn.prepare_cached(
        "SELECT blob, byte_start, byte_end, line, col, end_line, end_col, line_text,
                line_secret_start, line_secret_end, aws_paired, aws_session_token
         FROM matches WHERE finding = ?1 ORDER BY blob, byte_start, byte_end",
    )?;
    let mut out: Vec<StoredMatch> = st
        .query_map([finding], |r| {
            let u = |i| r.get::<_, i64>(i).map(|v| v as usize);
            Ok(StoredMatch {
                blob: r.get(0)?,
                location: Location {
                    byte_start: u(1)?,
                    byte_end: u(2)?,
                    line: u(3)?,
                    column: u(4)?,
                    end_line: u(5)?,
                    end_column: u(6)?,
                },
                line_text: r.get(7)?,
                line_secret_range: (u(8)?, u(9)?),
                aws_paired: r.get(10)?,
                aws_session_token: r.get(11)?,
                occurrences: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for m in &mut out {
        m.occurrences = occurrences(conn, &m.blob, repo)?;
    }
    out.retain(|m| !m.occurrences.is_empty());
    Ok(out)
}

fn occurrences(
    conn: &Connection,
    blob: &str,
    repo: Option<&str>,
) -> rusqlite::Result<Vec<StoredOccurrence>> {
    let sql = format!(
        "SELECT r.ident, r.name, o.kind, o.path, o.ref_name, o.tag_id,
                c.id, c.author, c.email, c.date, c.summary
         FROM occurrences o JOIN repos r ON r.id = o.repo
         LEFT JOIN commits c ON c.id = o.commit_id AND o.commit_id != ''
         WHERE o.blob = ?2 AND {REPO_MATCHES}"
    );
    let mut out: Vec<StoredOccurrence> = conn
        .prepare_cached(&sql)?
        .query_map(params![repo, blob], |r| {
            let commit = match r.get::<_, Option<String>>(6)? {
                Some(id) => Some(CommitInfo {
                    id,
                    author: r.get(7)?,
                    email: r.get(8)?,
                    date: r.get(9)?,
                    summary: r.get(10)?,
                }),
                None => None,
            };
            Ok(StoredOccurrence {
                repo_id: r.get(0)?,
                repo_name: r.get(1)?,
                kind: r.get(2)?,
                commit,
                path: r.get(3)?,
                ref_name: r.get(4)?,
                tag_id: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    out.sort();
    Ok(out)
}
