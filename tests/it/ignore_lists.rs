//! Ignore lists: `keysentry ignore`, the fingerprint file, `.keysentryignore` (path patterns
//! only, its old `fingerprint:` lines with a warning) and a hostile ignore file.

use crate::common;

use super::suppression::{findings, paths_of, token_line};
use common::{TestEnv, rule_id, secrets};

#[test]
fn ignore_appends_fingerprints() {
    let env = TestEnv::new();
    env.write("a.env", token_line("TOKEN"));
    env.write("b.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    let found = findings(&env, &["."]);
    let fp = found.iter().find(|f| rule_id(f) == "github.pat_classic").unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    env.write(".keysentryignore", "/vendor/\n");
    env.run(&["ignore", &fp]).assert_code(0);
    env.run(&["ignore", &fp]).assert_code(0); // not added twice
    // Issue 13: fingerprints have their own file; `.keysentryignore` keeps its paths alone.
    let text = std::fs::read_to_string(env.path(".keysentry-ignored-fingerprints")).unwrap();
    assert_eq!(text, format!("{fp}\n"));
    assert_eq!(std::fs::read_to_string(env.path(".keysentryignore")).unwrap(), "/vendor/\n");
    let left: Vec<_> = findings(&env, &["."]).iter().map(|f| rule_id(f).to_owned()).collect();
    assert_eq!(left, ["aws.access_key_id"]);
    env.run(&["ignore", "not-a-fingerprint"]).assert_code(2);
}

#[test]
fn issue_12_a_hostile_keysentryignore_neither_hangs_nor_allocates() {
    let env = TestEnv::new();
    env.write("app.env", token_line("TOKEN"));
    env.symlink("/dev/zero", ".keysentryignore");
    let run = common::Run::from(
        env.command()
            .args(["scan", "--format", "json", "."])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("run keysentry"),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(".keysentryignore: not read"), "{}", run.stderr);
}

/// The fingerprint of the GitHub token finding of a scan of `env`.
fn pat_fingerprint(env: &TestEnv) -> String {
    let found = findings(env, &["."]);
    let f = found.iter().find(|f| rule_id(f) == "github.pat_classic").expect("a token finding");
    f["fingerprint"].as_str().expect("a fingerprint").to_owned()
}

/// Issue 13: `keysentry ignore` writes `.keysentry-ignored-fingerprints`, never
/// `.keysentryignore`; the file's fingerprints apply to every scan of the project.
#[test]
fn issue_13_ignore_writes_the_fingerprint_file() {
    let env = TestEnv::new();
    env.write("a.env", token_line("TOKEN"));
    env.write("b.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    let fp = pat_fingerprint(&env);
    env.run(&["ignore", &fp.to_uppercase()]).assert_code(0);
    assert!(!env.path(".keysentryignore").exists());
    let text = std::fs::read_to_string(env.path(".keysentry-ignored-fingerprints")).unwrap();
    assert_eq!(text, format!("{fp}\n"));
    let run = env.scan_json(&["."]);
    let left: Vec<_> = run.findings().iter().map(|f| rule_id(f).to_owned()).collect();
    assert_eq!(left, ["aws.access_key_id"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    // Comments, and lines moved from `.keysentryignore` as they are, are read too; a line that
    // is no fingerprint is named, not applied.
    env.write(
        ".keysentry-ignored-fingerprints",
        format!("# accepted\nfingerprint:{fp}\nnot-a-fingerprint\n"),
    );
    let run = env.scan_json(&["."]);
    assert_eq!(run.findings().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(".keysentry-ignored-fingerprints:3: not a fingerprint"),
        "{}",
        run.stderr
    );
    // Never into `.keysentryignore`, whose lines are path patterns.
    let run = env.run(&["ignore", "--file", ".keysentryignore", &fp]);
    run.assert_code(2);
    assert!(run.stderr.contains("path patterns only"), "{}", run.stderr);
    assert!(!env.path(".keysentryignore").exists());
    // --no-ignore-files: not applied.
    assert_eq!(findings(&env, &["--no-ignore-files", "."]).len(), 2);
}

/// Issue 13: the old form, `fingerprint:` lines in `.keysentryignore`, still applies, with a
/// warning that names the lines and the file they belong in.
#[test]
fn issue_13_old_form_fingerprint_lines_apply_with_a_warning() {
    let env = TestEnv::new();
    env.write("a.env", token_line("TOKEN"));
    env.write("vendor/b.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    let fp = pat_fingerprint(&env);
    env.write(".keysentryignore", format!("/vendor/\nfingerprint:{fp}\n"));
    let run = env.scan_json(&["."]);
    assert!(run.findings().is_empty(), "{:#?}", run.findings());
    assert!(
        run.stderr.contains(".keysentryignore: line 2 is a fingerprint")
            && run.stderr.contains("move it, as it is, to .keysentry-ignored-fingerprints"),
        "{}",
        run.stderr
    );
    // The report carries the warning too.
    let warnings = run.json()["warnings"].to_string();
    assert!(warnings.contains("line 2 is a fingerprint"), "{warnings}");
    // Moved: the same result, no warning.
    env.write(".keysentryignore", "/vendor/\n");
    env.write(".keysentry-ignored-fingerprints", format!("fingerprint:{fp}\n"));
    let run = env.scan_json(&["."]);
    assert!(run.findings().is_empty(), "{:#?}", run.findings());
    assert!(!run.stderr.contains("fingerprint"), "{}", run.stderr);
}

/// Issue 13: a `fingerprint:` line of `.keysentryignore` is never a path glob: a file of that
/// very name is scanned, by the working-tree walk and by the git scans.
#[test]
fn issue_13_a_fingerprint_line_is_not_read_as_a_glob() {
    let env = TestEnv::git_repo();
    env.write("a.env", token_line("TOKEN"));
    let fp = pat_fingerprint(&env);
    let named = format!("fingerprint:{fp}");
    env.write(&named, format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    env.write(".keysentryignore", format!("{named}\n"));
    let tree = findings(&env, &["."]);
    assert_eq!(paths_of(&tree), [named.as_str()]);
    env.commit_all("both");
    let history = findings(&env, &["--history", "."]);
    assert_eq!(paths_of(&history), [named.as_str()]);
}

/// A hostile repository's ignore lists full of lines that are not what they should be: each
/// file gives a few warnings and a count, not one warning per line (which put a million lines
/// into every report and the CI log).
#[test]
fn issue_13_bad_ignore_lines_give_a_bounded_number_of_warnings() {
    let env = TestEnv::new();
    env.write(".keysentryignore", "a{b\nfingerprint:0123\n".repeat(5_000));
    env.write(".keysentry-ignored-fingerprints", "not a fingerprint\n".repeat(5_000));
    env.write("a.txt", "nothing here\n");
    let run = env.run(&["scan", "."]);
    run.assert_code(0);
    let warnings = run.stderr.lines().filter(|l| l.contains("warning")).count();
    assert!((3..40).contains(&warnings), "{warnings} warnings:\n{}", run.stderr);
    assert!(run.stderr.contains("4990 more lines are not valid patterns"), "{}", run.stderr);
    assert!(run.stderr.contains("4990 more lines are not fingerprints"), "{}", run.stderr);
    assert!(run.stderr.contains("(and 4990 more)"), "{}", run.stderr);
}
