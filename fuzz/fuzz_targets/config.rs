//! keysentry's configuration parser (`.keysentry.toml`: `[extend]`, `[[rules]]`,
//! `[[allowlists]]` with their globs and regexes, `[aws]`) on arbitrary text, with the
//! built-in rules kept or not as the file says. Errors are fine; a panic is not. What loads
//! compiles or is rejected with errors (the rules the file defines), and the checks that warn
//! about dangerous shapes run over it.
#![no_main]

use keysentry::rules::{Builtin, RuleSet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(settings) = keysentry::fuzzing::keysentry_config(text, Builtin::Core) else { return };
    // The file's own rules (the built-in ones compile: the built-in rules test says so).
    let builtin = keysentry::config::builtin_rules(Builtin::All).unwrap_or_default();
    let own: Vec<_> = settings
        .rules
        .iter()
        .filter(|r| !builtin.iter().any(|b| b.id == r.id && b.regex == r.regex))
        .cloned()
        .collect();
    if own.len() <= 8 {
        let _ = RuleSet::compile(own);
    }
    let _ = keysentry::config::check::dangerous_shapes(&settings);
    for a in &settings.allowlists {
        let _ = keysentry::config::check::allowlist_dangers(a);
        let _ = a.paths.iter().any(|p| p.matches("src/main.rs"));
    }
});
