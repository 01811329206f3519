//! Online AWS work end to end, against the moto emulator on 127.0.0.1 (never a real AWS
//! endpoint): `scan --verify --deactivate --yes`, across accounts through AssumeRole, the audit
//! log, idempotence, `aws reactivate`, quarantine. `scripts/test` installs moto into `.venv` and
//! exports KEYSENTRY_TEST_MOTO_SERVER; each test starts its own server on a free port.
#![cfg(feature = "aws")]

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools;
use aws_config::BehaviorVersion;
use aws_sdk_iam::types::StatusType;
use aws_sdk_sts::config::{Credentials, Region};
use common::{Run, TestEnv};
use serde_json::Value;

const ROLE: &str = "keysentry-remediation";
const OWN_OTHER: &str = "111111111111";
const FOREIGN: &str = "222222222222";
/// moto's default account: the operator's.
pub(crate) const OPERATOR: &str = "123456789012";

/// A moto server owned by the test: started on a free port, killed on drop.
pub(crate) struct Moto {
    child: Child,
    pub(crate) endpoint: String,
}

impl Moto {
    /// `None` when moto is missing (see [`tools::missing`]).
    pub(crate) fn start(extra_env: &[(&str, &str)]) -> Option<Moto> {
        let bin = tools::MOTO_SERVER.find()?;
        let mut child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .envs(extra_env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run moto_server ({}): {e}", bin.display()));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Read to the end so that moto never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("Running on http://127.0.0.1:").nth(1) {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx.recv_timeout(Duration::from_secs(60)).expect("moto_server did not start");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready(&port) {
            assert!(Instant::now() < deadline, "moto_server is not ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Moto { child, endpoint: format!("http://127.0.0.1:{port}") })
    }
}

fn ready(port: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(format!("127.0.0.1:{port}")) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).lines().next().is_some_and(|l| l.contains(" 200 "))
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

async fn config(moto: &Moto, creds: Credentials) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(creds)
        .load()
        .await
}

/// Test-only operator credentials (moto accepts any).
fn operator() -> Credentials {
    Credentials::new("testing", "testing", None, None, "test")
}

/// An IAM client in `account`: the operator's, or through AssumeRole.
pub(crate) async fn iam_in(moto: &Moto, account: &str) -> aws_sdk_iam::Client {
    let base = config(moto, operator()).await;
    if account == OPERATOR {
        return aws_sdk_iam::Client::new(&base);
    }
    let out = aws_sdk_sts::Client::new(&base)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/{ROLE}"))
        .role_session_name("test-setup")
        .send()
        .await
        .expect("moto: AssumeRole");
    let c = out.credentials().expect("moto: AssumeRole credentials");
    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        None,
        "assumed",
    );
    aws_sdk_iam::Client::new(&config(moto, creds).await)
}

/// Creates a user with one key; returns (key id, secret).
pub(crate) async fn user_with_key(iam: &aws_sdk_iam::Client, user: &str) -> (String, String) {
    iam.create_user().user_name(user).send().await.expect("moto: CreateUser");
    let out = iam.create_access_key().user_name(user).send().await.expect("moto: CreateAccessKey");
    let k = out.access_key().expect("moto: the new key");
    (k.access_key_id().to_owned(), k.secret_access_key().to_owned())
}

async fn status(iam: &aws_sdk_iam::Client, user: &str, key: &str) -> StatusType {
    let out = iam.list_access_keys().user_name(user).send().await.expect("moto: ListAccessKeys");
    out.access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(key))
        .and_then(|k| k.status().cloned())
        .expect("the key is listed")
}

/// Runs keysentry as an operator whose credentials point at moto.
fn keysentry(env: &TestEnv, moto: &Moto, args: &[&str]) -> Run {
    Run::from(
        env.command()
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .args(args)
            .args(["--endpoint-url", &moto.endpoint])
            .output()
            .expect("run keysentry"),
    )
}

