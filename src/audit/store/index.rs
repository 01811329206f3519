//! The blob index the scan's worker threads ask: was this blob scanned with this rule set,
//! does it have findings. Lookups go to the datastore by primary key; nothing is loaded into
//! memory, so memory does not grow with the number of blobs.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _};

use super::{BUSY_TIMEOUT, StoreError};
use crate::finding::BlobId;

/// Blob lookups for many threads (`Send + Sync`): a few read-only connections of its own,
/// each behind a mutex; a lookup takes a free one, or waits for one. It sees what the
/// [`Store`](super::Store) it came from has committed.
#[derive(Debug)]
pub struct BlobIndex {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    path: PathBuf,
}

impl BlobIndex {
    pub(crate) fn open(path: &Path, n: usize) -> Result<BlobIndex, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            let conn = Connection::open_with_flags(path, flags)
                .and_then(|c| c.busy_timeout(BUSY_TIMEOUT).map(|()| c))
                .map_err(|e| StoreError::sql(path, e))?;
            conns.push(Mutex::new(conn));
        }
        Ok(BlobIndex { conns, next: AtomicUsize::new(0), path: path.to_owned() })
    }

    fn with<T>(&self, f: impl Fn(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let run = |conn: &Connection| f(conn).map_err(|e| StoreError::sql(&self.path, e));
        for m in &self.conns {
            if let Ok(conn) = m.try_lock() {
                return run(&conn);
            }
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        // A thread that panicked holding it left a connection that is still usable.
        let conn = self.conns[i].lock().unwrap_or_else(|p| p.into_inner());
        run(&conn)
    }

    /// Whether `blob` was scanned with rule-set version `ruleset` (in any repository, any
    /// run).
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn try_scanned(&self, blob: &BlobId, ruleset: &str) -> Result<bool, StoreError> {
        self.with(|conn| {
            conn.prepare_cached(
                "SELECT 1 FROM blobs
                 WHERE blob = ?1 AND ruleset = (SELECT id FROM rulesets WHERE version = ?2)",
            )?
            .query_row([blob.to_hex().as_str(), ruleset], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
        })
    }

    /// Whether `blob` has a stored finding (a match).
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn try_has_findings(&self, blob: &BlobId) -> Result<bool, StoreError> {
        self.with(|conn| {
            conn.prepare_cached("SELECT 1 FROM matches WHERE blob = ?1 LIMIT 1")?
                .query_row([blob.to_hex()], |_| Ok(()))
                .optional()
                .map(|found| found.is_some())
        })
    }

    /// [`BlobIndex::try_scanned`], with a failed lookup answering "not scanned": the blob is
    /// scanned again, which costs time but loses nothing.
    pub fn scanned(&self, blob: &BlobId, ruleset: &str) -> bool {
        self.try_scanned(blob, ruleset).unwrap_or(false)
    }

    /// [`BlobIndex::try_has_findings`], with a failed lookup answering "has findings": the
    /// blob's occurrences are recorded, which is harmless for a blob without any (reports
    /// reach occurrences through findings).
    pub fn has_findings(&self, blob: &BlobId) -> bool {
        self.try_has_findings(blob).unwrap_or(true)
    }
}
