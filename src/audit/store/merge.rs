//! Merging shard datastores into one ([`merge`]).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Transaction, params};

use super::{APPLICATION_ID, SCHEMA_VERSION, Store, StoreError, schema};

/// Combines the datastores `inputs` into a new one at `output` (which must not exist):
/// rule sets, blobs, commits and findings are deduplicated by their natural keys; a finding
/// triaged in several inputs keeps the newest triage (by the time it was set), and likewise
/// the newest online verdict, with its first sighting the earliest; matches are united; a
/// repository comes from the input that wrote it last (its refs, gaps and occurrences with
/// it); every run is copied, with a new id. The inputs are only read.
///
/// The output is written as `OUTPUT.merging` and renamed when complete: a merge that fails
/// (the error says which input) or is killed leaves no `output`.
///
/// # Errors
/// [`StoreError::Invalid`] when `output` exists or an input is missing; the errors of
/// [`Store::open`] for an input that is not a datastore of this schema version; when SQLite
/// fails.
pub fn merge(inputs: &[PathBuf], output: &Path) -> Result<(), StoreError> {
    if output.exists() {
        return Err(StoreError::Invalid(format!(
            "{}: exists; merge writes a new datastore",
            output.display()
        )));
    }
    for input in inputs {
        check_input(input)?;
    }
    // Written under another name and renamed when whole: a merge that is killed or fails
    // leaves no output that looks like a finished one.
    let mut partial = output.as_os_str().to_owned();
    partial.push(".merging");
    let partial = PathBuf::from(partial);
    remove_db(&partial);
    let result = merge_into(inputs, &partial);
    if result.is_ok() {
        if let Err(e) = std::fs::rename(&partial, output) {
            remove_db(&partial);
            return Err(StoreError::Invalid(format!("cannot write {}: {e}", output.display())));
        }
    } else {
        remove_db(&partial);
    }
    result
}

fn merge_into(inputs: &[PathBuf], partial: &Path) -> Result<(), StoreError> {
    let mut store = Store::open(partial)?;
    for input in inputs {
        merge_one(&mut store.conn, input).map_err(|e| StoreError::sql(input, e))?;
    }
    // Closing the only connection folds the log into the file and removes it.
    store.conn.close().map_err(|(_, e)| StoreError::sql(partial, e))
}

