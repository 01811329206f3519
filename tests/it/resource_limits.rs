//! Resource limits (issue 14, point 6): what a scan may ask of the machine.

use crate::common;

use common::{TestEnv, secrets};

/// `-j 10000` ran ten thousand threads for one file; the sources now run at most a few per
/// core, and say so.
#[test]
fn issue_14_threads_are_clamped_to_a_few_per_core() {
    let env = TestEnv::new();
    env.write("a.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    for mode in [&[][..], &["--history"][..]] {
        let git = TestEnv::git_repo();
        git.write("a.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
        git.commit_all("add a key");
        let (tree, args): (&TestEnv, Vec<&str>) = if mode.is_empty() {
            (&env, vec!["scan", "-j", "10000", "--format", "json", "."])
        } else {
            (&git, vec!["scan", "--history", "-j", "10000", "--format", "json", "."])
        };
        let run = tree.run(&args);
        run.assert_code(1);
        assert_eq!(run.findings().len(), 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("--threads 10000: running ") && run.stderr.contains("per core"),
            "{}",
            run.stderr
        );
    }
}

/// Issue 14, point 1: a keyword flood scanned for seconds per MiB (each hit rescanned a window
/// around it). Now it is linear; and a secret in the flood is still found, with its line.
#[test]
fn issue_14_a_keyword_flood_is_scanned_in_full_and_its_secret_found() {
    let env = TestEnv::new();
    let key = secrets::aws_key_id();
    for (name, unit) in [("one-line.txt", "password=secret=token="), ("lines.txt", "secret=\n")] {
        let mut text = unit.repeat((1 << 20) / unit.len());
        let at = text.len() / 2;
        let at = text[..at].rfind('\n').map_or(at, |i| i + 1);
        text.insert_str(at, &format!("\naws_access_key_id = {key}\n"));
        env.write(name, text);
    }
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(
        findings.iter().filter(|f| common::rule_id(f) == "aws.access_key_id").count(),
        2,
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("searched only up to"), "{}", run.stderr);
}

/// Issue 14, point 2: a configured regex whose automaton is too large (this one searched 60 s
/// per MiB) is refused when the configuration loads, with the reason; not run unbounded.
#[test]
fn issue_14_a_configured_regex_over_the_size_budget_is_refused_with_the_reason() {
    let env = TestEnv::new();
    env.write("a.txt", "a".repeat(1 << 20));
    let rule = "[[rules]]\nid = \"t.slow\"\ndescription = \"slow\"\nkeywords = [\"aaa\"]\n\
                regex = '''(?:[a-z]|aa|aaa){1,2000}[0-9]'''\n";
    env.write(".keysentry.toml", rule);
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("t.slow"), "{}", run.stderr);
    assert!(run.stderr.contains("too large to search in bounded time"), "{}", run.stderr);
    // The same in a gitleaks configuration.
    env.remove(".keysentry.toml");
    env.write(".gitleaks.toml", rule.replace("description = \"slow\"\n", ""));
    let run = env.run(&["scan", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("too large to search in bounded time"), "{}", run.stderr);
}

/// Issue 14, point 6: `--timeout` stops searching an item that takes too long and reports it
/// as searched in part: the scan is incomplete (exit 2), in every report.
#[test]
fn issue_14_timeout_reports_an_item_searched_in_part() {
    let env = TestEnv::new();
    // Dense enough to take far longer than a millisecond in any build.
    env.write("dense.txt", "secret=password=".repeat((8 << 20) / 16));
    let run = env.run(&["scan", "--timeout", "1ms", "."]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("not scanned in full: dense.txt: searched only up to byte"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
    let run = env.scan_json(&["--timeout", "1ms", "."]);
    run.assert_code(2);
    let json = run.json();
    assert_eq!(json["skipped"][0]["reason"], "cut_short", "{json}");
    assert_eq!(json["incomplete"], true, "{json}");
    // Bad durations are refused.
    for bad in ["0", "-1s", "soon", "1h"] {
        env.run(&["scan", "--timeout", bad, "."]).assert_code(2);
    }
    // Without the option, the same file is searched in full.
    env.run(&["scan", "."]).assert_code(0);
}

/// Content in flight is bounded (issue 14, point 6): large blobs wait for their share of the
/// budget, and one over `--max-file-size` is skipped from its header, never decoded. Neither
/// may lose anything: every large blob's key (at its very end) is found by four workers, loose
/// and packed, and the blob too large is reported with its exact size.
#[test]
fn issue_14_large_blobs_through_the_content_budget_lose_nothing() {
    let git = TestEnv::git_repo();
    let filler = "plain filler text of a large generated file\n".repeat(3 << 20 >> 6);
    for i in 0..6 {
        git.write(&format!("big{i}.txt"), format!("{filler}aws_access_key_id = {}\n", key(i)));
        git.commit_all(&format!("big {i}"));
        // The history hands out runs of 64 commits: 64 empty ones between two large blobs
        // put each on another worker.
        empty_commits(&git, 64);
    }
    let huge = format!("{filler}{filler}{filler}aws_access_key_id = {}\n", key(9));
    git.write("huge.txt", &huge);
    git.commit_all("huge");
    for packed in [false, true] {
        if packed {
            git.git(&["gc", "-q"]);
        }
        let limit = (huge.len() - 1).to_string();
        let run = git.run(&[
            "scan",
            "--history",
            "-j",
            "4",
            "--format",
            "json",
            "--max-file-size",
            &limit,
            ".",
        ]);
        run.assert_code(1);
        let mut found: Vec<_> =
            run.findings().iter().map(|f| common::finding_path(f).to_owned()).collect();
        found.sort();
        let want: Vec<_> = (0..6).map(|i| format!("big{i}.txt")).collect();
        assert_eq!(found, want, "packed: {packed}\n{}", run.stderr);
        let doc = run.json();
        let skipped = doc["skipped"].as_array().expect("skipped");
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert_eq!(skipped[0]["reason"], "too_large");
        assert_eq!(skipped[0]["size"], huge.len() as u64);
        assert_eq!(skipped[0]["origin"]["path"], "huge.txt");
    }
}

/// Appends `n` empty commits to `main`, with one `git fast-import`.
fn empty_commits(git: &TestEnv, n: usize) {
    use std::io::Write as _;
    let mut stream = String::new();
    for i in 0..n {
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter t <t@example.com> {} +0000\ndata 1\nc\n",
            1_700_000_000 + i
        ));
        if i == 0 {
            stream.push_str("from refs/heads/main^0\n");
        }
        stream.push('\n');
    }
    let mut child = git
        .git_command_in(git.root())
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child.stdin.take().expect("stdin").write_all(stream.as_bytes()).expect("write the stream");
    assert!(child.wait().expect("git fast-import").success());
}

/// A distinct AWS key id per blob (the scan reports each blob's own).
fn key(i: u64) -> String {
    common::aws::key_id("AKIA", 123_456_789_012, i)
}
