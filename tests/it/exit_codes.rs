//! Exit status (0 clean, 1 findings, 2 errors), standard input, unreadable items and broken
//! pipes.

use crate::common;

use std::process::Stdio;

use common::{TestEnv, finding_path, line_col, paths, secrets};

fn key_line(id: &str) -> String {
    format!("aws_access_key_id = {id}\n")
}

#[test]
fn a_clean_tree_exits_0() {
    let env = TestEnv::new();
    env.write("README.md", "# nothing to see\n");
    let run = env.run(&["scan", "."]);
    run.assert_code(0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains(": 0 findings"), "{}", run.stderr);
}

#[test]
fn findings_exit_1() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    let run = env.run(&["scan", "."]);
    run.assert_code(1);
    assert!(run.stderr.contains(": 1 finding"), "{}", run.stderr);
}

#[test]
fn the_default_path_is_the_current_directory() {
    let env = TestEnv::new();
    env.write("sub/creds.txt", key_line(&secrets::aws_key_id()));
    let run = env.run(&["scan", "--format", "json"]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["sub/creds.txt"]);
}

#[test]
fn a_nonexistent_path_exits_2_with_a_clear_message() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    let run = env.run(&["scan", "creds.txt", "no-such-dir"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("keysentry: error: cannot scan no-such-dir: No such file or directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_usage_exits_2() {
    let env = TestEnv::new();
    let cases: &[(&[&str], &str)] = &[
        (&["scan", "--no-such-flag"], "unexpected argument '--no-such-flag'"),
        (&["scan", "--format", "xml"], "invalid value 'xml'"),
        (&["scan", "--max-file-size", "12X"], "unknown size suffix"),
        (&["scan", "--color", "sometimes"], "invalid value 'sometimes'"),
        (&["scan", "--quiet", "--verbose"], "cannot be used with"),
        (&["frobnicate"], "unrecognized subcommand"),
        (&[], "Usage:"),
    ];
    for (args, message) in cases {
        let run = env.run(args);
        run.assert_code(2);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn help_and_version_exit_0() {
    let env = TestEnv::new();
    for args in [&["--help"][..], &["scan", "--help"], &["-h"], &["help", "scan"]] {
        let run = env.run(args);
        run.assert_code(0);
        assert!(run.stdout.contains("Usage: keysentry"), "{args:?}: {}", run.stdout);
    }
    let run = env.run(&["--version"]);
    run.assert_code(0);
    assert_eq!(run.stdout, format!("keysentry {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn stdin_with_a_secret_exits_1() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    let output = env
        .command()
        .args(["scan", "--format", "json", "-"])
        .write_stdin(format!("line one\nexport AWS_ACCESS_KEY_ID={id}\n"))
        .output()
        .unwrap();
    let run = common::Run::from(output);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["origin"], serde_json::json!({ "kind": "stdin" }));
    assert_eq!(line_col(&findings[0]), (2, 26));
}

#[test]
fn clean_stdin_exits_0() {
    let env = TestEnv::new();
    let output =
        env.command().args(["scan", "-"]).write_stdin("nothing to see here\n").output().unwrap();
    let run = common::Run::from(output);
    run.assert_code(0);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("scanned 1 input"), "{}", run.stderr);
}

#[test]
fn human_report_names_stdin() {
    let env = TestEnv::new();
    let output = env
        .command()
        .args(["scan", "-"])
        .write_stdin(key_line(&secrets::aws_key_id()))
        .output()
        .unwrap();
    let run = common::Run::from(output);
    run.assert_code(1);
    assert!(run.stdout.starts_with("<stdin>\n  1:21    aws.access_key_id  "), "{}", run.stdout);
}

#[test]
fn stdin_cannot_be_combined_with_paths() {
    let env = TestEnv::new();
    env.write("a.txt", "x\n");
    let run = env.run(&["scan", "-", "a.txt"]);
    run.assert_code(2);
    assert!(run.stderr.contains("cannot be combined"), "{}", run.stderr);
}

#[test]
fn oversized_stdin_is_skipped() {
    let env = TestEnv::new();
    let mut input = "z".repeat(2000);
    input.push('\n');
    input.push_str(&key_line(&secrets::aws_key_id()));
    let output = env
        .command()
        .args(["scan", "--format", "json", "--max-file-size", "1K", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    let run = common::Run::from(output);
    // Not scanned in full: exit 2 (issue 12), and the report says so.
    run.assert_code(2);
    let doc = run.json();
    assert_eq!(doc["stats"]["skipped_too_large"], 1);
    assert_eq!(doc["skipped"][0]["origin"]["kind"], "stdin");
    assert_eq!(doc["skipped"][0]["reason"], "too_large");
    assert_eq!(doc["incomplete"], true);
    assert!(run.stderr.contains("warning: not scanned: <stdin>"), "{}", run.stderr);
}

/// A tree with one file whose reading fails (how depends on the platform, see the callers)
/// next to, optionally, a file with a secret: the error is reported on stderr and in the JSON
/// document, the rest is scanned, and the exit status is 1 with findings, 2 without.
fn assert_unreadable_item_is_reported(env: &TestEnv, bad: &str, extra_args: &[&str]) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra_args);
    args.push(".");

    // Without any finding: exit 2 (fail closed).
    let run = env.run(&args);
    run.assert_code(2);
    let doc = run.json();
    assert!(run.findings().is_empty());
    assert_eq!(doc["stats"]["errors"], 1, "{}", run.stdout);
    let errors = doc["errors"].as_array().expect("errors is an array");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].as_str().is_some_and(|e| e.contains(bad)), "{errors:?}");
    let error_lines: Vec<&str> =
        run.stderr.lines().filter(|l| l.starts_with("keysentry: error: ")).collect();
    assert_eq!(error_lines.len(), 1, "{}", run.stderr);
    assert!(error_lines[0].contains(bad), "{}", run.stderr);
    assert!(run.stderr.contains("1 error"), "{}", run.stderr);

    // With a finding elsewhere: the finding is reported and the exit status is 1.
    env.write("found.txt", key_line(&secrets::aws_key_id()));
    let run = env.run(&args);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(paths(&findings), ["found.txt"]);
    assert_eq!(run.json()["stats"]["errors"], 1);
    assert!(run.stderr.contains("keysentry: error: "), "{}", run.stderr);
    assert!(run.stderr.contains(bad), "{}", run.stderr);
}

/// `/proc/self/mem` opens fine, even for root, but reading it from offset 0 fails with EIO:
/// a file that cannot be read whatever the privileges.
#[cfg(target_os = "linux")]
#[test]
fn a_file_that_cannot_be_read_is_reported_and_the_scan_goes_on() {
    use std::io::Read;
    let mut probe = Vec::new();
    let readable =
        std::fs::File::open("/proc/self/mem").and_then(|mut f| f.read_to_end(&mut probe));
    assert!(readable.is_err(), "reading /proc/self/mem unexpectedly succeeded on this system");

    let env = TestEnv::new();
    env.write("clean.txt", "nothing\n");
    env.symlink("/proc/self/mem", "memory");
    assert_unreadable_item_is_reported(&env, "memory", &["--follow"]);
}

/// A dangling link is an error when links are followed, and ignored when they are not.
#[cfg(unix)]
#[test]
fn a_dangling_symlink_with_follow_is_reported_and_the_scan_goes_on() {
    let env = TestEnv::new();
    env.write("clean.txt", "nothing\n");
    env.symlink("nowhere", "dangling");

    let run = env.run(&["scan", "."]);
    run.assert_code(0);
    assert!(!run.stderr.contains("error"), "{}", run.stderr);

    assert_unreadable_item_is_reported(&env, "dangling", &["--follow"]);
}

/// chmod 000 denies reading, except to root (as in CI containers), for whom the file is
/// readable and must simply be scanned.
#[cfg(unix)]
#[test]
fn a_file_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.write("clean.txt", "nothing\n");
    let locked = env.write("locked.txt", key_line(&secrets::aws_key_id_2()));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();

    if std::fs::File::open(&locked).is_ok() {
        // Privileged: permissions do not stop us, so the file is scanned like any other.
        let run = env.scan_json(&["."]);
        run.assert_code(1);
        assert_eq!(paths(&run.findings()), ["locked.txt"]);
        assert_eq!(run.json()["stats"]["errors"], 0);
    } else {
        assert_unreadable_item_is_reported(&env, "locked.txt", &[]);
        assert!(env.run(&["scan", "."]).stderr.contains("Permission denied"));
    }
}

/// `keysentry scan <(cmd)` or `cmd | keysentry scan /dev/stdin`: a pipe named on the command
/// line must be read (or at least reported), never skipped as if it were empty.
#[cfg(target_os = "linux")]
#[test]
fn a_pipe_named_on_the_command_line_is_not_skipped_silently() {
    let env = TestEnv::new();
    let output = env
        .command()
        .args(["scan", "--format", "json", "/dev/stdin"])
        .write_stdin(key_line(&secrets::aws_key_id()))
        .output()
        .unwrap();
    let run = common::Run::from(output);
    match run.code {
        // Read like a file.
        1 => assert_eq!(run.findings().len(), 1, "{}", run.stdout),
        // Or refused, saying why.
        2 => assert!(run.stderr.contains("/dev/stdin"), "{}", run.stderr),
        _ => panic!("the pipe was skipped silently: {}\n{}", run.stdout, run.stderr),
    }
}

/// An unreadable root named on the command line is a usage error, even as root: a path under
/// a regular file can never be opened.
#[test]
fn an_unreadable_root_exits_2() {
    let env = TestEnv::new();
    env.write("file.txt", key_line(&secrets::aws_key_id()));
    let run = env.run(&["scan", "file.txt/sub"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("keysentry: error: cannot scan file.txt/sub"), "{}", run.stderr);
}

/// `keysentry scan | head -c1`: the reader goes away; keysentry stops quietly, and with
/// findings made it exits 1 (issue 12: a broken pipe used to exit 0, which `set -o pipefail`
/// took for a clean scan).
#[test]
fn issue_12_a_broken_pipe_with_findings_exits_1_quietly() {
    let env = TestEnv::new();
    for i in 0..200 {
        env.write(&format!("dir{}/creds{i}.txt", i % 7), key_line(&secrets::aws_key_id()));
    }
    for format in ["human", "json", "jsonl"] {
        // The read end is closed before keysentry starts, so its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = env
            .std_command(TestEnv::bin())
            .args(["scan", "--format", format, "."])
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}

/// A clean scan whose report meets a closed pipe still exits 0.
#[test]
fn issue_12_a_broken_pipe_without_findings_exits_0() {
    let env = TestEnv::new();
    env.write("README.md", "nothing\n");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = env
        .std_command(TestEnv::bin())
        .args(["scan", "--format", "json", "."])
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
}

/// `2>/dev/full`: diagnostics cannot be written; keysentry neither panics (101) nor changes
/// its verdict.
#[cfg(target_os = "linux")]
#[test]
fn issue_12_a_failing_stderr_does_not_panic() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    for (args, code) in [
        (&["scan", "-v", "."][..], 1),
        (&["scan", "--format", "json", "no-such-dir"], 2),
        (&["scan", "--no-such-flag"], 2),
    ] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let output = env
            .std_command(TestEnv::bin())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(full)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "{args:?}");
    }
}

