//! `keysentry hook install` / `uninstall`, and the installed hooks run by real `git commit`
//! and `git push`.
#![cfg(unix)]

use crate::common;

use std::path::Path;

use common::{TestEnv, secrets};

/// Runs git with keysentry's binary directory first on PATH; returns (success, stderr).
fn git_with_keysentry(env: &TestEnv, dir: &Path, args: &[&str]) -> (bool, String) {
    git_with_keysentry_input(env, dir, args, "")
}

/// [`git_with_keysentry`] with `input` on git's standard input (answers to `git commit -p`).
fn git_with_keysentry_input(
    env: &TestEnv,
    dir: &Path,
    args: &[&str],
    input: &str,
) -> (bool, String) {
    use std::io::Write as _;
    let bin_dir = TestEnv::bin().parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut child = env
        .git_command_in(dir)
        .env("PATH", path)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run git");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write git's input");
    drop(stdin);
    let out = child.wait_with_output().expect("wait for git");
    let stderr =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), stderr)
}

/// A repository with one commit (`app.env`, tracked) and keysentry's pre-commit hook.
fn repo_with_hook() -> TestEnv {
    let env = TestEnv::git_repo();
    env.write("app.env", "REGION=eu-west-1\n");
    env.write("README.md", "base\n");
    env.commit_all("base");
    env.run(&["hook", "install"]).assert_code(0);
    env
}

/// Issue 12: `git commit -a`, `git commit PATH`, `git commit --amend` and `git commit -p` hand
/// the hook a temporary index (`GIT_INDEX_FILE`); the hook read `.git/index`, which does not
/// hold the change, and let the key through. Each is blocked now, and nothing is committed.
#[test]
fn issue_12_every_way_of_committing_runs_the_hook_on_what_is_committed() {
    let key = format!("REGION=eu-west-1\nAWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id());
    let ways: [(&str, &[&str], &str); 6] = [
        ("commit -a", &["commit", "-q", "-a", "-m", "key"], ""),
        ("commit PATH", &["commit", "-q", "-m", "key", "app.env"], ""),
        ("commit --only PATH", &["commit", "-q", "--only", "-m", "key", "app.env"], ""),
        ("commit --include PATH", &["commit", "-q", "--include", "-m", "key", "app.env"], ""),
        ("commit -a --amend", &["commit", "-q", "-a", "--amend", "--no-edit"], ""),
        ("commit -p", &["commit", "-q", "-p", "-m", "key"], "y\n"),
    ];
    for (name, args, input) in ways {
        let env = repo_with_hook();
        let before = env.git(&["rev-parse", "HEAD"]);
        env.write("app.env", &key);
        let (ok, out) = git_with_keysentry_input(&env, env.root(), args, input);
        assert!(!ok, "git {name}: the commit went through:\n{out}");
        assert!(out.contains("aws.access_key_id") && out.contains("commit is blocked"), "{out}");
        assert_eq!(env.git(&["rev-parse", "HEAD"]), before, "git {name} committed");
    }

    // `--amend` of a commit through the ordinary index, and clean commits of each kind pass.
    let env = repo_with_hook();
    env.write("app.env", &key);
    env.git(&["add", "app.env"]);
    let (ok, out) = git_with_keysentry(&env, env.root(), &["commit", "-q", "--amend", "--no-edit"]);
    assert!(!ok && out.contains("aws.access_key_id"), "git commit --amend:\n{out}");
    let env = repo_with_hook();
    env.write("app.env", "REGION=eu-west-2\n");
    let (ok, out) = git_with_keysentry(&env, env.root(), &["commit", "-q", "-a", "-m", "clean"]);
    assert!(ok, "a clean git commit -a was blocked:\n{out}");
    env.write("README.md", "more\n");
    let (ok, out) = git_with_keysentry(&env, env.root(), &["commit", "-q", "-m", "m", "README.md"]);
    assert!(ok, "a clean git commit PATH was blocked:\n{out}");
}

#[test]
fn the_installed_pre_commit_hook_blocks_a_secret_and_passes_a_clean_commit() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    env.commit_all("base");
    env.run(&["hook", "install"]).assert_code(0);
    assert!(env.path(".git/hooks/pre-commit").exists());

    env.write("app.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.git(&["add", "app.env"]);
    let (ok, out) = git_with_keysentry(&env, env.root(), &["commit", "-q", "-m", "leak"]);
    assert!(!ok, "the commit went through:\n{out}");
    assert!(out.contains("github.pat_classic") && out.contains("commit is blocked"), "{out}");

    env.write("app.env", "TOKEN=${TOKEN}\n");
    env.git(&["add", "app.env"]);
    let (ok, out) = git_with_keysentry(&env, env.root(), &["commit", "-q", "-m", "clean"]);
    assert!(ok, "a clean commit was blocked:\n{out}");
}

#[test]
fn an_existing_hook_is_chained_and_restored() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    env.commit_all("base");
    let marker = env.outside().join("theirs-ran");
    let theirs = format!("#!/bin/sh\ntouch '{}'\n", marker.display());
    let hook = env.path(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, &theirs).unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let run = env.run(&["hook", "install"]);
    run.assert_code(0);
    assert!(run.stderr.contains("previous hook runs after it"), "{}", run.stderr);

    env.write("a.txt", "clean\n");
    env.git(&["add", "a.txt"]);
    let (ok, out) = git_with_keysentry(&env, env.root(), &["commit", "-q", "-m", "clean"]);
    assert!(ok, "{out}");
    assert!(marker.exists(), "the chained hook did not run");

    env.run(&["hook", "uninstall"]).assert_code(0);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
}

