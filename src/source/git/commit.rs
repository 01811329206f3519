//! Commits: describing one for reports, resolving a revision to one.

use std::sync::Arc;

use git2::{Oid, Repository};

use super::GitError;
use crate::finding::CommitInfo;

/// Describes a commit for reports.
pub(crate) fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let author = commit.author();
    let when = author.when();
    CommitInfo {
        id: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: format_time(when.seconds(), when.offset_minutes()),
        summary: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    }
}

/// RFC 3339 text for a git timestamp and its UTC offset in minutes.
fn format_time(seconds: i64, offset_minutes: i32) -> String {
    let offset = jiff::tz::Offset::from_seconds(offset_minutes.saturating_mul(60))
        .unwrap_or(jiff::tz::Offset::UTC);
    match jiff::Timestamp::from_second(seconds) {
        Ok(ts) => ts.display_with_offset(offset).to_string(),
        Err(_) => format!("@{seconds}"),
    }
}

/// The commit's id as a description with nothing else filled in; a history scan completes it
/// for the commits that end up in a report.
pub(crate) fn commit_stub(id: Oid) -> Arc<CommitInfo> {
    Arc::new(CommitInfo {
        id: id.to_string(),
        author: String::new(),
        email: String::new(),
        date: String::new(),
        summary: String::new(),
    })
}

/// Resolves a revision to a commit, with an error that says what to do when it is missing.
pub(crate) fn resolve_commit(repo: &Repository, rev: &str) -> Result<Oid, GitError> {
    let object = repo.revparse_single(rev).map_err(|e| {
        let mut msg = format!("revision {rev:?} is not in this repository ({})", e.message());
        if repo.is_shallow() {
            msg.push_str(
                ". The clone is shallow: fetch the missing history (`git fetch --unshallow`, \
                 or `fetch-depth: 0` in actions/checkout) or fetch the base itself \
                 (`git fetch origin <base>`)",
            );
        } else {
            msg.push_str(". Fetch it first (`git fetch origin <revision>`)");
        }
        GitError::Revision(msg)
    })?;
    let commit = object
        .peel_to_commit()
        .map_err(|e| GitError::Revision(format!("{rev:?} is not a commit: {}", e.message())))?;
    Ok(commit.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_offset() {
        assert_eq!(format_time(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_time(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(format_time(1_700_000_000, -330), "2023-11-14T16:43:20-05:30");
    }
}
