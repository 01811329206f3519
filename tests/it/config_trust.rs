//! Issue 12: what a configuration found in the scanned tree may do. It sets rules, allowlists
//! and baselines; it cannot switch keysentry online, choose roles or output paths, govern
//! scans outside its repository, switch detection off in silence, or hang a scan with a FIFO.

use crate::common;

use std::net::TcpListener;
use std::time::Duration;

use common::{Run, TestEnv, secrets};

/// A line with an AWS key id that the built-in rules report.
fn key_line() -> String {
    format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id())
}

/// A listener on 127.0.0.1 that the test owns, and whether anything connected to it.
struct Listener(TcpListener);

impl Listener {
    fn new() -> Listener {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        l.set_nonblocking(true).expect("non-blocking");
        Listener(l)
    }

    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().expect("address"))
    }

    fn connected(&self) -> bool {
        self.0.accept().is_ok()
    }
}

/// `keysentry ARGS` with AWS variables that would let the SDK reach `listener` if keysentry
/// went online (synthetic credentials, the endpoint, a region), with a deadline.
fn run_with_aws(env: &TestEnv, listener: &Listener, args: &[&str]) -> Run {
    Run::from(
        env.command()
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", listener.url())
            .env("AWS_ACCESS_KEY_ID", secrets::aws_key_id_2())
            .env("AWS_SECRET_ACCESS_KEY", common::aws::secret(7))
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .expect("run keysentry"),
    )
}

const HOSTILE_AWS: &str = r#"
[aws]
verify = true
role_name = "attacker-chosen-role"
roles = { "111122223333" = "other-role" }
audit_log = "repo-audit.jsonl"
region = "eu-west-1"
endpoint_url = "http://127.0.0.1:9"
accounts = ["111122223333"]
"#;

#[test]
fn issue_12_a_repository_config_cannot_switch_aws_online() {
    let env = TestEnv::git_repo();
    env.write(".keysentry.toml", HOSTILE_AWS);
    env.write("app.env", key_line());
    let listener = Listener::new();
    let run = run_with_aws(&env, &listener, &["scan", "."]);
    run.assert_code(1);
    assert!(!listener.connected(), "keysentry went online: {}", run.stderr);
    assert!(!env.path("repo-audit.jsonl").exists());
    assert!(!env.path("keysentry-aws-audit.jsonl").exists());
    assert!(!run.stderr.contains("AWS verdicts"), "{}", run.stderr);
    for key in ["verify", "role_name", "roles", "audit_log", "region", "endpoint_url"] {
        assert!(run.stderr.contains(key), "{key} not named: {}", run.stderr);
    }
    assert!(run.stderr.contains("ignored"), "{}", run.stderr);
    // The warning is not hidden by -q, and the hook (offline anyway) loads the same file.
    let quiet = run_with_aws(&env, &listener, &["-q", "scan", "."]);
    assert!(quiet.stderr.contains("ignored"), "{}", quiet.stderr);
    env.git(&["add", "app.env"]);
    let hook = run_with_aws(&env, &listener, &["hook"]);
    hook.assert_code(1);
    assert!(!listener.connected());
    assert!(!env.path("repo-audit.jsonl").exists());
}

#[test]
#[cfg(feature = "aws")]
fn issue_12_online_commands_do_not_take_roles_or_audit_log_from_the_repository() {
    let env = TestEnv::git_repo();
    env.write(".keysentry.toml", HOSTILE_AWS);
    let listener = Listener::new();
    let key = secrets::aws_key_id();
    // The operator asks for online work, towards its own endpoint, without a usable identity:
    // the repository's audit log path and endpoint are not used.
    let run = Run::from(
        env.command()
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1")
            .args(["aws", "identify", &key, "--call-timeout", "1", "--endpoint-url"])
            .arg(listener.url())
            .timeout(Duration::from_secs(60))
            .output()
            .expect("run keysentry"),
    );
    run.assert_code(2);
    assert!(!env.path("repo-audit.jsonl").exists(), "{}", run.stderr);
}

