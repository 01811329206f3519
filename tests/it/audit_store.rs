//! The audit datastore through the binary: `keysentry triage` and `keysentry merge` over
//! datastores written with the library (issue 15).

use std::path::Path;
use std::sync::Arc;

use keysentry::audit::store::{
    FindingFilter, FindingSelector, RepoResult, RepoStatus, Store, TriageStatus,
};
use keysentry::audit::{RepoLocation, RepoSpec};
use keysentry::finding::{BlobId, CommitInfo, Finding, Fingerprint, Location, Origin, Secret};

use crate::common::{TestEnv, secrets};

fn finding(secret: &str, path: &str) -> Finding {
    let content = format!("token = \"{secret}\"\n");
    let start = content.find(secret).expect("secret in content");
    let s = Secret::new(secret);
    let commit = Arc::new(CommitInfo {
        id: "c0ffee".repeat(7)[..40].to_owned(),
        author: "Alice".into(),
        email: "alice@example.com".into(),
        date: "2026-01-02T03:04:05+00:00".into(),
        summary: "add config".into(),
    });
    Finding {
        rule_id: "github.pat_classic".into(),
        description: "GitHub personal access token".into(),
        severity: keysentry::rules::Severity::High,
        origin: Origin::Commit { path: path.into(), commit },
        location: Location {
            line: 1,
            column: start + 1,
            end_line: 1,
            end_column: start + 1 + secret.len(),
            byte_start: start,
            byte_end: start + secret.len(),
        },
        fingerprint: Fingerprint::new("github.pat_classic", &s),
        secret: s,
        blob_id: BlobId::of(content.as_bytes()),
        entropy: 4.5,
        line_text: content.trim_end().to_owned(),
        line_secret_range: (start, start + secret.len()),
        line_other_secrets: Vec::new(),
        encoding: None,
        aws: None,
    }
}

fn token(n: u32) -> String {
    format!("{}{n}", &secrets::github_pat()[..39])
}

/// A datastore at `path` holding repository `name` with the tokens `tokens`.
fn datastore(path: &Path, name: &str, tokens: &[u32]) {
    let mut store = Store::open(path).expect("open the datastore");
    let run = store.begin_run("rules-1").expect("begin a run");
    let findings: Vec<Finding> =
        tokens.iter().map(|&n| finding(&token(n), &format!("conf/{n}.ini"))).collect();
    let result = RepoResult {
        repo: RepoSpec {
            id: format!("/srv/git/{name}"),
            location: RepoLocation::Local(format!("/srv/git/{name}").into()),
            name: name.into(),
            fork: false,
            archived: false,
        },
        run,
        ruleset: "rules-1".into(),
        status: RepoStatus::Complete,
        refs: vec![("HEAD".into(), "1".repeat(40))],
        blobs_scanned: findings.iter().map(|f| f.blob_id).collect(),
        findings,
        known_occurrences: Vec::new(),
        gaps: Vec::new(),
    };
    store.write_repo(&result).expect("write the repository");
}

fn fingerprint(n: u32) -> String {
    Fingerprint::new("github.pat_classic", &Secret::new(token(n))).as_str().to_owned()
}

#[test]
fn issue_15_triage_sets_statuses_by_id_and_fingerprint() {
    let env = TestEnv::without_git();
    let db = env.outside().join("audit.db");
    datastore(&db, "api", &[1, 2, 3]);
    let id = Store::open(&db)
        .unwrap()
        .findings(&FindingFilter::default())
        .unwrap()
        .into_iter()
        .find(|f| f.fingerprint == fingerprint(1))
        .unwrap()
        .id;
    let db_arg = db.to_str().unwrap();
    let fp2 = fingerprint(2);
    let run = env.run(&[
        "triage",
        "--datastore",
        db_arg,
        "--status",
        "false-positive",
        "--note",
        "test fixture",
        "--by",
        "bob",
        &id.to_string(),
        &fp2[..10],
    ]);
    run.assert_code(0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("false_positive"), "{}", run.stderr);
    // --by defaults to $USER.
    let mut cmd = env.command();
    cmd.env("USER", "carol").args([
        "triage",
        "--datastore",
        db_arg,
        "--status",
        "revoked",
        &fingerprint(3),
    ]);
    assert_eq!(cmd.output().unwrap().status.code(), Some(0));

    let store = Store::open(&db).unwrap();
    let found = store.findings(&FindingFilter::default()).unwrap();
    let triage =
        |n: u32| found.iter().find(|f| f.fingerprint == fingerprint(n)).unwrap().triage.clone();
    for n in [1, 2] {
        let t = triage(n);
        assert_eq!(t.status, TriageStatus::FalsePositive);
        assert_eq!((t.note.as_deref(), t.by.as_deref()), (Some("test fixture"), Some("bob")));
    }
    assert_eq!((triage(3).status, triage(3).by.as_deref()), (TriageStatus::Revoked, Some("carol")));
}