fn records(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .expect("the audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

fn count(records: &[Value], key: &str, action: &str, result: &str) -> usize {
    records
        .iter()
        .filter(|r| r["key_id"] == key && r["action"] == action && r["result"] == result)
        .count()
}

/// `aws.online` of the first finding of a JSON report whose path contains `path`.
fn online_of(report: &Value, path: &str) -> Value {
    let findings = report["findings"].as_array().expect("a findings array");
    let f =
        findings.iter().find(|f| f["origin"]["path"].as_str().is_some_and(|p| p.contains(path)));
    f.unwrap_or_else(|| panic!("no finding in {path}: {report:#}"))["aws"]["online"].clone()
}

fn credentials_file(id: &str, secret: &str) -> String {
    format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")
}

#[test]
fn scan_verifies_deactivates_across_accounts_and_reactivate_restores() {
    let Some(moto) = Moto::start(&[]) else { return };
    let rt = runtime();
    let (own, other, foreign) = rt.block_on(async {
        (
            iam_in(&moto, OPERATOR).await,
            iam_in(&moto, OWN_OTHER).await,
            iam_in(&moto, FOREIGN).await,
        )
    });
    let (ka, sa) = rt.block_on(user_with_key(&own, "alice"));
    let (kb, sb) = rt.block_on(user_with_key(&other, "bob"));
    let (kc, sc) = rt.block_on(user_with_key(&foreign, "carol"));
    let canary = common::aws::key_id("AKIA", 171_436_882_533, 7);

    let env = TestEnv::new();
    env.write("app/.aws/credentials", credentials_file(&ka, &sa));
    env.write("copy/credentials", credentials_file(&ka, &sa));
    env.write("svc/b.ini", credentials_file(&kb, &sb));
    env.write("vendor/c.ini", credentials_file(&kc, &sc));
    env.write("trap/creds.ini", credentials_file(&canary, &common::aws::secret(3)));
    let log = env.outside().join("audit.jsonl");
    let log_s = log.display().to_string();
    let report = env.outside().join("report.json");
    let report_s = report.display().to_string();
    let scan = [
        "scan",
        "--format",
        "json",
        "--report-path",
        &report_s,
        "--no-config",
        "--verify",
        "--verify-leaked",
        "--deactivate",
        "--yes",
        "--aws-account",
        OPERATOR,
        "--aws-account",
        OWN_OTHER,
        "--role-name",
        ROLE,
        "--audit-log",
        &log_s,
        ".",
    ];
    let first = keysentry(&env, &moto, &scan);
    first.assert_code(1);
    assert!(first.stderr.contains("AWS verdicts:"), "{}", first.stderr);
    // Issue 12: the verdicts on stderr (a CI log) redact the key ids, as the report does.
    for k in [&ka, &kb, &kc] {
        assert!(!first.stderr.contains(k.as_str()), "a key id in full:\n{}", first.stderr);
    }

    rt.block_on(async {
        assert_eq!(status(&own, "alice", &ka).await, StatusType::Inactive);
        assert_eq!(status(&other, "bob", &kb).await, StatusType::Inactive);
        assert_eq!(status(&foreign, "carol", &kc).await, StatusType::Active, "foreign: untouched");
    });
    let recs = records(&log);
    assert_eq!(count(&recs, &ka, "check", "active"), 1, "a key is checked once: {recs:#?}");
    assert_eq!(
        recs.iter().find(|r| r["key_id"] == ka.as_str()).unwrap()["found"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    for k in [&ka, &kb] {
        assert_eq!(count(&recs, k, "deactivate", "intent"), 1);
        assert_eq!(count(&recs, k, "deactivate", "done"), 1);
    }
    assert_eq!(count(&recs, &kc, "check", "foreign"), 1);
    assert_eq!(count(&recs, &canary, "check", "canary"), 1);
    // moto checks no signatures: any pair it knows is live.
    assert_eq!(count(&recs, &ka, "verify-leaked", "live"), 1);
    assert!(recs.iter().filter(|r| r["key_id"] == canary.as_str()).all(|r| r["action"] == "check"));
    assert!(
        recs.iter().filter(|r| r["key_id"] == kc.as_str()).all(|r| r["action"] != "deactivate")
    );
    let done = recs.iter().find(|r| r["key_id"] == kb.as_str() && r["result"] == "done").unwrap();
    assert_eq!(done["account"], OWN_OTHER);
    assert_eq!(done["user"], "bob");
    assert!(done["request_id"].is_string());
    assert!(done["actor"].as_str().unwrap().contains(OPERATOR));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&sa) && !text.contains(&sb), "the log never holds a secret");

    // The report carries each key's verdict and actions, and no secret.
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(!text.contains(&sa) && !text.contains(&sb) && !text.contains(&ka), "redacted: {text}");
    let first: Value = serde_json::from_str(&text).unwrap();
    let online = |path: &str| online_of(&first, path);
    let alice = online("app/.aws/credentials");
    assert_eq!(alice["verdict"], "active", "{alice:#}");
    assert_eq!(alice["user"], "alice");
    assert_eq!(alice["own"], true);
    assert_eq!(alice["action"]["result"], "done");
    assert_eq!(alice["leaked"]["result"], "live");
    assert_eq!(online("copy/credentials"), alice, "one check per key, on each of its findings");
    assert_eq!(online("svc/b.ini")["account"], OWN_OTHER);
    assert_eq!(online("vendor/c.ini")["verdict"], "foreign");
    assert_eq!(online("trap/creds.ini")["verdict"], "canary");
    assert!(online("trap/creds.ini")["leaked"].is_null(), "a canary is never signed with");

    // A second run changes nothing.
    let n = recs.len();
    keysentry(&env, &moto, &scan).assert_code(1);
    let recs = records(&log);
    let again = &recs[n..];
    assert_eq!(count(again, &ka, "check", "inactive"), 1);
    assert_eq!(count(again, &ka, "deactivate", "unchanged"), 1);
    let second: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let alice = online_of(&second, "app/.aws/credentials");
    assert_eq!(alice["verdict"], "inactive", "{alice:#}");
    assert_eq!(alice["action"]["result"], "unchanged");
    assert!(again.iter().all(|r| r["result"] != "intent" && r["result"] != "done"));

    let verified = env.run(&["aws", "audit-log", "verify", &log_s]);
    verified.assert_code(0);
    assert!(
        verified.stdout.contains(&format!("intact, {} records", recs.len())),
        "{}",
        verified.stdout
    );

    let back = keysentry(&env, &moto, &["aws", "reactivate", &ka, "--audit-log", &log_s]);
    back.assert_code(0);
    assert!(back.stdout.contains("done"), "{}", back.stdout);
    rt.block_on(async { assert_eq!(status(&own, "alice", &ka).await, StatusType::Active) });
    env.run(&["aws", "audit-log", "verify", &log_s]).assert_code(0);
}

#[test]
fn identify_reports_verdicts_and_deactivate_is_a_dry_run_without_yes() {
    let Some(moto) = Moto::start(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]) else { return };
    let rt = runtime();
    let own = rt.block_on(iam_in(&moto, OPERATOR));
    let (k, _) = rt.block_on(user_with_key(&own, "dave"));
    let (gone, _) = rt.block_on(user_with_key(&own, "erin"));
    rt.block_on(async {
        own.delete_access_key().user_name("erin").access_key_id(&gone).send().await.unwrap();
    });
    let env = TestEnv::new();
    let log = env.outside().join("audit.jsonl").display().to_string();

    let id = keysentry(
        &env,
        &moto,
        &["aws", "identify", &k, &gone, "--format", "json", "--audit-log", &log],
    );
    id.assert_code(0);
    let v: Value = serde_json::from_str(&id.stdout).unwrap();
    assert_eq!(v[0]["verdict"], "active");
    assert_eq!(v[0]["user"], "dave");
    assert_eq!(v[0]["account"], OPERATOR);
    assert_eq!(v[1]["verdict"], "not_found");

    let dry =
        keysentry(&env, &moto, &["aws", "deactivate", &k, "--quarantine", "--audit-log", &log]);
    dry.assert_code(0);
    assert!(dry.stdout.contains("dry run"), "{}", dry.stdout);
    rt.block_on(async { assert_eq!(status(&own, "dave", &k).await, StatusType::Active) });

    let real = keysentry(
        &env,
        &moto,
        &["aws", "deactivate", &k, "--quarantine", "--yes", "--audit-log", &log],
    );
    real.assert_code(0);
    rt.block_on(async {
        assert_eq!(status(&own, "dave", &k).await, StatusType::Inactive);
        let p = own.list_attached_user_policies().user_name("dave").send().await.unwrap();
        let names: Vec<_> = p.attached_policies().iter().filter_map(|p| p.policy_name()).collect();
        assert_eq!(names, ["AWSCompromisedKeyQuarantineV3"]);
    });

    // A temporary key is reported with what to do instead, never changed.
    let session = rt.block_on(async {
        let base = config(&moto, operator()).await;
        let out = aws_sdk_sts::Client::new(&base)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{OPERATOR}:role/{ROLE}"))
            .role_session_name("leaked-session")
            .send()
            .await
            .expect("moto: AssumeRole");
        out.credentials().expect("credentials").access_key_id().to_owned()
    });
    assert!(session.starts_with("ASIA"), "{session}");
    let temp =
        keysentry(&env, &moto, &["aws", "deactivate", &session, "--yes", "--audit-log", &log]);
    temp.assert_code(0);
    assert!(
        temp.stdout.contains("temporary key") && temp.stdout.contains("not done"),
        "{}",
        temp.stdout
    );
    env.run(&["aws", "audit-log", "verify", &log]).assert_code(0);
}

#[test]
fn offline_forbids_online_work() {
    let env = TestEnv::new();
    let run = env.run(&["scan", "--no-config", "--offline", "--verify", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("--offline"), "{}", run.stderr);

    // `verify = true` in the configuration is overridden by --offline: no call, no audit log.
    env.write(".keysentry.toml", "[aws]\nverify = true\naudit_log = \"audit.jsonl\"\n");
    env.write("app.env", format!("AWS_ACCESS_KEY_ID={}\n", common::secrets::aws_key_id()));
    let run = env.run(&["scan", "--offline", "."]);
    run.assert_code(1);
    assert!(!env.path("audit.jsonl").exists());
    assert!(!run.stderr.contains("AWS verdicts"), "{}", run.stderr);
}

#[test]
fn no_credentials_is_a_clear_error_and_nothing_is_logged() {
    let env = TestEnv::new();
    let key = common::secrets::aws_key_id();
    let run = Run::from(
        env.command()
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1")
            // A closed port: nothing may leave the machine even if credentials were found.
            .args(["aws", "identify", &key, "--endpoint-url", "http://127.0.0.1:9"])
            .args(["--audit-log", "audit.jsonl", "--call-timeout", "1"])
            .output()
            .expect("run keysentry"),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("cannot use the operator's AWS credentials"), "{}", run.stderr);
    let log = std::fs::read_to_string(env.path("audit.jsonl")).unwrap_or_default();
    assert!(log.is_empty(), "{log}");
}

#[test]
fn scan_writes_its_report_when_the_online_step_cannot_run() {
    let env = TestEnv::new();
    let key = common::secrets::aws_key_id();
    env.write("app/creds.ini", credentials_file(&key, &common::aws::secret(5)));
    let report = env.outside().join("report.json");
    let run = Run::from(
        env.command()
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1")
            .args(["scan", "--no-config", "--verify", "--endpoint-url", "http://127.0.0.1:9"])
            .args(["--call-timeout", "1", "--audit-log"])
            .arg(env.outside().join("audit.jsonl"))
            .args(["--format", "json", "--report-path"])
            .arg(&report)
            .arg(".")
            .output()
            .expect("run keysentry"),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("cannot use the operator's AWS credentials"), "{}", run.stderr);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert!(findings[0]["aws"].get("online").is_none(), "no verdict without a check");
}

#[test]
fn audit_log_verify_detects_an_edit() {
    let env = TestEnv::new();
    let ok = [
        r#"{"seq":0,"time":"t","prev":"0000000000000000000000000000000000000000000000000000000000000000","key_id":"K","action":"check","result":"active"}"#,
    ];
    let path = env.write("log.jsonl", format!("{}\n", ok[0]));
    let p = path.display().to_string();
    env.run(&["aws", "audit-log", "verify", &p]).assert_code(0);
    env.write("log.jsonl", format!("{}\n", ok[0].replace("\"seq\":0", "\"seq\":1")));
    let broken = env.run(&["aws", "audit-log", "verify", &p]);
    broken.assert_code(1);
    assert!(
        broken.stdout.contains("BROKEN") && broken.stdout.contains("line 1"),
        "{}",
        broken.stdout
    );
}
