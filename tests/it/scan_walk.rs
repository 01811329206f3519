//! `keysentry scan` over directory trees: which files are read (ignore files, hidden files,
//! `.git`, links) and which are skipped (too large, FIFOs and devices). How their content is
//! read (binary or text, encodings, line ends) is `scan_content`.

use crate::common;

use common::{TestEnv, finding_path, line_col, paths, rule_id, secrets};

/// `aws_access_key_id = <id>` plus a newline.
pub(crate) fn key_line(id: &str) -> String {
    format!("aws_access_key_id = {id}\n")
}

#[test]
fn gitignore_in_a_subdirectory_hides_files_below_it_only() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    env.write("app/.gitignore", "local.env\n");
    env.write("app/local.env", key_line(&id));
    env.write("app/deep/local.env", key_line(&id));
    // The pattern is relative to app/: the same name elsewhere is scanned.
    env.write("local.env", key_line(&id));
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["local.env"]);
}

#[test]
fn gitignore_negation_brings_a_file_back() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    env.write(".gitignore", "*.env\n");
    env.write("config/.gitignore", "!keep.env\n");
    env.write("config/keep.env", key_line(&id));
    env.write("config/drop.env", key_line(&id));
    env.write("top.env", key_line(&id));
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["config/keep.env"]);
}

#[test]
fn gitignore_outside_a_git_repository_is_not_honoured() {
    let env = TestEnv::without_git();
    env.write(".gitignore", "ignored.txt\n");
    env.write("ignored.txt", key_line(&secrets::aws_key_id()));
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["ignored.txt"]);
}

#[test]
fn dot_ignore_is_honoured_even_outside_git() {
    let env = TestEnv::without_git();
    env.write(".ignore", "vendor/\n");
    env.write("vendor/lib.txt", key_line(&secrets::aws_key_id()));
    env.write("src/main.txt", key_line(&secrets::aws_key_id_2()));
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["src/main.txt"]);
}

#[test]
fn keysentryignore_is_honoured_in_subdirectories() {
    let env = TestEnv::new();
    env.write("tests/.keysentryignore", "fixtures/\n");
    env.write("tests/fixtures/creds.txt", key_line(&secrets::aws_key_id()));
    env.write("tests/real.txt", key_line(&secrets::aws_key_id_2()));
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["tests/real.txt"]);
}

#[test]
fn git_info_exclude_is_honoured() {
    let env = TestEnv::new();
    env.write(".git/info/exclude", "excluded.txt\n");
    env.write("excluded.txt", key_line(&secrets::aws_key_id()));
    env.write("kept.txt", key_line(&secrets::aws_key_id()));
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["kept.txt"]);
}

#[test]
fn no_ignore_scans_every_ignored_file() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    env.write(".gitignore", "a.txt\n");
    env.write("sub/.gitignore", "b.txt\n");
    env.write(".ignore", "c.txt\n");
    env.write(".keysentryignore", "d.txt\n");
    env.write(".git/info/exclude", "e.txt\n");
    for name in ["a.txt", "sub/b.txt", "c.txt", "d.txt", "e.txt"] {
        env.write(name, key_line(&id));
    }

    let run = env.scan_json(&["."]);
    run.assert_code(0);
    assert!(run.findings().is_empty());

    let run = env.scan_json(&["--no-ignore", "."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["a.txt", "c.txt", "d.txt", "e.txt", "sub/b.txt"]);
}

#[test]
fn hidden_files_and_directories_are_scanned() {
    let env = TestEnv::new();
    env.write(".env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    env.write(
        ".aws/credentials",
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            secrets::aws_key_id_2(),
            secrets::aws_secret_key()
        ),
    );
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    let got: Vec<(&str, &str, (u64, u64))> =
        findings.iter().map(|f| (finding_path(f), rule_id(f), line_col(f))).collect();
    // The profile's key id and secret are one finding.
    assert_eq!(
        got,
        [
            (".aws/credentials", "aws.access_key_id", (2, 21)),
            (".env", "aws.access_key_id", (1, 19)),
        ]
    );
}

