//! The audit's datastore: one SQLite file (bundled SQLite, write-ahead log) holding runs,
//! repositories with their refs and status, the blobs scanned with the rule-set version that
//! scanned them, findings with every match and occurrence, and triage.
//!
//! - **Never a secret.** Findings keep the redacted preview, line texts have every secret
//!   range masked, and any secret of a repository's findings that shows in the free text
//!   stored with it (commit summaries, paths, gap reasons) is masked too. What needs the
//!   secret later (online verification) re-reads the blob: the repository's location, the blob
//!   id and the byte range are stored.
//! - **One transaction per repository** ([`Store::write_repo`]): a killed process loses at
//!   most the repository in flight, and the file is never left half-written.
//! - **Natural keys** (blob id, fingerprint, repository identity, commit id), so datastores
//!   of separate runs compare ([`Store::dump_logical`]) and merge ([`merge`]).
//! - **Versioned schema** (`PRAGMA user_version`, [`SCHEMA_VERSION`]), migrated on open; a
//!   newer file is refused.
//!
//! `docs/audit.md` ("Datastore") documents every table for people querying with `sqlite3`.

mod dump;
mod error;
mod index;
mod location;
mod merge;
mod read;
mod schema;
mod triage;
mod types;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use error::StoreError;
pub use index::BlobIndex;
pub use merge::merge;
pub use schema::SCHEMA_VERSION;
pub use types::{
    FindingFilter, FindingSelector, Gap, KnownOccurrence, RepoResult, RepoState, RepoStatus,
    RunCounts, RunId, Since, StoredAws, StoredFinding, StoredMatch, StoredOccurrence, StoredRepo,
    StoredRun, Triage, TriageStatus, WriteOutcome,
};

use crate::audit::RepoSpec;
pub(crate) use location::stored_location;

/// `PRAGMA application_id` of a keysentry datastore ("KSAD"): a SQLite file of another
/// program is refused rather than written into.
const APPLICATION_ID: i32 = 0x4b53_4144;

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The current time as stored: RFC 3339, UTC, milliseconds (fixed width, so text order is
/// time order).
pub(crate) const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// An open datastore, for one writer (the audit's main thread, `keysentry triage`,
/// `keysentry merge`). Worker threads look blobs up through a [`BlobIndex`].
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    #[cfg(test)]
    fail_write: Option<write::Stage>,
}

