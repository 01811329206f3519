//! The keyword prefilter against the Aho-Corasick automaton: for arbitrary bytes, the window
//! filter (`keysentry::detect::simd::window_candidates`, then exact confirmation) reports
//! exactly the keyword hits the automaton over all the built-in rules' keywords reports.
#![no_main]

use std::sync::LazyLock;

use keysentry::detect::Detector;
use keysentry::rules::{Builtin, RuleSet};
use libfuzzer_sys::fuzz_target;

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    Detector::new(RuleSet::builtin_set(Builtin::All).expect("built-in rules compile"))
});

fuzz_target!(|data: &[u8]| {
    let d = &*DETECTOR;
    assert!(d.uses_window_prefilter());
    assert_eq!(d.keyword_hits(data, false), d.keyword_hits(data, true));
});