/// Removes a datastore file with its log and shared memory, where they exist.
fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Refuses an input that is not a datastore of this binary's schema version, without
/// writing to it.
fn check_input(input: &Path) -> Result<(), StoreError> {
    if !input.is_file() {
        return Err(StoreError::Invalid(format!("{}: no such datastore file", input.display())));
    }
    let e = |e| StoreError::sql(input, e);
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(input, flags).map_err(e)?;
    let version = schema::version(&conn).map_err(e)?;
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(e)?;
    if app != APPLICATION_ID {
        return Err(StoreError::Foreign { path: input.to_owned() });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: input.to_owned(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    if version < SCHEMA_VERSION {
        return Err(StoreError::Invalid(format!(
            "{}: schema version {version}; open it once with this keysentry (keysentry triage \
             or report) to migrate it, then merge",
            input.display()
        )));
    }
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(e)?;
    if check != "ok" {
        return Err(StoreError::Corrupt { path: input.to_owned(), detail: check });
    }
    Ok(())
}

fn merge_one(conn: &mut Connection, input: &Path) -> rusqlite::Result<()> {
    let Some(name) = input.to_str() else {
        return Err(rusqlite::Error::InvalidPath(input.to_owned()));
    };
    conn.execute("ATTACH DATABASE ?1 AS src", [name])?;
    let result = conn.transaction().and_then(|tx| {
        merge_attached(&tx)?;
        tx.commit()
    });
    let detached = conn.execute("DETACH DATABASE src", []);
    result.and(detached.map(|_| ()))
}

fn merge_attached(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DROP TABLE IF EXISTS temp.run_map;
         CREATE TEMP TABLE run_map (old INTEGER PRIMARY KEY, new INTEGER NOT NULL);",
    )?;
    {
        let mut runs = tx.prepare(
            "SELECT id, started, finished, ruleset, repos_complete, repos_incomplete,
                    repos_failed, repos_unchanged, blobs_scanned, blobs_skipped, findings_new
             FROM src.runs ORDER BY id",
        )?;
        let mut insert = tx.prepare(
            "INSERT INTO main.runs (started, finished, ruleset, repos_complete,
                 repos_incomplete, repos_failed, repos_unchanged, blobs_scanned, blobs_skipped,
                 findings_new)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut map = tx.prepare("INSERT INTO temp.run_map (old, new) VALUES (?1, ?2)")?;
        let mut rows = runs.query([])?;
        while let Some(r) = rows.next()? {
            let v = |i| r.get::<_, rusqlite::types::Value>(i);
            insert.execute(params![
                v(1)?,
                v(2)?,
                v(3)?,
                v(4)?,
                v(5)?,
                v(6)?,
                v(7)?,
                v(8)?,
                v(9)?,
                v(10)?
            ])?;
            map.execute(params![r.get::<_, i64>(0)?, tx.last_insert_rowid()])?;
        }
    }
    tx.execute_batch(
        "INSERT OR IGNORE INTO main.rulesets (version) SELECT version FROM src.rulesets;
         INSERT OR IGNORE INTO main.commits SELECT id, author, email, date, summary
             FROM src.commits;
         INSERT OR IGNORE INTO main.blobs (blob, ruleset, run)
             SELECT b.blob, mr.id, rm.new FROM src.blobs b
             JOIN src.rulesets sr ON sr.id = b.ruleset
             JOIN main.rulesets mr ON mr.version = sr.version
             LEFT JOIN temp.run_map rm ON rm.old = b.run;
         INSERT INTO main.findings (fingerprint, rule_id, description, severity,
                 secret_preview, secret_len, entropy, aws_key_id, aws_prefix, aws_account,
                 aws_account_note, aws_tags, aws_canary_owner, verdict, verdict_at,
                 triage_status, triage_note, triage_by, triage_at, first_run, first_seen)
             SELECT f.fingerprint, f.rule_id, f.description, f.severity, f.secret_preview,
                 f.secret_len, f.entropy, f.aws_key_id, f.aws_prefix, f.aws_account,
                 f.aws_account_note, f.aws_tags, f.aws_canary_owner, f.verdict, f.verdict_at,
                 f.triage_status, f.triage_note, f.triage_by, f.triage_at, rm.new, f.first_seen
             FROM src.findings f LEFT JOIN temp.run_map rm ON rm.old = f.first_run
             WHERE true
             ON CONFLICT (fingerprint) DO UPDATE SET
                 triage_status = CASE WHEN excluded.triage_at > coalesce(triage_at, '')
                     THEN excluded.triage_status ELSE triage_status END,
                 triage_note = CASE WHEN excluded.triage_at > coalesce(triage_at, '')
                     THEN excluded.triage_note ELSE triage_note END,
                 triage_by = CASE WHEN excluded.triage_at > coalesce(triage_at, '')
                     THEN excluded.triage_by ELSE triage_by END,
                 triage_at = CASE WHEN excluded.triage_at > coalesce(triage_at, '')
                     THEN excluded.triage_at ELSE triage_at END,
                 verdict = CASE WHEN excluded.verdict_at > coalesce(verdict_at, '')
                     THEN excluded.verdict ELSE verdict END,
                 verdict_at = CASE WHEN excluded.verdict_at > coalesce(verdict_at, '')
                     THEN excluded.verdict_at ELSE verdict_at END,
                 first_run = CASE WHEN excluded.first_seen < first_seen
                     THEN excluded.first_run ELSE first_run END,
                 first_seen = min(first_seen, excluded.first_seen);
         INSERT OR IGNORE INTO main.matches
             SELECT mf.id, m.blob, m.byte_start, m.byte_end, m.line, m.col, m.end_line,
                 m.end_col, m.line_text, m.line_secret_start, m.line_secret_end, m.aws_paired,
                 m.aws_session_token
             FROM src.matches m JOIN src.findings sf ON sf.id = m.finding
             JOIN main.findings mf ON mf.fingerprint = sf.fingerprint;",
    )?;
    merge_repos(tx)
}

/// Takes each repository of `src` that `main` lacks or holds from an earlier write.
fn merge_repos(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut repos = tx.prepare(
        "SELECT s.id, s.ident, s.scanned_at, s.status FROM src.repos s ORDER BY s.ident",
    )?;
    let mut current = tx.prepare("SELECT scanned_at, status FROM main.repos WHERE ident = ?1")?;
    let mut upsert = tx.prepare(
        "INSERT INTO main.repos (ident, name, location, location_kind, fork, archived, status,
             status_reason, ruleset, last_run, scanned_at)
         SELECT s.ident, s.name, s.location, s.location_kind, s.fork, s.archived, s.status,
             s.status_reason, s.ruleset, rm.new, s.scanned_at
         FROM src.repos s LEFT JOIN temp.run_map rm ON rm.old = s.last_run WHERE s.id = ?1
         ON CONFLICT (ident) DO UPDATE SET
             name = excluded.name, location = excluded.location,
             location_kind = excluded.location_kind, fork = excluded.fork,
             archived = excluded.archived, status = excluded.status,
             status_reason = excluded.status_reason, ruleset = excluded.ruleset,
             last_run = excluded.last_run, scanned_at = excluded.scanned_at
         RETURNING id",
    )?;
    let rows: Vec<(i64, String, Option<String>, String)> = repos
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (src_id, ident, scanned_at, status) in rows {
        let have: Option<(Option<String>, String)> =
            current.query_row([&ident], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        // Written last wins; a repository only marked in progress (never written) loses to
        // a written one. Ties go to the better status, so the result does not depend on the
        // order of the inputs.
        let take = match have {
            None => true,
            Some((at, st)) => (&scanned_at, rank(&status)) > (&at, rank(&st)),
        };
        if !take {
            continue;
        }
        let id: i64 = upsert.query_row([src_id], |r| r.get(0))?;
        for table in ["refs", "gaps", "occurrences"] {
            tx.execute(&format!("DELETE FROM main.{table} WHERE repo = ?1"), [id])?;
        }
        tx.execute(
            "INSERT INTO main.refs SELECT ?1, name, target FROM src.refs WHERE repo = ?2",
            [id, src_id],
        )?;
        tx.execute(
            "INSERT INTO main.gaps SELECT ?1, what, reason FROM src.gaps WHERE repo = ?2",
            [id, src_id],
        )?;
        tx.execute(
            "INSERT INTO main.occurrences SELECT blob, ?1, kind, commit_id, path, ref_name,
                 tag_id FROM src.occurrences WHERE repo = ?2",
            [id, src_id],
        )?;
    }
    Ok(())
}

fn rank(status: &str) -> u8 {
    match status {
        "complete" => 3,
        "incomplete" => 2,
        "failed" => 1,
        _ => 0,
    }
}
