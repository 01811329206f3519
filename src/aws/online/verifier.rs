//! The AWS online step as a [`Verifier`]: the findings with an AWS key id are checked once per
//! key id (owner-side, and the plan's actions), and each key's verdict is written into every
//! finding of it.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{AuditError, AuditLog, FoundAt, Target};
use super::{KeyReport, LeakedCheck, Online, OnlineError, OnlineOptions, OnlineVerdict, Plan};
use crate::finding::{Finding, Origin};
use crate::verify::{Verification, Verifier, VerifyError};

/// What an [`AwsVerifier`] does, as whom, and where it records it.
#[derive(Clone, Debug)]
pub struct VerifierOptions {
    /// How to reach AWS and which accounts are the operator's.
    pub online: OnlineOptions,
    /// The audit log every verdict and action is appended to first.
    pub audit_log: PathBuf,
    /// Check only, or deactivate / reactivate too.
    pub plan: Plan,
    /// Whether to sign a request with the leaked pair.
    pub leaked: LeakedCheck,
    /// The repository or scan root, recorded with where each key was found.
    pub root: Option<String>,
}

/// Checks the AWS key ids of a scan with the operator's credentials (feature `aws`).
///
/// Nothing is opened before there is a key to check: the audit log is opened, and the
/// operator's credentials loaded, when [`AwsVerifier::check`] gets a finding with a key id.
#[derive(Debug)]
pub struct AwsVerifier {
    options: VerifierOptions,
}

/// An online step that could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum AwsVerifyError {
    /// The audit log cannot be opened (or does not verify).
    #[error("cannot use the audit log {}", path.display())]
    AuditLog {
        /// The log.
        path: PathBuf,
        /// Why.
        #[source]
        source: AuditError,
    },
    /// No session as the operator.
    #[error(transparent)]
    Online(#[from] OnlineError),
}

impl AwsVerifier {
    /// A verifier that does what `options` says.
    pub fn new(options: VerifierOptions) -> AwsVerifier {
        AwsVerifier { options }
    }

    /// Checks the key ids of `findings` (each once), writes each key's verdict into
    /// `aws.online` of every finding of it, and returns the reports, one per key id in the
    /// order of first appearance. Without a key id among the findings, nothing is opened and
    /// the list is empty.
    pub fn check(&self, findings: &mut [Finding]) -> Result<Vec<KeyReport>, AwsVerifyError> {
        let root = self.options.root.as_deref();
        let targets: Vec<Target> = findings.iter().filter_map(|f| target(f, root)).collect();
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let path = &self.options.audit_log;
        let log = AuditLog::open(path)
            .map_err(|source| AwsVerifyError::AuditLog { path: path.clone(), source })?;
        let online = Online::connect(self.options.online.clone(), log)?;
        let reports = online.run(targets, self.options.plan, self.options.leaked);
        write_verdicts(&reports, findings);
        Ok(reports)
    }
}

/// Writes each key's verdict into every finding of its key id.
fn write_verdicts(reports: &[KeyReport], findings: &mut [Finding]) {
    let by_key: HashMap<&str, &OnlineVerdict> =
        reports.iter().map(|r| (r.key_id.as_str(), &r.check)).collect();
    for f in findings.iter_mut() {
        let Some(aws) = f.aws.as_mut() else { continue };
        let Some(id) = aws.key_id.as_ref() else { continue };
        if let Some(&verdict) = by_key.get(id.expose()) {
            aws.online = Some(Box::new(verdict.clone()));
        }
    }
}

impl Verifier for AwsVerifier {
    fn wants(&self, finding: &Finding) -> bool {
        finding.aws.as_ref().is_some_and(|a| a.key_id.is_some())
    }

    fn verify(&self, findings: &mut [Finding]) -> Result<Verification, VerifyError> {
        let reports = self.check(findings).map_err(VerifyError::new)?;
        Ok(Verification {
            checked: reports.len(),
            failed: reports.iter().filter(|r| r.failed()).count(),
        })
    }
}

