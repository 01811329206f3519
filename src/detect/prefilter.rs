//! The keyword prefilter: which keywords occur where, found case-insensitively in one pass
//! over the content whose cost does not grow with the number of keywords.
//!
//! Each keyword is looked for through one window of three of its bytes, the rarest in code.
//! The windows, case folded, are the bits of a hashed bitmap ([`simd::WindowSet`]), and one
//! SIMD pass ([`simd::window_candidates`]) gives the positions of the content whose window
//! hashes to a set bit: one hash and one bit per byte, for five keywords or five hundred. Each
//! candidate is then confirmed exactly: its window is looked up among the keywords' windows,
//! and the keywords holding it are compared in place. What is reported is what the
//! Aho-Corasick automaton over the keywords reports (tests and the `prefilter` fuzz target
//! hold it to that); the automaton itself runs on blocks dense in hits, where it costs less
//! per hit.
//!
//! What runs over every block of content is `#[inline]`, so that it inlines into
//! [`Detector::find`] (a release build splits modules into separate codegen units).

use super::{Detector, simd};

/// A keyword found at a position of the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Hit {
    /// Offset of the keyword's first byte.
    pub(super) pos: usize,
    /// Index into [`Detector::keywords`].
    pub(super) keyword: usize,
}

/// The window filter over the keywords: the hashed set of their windows, and for each folded
/// window the keywords holding it.
#[derive(Debug)]
pub(super) struct Windows {
    set: simd::WindowSet,
    /// (folded window, keyword, offset of the window in the keyword), sorted.
    owners: Vec<(u32, u32, u32)>,
    /// The most bytes a keyword holds after its window's first byte: how far past a block a
    /// keyword that starts in it may have its window.
    reach: usize,
}

/// How keyword hits are found.
#[derive(Debug)]
pub(super) enum Prefilter {
    /// The window filter and exact confirmation.
    Windows(Windows),
    /// The keyword automaton alone, over lowercased text: on blocks dense in hits, and for
    /// detectors without keywords.
    Automaton,
}

/// The window filter over `keywords` (lowercase, each at least three bytes), or `None` if
/// there are none.
pub(super) fn window_prefilter(keywords: &[String]) -> Option<Windows> {
    if keywords.is_empty() || keywords.iter().any(|k| k.len() < WINDOW) {
        return None;
    }
    let mut owners = Vec::with_capacity(keywords.len());
    let mut windows = Vec::with_capacity(keywords.len());
    let mut reach = 0;
    for (k, kw) in keywords.iter().enumerate() {
        let off = rarest_window(kw.as_bytes());
        let w = &kw.as_bytes()[off..off + WINDOW];
        let window = [w[0], w[1], w[2]];
        windows.push(window);
        owners.push((simd::fold_window(window), k as u32, off as u32));
        reach = reach.max(kw.len() - off);
    }
    owners.sort_unstable();
    Some(Windows { set: simd::WindowSet::new(windows), owners, reach })
}

/// The bytes of a window.
const WINDOW: usize = 3;

/// The most common 4-byte sequences of lowercased source code, with their frequency per
/// million windows (made by `scripts/gen-ngrams.py` from Rust, Python and JavaScript code):
/// fixed-width lines `GGGG NNNNNN`, sorted by the 4-gram, binary-searched as they are.
const COMMON_4GRAMS: &[u8] = include_bytes!("common-4grams.txt");
/// Bytes of a line of [`COMMON_4GRAMS`].
const GRAM_LINE: usize = 12;

