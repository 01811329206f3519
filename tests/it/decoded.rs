//! Decoded views through the binary (issue 16): secrets inside base64, UTF-16, escapes and
//! string literals joined by code are found at the encoded text's place, with the encoding
//! named in the report; look-alikes stay quiet, and hostile content stays bounded.

use crate::common;

use serde_json::Value;

use common::TestEnv;
use common::only_finding as only;
use common::secrets::{aws_key_id, aws_secret_key, github_pat, pem_private_key};

/// `scan --show-secrets --format json .` and its findings.
fn scan(env: &TestEnv) -> Vec<Value> {
    env.scan_json(&["--show-secrets", "."]).findings()
}

fn b64(bytes: &[u8]) -> String {
    common::aws::base64(bytes)
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn base64_values_hold_findings_of_any_rule_at_their_place() {
    let env = TestEnv::new();
    let creds = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        aws_key_id(),
        aws_secret_key()
    );
    env.write(
        "deploy.json",
        format!("{{\n  \"name\": \"ci\",\n  \"credentials\": \"{}\"\n}}\n", b64(creds.as_bytes())),
    );
    let basic = b64(format!("x-access-token:{}", github_pat()).as_bytes());
    env.write("curl.sh", format!("curl -H 'Authorization: Basic {basic}' https://h.example/\n"));
    let f = scan(&env);
    let key = only(&f, "deploy.json");
    assert_eq!(key["rule_id"], "aws.access_key_id", "{key:#}");
    assert_eq!(key["encoding"], "base64");
    assert_eq!(key["location"]["line"], 3, "{key:#}");
    assert_eq!(key["aws"]["paired_secret"]["value"], aws_secret_key(), "{key:#}");
    let pat = only(&f, "curl.sh");
    assert_eq!(pat["rule_id"], "github.pat_classic");
    assert_eq!(pat["encoding"], "base64");
    // The location is the base64 text's: inside the header value on line 1.
    let at = pat["location"]["column"].as_u64().unwrap();
    assert!(at >= 30, "{pat:#}");
}

#[test]
fn utf16_inside_base64_and_utf16_files() {
    let env = TestEnv::new();
    let command = utf16le(&format!("$env:GITHUB_TOKEN = '{}'; git push", github_pat()));
    env.write("run.ps1", format!("powershell.exe -NoProfile -EncodedCommand {}\n", b64(&command)));
    let mut script = vec![0xff, 0xfe];
    script.extend(utf16le(&format!("$key = \"{}\"\r\n", aws_key_id())));
    env.write("setup.ps1", script);
    let f = scan(&env);
    let pat = only(&f, "run.ps1");
    assert_eq!(pat["rule_id"], "github.pat_classic");
    assert_eq!(pat["encoding"], "base64/utf-16le");
    assert_eq!(pat["secret"], github_pat());
    let key = only(&f, "setup.ps1");
    assert_eq!(key["rule_id"], "aws.access_key_id");
    assert_eq!(key["secret"], aws_key_id());
}

#[test]
fn escaped_secrets_pair_with_their_key_id() {
    let env = TestEnv::new();
    let secret = aws_secret_key();
    let escaped = secret.replace('+', "\\u002B").replace('/', "\\u002F");
    assert_ne!(escaped, secret);
    env.write(
        "config.json",
        format!("{{\"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{escaped}\"}}\n", aws_key_id()),
    );
    let f = scan(&env);
    let key = only(&f, "config.json");
    assert_eq!(key["rule_id"], "aws.access_key_id");
    assert_eq!(key["aws"]["paired_secret"]["value"], secret, "{key:#}");
}

#[test]
fn pem_keys_written_as_quoted_lines_are_one_finding_spanning_the_block() {
    let env = TestEnv::new();
    let pem = pem_private_key();
    let lines: Vec<&str> = pem.lines().collect();
    let c: Vec<String> = lines.iter().map(|l| format!("    \"{l}\\n\"")).collect();
    env.write("key.c", format!("static const char kKey[] =\n{};\n", c.join("\n")));
    let go: Vec<String> = lines.iter().map(|l| format!("\t\"{l}\\n\" +")).collect();
    env.write("key_test.go", format!("const key = \"\" +\n{}\n\t\"\"\n", go.join("\n")));
    let f = scan(&env);
    for path in ["key.c", "key_test.go"] {
        let k = only(&f, path);
        assert_eq!(k["rule_id"], "private_key.pem", "{k:#}");
        assert_eq!(k["encoding"], "concatenation", "{k:#}");
        assert_eq!(k["location"]["line"], 2, "{k:#}");
        assert_eq!(k["location"]["end_line"], 1 + lines.len() as u64, "{k:#}");
        assert!(k["secret"].as_str().unwrap().contains(lines[1]), "{k:#}");
    }
}

