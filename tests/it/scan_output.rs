//! What `keysentry scan` writes: the JSON and JSON Lines schemas, `--report-path`, redaction,
//! colours, fingerprints and blob ids, and the summary on stderr.

use crate::common;

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;

use common::{Run, TestEnv, finding_path, line_col, paths, rule_id, secrets};

fn key_line(id: &str) -> String {
    format!("aws_access_key_id = {id}\n")
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `git hash-object` of a file, computed by Git itself.
fn git_hash_object(env: &TestEnv, path: &Path) -> String {
    let output = env
        .std_command("git")
        .current_dir(env.outside())
        .arg("hash-object")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("git must be installed to run this test");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("a hex id").trim().to_owned()
}

#[test]
fn json_document_schema() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    let before = "[aws]\nregion = eu-west-1\n";
    env.write("conf/app.ini", format!("{before}{}", key_line(&id)));

    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let doc = run.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"]["name"], "keysentry");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(doc["elapsed_seconds"].as_f64().is_some_and(|s| s >= 0.0));
    assert_eq!(doc["skipped"], serde_json::json!([]));
    assert_eq!(doc["errors"], serde_json::json!([]));
    let stats = &doc["stats"];
    for (key, value) in
        [("scanned", 1), ("mapped", 0), ("skipped_binary", 0), ("skipped_too_large", 0)]
    {
        assert_eq!(stats[key], value, "stats.{key}");
    }
    assert_eq!(stats["errors"], 0);
    assert_eq!(stats["bytes"], before.len() + key_line(&id).len());

    let findings = run.findings();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["rule_id"], "aws.access_key_id");
    assert!(f["description"].as_str().is_some_and(|d| d.starts_with("AWS access key ID")));
    assert_eq!(f["origin"], serde_json::json!({ "kind": "file", "path": "conf/app.ini" }));
    assert_eq!(
        f["location"],
        serde_json::json!({
            "line": 3, "column": 21, "end_line": 3, "end_column": 41,
            "byte_start": before.len() + 20, "byte_end": before.len() + 40,
        })
    );
    assert_eq!(f["secret"], format!("AKIA{}", "*".repeat(16)));
    assert_eq!(f["secret_redacted"], true);
    assert_eq!(f["line"], format!("aws_access_key_id = AKIA{}", "*".repeat(16)));
    assert!(is_lower_hex(f["fingerprint"].as_str().unwrap(), 32), "{}", f["fingerprint"]);
    assert!(is_lower_hex(f["blob_id"].as_str().unwrap(), 40), "{}", f["blob_id"]);
    assert!(f["entropy"].as_f64().is_some_and(|e| e > 3.0 && e <= 8.0), "{}", f["entropy"]);
}

#[test]
fn blob_id_is_the_git_blob_hash_of_the_file() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    // Text, CRLF text and invalid UTF-8: the hash is over the raw bytes.
    let plain = env.write("plain.txt", key_line(&id));
    let crlf = env.write("crlf.txt", format!("a\r\nkey={id}\r\n"));
    let mut raw = b"\xff\xfe\r\n".to_vec();
    raw.extend_from_slice(key_line(&id).as_bytes());
    let latin = env.write("latin.txt", raw);

    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(paths(&findings), ["crlf.txt", "latin.txt", "plain.txt"]);
    for (f, path) in findings.iter().zip([&crlf, &latin, &plain]) {
        assert_eq!(f["blob_id"], git_hash_object(&env, path), "{}", path.display());
    }
}

#[test]
fn blob_id_of_stdin_is_the_git_blob_hash_of_the_input() {
    let env = TestEnv::new();
    let input = key_line(&secrets::aws_key_id());
    let path = env.write("copy.txt", &input);
    let output =
        env.command().args(["scan", "--format", "json", "-"]).write_stdin(input).output().unwrap();
    let run = Run::from(output);
    run.assert_code(1);
    assert_eq!(run.findings()[0]["blob_id"], git_hash_object(&env, &path));
}

