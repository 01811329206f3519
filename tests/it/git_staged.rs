//! `keysentry hook` and `keysentry scan --staged`: what is about to be committed, read from
//! the index, reporting added lines only.

use crate::common;

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

/// Issue 12: a split index (`git update-index --split-index`, `core.splitIndex`) made the hook
/// exit 2 (libgit2 refuses its `link` extension). It is read whole now: a staged key blocks
/// (1), a clean change passes (0), also when a deletion sends it down the libgit2 path.
#[test]
fn issue_12_the_hook_reads_a_split_index() {
    for split in [&["update-index", "--split-index"][..], &["config", "core.splitIndex", "true"]] {
        let env = TestEnv::git_repo();
        for i in 0..5 {
            env.write(&format!("d{i}/f.txt"), format!("{i}\n"));
        }
        env.write("app.env", "A=1\n");
        env.commit_all("base");
        env.git(split);
        env.write("d1/g.txt", "clean\n");
        env.git(&["add", "-A"]);
        env.run(&["hook"]).assert_code(0);
        env.write("app.env", format!("A=1\nAWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
        env.git(&["add", "-A"]);
        let run = env.run(&["hook"]);
        run.assert_code(1);
        assert!(run.stdout.contains("app.env:2:19  aws.access_key_id"), "{}", run.stdout);
        // A deletion next to an addition (a possible rename): the full diff, same answer.
        env.git(&["rm", "-q", "d2/f.txt"]);
        env.run(&["hook"]).assert_code(1);
        env.git(&["reset", "-q", "app.env"]);
        env.run(&["hook"]).assert_code(0);
    }
}

/// Issue 12: GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE, GIT_OBJECT_DIRECTORY and
/// GIT_ALTERNATE_OBJECT_DIRECTORIES say where git keeps a repository's parts; every git
/// source reads them (through the binary's environment, once).
#[test]
fn issue_12_git_environment_variables_are_honoured() {
    let env = TestEnv::git_repo();
    env.write("app.env", "A=1\n");
    env.commit_all("base");
    let key = format!("A=1\nAWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id());
    let elsewhere = env.outside().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let git_dir = env.path(".git");

    // GIT_DIR and GIT_WORK_TREE, from a directory outside the repository.
    env.write("app.env", &key);
    env.git(&["add", "app.env"]);
    let run = |cwd: &std::path::Path, vars: &[(&str, &std::ffi::OsStr)], args: &[&str]| {
        let mut cmd = env.command();
        cmd.current_dir(cwd).args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        common::Run::from(cmd.output().unwrap())
    };
    let dirs = [("GIT_DIR", git_dir.as_os_str()), ("GIT_WORK_TREE", env.root().as_os_str())];
    run(&elsewhere, &dirs, &["hook"]).assert_code(1);
    run(&elsewhere, &dirs, &["scan", "--staged", "."]).assert_code(1);

    // GIT_INDEX_FILE: another index, as `git commit -a` makes one; relative to the
    // working directory (the hook's is the working tree's top).
    env.git(&["reset", "-q"]);
    env.run(&["hook"]).assert_code(0);
    let other = env.outside().join("other-index");
    env.git_command_in(env.root())
        .env("GIT_INDEX_FILE", &other)
        .args(["add", "app.env"])
        .status()
        .unwrap();
    let index = [("GIT_INDEX_FILE", other.as_os_str())];
    run(env.root(), &index, &["hook"]).assert_code(1);
    let relative = std::ffi::OsString::from("../other-index");
    run(env.root(), &[("GIT_INDEX_FILE", relative.as_os_str())], &["hook"]).assert_code(1);

    // GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES: objects kept elsewhere.
    env.git(&["add", "app.env"]);
    env.git(&["commit", "-q", "-m", "leak"]);
    let moved = env.outside().join("objects");
    std::fs::rename(env.path(".git/objects"), &moved).unwrap();
    std::fs::create_dir_all(env.path(".git/objects")).unwrap();
    let history = ["scan", "--history", "--format", "json", "."];
    let lost = run(env.root(), &[], &history);
    assert_ne!(lost.code, 0, "the objects are gone: {}", lost.stderr);
    let r = run(env.root(), &[("GIT_OBJECT_DIRECTORY", moved.as_os_str())], &history);
    r.assert_code(1);
    assert!(r.stdout.contains("aws.access_key_id"), "{}", r.stdout);
    let alt = [("GIT_ALTERNATE_OBJECT_DIRECTORIES", moved.as_os_str())];
    run(env.root(), &alt, &history).assert_code(1);
    run(env.root(), &alt, &["scan", "--range", "HEAD~1..HEAD", "."]).assert_code(1);
}