/// Issue 16 (point 5): a PEM body line of 64 characters that starts `EAAA` and holds no `+` or
/// `/` has the shape of a Square access token; it is part of the key, so the key is reported
/// (plain, or joined from C string literals) and the token is not.
#[test]
fn issue_16_token_shaped_lines_of_a_pem_body_are_part_of_the_key() {
    let env = TestEnv::new();
    let pem = pem_private_key();
    let mut lines: Vec<String> = pem.lines().map(str::to_owned).collect();
    let token_shaped =
        ["EAAAlSjBKJBZtIXTFGUKQG4R", "KWUYwkwhNGXYMGkQMFIZMWaMGIrIwAhMmDCjpiBB"].concat();
    assert_eq!(token_shaped.len(), 64);
    lines.insert(2, token_shaped);
    env.write("key.pem", format!("{}\n", lines.join("\n")));
    let c: Vec<String> = lines.iter().map(|l| format!("    \"{l}\\n\"")).collect();
    env.write("key.c", format!("static const char kKey[] =\n{};\n", c.join("\n")));
    let f = env.scan_json(&["--show-secrets", "."]).findings();
    for path in ["key.pem", "key.c"] {
        let k = only(&f, path);
        assert_eq!(k["rule_id"], "private_key.pem", "{k:#}");
    }
}

#[test]
fn key_ids_split_by_concatenation_are_joined() {
    let env = TestEnv::new();
    let id = aws_key_id();
    let (a, b) = id.split_at(8);
    env.write("s3.py", format!("KEY = \"{a}\" \\\n      \"{b}\"\n"));
    env.write("s3.js", format!("const key = ['{a}', '{b}'].join('');\n"));
    env.write("S3.java", format!("String key = \"{a}\" +\n    \"{b}\";\n"));
    let f = scan(&env);
    for path in ["s3.py", "s3.js", "S3.java"] {
        let k = only(&f, path);
        assert_eq!(k["rule_id"], "aws.access_key_id", "{path}: {k:#}");
        assert_eq!(k["secret"], id, "{path}");
        assert_eq!(k["encoding"], "concatenation", "{path}");
    }
}

#[test]
fn look_alikes_are_not_decoded_into_findings() {
    let env = TestEnv::new();
    // An image, identifiers in one case, printf widths, binary escapes, joined words.
    let png: Vec<u8> = (0u32..600).map(|i| (i * 7919 % 251) as u8).collect();
    env.write(
        "logo.css",
        format!(".logo {{ background: url(data:image/png;base64,{}); }}\n", b64(&png)),
    );
    env.write(
        "names.c",
        "GIT_ASSERT_ARG_WITH_RETVAL(x);\nint git_vector_insert_sorted_items(void);\n\
         printf(\"%5d %2d %3d\\n\", a, b, c);\nconst char *b = \"\\x8f\\x02\\x00\";\n\
         const char *dll = \"kernel32\" \".dll\";\n",
    );
    let text = b64(b"This is plain prose, encoded for transport and nothing more.");
    env.write("note.yaml", format!("description: {text}\n"));
    let f = scan(&env);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn hostile_dense_encodings_stay_bounded() {
    let env = TestEnv::new();
    // Base64 of base64 of … of a key, deeper than views nest; a megabyte of escapes; base64
    // lines by the thousand. The scan ends, reports what it can, and exits cleanly.
    let mut nested = format!("aws_access_key_id = {}", aws_key_id());
    for _ in 0..8 {
        nested = b64(nested.as_bytes());
    }
    env.write("deep.txt", format!("v: {nested}\n"));
    env.write("escapes.json", "\"\\u0041\\u002F\\x41%2F\\/\"".repeat(40_000));
    let line = format!("{}\n", b64(b"[default]\nregion = eu-west-1\noutput = json\n"));
    env.write("many.txt", line.repeat(20_000));
    // A keyword line dense in quotes of both kinds (every quote a literal to read), and one
    // base64 run of a megabyte of text (one view as large as the budget allows).
    env.write("quotes.py", format!("password = {}\n", "\"".repeat(100_000)));
    let prose = "Plain words, encoded, and nothing secret in them at all. ".repeat(16_000);
    env.write("big.txt", format!("blob: {}\n", b64(prose.as_bytes())));
    let run = env.scan_json(&["."]);
    run.assert_code(0);
    assert!(run.findings().is_empty(), "{:#?}", run.findings());
}

/// A Kubernetes TLS Secret's `tls.key` is the private key it decodes to, with the extended
/// rules too: their rule for base64 values in a Secret found the encoding, the decoded view
/// what it holds.
#[test]
fn a_secrets_base64_value_is_reported_as_what_it_decodes_to() {
    let env = TestEnv::new();
    let key = b64(pem_private_key().as_bytes());
    env.write(
        "tls.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ingress-tls\n\
             type: kubernetes.io/tls\ndata:\n  tls.key: {key}\n"
        ),
    );
    for extended in [false, true] {
        let mut args = vec!["--show-secrets", "."];
        if extended {
            args.insert(0, "--extended-rules");
        }
        let f = env.scan_json(&args).findings();
        let found = only(&f, "tls.yaml");
        assert!(found["rule_id"].as_str().unwrap().starts_with("private_key."), "{found:#}");
        assert_eq!(found["encoding"], "base64", "{found:#}");
        assert_eq!(found["location"]["line"], 7, "{found:#}");
    }
}