#[test]
fn issue_12_the_operators_configuration_is_honoured() {
    let env = TestEnv::git_repo();
    env.write("app.env", key_line());
    // The online AWS options exist only with the `aws` feature.
    #[cfg(feature = "aws")]
    {
        let home = env.outside().join("home");
        let dir = home.join(".config/keysentry");
        std::fs::create_dir_all(&dir).unwrap();
        let log = env.outside().join("operator-audit.jsonl");
        std::fs::write(
            dir.join("config.toml"),
            format!("[aws]\nverify = true\naudit_log = {:?}\n", log.display().to_string()),
        )
        .unwrap();
        // verify = true from the operator's configuration: the online step runs (and, without
        // credentials, fails clearly after the report).
        let run = Run::from(
            env.command()
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("AWS_REGION", "us-east-1")
                .args(["scan", "--call-timeout", "1", "--endpoint-url", "http://127.0.0.1:9", "."])
                .timeout(Duration::from_secs(60))
                .output()
                .expect("run keysentry"),
        );
        run.assert_code(2);
        assert!(run.stderr.contains("operator's AWS credentials"), "{}", run.stderr);
        assert!(log.exists(), "the operator's audit log is used");
    }
    // XDG_CONFIG_HOME wins over HOME.
    let xdg = env.outside().join("xdg");
    std::fs::create_dir_all(xdg.join("keysentry")).unwrap();
    std::fs::write(xdg.join("keysentry/config.toml"), "[extend]\nbuiltin = false\n").unwrap();
    let run =
        Run::from(env.command().env("XDG_CONFIG_HOME", &xdg).args(["scan", "."]).output().unwrap());
    run.assert_code(2);
    assert!(run.stderr.contains("no rule is left active"), "{}", run.stderr);
    // With --no-config the operator's rules still apply; a repository config is not read.
    env.write(".keysentry.toml", "[extend]\ndisabled_rules = [\"aws.access_key_id\"]\n");
    let run = Run::from(
        env.command()
            .env("XDG_CONFIG_HOME", env.outside().join("none"))
            .args(["scan", "--no-config", "."])
            .output()
            .unwrap(),
    );
    run.assert_code(1);
}

#[test]
fn issue_12_a_config_above_a_non_git_scanned_directory_is_not_used() {
    let env = TestEnv::without_git();
    // Planted in a shared parent directory: it would switch the AWS rule off.
    env.write(".keysentry.toml", "[extend]\ndisabled_rules = [\"aws.access_key_id\"]\n");
    env.write("project/app.env", key_line());
    env.run(&["scan", "project"]).assert_code(1);
    let run = Run::from(
        env.command().current_dir(env.path("project")).args(["scan", "."]).output().unwrap(),
    );
    run.assert_code(1);
    // In the scanned directory itself it applies.
    env.run(&["scan", "."]).assert_code(0);
}

#[test]
fn issue_12_a_config_that_leaves_no_rule_is_an_error() {
    let env = TestEnv::new();
    env.write("app.env", key_line());
    env.write(".keysentry.toml", "[extend]\nbuiltin = false\n");
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("no rule is left active"), "{}", run.stderr);
    env.remove(".keysentry.toml");
    env.write(".gitleaks.toml", "[allowlist]\npaths = ['''fixtures/''']\n");
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(".gitleaks.toml") && run.stderr.contains("no rule"),
        "{}",
        run.stderr
    );
    env.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n[allowlist]\npaths = ['''fixtures/''']\n",
    );
    env.run(&["scan", "."]).assert_code(1);
}

