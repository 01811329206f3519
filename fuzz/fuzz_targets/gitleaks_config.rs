//! The gitleaks-configuration parser (`.gitleaks.toml`: `[extend]`, `[[rules]]` with their
//! allowlists, the global `[allowlist]`/`[[allowlists]]`, unknown keys as warnings) and its
//! Go-to-Rust regex translation on arbitrary text. The file sits alone in an empty directory
//! and is read as one found in a scanned tree: an `[extend] path` can reach nothing outside
//! it. Errors are fine; a panic is not.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use keysentry::config::file::Within;
use keysentry::config::gitleaks;
use keysentry::rules::{Builtin, Pattern};
use libfuzzer_sys::fuzz_target;

static DIR: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("a temporary directory"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = gitleaks::looks_like_gitleaks(text);
    // The translation of a Go regex: any text in, and what comes out compiles or is an error.
    let _ = Pattern::new(&gitleaks::translate_regex(text));
    let path: PathBuf = DIR.path().join(".gitleaks.toml");
    let Ok(settings) = gitleaks::load_within(&path, text, Builtin::Core, Within::Tree(DIR.path()))
    else {
        return;
    };
    let _ = keysentry::config::check::dangerous_shapes(&settings);
});
