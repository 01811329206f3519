//! The rule-file parser (`rules::syntax::parse`, TOML into `RuleSyntax`), the rule compiler
//! (`RuleSet::compile`: ids, regexes, secret groups, keywords, checksums) and the linter of
//! `keysentry rules check` (every example through the detector of the file's rules) on
//! arbitrary text. Errors are fine; a panic is not, and a rule set that compiles builds a
//! detector that runs over the file itself with sorted, in-bounds matches.
#![no_main]

use keysentry::detect::{Detector, check};
use keysentry::rules::{RuleSet, syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = syntax::parse_files(&[("fuzz.toml", text)]);
    let Ok(file) = syntax::parse(text) else { return };
    let Ok(set) = RuleSet::compile(file.rules) else { return };
    let report = check::check_set(set.clone());
    assert_eq!(report.rules, set.len());
    let detector = Detector::new(set);
    let matches = detector.find_all(data);
    for w in matches.windows(2) {
        assert!(w[0] < w[1]);
    }
    for m in &matches {
        assert!(m.start < m.end && m.end <= data.len() && m.rule < detector.rules().len());
    }
});
