//! The values the datastore takes in and gives back: what one repository's scan hands to
//! [`Store::write_repo`](super::Store::write_repo), and the rows reports read.
//!
//! Nothing here holds a secret in clear: stored findings carry the redacted preview
//! ([`Secret::redacted`](crate::finding::Secret::redacted)) and line texts with every secret
//! range masked.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::audit::RepoSpec;
use crate::finding::{BlobId, CommitInfo, Finding, Location};
use crate::rules::Severity;

/// A run's id in one datastore (its row id). Ids are local to a datastore: `merge` gives the
/// runs it copies new ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(pub i64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a run did, stored when it finishes ([`Store::finish_run`](super::Store::finish_run)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCounts {
    /// Repositories scanned completely.
    pub repos_complete: u64,
    /// Repositories scanned with gaps.
    pub repos_incomplete: u64,
    /// Repositories that failed (clone, open).
    pub repos_failed: u64,
    /// Repositories skipped because their refs had not moved.
    pub repos_unchanged: u64,
    /// Blobs read and scanned.
    pub blobs_scanned: u64,
    /// Blobs passed over as already scanned with this rule set.
    pub blobs_skipped: u64,
    /// Findings whose fingerprint the datastore did not hold before.
    pub findings_new: u64,
}

/// Where a repository's audit stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepoStatus {
    /// Scanned in full.
    Complete,
    /// Scanned, but some content could not be scanned in full: the gaps say what.
    Incomplete,
    /// Not scanned: the clone or the opening failed.
    Failed(String),
    /// A scan started and has not been written (a killed run leaves this).
    InProgress,
}

impl RepoStatus {
    /// The name stored in `repos.status`: `complete`, `incomplete`, `failed`, `in_progress`.
    pub fn name(&self) -> &'static str {
        match self {
            RepoStatus::Complete => "complete",
            RepoStatus::Incomplete => "incomplete",
            RepoStatus::Failed(_) => "failed",
            RepoStatus::InProgress => "in_progress",
        }
    }

    /// The failure's reason, for a failed repository.
    pub fn reason(&self) -> Option<&str> {
        match self {
            RepoStatus::Failed(r) => Some(r),
            _ => None,
        }
    }
}

/// What the datastore holds about a repository's last scan, for the unchanged check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoState {
    /// Where its audit stands.
    pub status: RepoStatus,
    /// The refs (name, object id it pointed at), sorted by name, as the last written scan
    /// found them. Empty for a repository that has never been written.
    pub refs: Vec<(String, String)>,
    /// The rule-set version of the last written scan (`None` if it never was).
    pub ruleset: Option<String>,
}

/// Content of a repository that could not be scanned in full.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gap {
    /// What was not scanned: a path, an object id, `commit abc… message`.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// A place a blob that has findings was seen without being read again (it was scanned
/// before): the blob, its path and the commit that has it there.
pub type KnownOccurrence = (BlobId, String, Arc<CommitInfo>);

/// One repository's scan, written in one transaction by
/// [`Store::write_repo`](super::Store::write_repo).
#[derive(Clone, Debug)]
pub struct RepoResult {
    /// The repository.
    pub repo: RepoSpec,
    /// The run that scanned it.
    pub run: RunId,
    /// The rule-set version it was scanned with.
    pub ruleset: String,
    /// How it went. `InProgress` is refused: use
    /// [`Store::mark_in_progress`](super::Store::mark_in_progress).
    pub status: RepoStatus,
    /// Every ref and `HEAD` with the object each points at. For a failed repository, empty:
    /// the refs, occurrences and gaps of its last successful scan are kept.
    pub refs: Vec<(String, String)>,
    /// The blobs this scan read and scanned (not the ones passed over).
    pub blobs_scanned: Vec<BlobId>,
    /// The findings, one per occurrence, as a history scan with all occurrences gives them.
    pub findings: Vec<Finding>,
    /// Occurrences in this repository of blobs passed over that have findings.
    pub known_occurrences: Vec<KnownOccurrence>,
    /// What could not be scanned.
    pub gaps: Vec<Gap>,
}

