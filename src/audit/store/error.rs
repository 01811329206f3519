//! The datastore's errors.

use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

use super::FindingSelector;

/// Why the datastore could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a SQLite database (or its header is damaged).
    #[error("{}: not a SQLite database (or its header is damaged)", path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// SQLite found the file damaged.
    #[error("{}: the datastore is corrupt ({detail}); restore it from a backup or start a new one", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// A SQLite database, but not a keysentry datastore.
    #[error("{}: a SQLite database that is not a keysentry datastore", path.display())]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// Written by a newer keysentry.
    #[error(
        "{}: datastore schema version {found} is newer than this keysentry knows ({known}); use a newer keysentry",
        path.display()
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest this binary knows.
        known: u32,
    },
    /// Any other SQLite failure.
    #[error("{}: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// [`Store::set_triage`](super::Store::set_triage) was given a selector that matches no finding.
    #[error("no {0} in the datastore")]
    UnknownFinding(FindingSelector),
    /// A fingerprint prefix that matches more than one finding.
    #[error("{0} matches more than one finding: give more of it")]
    Ambiguous(FindingSelector),
    /// A call the datastore refuses (its reason).
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// Classifies a SQLite error on the file at `path`.
    pub(crate) fn sql(path: &Path, e: rusqlite::Error) -> StoreError {
        let path = path.to_owned();
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt { path, detail: e.to_string() },
            _ => StoreError::Sqlite { path, source: e },
        }
    }
}
