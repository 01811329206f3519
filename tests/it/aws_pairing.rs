//! The AWS step through the binary: key ids paired with their secrets (and session tokens) in
//! every format people keep them in, and look-alikes that must not be reported. Every key is
//! synthetic: a well-formed id built at run time for a chosen account, never issued by AWS.

use crate::common;

use serde_json::Value;

use common::TestEnv;
use common::aws::{key_id, secret, token};
use common::only_finding as only;

/// A realistic 12-digit account for test number `n` (ids of tiny accounts are mostly `A`s, with
/// too little entropy to pass for keys).
fn acct(n: u64) -> u64 {
    300_000_000_000 + n * 1_000_003
}

/// `scan --show-secrets --format json EXTRA… .` and its findings.
fn scan(env: &TestEnv, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--show-secrets"];
    args.extend_from_slice(extra);
    args.push(".");
    env.scan_json(&args).findings()
}

/// Asserts that `f` is the key `id` paired with `secret` by `by`.
#[track_caller]
fn assert_paired(f: &Value, id: &str, secret: &str, by: &str) {
    assert_eq!(f["aws"]["key_id"], id, "{f:#}");
    assert_eq!(f["aws"]["paired_secret"]["value"], secret, "{f:#}");
    assert_eq!(f["aws"]["paired_secret"]["by"], by, "{f:#}");
}

#[test]
fn credentials_file_profiles_pair_by_section() {
    let env = TestEnv::new();
    let (k1, s1, k2, s2) =
        (key_id("AKIA", acct(1), 1), secret(1), key_id("AKIA", acct(2), 2), secret(2));
    env.write(
        ".aws/credentials",
        format!(
            "[default]\naws_access_key_id = {k1}\nregion = eu-west-1\noutput = json\n\
             aws_secret_access_key = {s1}\n\n[prod]\naws_secret_access_key = {s2}\n\
             aws_access_key_id = {k2}\n"
        ),
    );
    let f = scan(&env, &[]);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_paired(&f[0], &k1, &s1, "section");
    assert_paired(&f[1], &k2, &s2, "section");
    assert_eq!(f[0]["aws"]["account_id"], acct(1).to_string());
}

#[test]
fn config_profile_with_session_token() {
    let env = TestEnv::new();
    let (k, s, t) = (key_id("ASIA", acct(3), 3), secret(3), token(3));
    env.write(
        ".aws/config",
        format!(
            "[profile ci]\nregion = us-east-1\naws_access_key_id={k}\naws_secret_access_key={s}\n\
             aws_session_token={t}\n[profile other]\nregion = eu-west-1\n"
        ),
    );
    let f = scan(&env, &[]);
    let f = only(&f, ".aws/config");
    assert_paired(f, &k, &s, "section");
    assert_eq!(f["aws"]["session_token"]["value"], t);
    assert_eq!(f["aws"]["prefix_class"], "ASIA");
}

#[test]
fn console_csv_pairs_by_row() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(4), 4), secret(4));
    env.write("alice_accessKeys.csv", format!("Access key ID,Secret access key\n{k},{s}\n"));
    // Look-alike: a CSV of commit hashes next to a key id is not a secret.
    let (k2, sha) = (key_id("AKIA", acct(5), 5), "3b18e512dba79e4c8300dd08aeb37f8e728b8dad");
    env.write("commits.csv", format!("key,commit\n{k2},{sha}\n"));
    let f = scan(&env, &[]);
    assert_paired(only(&f, "alice_accessKeys.csv"), &k, &s, "same_line");
    let lone = only(&f, "commits.csv");
    assert_eq!(lone["aws"]["key_id"], k2);
    assert!(lone["aws"]["paired_secret"].is_null(), "{lone:#}");
}

