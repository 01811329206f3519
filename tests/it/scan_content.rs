//! `keysentry scan` reading content: what counts as binary (a known format's first bytes, not
//! a name or one NUL byte), buffered and memory-mapped reads, invalid UTF-8 and UTF-16, line
//! ends (CRLF, a lone CR), and long lines. Which files are read at all is `scan_walk`.

use crate::common;
use crate::scan_walk::{key_line, lines_of};

use common::{TestEnv, finding_path, line_col, paths, secrets};

#[test]
fn binary_files_are_skipped_counted_and_not_reported() {
    let env = TestEnv::new();
    let mut content = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    content.extend_from_slice(key_line(&secrets::aws_key_id()).as_bytes());
    env.write("image.data", &content);
    env.write("notes.txt", "nothing to see\n");

    let run = env.scan_json(&["."]);
    run.assert_code(0);
    let doc = run.json();
    assert!(run.findings().is_empty(), "{}", run.stdout);
    assert_eq!(doc["stats"]["skipped_binary"], 1);
    assert_eq!(doc["stats"]["scanned"], 1);
    let skipped = doc["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["origin"]["path"], "image.data");
    assert_eq!(skipped[0]["reason"], "binary");

    // Binary files are mentioned only in verbose mode.
    let run = env.run(&["scan", "."]);
    run.assert_code(0);
    assert!(!run.stderr.contains("image.data"), "{}", run.stderr);
    let run = env.run(&["scan", "--verbose", "."]);
    run.assert_code(0);
    assert!(run.stderr.contains("skipped binary image.data"), "{}", run.stderr);
}

#[test]
fn files_named_as_binary_formats_are_skipped_unread() {
    // Issue 12: a binary name alone no longer hides text. A file named as a binary format is
    // skipped unread only when its first bytes are those of a known binary format.
    let env = TestEnv::new();
    env.write("diagram.PNG", key_line(&secrets::aws_key_id()));
    env.write("catalog/django.mo", key_line(&secrets::aws_key_id()));
    env.write("icon.svg", key_line(&secrets::aws_key_id()));
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(key_line(&secrets::aws_key_id()).as_bytes());
    env.write("real.png", png);
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["catalog/django.mo", "diagram.PNG", "icon.svg"]);
    assert_eq!(run.json()["stats"]["skipped_binary"], 1);
}

#[test]
fn a_nul_byte_after_the_first_8_kib_does_not_make_a_file_binary() {
    let env = TestEnv::new();
    let mut content = "x".repeat(8 * 1024).into_bytes();
    content.extend_from_slice(b"\n\0\n");
    content.extend_from_slice(key_line(&secrets::aws_key_id()).as_bytes());
    env.write("log.txt", &content);
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(paths(&findings), ["log.txt"]);
    assert_eq!(line_col(&findings[0]), (3, 21));
    assert_eq!(run.json()["stats"]["skipped_binary"], 0);
}

#[test]
fn files_of_at_least_1_mib_are_memory_mapped() {
    let env = TestEnv::new();
    let filler = format!("{}\n", "y".repeat(99));
    let mut content = filler.repeat(11_000);
    assert!(content.len() >= 1 << 20);
    content.push_str(&key_line(&secrets::aws_key_id()));
    content.push_str("trailing line\n");
    env.write("large.txt", &content);
    env.write("small.txt", key_line(&secrets::aws_key_id_2()));

    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let doc = run.json();
    assert_eq!(doc["stats"]["mapped"], 1);
    assert_eq!(doc["stats"]["scanned"], 2);
    let findings = run.findings();
    assert_eq!(paths(&findings), ["large.txt", "small.txt"]);
    assert_eq!(line_col(&findings[0]), (11_001, 21));
    assert_eq!(findings[0]["location"]["byte_start"], 11_000 * 100 + 20);
}

