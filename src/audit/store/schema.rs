//! The schema and its migrations.
//!
//! `PRAGMA user_version` holds the schema version: 0 for a new file, `n` once the first `n`
//! migrations ran. Each migration runs in its own transaction with the version bump, so a
//! migration that fails (or a process killed during one) leaves the previous version whole.
//! A file with a newer version than this binary knows is refused, never written.

use rusqlite::{Connection, TransactionBehavior};

/// The schema version this binary writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The migrations, in order: `MIGRATIONS[i]` takes version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1];

/// Version 1. Natural keys everywhere results are compared or merged: a blob by its id, a
/// finding by its fingerprint, a repository by its identity, a commit by its id. Text holds
/// no secret: previews are redacted and line texts masked.
const V1: &str = "
CREATE TABLE rulesets (
    id      INTEGER PRIMARY KEY,
    version TEXT NOT NULL UNIQUE
);
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    started          TEXT NOT NULL,
    finished         TEXT,
    ruleset          TEXT NOT NULL,
    repos_complete   INTEGER NOT NULL DEFAULT 0,
    repos_incomplete INTEGER NOT NULL DEFAULT 0,
    repos_failed     INTEGER NOT NULL DEFAULT 0,
    repos_unchanged  INTEGER NOT NULL DEFAULT 0,
    blobs_scanned    INTEGER NOT NULL DEFAULT 0,
    blobs_skipped    INTEGER NOT NULL DEFAULT 0,
    findings_new     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE repos (
    id            INTEGER PRIMARY KEY,
    ident         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    location      TEXT NOT NULL,
    location_kind TEXT NOT NULL CHECK (location_kind IN ('local', 'remote')),
    fork          INTEGER NOT NULL DEFAULT 0,
    archived      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL
                  CHECK (status IN ('complete', 'incomplete', 'failed', 'in_progress')),
    status_reason TEXT,
    ruleset       TEXT,
    last_run      INTEGER REFERENCES runs(id),
    scanned_at    TEXT
);
CREATE TABLE refs (
    repo   INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (repo, name)
) WITHOUT ROWID;
CREATE TABLE gaps (
    repo   INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    what   TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (repo, what, reason)
) WITHOUT ROWID;
CREATE TABLE blobs (
    blob    TEXT NOT NULL,
    ruleset INTEGER NOT NULL REFERENCES rulesets(id),
    run     INTEGER REFERENCES runs(id),
    PRIMARY KEY (blob, ruleset)
) WITHOUT ROWID;
CREATE TABLE commits (
    id      TEXT PRIMARY KEY,
    author  TEXT NOT NULL,
    email   TEXT NOT NULL,
    date    TEXT NOT NULL,
    summary TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE findings (
    id                 INTEGER PRIMARY KEY,
    fingerprint        TEXT NOT NULL UNIQUE,
    rule_id            TEXT NOT NULL,
    description        TEXT NOT NULL,
    severity           TEXT NOT NULL,
    secret_preview     TEXT NOT NULL,
    secret_len         INTEGER NOT NULL,
    entropy            REAL NOT NULL,
    aws_key_id         TEXT,
    aws_prefix         TEXT,
    aws_account        TEXT,
    aws_account_note   TEXT,
    aws_tags           TEXT,
    aws_canary_owner   TEXT,
    verdict            TEXT,
    verdict_at         TEXT,
    triage_status      TEXT NOT NULL DEFAULT 'open'
                       CHECK (triage_status IN ('open', 'false_positive', 'accepted', 'revoked')),
    triage_note        TEXT,
    triage_by          TEXT,
    triage_at          TEXT,
    first_run          INTEGER REFERENCES runs(id),
    first_seen         TEXT NOT NULL
);
CREATE INDEX findings_rule ON findings(rule_id);
CREATE INDEX findings_account ON findings(aws_account);
CREATE TABLE matches (
    finding           INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    blob              TEXT NOT NULL,
    byte_start        INTEGER NOT NULL,
    byte_end          INTEGER NOT NULL,
    line              INTEGER NOT NULL,
    col               INTEGER NOT NULL,
    end_line          INTEGER NOT NULL,
    end_col           INTEGER NOT NULL,
    line_text         TEXT NOT NULL,
    line_secret_start INTEGER NOT NULL,
    line_secret_end   INTEGER NOT NULL,
    aws_paired        TEXT,
    aws_session_token TEXT,
    PRIMARY KEY (finding, blob, byte_start, byte_end)
) WITHOUT ROWID;
CREATE INDEX matches_blob ON matches(blob);
CREATE TABLE occurrences (
    blob      TEXT NOT NULL,
    repo      INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('file', 'commit_message', 'tag_message', 'ref')),
    commit_id TEXT NOT NULL DEFAULT '',
    path      TEXT NOT NULL DEFAULT '',
    ref_name  TEXT NOT NULL DEFAULT '',
    tag_id    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (blob, repo, kind, commit_id, path, ref_name, tag_id)
) WITHOUT ROWID;
CREATE INDEX occurrences_repo ON occurrences(repo);
";