#[test]
fn issue_12_allowlist_entries_that_allow_everything_are_reported() {
    let env = TestEnv::new();
    env.write("app.env", key_line());
    for (config, entry) in [
        ("[[allowlists]]\nstopwords = [\"a\"]\n", "stopword \"a\""),
        ("[[allowlists]]\nregexes = [\".*\"]\n", "regex \".*\""),
        ("[[allowlists]]\npaths = [\"**\"]\n", "matches every path"),
    ] {
        env.write(".keysentry.toml", config);
        let run = env.run(&["-q", "scan", "."]);
        run.assert_code(0);
        assert!(run.stderr.contains(entry), "{config}: {}", run.stderr);
        assert!(run.stderr.contains("can hide every finding"), "{config}: {}", run.stderr);
        assert!(run.stderr.contains("left out every finding of this scan"), "{}", run.stderr);
    }
    // A narrow allowlist that happens to leave out the scan's only finding is reported too,
    // but raises no load-time warning.
    env.write(".keysentry.toml", "[[allowlists]]\npaths = [\"app.env\"]\n");
    let run = env.run(&["scan", "."]);
    run.assert_code(0);
    assert!(run.stderr.contains("path \"**/app.env\" left out every finding"), "{}", run.stderr);
    assert!(!run.stderr.contains("can hide every finding"), "{}", run.stderr);
    // Operator's policy only: neither the configuration nor the ignore lists of the tree.
    env.write(".keysentryignore", "app.env\n");
    env.run(&["scan", "--no-config", "."]).assert_code(0);
    env.run(&["scan", "--no-config", "--no-ignore-files", "."]).assert_code(1);
    // An ignore list that excludes everything is named too.
    env.write(".keysentryignore", "*\n");
    let run = env.run(&["-q", "scan", "--no-config", "."]);
    run.assert_code(0);
    assert!(run.stderr.contains("\"*\" excludes every path"), "{}", run.stderr);
}

#[test]
fn issue_12_suppression_files_changed_in_the_checked_change_are_reported() {
    let env = TestEnv::git_repo();
    env.write("README.md", "hello\n");
    let base = env.commit_all("base");
    // One change adds a key and the ignore entry that hides it.
    env.write(".keysentryignore", "app.env\n");
    env.write("app.env", key_line());
    env.git(&["add", "-A"]);
    let hook = env.run(&["-q", "hook"]);
    hook.assert_code(0);
    assert!(
        hook.stderr.contains(".keysentryignore is changed in the staged change"),
        "{}",
        hook.stderr
    );
    env.run(&["hook", "--no-ignore-files"]).assert_code(1);
    let staged = env.run(&["scan", "--staged", "."]);
    assert!(staged.stderr.contains(".keysentryignore is changed"), "{}", staged.stderr);
    env.git(&["commit", "-q", "-m", "key"]);
    let range = env.run(&["scan", "--range", &format!("{base}..HEAD"), "."]);
    range.assert_code(0);
    assert!(range.stderr.contains(":.keysentryignore is changed in the range"), "{}", range.stderr);
    env.run(&["scan", "--no-ignore-files", "--range", &format!("{base}..HEAD"), "."])
        .assert_code(1);
    // A configuration change is reported the same way.
    env.write(".keysentry.toml", "[[allowlists]]\npaths = [\"other.env\"]\n");
    env.write("other.env", key_line().replace("AWS_ACCESS", "X_AWS_ACCESS"));
    env.git(&["add", "-A"]);
    let hook = env.run(&["hook"]);
    hook.assert_code(0);
    assert!(hook.stderr.contains(".keysentry.toml is changed"), "{}", hook.stderr);
    env.run(&["hook", "--no-config"]).assert_code(1);
}

#[cfg(unix)]
#[test]
fn issue_12_baseline_and_ignore_files_are_not_written_through_links() {
    let env = TestEnv::new();
    env.write("app.env", key_line());
    let target = env.write_outside("bashrc", "# the operator's file\n");
    env.symlink(&target, ".keysentry-baseline.json");
    let run = prompt(&env, &["baseline", "update", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    env.remove(".keysentry-baseline.json");
    env.symlink(env.outside().join("gone"), ".keysentry-baseline.json");
    prompt(&env, &["baseline", "create", "."]).assert_code(2);
    assert!(!env.outside().join("gone").exists());
    // `keysentry ignore` writes the fingerprint file (issue 13).
    env.symlink(&target, ".keysentry-ignored-fingerprints");
    let run = prompt(&env, &["ignore", &"ab".repeat(16)]);
    run.assert_code(2);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "# the operator's file\n");
    env.remove(".keysentry-ignored-fingerprints");
    mkfifo(&env.path(".keysentry-ignored-fingerprints"));
    prompt(&env, &["ignore", &"ab".repeat(16)]).assert_code(2);
}

#[test]
fn issue_12_duplicate_rule_ids_are_an_error_in_keysentry_configs() {
    let env = TestEnv::new();
    env.write("app.env", key_line());
    let rule = "[[rules]]\nid = \"acme.token\"\ndescription = \"Acme\"\nkeywords = [\"acme_\"]\nregex = '''acme_([a-z0-9]{32})'''\nsecret_group = 1\n";
    env.write(".keysentry.toml", format!("{rule}{rule}"));
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("\"acme.token\" is defined twice"), "{}", run.stderr);
    // gitleaks accepts them (the later one wins): a warning that -q does not hide.
    let gl =
        "[[rules]]\nid = \"acme\"\nregex = '''acme_([a-z0-9]{32})'''\nkeywords = [\"acme_\"]\n";
    env.remove(".keysentry.toml");
    env.write(".gitleaks.toml", format!("{gl}{gl}"));
    let run = env.run(&["-q", "scan", "."]);
    run.assert_code(0);
    assert!(run.stderr.contains("\"acme\" is defined twice"), "{}", run.stderr);
}

