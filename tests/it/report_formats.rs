//! Every report format (`--format`), snapshotted for a small tree and a small git history with
//! temporary paths, times and the version filtered; redaction checked in every format. SARIF's
//! own checks are in `report_sarif`.

use crate::common;
use crate::report_sarif::validate_sarif;
use crate::tools;

use common::{TestEnv, secrets, snapshot_settings, transcript};

const FORMATS: [&str; 9] =
    ["human", "json", "jsonl", "sarif", "github", "gitlab", "junit", "csv", "gitleaks-json"];

/// Snapshot settings: the common ones, JUnit's times and keysentry's version.
fn settings(env: &TestEnv) -> insta::Settings {
    let mut s = snapshot_settings(env);
    s.add_filter(r#"time="[0-9.]+""#, r#"time="[ELAPSED]""#);
    s.add_filter(&regex::escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
    s
}

/// Two findings (an AWS key id with its secret, a GitHub token), a clean file, a binary file.
pub(crate) fn small_tree() -> TestEnv {
    let env = TestEnv::new();
    env.write("README.md", "# demo\n\nNothing to see here.\n");
    env.write(
        "config/prod.env",
        format!(
            "REGION=eu-west-1\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
            secrets::aws_key_id(),
            secrets::aws_secret_key()
        ),
    );
    env.write("deploy.sh", format!("#!/bin/sh\nexport GITHUB_TOKEN={}\n", secrets::github_pat()));
    env.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    env
}

/// A repository of two commits with fixed dates, so that commit ids are the same every run.
pub(crate) fn small_history() -> TestEnv {
    let env = TestEnv::git_repo();
    let commit = |message: &str, date: &str| {
        env.git(&["add", "-A"]);
        let out = env
            .git_command_in(env.root())
            .args(["commit", "-q", "-m", message])
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("run git commit");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    env.write("README.md", "# demo\n");
    commit("start", "2026-01-02T03:04:05+02:00");
    env.write("deploy.sh", format!("#!/bin/sh\nexport GITHUB_TOKEN={}\n", secrets::github_pat()));
    env.write("app.env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    commit("add deploy script", "2026-01-03T10:00:00+02:00");
    env
}

#[test]
fn every_format_for_a_tree() {
    let env = small_tree();
    for format in FORMATS {
        let run = env.run(&["scan", "--format", format, "."]);
        run.assert_code(1);
        settings(&env).bind(|| insta::assert_snapshot!(format!("tree_{format}"), transcript(&run)));
    }
}

#[test]
fn git_formats_name_the_commit() {
    let env = small_history();
    for format in ["human", "sarif", "gitlab", "gitleaks-json", "csv", "github"] {
        let run = env.run(&["scan", "--history", "--quiet", "--format", format, "."]);
        run.assert_code(1);
        settings(&env)
            .bind(|| insta::assert_snapshot!(format!("history_{format}"), transcript(&run)));
    }
}

#[test]
fn no_format_leaks_a_secret_unless_asked() {
    let env = small_tree();
    let whole = [secrets::aws_key_id(), secrets::aws_secret_key(), secrets::github_pat()];
    for format in FORMATS {
        let run = env.run(&["scan", "--format", format, "."]);
        for s in &whole {
            assert!(!run.stdout.contains(s.as_str()), "{format} shows a secret:\n{}", run.stdout);
        }
        let shown = env.run(&["scan", "--show-secrets", "--format", format, "."]);
        assert!(
            shown.stdout.contains(&secrets::github_pat()),
            "{format} hides secrets with --show-secrets:\n{}",
            shown.stdout
        );
    }
}

#[test]
fn gitleaks_json_fields_and_fingerprints() {
    let env = small_history();
    let run = env.run(&["scan", "--history", "--quiet", "--format", "gitleaks-json", "."]);
    let all: serde_json::Value = serde_json::from_str(&run.stdout).expect("a JSON array");
    let first = &all.as_array().expect("array")[0];
    let keys: Vec<&str> =
        first.as_object().expect("object").keys().map(String::as_str).collect::<Vec<_>>();
    let mut expected = vec![
        "Description",
        "StartLine",
        "EndLine",
        "StartColumn",
        "EndColumn",
        "Match",
        "Secret",
        "File",
        "SymlinkFile",
        "Commit",
        "Entropy",
        "Author",
        "Email",
        "Date",
        "Message",
        "Tags",
        "RuleID",
        "Fingerprint",
    ];
    let mut keys = keys;
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    let commit = first["Commit"].as_str().expect("Commit");
    assert_eq!(commit.len(), 40);
    let fp = format!(
        "{commit}:{}:{}:{}",
        first["File"].as_str().expect("File"),
        first["RuleID"].as_str().expect("RuleID"),
        first["StartLine"]
    );
    assert_eq!(first["Fingerprint"], fp.as_str());
    // UTC, as gitleaks writes it.
    assert_eq!(first["Date"], "2026-01-03T08:00:00Z");
}

#[test]
fn csv_has_a_header_and_one_row_per_finding() {
    let env = small_tree();
    let run = env.run(&["scan", "--format", "csv", "."]);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(&header[0], "rule_id");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][4], "config/prod.env");
}

#[test]
fn junit_is_well_formed_without_findings() {
    let env = TestEnv::new();
    env.write("README.md", "clean <&> \"text\"\n");
    let run = env.run(&["scan", "--format", "junit", "."]);
    run.assert_code(0);
    assert!(run.stdout.contains(r#"tests="1" failures="0""#), "{}", run.stdout);
    assert!(run.stdout.contains(r#"<testcase name="no secrets found""#));
}

// ---- the human report's summary on stderr ----

#[test]
fn summary_figures_match_the_scan() {
    let env = small_tree();
    let json = env.scan_json(&["--quiet", "."]).json();
    let (scanned, bytes) = (&json["stats"]["scanned"], &json["stats"]["bytes"]);
    let run = env.run(&["scan", "."]);
    run.assert_code(1);
    let expected = format!("scanned {scanned} files ({bytes} B) in ");
    assert!(run.stderr.starts_with(&expected), "{expected:?} in\n{}", run.stderr);
    assert!(run.stderr.contains("): 2 findings; skipped 1 binary"), "{}", run.stderr);
    assert!(
        run.stderr
            .ends_with("findings by rule:\n  1  aws.access_key_id\n  1  github.pat_classic\n"),
        "{}",
        run.stderr
    );
    // Nothing of the summary on stdout: that is the report.
    assert!(!run.stdout.contains("scanned"));
}

#[test]
fn quiet_prints_only_findings_and_verbose_adds_diagnostics() {
    let env = small_tree();
    let quiet = env.run(&["scan", "--quiet", "."]);
    quiet.assert_code(1);
    assert_eq!(quiet.stderr, "");
    assert!(quiet.stdout.contains("deploy.sh\n"));
    let verbose = env.run(&["scan", "-v", "."]);
    assert!(verbose.stderr.contains("keysentry: skipped binary logo.png"), "{}", verbose.stderr);
    assert!(verbose.stderr.contains("findings by rule:"));
    assert_eq!(verbose.stdout, quiet.stdout);
}

#[test]
fn human_report_in_colour_marks_the_secret() {
    let env = small_tree();
    let run = env.run(&["--color", "always", "scan", "--quiet", "."]);
    // The secret (redacted) in bold red, no carets: the colour is the mark.
    assert!(run.stdout.contains("\u{1b}[1m\u{1b}[31mghp_****************"), "{}", run.stdout);
    assert!(!run.stdout.contains('^'));
}

// ---- issue 12: gaps, redaction of echoed content, escapes, wide positions ----

/// A tree with a finding and a file too large to scan (`--max-file-size 1K`).
fn tree_with_a_gap() -> TestEnv {
    let env = TestEnv::new();
    env.write("deploy.sh", format!("export GITHUB_TOKEN={}\n", secrets::github_pat()));
    let mut big = format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id());
    big.push_str(&"x".repeat(4096));
    env.write("big.env", big);
    env
}

#[test]
fn issue_12_every_format_lists_the_file_not_scanned() {
    let python = tools::PYTHON.find();
    let env = tree_with_a_gap();
    for format in FORMATS {
        let run = env.run(&["scan", "--quiet", "--max-file-size", "1K", "--format", format, "."]);
        run.assert_code(1);
        assert!(run.stderr.contains("not scanned: big.env"), "{format}: {}", run.stderr);
        let out = &run.stdout;
        match format {
            "json" => {
                let doc = run.json();
                assert_eq!(doc["incomplete"], true, "{out}");
                assert_eq!(doc["gaps"][0]["origin"]["path"], "big.env", "{out}");
                assert!(doc["gaps"][0]["message"].as_str().unwrap().contains("larger than"));
            }
            "jsonl" => {
                let last: serde_json::Value =
                    serde_json::from_str(out.lines().last().unwrap()).unwrap();
                assert_eq!(last["type"], "scan_status", "{out}");
                assert_eq!(last["incomplete"], true, "{out}");
                assert_eq!(last["gaps"][0]["origin"]["path"], "big.env", "{out}");
            }
            "sarif" => {
                let doc: serde_json::Value = serde_json::from_str(out).unwrap();
                let inv = &doc["runs"][0]["invocations"][0];
                assert_eq!(inv["executionSuccessful"], false, "{out}");
                let n = &inv["toolExecutionNotifications"][0];
                assert_eq!(n["level"], "error");
                assert!(n["message"]["text"].as_str().unwrap().contains("big.env"), "{out}");
                if let Err(e) = python.as_deref().map_or(Ok(()), |p| validate_sarif(p, out)) {
                    panic!("invalid SARIF:\n{e}\n{out}");
                }
            }
            "gitlab" => {
                let doc: serde_json::Value = serde_json::from_str(out).unwrap();
                assert_eq!(doc["scan"]["status"], "failure", "{out}");
                let m = &doc["scan"]["messages"][0];
                assert!(m["value"].as_str().unwrap().contains("big.env"), "{out}");
            }
            "junit" => {
                assert!(out.contains(r#"<testcase name="not scanned: big.env""#), "{out}");
                assert!(out.contains(r#"type="keysentry.incomplete""#), "{out}");
                assert!(out.contains(r#"failures="2""#), "{out}");
            }
            "github" => {
                assert!(
                    out.contains("::error file=big.env,title=keysentry%3A not scanned::"),
                    "{out}"
                )
            }
            "csv" => assert!(out.contains(",not_scanned,big.env,"), "{out}"),
            // Findings only: the gap shows on stderr and in the exit status.
            "human" | "gitleaks-json" => {}
            _ => unreachable!(),
        }
    }
    // Without the gap, SARIF says the run succeeded and GitLab's status is success.
    let run = env.run(&["scan", "--quiet", "--format", "sarif", "."]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["runs"][0]["invocations"][0]["executionSuccessful"], true);
    let run = env.run(&["scan", "--quiet", "--format", "gitlab", "."]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["scan"]["status"], "success");
}

/// A commit whose message, author name and email repeat the key committed with it.
fn history_with_a_key_in_the_message() -> TestEnv {
    let env = TestEnv::git_repo();
    let key = secrets::aws_key_id();
    env.write("app.env", format!("AWS_ACCESS_KEY_ID={key}\n"));
    env.git(&["add", "-A"]);
    let out = env
        .git_command_in(env.root())
        .args(["commit", "-q", "-m", &format!("add key {key} for prod")])
        .env("GIT_AUTHOR_NAME", format!("dev {key}"))
        .env("GIT_AUTHOR_EMAIL", format!("{key}@example.com"))
        .output()
        .expect("run git commit");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    env
}

#[test]
fn issue_12_secrets_in_commit_messages_are_redacted_in_every_format() {
    let env = history_with_a_key_in_the_message();
    let key = secrets::aws_key_id();
    for format in FORMATS {
        let run = env.run(&["scan", "--history", "--format", format, "."]);
        run.assert_code(1);
        assert!(!run.stdout.contains(&key), "{format} shows the key:\n{}", run.stdout);
        assert!(!run.stderr.contains(&key), "{format} shows the key on stderr:\n{}", run.stderr);
    }
    // Where the format echoes the message, it is there, redacted.
    let json = env.scan_json(&["--history", "."]).json();
    let summaries: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["origin"]["commit"]["summary"].as_str())
        .collect();
    assert!(!summaries.is_empty(), "{json}");
    assert!(summaries.iter().all(|s| s.starts_with("add key AKIA*")), "{summaries:?}");
    let shown = env.run(&["scan", "--history", "--show-secrets", "--format", "json", "."]);
    assert!(shown.stdout.contains(&format!("add key {key} for prod")), "{}", shown.stdout);
}

/// A file whose name and line hold terminal controls: ESC, BEL, CR, OSC 52 (clipboard write),
/// ESC[8m (concealed text), cursor moves, a bidi override.
fn hostile_tree() -> TestEnv {
    let env = TestEnv::new();
    let name = "evil\u{1b}]52;c;aGk=\u{7}\u{1b}[8m\u{202e}.env";
    env.write(
        name,
        format!(
            "\u{1b}[2K\rTOKEN\u{1b}[1A\u{8}={} \u{1b}[8mhidden\u{9b}31m\n",
            secrets::github_pat()
        ),
    );
    env
}

fn has_raw_controls(s: &str, keep: &[char]) -> bool {
    s.chars().any(|c| {
        !keep.contains(&c)
            && (c < ' '
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c))
    })
}

#[test]
fn issue_12_terminal_escapes_are_shown_never_run() {
    let python = tools::PYTHON.find();
    let env = hostile_tree();
    for format in ["human", "github", "csv"] {
        let run = env.run(&["scan", "--format", format, "."]);
        run.assert_code(1);
        // Only the report's own line ends (and the CSV writer's) remain.
        assert!(!has_raw_controls(&run.stdout, &['\n']), "{format}: {:?}", run.stdout);
        assert!(!has_raw_controls(&run.stderr, &['\n']), "{format}: {:?}", run.stderr);
        assert!(run.stdout.contains("\\x1b]52;c;aGk=\\x07"), "{format}: {}", run.stdout);
    }
    let human = env.run(&["scan", "--quiet", "."]);
    assert!(
        human.stdout.contains("evil\\x1b]52;c;aGk=\\x07\\x1b[8m\\u{202e}.env"),
        "{}",
        human.stdout
    );
    // A lone CR ends a line, so the part before it is a line of its own, never overwritten.
    assert!(human.stdout.contains("\n  2:12 "), "{}", human.stdout);
    assert!(human.stdout.contains("| TOKEN\\x1b[1A\\x08="), "{}", human.stdout);
    // The -v diagnostics that name files, too.
    // A known binary format (PNG's signature): skipped, and named in a diagnostic.
    env.write("bin\u{1b}[31m.dat", b"\x89PNG\r\n\x1a\n\0\0\0binary");
    let verbose = env.run(&["scan", "-v", "."]);
    assert!(!has_raw_controls(&verbose.stderr, &['\n']), "{:?}", verbose.stderr);
    assert!(verbose.stderr.contains("bin\\x1b[31m.dat"), "{}", verbose.stderr);
    // Structured formats stay valid documents.
    for format in ["json", "jsonl", "gitlab", "gitleaks-json"] {
        let run = env.run(&["scan", "--format", format, "."]);
        for line in
            if format == "jsonl" { run.stdout.lines().collect() } else { vec![&run.stdout[..]] }
        {
            serde_json::from_str::<serde_json::Value>(line).expect(format);
        }
    }
    let sarif = env.run(&["scan", "--format", "sarif", "."]);
    if let Err(e) = python.as_deref().map_or(Ok(()), |p| validate_sarif(p, &sarif.stdout)) {
        panic!("invalid SARIF:\n{e}\n{}", sarif.stdout);
    }
    let junit = env.run(&["scan", "--format", "junit", "."]);
    // XML 1.0 forbids most C0 controls, even escaped: none may remain.
    assert!(!has_raw_controls(&junit.stdout, &['\n']), "{:?}", junit.stdout);
    assert!(!junit.stdout.contains("&#27;"), "{}", junit.stdout);
}

#[test]
fn issue_12_wide_positions_do_not_run_into_the_rule_id() {
    let env = TestEnv::new();
    let mut text = "\n".repeat(123_455);
    text.push_str(&" ".repeat(12_344));
    text.push_str(&format!("GITHUB_TOKEN={}\n", secrets::github_pat()));
    env.write("wide.sh", text);
    let run = env.run(&["scan", "--quiet", "."]);
    run.assert_code(1);
    assert!(run.stdout.contains("  123456:12358 github.pat_classic"), "{}", run.stdout);
}