#[test]
fn jsonl_has_one_versioned_object_per_finding() {
    let env = TestEnv::new();
    env.write("a.txt", format!("{}{}", key_line(&secrets::aws_key_id()), "nothing\n"));
    env.write("b/c.env", format!("GITHUB_TOKEN={}\n", secrets::github_pat()));

    let run = env.run(&["scan", "--format", "jsonl", "."]);
    run.assert_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    let objects: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    for o in &objects {
        assert_eq!(o["version"], 1);
    }
    assert_eq!(paths(&objects), ["a.txt", "b/c.env"]);
    assert_eq!(rule_id(&objects[1]), "github.pat_classic");

    // Apart from `version`, each line is the finding of the JSON document.
    let doc_findings = env.scan_json(&["."]).findings();
    for (mut line, finding) in objects.into_iter().zip(doc_findings) {
        line.as_object_mut().unwrap().remove("version");
        assert_eq!(line, finding);
    }

    // Nothing found: no output at all.
    let env = TestEnv::new();
    env.write("clean.txt", "nothing\n");
    let run = env.run(&["scan", "--format", "jsonl", "."]);
    run.assert_code(0);
    assert_eq!(run.stdout, "");
}

#[test]
fn report_path_writes_the_report_to_the_file_and_nothing_to_stdout() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    let report = env.outside().join("report.json");
    let report_arg = report.to_str().unwrap();

    for flag in ["--report-path", "-o"] {
        let run = env.run(&["scan", "--format", "json", flag, report_arg, "."]);
        run.assert_code(1);
        assert_eq!(run.stdout, "", "{flag}");
        assert!(run.stderr.contains(": 1 finding"), "{flag}: {}", run.stderr);
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(paths(doc["findings"].as_array().unwrap()), ["creds.txt"]);
        std::fs::remove_file(&report).unwrap();
    }

    // The human format, too, and without colours even with --color auto.
    let human = env.outside().join("report.txt");
    let run = env.run(&["scan", "-o", human.to_str().unwrap(), "."]);
    run.assert_code(1);
    assert_eq!(run.stdout, "");
    let text = std::fs::read_to_string(&human).unwrap();
    assert!(text.starts_with("creds.txt\n  1:21    aws.access_key_id  "), "{text}");
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn an_unwritable_report_path_exits_2() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    let run = env.run(&["scan", "-o", "missing-dir/report.json", "."]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("keysentry: error: cannot write report to missing-dir/report.json"),
        "{}",
        run.stderr
    );
}

/// A tree with one secret of each common kind, and the full values of those secrets.
fn tree_with_many_kinds_of_secret() -> (TestEnv, Vec<String>) {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    let key = secrets::aws_secret_key();
    let pat = secrets::github_pat();
    let password = secrets::password_value();
    env.write(
        ".aws/credentials",
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {key}\n"),
    );
    env.write("ci.env", format!("GITHUB_TOKEN={pat}\nDB_PASSWORD=\"{password}\"\n"));
    env.write("id_rsa", secrets::pem_private_key());
    (env, vec![id, key, pat, password, secrets::pem_private_key()])
}

#[test]
fn secrets_are_redacted_by_default_in_every_format() {
    let (env, values) = tree_with_many_kinds_of_secret();
    let mut pem_body = values[4].lines().nth(1).unwrap().to_owned();
    pem_body.truncate(20);
    for format in ["human", "json", "jsonl"] {
        let run = env.run(&["scan", "--verbose", "--format", format, "."]);
        run.assert_code(1);
        for v in &values {
            assert!(!run.stdout.contains(v.as_str()), "{format}: stdout shows a secret");
            assert!(!run.stderr.contains(v.as_str()), "{format}: stderr shows a secret");
        }
        assert!(!run.stdout.contains(&pem_body), "{format}: stdout shows a key body");
        // AWS key ids keep their prefix; other secrets at most 4 characters.
        assert!(run.stdout.contains(&format!("AKIA{}", "*".repeat(16))), "{}", run.stdout);
        for v in &values[1..4] {
            assert!(!run.stdout.contains(&v[..5]), "{format}: more than 4 characters of {v:.4}…");
        }
    }
    let run = env.scan_json(&["."]);
    let findings = run.findings();
    // The AWS key id and its secret are one finding.
    assert_eq!(findings.len(), 4, "{}", run.stdout);
    for f in &findings {
        assert_eq!(f["secret_redacted"], true);
        assert!(f["secret"].as_str().unwrap().ends_with('*'), "{}", f["secret"]);
    }
    let paired = &findings.iter().find(|f| f["aws"].is_object()).unwrap()["aws"]["paired_secret"];
    assert_eq!(paired["value"], format!("{}{}", &values[1][..4], "*".repeat(16)));
}

