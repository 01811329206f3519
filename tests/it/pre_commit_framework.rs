//! The hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit framework against a
//! temporary repository, with this repository as the hook source. `scripts/test` installs
//! the framework (pinned) and names it in KEYSENTRY_TEST_PRE_COMMIT.
#![cfg(unix)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::tools;
use common::{TestEnv, secrets};

/// Runs a program in the test repository with keysentry's directory first on PATH.
fn run_in(env: &TestEnv, program: &Path, args: &[&str]) -> Output {
    let bin_dir = TestEnv::bin().parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    // Git's isolated environment (identity, no user or system configuration) for pre-commit
    // too, which runs git.
    let mut cmd = std::process::Command::new(program);
    cmd.current_dir(env.root()).env_clear();
    for (k, v) in env.git_command_in(env.root()).get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("PATH", path)
        .env("PRE_COMMIT_HOME", env.outside().join("pre-commit-cache"))
        .args(args)
        .output()
        .expect("run program")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A `.pre-commit-config.yaml` that runs this checkout's `keysentry-system` hook, with `args`
/// (YAML lines under the hook, or nothing).
fn framework_config(env: &TestEnv, args: &str) -> String {
    let this_repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rev = env.git_in(this_repo, &["rev-parse", "HEAD"]);
    format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: keysentry-system\n{args}",
        this_repo.display()
    )
}

/// A repository with [`framework_config`] staged and the framework's hook installed; `None`
/// when the framework is missing (see [`tools::missing`]).
fn framework_repo() -> Option<TestEnv> {
    let pre_commit = tools::PRE_COMMIT.find()?;
    let env = TestEnv::git_repo();
    env.write(".pre-commit-config.yaml", framework_config(&env, ""));
    env.git(&["add", ".pre-commit-config.yaml"]);
    let out = run_in(&env, &pre_commit, &["install"]);
    assert!(out.status.success(), "{}", text(&out));
    Some(env)
}

#[test]
fn the_framework_blocks_a_commit_with_a_secret_and_passes_a_clean_one() {
    let Some(env) = framework_repo() else { return };
    let git = PathBuf::from("git");

    env.write("deploy.env", format!("GITHUB_TOKEN={}\n", secrets::github_pat()));
    env.git(&["add", "deploy.env"]);
    let out = run_in(&env, &git, &["commit", "-m", "add deploy settings"]);
    assert!(!out.status.success(), "the commit went through:\n{}", text(&out));
    let said = text(&out);
    assert!(said.contains("keysentry") && said.contains("Failed"), "{said}");
    assert!(said.contains("github.pat_classic"), "{said}");
    assert!(!said.contains(&secrets::github_pat()), "the secret was printed: {said}");

    env.write("deploy.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n");
    env.git(&["add", "deploy.env"]);
    let out = run_in(&env, &git, &["commit", "-m", "add deploy settings"]);
    assert!(out.status.success(), "a clean commit was blocked:\n{}", text(&out));
    assert!(text(&out).contains("Passed"), "{}", text(&out));
}

/// Issue 12: `git commit -a` through the framework hands the hook git's temporary index
/// (`GIT_INDEX_FILE`); the key in a tracked file was committed. It is blocked now.
#[test]
fn issue_12_the_framework_blocks_git_commit_a() {
    let Some(pre_commit) = tools::PRE_COMMIT.find() else { return };
    let env = TestEnv::git_repo();
    env.write(".pre-commit-config.yaml", framework_config(&env, ""));
    env.write("deploy.env", "REGION=eu-west-1\n");
    env.commit_all("base");
    let out = run_in(&env, &pre_commit, &["install"]);
    assert!(out.status.success(), "{}", text(&out));
    let git = PathBuf::from("git");

    env.write("deploy.env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    let before = env.git(&["rev-parse", "HEAD"]);
    let out = run_in(&env, &git, &["commit", "-a", "-m", "deploy settings"]);
    let said = text(&out);
    assert!(!out.status.success(), "the commit went through:\n{said}");
    assert!(said.contains("aws.access_key_id") && said.contains("Failed"), "{said}");
    assert_eq!(env.git(&["rev-parse", "HEAD"]), before);
    let out = run_in(&env, &git, &["commit", "-m", "deploy settings", "deploy.env"]);
    assert!(!out.status.success(), "git commit PATH went through:\n{}", text(&out));
}

/// Issue 12: a staged file too large to scan blocks the commit through the framework too, and
/// the hook's `args: [--max-file-size, …]` raises the limit.
#[test]
fn issue_12_the_framework_blocks_a_file_too_large_and_args_raise_the_limit() {
    let Some(env) = framework_repo() else { return };
    let git = PathBuf::from("git");

    let mut big = format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()).into_bytes();
    let filler = [&[b'y'; 1023][..], b"\n"].concat();
    while big.len() < 60 << 20 {
        big.extend_from_slice(&filler);
    }
    env.write("big.env", &big);
    env.git(&["add", "big.env"]);
    let out = run_in(&env, &git, &["commit", "-m", "big"]);
    assert!(!out.status.success(), "the commit went through:\n{}", text(&out));
    let said = text(&out);
    assert!(said.contains("big.env") && said.contains("could not be scanned"), "{said}");

    env.write(
        ".pre-commit-config.yaml",
        framework_config(&env, "        args: [--max-file-size, 100M]\n"),
    );
    env.git(&["add", ".pre-commit-config.yaml"]);
    let out = run_in(&env, &git, &["commit", "-m", "big"]);
    assert!(!out.status.success(), "the commit went through:\n{}", text(&out));
    assert!(text(&out).contains("aws.access_key_id"), "{}", text(&out));
}