#[test]
fn git_directories_are_never_scanned() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    env.write(".git/config", format!("[remote]\n\turl = https://{}@github.com/a/b\n", id));
    env.write(".git/objects/pack/notes.txt", key_line(&id));
    // A nested repository (a submodule or vendored checkout) has its own .git.
    env.write("vendor/lib/.git/config", key_line(&id));
    env.write("vendor/lib/code.txt", "nothing here\n");
    for args in [&["."][..], &["--no-ignore", "."]] {
        let run = env.scan_json(args);
        run.assert_code(0);
        assert!(run.findings().is_empty(), "{args:?}: {}", run.stdout);
        // The two regular files and nothing under .git.
        assert_eq!(run.json()["stats"]["scanned"], 1, "{args:?}");
    }
}

#[test]
fn a_single_file_argument_is_scanned_even_if_ignored() {
    let env = TestEnv::new();
    env.write(".gitignore", "secret.txt\n");
    env.write("secret.txt", format!("\n\n{}", key_line(&secrets::aws_key_id())));
    env.write("other.txt", key_line(&secrets::aws_key_id_2()));
    let run = env.scan_json(&["secret.txt"]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(paths(&findings), ["secret.txt"]);
    assert_eq!(line_col(&findings[0]), (3, 21));
    assert_eq!(run.json()["stats"]["scanned"], 1);
}

#[test]
fn several_roots_are_scanned_together() {
    let env = TestEnv::new();
    env.write("a/one.txt", key_line(&secrets::aws_key_id()));
    env.write("b/two.txt", key_line(&secrets::aws_key_id_2()));
    env.write("c/three.txt", key_line(&secrets::aws_key_id()));
    let run = env.scan_json(&["a", "b/two.txt"]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["a/one.txt", "b/two.txt"]);
}

#[cfg(unix)]
#[test]
fn symlinked_directories_are_followed_only_with_follow() {
    let env = TestEnv::new();
    let outside = env.outside().join("shared");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("creds.txt"), key_line(&secrets::aws_key_id())).unwrap();
    env.symlink(&outside, "linked");
    env.write("plain.txt", "nothing\n");

    let run = env.scan_json(&["."]);
    run.assert_code(0);
    assert!(run.findings().is_empty());

    for flag in ["--follow", "-L"] {
        let run = env.scan_json(&[flag, "."]);
        run.assert_code(1);
        assert_eq!(paths(&run.findings()), ["linked/creds.txt"], "{flag}");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_named_on_the_command_line_is_read_without_follow() {
    let env = TestEnv::new();
    let target = env.outside().join("target.txt");
    std::fs::write(&target, key_line(&secrets::aws_key_id())).unwrap();
    env.symlink(&target, "link.txt");
    let run = env.scan_json(&["link.txt"]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["link.txt"]);
}

#[test]
fn files_over_max_file_size_are_skipped_with_a_warning_and_exit_2() {
    let env = TestEnv::new();
    let mut big = "filler line without anything in it\n".repeat(100);
    big.push_str(&key_line(&secrets::aws_key_id()));
    let size = big.len();
    assert!(size > 1024);
    env.write("big.txt", &big);
    env.write("small.txt", "tiny\n");

    let run = env.scan_json(&["--max-file-size", "1K", "."]);
    // Issue 12: not scanned in full, so not clean.
    run.assert_code(2);
    let doc = run.json();
    assert!(run.findings().is_empty());
    assert_eq!(doc["incomplete"], true);
    assert_eq!(doc["stats"]["skipped_too_large"], 1);
    assert_eq!(doc["stats"]["scanned"], 1);
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["origin"]["path"], "big.txt");
    assert_eq!(skipped[0]["reason"], "too_large");
    assert_eq!(skipped[0]["size"], size);
    assert!(
        run.stderr.contains("keysentry: warning: not scanned: big.txt:")
            && run.stderr.contains("--max-file-size"),
        "{}",
        run.stderr
    );

    // Under the default limit the same file is scanned.
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["big.txt"]);
}

