//! Configuration files, allowlists, inline ignore comments, ignore lists and baselines, alone
//! and together, in every scan mode.

use crate::common;

use common::{TestEnv, finding_path, rule_id, secrets};
use serde_json::Value;

pub(crate) fn findings(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let run = env.scan_json(args);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    run.findings()
}

pub(crate) fn paths_of(f: &[Value]) -> Vec<String> {
    let mut p: Vec<String> = f.iter().map(|f| finding_path(f).to_owned()).collect();
    p.sort();
    p
}

pub(crate) fn token_line(name: &str) -> String {
    format!("{name} = \"{}\"\n", secrets::github_pat())
}

#[test]
fn a_config_file_is_found_and_its_allowlists_apply() {
    let env = TestEnv::new();
    env.write("src/app.env", token_line("TOKEN"));
    env.write("fixtures/sample.env", token_line("TOKEN"));
    env.write("docs/readme.md", token_line("TOKEN"));
    env.write(
        ".keysentry.toml",
        r#"
[[allowlists]]
description = "test data"
paths = ["fixtures/**"]

[[allowlists]]
paths = ["*.md"]
rules = ["github.pat_classic"]
"#,
    );
    assert_eq!(paths_of(&findings(&env, &["."])), ["src/app.env"]);
    // From a subdirectory the configuration at the top of the repository still applies.
    assert!(findings(&env, &["fixtures"]).is_empty());
    // --no-config: built-in rules and nothing else.
    assert_eq!(findings(&env, &["--no-config", "."]).len(), 3);
    // --config names another file.
    env.write("other.toml", "[[allowlists]]\nstopwords = [\"krca\"]\n");
    assert!(findings(&env, &["--config", "other.toml", "."]).is_empty());
}