/// The key to check for a finding with a key id, and where it was found.
fn target(f: &Finding, root: Option<&str>) -> Option<Target> {
    let aws = f.aws.as_ref()?;
    let key_id = aws.key_id.as_ref()?.expose().to_owned();
    let (path, commit) = match f.origin.within_repository() {
        Origin::File { path } => (path.display().to_string(), None),
        Origin::Commit { path, commit } => (path.clone(), Some(commit.id.clone())),
        other => (other.display_name(), other.commit().map(|c| c.id.clone())),
    };
    Some(Target {
        key_id,
        secret: aws.paired_secret.as_ref().map(|p| p.value.clone()),
        session_token: aws.session_token.as_ref().map(|p| p.value.clone()),
        found: vec![FoundAt {
            repository: f.origin.repository().or(root).map(str::to_owned),
            commit,
            path,
            line: f.location.line,
            fingerprint: f.fingerprint.to_string(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::aws::AwsInfo;
    use crate::finding::{BlobId, Fingerprint, Location, Secret};
    use crate::verify::Verifier;

    fn key_id(n: u64) -> String {
        let account = crate::aws::AccountId::new(123_456_789_012).unwrap();
        crate::aws::anatomy::synthesize(crate::aws::PrefixClass::Akia, account, n)
    }

    fn finding(path: &str, key: Option<&str>) -> Finding {
        let secret = Secret::new(key.unwrap_or("not-an-aws-secret"));
        Finding {
            rule_id: "aws.access_key_id".into(),
            description: "An AWS access key id".into(),
            severity: crate::rules::Severity::default(),
            origin: Origin::File { path: path.into() },
            location: Location {
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 21,
                byte_start: 0,
                byte_end: 20,
            },
            fingerprint: Fingerprint::new("aws.access_key_id", &secret),
            blob_id: BlobId::of(path.as_bytes()),
            entropy: 4.0,
            line_text: String::new(),
            line_secret_range: (0, 0),
            line_other_secrets: Vec::new(),
            encoding: None,
            aws: key.map(|k| AwsInfo {
                key_id: Some(Secret::new(k)),
                prefix_class: None,
                account: None,
                paired_secret: None,
                session_token: None,
                tags: BTreeSet::new(),
                canary_owner: None,
                online: None,
            }),
            secret,
        }
    }

    fn verifier(dir: &std::path::Path) -> AwsVerifier {
        AwsVerifier::new(VerifierOptions {
            online: OnlineOptions::default(),
            audit_log: dir.join("audit.jsonl"),
            plan: Plan::Check,
            leaked: LeakedCheck::Skip,
            root: None,
        })
    }

    #[test]
    fn issue_13_aws_verifier_wants_key_ids_and_opens_nothing_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let v = verifier(dir.path());
        let (a, other) = (key_id(1), finding("b.txt", None));
        assert!(v.wants(&finding("a.ini", Some(&a))));
        assert!(!v.wants(&other));
        let mut findings = vec![other];
        assert_eq!(v.verify(&mut findings).unwrap(), Verification::default());
        assert!(!dir.path().join("audit.jsonl").exists(), "no key: no audit log, no session");
    }

    #[test]
    fn issue_13_verdicts_reach_every_finding_of_their_key() {
        let (a, b) = (key_id(1), key_id(2));
        let mut findings = vec![
            finding("one.ini", Some(&a)),
            finding("two.env", Some(&b)),
            finding("copy.ini", Some(&a)),
            finding("other.txt", None),
        ];
        let targets: Vec<Target> =
            findings.iter().filter_map(|f| target(f, Some("repo"))).collect();
        assert_eq!(targets.len(), 3, "one target per finding with a key id");
        assert_eq!(targets[0].found[0].repository.as_deref(), Some("repo"));
        assert_eq!(targets[2].found[0].path, "copy.ini");
        let mut inactive = KeyReport::new(&a, Vec::new(), super::super::Verdict::Inactive);
        inactive.check.user = Some("alice".into());
        let foreign = KeyReport::new(&b, Vec::new(), super::super::Verdict::Foreign);
        write_verdicts(&[inactive.clone(), foreign.clone()], &mut findings);
        let online = |i: usize| findings[i].aws.as_ref().and_then(|a| a.online.as_deref());
        assert_eq!(online(0), Some(&inactive.check));
        assert_eq!(online(2), Some(&inactive.check));
        assert_eq!(online(1), Some(&foreign.check));
        assert!(findings[3].aws.is_none());
    }
}
