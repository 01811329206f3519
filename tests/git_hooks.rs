//! `keysentry hook install` / `uninstall`, and the installed hooks run by real `git commit`
//! and `git push`.
#![cfg(unix)]

mod common;

use std::path::Path;

use common::{TestEnv, secrets};

/// Runs git with keysentry's binary directory first on PATH; returns (success, stderr).
fn git_with_keysentry(env: &TestEnv, dir: &Path, args: &[&str]) -> (bool, String) {
    let bin_dir = TestEnv::bin().parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = env.git_command_in(dir).env("PATH", path).args(args).output().expect("run git");
    let stderr =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), stderr)
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
