//! Quiet on real code: all the built-in rules (core and extended), run over real, secret-free source trees, report
//! almost nothing.
//!
//! The corpus is the source of crates this project depends on, read at test time from the local
//! cargo registry cache (building the project puts them there; nothing third-party is committed).
//! Versions come from `Cargo.lock`, so every machine scans the same files. Every finding allowed
//! here is listed and explained in `docs/rules.md` ("Quiet on real code").

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::TestEnv;
use serde_json::Value;

/// The crates scanned: Rust (parsers, regex engines, CLI, serialisation, hashing, concurrency,
/// time zones) and C (libgit2, vendored in libgit2-sys).
const CRATES: &[&str] = &[
    "aho-corasick",
    "anyhow",
    "bstr",
    "clap_builder",
    "clap_derive",
    "console",
    "criterion",
    "crossbeam-channel",
    "crossbeam-deque",
    "csv",
    "git2",
    "globset",
    "ignore",
    "indicatif",
    "insta",
    "jiff",
    "libc",
    "libgit2-sys",
    "memchr",
    "proc-macro2",
    "rayon-core",
    "regex",
    "regex-automata",
    "regex-syntax",
    "serde",
    "serde_core",
    "serde_derive",
    "serde_json",
    "sha1",
    "sha2",
    "syn",
    "tempfile",
    "thiserror",
    "toml",
    "toml_parser",
];

/// At most this many findings over the whole corpus.
const BUDGET: usize = 2;

/// The findings allowed, as (rule id, crate, path inside the crate): each is explained in
/// `docs/rules.md`.
const KNOWN: &[(&str, &str, &str)] = &[
    // A test fixture: an unencrypted RSA key that git2's credential tests write to disk.
    ("private_key.pem", "git2", "src/cred.rs"),
];

/// `$CARGO_HOME/registry/src/*/`, where cargo unpacks the crates it downloads.
fn registry_sources() -> Vec<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("neither CARGO_HOME nor HOME is set: cannot find the cargo registry cache");
    let src = cargo_home.join("registry").join("src");
    let dirs: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap_or_else(|e| {
            panic!(
                "the cargo registry cache {} is missing ({e}): this test scans the sources of \
                 the project's dependencies there; build the project first (cargo build)",
                src.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    assert!(!dirs.is_empty(), "no registry under {}", src.display());
    dirs
}

/// Crate name → version, for the registry packages of `Cargo.lock`.
fn locked_versions() -> BTreeMap<String, String> {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .expect("read Cargo.lock");
    let lock: toml::Table = toml::from_str(&lock).expect("parse Cargo.lock");
    let mut versions = BTreeMap::new();
    for pkg in lock["package"].as_array().expect("packages") {
        let field = |k: &str| pkg.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        if field("source").starts_with("registry+") {
            versions.insert(field("name"), field("version"));
        }
    }
    versions
}

#[test]
fn the_sources_of_dependencies_yield_at_most_the_known_findings() {
    let registries = registry_sources();
    let versions = locked_versions();
    let mut roots: Vec<(&str, PathBuf)> = Vec::new();
    for name in CRATES {
        let version = versions
            .get(*name)
            .unwrap_or_else(|| panic!("{name} is not in Cargo.lock: update the corpus list"));
        let dir = format!("{name}-{version}");
        let root =
            registries.iter().map(|r| r.join(&dir)).find(|p| p.is_dir()).unwrap_or_else(|| {
                panic!("{dir} is not in the cargo registry cache ({registries:?}): build first")
            });
        roots.push((name, root));
    }

    let env = TestEnv::without_git();
    let mut args = vec!["scan", "--extended-rules", "--no-ignore", "--quiet", "--format", "jsonl"];
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
                Some(((*name).to_owned(), inner.display().to_string()))
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
