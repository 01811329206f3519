//! Tests of the harness itself: the skips of missing tools and its isolation from an outer git
//! repository. Each runs other tests of this binary in a child process, with the environment
//! the case needs, so this process's environment is never changed.

use std::ffi::OsStr;
use std::fs;

use crate::common::{Run, TestEnv};
use crate::tools;

/// Runs the tests `names` of this test binary (and no other), in a child process, with `vars`
/// set (`Some`) or removed (`None`).
fn run_alone(names: &[&str], vars: &[(&str, Option<&OsStr>)]) -> Run {
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("this test binary"));
    cmd.args(["--exact", "--nocapture", "--test-threads", "1"]).args(names);
    for (var, value) in vars {
        match value {
            Some(v) => cmd.env(var, v),
            None => cmd.env_remove(var),
        };
    }
    Run::from(cmd.output().expect("run the test binary"))
}

/// Issue 13: without the tools `scripts/test` installs, a test that needs one is skipped with
/// a message; under `KEYSENTRY_TEST_REQUIRE_ALL` (as `scripts/test` and CI run) it fails.
#[test]
fn issue_13_a_missing_tool_is_a_skip_or_under_require_all_a_failure() {
    let tests = [
        "report_sarif::sarif_is_valid_against_the_official_schema",
        "real_code::the_sources_of_dependencies_yield_at_most_the_known_findings",
    ];
    let nowhere = OsStr::new("/nonexistent/keysentry-test");
    let missing = [(tools::PYTHON.var, Some(nowhere)), ("KEYSENTRY_TEST_REAL_CODE", Some(nowhere))];

    let plain = run_alone(&tests, &[&missing[..], &[(tools::REQUIRE_ALL, None)]].concat());
    let said = format!("{}{}", plain.stdout, plain.stderr);
    assert_eq!(plain.code, 0, "{said}");
    assert!(said.contains("2 passed"), "the tests did not run: {said}");
    for (test, what) in tests.iter().zip(["Python with jsonschema", "the real-code corpus"]) {
        assert!(said.contains(&format!("{test}: skipping what needs {what}")), "{said}");
    }
    assert!(said.contains("/nonexistent/keysentry-test"), "{said}");

    let one = OsStr::new("1");
    let strict = run_alone(&tests, &[&missing[..], &[(tools::REQUIRE_ALL, Some(one))]].concat());
    let said = format!("{}{}", strict.stdout, strict.stderr);
    assert_ne!(strict.code, 0, "a missing tool under {} must fail: {said}", tools::REQUIRE_ALL);
    assert!(said.contains("2 failed") && said.contains("is missing, and"), "{said}");
}

/// Issue 13: a test run from inside a git hook inherits `GIT_DIR`, `GIT_INDEX_FILE`,
/// `GIT_WORK_TREE`, … of the outer repository. The git helpers clear them: tests that create
/// repositories, stage and commit (and run the hook) pass, and the outer repository is as it was.
#[test]
#[cfg(unix)]
fn issue_13_tests_ignore_outer_git_env() {
    let outer = TestEnv::git_repo();
    outer.write("outer.txt", "the outer repository\n");
    let head = outer.commit_all("outer");
    let index = fs::read(outer.path(".git/index")).expect("the outer index");
    let git_dir = outer.path(".git");
    let index_file = outer.path(".git/index");
    let vars = [
        ("GIT_DIR", Some(git_dir.as_os_str())),
        ("GIT_INDEX_FILE", Some(index_file.as_os_str())),
        ("GIT_WORK_TREE", Some(outer.root().as_os_str())),
        ("GIT_AUTHOR_NAME", Some(OsStr::new("Outer Author"))),
    ];
    let tests = [
        "git_history::secret_added_then_deleted_names_the_commit_that_added_it",
        "git_staged::the_index_not_the_working_tree_decides",
        "git_hooks::the_installed_pre_commit_hook_blocks_a_secret_and_passes_a_clean_commit",
    ];
    let run = run_alone(&tests, &vars);
    let said = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, 0, "{said}");
    assert!(said.contains(&format!("{} passed", tests.len())), "{said}");

    assert_eq!(outer.git(&["rev-parse", "HEAD"]), head, "a commit landed in the outer repository");
    assert_eq!(outer.git(&["rev-list", "--all", "--count"]), "1");
    assert_eq!(outer.git(&["status", "--porcelain"]), "", "the outer work tree changed");
    assert_eq!(fs::read(outer.path(".git/index")).expect("the outer index"), index);
}