impl Store {
    /// Opens the datastore at `path`, creating it if it does not exist and migrating it to
    /// [`SCHEMA_VERSION`] if it is older.
    ///
    /// # Errors
    /// [`StoreError::NotADatabase`] for a file that is not SQLite, [`StoreError::Corrupt`] for
    /// a damaged one, [`StoreError::Foreign`] for another program's database,
    /// [`StoreError::TooNew`] for a newer schema (the file is not touched), and
    /// [`StoreError::Sqlite`] when SQLite fails otherwise (a directory, no permission).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, schema::MIGRATIONS)
    }

    fn open_with(path: &Path, migrations: &[&str]) -> Result<Store, StoreError> {
        let e = |e| StoreError::sql(path, e);
        if path.is_dir() {
            return Err(StoreError::Invalid(format!(
                "{}: is a directory, not a datastore file",
                path.display()
            )));
        }
        // No URI interpretation: the path is a path.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(e)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        // The first read of the file: a file that is not SQLite fails here.
        let found = schema::version(&conn).map_err(e)?;
        let objects: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(e)?;
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(e)?;
        if (found == 0 && objects > 0) || (found > 0 && app != APPLICATION_ID) {
            return Err(StoreError::Foreign { path: path.to_owned() });
        }
        let mode: String =
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(e)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Invalid(format!(
                "{}: cannot use the write-ahead log (journal mode {mode})",
                path.display()
            )));
        }
        // In WAL mode, NORMAL loses no committed transaction to a killed process (only to
        // a power loss) and the file stays consistent either way.
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(e)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(e)?;
        conn.set_prepared_statement_cache_capacity(64);
        match schema::migrate(&mut conn, migrations) {
            Ok(_) => {}
            Err(schema::MigrateError::TooNew(found)) => {
                return Err(StoreError::TooNew {
                    path: path.to_owned(),
                    found,
                    known: migrations.len() as u32,
                });
            }
            Err(schema::MigrateError::Sql(err)) => return Err(e(err)),
        }
        if found == 0 {
            conn.pragma_update(None, "application_id", APPLICATION_ID).map_err(e)?;
        }
        Ok(Store {
            conn,
            path: path.to_owned(),
            #[cfg(test)]
            fail_write: None,
        })
    }

    /// Opens an existing datastore for reading only (a report on a file it may not write):
    /// nothing is created or migrated, and writes through it fail.
    ///
    /// # Errors
    /// As [`Store::open`], and [`StoreError::Invalid`] for a missing file or an older schema
    /// (which needs [`Store::open`] to migrate it).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let e = |e| StoreError::sql(path, e);
        if !path.is_file() {
            return Err(StoreError::Invalid(format!("{}: no such datastore file", path.display())));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(e)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        let found = schema::version(&conn).map_err(e)?;
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(e)?;
        if app != APPLICATION_ID {
            return Err(StoreError::Foreign { path: path.to_owned() });
        }
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path: path.to_owned(), found, known: SCHEMA_VERSION });
        }
        if found < SCHEMA_VERSION {
            return Err(StoreError::Invalid(format!(
                "{}: schema version {found}; open it for writing once to migrate it",
                path.display()
            )));
        }
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
            .map_err(e)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Store {
            conn,
            path: path.to_owned(),
            #[cfg(test)]
            fail_write: None,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sql(&self.path, e)
    }

    /// Starts a run with rule-set version `ruleset`; its start time is now.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn begin_run(&mut self, ruleset: &str) -> Result<RunId, StoreError> {
        self.conn
            .prepare_cached(&format!("INSERT INTO runs (started, ruleset) VALUES ({NOW}, ?1)"))
            .and_then(|mut st| st.execute([ruleset]))
            .map_err(|e| self.err(e))?;
        Ok(RunId(self.conn.last_insert_rowid()))
    }

    /// Records that `run` finished, with what it did.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an unknown run; when SQLite fails.
    pub fn finish_run(&mut self, run: RunId, counts: &RunCounts) -> Result<(), StoreError> {
        let c = counts;
        let n = self
            .conn
            .prepare_cached(&format!(
                "UPDATE runs SET finished = {NOW}, repos_complete = ?2, repos_incomplete = ?3,
                 repos_failed = ?4, repos_unchanged = ?5, blobs_scanned = ?6,
                 blobs_skipped = ?7, findings_new = ?8 WHERE id = ?1"
            ))
            .and_then(|mut st| {
                st.execute(rusqlite::params![
                    run.0,
                    c.repos_complete as i64,
                    c.repos_incomplete as i64,
                    c.repos_failed as i64,
                    c.repos_unchanged as i64,
                    c.blobs_scanned as i64,
                    c.blobs_skipped as i64,
                    c.findings_new as i64,
                ])
            })
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("no run {run} in the datastore")));
        }
        Ok(())
    }

    /// What the datastore holds about the repository with identity `id` (`RepoSpec::id`):
    /// `None` if it never saw it.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn repo_state(&self, id: &str) -> Result<Option<RepoState>, StoreError> {
        read::repo_state(&self.conn, id).map_err(|e| self.err(e))
    }

    /// Marks `repo` in progress in `run`, in its own transaction, before its scan starts. Its
    /// refs, occurrences and gaps from an earlier scan stay until [`Store::write_repo`]
    /// replaces them; a killed run leaves it in progress, and the next run scans it again.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn mark_in_progress(&mut self, repo: &RepoSpec, run: RunId) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(|e| StoreError::sql(&self.path, e))?;
        write::upsert_repo(&tx, repo, &RepoStatus::InProgress, None, run, false)
            .and_then(|_| tx.commit())
            .map_err(|e| StoreError::sql(&self.path, e))
    }

    /// A blob index for the scan's worker threads, with `connections` read-only connections
    /// of its own (at least one).
    ///
    /// # Errors
    /// When SQLite cannot open the file again.
    pub fn blob_index(&self, connections: usize) -> Result<BlobIndex, StoreError> {
        BlobIndex::open(&self.path, connections.max(1))
    }

    /// Writes one repository's scan in one transaction: its status, refs, the blobs scanned,
    /// the findings with their matches and occurrences, the occurrences of known blobs with
    /// findings, and its gaps. The repository's previous refs, gaps and occurrences are
    /// replaced (a failed repository keeps them: it was not scanned). A blob scanned again has
    /// its matches replaced by this scan's. Triage and stored verdicts are kept. If anything
    /// fails, nothing of it is written.
    ///
    /// Returns the fingerprints the datastore did not hold before.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an `InProgress` status; when SQLite fails (then the
    /// datastore holds what it held before).
    pub fn write_repo(&mut self, result: &RepoResult) -> Result<WriteOutcome, StoreError> {
        if result.status == RepoStatus::InProgress {
            return Err(StoreError::Invalid(
                "write_repo takes a finished scan; use mark_in_progress".to_owned(),
            ));
        }
        #[cfg(test)]
        let fail = self.fail_write;
        #[cfg(not(test))]
        let fail = None;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| StoreError::sql(&self.path, e))?;
        let outcome =
            write::write_repo(&tx, result, fail).map_err(|e| StoreError::sql(&self.path, e))?;
        tx.commit().map_err(|e| StoreError::sql(&self.path, e))?;
        Ok(outcome)
    }

    /// The findings `filter` selects, sorted by id, each with its matches and their
    /// occurrences (with a repository filter, only that repository's occurrences). Only
    /// findings that still have a match with an occurrence are listed: a finding that the
    /// current rules no longer make in any scanned blob keeps its row (and its triage) but is
    /// not reported.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn findings(&self, filter: &FindingFilter) -> Result<Vec<StoredFinding>, StoreError> {
        read::findings(&self.conn, filter).map_err(|e| self.err(e))
    }

    /// The findings first stored in `run` or later: what is new since the run before it.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn new_since(&self, run: RunId) -> Result<Vec<StoredFinding>, StoreError> {
        self.findings(&FindingFilter { since: Some(Since::Run(run)), ..FindingFilter::default() })
    }

    /// Every repository, sorted by identity.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn repos(&self) -> Result<Vec<StoredRepo>, StoreError> {
        read::repos(&self.conn).map_err(|e| self.err(e))
    }

    /// Every run, oldest first.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn runs(&self) -> Result<Vec<StoredRun>, StoreError> {
        read::runs(&self.conn).map_err(|e| self.err(e))
    }

    /// The last run (highest id), if any.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn last_run(&self) -> Result<Option<RunId>, StoreError> {
        self.conn
            .query_row("SELECT max(id) FROM runs", [], |r| r.get::<_, Option<i64>>(0))
            .map(|id| id.map(RunId))
            .map_err(|e| self.err(e))
    }

    /// The logical content as canonical text: one line per row, sorted, without row ids,
    /// run ids or timestamps (nor the runs themselves), so that two datastores that hold the
    /// same results (a killed and resumed run and an uninterrupted one; shards merged and one
    /// unsharded audit) dump the same text whatever order they were written in. Meant for
    /// tests and debugging: it holds the whole dump in memory.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn dump_logical(&self) -> Result<String, StoreError> {
        dump::dump(&self.conn).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests;