/// A file larger than --max-file-size holding a key: the scan is incomplete and exits 2, says
/// so on stderr even with --quiet, and every report format lists the file.
#[test]
fn issue_12_a_file_too_large_to_scan_exits_2() {
    let env = TestEnv::new();
    env.write("README.md", "nothing\n");
    let mut big = key_line(&secrets::aws_key_id());
    big.push_str(&"x".repeat(4096));
    env.write("big.env", big);
    let run = env.run(&["scan", "--quiet", "--max-file-size", "1K", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("not scanned: big.env"), "{}", run.stderr);
    assert!(run.stderr.contains("the scan is incomplete"), "{}", run.stderr);
    // With a finding elsewhere, findings win: exit 1, and the gap is still reported.
    env.write("creds.txt", key_line(&secrets::aws_key_id_2()));
    let run = env.run(&["scan", "--quiet", "--max-file-size", "1K", "."]);
    run.assert_code(1);
    assert!(run.stderr.contains("not scanned: big.env"), "{}", run.stderr);
}

/// The same report with the reader present: status 1, as a control for the test above.
#[test]
fn the_same_tree_without_a_broken_pipe_exits_1() {
    let env = TestEnv::new();
    for i in 0..20 {
        env.write(&format!("creds{i}.txt"), key_line(&secrets::aws_key_id()));
    }
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(findings.len(), 20);
    assert!(findings.iter().all(|f| finding_path(f).starts_with("creds")));
}

// ---- issue 12: the hook blocks on what it could not scan ----

/// Runs git with keysentry's binary directory first on PATH; returns (success, output).
#[cfg(unix)]
fn git_with_keysentry(env: &TestEnv, args: &[&str]) -> (bool, String) {
    let bin_dir = TestEnv::bin().parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let out = env.git_command_in(env.root()).env("PATH", path).args(args).output().expect("git");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

/// A 60 MB text file at `rel`: a key, then filler lines (generated in one go; no NUL, so that
/// only its size keeps it from being scanned).
fn sixty_megabytes_with_a_key(env: &TestEnv, rel: &str) {
    let mut text = key_line(&secrets::aws_key_id()).into_bytes();
    let filler = [&[b'x'; 1023][..], b"\n"].concat();
    while text.len() < 60 << 20 {
        text.extend_from_slice(&filler);
    }
    env.write(rel, text);
}

#[cfg(unix)]
#[test]
fn issue_12_a_staged_file_too_large_to_scan_blocks_the_commit() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    env.commit_all("base");
    sixty_megabytes_with_a_key(&env, "big.env");
    env.git(&["add", "big.env"]);

    // `keysentry hook` directly: exit 2, says which file, why, and how to go on; -q hides none
    // of it.
    let run = env.run(&["hook", "--quiet"]);
    run.assert_code(2);
    for needle in ["big.env", "larger than the limit", "--max-file-size", "--no-verify", "blocked"]
    {
        assert!(run.stderr.contains(needle), "{needle:?} missing:\n{}", run.stderr);
    }
    // Raising the limit scans it, and finds the key.
    let run = env.run(&["hook", "--max-file-size", "100M"]);
    run.assert_code(1);
    assert!(run.stdout.contains("big.env:1:"), "{}", run.stdout);

    // Through git, with the installed hook.
    env.run(&["hook", "install"]).assert_code(0);
    let (ok, out) = git_with_keysentry(&env, &["commit", "-q", "-m", "big"]);
    assert!(!ok, "the commit went through:\n{out}");
    assert!(out.contains("big.env") && out.contains("could not be scanned"), "{out}");
    // The installed hook passes --max-file-size on.
    env.run(&["hook", "install", "--max-file-size", "100M"]).assert_code(0);
    let hook = std::fs::read_to_string(env.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("hook --max-file-size 104857600"), "{hook}");
    let (ok, out) = git_with_keysentry(&env, &["commit", "-q", "-m", "big"]);
    assert!(!ok && out.contains("aws.access_key_id"), "{out}");
}

#[cfg(unix)]
#[test]
fn issue_12_a_pushed_file_too_large_to_scan_blocks_the_push() {
    let env = TestEnv::git_repo();
    let remote = env.outside().join("remote.git");
    env.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    env.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    env.run(&["hook", "install", "--pre-push"]).assert_code(0);
    sixty_megabytes_with_a_key(&env, "big.env");
    env.commit_all("big");
    let (ok, out) = git_with_keysentry(&env, &["push", "-q", "origin", "main"]);
    assert!(!ok, "the push went through:\n{out}");
    assert!(out.contains("big.env") && out.contains("push is blocked"), "{out}");
}

#[test]
fn issue_12_scan_of_a_tree_with_a_file_too_large_exits_2() {
    let env = TestEnv::new();
    sixty_megabytes_with_a_key(&env, "big.env");
    let run = env.run(&["scan", "--quiet", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("not scanned: big.env"), "{}", run.stderr);
}
