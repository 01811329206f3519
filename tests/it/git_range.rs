//! `keysentry scan --range BASE..HEAD`: the commits of a pull request, added lines only,
//! each finding attributed to its commit.

use crate::common;

use common::{TestEnv, finding_path, rule_id, secrets};
use serde_json::Value;

fn range(env: &TestEnv, spec: &str) -> Vec<Value> {
    let run = env.scan_json(&["--range", spec, "."]);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    run.findings()
}

fn commit_of(f: &Value) -> &str {
    f["origin"]["commit"]["id"].as_str().expect("commit id")
}

#[test]
fn each_commit_reports_the_lines_it_adds() {
    let env = TestEnv::git_repo();
    env.write("old.env", format!("TOKEN={}\n", secrets::github_pat()));
    let base = env.commit_all("base with an old secret");
    env.write("old.env", format!("TOKEN={}\nMORE=1\n", secrets::github_pat()));
    env.commit_all("touch the old file");
    env.write("new.env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    let added = env.commit_all("add a key");

    let findings = range(&env, &format!("{base}..HEAD"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(rule_id(&findings[0]), "aws.access_key_id");
    assert_eq!(commit_of(&findings[0]), added);
    assert_eq!(findings[0]["origin"]["commit"]["summary"], "add a key");
}

#[test]
fn a_merge_in_the_range_is_not_counted_twice() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    let base = env.commit_all("base");
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.write("feature.env", format!("TOKEN={}\n", secrets::github_pat()));
    let feature = env.commit_all("feature");
    env.git(&["checkout", "-q", "main"]);
    env.write("main.txt", "more\n");
    env.commit_all("main");
    env.git(&["merge", "-q", "--no-edit", "--no-ff", "feature"]);

    let findings = range(&env, &format!("{base}..HEAD"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(commit_of(&findings[0]), feature);

    // A line that only the merge itself adds (an "evil merge") is the merge's.
    env.git(&["checkout", "-q", "-b", "other", &base]);
    env.write("other.txt", "other\n");
    env.commit_all("other");
    env.git(&["checkout", "-q", "main"]);
    env.git(&["merge", "-q", "--no-commit", "--no-ff", "other"]);
    env.write("evil.txt", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    env.git(&["add", "evil.txt"]);
    env.git(&["commit", "-q", "--no-edit"]);
    let merge = env.git(&["rev-parse", "HEAD"]);
    let findings = range(&env, &format!("{base}..HEAD"));
    let evil: Vec<_> = findings.iter().filter(|f| rule_id(f) == "aws.access_key_id").collect();
    assert_eq!(evil.len(), 1, "{findings:#?}");
    assert_eq!(commit_of(evil[0]), merge);
    assert_eq!(findings.len(), 2, "{findings:#?}");
}

#[test]
fn a_rename_only_commit_reports_nothing() {
    let env = TestEnv::git_repo();
    env.write("a.env", format!("TOKEN={}\n", secrets::github_pat()));
    let base = env.commit_all("base");
    env.git(&["mv", "a.env", "b.env"]);
    env.commit_all("rename");
    assert!(range(&env, &format!("{base}..HEAD")).is_empty());
}

#[test]
fn commit_messages_in_the_range_are_scanned() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    let base = env.commit_all("base");
    let message = format!("deploy\n\npassword = \"{}\"\n", secrets::password_value());
    env.git(&["commit", "-q", "--allow-empty", "-m", &message]);
    let findings = range(&env, &format!("{base}..HEAD"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["origin"]["kind"], "commit_message");
}

#[test]
fn a_missing_base_in_a_shallow_clone_says_how_to_fix_it() {
    let env = TestEnv::git_repo();
    env.write("a.txt", "1\n");
    let base = env.commit_all("one");
    env.write("a.txt", "2\n");
    env.commit_all("two");
    env.write("a.txt", "3\n");
    env.commit_all("three");
    let url = format!("file://{}", env.root().display());
    let clone = env.outside().join("ci");
    env.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);

    let run = env.run(&["scan", "--range", &format!("{base}..HEAD"), clone.to_str().unwrap()]);
    run.assert_code(2);
    assert!(run.stderr.contains(&base), "{}", run.stderr);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
}

#[test]
fn range_auto_reads_ci_variables_and_fails_clearly_without_them() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    let base = env.commit_all("base");
    env.write("new.env", format!("TOKEN={}\n", secrets::github_pat()));
    let head = env.commit_all("pr");

    let run = env.run(&["scan", "--range", "auto", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("GITHUB_BASE_REF"), "{}", run.stderr);

    // GitLab merge request pipelines.
    let out = env
        .command()
        .args(["scan", "--format", "json", "--range", "auto", "."])
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base)
        .env("CI_COMMIT_SHA", &head)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));

    // GitHub Actions pull requests: the base branch on the remote `origin`.
    env.git(&["update-ref", "refs/remotes/origin/main", &base]);
    let out = env
        .command()
        .args(["scan", "--format", "json", "--range", "auto", "."])
        .env("GITHUB_BASE_REF", "main")
        .env("GITHUB_SHA", &head)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(finding_path(&doc["findings"][0]), "new.env");
}

#[test]
fn a_range_without_dots_is_a_usage_error() {
    let env = TestEnv::git_repo();
    env.write("a", "a\n");
    env.commit_all("a");
    let run = env.run(&["scan", "--range", "HEAD", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("BASE..HEAD"), "{}", run.stderr);
}

/// Issue 12 (a sibling of the skipped blob kinds): a tree from the repository may give a file
/// any mode. `100600` and `100666` are checked out as files by git; the range scan panicked
/// on them (git2's diff file mode), and only the three usual modes were scanned. Both are
/// scanned now, in range and history scans.
#[test]
fn issue_12_files_with_unusual_modes_are_scanned_without_a_panic() {
    let env = TestEnv::git_repo();
    env.write("README.md", "hello\n");
    env.commit_all("base");
    for (i, mode) in ["100600", "100666"].into_iter().enumerate() {
        let content = format!(
            "AWS_ACCESS_KEY_ID={}\n",
            common::aws::key_id("AKIA", 123456789012, i as u64 + 1)
        );
        let file = env.write_outside("blob-content", content);
        let blob = env.git(&["hash-object", "-w", file.to_str().unwrap()]);
        let mut tree = format!("{mode} mode{i}.env\0").into_bytes();
        tree.extend((0..20).map(|k| u8::from_str_radix(&blob[2 * k..2 * k + 2], 16).unwrap()));
        let tree_file = env.write_outside("tree-object", tree);
        let tree = env.git(&[
            "hash-object",
            "-t",
            "tree",
            "-w",
            "--literally",
            tree_file.to_str().unwrap(),
        ]);
        let commit = env.git(&["commit-tree", &tree, "-p", "HEAD", "-m", mode]);
        env.git(&["update-ref", "refs/heads/main", &commit]);
    }
    let run = env.scan_json(&["--range", "HEAD~2..HEAD", "."]);
    run.assert_code(1);
    let mut paths: Vec<_> = run.findings().iter().map(|f| finding_path(f).to_owned()).collect();
    paths.sort();
    assert_eq!(paths, ["mode0.env", "mode1.env"]);
    let run = env.scan_json(&["--history", "."]);
    run.assert_code(1);
    assert_eq!(run.findings().len(), 2);
}
