//! The audit log of online AWS work: every verdict and every action, appended as one JSON line
//! and synced to disk *before* it is reported.
//!
//! Records form a hash chain: each carries `seq` (0, 1, 2, …) and `prev`, the SHA-256 (hex) of
//! the previous line's exact bytes (64 zeros for the first record). [`verify`] recomputes the
//! chain, so an edited, inserted, reordered or deleted record is detected, except the removal
//! of records at the very end: keep the last hash [`verify`] prints somewhere else to catch
//! that too.
//!
//! An action on AWS is logged twice: an `intent` record synced before the call, and the
//! outcome after it. A crash between the two leaves the intent, so an action that was taken is
//! never missing from the log. Nothing here touches the network; the log never holds a secret
//! (key ids are not secrets; where a key was found is given by path, commit and fingerprint).

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

mod outcome;

pub use outcome::{Action, Outcome};

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where a key was found (never the secret).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FoundAt {
    /// The repository or scan root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The commit, for git sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The path of the file (or `<stdin>`).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The finding's fingerprint.
    pub fingerprint: String,
}

/// What one record says, as the caller gives it; [`AuditLog::append`] adds `seq`, `time` and
/// `prev`. `Debug` redacts the key id (the log itself holds it in full).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The operator's identity (ARN) that made the calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The access key id concerned.
    pub key_id: String,
    /// The key's account, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The IAM user owning the key, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// What was done.
    pub action: Action,
    /// `intent` (about to call AWS), or the outcome.
    pub result: Outcome,
    /// AWS request id of the call, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Where the key was found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found: Vec<FoundAt>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("actor", &self.actor)
            .field("key_id", &crate::finding::redacted(&self.key_id))
            .field("account", &self.account)
            .field("user", &self.user)
            .field("action", &self.action)
            .field("result", &self.result)
            .field("request_id", &self.request_id)
            .field("found", &self.found)
            .finish()
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the log, from 0.
    pub seq: u64,
    /// When it was written (RFC 3339, UTC).
    pub time: String,
    /// SHA-256 (hex) of the previous line, [`GENESIS`] for the first.
    pub prev: String,
    /// The rest.
    #[serde(flatten)]
    pub entry: Entry,
}

/// An audit log that cannot be used or does not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading, writing or syncing failed.
    #[error("audit log {}: {source}", path.display())]
    Io {
        /// The log.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The chain is broken at a line.
    #[error("audit log: line {line}: {reason}")]
    Broken {
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// An open log, ready to append to.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
    next_seq: u64,
    prev: String,
}

impl AuditLog {
    /// Opens (or creates) the log at `path` and checks its whole chain first: appending to a
    /// broken log would hide where it broke.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let io_err = |source| AuditError::Io { path: path.to_path_buf(), source };
        let created = !path.exists();
        let mut file =
            OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io_err)?;
        if created {
            sync_parent(path).map_err(io_err)?;
        }
        // One writer at a time: two processes appending would fork the chain. The lock is
        // released when the file is closed.
        file.try_lock().map_err(|e| {
            io_err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("another process is writing this audit log ({e})"),
            ))
        })?;
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(io_err)?;
        let summary = verify(&text[..])?;
        file.seek(SeekFrom::End(0)).map_err(io_err)?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file,
            next_seq: summary.records,
            prev: summary.last_hash,
        })
    }

    /// Appends one record and syncs it to disk; returns it.
    pub fn append(&mut self, entry: Entry) -> Result<Record, AuditError> {
        let record = Record {
            seq: self.next_seq,
            time: jiff::Timestamp::now().to_string(),
            prev: self.prev.clone(),
            entry,
        };
        let line = serde_json::to_string(&record)
            .map_err(|e| AuditError::Io { path: self.path.clone(), source: io::Error::other(e) })?;
        let mut bytes = line.clone().into_bytes();
        bytes.push(b'\n');
        self.file
            .write_all(&bytes)
            .and_then(|()| self.file.sync_data())
            .map_err(|source| AuditError::Io { path: self.path.clone(), source })?;
        self.prev = sha256_hex(line.as_bytes());
        self.next_seq += 1;
        Ok(record)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What [`verify`] found in an intact log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Number of records.
    pub records: u64,
    /// SHA-256 (hex) of the last line ([`GENESIS`] when empty): the `prev` of the next record.
    pub last_hash: String,
}