/// Each finding's line must not show any other secret on that line in full: one-line
/// credentials (`KEY_ID=… SECRET=…`), repeated values, JSON blobs and minified files are common.
#[test]
fn secrets_sharing_a_line_are_all_redacted() {
    let env = TestEnv::new();
    let (id, key, id2) =
        (secrets::aws_key_id(), secrets::aws_secret_key(), secrets::aws_key_id_2());
    env.write("one-line.env", format!("AWS_ACCESS_KEY_ID={id} AWS_SECRET_ACCESS_KEY={key}\n"));
    env.write("twice.txt", format!("keys = {id2},{id2}\n"));
    for format in ["human", "json", "jsonl"] {
        let run = env.run(&["scan", "--format", format, "."]);
        run.assert_code(1);
        for v in [&id, &key, &id2] {
            assert!(!run.stdout.contains(v.as_str()), "{format}: {v:.4}… in\n{}", run.stdout);
        }
    }
}

#[test]
fn show_secrets_shows_them_in_full() {
    let (env, values) = tree_with_many_kinds_of_secret();
    for format in ["human", "json", "jsonl"] {
        let run = env.run(&["scan", "--show-secrets", "--format", format, "."]);
        run.assert_code(1);
        // The PEM block contains newlines, escaped in JSON: check its first body line there.
        for v in &values[..4] {
            assert!(run.stdout.contains(v.as_str()), "{format}: {v:.4}… not shown");
        }
        assert!(!run.stderr.contains(values[0].as_str()), "{format}: stderr shows a secret");
    }
    let run = env.scan_json(&["--show-secrets", "."]);
    let findings = run.findings();
    let mut shown: Vec<String> =
        findings.iter().map(|f| f["secret"].as_str().unwrap().to_owned()).collect();
    // The AWS secret is shown with its key id.
    shown.extend(
        findings
            .iter()
            .filter_map(|f| f["aws"]["paired_secret"]["value"].as_str())
            .map(str::to_owned),
    );
    shown.sort();
    let mut expected = values.clone();
    expected[4] = expected[4].trim_end().to_owned();
    expected.sort();
    assert_eq!(shown, expected);
    assert!(findings.iter().all(|f| f["secret_redacted"] == false));
}

#[test]
fn colour_is_used_only_when_asked_for_or_on_a_terminal() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    const ESC: char = '\u{1b}';

    let run = env.run(&["scan", "--color", "always", "."]);
    run.assert_code(1);
    assert!(run.stdout.contains("\u{1b}[") && run.stdout.contains("creds.txt"), "{}", run.stdout);

    // Piped output is not a terminal.
    for args in
        [&["scan", "--color", "never", "."][..], &["scan", "--color", "auto", "."], &["scan"]]
    {
        let run = env.run(args);
        run.assert_code(1);
        assert!(run.stdout.contains("creds.txt"), "{args:?}");
        assert!(!run.stdout.contains(ESC), "{args:?}: {:?}", run.stdout);
        assert!(!run.stderr.contains(ESC), "{args:?}: {:?}", run.stderr);
    }

    // NO_COLOR does not override an explicit --color always.
    let output =
        env.command().env("NO_COLOR", "1").args(["scan", "--color", "always", "."]).output();
    let run = Run::from(output.unwrap());
    assert!(run.stdout.contains(ESC), "{:?}", run.stdout);

    // Colours never reach machine-readable formats.
    for format in ["json", "jsonl"] {
        let run = env.run(&["scan", "--color", "always", "--format", format, "."]);
        assert!(!run.stdout.contains(ESC), "{format}");
    }
}

/// Runs `keysentry scan --color auto .` on a pseudo-terminal through `script(1)` (util-linux),
/// with `NO_COLOR` set to `no_color` when given, and returns what the terminal showed.
#[cfg(target_os = "linux")]
fn scan_on_a_terminal(env: &TestEnv, no_color: Option<&str>) -> String {
    let bin = TestEnv::bin();
    let command = format!("'{}' scan --color auto .", bin.display());
    let mut cmd = env.std_command("script");
    cmd.args(["--quiet", "--return", "--command", &command, "/dev/null"]);
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux must be installed to run this test");
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("creds.txt") && shown.contains("aws.access_key_id"), "{shown}");
    shown
}

#[cfg(target_os = "linux")]
#[test]
fn no_color_turns_colours_off_on_a_terminal() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    assert!(scan_on_a_terminal(&env, None).contains("\u{1b}["));
    assert!(!scan_on_a_terminal(&env, Some("1")).contains('\u{1b}'));
    // An empty NO_COLOR counts as unset (https://no-color.org).
    assert!(scan_on_a_terminal(&env, Some("")).contains("\u{1b}["));
}