#[test]
fn iam_create_access_key_and_sts_assume_role_json() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(6), 6), secret(6));
    env.write(
        "create-access-key.json",
        format!(
            "{{\n    \"AccessKey\": {{\n        \"UserName\": \"bob\",\n        \"AccessKeyId\": \
             \"{k}\",\n        \"Status\": \"Active\",\n        \"SecretAccessKey\": \"{s}\",\n        \
             \"CreateDate\": \"2026-01-01T00:00:00+00:00\"\n    }}\n}}\n"
        ),
    );
    let (ka, sa, ta) = (key_id("ASIA", acct(7), 7), secret(7), token(7));
    env.write(
        "assume-role.json",
        format!(
            "{{\"Credentials\": {{\"AccessKeyId\": \"{ka}\", \"SecretAccessKey\": \"{sa}\", \
             \"SessionToken\": \"{ta}\", \"Expiration\": \"2026-01-01T01:00:00Z\"}}, \
             \"AssumedRoleUser\": {{\"AssumedRoleId\": \"{}:s\", \"Arn\": \
             \"arn:aws:sts::000000000007:assumed-role/r/s\"}}}}\n",
            key_id("AROA", acct(7), 8)
        ),
    );
    let f = scan(&env, &[]);
    assert_paired(only(&f, "create-access-key.json"), &k, &s, "object");
    let a = only(&f, "assume-role.json");
    assert_paired(a, &ka, &sa, "object");
    assert_eq!(a["aws"]["session_token"]["value"], ta);
}

#[test]
fn terraform_state_pairs_id_and_secret_attributes() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(8), 8), secret(8));
    let filler: String = (0..30).map(|i| format!("            \"tag_{i}\": \"v{i}\",\n")).collect();
    env.write(
        "terraform.tfstate",
        format!(
            "{{\n  \"resources\": [\n    {{\n      \"type\": \"aws_iam_access_key\",\n      \
             \"instances\": [\n        {{\n          \"attributes\": {{\n            \"id\": \
             \"{k}\",\n{filler}            \"secret\": \"{s}\",\n            \"user\": \"ci\"\n          \
             }}\n        }}\n      ]\n    }}\n  ]\n}}\n"
        ),
    );
    let f = scan(&env, &[]);
    assert_paired(only(&f, "terraform.tfstate"), &k, &s, "object");
}

#[test]
fn dotenv_and_shell_exports_pair_by_name_even_far_apart() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(9), 9), secret(9));
    let filler: String = (0..40).map(|i| format!("SETTING_{i}=value{i}\n")).collect();
    env.write(".env", format!("AWS_ACCESS_KEY_ID={k}\n{filler}AWS_SECRET_ACCESS_KEY={s}\n"));
    let (k2, s2) = (key_id("AKIA", acct(10), 10), secret(10));
    env.write(
        "deploy.sh",
        format!("#!/bin/sh\nexport AWS_ACCESS_KEY_ID=\"{k2}\"\nexport AWS_SECRET_ACCESS_KEY=\"{s2}\"\naws s3 ls\n"),
    );
    let f = scan(&env, &[]);
    assert_paired(only(&f, ".env"), &k, &s, "name");
    assert_paired(only(&f, "deploy.sh"), &k2, &s2, "name");
}

#[test]
fn yaml_and_json_objects_pair_fields_far_apart() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(11), 11), secret(11));
    let filler: String = (0..25).map(|i| format!("    option_{i}: {i}\n")).collect();
    env.write(
        "app.yaml",
        format!(
            "storage:\n  s3:\n    access_key: {k}\n{filler}    secret_key: {s}\nother:\n  x: 1\n"
        ),
    );
    let (k2, s2) = (key_id("AKIA", acct(12), 12), secret(12));
    let filler: String = (0..25).map(|i| format!("    \"opt{i}\": {i},\n")).collect();
    env.write("settings.json", format!("{{\n  \"aws\": {{\n    \"keyId\": \"{k2}\",\n{filler}    \"secretKey\": \"{s2}\"\n  }}\n}}\n"));
    let f = scan(&env, &[]);
    assert_paired(only(&f, "app.yaml"), &k, &s, "block");
    assert_paired(only(&f, "settings.json"), &k2, &s2, "object");
}

#[test]
fn separate_objects_do_not_pair_across() {
    let env = TestEnv::new();
    let (k1, s1, k2, s2) =
        (key_id("AKIA", acct(13), 13), secret(13), key_id("AKIA", acct(14), 14), secret(14));
    env.write(
        "two.json",
        format!(
            "[\n  {{\"secret\": \"{s1}\", \"name\": \"a\",\n   \"key\": \"{k1}\"}},\n  \
             {{\"key\": \"{k2}\",\n   \"secret\": \"{s2}\"}}\n]\n"
        ),
    );
    let f = scan(&env, &[]);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_paired(&f[0], &k1, &s1, "object");
    assert_paired(&f[1], &k2, &s2, "object");
}