/// What [`Store::write_repo`](super::Store::write_repo) added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Fingerprints of the findings the datastore did not hold before, sorted.
    pub new_fingerprints: Vec<String>,
    /// Blobs recorded as scanned that were not before (with this rule set).
    pub new_blobs: u64,
}

/// A finding's triage status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TriageStatus {
    /// Not triaged, or reopened: it counts.
    #[default]
    Open,
    /// Not a secret.
    FalsePositive,
    /// A real secret whose exposure is accepted (a test account, a public key).
    Accepted,
    /// A real secret that has been revoked or rotated.
    Revoked,
}

impl TriageStatus {
    /// Every status.
    pub const ALL: [TriageStatus; 4] = [
        TriageStatus::Open,
        TriageStatus::FalsePositive,
        TriageStatus::Accepted,
        TriageStatus::Revoked,
    ];

    /// The name stored in `findings.triage_status`: `open`, `false_positive`, `accepted`,
    /// `revoked`.
    pub fn name(self) -> &'static str {
        match self {
            TriageStatus::Open => "open",
            TriageStatus::FalsePositive => "false_positive",
            TriageStatus::Accepted => "accepted",
            TriageStatus::Revoked => "revoked",
        }
    }
}

impl fmt::Display for TriageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TriageStatus {
    type Err = String;

    /// Parses a stored name; `false-positive` is accepted too.
    fn from_str(s: &str) -> Result<TriageStatus, String> {
        let s = s.replace('-', "_");
        TriageStatus::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown triage status {s:?}"))
    }
}

/// A finding's triage: its status, and for a status someone set, the note, who and when.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Triage {
    /// The status.
    pub status: TriageStatus,
    /// The note given with it.
    pub note: Option<String>,
    /// Who set it.
    pub by: Option<String>,
    /// When (RFC 3339, UTC, milliseconds); `None` for a finding never triaged.
    pub at: Option<String>,
}

/// Which finding [`Store::set_triage`](super::Store::set_triage) acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingSelector {
    /// The finding's id in this datastore (`findings.id`).
    Id(i64),
    /// The finding's fingerprint (hex, as reports print it).
    Fingerprint(String),
}

impl FindingSelector {
    /// A selector from what a person typed: all digits and short is an id, hex is a
    /// fingerprint. Fingerprints are 32 hex digits, so the two never collide.
    pub fn parse(s: &str) -> Option<FindingSelector> {
        let s = s.trim();
        if !s.is_empty() && s.len() < 20 && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().ok().map(FindingSelector::Id);
        }
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| FindingSelector::Fingerprint(s.to_ascii_lowercase()))
    }
}

impl fmt::Display for FindingSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindingSelector::Id(id) => write!(f, "finding {id}"),
            FindingSelector::Fingerprint(fp) => write!(f, "fingerprint {fp}"),
        }
    }
}

/// Since when a finding must have been first seen to be listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Since {
    /// First seen in this run or a later one.
    Run(RunId),
    /// First seen at or after this time (RFC 3339 in UTC, or a date `2026-12-01`, compared
    /// as text with the stored `first_seen`).
    Time(String),
}

/// Which findings [`Store::findings`](super::Store::findings) lists. Every field that is set
/// must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingFilter {
    /// Only findings with an occurrence in this repository (its id, `RepoSpec::id`, or its
    /// name).
    pub repo: Option<String>,
    /// Only this rule's findings (rule id).
    pub rule: Option<String>,
    /// Only findings with this triage status.
    pub status: Option<TriageStatus>,
    /// Only findings first seen since then.
    pub since: Option<Since>,
}

/// What is known offline about an AWS finding, without any secret: the key id only
/// redacted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredAws {
    /// The key id, redacted (`AKIA****************`).
    pub key_id_redacted: Option<String>,
    /// The id's prefix class (`AKIA`, `ASIA`, …).
    pub prefix_class: Option<String>,
    /// The account decoded from the key id (12 digits).
    pub account: Option<String>,
    /// Why no account was decoded (`not encoded (old-format id)`, …).
    pub account_note: Option<String>,
    /// Tags (`example`, `canary`, `ours`, `foreign`, `identifier`), sorted.
    pub tags: Vec<String>,
    /// Who owns the canary account, for a canary.
    pub canary_owner: Option<String>,
}

