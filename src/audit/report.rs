//! Reports from the datastore: what a filter selects ([`DatastoreReport`]), and its findings
//! turned back into [`Finding`]s, one per match and occurrence, so that every report format of
//! [`crate::report`] writes them ([`DatastoreReport::outcome`]).
//!
//! The datastore holds no secret, so neither does anything here: a finding's secret is its
//! stored preview ([`Secret::from_preview`]), its line has every secret masked, and AWS key ids
//! are redacted. A paired AWS secret is known only by how it was paired (the datastore keeps
//! neither its value, its line nor its encoding), so the findings built here have none; the
//! HTML report shows how it was paired.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::store::{
    FindingFilter, RepoStatus, Store, StoreError, StoredAws, StoredFinding, StoredMatch,
    StoredOccurrence, StoredRepo, StoredRun, TriageStatus,
};
use crate::finding::aws::{AccountDecode, AccountId, AwsInfo, AwsTag, OnlineVerdict, PrefixClass};
use crate::finding::{BlobId, Finding, Fingerprint, Origin, Secret};
use crate::sink::{ScanOutcome, ScanStats};
use crate::source::SourceError;

/// What a report from the datastore shows: the repositories and runs, and the findings a
/// filter selects (with a repository filter, only that repository's occurrences).
#[derive(Clone, Debug)]
pub struct DatastoreReport {
    /// Every repository, sorted by identity; with a repository filter, only that one.
    pub repos: Vec<StoredRepo>,
    /// Every run, oldest first.
    pub runs: Vec<StoredRun>,
    /// The findings the filter selects, sorted by id.
    pub findings: Vec<StoredFinding>,
    /// The filter.
    pub filter: FindingFilter,
}

impl DatastoreReport {
    /// Reads what `filter` selects from `store`.
    ///
    /// # Errors
    /// When SQLite fails.
    pub fn load(store: &Store, filter: &FindingFilter) -> Result<DatastoreReport, StoreError> {
        let mut repos = store.repos()?;
        if let Some(want) = &filter.repo {
            repos.retain(|r| &r.id == want || &r.name == want);
        }
        Ok(DatastoreReport {
            repos,
            runs: store.runs()?,
            findings: store.findings(filter)?,
            filter: filter.clone(),
        })
    }

    /// How many of the findings are open (they count: a report from the datastore exits 1
    /// when there is one).
    pub fn open_findings(&self) -> usize {
        self.findings.iter().filter(|f| f.triage.status == TriageStatus::Open).count()
    }

    /// The findings as a scan outcome every report format writes: one [`Finding`] per match
    /// and occurrence, sorted by repository, place and position; repositories that failed or
    /// are still in progress, and the gaps of the others, as errors (the audit is not
    /// complete); stored verdicts that cannot be read back, as warnings.
    pub fn outcome(&self) -> ScanOutcome {
        let mut warnings = Vec::new();
        let mut findings = Vec::new();
        for f in &self.findings {
            match findings_of(f) {
                Ok(mut fs) => findings.append(&mut fs),
                Err(w) => {
                    warnings.push(w);
                    findings.extend(findings_with_verdict(f, None));
                }
            }
        }
        crate::sink::sort_findings(&mut findings);
        let mut errors = Vec::new();
        for r in &self.repos {
            match &r.status {
                RepoStatus::Failed(why) => {
                    errors.push(SourceError::Git(format!("repository {}: failed: {why}", r.name)));
                }
                RepoStatus::InProgress => errors.push(SourceError::Git(format!(
                    "repository {}: in progress (its scan has not been written)",
                    r.name
                ))),
                RepoStatus::Complete | RepoStatus::Incomplete => {}
            }
            for g in &r.gaps {
                errors.push(SourceError::Git(format!(
                    "repository {}: {}: {}",
                    r.name, g.what, g.reason
                )));
            }
        }
        warnings.sort();
        warnings.dedup();
        let stats = ScanStats {
            scanned: self.runs.iter().map(|r| r.counts.blobs_scanned).sum(),
            ..ScanStats::default()
        };
        ScanOutcome { findings, stats, skipped: Vec::new(), errors, warnings, ..Default::default() }
    }
}