#[test]
fn a_bad_config_is_an_error_that_names_the_problem() {
    let env = TestEnv::new();
    env.write("a.txt", "x\n");
    env.write(".keysentry.toml", "[[allowlists]]\npath = [\"x\"]\n");
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(".keysentry.toml") && run.stderr.contains("path"),
        "{}",
        run.stderr
    );
    env.write(".keysentry.toml", "[extend]\ndisabled_rules = [\"no.such_rule\"]\n");
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("no.such_rule"), "{}", run.stderr);
    let run = env.run(&["scan", "--config", "missing.toml", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
}

#[test]
fn config_rules_are_added_and_disabled_and_aws_accounts_set() {
    let env = TestEnv::new();
    let acme = ["acme_", "q7v0w2x9y4z1a8b3c6d5e0f7g2h9i4j1"].concat();
    env.write("a.env", format!("ACME={acme}\n{}", token_line("TOKEN")));
    env.write(
        ".keysentry.toml",
        r#"
[extend]
disabled_rules = ["github.pat_classic", "generic.secret"]

[[rules]]
id = "acme.token"
description = "Acme API token"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{32})\b'''
secret_group = 1
"#,
    );
    let found = findings(&env, &["."]);
    let rules: Vec<_> = found.iter().map(rule_id).collect();
    assert_eq!(rules, ["acme.token"]);
}

#[test]
fn inline_ignore_comments_of_every_tool() {
    let env = TestEnv::new();
    let markers = [
        "# keysentry:allow",
        "# gitleaks:allow",
        "# pragma: allowlist secret",
        "// trufflehog:ignore",
        "# kingfisher:ignore",
    ];
    for (i, m) in markers.iter().enumerate() {
        env.write(&format!("f{i}.py"), format!("TOKEN = \"{}\"  {m}\n", secrets::github_pat()));
    }
    env.write(
        "next.py",
        format!("# pragma: allowlist nextline secret\nTOKEN = \"{}\"\n", secrets::github_pat()),
    );
    env.write(
        "plain.py",
        format!("x = 1\n# keysentry:allow\nTOKEN = \"{}\"\n", secrets::github_pat()),
    );
    assert_eq!(paths_of(&findings(&env, &["."])), ["plain.py"]);
    assert_eq!(findings(&env, &["--no-inline-ignore", "."]).len(), 7);
}

#[test]
fn a_baseline_hides_known_findings_and_nothing_else() {
    let env = TestEnv::new();
    env.write("config/app.env", format!("A=1\n{}", token_line("TOKEN")));
    env.write("deploy.yml", format!("aws_access_key_id: {}\n", secrets::aws_key_id()));
    let run = env.run(&["baseline", "create", "."]);
    run.assert_code(0);
    let text = std::fs::read_to_string(env.path(".keysentry-baseline.json")).unwrap();
    assert!(!text.contains(&secrets::github_pat()) && !text.contains(&secrets::aws_key_id()));
    assert!(!text.contains("app.env") && !text.contains("\"line\""), "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let fps: Vec<&str> =
        doc["fingerprints"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(fps.len(), 2);
    assert!(fps.windows(2).all(|w| w[0] < w[1]), "sorted");
    // One fingerprint per line.
    assert_eq!(
        text.lines()
            .filter(|l| fps
                .iter()
                .any(|f| l.trim() == format!("\"{f}\",") || l.trim() == format!("\"{f}\"")))
            .count(),
        2
    );
    // create refuses to overwrite.
    env.run(&["baseline", "create", "."]).assert_code(2);

    assert!(findings(&env, &["--baseline", ".keysentry-baseline.json", "."]).is_empty());
    // Code moved within the file: still known.
    env.write("config/app.env", format!("# moved\nB=2\n\n{}A=1\n", token_line("TOKEN")));
    assert!(findings(&env, &["--baseline", ".keysentry-baseline.json", "."]).is_empty());
    // A different secret on a baselined line is new.
    env.write(
        "config/app.env",
        format!(
            "A=1\nTOKEN = \"{}\"\n",
            ["gh", "p_", "Tq8mZ3xWv7Lp2Rk9Yb4N", "c6Hd1Jf5Gs1dL2g5"].concat()
        ),
    );
    let new = findings(&env, &["--baseline", ".keysentry-baseline.json", "."]);
    assert_eq!(paths_of(&new), ["config/app.env"]);
    // update: the new one added, the one gone dropped.
    env.run(&["baseline", "update", "."]).assert_code(0);
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(env.path(".keysentry-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(doc["fingerprints"].as_array().unwrap().len(), 2);
    assert!(findings(&env, &["--baseline", ".keysentry-baseline.json", "."]).is_empty());
    // A broken baseline is an error.
    env.write("bad.json", "{\"nope\": 1}");
    env.run(&["scan", "--baseline", "bad.json", "."]).assert_code(2);
}

#[test]
fn gitleaks_reports_gitleaksignore_and_detect_secrets_baselines() {
    let env = TestEnv::new();
    env.write("a.env", token_line("TOKEN"));
    env.write("b.env", format!("x\n{}", token_line("GH")));
    env.write("c.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    // A gitleaks report (as gitleaks writes it) naming a.env.
    let report = env.outside().join("gitleaks-report.json");
    let report = report.to_str().unwrap();
    std::fs::write(
        report,
        format!(
            r#"[{{"Description":"GitHub PAT","StartLine":1,"EndLine":1,"StartColumn":9,"EndColumn":48,"Match":"x","Secret":"{}","File":"a.env","SymlinkFile":"","Commit":"","Entropy":4.5,"Author":"","Email":"","Date":"","Message":"","Tags":[],"RuleID":"github-pat","Fingerprint":"a.env:github-pat:1"}}]"#,
            secrets::github_pat()
        ),
    )
    .unwrap();
    let left = findings(&env, &["--baseline", report, "."]);
    assert_eq!(paths_of(&left), ["b.env", "c.env"]);
    // .gitleaksignore at the top is read by itself (file:rule:line with keysentry's rule id).
    env.write(".gitleaksignore", "b.env:github.pat_classic:2\n");
    let left = findings(&env, &["--baseline", report, "."]);
    assert_eq!(paths_of(&left), ["c.env"]);
    // detect-secrets: the SHA-1 of the secret.
    let sha1 = {
        use sha1::Digest as _;
        let d = sha1::Sha1::digest(secrets::aws_key_id().as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    env.write(
        ".secrets.baseline",
        format!(
            r#"{{"version":"1.5.0","plugins_used":[],"filters_used":[],"results":{{"c.env":[{{"type":"AWS Access Key","filename":"c.env","hashed_secret":"{sha1}","is_verified":false,"line_number":1}}]}},"generated_at":"2026-01-01T00:00:00Z"}}"#
        ),
    );
    let left = findings(&env, &["--baseline", report, "--baseline", ".secrets.baseline", "."]);
    assert!(left.is_empty(), "{left:#?}");
}

#[test]
fn a_gitleaks_json_report_of_keysentry_works_as_a_baseline() {
    let env = TestEnv::new();
    env.write("a.env", token_line("TOKEN"));
    let report = env.outside().join("report.json");
    let report = report.to_str().unwrap();
    env.run(&["scan", ".", "--format", "gitleaks-json", "-o", report]).assert_code(1);
    assert!(findings(&env, &["--baseline", report, "."]).is_empty());
    env.write("b.env", token_line("TOKEN"));
    assert_eq!(paths_of(&findings(&env, &["--baseline", report, "."])), ["b.env"]);
}

#[test]
fn a_gitleaks_config_is_read_as_it_is() {
    let env = TestEnv::new();
    let acme = |s: &str| ["acme", "_", s].concat();
    env.write("src/a.py", format!("key = '{}'\n", acme("7f3k9x2m4q8w1z6b")));
    env.write("src/b.py", format!("key = '{}'\n", acme("0000000000000000")));
    env.write("test/c.py", format!("key = '{}'\n", acme("9h2j4k6l8m0n2p4q")));
    env.write("src/d.txt", format!("key = '{}'  # gitleaks:allow\n", acme("5t6y7u8i9o0p1a2s")));
    env.write("src/e.py", format!("key = '{}' # dummy\n", acme("3d4f5g6h7j8k9l0z")));
    env.write("src/f.py", format!("key = '{}'\n", secrets::github_pat()));
    env.write(
        ".gitleaks.toml",
        r#"
title = "test"

[[rules]]
id = "acme-key"
description = "Acme key"
regex = '''acme_([a-z0-9]{16})'''
keywords = ["acme_"]
[rules.allowlist]
regexes = ['''^0+$''']
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''dummy''']

[[allowlists]]
targetRules = ["acme-key"]
paths = ['''^test/''']
"#,
    );
    let found = findings(&env, &["."]);
    assert_eq!(paths_of(&found), ["src/a.py"]);
    assert_eq!(rule_id(&found[0]), "acme-key");
    assert_eq!(found[0]["secret"], "7f3k************");
    // The same file named with --config; with a .keysentry.toml beside it, that one wins.
    env.write(".keysentry.toml", "");
    let own = findings(&env, &["."]);
    assert_eq!(paths_of(&own), ["src/f.py"]);
    assert_eq!(paths_of(&findings(&env, &["--config", ".gitleaks.toml", "."])), ["src/a.py"]);
}