#[test]
fn core_hooks_path_is_respected() {
    let env = TestEnv::git_repo();
    env.git(&["config", "core.hooksPath", "githooks"]);
    env.run(&["hook", "install"]).assert_code(0);
    assert!(env.path("githooks/pre-commit").exists());
    assert!(!env.path(".git/hooks/pre-commit").exists());
}

#[test]
fn the_pre_push_hook_scans_the_commits_being_pushed() {
    let env = TestEnv::git_repo();
    let remote = env.outside().join("remote.git");
    env.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    env.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    env.run(&["hook", "install", "--pre-push"]).assert_code(0);
    assert!(env.path(".git/hooks/pre-push").exists());

    // A new branch on an empty remote: every commit is new, the root commit included.
    env.write("init.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("initial");
    let (ok, out) = git_with_keysentry(&env, env.root(), &["push", "-q", "origin", "main"]);
    assert!(!ok, "the push went through:\n{out}");
    assert!(out.contains("push is blocked"), "{out}");

    // Clean history pushes; afterwards only the new commits are scanned.
    let env = TestEnv::git_repo();
    let remote = env.outside().join("remote.git");
    env.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    env.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    env.run(&["hook", "install", "--pre-push"]).assert_code(0);
    env.write("README.md", "clean\n");
    env.commit_all("clean");
    let (ok, out) = git_with_keysentry(&env, env.root(), &["push", "-q", "origin", "main"]);
    assert!(ok, "{out}");
    env.write("leak.env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    env.commit_all("leak");
    let (ok, out) = git_with_keysentry(&env, env.root(), &["push", "-q", "origin", "main"]);
    assert!(!ok && out.contains("aws.access_key_id"), "{out}");
    // Deleting a remote branch sends nothing to scan.
    let (ok, out) = git_with_keysentry(&env, env.root(), &["push", "-q", "origin", ":main"]);
    assert!(ok, "{out}");
}

/// Issue 12: `hook install` finds the hooks directory as git does, GIT_DIR included.
#[test]
fn issue_12_hook_install_honours_git_dir() {
    let env = TestEnv::git_repo();
    let elsewhere = env.outside().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let run = env
        .command()
        .current_dir(&elsewhere)
        .env("GIT_DIR", env.path(".git"))
        .args(["hook", "install"])
        .output()
        .unwrap();
    common::Run::from(run).assert_code(0);
    assert!(env.path(".git/hooks/pre-commit").exists());
    assert!(!elsewhere.join(".git").exists());
}
