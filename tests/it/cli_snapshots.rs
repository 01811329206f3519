//! Snapshots of `--help` and of the human and JSON reports for one small tree (exit status,
//! stdout and stderr), with temporary paths, timings and the version filtered.

use crate::common;

use common::{TestEnv, secrets, snapshot_settings, transcript};

/// Snapshot settings: the common ones and keysentry's version.
fn settings(env: &TestEnv) -> insta::Settings {
    let mut s = snapshot_settings(env);
    s.add_filter(&regex::escape(&format!("\"{}\"", env!("CARGO_PKG_VERSION"))), "\"[VERSION]\"");
    s
}

/// A small repository: two findings, an ignored file, a binary file, a clean file.
fn small_tree() -> TestEnv {
    let env = TestEnv::new();
    env.write(".gitignore", "*.log\n");
    env.write("debug.log", format!("key={}\n", secrets::aws_key_id_2()));
    env.write("README.md", "# demo\n\nNothing to see here.\n");
    env.write(
        "config/prod.env",
        format!(
            "REGION=eu-west-1\r\nAWS_ACCESS_KEY_ID={}\r\nAWS_SECRET_ACCESS_KEY={}\r\n",
            secrets::aws_key_id(),
            secrets::aws_secret_key()
        ),
    );
    env.write("deploy.sh", format!("#!/bin/sh\nexport GITHUB_TOKEN={}\n", secrets::github_pat()));
    env.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    env
}

#[test]
fn human_report() {
    let env = small_tree();
    let run = env.run(&["scan", "."]);
    run.assert_code(1);
    settings(&env).bind(|| insta::assert_snapshot!("human_report", transcript(&run)));
}

#[test]
fn json_report() {
    let env = small_tree();
    // An absolute root: paths in the report are absolute too.
    let root = env.root().display().to_string();
    let run = env.run(&["scan", "--format", "json", &root]);
    run.assert_code(1);
    settings(&env).bind(|| insta::assert_snapshot!("json_report", transcript(&run)));
}

#[test]
fn jsonl_report() {
    let env = small_tree();
    let run = env.run(&["scan", "--format", "jsonl", "--quiet", "."]);
    run.assert_code(1);
    settings(&env).bind(|| insta::assert_snapshot!("jsonl_report", transcript(&run)));
}

#[test]
fn help() {
    let env = TestEnv::new();
    let mut cases = vec![
        ("help", &["--help"][..]),
        ("help_short", &["-h"]),
        ("rules_check_help", &["rules", "check", "--help"]),
    ];
    // `scan --help` lists the online AWS options, which a build without `aws` does not have.
    if cfg!(feature = "aws") {
        cases.push(("scan_help", &["scan", "--help"]));
    }
    for (name, args) in cases {
        let run = env.run(args);
        run.assert_code(0);
        settings(&env).bind(|| insta::assert_snapshot!(name, transcript(&run)));
    }
}