#[test]
fn suppressions_apply_to_staged_range_and_history_scans() {
    let env = TestEnv::git_repo();
    env.write("README.md", "x\n");
    let base = env.commit_all("base");
    env.write(".keysentry.toml", "[[allowlists]]\npaths = [\"fixtures/**\"]\n");
    env.write("fixtures/f.env", token_line("TOKEN"));
    env.write("inline.env", format!("TOKEN = \"{}\" # keysentry:allow\n", secrets::github_pat()));
    env.git(&["add", "-A"]);
    // Staged: both suppressed, the hook passes.
    env.run(&["hook"]).assert_code(0);
    assert!(findings(&env, &["--staged", "."]).is_empty());
    env.commit_all("data");
    // Range and history: the same.
    assert!(findings(&env, &["--range", &format!("{base}..HEAD"), "."]).is_empty());
    assert!(findings(&env, &["--history", "."]).is_empty());
    // A real leak still shows everywhere.
    env.write("leak.env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    env.git(&["add", "leak.env"]);
    env.run(&["hook"]).assert_code(1);
}

#[test]
fn a_baseline_survives_rebase_and_squash() {
    let env = TestEnv::git_repo();
    env.write("README.md", "x\n");
    env.commit_all("base");
    env.git(&["checkout", "-q", "-b", "work"]);
    env.write("app/settings.env", format!("A=1\n{}", token_line("TOKEN")));
    env.commit_all("add settings");
    env.write("app/other.txt", "more\n");
    env.commit_all("more");
    env.run(&["baseline", "create", "--history", "."]).assert_code(0);
    let baseline = ["--baseline", ".keysentry-baseline.json"];
    let history = |extra: &[&str]| {
        let mut a = vec!["--history"];
        a.extend_from_slice(extra);
        a.push(".");
        findings(&env, &a)
    };
    assert_eq!(history(&[]).len(), 1);
    assert!(history(&baseline).is_empty());

    // Rebase onto a moved main: every commit id changes.
    env.git(&["checkout", "-q", "main"]);
    env.write("main.txt", "main moved\n");
    env.commit_all("main moves on");
    env.git(&["checkout", "-q", "work"]);
    env.git(&["rebase", "-q", "main"]);
    // Squash the branch into one commit, and drop the old branch tips from the repository.
    env.git(&["reset", "-q", "--soft", "main"]);
    env.git(&["commit", "-q", "-m", "squashed"]);
    env.git(&["branch", "-q", "-f", "main", "HEAD"]);
    env.git(&["reflog", "expire", "--expire=now", "--all"]);
    env.git(&["gc", "-q", "--prune=now"]);
    let before = history(&[]);
    assert_eq!(before.len(), 1, "{before:#?}");
    assert_eq!(before[0]["origin"]["commit"]["summary"], "squashed");
    assert!(history(&baseline).is_empty());
}

/// Runs `keysentry scan --format json ARGS…` in `dir`.
fn findings_in(env: &TestEnv, dir: &std::path::Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let run = common::Run::from(
        env.command().current_dir(dir).args(&all).output().expect("run keysentry"),
    );
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    run.findings()
}

#[test]
fn issue_12_baselines_do_not_depend_on_how_the_path_was_given() {
    let env = TestEnv::new();
    env.write("sub/app.env", token_line("TOKEN"));
    env.write("top.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    env.run(&["baseline", "create", "."]).assert_code(0);
    let baseline = env.path(".keysentry-baseline.json");
    let baseline = baseline.to_str().unwrap();
    let root = env.root().to_str().unwrap().to_owned();
    // Without the baseline, every shape finds the keys (the reports keep their paths).
    assert_eq!(findings_in(&env, env.outside(), &["tree"]).len(), 2);
    assert_eq!(
        paths_of(&findings_in(&env, env.outside(), &["tree"])),
        ["tree/sub/app.env", "tree/top.env"]
    );
    // With it, none comes back: an absolute path, `tree` from the parent, `.` in a
    // subdirectory, `..` from a subdirectory, a file named directly.
    for (dir, arg) in [
        (env.root().to_path_buf(), root.as_str()),
        (env.outside().to_path_buf(), "tree"),
        (env.path("sub"), "."),
        (env.path("sub"), ".."),
        (env.path("sub"), "app.env"),
        (env.outside().to_path_buf(), "tree/sub/../top.env"),
    ] {
        let left = findings_in(&env, &dir, &["--baseline", baseline, arg]);
        assert!(left.is_empty(), "{} {arg}: {left:?}", dir.display());
    }
    // A baseline created from the parent directory matches a scan at the root.
    std::fs::remove_file(env.path(".keysentry-baseline.json")).unwrap();
    let run = common::Run::from(
        env.command()
            .current_dir(env.outside())
            .args(["baseline", "create", "--baseline-file", "tree/b.json", "tree"])
            .output()
            .expect("run keysentry"),
    );
    run.assert_code(0);
    assert!(findings(&env, &["--baseline", "b.json", "."]).is_empty());
}

#[test]
fn issue_12_path_allowlists_match_whatever_the_arguments() {
    let env = TestEnv::new();
    env.write("fixtures/sample.env", token_line("TOKEN"));
    env.write("src/app.env", token_line("TOKEN"));
    env.write(".keysentry.toml", "[[allowlists]]\npaths = [\"fixtures/**\"]\n");
    let root = env.root().to_str().unwrap().to_owned();
    for (dir, arg) in [
        (env.root().to_path_buf(), root.as_str()),
        (env.root().to_path_buf(), "."),
        (env.path("fixtures"), "."),
        (env.path("src"), ".."),
    ] {
        let found = findings_in(&env, &dir, &[arg]);
        let names: Vec<_> = found.iter().map(|f| finding_path(f).to_owned()).collect();
        assert!(names.iter().all(|p| p.ends_with("src/app.env")), "{arg}: {names:?}");
    }
}