/// Checks a whole log: every line a record, `seq` counting from 0, each `prev` the hash of the
/// line before, and a final line end (a record cut short by a crash is reported).
pub fn verify(reader: impl Read) -> Result<Summary, AuditError> {
    let mut reader = BufReader::new(reader);
    let mut prev = GENESIS.to_owned();
    let mut n: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| AuditError::Io { path: PathBuf::from("<audit log>"), source })?;
        if read == 0 {
            break;
        }
        let lineno = n + 1;
        let broken = |reason: String| AuditError::Broken { line: lineno, reason };
        if line.last() != Some(&b'\n') {
            return Err(broken("the last record is incomplete (no line end)".into()));
        }
        line.pop();
        let record: Record = serde_json::from_slice(&line)
            .map_err(|e| broken(format!("not an audit record: {e}")))?;
        if record.seq != n {
            return Err(broken(format!(
                "seq is {}, expected {n}: a record was deleted, inserted or moved",
                record.seq
            )));
        }
        if record.prev != prev {
            return Err(broken(
                "prev does not match the hash of the previous line: the previous record was \
                 edited, or records were removed or reordered"
                    .into(),
            ));
        }
        prev = sha256_hex(&line);
        n += 1;
    }
    Ok(Summary { records: n, last_hash: prev })
}

/// Verifies the log file at `path`.
pub fn verify_file(path: &Path) -> Result<Summary, AuditError> {
    let file =
        File::open(path).map_err(|source| AuditError::Io { path: path.to_path_buf(), source })?;
    verify(file)
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::finding::hex(&sha2::Sha256::digest(bytes))
}

