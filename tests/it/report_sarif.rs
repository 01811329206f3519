//! SARIF output checked against the official SARIF 2.1.0 schema (vendored in
//! `fixtures/sarif/`, validated by Python's `jsonschema`, which `scripts/test` installs), and
//! SARIF's partial fingerprints.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use crate::common::TestEnv;
use crate::report_formats::{small_history, small_tree};
use crate::tools;

/// Validates `doc` against the vendored SARIF 2.1.0 schema with `python` (which has the
/// `jsonschema` package: [`tools::PYTHON`]); `Err` holds the validator's complaint.
pub(crate) fn validate_sarif(python: &Path, doc: &str) -> Result<(), String> {
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sarif/sarif-schema-2.1.0.json");
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  jsonschema.Draft4Validator.check_schema(schema)\n\
                  jsonschema.Draft4Validator(schema).validate(json.load(sys.stdin))\n";
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .arg(schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python");
    child.stdin.take().expect("stdin").write_all(doc.as_bytes()).expect("write SARIF");
    let out = child.wait_with_output().expect("wait for python");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let Some(python) = tools::PYTHON.find() else { return };
    let tree = small_tree();
    let history = small_history();
    let clean = TestEnv::new();
    clean.write("README.md", "nothing\n");
    for (env, args) in [
        (&tree, &["scan", "--format", "sarif", "."][..]),
        (&tree, &["scan", "--format", "sarif", "--show-secrets", "."]),
        (&history, &["scan", "--history", "--format", "sarif", "."]),
        (&clean, &["scan", "--format", "sarif", "."]),
    ] {
        let run = env.run(args);
        if let Err(e) = validate_sarif(&python, &run.stdout) {
            panic!("{args:?}: invalid SARIF:\n{e}\n{}", run.stdout);
        }
    }
}

#[test]
fn the_schema_check_rejects_invalid_sarif() {
    let Some(python) = tools::PYTHON.find() else { return };
    let env = small_tree();
    let run = env.run(&["scan", "--format", "sarif", "."]);
    let mut doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    doc["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(validate_sarif(&python, &doc.to_string()).is_err());
    doc["runs"][0]["results"][0]["level"] = "error".into();
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(validate_sarif(&python, &doc.to_string()).is_err());
}

#[test]
fn sarif_partial_fingerprints_are_stable_across_edits() {
    let env = small_tree();
    let fingerprints = |env: &TestEnv| -> Vec<serde_json::Value> {
        let run = env.run(&["scan", "--format", "sarif", "."]);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        doc["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    let before = fingerprints(&env);
    // Lines added above the secrets move them; their alerts stay the same.
    let prod = std::fs::read_to_string(env.path("config/prod.env")).expect("read");
    env.write("config/prod.env", format!("# moved\n\n{prod}"));
    assert_eq!(before, fingerprints(&env));
    assert_ne!(before[0], before[1]);
}
