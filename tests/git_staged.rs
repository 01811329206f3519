//! `keysentry hook` and `keysentry scan --staged`: what is about to be committed, read from
//! the index, reporting added lines only.

mod common;

use common::{TestEnv, finding_path, line_col, rule_id, secrets};

fn staged(env: &TestEnv) -> Vec<serde_json::Value> {
    let run = env.scan_json(&["--staged", "."]);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    run.findings()
}

#[test]
fn a_staged_secret_blocks_and_says_how_to_allow_it() {
    let env = TestEnv::git_repo();
    env.write("app.env", "A=1\n");
    env.commit_all("base");
    env.write("app.env", format!("A=1\nTOKEN={}\n", secrets::github_pat()));
    env.git(&["add", "app.env"]);

    let run = env.run(&["hook"]);
    run.assert_code(1);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(run.stdout.starts_with("app.env:2:7  github.pat_classic  ghp_"), "{}", run.stdout);
    assert!(!run.stdout.contains(&secrets::github_pat()), "secret shown: {}", run.stdout);
    assert!(run.stderr.contains("commit is blocked"), "{}", run.stderr);
    assert!(run.stderr.contains(".keysentryignore") && run.stderr.contains("--no-verify"));

    let findings = staged(&env);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["origin"]["kind"], "staged");
    assert_eq!(line_col(&findings[0]), (2, 7));
}

#[test]
fn nothing_staged_passes_quietly() {
    let env = TestEnv::git_repo();
    env.write("a.txt", "a\n");
    env.commit_all("base");
    // An unstaged secret in the working tree is not the hook's business.
    env.write("a.txt", format!("TOKEN={}\n", secrets::github_pat()));
    let run = env.run(&["hook"]);
    run.assert_code(0);
    assert!(run.stdout.is_empty() && run.stderr.is_empty(), "{run:?}");
}

#[test]
fn the_index_not_the_working_tree_decides() {
    // `git add -p` staged the secret, then the working tree was cleaned: blocked.
    let env = TestEnv::git_repo();
    env.write("conf.py", "DEBUG = True\n");
    env.commit_all("base");
    env.write("conf.py", format!("DEBUG = True\nTOKEN = \"{}\"\n", secrets::github_pat()));
    env.git(&["add", "conf.py"]);
    env.write("conf.py", "DEBUG = True\nTOKEN = os.environ[\"TOKEN\"]\n");
    env.run(&["hook"]).assert_code(1);

    // The reverse: the index holds the clean version, the working tree the secret: passes.
    let env = TestEnv::git_repo();
    env.write("conf.py", "DEBUG = True\n");
    env.commit_all("base");
    env.write("conf.py", "DEBUG = True\nTOKEN = os.environ[\"TOKEN\"]\n");
    env.git(&["add", "conf.py"]);
    env.write("conf.py", format!("DEBUG = True\nTOKEN = \"{}\"\n", secrets::github_pat()));
    env.run(&["hook"]).assert_code(0);
}

#[test]
fn only_added_lines_are_reported() {
    let env = TestEnv::git_repo();
    // A secret already committed (reported by history scans, not by every later commit).
    env.write("old.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("old secret");
    env.write("old.env", format!("TOKEN={}\nOTHER=plain\n", secrets::github_pat()));
    env.git(&["add", "old.env"]);
    assert!(staged(&env).is_empty());

    // A new secret in the same file is reported, the old one still not.
    env.write(
        "old.env",
        format!("TOKEN={}\nAWS_ACCESS_KEY_ID={}\n", secrets::github_pat(), secrets::aws_key_id()),
    );
    env.git(&["add", "old.env"]);
    let findings = staged(&env);
    let rules: Vec<_> = findings.iter().map(rule_id).collect();
    assert_eq!(rules, ["aws.access_key_id"]);
}

#[test]
fn a_multi_line_key_touching_an_added_line_is_reported_whole() {
    let env = TestEnv::git_repo();
    let pem = secrets::pem_private_key();
    let lines: Vec<&str> = pem.lines().collect();
    // Commit the key without its last line, then add it: the finding spans old and new lines.
    env.write("key.pem", format!("{}\n", lines[..lines.len() - 1].join("\n")));
    env.commit_all("partial");
    env.write("key.pem", &pem);
    env.git(&["add", "key.pem"]);
    let findings = staged(&env);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(rule_id(&findings[0]), "private_key.pem");
}

#[test]
fn renames_and_mode_changes_without_content_changes_report_nothing() {
    let env = TestEnv::git_repo();
    env.write("a/secret.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.write("run.sh", format!("export TOKEN={}\n", secrets::github_pat()));
    env.commit_all("base");
    env.mkdir("b");
    env.git(&["mv", "a/secret.env", "b/renamed.env"]);
    env.git(&["update-index", "--chmod=+x", "run.sh"]);
    assert!(staged(&env).is_empty());
    env.run(&["hook"]).assert_code(0);
}

#[test]
fn before_the_first_commit_everything_staged_is_new() {
    let env = TestEnv::git_repo();
    env.write("init.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.write("notes.txt", "nothing here\n");
    env.git(&["add", "-A"]);
    let findings = staged(&env);
    assert_eq!(findings.len(), 1);
    assert_eq!(finding_path(&findings[0]), "init.env");
    env.run(&["hook"]).assert_code(1);
}

#[test]
fn deleted_and_binary_files_are_not_read() {
    let env = TestEnv::git_repo();
    env.write("gone.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("base");
    env.git(&["rm", "-q", "gone.env"]);
    let mut bin = b"\0\x01binary".to_vec();
    bin.extend(format!("TOKEN={}", secrets::github_pat()).as_bytes());
    env.write("blob.bin", bin);
    env.git(&["add", "blob.bin"]);
    env.run(&["hook"]).assert_code(0);
}

#[test]
fn keysentryignore_lets_a_fixture_through() {
    let env = TestEnv::git_repo();
    env.write(".keysentryignore", "fixtures/\n");
    env.write("fixtures/token.txt", format!("TOKEN={}\n", secrets::github_pat()));
    env.git(&["add", "-A"]);
    env.run(&["hook"]).assert_code(0);
}

#[test]
fn outside_a_repository_the_hook_fails_clearly() {
    let env = TestEnv::without_git();
    let run = env.run(&["hook"]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a git repository"), "{}", run.stderr);
}