#[test]
fn kubernetes_secret_base64_values_are_decoded() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(15), 15), secret(15));
    let b64 = |v: &str| common::aws::base64(v.as_bytes());
    env.write(
        "secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ntype: Opaque\ndata:\n  \
             AWS_ACCESS_KEY_ID: {}\n  region: ZXUtd2VzdC0x\n  AWS_SECRET_ACCESS_KEY: {}\n",
            b64(&k),
            b64(&s)
        ),
    );
    // Look-alike: base64 that starts like a key id but decodes to something else.
    env.write("other.yaml", format!("data:\n  value: {}\n", b64("AKIAhello-world-here")));
    let f = scan(&env, &[]);
    assert_eq!(f.len(), 1, "{f:#?}");
    let f = only(&f, "secret.yaml");
    assert_eq!(f["rule_id"], "aws.access_key_id_base64");
    assert_eq!(f["secret"], k);
    assert_paired(f, &k, &s, "block");
    assert_eq!(f["aws"]["paired_secret"]["encoding"], "base64");
}

#[test]
fn jupyter_notebook_json_escaped_strings() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(16), 16), secret(16).replacen('A', "/", 1));
    let escaped = s.replace('/', "\\/");
    env.write(
        "analysis.ipynb",
        format!(
            "{{\"cells\": [{{\"cell_type\": \"code\", \"source\": [\"import boto3\\n\", \
             \"s3 = boto3.client('s3', aws_access_key_id='{k}',\\n\", \"    \
             aws_secret_access_key='{escaped}')\"]}}], \"nbformat\": 4}}\n"
        ),
    );
    let f = scan(&env, &[]);
    let f = only(&f, "analysis.ipynb");
    assert_paired(f, &k, &s, "object");
    assert_eq!(f["aws"]["paired_secret"]["encoding"], "json_escaped");
}

#[test]
fn urls_with_percent_encoded_secrets_and_presigned_tokens() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(17), 17), format!("{}+/x", &secret(17)[..37]));
    let pct = s.replace('+', "%2B").replace('/', "%2F");
    env.write(
        "url.txt",
        format!(
            "GET https://h.example/sync?aws_access_key_id={k}&aws_secret_access_key={pct}&x=1\n"
        ),
    );
    let (ka, ta) = (key_id("ASIA", acct(18), 18), token(18));
    let tpct = ta.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    env.write(
        "presigned.txt",
        format!(
            "https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ka}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-Security-Token={tpct}&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        ),
    );
    let f = scan(&env, &[]);
    let u = only(&f, "url.txt");
    assert_paired(u, &k, &s, "same_line");
    assert_eq!(u["aws"]["paired_secret"]["encoding"], "percent");
    let p = only(&f, "presigned.txt");
    assert_eq!(p["aws"]["key_id"], ka);
    assert!(p["aws"]["paired_secret"].is_null(), "{p:#}");
    assert_eq!(p["aws"]["session_token"]["value"], ta);
}

#[test]
fn unnamed_secrets_pair_only_in_proximity() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(19), 19), secret(19));
    env.write("notes.txt", format!("key {k}\nand {s}\n"));
    let (k2, s2) = (key_id("AKIA", acct(20), 20), secret(20));
    let filler = "lorem ipsum\n".repeat(20);
    env.write("far.txt", format!("key {k2}\n{filler}{s2}\n"));
    // A lone 40-character string without AWS context is nothing.
    env.write("lone.txt", format!("value {}\n", secret(21)));
    let f = scan(&env, &[]);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_paired(only(&f, "notes.txt"), &k, &s, "proximity");
    assert!(only(&f, "far.txt")["aws"]["paired_secret"].is_null());
}

#[test]
fn a_secret_with_aws_context_alone_is_a_finding() {
    let env = TestEnv::new();
    let s = secret(22);
    env.write("a.env", format!("AWS_SECRET_ACCESS_KEY={s}\n"));
    env.write("b.env", format!("aws_secret={s}\n"));
    let f = scan(&env, &[]);
    for path in ["a.env", "b.env"] {
        let one = only(&f, path);
        assert_eq!(one["rule_id"], "aws.secret_access_key");
        assert!(one["aws"]["key_id"].is_null());
        assert_eq!(one["aws"]["account_id_reason"], "no key id");
    }
}

