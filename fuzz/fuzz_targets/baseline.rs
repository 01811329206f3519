//! The baseline parsers (`filter::baseline`: keysentry's baseline, gitleaks reports,
//! `.gitleaksignore`, detect-secrets baselines) on arbitrary text, and a look-up of a finding
//! made of the same text in what they read. Errors are fine; a panic is not. Round trip: the
//! baseline keysentry writes for that finding reads back, and holds it.
#![no_main]

use keysentry::filter::baseline::{Baseline, write_baseline};
use keysentry_fuzz::{arbitrary_finding, fields};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (head, _) = fields(data, 2);
    let path = head.first().copied().unwrap_or(b"a.txt");
    let line = String::from_utf8_lossy(head.get(1).copied().unwrap_or(data));
    let n = data.len();
    let finding =
        arbitrary_finding(path, &line, (n / 3, n / 2), data.first().copied().unwrap_or(0));
    for name in [".keysentry-baseline.json", ".gitleaksignore", "gitleaks-report.json"] {
        if let Ok(b) = Baseline::parse(name, text) {
            let _ = b.contains(&finding);
            let _ = b.contains_in(&finding, Some(std::path::Path::new("/repo")));
        }
    }
    let written = write_baseline(std::slice::from_ref(&finding), None);
    let read = Baseline::parse(".keysentry-baseline.json", &written).expect("our baseline reads");
    assert!(read.contains(&finding), "a written baseline does not hold its finding");
});
