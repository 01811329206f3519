//! The AWS key decoder and the pairing parsers on arbitrary content:
//!
//! - the key id decoder (`aws::anatomy`, `aws::inspect`) on every line and every 20-byte
//!   window of the first line: well-formed ids decode, malformed ones say why; and the round
//!   trip of `anatomy::synthesize` (an id built from the input's bytes decodes to its account);
//! - the candidate finders (`aws::candidates`: secrets, session tokens, the base64 decoder);
//! - the structure finder (`aws::structure`: JSON-like objects, INI sections, indented blocks)
//!   at positions across the content;
//! - the whole AWS step (`AwsEnricher`: key ids, their base64 and URL-encoded forms, pairing
//!   with secrets and tokens by INI section, CSV row, JSON object, env line, name or
//!   proximity) over the detector's matches, whose findings stay in bounds and sorted.
#![no_main]

use std::sync::LazyLock;

use keysentry::aws::anatomy::{self, ALL_CLASSES, AccountDecode, AccountId};
use keysentry::aws::structure::Structure;
use keysentry::aws::{AwsEnricher, AwsOptions, candidates, inspect};
use keysentry::detect::Scratch;
use keysentry::finding::Origin;
use keysentry_fuzz::detector;
use libfuzzer_sys::fuzz_target;

static OPTIONS: LazyLock<AwsOptions> = LazyLock::new(AwsOptions::with_builtin_canaries);
static ENRICHER: LazyLock<AwsEnricher> =
    LazyLock::new(|| AwsEnricher::new(detector(), AwsOptions::with_builtin_canaries()));

fn decode(id: &str) {
    let well_formed = anatomy::is_well_formed(id);
    assert_eq!(well_formed, anatomy::malformation(id).is_none(), "{id:?}");
    if !well_formed {
        assert_eq!(anatomy::decode_account(id), AccountDecode::Malformed, "{id:?}");
    }
    let _ = inspect(id, &OPTIONS);
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(64) {
        decode(line);
        decode(line.trim());
    }
    let first = text.lines().next().unwrap_or("");
    for (i, _) in first.char_indices().take(256) {
        if let Some(window) = first.get(i..i + 20) {
            decode(window);
        }
    }
    if data.len() >= 14 {
        let class = ALL_CLASSES[usize::from(data[0]) % ALL_CLASSES.len()];
        let mut n = [0u8; 8];
        n[..5].copy_from_slice(&data[1..6]);
        let account =
            AccountId::new(u64::from_le_bytes(n) % (AccountId::MAX + 1)).expect("in range");
        let key = u64::from_le_bytes(data[6..14].try_into().expect("eight bytes"));
        let id = anatomy::synthesize(class, account, key);
        assert!(anatomy::is_well_formed(&id), "{id:?}");
        assert_eq!(anatomy::decode_account(&id), AccountDecode::Decoded(account), "{id:?}");
    }

    let _ = candidates::base64_decode(data);
    for c in candidates::secrets(data)
        .iter()
        .chain(&candidates::tokens(data, &data.to_ascii_lowercase()))
    {
        assert!(c.start <= c.end && c.end <= data.len());
    }
    let structure = Structure::new(data);
    let step = (data.len() / 64).max(1);
    for pos in (0..=data.len()).step_by(step) {
        let _ = structure.line_of(pos);
        if let Some(unit) = structure.unit(data, pos) {
            assert!(unit.start <= pos, "{unit:?} starts after {pos}");
        }
    }

    let d = detector();
    let mut matches = Vec::new();
    let _ = d.find(data, &mut Scratch::new(), &mut matches);
    let findings = ENRICHER.findings(d, data, &Origin::Stdin, None, &mut matches);
    for w in matches.windows(2) {
        assert!(w[0] <= w[1], "matches not left sorted");
    }
    for f in &findings {
        let l = &f.location;
        assert!(l.byte_start < l.byte_end && l.byte_end <= data.len(), "{l:?}");
        let (s, e) = f.line_secret_range;
        assert!(s <= e && f.line_text.get(s..e).is_some());
    }
});