#[test]
fn invalid_utf8_around_a_secret_keeps_exact_positions() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    let mut content = b"\xff\xfe\xfd garbage line\n".to_vec();
    let line_2 = content.len();
    content.extend_from_slice(b"\xc3\x28 key=");
    content.extend_from_slice(id.as_bytes());
    content.extend_from_slice(b" \xe2\x82 tail\n");
    env.write("latin.txt", &content);

    let run = env.scan_json(&["--show-secrets", "."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    // Columns count bytes: 2 invalid bytes, a space, `key=`.
    assert_eq!(line_col(f), (2, 8));
    assert_eq!(f["location"]["end_column"], 28);
    assert_eq!(f["location"]["byte_start"], line_2 + 7);
    assert_eq!(f["secret"], id.as_str());
    // Invalid bytes are replaced in the line text; the secret is intact.
    let line = f["line"].as_str().unwrap();
    assert!(line.contains('\u{fffd}'), "{line:?}");
    assert!(line.contains(&format!(" key={id} ")), "{line:?}");
}

#[test]
fn crlf_line_ends_give_exact_columns_and_no_carriage_return() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    let text = format!("[default]\r\nregion = eu-west-1\r\naws_access_key_id = {id}\r\nend\r\n");
    env.write("credentials", &text);
    env.write("trailing", format!("k={id}\r\n"));

    let run = env.scan_json(&["--show-secrets", "."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(paths(&findings), ["credentials", "trailing"]);
    assert_eq!(line_col(&findings[0]), (3, 21));
    assert_eq!(findings[0]["location"]["end_column"], 41);
    assert_eq!(findings[0]["line"], format!("aws_access_key_id = {id}"));
    assert_eq!(line_col(&findings[1]), (1, 3));
    assert_eq!(findings[1]["line"], format!("k={id}"));
    for f in &findings {
        assert!(!f["line"].as_str().unwrap().contains('\r'));
        assert_eq!(f["secret"], id.as_str());
    }
}

#[test]
fn a_50_mb_single_line_file_yields_its_secret_once() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    let total = 50_000_000;
    let at = 31_457_283; // somewhere in the middle, not on a block boundary
    let mut content = Vec::with_capacity(total);
    content.resize(at - 1, b'a');
    content.push(b' ');
    content.extend_from_slice(id.as_bytes());
    content.push(b' ');
    content.resize(total, b'b');
    env.write("minified.js", &content);
    drop(content);

    let run = env.scan_json(&["."]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "{}", run.stdout);
    assert_eq!(line_col(&findings[0]), (1, at as u64 + 1));
    assert_eq!(findings[0]["location"]["byte_start"], at);
    // The reported line is cut to a bounded width around the secret.
    assert!(findings[0]["line"].as_str().unwrap().len() < 1000);
    assert_eq!(run.json()["stats"]["mapped"], 1);
}

#[test]
fn long_line_secret_straddling_the_window_of_an_earlier_hit() {
    let env = TestEnv::new();
    let first = secrets::aws_key_id();
    let second = secrets::aws_key_id_2();
    let mut line = "a".repeat(10_000);
    line.push(' ');
    let hit = line.len();
    line.push_str(&first);
    line.push(' ');
    // The second key starts 4086 bytes after the first: its keyword lies inside the line
    // region examined for the first hit, its last bytes outside.
    line.push_str(&"b".repeat(hit + 4086 - 1 - line.len()));
    line.push(' ');
    line.push_str(&second);
    line.push(' ');
    line.push_str(&"c".repeat(10_000));
    line.push('\n');
    env.write("bundle.js", &line);

    let run = env.scan_json(&["--show-secrets", "."]);
    let secrets: Vec<_> = run.findings().iter().map(|f| f["secret"].clone()).collect();
    assert_eq!(secrets, [first, second]);
}

#[test]
fn issue_12_a_nul_in_unknown_content_hides_neither_side_of_it() {
    let env = TestEnv::new();
    let (a, b) = (secrets::aws_key_id(), secrets::aws_key_id_2());
    let mut content = key_line(&a).into_bytes();
    content.extend_from_slice(b"\0\x01\x02\xff\0\n");
    content.extend_from_slice(key_line(&b).as_bytes());
    env.write("dump.dat", &content);
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(lines_of(&run.findings()), [1, 3]);
    assert_eq!(line_col(&run.findings()[0]).1, 21);
    assert_eq!(run.json()["stats"]["skipped_binary"], 0);
}

#[test]
fn issue_12_utf16le_powershell_is_scanned() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    let text = format!("\u{feff}# deploy\r\n$env:AWS_ACCESS_KEY_ID = \"{id}\"\r\n");
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    env.write("deploy.ps1", &bytes);
    // Without a byte order mark, and big-endian.
    let bytes: Vec<u8> = text[3..].encode_utf16().flat_map(u16::to_be_bytes).collect();
    env.write("deploy.dat", &bytes);
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(paths(&run.findings()), ["deploy.dat", "deploy.ps1"]);
    assert_eq!(lines_of(&run.findings()), [2, 2]);
}

#[test]
fn issue_12_lone_cr_ends_a_line() {
    let env = TestEnv::new();
    let id = secrets::aws_key_id();
    for (name, eol) in [("lf.txt", "\n"), ("crlf.txt", "\r\n"), ("cr.txt", "\r")] {
        let k = format!("aws_access_key_id = {id}");
        env.write(name, [k.as_str(), "a", k.as_str(), "b", k.as_str()].join(eol));
    }
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    for name in ["lf.txt", "crlf.txt", "cr.txt"] {
        let f: Vec<_> = run.findings().into_iter().filter(|f| finding_path(f) == name).collect();
        assert_eq!(lines_of(&f), [1, 3, 5], "{name}");
        for f in &f {
            assert_eq!(line_col(f).1, 21, "{name}");
            let line = f["line"].as_str().unwrap();
            assert!(
                !line.contains('\r') && !line.contains('a') || line.starts_with("aws"),
                "{line:?}"
            );
        }
    }
    // An inline ignore comment applies to its own CR-ended line only.
    env.write("cr.txt", format!("x = {id} # keysentry:allow\raws_access_key_id = {id}\r"));
    env.remove("lf.txt");
    env.remove("crlf.txt");
    let run = env.scan_json(&["."]);
    run.assert_code(1);
    assert_eq!(lines_of(&run.findings()), [2]);
}

#[test]
fn issue_12_the_hook_reports_a_key_on_a_changed_line_of_a_cr_only_file() {
    let env = TestEnv::git_repo();
    let id = secrets::aws_key_id();
    env.write("old.txt", "one\rtwo\rthree\r");
    env.write("lf.txt", format!("aws_access_key_id = {id}\nx\n"));
    env.commit_all("start");
    env.write("old.txt", format!("one\raws_access_key_id = {id}\rthree\r"));
    env.write("lf.txt", format!("aws_access_key_id = {id}\ny\n"));
    env.git(&["add", "."]);
    let run = env.scan_json(&["--staged", "."]);
    run.assert_code(1);
    // The CR-only file: found on its line 2. The LF file: its key is on an unchanged line.
    let f = run.findings();
    assert_eq!(paths(&f), ["old.txt"]);
    assert_eq!(line_col(&f[0]), (2, 21));
}