#[test]
fn look_alikes_are_not_reported() {
    let env = TestEnv::new();
    let role = key_id("AROA", acct(23), 23);
    let base = key_id("AKIA", acct(24), 24);
    let lines = [
        format!("\"RoleId\": \"{role}\""),
        "arn:aws:iam::123456789012:role/deploy".to_owned(),
        "account: 123456789012".to_owned(),
        "commit 3b18e512dba79e4c8300dd08aeb37f8e728b8dad".to_owned(),
        format!("\"integrity\": \"sha512-{}{}==\"", secret(25), secret(26)),
        format!("data:image/png;base64,iVBORw0KGgo{}{}", secret(27), secret(28)),
        "aws_access_key_id = AKIAXXXXXXXXXXXXXXXX".to_owned(),
        format!("id = {}", &base[..19]),
        format!("id = {base}Q"),
        format!("id = {}", base.to_ascii_lowercase()),
        format!("id = A3T{}", &base[3..]),
        "aws_secret_access_key = 3b18e512dba79e4c8300dd08aeb37f8e728b8dad".to_owned(),
    ];
    for (i, l) in lines.iter().enumerate() {
        env.write(&format!("n{i}.txt"), format!("{l}\n"));
    }
    let run = env.scan_json(&["."]);
    run.assert_code(0);
    assert!(run.findings().is_empty(), "{}", run.stdout);
}

#[test]
fn identifiers_are_informational_on_request() {
    let env = TestEnv::new();
    let role = key_id("AROA", acct(29), 29);
    env.write("caller.json", format!("{{\"UserId\": \"{role}:session\"}}\n"));
    env.scan_json(&["."]).assert_code(0);
    let run = env.scan_json(&["--include-identifiers", "."]);
    // Informational: reported, but the scan does not fail.
    run.assert_code(0);
    let f = run.findings();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["rule_id"], "aws.identifier");
    assert_eq!(f[0]["aws"]["prefix_class"], "AROA");
    assert_eq!(f[0]["aws"]["credential"], false);
    assert_eq!(f[0]["aws"]["account_id"], acct(29).to_string());
    assert_eq!(f[0]["aws"]["tags"], serde_json::json!(["identifier"]));
}

#[test]
fn documentation_examples_only_on_request() {
    let env = TestEnv::new();
    let example_id = ["AKIA", "IOSFODNN7", "EXAMPLE"].concat();
    let example_secret = ["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCY", "EXAMPLEKEY"].concat();
    env.write(
        ".env",
        format!("AWS_ACCESS_KEY_ID={example_id}\nAWS_SECRET_ACCESS_KEY={example_secret}\n"),
    );
    env.write(
        "other.env",
        format!("AWS_ACCESS_KEY_ID={}\n", ["ASIA", "QQRSTUVWX", "EXAMPLE"].concat()),
    );
    env.write("secret.env", format!("aws_secret_access_key = {example_secret}\n"));
    let run = env.scan_json(&["."]);
    run.assert_code(0);
    let f = scan(&env, &["--include-examples"]);
    assert_eq!(f.len(), 3, "{f:#?}");
    let pair = only(&f, ".env");
    assert_paired(pair, &example_id, &example_secret, "name");
    assert_eq!(pair["aws"]["account_id_reason"], "not encoded (old-format id)");
    for one in &f {
        assert_eq!(one["aws"]["tags"], serde_json::json!(["example"]), "{one:#}");
    }
}

