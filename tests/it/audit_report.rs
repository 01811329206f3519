//! Reports from the audit datastore through the binary (issue 15): every format names the
//! repository and never the secret; filters; the self-contained, escaped HTML page;
//! `--show-secrets` refused. The datastores are written with the library from real scans of
//! generated git repositories.

use std::path::{Path, PathBuf};

use keysentry::audit::store::{
    FindingFilter, FindingSelector, RepoResult, RepoStatus, RunId, Store, TriageStatus,
};
use keysentry::audit::{RepoLocation, RepoSpec};
use keysentry::rules::RuleSet;
use keysentry::sink::Collect;
use keysentry::source::history::{History, HistoryOptions};
use keysentry::{Scan, ScanOptions};

use crate::common::{TestEnv, secrets};

/// The scan of `env`'s history, as a repository result named `name`.
fn scanned(env: &TestEnv, name: &str, run: RunId) -> RepoResult {
    let options = HistoryOptions {
        repo: env.root().to_owned(),
        since: None,
        max_commits: None,
        all_occurrences: true,
        max_file_size: 50 << 20,
        threads: 1,
        git_env: Default::default(),
    };
    let history = History::open(options).expect("open the history");
    let scan = Scan::new(RuleSet::builtin().expect("rules"), ScanOptions::default());
    let mut sink = Collect::new();
    scan.run(&history, &mut sink).expect("scan");
    let findings = sink.into_outcome().findings;
    assert!(!findings.is_empty(), "the generated repository has findings");
    let path = env.root().canonicalize().expect("canonical path");
    RepoResult {
        repo: RepoSpec {
            id: path.display().to_string(),
            location: RepoLocation::Local(path),
            name: name.into(),
            fork: false,
            archived: false,
        },
        run,
        ruleset: "builtin".into(),
        status: RepoStatus::Complete,
        refs: vec![("HEAD".into(), env.git(&["rev-parse", "HEAD"]).trim().to_owned())],
        blobs_scanned: findings.iter().map(|f| f.blob_id).collect(),
        findings,
        known_occurrences: Vec::new(),
        gaps: Vec::new(),
    }
}

/// Two repositories: `acme/api` with an AWS key pair, `acme/web` with a GitHub token (and a
/// hostile commit summary and path when `hostile`), plus one failed repository.
struct Fixture {
    _api: TestEnv,
    _web: TestEnv,
    dir: TestEnv,
    db: PathBuf,
}

const HOSTILE: &str = "<script>alert(1)</script>\"onload=x </style>\u{1b}[31m\u{202e}";

fn fixture(web_name: &str) -> Fixture {
    let api = TestEnv::git_repo();
    api.write(
        "deploy/aws.env",
        format!(
            "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
            secrets::aws_key_id(),
            secrets::aws_secret_key()
        ),
    );
    api.commit_all("deploy settings");
    let web = TestEnv::git_repo();
    let long_line = "x".repeat(1 << 20);
    web.write(
        "src/\"onload=alert(1) <b>.js",
        format!("const t = \"{}\"; // {long_line}\n", secrets::github_pat()),
    );
    web.commit_all(&format!("add token {HOSTILE}"));
    let dir = TestEnv::without_git();
    let db = dir.path("audit.db");
    let mut store = Store::open(&db).expect("open");
    let run = store.begin_run("builtin").expect("run");
    store.write_repo(&scanned(&api, "acme/api", run)).expect("write api");
    store.write_repo(&scanned(&web, web_name, run)).expect("write web");
    let failed = RepoResult {
        repo: RepoSpec {
            id: "https://git.example/acme/gone".into(),
            location: RepoLocation::Remote("https://git.example/acme/gone".into()),
            name: "acme/gone".into(),
            fork: false,
            archived: false,
        },
        run,
        ruleset: "builtin".into(),
        status: RepoStatus::Failed("clone failed: connection refused".into()),
        refs: Vec::new(),
        blobs_scanned: Vec::new(),
        findings: Vec::new(),
        known_occurrences: Vec::new(),
        gaps: Vec::new(),
    };
    store.write_repo(&failed).expect("write failed");
    store.finish_run(run, &Default::default()).expect("finish");
    Fixture { _api: api, _web: web, dir, db }
}

