//! Quiet on real code: all the built-in rules (core and extended, a default scan), run over real, secret-free source trees, report
//! almost nothing.
//!
//! The corpus is the published source of the crates named in `tests/real-code/Cargo.toml`, at
//! the exact versions there; `scripts/test` copies them with `cargo vendor` into a directory
//! this test owns (`target/real-code/vendor`, named by KEYSENTRY_TEST_REAL_CODE), so every
//! machine scans the same files and nothing third-party is committed. Without it the test is
//! skipped (see `tools`). Every finding allowed here is listed and explained in `docs/rules.md`
//! ("Quiet on real code").

use crate::common;
use crate::tools;

use std::path::{Path, PathBuf};

use common::TestEnv;
use serde_json::Value;

/// The manifest that names the corpus.
const CORPUS_MANIFEST: &str = "tests/real-code/Cargo.toml";

/// The variable `scripts/test` sets to the vendored corpus.
const CORPUS_VAR: &str = "KEYSENTRY_TEST_REAL_CODE";

/// At most this many findings over the whole corpus.
const BUDGET: usize = 2;

/// The findings allowed, as (rule id, crate, path inside the crate): each is explained in
/// `docs/rules.md`.
const KNOWN: &[(&str, &str, &str)] = &[
    // A test fixture: an unencrypted RSA key that git2's credential tests write to disk.
    ("private_key.pem", "git2", "src/cred.rs"),
];

/// The corpus's crates as (name, directory): each dependency of [`CORPUS_MANIFEST`] at the
/// version its lock file pins, in the vendor directory; `None` when the corpus is not there.
fn corpus() -> Option<Vec<(String, PathBuf)>> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vendor = std::env::var_os(CORPUS_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("target/real-code/vendor"));
    let read = |rel: &str| -> toml::Table {
        let text = std::fs::read_to_string(here.join(rel)).expect("read the corpus manifest");
        toml::from_str(&text).expect("parse the corpus manifest")
    };
    let manifest = read(CORPUS_MANIFEST);
    let lock = read("tests/real-code/Cargo.lock");
    let packages = lock["package"].as_array().expect("packages in the corpus lock");
    let mut roots = Vec::new();
    for (name, dep) in manifest["dependencies"].as_table().expect("dependencies") {
        let wanted = dep["version"].as_str().expect("a version").trim_start_matches('=');
        // The lock's version may carry build metadata (`0.18.8+1.9.7`), and so does the
        // directory `cargo vendor --versioned-dirs` makes.
        let version = packages
            .iter()
            .filter(|p| p["name"].as_str() == Some(name))
            .filter_map(|p| p["version"].as_str())
            .find(|v| *v == wanted || v.strip_prefix(wanted).is_some_and(|m| m.starts_with('+')))
            .unwrap_or_else(|| panic!("{name} {wanted} is not in the corpus lock file"));
        let root = vendor.join(format!("{name}-{version}"));
        if !root.is_dir() {
            return tools::missing(&format!(
                "the real-code corpus ({} is not a directory; {CORPUS_VAR})",
                root.display()
            ));
        }
        roots.push((name.clone(), root));
    }
    assert!(!roots.is_empty(), "no crates in {CORPUS_MANIFEST}");
    Some(roots)
}

#[test]
fn the_sources_of_dependencies_yield_at_most_the_known_findings() {
    let Some(roots) = corpus() else { return };

    let env = TestEnv::without_git();
    let mut args = vec!["scan", "--no-ignore", "--quiet", "--format", "jsonl"];
    let paths: Vec<String> = roots.iter().map(|(_, p)| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let run = env.run(&args);
    assert!(run.code == 0 || run.code == 1, "scan failed: {}", run.stderr);

    let mut findings = Vec::new();
    for line in run.stdout.lines().filter(|l| !l.trim().is_empty()) {
        let f: Value = serde_json::from_str(line).expect("a JSON line");
        let rule = f["rule_id"].as_str().unwrap_or_default().to_owned();
        let path = PathBuf::from(f["origin"]["path"].as_str().unwrap_or_default());
        let (krate, inner) = roots
            .iter()
            .find_map(|(name, root)| {
                let inner = path.strip_prefix(root).ok()?;
                Some((name.clone(), inner.display().to_string()))
            })
            .unwrap_or_default();
        findings.push((rule, krate, inner, f["location"]["line"].clone()));
    }
    let listing = findings
        .iter()
        .map(|(r, k, p, l)| format!("  {r} in {k}: {p}:{l}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(findings.len() <= BUDGET, "{} findings, budget {BUDGET}:\n{listing}", findings.len());
    for (rule, krate, path, _) in &findings {
        assert!(
            KNOWN.iter().any(|(r, k, p)| r == rule && k == krate && p == path),
            "a finding not listed in docs/rules.md:\n{listing}"
        );
    }
}