#[test]
fn a_secret_has_one_fingerprint_wherever_it_is() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    env.write("a.txt", key_line(&id));
    env.write("deep/er/b.cfg", format!("\n\n\n\nkey: {id}\n"));
    env.write("c.txt", key_line(&secrets::aws_key_id_2()));
    env.write("d.env", format!("AWS_SECRET_ACCESS_KEY={}\n", secrets::aws_secret_key()));

    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(paths(&findings), ["a.txt", "c.txt", "d.env", "deep/er/b.cfg"]);
    let fp: Vec<&str> = findings.iter().map(|f| f["fingerprint"].as_str().unwrap()).collect();
    assert_eq!(fp[0], fp[3]);
    assert_ne!(line_col(&findings[0]), line_col(&findings[3]));
    assert_ne!(findings[0]["blob_id"], findings[3]["blob_id"]);
    assert_ne!(fp[0], fp[1]);
    assert_ne!(fp[0], fp[2]);
    assert_ne!(fp[1], fp[2]);

    // Baselines store fingerprints, so the formula is part of the format: the first 16 bytes
    // of SHA-256(rule id, NUL, secret), in hex.
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("aws.access_key_id\0{id}"));
    let expected: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(fp[0], expected);
}

#[test]
fn the_same_secret_twice_in_a_file_is_two_findings() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    env.write("dup.txt", format!("first = {id}\nother line\nsecond = {id} and again {id}\n"));

    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    let locations: Vec<(u64, u64)> = findings.iter().map(line_col).collect();
    assert_eq!(locations, [(1, 9), (3, 10), (3, 41)]);
    assert!(findings.iter().all(|f| finding_path(f) == "dup.txt"));
    assert!(findings.iter().all(|f| f["fingerprint"] == findings[0]["fingerprint"]));
}

#[test]
fn summary_goes_to_stderr_and_quiet_silences_it() {
    let env = TestEnv::new();
    env.write("creds.txt", key_line(&secrets::aws_key_id()));
    env.write("notes.txt", "nothing\n");

    let run = env.run(&["scan", "."]);
    run.assert_code(1);
    assert!(!run.stdout.contains("scanned"));
    let summary = run.stderr.lines().find(|l| l.starts_with("scanned")).unwrap_or_default();
    assert!(summary.starts_with("scanned 2 files ("), "{}", run.stderr);
    assert!(summary.ends_with(": 1 finding"), "{}", run.stderr);
    assert!(run.stderr.ends_with("findings by rule:\n  1  aws.access_key_id\n"), "{}", run.stderr);

    for flag in ["--quiet", "-q"] {
        let run = env.run(&["scan", flag, "."]);
        run.assert_code(1);
        assert_eq!(run.stderr, "", "{flag}");
        assert!(run.stdout.starts_with("creds.txt\n  1:21 "), "{flag}: {}", run.stdout);
    }
}

#[test]
fn quiet_still_reports_errors_and_items_not_scanned() {
    let env = TestEnv::new();
    env.write("big.txt", "x".repeat(4096));
    // Issue 12: a file too large to scan is a gap: exit 2, and --quiet does not hide it.
    let run = env.run(&["scan", "--quiet", "--max-file-size", "1K", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("keysentry: warning: not scanned: big.txt:"), "{}", run.stderr);
    assert!(!run.stderr.contains("scanned 0 files"), "{}", run.stderr);

    let run = env.run(&["scan", "--quiet", "missing"]);
    run.assert_code(2);
    assert!(run.stderr.contains("keysentry: error: cannot scan missing"), "{}", run.stderr);
}

/// Regression: a file name that is not UTF-8 made the JSON report fail as a whole (exit 2, no
/// report), losing every finding. Such paths are written lossily instead.
#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_does_not_break_the_json_report() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname.env");
    let content = format!("GITHUB_TOKEN={}\n", secrets::github_pat());
    std::fs::write(env.root().join(name), content).unwrap();
    env.write("ok.env", key_line(&secrets::aws_key_id()));
    let json = env.run(&["scan", "--format", "json"]);
    json.assert_code(1);
    let mut found: Vec<String> =
        json.findings().iter().map(|f| finding_path(f).to_owned()).collect();
    found.sort();
    assert_eq!(found, ["bad\u{fffd}name.env", "ok.env"]);
    let jsonl = env.run(&["scan", "--format", "jsonl"]);
    jsonl.assert_code(1);
    let mut found: Vec<String> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("one JSON object per line"))
        .map(|f| finding_path(&f).to_owned())
        .collect();
    found.sort();
    assert_eq!(found, ["bad\u{fffd}name.env", "ok.env"]);
}