#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(ok.success());
}

/// `keysentry ARGS`, which must finish within a few seconds.
fn prompt(env: &TestEnv, args: &[&str]) -> Run {
    Run::from(env.command().args(args).timeout(Duration::from_secs(20)).output().expect("run"))
}

#[cfg(unix)]
#[test]
fn issue_12_fifo_directory_and_device_configs_are_reported_not_hung_on() {
    let env = TestEnv::git_repo();
    env.write("app.env", key_line());
    env.git(&["add", "app.env"]);
    mkfifo(&env.path(".keysentry.toml"));
    for args in [&["scan", "."][..], &["hook"], &["scan", "--staged", "."]] {
        let run = prompt(&env, args);
        run.assert_code(2);
        assert!(run.stderr.contains("is a FIFO, not a regular file"), "{args:?}: {}", run.stderr);
    }
    env.remove(".keysentry.toml");
    env.mkdir(".keysentry.toml");
    let run = prompt(&env, &["scan", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("is a directory, not a regular file"), "{}", run.stderr);
    std::fs::remove_dir(env.path(".keysentry.toml")).unwrap();
    env.symlink("/dev/zero", ".keysentry.toml");
    for args in [&["scan", "."][..], &["hook"]] {
        let run = prompt(&env, args);
        run.assert_code(2);
        assert!(run.stderr.contains("leads out of"), "{args:?}: {}", run.stderr);
    }
    env.remove(".keysentry.toml");
    // Named by the operator, a link is followed, but a device is still not read.
    let run = prompt(&env, &["scan", "--config", "/dev/zero", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("is a device"), "{}", run.stderr);
    let fifo = env.outside().join("baseline.fifo");
    mkfifo(&fifo);
    let run = prompt(&env, &["scan", "--baseline", fifo.to_str().unwrap(), "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("is a FIFO"), "{}", run.stderr);
    // Ignore lists the configuration code reads (fingerprints, .gitleaksignore): a warning,
    // and the scan goes on with more findings, not fewer. (--no-ignore keeps the walker off
    // .keysentryignore here; the walk's own reading of it is tested with the walker.)
    mkfifo(&env.path(".gitleaksignore"));
    env.symlink("/dev/zero", ".keysentryignore");
    let run = prompt(&env, &["scan", "--no-ignore", "."]);
    run.assert_code(1);
    assert!(run.stderr.contains(".gitleaksignore is a FIFO"), "{}", run.stderr);
    assert!(run.stderr.contains(".keysentryignore is a symbolic link"), "{}", run.stderr);
}

#[test]
fn issue_12_gitleaks_extend_path_stays_in_the_repository() {
    let env = TestEnv::git_repo();
    let outside =
        env.write_outside("base.toml", "[[rules]]\nid = \"x\"\nregex = '''zzqqzz[0-9]{5}'''\n");
    env.write(".gitleaks.toml", format!("[extend]\npath = {:?}\n", outside.display().to_string()));
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("outside the scanned tree"), "{}", run.stderr);
    // Named with --config, it may extend any file.
    let named = env.write_outside(
        "named.toml",
        format!("[extend]\nuseDefault = true\npath = {:?}\n", outside.display().to_string()),
    );
    env.run(&["scan", "--config", named.to_str().unwrap(), "."]).assert_code(0);
}