#[test]
fn issue_15_triage_of_an_unknown_finding_changes_nothing_and_exits_2() {
    let env = TestEnv::without_git();
    let db = env.outside().join("audit.db");
    datastore(&db, "api", &[1]);
    let db_arg = db.to_str().unwrap();
    let run =
        env.run(&["triage", "--datastore", db_arg, "--status", "accepted", &fingerprint(1), "999"]);
    run.assert_code(2);
    assert!(run.stderr.contains("no finding 999 in the datastore"), "{}", run.stderr);
    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.findings(&FindingFilter::default()).unwrap()[0].triage.status,
        TriageStatus::Open
    );
    drop(store);

    let run = env.run(&["triage", "--datastore", db_arg, "--status", "accepted", "not-hex!"]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a finding id"), "{}", run.stderr);
    let run = env.run(&["triage", "--datastore", db_arg, "--status", "sideways", "1"]);
    run.assert_code(2);

    // A missing datastore is not created; a damaged one is a clear error.
    let missing = env.outside().join("missing.db");
    let run =
        env.run(&["triage", "--datastore", missing.to_str().unwrap(), "--status", "open", "1"]);
    run.assert_code(2);
    assert!(run.stderr.contains("no such datastore") && !missing.exists(), "{}", run.stderr);
    let junk = env.write_outside("junk.db", "not sqlite ".repeat(500));
    let run = env.run(&["triage", "--datastore", junk.to_str().unwrap(), "--status", "open", "1"]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a SQLite database"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn issue_15_merge_combines_shards_and_keeps_the_newest_triage() {
    let env = TestEnv::without_git();
    let (a, b) = (env.outside().join("shard-0.db"), env.outside().join("shard-1.db"));
    datastore(&a, "api", &[1, 2]);
    datastore(&b, "web", &[2, 3]);
    let shared = FindingSelector::Fingerprint(fingerprint(2));
    Store::open(&a).unwrap().set_triage(&shared, TriageStatus::Accepted, None, "alice").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    Store::open(&b)
        .unwrap()
        .set_triage(&shared, TriageStatus::Revoked, Some("rotated"), "bob")
        .unwrap();

    let all = env.outside().join("all.db");
    let (a_arg, b_arg, all_arg) = (a.to_str().unwrap(), b.to_str().unwrap(), all.to_str().unwrap());
    let run = env.run(&["merge", a_arg, b_arg, "-o", all_arg]);
    run.assert_code(0);
    assert!(run.stderr.contains("2 repositories, 3 findings"), "{}", run.stderr);
    let store = Store::open(&all).unwrap();
    let found = store.findings(&FindingFilter::default()).unwrap();
    assert_eq!(found.len(), 3);
    let f = found.iter().find(|f| f.fingerprint == fingerprint(2)).unwrap();
    assert_eq!((f.triage.status, f.triage.by.as_deref()), (TriageStatus::Revoked, Some("bob")));
    assert_eq!(f.matches[0].occurrences.len(), 2);
    // The secret is in no merged byte.
    let bytes = std::fs::read(&all).unwrap();
    assert!(!bytes.windows(token(2).len()).any(|w| w == token(2).as_bytes()));
    drop(store);

    // An existing output is refused; so is an input that is not a datastore.
    let run = env.run(&["merge", a_arg, "-o", all_arg]);
    run.assert_code(2);
    assert!(run.stderr.contains("exists"), "{}", run.stderr);
    let junk = env.write_outside("junk.db", "not sqlite ".repeat(500));
    let out = env.outside().join("out.db");
    let run = env.run(&["merge", a_arg, junk.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a SQLite database") && !out.exists(), "{}", run.stderr);
}
