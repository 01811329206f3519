//! The ignore-file parsers (`filter::ignored`: `.keysentryignore` path patterns, old-form
//! `fingerprint:` lines and their warning, `.keysentry-ignored-fingerprints`) and the check
//! that warns about lines excluding every path, on arbitrary text. Errors are fine; a panic is
//! not. Every fingerprint read is 32 lowercase hex digits, warnings stay bounded (ten lines
//! and a count), and the path patterns build a gitignore matcher as the git sources build it.
#![no_main]

use keysentry::config::check::ignore_list_dangers;
use keysentry::filter::ignored;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (fingerprints, warnings) = ignored::parse_fingerprints("fuzz", &text);
    for f in &fingerprints {
        assert!(ignored::is_fingerprint(f), "not a fingerprint: {f:?}");
        assert_eq!(*f, f.to_ascii_lowercase());
    }
    assert!(warnings.len() <= 11, "{} warnings", warnings.len());
    let _ = ignored::ignored_fingerprints(&text);
    let _ = ignored::old_form_warning("fuzz", &text);
    let _ = ignore_list_dangers("fuzz", &text);
    let mut builder = ignore::gitignore::GitignoreBuilder::new("");
    for line in ignored::path_patterns(&text) {
        let _ = builder.add_line(None, line);
    }
    if let Ok(g) = builder.build() {
        for path in ["a", "src/main.rs", ".env", "deep/dir/x.txt"] {
            let _ = g.matched_path_or_any_parents(path, false);
        }
    }
});
