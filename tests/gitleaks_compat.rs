//! keysentry with the gitleaks configuration of `fixtures/gitleaks-compat` (custom rules and
//! every allowlist form) over its tree. The expected findings are those the gitleaks binary
//! reports there (`scripts/bench --gitleaks-compat` compares the two; docs/gitleaks.md).

mod common;

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
