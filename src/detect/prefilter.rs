//! The keyword prefilter: which keywords occur where, found case-insensitively in one pass
//! over the content by Teddy (SIMD) searchers over a rare window of each keyword, or by one
//! Aho-Corasick automaton where SIMD is not available.
//!
//! What runs over every block of content is `#[inline]`, so that it inlines into
//! [`Detector::find`] as it did when this was one module (a release build splits modules into
//! separate codegen units).

use aho_corasick::packed;

use super::Detector;

/// A keyword found at a position of the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Hit {
    /// Offset of the keyword's first byte.
    pub(super) pos: usize,
    /// Index into [`Detector::keywords`].
    pub(super) keyword: usize,
}

/// A Teddy searcher and, for each of its literals, the keywords holding it: (keyword, offset
/// of the literal in the keyword).
#[derive(Debug)]
pub(super) struct LiteralSearcher {
    teddy: packed::Searcher,
    keywords: Vec<Vec<(usize, usize)>>,
}

/// How keyword hits are found in lowercased text.
#[derive(Debug)]
pub(super) enum Prefilter {
    /// Teddy (SIMD) searchers: one over the four-byte literals, one over shorter ones (mixing
    /// lengths in one searcher would make every literal use the shorter, weaker fingerprint).
    /// A literal hit is confirmed by comparing the whole keyword in place.
    Packed(Vec<LiteralSearcher>),
    /// The keyword automaton alone, where Teddy is not available (no SIMD on this CPU).
    Automaton,
}

/// Up to this many literals, one Teddy searcher takes them all.
const ONE_TEDDY_LITERALS: usize = 64;

/// Past [`ONE_TEDDY_LITERALS`], the most literals one Teddy searcher gets: each searcher is
/// one more pass over the text, and too many literals saturate its 16 buckets' fingerprints.
/// Measured with all the built-in rules (195 at the time) over the bench's generated code, on
/// [`spread`] text: 16 per searcher 1.13 GiB/s, 24: 1.53, 32: 1.60, 48: 2.0, 64: 1.55, 96: 0.96
/// (on lowercase text, before [`spread`], 16 was best at 1.0 GiB/s).
const MAX_TEDDY_LITERALS: usize = 48;

/// Builds the Teddy searchers over the keywords' prefilter literals, or `None` where Teddy is
/// not available.
pub(super) fn packed_prefilter(keywords: &[String]) -> Option<Vec<LiteralSearcher>> {
    let (long, short): (Vec<_>, Vec<_>) =
        prefilter_literals(keywords).into_iter().partition(|l| l.len() >= 4);
    // Teddy's fingerprints saturate as literals grow in number (and it takes at most 128):
    // past `ONE_TEDDY_LITERALS`, several small searchers, run one after the other, beat one
    // big searcher.
    let groups = |lits: Vec<Vec<u8>>| -> Vec<Vec<Vec<u8>>> {
        if lits.len() <= ONE_TEDDY_LITERALS {
            return vec![lits];
        }
        let n = lits.len().div_ceil(MAX_TEDDY_LITERALS);
        let size = lits.len().div_ceil(n).max(1);
        lits.chunks(size).map(<[Vec<u8>]>::to_vec).collect()
    };
    groups(long)
        .into_iter()
        .chain(groups(short))
        .filter(|lits| !lits.is_empty())
        .map(|lits| {
            // Every keyword is found through the first literal it contains.
            let mut owners = vec![Vec::new(); lits.len()];
            for (k, kw) in keywords.iter().enumerate() {
                let kw = kw.as_bytes();
                let found = lits.iter().enumerate().find_map(|(li, l)| {
                    kw.windows(l.len()).position(|w| w == l.as_slice()).map(|off| (li, off))
                });
                if let Some((li, off)) = found {
                    owners[li].push((k, off));
                }
            }
            // Teddy's own heuristics give up past 64 literals; it still beats the automaton
            // there, so lift the limit rather than fall back.
            let teddy = packed::Config::new()
                .heuristic_pattern_limits(lits.len() <= 64)
                .builder()
                .extend(lits.iter().map(|l| l.iter().copied().map(spread).collect::<Vec<u8>>()))
                .build()?;
            Some(LiteralSearcher { teddy, keywords: owners })
        })
        .collect()
}

/// The most common 4-byte sequences of lowercased source code, with their frequency per
/// million windows (made by `scripts/gen-ngrams.py` from Rust, Python and JavaScript code):
/// fixed-width lines `GGGG NNNNNN`, sorted by the 4-gram, binary-searched as they are.
const COMMON_4GRAMS: &[u8] = include_bytes!("common-4grams.txt");

/// How often a 4-byte window occurs in code, per million windows; 0 if it is not among the
/// common ones.
fn code_frequency(window: &[u8]) -> u32 {
    const LINE: usize = 12;
    let lines = COMMON_4GRAMS.len() / LINE;
    let line = |i: usize| &COMMON_4GRAMS[i * LINE..(i + 1) * LINE];
    let (mut lo, mut hi) = (0, lines);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match line(mid)[..4].cmp(window) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => {
                return line(mid)[5..11].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
            }
        }
    }
    0
}