/// Where a blob holding a finding was seen.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredOccurrence {
    /// The repository's identity (`RepoSpec::id`).
    pub repo_id: String,
    /// The repository's name.
    pub repo_name: String,
    /// What kind of place: `file` (a file in a commit), `commit_message`, `tag_message`,
    /// `ref` (a blob a ref reaches without a commit).
    pub kind: String,
    /// The commit (for `file` and `commit_message`).
    pub commit: Option<CommitInfo>,
    /// The file's path (`file`, and `ref` of a tagged tree); empty otherwise.
    pub path: String,
    /// The ref's or tag's name (`ref`, `tag_message`); empty otherwise.
    pub ref_name: String,
    /// The tag object's id (`tag_message`); empty otherwise.
    pub tag_id: String,
}

/// One place of a finding in one blob. The same blob seen in many commits, paths and
/// repositories is one match with many occurrences.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMatch {
    /// The blob (hex). With the repository's location and `location.byte_start..byte_end`
    /// it is what re-reading the secret (online verification) needs.
    pub blob: String,
    /// Where in the blob.
    pub location: Location,
    /// The line, with every secret on it masked (`*` for each byte).
    pub line_text: String,
    /// The finding's secret within `line_text` (byte range; masked).
    pub line_secret_range: (usize, usize),
    /// For an AWS key id: how its secret key was paired (`same_line`, `name`, …), if it was.
    pub aws_paired: Option<String>,
    /// For an AWS key id: how a session token was paired, if it was.
    pub aws_session_token: Option<String>,
    /// Where the blob was seen, sorted.
    pub occurrences: Vec<StoredOccurrence>,
}

/// A finding as the datastore holds it: one per fingerprint (rule and secret).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFinding {
    /// Its id in this datastore (`findings.id`; `keysentry triage` takes it).
    pub id: i64,
    /// The fingerprint (hex).
    pub fingerprint: String,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
    /// The severity.
    pub severity: Severity,
    /// The secret, redacted.
    pub secret_preview: String,
    /// The secret's length in bytes.
    pub secret_len: usize,
    /// The secret's entropy (bits per byte).
    pub entropy: f64,
    /// AWS facts, for an AWS finding.
    pub aws: Option<StoredAws>,
    /// The online verdict as JSON (the report's `aws.online` object, key ids redacted), when
    /// one was stored.
    pub verdict: Option<String>,
    /// When the verdict was stored.
    pub verdict_at: Option<String>,
    /// The triage.
    pub triage: Triage,
    /// The run that first stored it.
    pub first_run: RunId,
    /// When it was first stored (the run's start).
    pub first_seen: String,
    /// Its matches, sorted by blob and position.
    pub matches: Vec<StoredMatch>,
}

/// A repository as the datastore holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRepo {
    /// Its identity (`RepoSpec::id`).
    pub id: String,
    /// Its name for people.
    pub name: String,
    /// Where it is: a local path or a clone URL.
    pub location: String,
    /// `local` or `remote`.
    pub location_kind: String,
    /// A fork, as its host says.
    pub fork: bool,
    /// Archived, as its host says.
    pub archived: bool,
    /// Where its audit stands.
    pub status: RepoStatus,
    /// The last run that wrote it (or marked it in progress).
    pub last_run: Option<RunId>,
    /// When that was.
    pub scanned_at: Option<String>,
    /// Its refs as last written, sorted.
    pub refs: Vec<(String, String)>,
    /// Its gaps, sorted.
    pub gaps: Vec<Gap>,
    /// How many distinct findings it has occurrences of.
    pub findings: u64,
}

/// A run as the datastore holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRun {
    /// Its id.
    pub id: RunId,
    /// When it started.
    pub started: String,
    /// When it finished (`None` for a run killed or still going).
    pub finished: Option<String>,
    /// The rule-set version it scanned with.
    pub ruleset: String,
    /// What it did (zero until it finished).
    pub counts: RunCounts,
}
