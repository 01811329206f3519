//! The progress bar: drawn on a terminal (a pseudo-terminal made by util-linux `script`),
//! cleared before the summary, and never on a pipe, a file or with `--quiet`.
//! KEYSENTRY_PROGRESS_DELAY_MS=0 shows it at once, so that these short scans would show it.
#![cfg(unix)]

use crate::common;

use common::{Run, TestEnv, secrets};

const BAR: &str = "scanning: ";

fn tree() -> TestEnv {
    let env = TestEnv::new();
    env.write("deploy.sh", format!("export GITHUB_TOKEN={}\n", secrets::github_pat()));
    env.write("README.md", "nothing\n");
    env
}

/// Runs `keysentry ARGS` with stdout and stderr on a pseudo-terminal; returns what the
/// terminal received.
fn on_terminal(env: &TestEnv, args: &str) -> String {
    let command = format!("'{}' {args}", TestEnv::bin().display());
    let out = env
        .std_command("script")
        .args(["-qec", &command, "/dev/null"])
        .env("KEYSENTRY_PROGRESS_DELAY_MS", "0")
        // A terminal session has a terminal type; without one, nothing is drawn.
        .env("TERM", "xterm")
        .output()
        .expect("run util-linux script (needed for the terminal tests)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn no_progress_on_a_pipe() {
    let env = tree();
    let out = env
        .command()
        .args(["scan", "--format", "jsonl", "."])
        .env("KEYSENTRY_PROGRESS_DELAY_MS", "0")
        .output()
        .expect("run keysentry");
    let run = Run::from(out);
    run.assert_code(1);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(BAR), "{text}");
        assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text:?}");
    }
    assert!(run.stderr.starts_with("scanned 2 files"), "{}", run.stderr);
}

#[test]
fn progress_on_a_terminal_is_cleared_before_the_summary() {
    let env = tree();
    let screen = on_terminal(&env, "scan --format jsonl . > /dev/null");
    let bar = screen.find(BAR).unwrap_or_else(|| panic!("no progress bar: {screen:?}"));
    let summary = screen.find("scanned 2 files").expect("summary");
    assert!(bar < summary, "{screen:?}");
    // The line the bar was on is erased before the summary is written over it.
    assert!(screen[bar..summary].contains("\u{1b}[2K"), "{screen:?}");
}

#[test]
fn no_progress_in_quiet_mode_or_into_a_report() {
    let env = tree();
    let quiet = on_terminal(&env, "scan --quiet --format jsonl .");
    assert!(!quiet.contains(BAR), "{quiet:?}");
    assert!(quiet.contains("github.pat_classic"));
    // stderr to a file: the bar is not drawn there either.
    let log = env.outside().join("stderr.txt");
    on_terminal(&env, &format!("scan --format jsonl . 2> '{}'", log.display()));
    let text = std::fs::read_to_string(&log).expect("stderr file");
    assert!(!text.contains(BAR) && !text.contains('\r'), "{text:?}");
    assert!(text.starts_with("scanned 2 files"), "{text}");
}

#[test]
fn a_history_scan_counts_its_commits() {
    let env = TestEnv::git_repo();
    for i in 0..3 {
        env.write("notes.txt", format!("note {i}\n"));
        env.commit_all(&format!("commit {i}"));
    }
    let screen = on_terminal(&env, "scan --history --format jsonl . > /dev/null");
    let bar = screen.find(BAR).unwrap_or_else(|| panic!("no progress bar: {screen:?}"));
    // Drawn at least once, with however many of the 3 commits were done by then.
    let shown = &screen[bar..];
    assert!((0..=3).any(|n| shown.contains(&format!("{n}/3 commits"))), "{screen:?}");
}