/// How often a window of three bytes starts a common 4-gram of code, per million windows: the
/// sum of the frequencies of the common 4-grams it begins (0 if none).
fn code_frequency(window: &[u8]) -> u32 {
    let lines = COMMON_4GRAMS.len() / GRAM_LINE;
    let line = |i: usize| &COMMON_4GRAMS[i * GRAM_LINE..(i + 1) * GRAM_LINE];
    // The first line whose gram is not below `window` (a prefix sorts before its extensions).
    let (mut lo, mut hi) = (0, lines);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if &line(mid)[..window.len()] < window {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut sum = 0;
    for i in lo..lines {
        let l = line(i);
        if &l[..window.len()] != window {
            break;
        }
        sum += l[5..11].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    }
    sum
}

/// The offset of a keyword's rarest window of three bytes: the least frequent in code
/// ([`COMMON_4GRAMS`]: a window that starts none of its grams is rare), then the one of the
/// rarest distinct bytes. `accountkey=` is looked for through `ey=`, not `acc`, which every
/// `account` would hit.
fn rarest_window(keyword: &[u8]) -> usize {
    // Bytes of lowercased source code and prose, most common first; absent bytes are rarer.
    const COMMON: &[u8] =
        b" etaoinsrlcdu_.=:/-(),;\"'mphfgbywvk0123{}[]xjqz456789><*#+@$!%&?|\\`~^";
    let rarity = |b: &u8| COMMON.iter().position(|c| c == b).unwrap_or(COMMON.len());
    // Lower is better: how often the window occurs in code, then how common its distinct bytes
    // are (a byte repeated within the window adds nothing: runs are common).
    let cost = |w: &[u8]| -> (u32, std::cmp::Reverse<usize>) {
        let distinct: usize = w
            .iter()
            .enumerate()
            .filter(|(i, b)| !w[..*i].contains(b))
            .map(|(_, b)| rarity(b))
            .sum();
        (code_frequency(w), std::cmp::Reverse(distinct))
    };
    // `min_by_key` keeps the first of equals: the earliest of equally rare windows.
    (0..=keyword.len().saturating_sub(WINDOW))
        .min_by_key(|&i| cost(&keyword[i..(i + WINDOW).min(keyword.len())]))
        .unwrap_or(0)
}

#[inline]
pub(super) fn lowercase_into(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    // Written as a plain map so that it vectorizes.
    dst.extend(src.iter().map(u8::to_ascii_lowercase));
}

impl Detector {
    /// Every keyword hit in `content` as (position, keyword index), sorted, found block by
    /// block as [`Detector::find`] does, by the window filter or, with `automaton`, by the
    /// automaton alone: the two must agree on every input (tests and the `prefilter` fuzz
    /// target check it).
    #[doc(hidden)]
    pub fn keyword_hits(&self, content: &[u8], automaton: bool) -> Vec<(usize, usize)> {
        let (mut block, mut candidates, mut hits) = (Vec::new(), Vec::new(), Vec::new());
        let overlap = self.max_keyword_len.saturating_sub(1);
        let mut pos = 0;
        while pos < content.len() {
            let block_end = (pos + super::BLOCK).min(content.len());
            let ext_end = (block_end + overlap).min(content.len());
            if automaton || !matches!(self.prefilter, Prefilter::Windows(_)) {
                lowercase_into(&content[pos..ext_end], &mut block);
            }
            self.collect_hits(
                content,
                &block,
                pos,
                block_end,
                automaton,
                &mut candidates,
                &mut hits,
            );
            pos = block_end;
        }
        hits.iter().map(|h| (h.pos, h.keyword)).collect()
    }

    /// Appends to `hits`, sorted by position (after those it holds), the keywords that start in
    /// `content[pos..block_end]`: with the window filter, or with `automaton` (or where there
    /// is no window filter) with the automaton over `block`, which must hold
    /// `content[pos..]`, lowercased, as far as the longest keyword reaches past `block_end`.
    /// `candidates` is scratch space.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn collect_hits(
        &self,
        content: &[u8],
        block: &[u8],
        pos: usize,
        block_end: usize,
        automaton: bool,
        candidates: &mut Vec<u32>,
        hits: &mut Vec<Hit>,
    ) {
        match &self.prefilter {
            Prefilter::Windows(w) if !automaton => {
                let start = hits.len();
                // Windows past the block end belong to keywords that start in it.
                let end = (block_end + w.reach).min(content.len());
                candidates.clear();
                simd::window_candidates(&w.set, &content[pos..end], candidates);
                for &c in candidates.iter() {
                    let at = pos + c as usize;
                    let folded = simd::fold_window([content[at], content[at + 1], content[at + 2]]);
                    let first = w.owners.partition_point(|o| o.0 < folded);
                    for &(window, keyword, offset) in &w.owners[first..] {
                        if window != folded {
                            break;
                        }
                        let Some(kp) = at.checked_sub(offset as usize) else { continue };
                        if kp < pos || kp >= block_end {
                            // Found in the block it starts in.
                            continue;
                        }
                        let kw = self.keywords[keyword as usize].as_bytes();
                        if content
                            .get(kp..kp + kw.len())
                            .is_some_and(|c| c.eq_ignore_ascii_case(kw))
                        {
                            hits.push(Hit { pos: kp, keyword: keyword as usize });
                        }
                    }
                }
                // Keywords whose windows sit at different offsets come out of order.
                hits[start..].sort_unstable();
            }
            _ => {
                let start = hits.len();
                for m in self.automaton().find_overlapping_iter(block) {
                    if pos + m.start() < block_end {
                        hits.push(Hit { pos: pos + m.start(), keyword: m.pattern().as_usize() });
                    }
                }
                hits[start..].sort_unstable();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::BLOCK;
    use crate::detect::tests::{detector, rule};
    use crate::rules::{Builtin, RuleSet};

    #[test]
    fn each_keyword_is_looked_for_through_its_rarest_window() {
        let window = |kw: &str| {
            let off = rarest_window(kw.as_bytes());
            kw[off..off + WINDOW].to_owned()
        };
        // Runs of dashes, "acc" (account) and "pri" are common in code; the windows picked
        // are not.
        let picked: Vec<String> =
            ["-----begin", "sg.", "akia", "accountkey=", "private_key"].map(window).to_vec();
        assert_eq!(picked, ["-be", "sg.", "kia", "ey=", "e_k"]);
    }

    #[test]
    fn the_code_frequency_table_is_sorted_and_well_formed() {
        assert_eq!(COMMON_4GRAMS.len() % 12, 0);
        let grams: Vec<&[u8]> = COMMON_4GRAMS.chunks(12).map(|l| &l[..4]).collect();
        assert!(grams.windows(2).all(|w| w[0] < w[1]));
        assert!(COMMON_4GRAMS.chunks(12).all(|l| l[4] == b' ' && l[11] == b'\n'));
        assert!(code_frequency(b"sel") > 1000);
        assert!(code_frequency(b"---") > 100);
        assert!(code_frequency(b"the") > code_frequency(b"qzx"));
        assert_eq!(code_frequency(b"\x01\x02\x03"), 0);
    }

    #[test]
    fn builtin_rules_use_the_window_prefilter() {
        let d = Detector::new(RuleSet::builtin().unwrap());
        assert!(d.uses_window_prefilter());
    }

    #[test]
    fn keywords_are_case_insensitive_regex_is_not() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"TOK_[0-9]{4}")]);
        assert_eq!(d.find_all(b"x TOK_1234 y").len(), 1);
        assert_eq!(d.find_all(b"x tok_1234 y").len(), 0);
    }

    #[test]
    fn hits_across_block_boundaries_are_found() {
        let d = detector(vec![rule("t.tok", &["secretword"], r"secretword=([a-z]{5})")]);
        for shift in 0..12 {
            let mut text = vec![b'.'; BLOCK - shift];
            text.extend_from_slice(b"\nsecretword=abcde\n");
            text.extend(std::iter::repeat_n(b'-', 100));
            let m = d.find_all(&text);
            assert_eq!(m.len(), 1, "shift {shift}");
        }
    }

    /// The window filter's hits are the automaton's: on random bytes, on random text made of
    /// the keywords' own bytes with keywords dropped in (in every case, across block ends), on
    /// real text, and on every built-in rule's examples and negative examples.
    #[test]
    fn the_window_filter_reports_what_the_automaton_reports() {
        use crate::detect::decode::tests::bytes;
        let d = Detector::new(RuleSet::builtin_set(Builtin::All).unwrap());
        assert!(d.uses_window_prefilter());
        let agree = |text: &[u8], what: &str| {
            let (w, a) = (d.keyword_hits(text, false), d.keyword_hits(text, true));
            assert!(w == a, "{what}: window filter {} hits, automaton {}", w.len(), a.len());
            w.len()
        };
        let all: Vec<u8> = (0..=255).collect();
        agree(&bytes(11, 3 * BLOCK + 5, &all), "random bytes");
        // Text of the keywords' bytes, with keywords in random case at random places.
        let mut alphabet: Vec<u8> = d.keywords().iter().flat_map(|k| k.bytes()).collect();
        alphabet.extend(b"ABCXYZ \n");
        let mut text = bytes(12, 4 * BLOCK, &alphabet);
        let picks = bytes(13, 4000, &all);
        for (i, p) in picks.chunks(4).enumerate() {
            let kw = &d.keywords()[usize::from(p[0]) * d.keywords().len() / 256];
            let at =
                (usize::from(u16::from_le_bytes([p[1], p[2]])) * 4 + i) % (text.len() - kw.len());
            for (j, b) in kw.bytes().enumerate() {
                text[at + j] = if (p[3] >> (j % 8)) & 1 == 1 { b.to_ascii_uppercase() } else { b };
            }
        }
        assert!(agree(&text, "keyword text") > 1000);
        // Each keyword across a block end, cut at each of its bytes in turn (two rounds), so
        // that windows sit just before, across and just after the ends.
        for round in 0..2 {
            let kws = d.keywords();
            let mut ends = vec![b'.'; (kws.len() + 1) * BLOCK];
            for (i, kw) in kws.iter().enumerate() {
                let cut = 1 + (i * 7 + round * 3) % kw.len();
                let at = (i + 1) * BLOCK - cut;
                ends[at..at + kw.len()].copy_from_slice(kw.as_bytes());
            }
            // Some keywords hold others (`secret` in `aws_secret`): at least one hit each.
            assert!(agree(&ends, "block ends") >= kws.len());
        }
        assert!(agree(&text, "keyword text") > 1000);
        // Real text: this crate's own sources and documentation.
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut real = Vec::new();
        for dir in ["src/detect", "src/rules", "docs", "rules", "rules/extended"] {
            let mut files: Vec<_> =
                std::fs::read_dir(here.join(dir)).unwrap().flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files.into_iter().filter(|f| f.is_file()) {
                real.extend(std::fs::read(f).unwrap());
            }
        }
        assert!(agree(&real, "real text") > 1000);
        // Every rule's examples, each alone and all together.
        let mut examples = Vec::new();
        for r in d.rules() {
            for e in r.examples.iter().chain(&r.negative_examples) {
                agree(e.as_bytes(), &r.id);
                examples.extend(e.bytes());
                examples.push(b'\n');
            }
        }
        assert!(agree(&examples, "examples") > d.rules().len());
    }

    /// The automaton prefilter must find exactly what the window filter finds.
    #[test]
    fn both_prefilters_agree() {
        for which in [Builtin::Core, Builtin::All] {
            prefilters_agree(which);
        }
    }

    fn prefilters_agree(which: Builtin) {
        let simd = Detector::new(RuleSet::builtin_set(which).unwrap());
        assert!(simd.uses_window_prefilter());
        let mut plain = Detector::new(RuleSet::builtin_set(which).unwrap());
        plain.prefilter = Prefilter::Automaton;
        let mut texts: Vec<String> = Vec::new();
        for r in simd.rules() {
            texts.extend(r.examples.iter().cloned());
            texts.extend(r.negative_examples.iter().cloned());
        }
        let all = texts.join("\n");
        // Shifted copies put keywords across block boundaries.
        let long = format!("{}{all}{}{all}", ".".repeat(BLOCK - 7), "-".repeat(BLOCK / 3));
        texts.push(all);
        texts.push(long);
        for t in &texts {
            assert_eq!(simd.find_all(t.as_bytes()), plain.find_all(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn context_literals_find_lines_where_keywords_are_looked_up() {
        let toml = "[[rules]]\nid = 'acme.token'\ndescription = 'd'\nkeywords = ['acme']\n\
                    context = ['token', 'key']\nregex = '(?i)acme[a-z_]*=([a-z0-9]{8})'\n\
                    secret_group = 1\n";
        let d = detector(crate::rules::syntax::parse(toml).unwrap().rules);
        // The prefilter looks for the context literals, not for the keyword.
        assert_eq!(d.keywords(), ["token", "key"]);
        let found = |text: &str| d.find_all(text.as_bytes()).len();
        assert_eq!(found("ACME_TOKEN=ab12cd34"), 1);
        assert_eq!(found("x = 1\nacme_api_key=ab12cd34\n"), 1);
        // A context literal without the keyword, and the keyword without a context literal.
        assert_eq!(found("TOKEN=ab12cd34"), 0);
        assert_eq!(found("ACME_ID=ab12cd34"), 0);
    }
}