fn report(f: &Fixture, args: &[&str]) -> crate::common::Run {
    let db = f.db.display().to_string();
    let mut all = vec!["report", "--datastore", db.as_str()];
    all.extend_from_slice(args);
    f.dir.run(&all)
}

fn assert_no_secret(text: &str, what: &str) {
    for s in [secrets::aws_key_id(), secrets::aws_secret_key(), secrets::github_pat()] {
        assert!(!text.contains(&s), "{what}: a secret in {text}");
        // Nor a long piece of it.
        assert!(!text.contains(&s[4..16]), "{what}: part of a secret in {text}");
    }
}

const FORMATS: [&str; 10] = [
    "human",
    "json",
    "jsonl",
    "sarif",
    "github",
    "gitlab",
    "junit",
    "csv",
    "gitleaks-json",
    "html",
];

#[test]
fn issue_15_every_format_names_the_repository_and_never_the_secret() {
    let f = fixture("acme/web");
    for format in FORMATS {
        let run = report(&f, &["--format", format]);
        assert_eq!(run.code, 1, "{format}: open findings exit 1: {}", run.stderr);
        assert!(run.stdout.contains("acme/api"), "{format}: {}", run.stdout);
        assert!(run.stdout.contains("acme/web"), "{format}: {}", run.stdout);
        assert_no_secret(&run.stdout, format);
        assert_no_secret(&run.stderr, format);
    }
    // The JSON origin reads as any other, with the repository beside it.
    let run = report(&f, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let findings = doc["findings"].as_array().expect("findings");
    let aws =
        findings.iter().find(|x| x["origin"]["path"] == "deploy/aws.env").expect("the AWS finding");
    assert_eq!(aws["origin"]["kind"], "commit");
    assert_eq!(aws["origin"]["repository"], "acme/api");
    assert_eq!(aws["secret_redacted"], true);
    // A preview is not redacted again into something shorter.
    assert!(aws["secret"].as_str().expect("secret").len() >= 20, "{aws}");
    assert_eq!(aws["aws"]["account_id"].as_str().map(str::len), Some(12));
    // The failed repository is reported.
    assert!(run.stdout.contains("acme/gone"), "{}", run.stdout);
}

#[test]
fn issue_15_filters_repo_rule_status_since() {
    let f = fixture("acme/web");
    let json = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let run = report(&f, &all);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        let repos: Vec<String> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|x| x["origin"]["repository"].as_str().unwrap_or("").to_owned())
            .collect();
        (run.code, repos, doc)
    };
    let (code, repos, _) = json(&["--repo", "acme/web"]);
    assert_eq!(code, 1);
    assert!(!repos.is_empty() && repos.iter().all(|r| r == "acme/web"), "{repos:?}");
    let (_, _, doc) = json(&["--rule", "github.pat_classic"]);
    assert!(
        doc["findings"].as_array().expect("f").iter().all(|x| x["rule_id"] == "github.pat_classic"),
        "{doc}"
    );
    let (code, repos, _) = json(&["--since", "2999-01-01"]);
    assert_eq!((code, repos.len()), (0, 0));
    let (_, repos, _) = json(&["--since", "run:1"]);
    assert!(!repos.is_empty());
    // Triage every finding of acme/web as a false positive: --status selects them, and the
    // rest still counts.
    let mut store = Store::open(&f.db).expect("open");
    let web = store
        .findings(&FindingFilter { repo: Some("acme/web".into()), ..FindingFilter::default() })
        .expect("findings");
    for x in &web {
        store
            .set_triage(&FindingSelector::Id(x.id), TriageStatus::FalsePositive, Some("test"), "t")
            .expect("triage");
    }
    drop(store);
    let (code, repos, _) = json(&["--status", "false-positive"]);
    assert_eq!(code, 0, "no open finding in the report");
    assert!(!repos.is_empty() && repos.iter().all(|r| r == "acme/web"), "{repos:?}");
    let (code, _, _) = json(&["--status", "open"]);
    assert_eq!(code, 1);
    let bad = report(&f, &["--since", "yesterday"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--since"), "{}", bad.stderr);
}

#[test]
fn issue_15_show_secrets_is_refused() {
    let f = fixture("acme/web");
    let run = report(&f, &["--show-secrets"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("never holds a secret"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let missing = f.dir.run(&["report", "--datastore", "nope.db"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no such datastore"), "{}", missing.stderr);
}

#[test]
fn issue_15_html_is_self_contained_and_escapes_hostile_values() {
    let f = fixture(&format!("acme/{HOSTILE}"));
    let out = f.dir.path("report.html");
    let out_arg = out.display().to_string();
    let run = report(&f, &["--format", "html", "-o", &out_arg]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = std::fs::read_to_string(&out).expect("the page");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("default-src 'none'"), "a CSP forbids every load");
    let lower = html.to_lowercase();
    // URLs (the failed repository's) show as text only: nothing refers to them.
    for bad in ["<script", "src=", "href=", "@import", "url(", "<link", "<img", "<iframe"] {
        assert!(!lower.contains(bad), "{bad} in the page");
    }
    // One <style>, ours; the hostile `</style>` is text.
    assert_eq!(lower.matches("</style>").count(), 1);
    assert!(!html.contains("\"onload"), "an attribute breakout");
    assert!(!html.contains('\u{1b}') && !html.contains('\u{202e}'));
    assert!(html.contains("&lt;script&gt;"), "the hostile name is shown, escaped");
    // The megabyte line is cut.
    assert!(html.len() < 200_000, "{} bytes", html.len());
    for section in ["Summary", "Findings by repository", "Findings by rule", "AWS findings"] {
        assert!(html.contains(section), "{section}");
    }
    assert!(html.contains("acme/gone") && html.contains("connection refused"));
    assert_no_secret(&html, "html");
    screenshot(&out);
}

/// With headless Chromium installed, the page is rendered to a PNG beside it: the browser
/// loads it without a network and draws it.
fn screenshot(page: &Path) {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        return;
    }
    let png = page.with_extension("png");
    let status = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1800"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(png.exists(), "chromium rendered nothing: {}", String::from_utf8_lossy(&status.stderr));
}

/// `report --verify` over datastore findings against moto: each AWS finding is rebuilt from
/// its blob and checked, and the verdict is stored; a finding whose repository is gone is
/// reported as not verified. Online checks are the `aws` feature's.
#[cfg(feature = "aws")]
#[test]
fn issue_15_verify_over_datastore_findings_stores_verdicts() {
    use crate::aws_online::{Moto, OPERATOR, iam_in, runtime, user_with_key};
    let Some(moto) = Moto::start(&[]) else { return };
    let rt = runtime();
    let (key, secret) = rt.block_on(async {
        let iam = iam_in(&moto, OPERATOR).await;
        user_with_key(&iam, "alice").await
    });
    let repo = TestEnv::git_repo();
    repo.write(
        "deploy/credentials",
        format!("[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    );
    repo.commit_all("deploy credentials");
    let gone = TestEnv::git_repo();
    gone.write("old.env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    gone.commit_all("old");
    let dir = TestEnv::without_git();
    let db = dir.path("audit.db");
    let mut store = Store::open(&db).expect("open");
    let run = store.begin_run("builtin").expect("run");
    store.write_repo(&scanned(&repo, "acme/deploy", run)).expect("write");
    store.write_repo(&scanned(&gone, "acme/gone", run)).expect("write");
    drop(store);
    std::fs::remove_dir_all(gone.root()).expect("remove the second repository");
    let log = dir.path("aws-audit.jsonl").display().to_string();
    let db_s = db.display().to_string();
    let run = crate::common::Run::from(
        dir.command()
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(["report", "--datastore", &db_s, "--format", "json", "--verify"])
            .args(["--aws-account", OPERATOR, "--audit-log", &log])
            .args(["--endpoint-url", &moto.endpoint])
            .output()
            .expect("run keysentry"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("not verified"), "{}", run.stderr);
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let deployed = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["origin"]["repository"] == "acme/deploy" && f["rule_id"] == "aws.access_key_id")
        .expect("the deployed key");
    assert_eq!(deployed["aws"]["online"]["verdict"], "active", "{deployed:#}");
    // Stored: a later report without --verify shows it.
    let store = Store::open(&db).expect("open");
    let stored = store.findings(&FindingFilter::default()).expect("findings");
    let verdicts: Vec<bool> = stored
        .iter()
        .filter(|f| f.rule_id == "aws.access_key_id")
        .map(|f| f.verdict.is_some())
        .collect();
    assert_eq!(verdicts.iter().filter(|v| **v).count(), 1, "{verdicts:?}");
}