/// Makes a new file's directory entry durable.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: Action, result: Outcome) -> Entry {
        Entry {
            actor: Some("arn:aws:iam::123456789012:user/ops".into()),
            key_id: "AKIA-TEST".into(),
            account: Some("123456789012".into()),
            user: Some("alice".into()),
            action,
            result,
            request_id: Some("req-1".into()),
            found: vec![FoundAt {
                repository: Some("repo".into()),
                commit: None,
                path: "a.env".into(),
                line: 3,
                fingerprint: "00ff".into(),
            }],
        }
    }

    fn three_records() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path).unwrap();
        log.append(entry(Action::Check, Outcome::Active)).unwrap();
        log.append(entry(Action::Deactivate, Outcome::Intent)).unwrap();
        log.append(entry(Action::Deactivate, Outcome::Done)).unwrap();
        (dir, path)
    }

    #[test]
    fn records_chain_and_reopen_continues() {
        let (_dir, path) = three_records();
        let summary = verify_file(&path).unwrap();
        assert_eq!(summary.records, 3);
        let mut log = AuditLog::open(&path).unwrap();
        let r = log.append(entry(Action::Reactivate, Outcome::Done)).unwrap();
        assert_eq!(r.seq, 3);
        assert_eq!(r.prev, summary.last_hash);
        assert_eq!(verify_file(&path).unwrap().records, 4);
        let text = std::fs::read_to_string(&path).unwrap();
        let first: Record = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first.prev, GENESIS);
        assert_eq!(first.entry, entry(Action::Check, Outcome::Active));
    }

    #[test]
    fn an_edited_record_is_detected() {
        let (_dir, path) = three_records();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"active\"", "\"inactive\"", 1)).unwrap();
        let err = verify_file(&path).unwrap_err();
        assert!(matches!(err, AuditError::Broken { line: 2, .. }), "{err}");
        assert!(AuditLog::open(&path).is_err(), "a broken log is not appended to");
    }

    #[test]
    fn a_deleted_record_is_detected() {
        let (_dir, path) = three_records();
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> =
            text.lines().enumerate().filter(|(i, _)| *i != 1).map(|x| x.1).collect();
        std::fs::write(&path, kept.join("\n") + "\n").unwrap();
        let err = verify_file(&path).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("seq is 2"), "{err}");
    }

    #[test]
    fn an_incomplete_last_record_is_detected() {
        let (_dir, path) = three_records();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, &text[..text.len() - 10]).unwrap();
        let err = verify_file(&path).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("incomplete"), "{err}");
    }

    #[test]
    fn one_writer_at_a_time() {
        let (_dir, path) = three_records();
        let _first = AuditLog::open(&path).unwrap();
        let err = AuditLog::open(&path).unwrap_err().to_string();
        assert!(err.contains("another process is writing"), "{err}");
    }

    /// Lines as keysentry wrote them before `action` and `result` were types, chained by hand.
    fn old_form_log() -> String {
        // The fields of one record, in the order they were written.
        let body = |fields: &[(&str, &str)]| -> String {
            let parts: Vec<String> =
                fields.iter().map(|(k, v)| format!(r#""{k}":"{v}""#)).collect();
            parts.join(",")
        };
        let found =
            r#""found":[{"repository":"repo","path":"a.env","line":3,"fingerprint":"00ff"}]"#;
        let (key, account, user) =
            (("key_id", "AKIA-TEST"), ("account", "123456789012"), ("user", "alice"));
        let actor = ("actor", "arn:aws:iam::123456789012:user/ops");
        let throttled = "error: iam:UpdateAccessKey: Throttling: rate exceeded";
        let bodies = [
            body(&[actor, key, account, user, ("action", "check"), ("result", "active")])
                + ","
                + found,
            body(&[key, ("action", "verify-leaked"), ("result", "error")]),
            body(&[key, account, user, ("action", "deactivate"), ("result", "intent")])
                + ","
                + found,
            body(&[key, ("action", "deactivate"), ("result", throttled), ("request_id", "req-9")]),
            body(&[key, ("action", "quarantine"), ("result", "dry-run")]),
            body(&[key, ("action", "reactivate"), ("result", "unchanged")]),
            body(&[key, ("action", "check"), ("result", "not_an_access_key")]),
        ];
        let mut prev = GENESIS.to_owned();
        let mut text = String::new();
        for (seq, body) in bodies.iter().enumerate() {
            let line =
                format!(r#"{{"seq":{seq},"time":"2026-01-01T00:00:00Z","prev":"{prev}",{body}}}"#);
            prev = sha256_hex(line.as_bytes());
            text.push_str(&line);
            text.push('\n');
        }
        text
    }

    #[test]
    fn issue_13_a_log_written_in_the_old_form_still_verifies() {
        let text = old_form_log();
        let summary = verify(text.as_bytes()).unwrap();
        assert_eq!(summary.records, 7);
        // Each record reads back into the typed form and is written again byte for byte.
        for line in text.lines() {
            let record: Record = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&record).unwrap(), line);
        }
        let second: Record = serde_json::from_str(text.lines().nth(3).unwrap()).unwrap();
        assert_eq!(second.entry.action, Action::Deactivate);
        assert_eq!(
            second.entry.result,
            Outcome::error("iam:UpdateAccessKey: Throttling: rate exceeded")
        );
        // And a log in the old form is appended to.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, &text).unwrap();
        let mut log = AuditLog::open(&path).unwrap();
        assert_eq!(log.append(entry(Action::Check, Outcome::Inactive)).unwrap().seq, 7);
        assert_eq!(verify_file(&path).unwrap().records, 8);
        let bad = text.replace(r#""result":"active""#, r#""result":"activ""#);
        assert!(verify(bad.as_bytes()).unwrap_err().to_string().contains("unknown result"));
    }

    #[test]
    fn an_empty_log_verifies() {
        let summary = verify(&b""[..]).unwrap();
        assert_eq!(summary, Summary { records: 0, last_hash: GENESIS.to_owned() });
    }
}

#[cfg(test)]
mod issue_12_debug {
    use super::*;

    #[test]
    fn issue_12_entry_debug_redacts_the_key_id() {
        let key_id = format!("AKIA{}", ["Z7VX", "WQ2R", "5TYU", "3MNB"].concat());
        let e = Entry {
            actor: None,
            key_id: key_id.clone(),
            account: None,
            user: None,
            action: Action::Check,
            result: Outcome::Active,
            request_id: None,
            found: Vec::new(),
        };
        let debug = format!("{e:?}");
        assert!(!debug.contains(&key_id) && debug.contains("AKIA*"), "{debug}");
    }
}