/// The version of the schema in `conn`.
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Why migrating failed.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The file's schema is newer than `migrations` knows.
    TooNew(u32),
    /// SQLite failed (the migration that failed is rolled back).
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> MigrateError {
        MigrateError::Sql(e)
    }
}

/// Brings `conn` to version `migrations.len()`, applying the missing migrations in order,
/// each in its own immediate transaction with its version bump. Returns the version found.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<u32, MigrateError> {
    let found = version(conn)?;
    let known = migrations.len() as u32;
    if found > known {
        return Err(MigrateError::TooNew(found));
    }
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated between the read and the lock.
        if version(&tx)? > i as u32 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_V2: &str = "ALTER TABLE repos ADD COLUMN test_note TEXT;
                           UPDATE repos SET test_note = 'migrated';";

    fn tables(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn issue_15_an_empty_db_is_migrated_to_the_current_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, MIGRATIONS).unwrap(), 0);
        assert_eq!(version(&conn).unwrap(), SCHEMA_VERSION);
        assert!(tables(&conn).contains(&"findings".to_owned()));
        // Idempotent: a second open applies nothing.
        assert_eq!(migrate(&mut conn, MIGRATIONS).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn issue_15_migrations_apply_in_order_from_the_found_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[V1]).unwrap();
        conn.execute(
            "INSERT INTO repos (ident, name, location, location_kind, status)
             VALUES ('r', 'r', '/r', 'local', 'complete')",
            [],
        )
        .unwrap();
        // Version 1 found: only the second migration runs, on the existing rows.
        assert_eq!(migrate(&mut conn, &[V1, TEST_V2]).unwrap(), 1);
        assert_eq!(version(&conn).unwrap(), 2);
        let note: String = conn.query_row("SELECT test_note FROM repos", [], |r| r.get(0)).unwrap();
        assert_eq!(note, "migrated");
    }

    #[test]
    fn issue_15_a_failing_migration_leaves_the_previous_version_whole() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, &[V1]).unwrap();
        let broken = "ALTER TABLE repos ADD COLUMN half TEXT; THIS IS NOT SQL;";
        assert!(matches!(migrate(&mut conn, &[V1, broken]), Err(MigrateError::Sql(_))));
        assert_eq!(version(&conn).unwrap(), 1);
        // The statement before the error was rolled back with it.
        let cols: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('repos') WHERE name = 'half'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cols, 0);
    }

    #[test]
    fn issue_15_a_newer_schema_is_refused_untouched() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        assert!(
            matches!(migrate(&mut conn, MIGRATIONS), Err(MigrateError::TooNew(v)) if v == SCHEMA_VERSION + 1)
        );
        assert!(tables(&conn).is_empty());
    }
}
