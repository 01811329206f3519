//! keysentry with the gitleaks configuration of `fixtures/gitleaks-compat` (custom rules and
//! every allowlist form) over its tree. The expected findings are those the gitleaks binary
//! reports there (`scripts/bench --gitleaks-compat` compares the two; docs/gitleaks.md).

use crate::common;

use std::path::Path;

use common::TestEnv;

#[test]
fn the_gitleaks_fixture_gives_gitleaks_findings() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/gitleaks-compat");
    let env = TestEnv::without_git();
    let out = env
        .command()
        .current_dir(fixture.join("tree"))
        .args(["scan", ".", "--show-secrets", "--format", "json", "--config"])
        .arg(fixture.join("gitleaks.toml"))
        .output()
        .expect("run keysentry");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("warning"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let got: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}:{}",
                f["origin"]["path"].as_str().unwrap_or(""),
                f["location"]["line"],
                f["rule_id"].as_str().unwrap_or(""),
                f["secret"].as_str().unwrap_or("")
            )
        })
        .collect();
    // Values assembled so that this file holds none whole.
    let v = |parts: &[&str]| parts.concat();
    assert_eq!(
        got,
        [
            format!("config/app.yml:2:widget-token:{}", v(&["Qm7Tz2Lx9Kc4", "Vb8Np3Rw6Hy1"])),
            format!("config/db.properties:2:internal-password:{}", v(&["Xq7!vB2$", "kL9mPz4w"])),
            format!("docs/guide.md:2:widget-token:{}", v(&["Hq2Wn8Zr5Tk3", "Lm9Xv4Bc7Yd1"])),
            format!("src/settings.py:1:acme-key:{}", v(&["7f3k9x2m", "4q8w1z6b"])),
            format!("test/fixtures.py:2:acme-key:{}", v(&["4q8w1z6b", "7f3k9x2m"])),
        ]
    );
}

/// Random letters and digits from a seed (a synthetic token body).
fn random_chars(n: usize, seed: u64) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            CHARS[(x % CHARS.len() as u64) as usize] as char
        })
        .collect()
}

/// A finding as `(path, line, rule, secret)`.
type Found = (String, u64, String, String);

/// `keysentry scan --config CONFIG --format json -q --show-secrets .` in `env`: the exit code,
/// each finding, and stderr.
fn scan_with(env: &TestEnv, config: &Path) -> (i32, Vec<Found>, String) {
    let out = env
        .command()
        .args(["-q", "scan", ".", "--show-secrets", "--format", "json", "--config"])
        .arg(config)
        .output()
        .expect("run keysentry");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let found = doc["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["origin"]["path"].as_str().unwrap_or("").to_owned(),
                        f["location"]["line"].as_u64().unwrap_or(0),
                        f["rule_id"].as_str().unwrap_or("").to_owned(),
                        f["secret"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (out.status.code().unwrap_or(-1), found, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// gitleaks' own shapes, written here: RE2 `{{` in a rule allowlist, one capture group per
/// alternative without `secretGroup` (gitleaks takes the first that matched), a large
/// case-insensitive `\w` regex, and a file not named `*gitleaks*`.
#[test]
fn issue_12_gitleaks_shapes_load_and_run() {
    let env = TestEnv::without_git();
    let config = env.write_outside(
        "shapes.toml",
        r#"title = "shapes"

[[rules]]
id = "curl-user"
regex = '''\bcurl\b(?:.*)[ \t](?:-u|--user)[ \t]{0,5}('([^:']{3,}:[^']{3,})'|([\w$@.-]+:[\w${}@.-]+))(?:\s|\z)'''
keywords = ["curl"]
[[rules.allowlists]]
regexes = ['''\$?{{[^}]+}}:\$?{{[^}]+}}''']

[[rules]]
id = "header-token"
regex = '''(?i)(?:Authorization:[ \t]{0,5}(?:Basic[ \t]([a-z0-9+/]{8,}={0,3})|Bearer[ \t]([\w=~@.+/-]{8,})))'''
keywords = ["authorization"]

[[rules]]
id = "big-generic"
regex = '''(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|key|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)'''
entropy = 3.5
keywords = ["zzgenericzz"]

[[rules]]
id = "p12-file"
description = "A PKCS #12 file"
path = '''(?i)(?:^|/)[^/]+\.p(?:12|fx)$'''
"#,
    );
    let user = format!("admin:{}", random_chars(14, 1));
    let bearer = random_chars(24, 2);
    env.write(
        "run.sh",
        format!(
            "curl -u {user} https://example.test/\ncurl -u {{{{user}}}}:{{{{pass}}}} https://example.test/\n\
             curl -H \"Authorization: Bearer {bearer}\" https://example.test/\n"
        ),
    );
    // A path-only rule reports the file by name, binary as it is.
    env.write("certs/client.p12", [0x30u8, 0x82, 0x00, 0x01, 0x00, 0xff]);
    let (code, found, stderr) = scan_with(&env, &config);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("not used") && !stderr.contains("size limit"), "{stderr}");
    let got: Vec<_> = found.iter().map(|(p, l, r, s)| format!("{p}:{l}:{r}:{s}")).collect();
    assert_eq!(
        got,
        [
            "certs/client.p12:1:p12-file:".to_owned(),
            format!("run.sh:1:curl-user:{user}"),
            format!("run.sh:3:header-token:{bearer}")
        ]
    );
}

/// gitleaks' current default configuration, read from a local clone of the gitleaks
/// repository when there is one (`KEYSENTRY_TEST_GITLEAKS_REPO`, default the mirror path of
/// the development machine): every rule loads (the path-only one too), under a
/// file name without `gitleaks` in it, and the largest rules find their tokens.
#[test]
fn issue_12_gitleaks_default_config_loads_whole() {
    let repo = std::env::var_os("KEYSENTRY_TEST_GITLEAKS_REPO")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/work/.mirror/gitleaks+gitleaks/repo".into());
    let env = TestEnv::without_git();
    // The harness's git: none of this process's GIT_* variables (a hook's GIT_DIR would win).
    let Ok(out) = env
        .git_command_in(env.outside())
        .arg("-C")
        .arg(&repo)
        .args(["show", "HEAD:config/gitleaks.toml"])
        .output()
    else {
        eprintln!("skipped: git not available");
        return;
    };
    if !out.status.success() {
        eprintln!("skipped: no gitleaks repository at {}", repo.display());
        return;
    }
    let config = env.write_outside("default.toml", &out.stdout);
    let generic = random_chars(32, 3);
    let pypi = ["pypi-", "AgEIcHlwaS5vcmc", &random_chars(60, 4)].concat();
    let vault = ["hvb.", &random_chars(150, 5)].concat();
    let curl = format!("admin:{}", random_chars(14, 6));
    env.write("keystore.pfx", [0x30u8, 0x82, 0x00]);
    env.write(
        "cases.txt",
        format!(
            "api_key = \"{generic}\"\nPYPI = {pypi}\nVAULT = {vault}\ncurl -u {curl} https://example.test/\n"
        ),
    );
    let (code, found, stderr) = scan_with(&env, &config);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let rules: Vec<&str> = found.iter().map(|f| f.2.as_str()).collect();
    for rule in [
        "generic-api-key",
        "pypi-upload-token",
        "vault-batch-token",
        "curl-auth-user",
        "pkcs12-file",
    ] {
        assert!(rules.contains(&rule), "{rule} not found: {found:?}\n{stderr}");
    }
}
