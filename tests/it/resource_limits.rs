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