/// A stored finding as [`Finding`]s: one per match and occurrence, each origin an
/// [`Origin::InRepository`]. Its secret is the preview, its line the masked line.
///
/// # Errors
/// The text of a warning when the stored verdict cannot be read back (the findings are then
/// built without it by [`findings_with_verdict`]).
pub fn findings_of(f: &StoredFinding) -> Result<Vec<Finding>, String> {
    let verdict = match &f.verdict {
        None => None,
        Some(json) => match serde_json::from_str::<OnlineVerdict>(json) {
            Ok(v) => Some(Box::new(v)),
            Err(e) => {
                return Err(format!(
                    "finding {}: its stored AWS verdict cannot be read ({e})",
                    f.id
                ));
            }
        },
    };
    Ok(findings_with_verdict(f, verdict))
}

/// [`findings_of`] with the online verdict given.
pub fn findings_with_verdict(
    f: &StoredFinding,
    verdict: Option<Box<OnlineVerdict>>,
) -> Vec<Finding> {
    let aws = f.aws.as_ref().map(|a| aws_info(a, verdict));
    // Fingerprints and blob ids keysentry wrote parse; a row some other writer put there
    // gets a hash of its text instead (stable, and equal to no real one) rather than no
    // report at all.
    let fingerprint = Fingerprint::parse(&f.fingerprint)
        .unwrap_or_else(|| Fingerprint::new(&f.rule_id, &Secret::new(&f.fingerprint)));
    let mut out = Vec::new();
    for m in &f.matches {
        let blob_id = BlobId::parse(&m.blob).unwrap_or_else(|| BlobId::of(m.blob.as_bytes()));
        for o in &m.occurrences {
            out.push(Finding {
                rule_id: f.rule_id.clone(),
                description: f.description.clone(),
                severity: f.severity,
                origin: origin_of(o),
                location: m.location,
                secret: Secret::from_preview(&f.secret_preview),
                fingerprint: fingerprint.clone(),
                blob_id,
                entropy: f.entropy,
                line_text: m.line_text.clone(),
                line_secret_range: clip(m),
                line_other_secrets: Vec::new(),
                encoding: None,
                aws: aws.clone(),
            });
        }
    }
    out
}

/// The stored range, clipped to the line and to character boundaries (a range that does not
/// fit would make the reporters' slicing fail).
fn clip(m: &StoredMatch) -> (usize, usize) {
    let text = &m.line_text;
    let fit = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (s, e) = (fit(m.line_secret_range.0), fit(m.line_secret_range.1));
    (s.min(e), e)
}

/// Where an occurrence is, as an origin in its repository.
pub fn origin_of(o: &StoredOccurrence) -> Origin {
    let inner = match (o.kind.as_str(), &o.commit) {
        ("file", Some(c)) => Origin::Commit { path: o.path.clone(), commit: Arc::new(c.clone()) },
        ("commit_message", Some(c)) => Origin::CommitMessage { commit: Arc::new(c.clone()) },
        ("tag_message", _) => Origin::TagMessage { tag: o.ref_name.clone(), id: o.tag_id.clone() },
        ("ref", _) => Origin::Ref { name: o.ref_name.clone(), path: o.path.clone() },
        // A file without a commit (not an audit's), or a message whose commit is missing.
        _ => Origin::File { path: o.path.clone().into() },
    };
    Origin::InRepository {
        repo_id: o.repo_id.clone(),
        repo: o.repo_name.clone(),
        inner: Box::new(inner),
    }
}

const TAGS: [AwsTag; 5] =
    [AwsTag::Example, AwsTag::Canary, AwsTag::Ours, AwsTag::Foreign, AwsTag::Identifier];