#[test]
fn canaries_and_own_accounts_are_tagged() {
    let env = TestEnv::new();
    // 171436882533 is a Thinkst canarytokens account (data/aws-canaries.toml).
    let canary = key_id("AKIA", 171_436_882_533, 30);
    let ours = key_id("AKIA", 111_122_223_333, 31);
    let custom = key_id("AKIA", 555_566_667_777, 32);
    env.write("a.txt", format!("aws_access_key_id={canary}\n"));
    env.write("b.txt", format!("aws_access_key_id={ours}\n"));
    env.write("c.txt", format!("aws_access_key_id={custom}\n"));
    let canaries = env.write_outside(
        "canaries.toml",
        "[[canary]]\nowner = \"our tripwires\"\naccounts = [\"555566667777\"]\n",
    );
    let accounts = env.write_outside("accounts.txt", "# ours\n111122223333\n");
    let f = scan(
        &env,
        &[
            "--aws-accounts-file",
            accounts.to_str().unwrap(),
            "--aws-canaries",
            canaries.to_str().unwrap(),
        ],
    );
    let tags = |p: &str| only(&f, p)["aws"]["tags"].clone();
    assert_eq!(tags("a.txt"), serde_json::json!(["canary", "foreign"]));
    assert_eq!(only(&f, "a.txt")["aws"]["canary_owner"], "Thinkst canarytokens");
    assert_eq!(tags("b.txt"), serde_json::json!(["ours"]));
    assert_eq!(tags("c.txt"), serde_json::json!(["canary", "foreign"]));
    assert_eq!(only(&f, "c.txt")["aws"]["canary_owner"], "our tripwires");
    // --aws-account works as well, and without own accounts there is no ours / foreign.
    let f = scan(&env, &["--aws-account", "111122223333"]);
    assert_eq!(only(&f, "b.txt")["aws"]["tags"], serde_json::json!(["ours"]));
    let f = scan(&env, &[]);
    assert_eq!(only(&f, "b.txt")["aws"]["tags"], serde_json::json!([]));
    assert_eq!(only(&f, "a.txt")["aws"]["tags"], serde_json::json!(["canary"]));
    // Bad values are usage errors.
    env.run(&["scan", "--aws-account", "12345", "."]).assert_code(2);
    let bad = env.write_outside("bad.toml", "[[canary]]\nowner = \"x\"\naccounts = [\"1\"]\n");
    env.run(&["scan", "--aws-canaries", bad.to_str().unwrap(), "."]).assert_code(2);
}

#[test]
fn paired_secrets_are_redacted_everywhere_by_default() {
    let env = TestEnv::new();
    let (k, s) = (key_id("AKIA", acct(33), 33), secret(33));
    env.write("keys.csv", format!("Access key ID,Secret access key\n{k},{s}\n"));
    for format in ["human", "json", "jsonl"] {
        let run = env.run(&["scan", "--format", format, "."]);
        run.assert_code(1);
        assert!(!run.stdout.contains(&s), "{format}: {}", run.stdout);
        assert!(!run.stdout.contains(&k), "{format}: {}", run.stdout);
        assert!(run.stdout.contains(&s[..4]), "{format}: {}", run.stdout);
    }
    let human = env.run(&["scan", "."]);
    assert!(human.stdout.contains(&format!("account {}", acct(33))), "{}", human.stdout);
    assert!(human.stdout.contains("by same line"), "{}", human.stdout);
}

#[test]
fn aws_inspect_explains_ids_offline() {
    let env = TestEnv::new();
    let canary = key_id("AKIA", 171_436_882_533, 34);
    let role = key_id("AROA", 111_122_223_333, 35);
    let run = env.run(&[
        "aws",
        "inspect",
        "--aws-account",
        "111122223333",
        &canary,
        &role,
        "AKIAIOSFODNN7EXAMPLE",
    ]);
    run.assert_code(0);
    assert!(run.stdout.contains("account:    171436882533"), "{}", run.stdout);
    assert!(run.stdout.contains("canary (never use this key"), "{}", run.stdout);
    assert!(run.stdout.contains("AROA, IAM role id"), "{}", run.stdout);
    assert!(run.stdout.contains("ours"), "{}", run.stdout);
    assert!(run.stdout.contains("not encoded (old-format id)"), "{}", run.stdout);
    assert!(run.stdout.contains("example (AWS documentation)"), "{}", run.stdout);

    let run = env.run(&["aws", "inspect", "--format", "json", &canary, "akia"]);
    run.assert_code(2);
    let v: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v[0]["account_id"], "171436882533");
    assert_eq!(v[0]["generation"], "new");
    assert_eq!(v[0]["tags"], serde_json::json!(["canary"]));
    assert!(v[1]["malformed"].as_str().is_some());
}