fn run_in(env: &TestEnv, dir: &std::path::Path, args: &[&str]) -> common::Run {
    common::Run::from(
        env.command()
            .current_dir(dir)
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("run keysentry"),
    )
}

fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

/// The line numbers of `findings`, sorted.
pub(crate) fn lines_of(findings: &[serde_json::Value]) -> Vec<u64> {
    let mut l: Vec<u64> = findings.iter().map(|f| line_col(f).0).collect();
    l.sort_unstable();
    l
}

#[test]
fn issue_12_one_nul_byte_does_not_hide_a_file_in_scan_hook_or_history() {
    let env = TestEnv::git_repo();
    let id = secrets::aws_key_id();
    env.write("prod.env", format!("AWS_ACCESS_KEY_ID={id}\n\0"));
    env.write("creds.tfstate", format!("\0\n\"aws_access_key_id\": \"{id}\"\n"));
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["creds.tfstate", "prod.env"]);
    assert_eq!(lines_of(&run.findings()), [1, 2]);
    env.git(&["add", "."]);
    let run = env.scan_json(&["--staged", "."]);
    run.assert_code(1);
    assert_eq!(run.findings().len(), 2, "{}", run.stdout);
    let run = env.run(&["hook"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    env.git(&["commit", "-q", "-m", "keys", "--no-verify"]);
    let run = env.scan_json(&["--history", "."]);
    run.assert_code(1);
    assert_eq!(run.findings().len(), 2, "{}", run.stdout);
}

#[test]
fn issue_12_hostile_ignore_files_neither_hang_nor_allocate() {
    let env = TestEnv::git_repo();
    env.write("app.env", key_line(&secrets::aws_key_id()));
    env.write("sub/b.env", key_line(&secrets::aws_key_id_2()));
    env.write("ok/.gitignore", "hidden.env\n");
    env.write("ok/hidden.env", key_line(&secrets::aws_key_id()));
    // Staged before the FIFOs exist: git itself would block on a FIFO `.gitignore`.
    env.git(&["add", "app.env"]);
    env.symlink("/dev/zero", ".keysentryignore");
    env.symlink("/dev/zero", "sub/.gitignore");
    mkfifo(&env.path(".gitignore"));
    mkfifo(&env.path("sub/.ignore"));
    let run = run_in(&env, env.root(), &["scan", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // Not read, reported; the walk goes on, the good ignore file still applies.
    assert_eq!(paths(&run.findings()), ["app.env", "sub/b.env"]);
    for f in [".keysentryignore", ".gitignore", "sub/.gitignore", "sub/.ignore"] {
        assert!(run.stderr.contains(&format!("{f}: not read")), "{f}: {}", run.stderr);
    }
    // The FIFOs themselves are listed as skipped, never opened.
    let doc = run.json();
    let skipped: Vec<&str> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reason"] == "not_a_file")
        .map(|s| s["origin"]["path"].as_str().unwrap())
        .collect();
    assert!(skipped.contains(&".gitignore") && skipped.contains(&"sub/.ignore"), "{skipped:?}");
    // The hook and git scans read the root .keysentryignore the same way.
    let run = run_in(&env, env.root(), &["hook"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run = run_in(&env, env.root(), &["scan", "--staged", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn issue_12_fifos_sockets_and_devices_in_the_tree_are_skipped_and_listed() {
    let env = TestEnv::new();
    env.write("app.env", key_line(&secrets::aws_key_id()));
    mkfifo(&env.path("pipe.env"));
    let _socket = std::os::unix::net::UnixListener::bind(env.path("agent.sock")).unwrap();
    let run = run_in(&env, env.root(), &["scan", "--format", "json", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = run.json();
    let mut skipped: Vec<(&str, &str)> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["origin"]["path"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    skipped.sort();
    assert_eq!(skipped, [("agent.sock", "not_a_file"), ("pipe.env", "not_a_file")]);
    assert!(run.stderr.contains("pipe.env: not a regular file"), "{}", run.stderr);
}