/// The literals the SIMD prefilter looks for: for each keyword, its rarest window of four bytes
/// (or the whole keyword if shorter). Teddy fingerprints only the first bytes of each literal
/// anyway, and literals of equal length keep it on its fastest path. How rare a window is comes
/// from [`COMMON_4GRAMS`] (a window absent from it is rare), then from how rare its bytes are:
/// `accountkey=` is searched as `untk`, not as `acco`, which every `account` would hit.
/// Duplicates, and literals that contain a shorter literal, are dropped: the shorter one finds
/// them.
fn prefilter_literals(keywords: &[String]) -> Vec<Vec<u8>> {
    const WINDOW: usize = 4;
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
    let mut literals: Vec<Vec<u8>> = Vec::new();
    for k in keywords {
        let b = k.as_bytes();
        let lit = if b.len() <= WINDOW {
            b
        } else {
            // `min_by_key` keeps the first of equals: the earliest of equally rare windows.
            b.windows(WINDOW).min_by_key(|w| cost(w)).unwrap_or(b)
        };
        if !literals.iter().any(|l| l == lit) {
            literals.push(lit.to_vec());
        }
    }
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let all = literals.clone();
    literals.retain(|l| !all.iter().any(|o| o.len() < l.len() && contains(l, o)));
    literals
}

/// Lowercases a byte, then mixes its low nibble into its high one (a bijection). Teddy
/// fingerprints each byte by its two nibbles separately, and lowercase letters all have a high
/// nibble of 6 or 7: on text it learns little from it. Mixed, letters spread over all 16 high
/// nibbles, and with many literals Teddy's fingerprints reject far more positions.
#[inline]
fn spread(b: u8) -> u8 {
    let l = b.to_ascii_lowercase();
    l ^ (l << 4)
}

/// [`spread`] over `src`, into `dst`: what the Teddy searchers look at.
#[inline]
pub(super) fn spread_into(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.extend(src.iter().copied().map(spread));
}

#[inline]
pub(super) fn lowercase_into(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    // Written as a plain map so that it vectorizes.
    dst.extend(src.iter().map(u8::to_ascii_lowercase));
}

impl Detector {
    /// Appends to `hits`, sorted by position, the keywords whose literal starts in the first
    /// `limit` bytes of `block` (the content from offset `pos`, spread for Teddy, lowercased for
    /// the automaton: with `automaton`, or where Teddy is not available).
    #[inline]
    pub(super) fn collect_hits(
        &self,
        content: &[u8],
        block: &[u8],
        pos: usize,
        limit: usize,
        automaton: bool,
        hits: &mut Vec<Hit>,
    ) {
        let prefilter = if automaton { &Prefilter::Automaton } else { &self.prefilter };
        match prefilter {
            Prefilter::Packed(searchers) => {
                for s in searchers {
                    let mut at = 0;
                    while let Some(m) =
                        s.teddy.find_in(block, aho_corasick::Span::from(at..block.len()))
                    {
                        if m.start() >= limit {
                            break;
                        }
                        let lit = pos + m.start();
                        for &(keyword, offset) in &s.keywords[m.pattern().as_usize()] {
                            let Some(kp) = lit.checked_sub(offset) else { continue };
                            let kw = self.keywords[keyword].as_bytes();
                            if content
                                .get(kp..kp + kw.len())
                                .is_some_and(|c| c.eq_ignore_ascii_case(kw))
                            {
                                hits.push(Hit { pos: kp, keyword });
                            }
                        }
                        // Literals may overlap ("aws_" inside "aws_aws_"): step one byte.
                        at = m.start() + 1;
                    }
                }
                if searchers.len() > 1 {
                    // A keyword holding literals of both searchers is found by each.
                    hits.sort_unstable();
                    hits.dedup();
                }
            }
            Prefilter::Automaton => {
                for m in self.automaton.find_overlapping_iter(block) {
                    if m.start() < limit {
                        hits.push(Hit { pos: pos + m.start(), keyword: m.pattern().as_usize() });
                    }
                }
                hits.sort_unstable();
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
    fn prefilter_literals_are_short_rare_and_deduplicated() {
        let kws: Vec<String> =
            ["-----begin", "sg.", "msg.send", "akia", "accountkey=", "private_key"]
                .map(String::from)
                .to_vec();
        let lits = prefilter_literals(&kws);
        let lits: Vec<&str> = lits.iter().map(|l| std::str::from_utf8(l).unwrap()).collect();
        // "msg.send" holds "sg.": dropped. Runs of dashes, "acco" (account) and "priv" are
        // common in code; "-beg", "untk" and "te_k" are not.
        assert_eq!(lits, ["-beg", "sg.", "akia", "untk", "te_k"]);
    }

    #[test]
    fn the_code_frequency_table_is_sorted_and_well_formed() {
        assert_eq!(COMMON_4GRAMS.len() % 12, 0);
        let grams: Vec<&[u8]> = COMMON_4GRAMS.chunks(12).map(|l| &l[..4]).collect();
        assert!(grams.windows(2).all(|w| w[0] < w[1]));
        assert!(COMMON_4GRAMS.chunks(12).all(|l| l[4] == b' ' && l[11] == b'\n'));
        assert!(code_frequency(b"self") > 1000);
        assert!(code_frequency(b"----") > 100);
        assert_eq!(code_frequency(b"untk"), 0);
    }

    #[test]
    fn builtin_rules_use_the_simd_prefilter_on_x86_64() {
        let d = Detector::new(RuleSet::builtin().unwrap());
        if cfg!(target_arch = "x86_64") && std::is_x86_feature_detected!("ssse3") {
            assert!(d.uses_simd_prefilter());
        }
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

    /// The automaton prefilter (CPUs without SIMD) must find exactly what Teddy finds.
    #[test]
    fn both_prefilters_agree() {
        // The core rules: one Teddy searcher per literal length; all of them: several.
        for which in [Builtin::Core, Builtin::All] {
            prefilters_agree(which);
        }
    }

    fn prefilters_agree(which: Builtin) {
        let simd = Detector::new(RuleSet::builtin_set(which).unwrap());
        if let Prefilter::Packed(searchers) = &simd.prefilter {
            assert!(which == Builtin::Core || searchers.len() > 2, "{}", searchers.len());
        }
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