fn aws_info(a: &StoredAws, online: Option<Box<OnlineVerdict>>) -> AwsInfo {
    let key_id = a.key_id_redacted.as_ref().map(Secret::from_preview);
    let account = match (&a.account, a.account_note.as_deref()) {
        (Some(acct), _) => AccountId::parse(acct).map(AccountDecode::Decoded),
        (None, Some(note)) if Some(note) == AccountDecode::NotEncoded.reason() => {
            Some(AccountDecode::NotEncoded)
        }
        (None, Some(_)) => Some(AccountDecode::Malformed),
        (None, None) => None,
    };
    let tags: BTreeSet<AwsTag> =
        TAGS.into_iter().filter(|t| a.tags.iter().any(|s| s == t.name())).collect();
    AwsInfo {
        prefix_class: a.prefix_class.as_deref().and_then(PrefixClass::of),
        account: key_id.as_ref().and(account),
        key_id,
        paired_secret: None,
        session_token: None,
        tags,
        canary_owner: a.canary_owner.clone(),
        online,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::store::{StoredOccurrence, Triage};
    use crate::finding::{CommitInfo, Location};

    fn stored() -> StoredFinding {
        let commit = CommitInfo {
            id: "0123456789abcdef0123456789abcdef01234567".into(),
            author: "dev".into(),
            email: "dev@example.com".into(),
            date: "2026-01-01T00:00:00Z".into(),
            summary: "add config".into(),
        };
        let occ = |repo: &str, path: &str| StoredOccurrence {
            repo_id: format!("https://git.example/{repo}"),
            repo_name: repo.into(),
            kind: "file".into(),
            commit: Some(commit.clone()),
            path: path.into(),
            ref_name: String::new(),
            tag_id: String::new(),
        };
        StoredFinding {
            id: 7,
            fingerprint: "00112233445566778899aabbccddeeff".into(),
            rule_id: "aws.access_key_id".into(),
            description: "AWS access key id".into(),
            severity: crate::rules::Severity::High,
            secret_preview: format!("AKIA{}", "*".repeat(16)),
            secret_len: 20,
            entropy: 3.5,
            aws: Some(StoredAws {
                key_id_redacted: Some(format!("AKIA{}", "*".repeat(16))),
                prefix_class: Some("AKIA".into()),
                account: Some("123456789012".into()),
                account_note: None,
                tags: vec!["foreign".into()],
                canary_owner: None,
            }),
            verdict: Some(r#"{"account":null,"decoded_account":null,"own":false,"user":null,"last_used":null,"quarantined":false,"verdict":"foreign","leaked":null,"action":null,"quarantine":null}"#.into()),
            verdict_at: None,
            triage: Triage::default(),
            first_run: crate::audit::store::RunId(1),
            first_seen: "2026-12-01T00:00:00.000Z".into(),
            matches: vec![StoredMatch {
                blob: "ce013625030ba8dba906f756967f9e9ca394464a".into(),
                location: Location {
                    line: 1,
                    column: 5,
                    end_line: 1,
                    end_column: 25,
                    byte_start: 4,
                    byte_end: 24,
                },
                line_text: format!("key={}", "*".repeat(20)),
                // Past the end: clipped.
                line_secret_range: (4, 99),
                aws_paired: Some("same_line".into()),
                aws_session_token: None,
                occurrences: vec![occ("acme/api", "a.env"), occ("acme/web", "b.env")],
            }],
        }
    }

    #[test]
    fn issue_15_one_finding_per_match_and_occurrence_each_naming_its_repository() {
        let found = findings_of(&stored()).unwrap();
        assert_eq!(found.len(), 2);
        let names: Vec<_> = found.iter().map(|f| f.origin.display_name()).collect();
        assert_eq!(names, ["acme/api: a.env @ 0123456789", "acme/web: b.env @ 0123456789"]);
        let f = &found[0];
        assert_eq!(f.secret.redacted(), format!("AKIA{}", "*".repeat(16)));
        assert_eq!(f.line_secret_range, (4, 24));
        assert_eq!(f.fingerprint.as_str(), "00112233445566778899aabbccddeeff");
        let aws = f.aws.as_ref().unwrap();
        assert_eq!(
            aws.account.and_then(AccountDecode::account).unwrap().to_string(),
            "123456789012"
        );
        assert!(aws.tags.contains(&AwsTag::Foreign));
        assert_eq!(aws.online.as_ref().unwrap().verdict, crate::finding::aws::Verdict::Foreign);
    }

    #[test]
    fn issue_15_an_unreadable_verdict_is_a_warning_not_a_lost_finding() {
        let mut s = stored();
        s.verdict = Some("{not json".into());
        assert!(findings_of(&s).unwrap_err().contains("finding 7"));
        let report = DatastoreReport {
            repos: Vec::new(),
            runs: Vec::new(),
            findings: vec![s],
            filter: FindingFilter::default(),
        };
        let outcome = report.outcome();
        assert_eq!(outcome.findings.len(), 2);
        assert_eq!(outcome.warnings.len(), 1);
        assert_eq!(report.open_findings(), 1);
    }
}
