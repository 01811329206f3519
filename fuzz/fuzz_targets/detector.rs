//! The detector of the built-in rules on arbitrary bytes. Besides not panicking:
//!
//! - matches are sorted, in bounds, non-empty, each once, with a rule index in range;
//! - a scratch space reused across contents gives what a fresh one gives;
//! - **prefix invariance**: a first line (up to and including its `\n`) that holds no keyword
//!   changes nothing after it: the matches of the rest, searched alone, are the matches of the
//!   whole, shifted by the line's length. By design the detector only searches around keyword
//!   hits, from the start of the hit's line (windows are bounded on long lines but measured
//!   from the hit, and multi-line rules reach forward only), and no built-in rule is anchored
//!   at the content's start;
//! - the findings made of the matches have locations that agree with them, and secret ranges
//!   in their line text that fall on character boundaries (reports slice there).
#![no_main]

use keysentry::detect::{Coverage, Match, Scratch};
use keysentry::finding::Origin;
use keysentry_fuzz::{detector, first_line};
use libfuzzer_sys::fuzz_target;

fn check(matches: &[Match], len: usize, rules: usize) {
    for m in matches {
        assert!(m.start < m.end && m.end <= len, "{m:?} out of bounds (len {len})");
        assert!(m.rule < rules, "{m:?}: no such rule");
    }
    for w in matches.windows(2) {
        assert!(w[0] < w[1], "not sorted or repeated: {:?} then {:?}", w[0], w[1]);
    }
}

fn holds_keyword(text: &[u8], keywords: &[String]) -> bool {
    let lower = text.to_ascii_lowercase();
    keywords.iter().any(|k| memchr::memmem::find(&lower, k.as_bytes()).is_some())
}

fuzz_target!(|data: &[u8]| {
    let d = detector();
    let mut scratch = Scratch::new();
    let mut whole = Vec::new();
    // Inputs are far smaller than the regex work allowed on top of the passes per byte: a
    // cut would mean the work is not bounded as designed.
    let coverage = d.find(data, &mut scratch, &mut whole);
    assert_eq!(coverage, Coverage::Complete, "the regex work cap cut a small input");
    check(&whole, data.len(), d.rules().len());

    // The same scratch, after other content, and a fresh one: the same matches.
    let (head, tail) = data.split_at(data.len() / 2);
    let mut other = Vec::new();
    let _ = d.find(tail, &mut scratch, &mut other);
    let _ = d.find(head, &mut scratch, &mut other);
    let mut again = Vec::new();
    let _ = d.find(data, &mut scratch, &mut again);
    assert_eq!(whole, again, "a reused scratch changed the matches");
    assert_eq!(whole, d.find_all(data), "a fresh scratch changed the matches");

    if let Some((line, rest)) = first_line(data)
        && !holds_keyword(line, d.keywords())
    {
        let shifted: Vec<Match> = d
            .find_all(rest)
            .into_iter()
            .map(|m| Match { start: m.start + line.len(), end: m.end + line.len(), rule: m.rule })
            .collect();
        assert_eq!(whole, shifted, "a keyword-free first line changed the matches after it");
    }

    let findings = d.findings(data, &Origin::Stdin, &whole);
    assert_eq!(findings.len(), whole.len());
    for (f, m) in findings.iter().zip(&whole) {
        let l = &f.location;
        assert_eq!((l.byte_start, l.byte_end), (m.start, m.end));
        assert!(l.line >= 1 && l.end_line >= l.line && l.column >= 1, "{l:?}");
        let (s, e) = f.line_secret_range;
        assert!(s <= e && f.line_text.get(s..e).is_some(), "secret range {s}..{e} in line text");
        for &(s, e) in &f.line_other_secrets {
            assert!(s <= e && f.line_text.get(s..e).is_some(), "other range {s}..{e}");
        }
    }
});
