//! The detector: keyword prefilter, then only the candidate rules' regexes, on the line around
//! each keyword hit.
//!
//! Content is lowercased 64 KiB at a time into a scratch buffer, which makes the keyword search
//! case-insensitive (and, for Teddy, each byte's nibbles mixed: see `spread`). A SIMD
//! multi-literal searcher (Teddy, from the `aho-corasick` crate) looks for a four-byte window of
//! every keyword at once (a second one for keywords shorter than that; with many keywords,
//! several), and each literal hit is confirmed by comparing the whole keyword where it stands.
//! Where SIMD is not available, one Aho-Corasick automaton over all keywords does the same job.
//! Confirmed hits are grouped by line; each line's candidate rules, and only those, run their
//! regex once over the line (bounded to [`LINE_WINDOW`] on each side on very long lines) or,
//! for multi-line rules, over a [`MULTILINE_WINDOW`] from it. Lines, columns and blob ids are
//! computed for findings alone.

pub mod check;
mod entropy;
mod location;
mod prefilter;
mod region;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Input, meta};

pub use entropy::shannon;
pub use region::{LINE_WINDOW, MULTILINE_WINDOW};

use crate::finding::{Finding, Origin};
use crate::rules::{Anchor, Rule, RuleSet};
use prefilter::{Hit, Prefilter, lowercase_into, packed_prefilter, spread_into};
use region::{Candidates, Region, Text, cut};

/// Bytes lowercased and searched at a time.
const BLOCK: usize = 64 * 1024;

/// A secret found by one rule, as byte ranges into the scanned content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Match {
    /// Start of the secret.
    pub start: usize,
    /// End of the secret (exclusive).
    pub end: usize,
    /// Index of the rule in [`Detector::rules`].
    pub rule: usize,
}

/// Reusable buffers for [`Detector::find`]. Keep one per thread: after the first use, a chunk
/// without keyword hits costs no allocation.
#[derive(Debug, Default)]
pub struct Scratch {
    block: Vec<u8>,
    hits: Vec<Hit>,
    candidates: Candidates,
    regex: RegexScratch,
}

/// Search caches of the rules' regexes, made on a rule's first use. They belong to one
/// detector: used with another, they are dropped and made again.
#[derive(Debug, Default)]
struct RegexScratch {
    owner: u64,
    caches: Vec<Option<meta::Cache>>,
    slots: Vec<Option<NonMaxUsize>>,
}

impl Scratch {
    /// Empty scratch space; buffers grow on first use.
    pub fn new() -> Scratch {
        Scratch::default()
    }
}

/// Finds secrets in bytes. Pure and `Sync`: it holds compiled rules and nothing else.
#[derive(Debug)]
pub struct Detector {
    rules: Vec<Rule>,
    /// Distinct lowercase keywords.
    keywords: Vec<String>,
    /// For each keyword, the rules that list it.
    keyword_rules: Vec<Vec<usize>>,
    /// For each keyword, whether it is a context literal of some rule: its lines are then
    /// searched for [`Detector::lookup`]'s keywords.
    triggers: Vec<bool>,
    /// The keywords of rules with context literals, looked for (case-insensitively) only on
    /// the lines holding a context literal, and their rules.
    lookup: Option<AhoCorasick>,
    lookup_rules: Vec<Vec<usize>>,
    /// Overlapping automaton over the lowercase keywords, the prefilter where Teddy is not
    /// available.
    automaton: AhoCorasick,
    prefilter: Prefilter,
    max_keyword_len: usize,
    /// Content-anchored rules without keywords: they run over every content.
    always: Vec<usize>,
    /// Tells this detector's regex caches in a [`Scratch`] from another detector's.
    id: u64,
}

impl Detector {
    /// Builds a detector for a rule set.
    pub fn new(rules: RuleSet) -> Detector {
        let rules = rules.rules().to_vec();
        // (keyword, rule) into a keyword list and its owners; `None` adds the keyword alone.
        fn add(kws: &mut Vec<String>, owners: &mut Vec<Vec<usize>>, kw: &str, ri: Option<usize>) {
            let ki = kws.iter().position(|k| k == kw).unwrap_or_else(|| {
                kws.push(kw.to_owned());
                owners.push(Vec::new());
                kws.len() - 1
            });
            if let Some(ri) = ri.filter(|ri| !owners[ki].contains(ri)) {
                owners[ki].push(ri);
            }
        }
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut lookup_keywords: Vec<String> = Vec::new();
        let mut lookup_rules: Vec<Vec<usize>> = Vec::new();
        let mut context: Vec<&str> = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            if rule.context.is_empty() {
                for kw in &rule.keywords {
                    add(&mut keywords, &mut keyword_rules, kw, Some(ri));
                }
            } else {
                for c in &rule.context {
                    add(&mut keywords, &mut keyword_rules, c, None);
                    context.push(c);
                }
                for kw in &rule.keywords {
                    add(&mut lookup_keywords, &mut lookup_rules, kw, Some(ri));
                }
            }
        }
        let triggers = keywords.iter().map(|k| context.contains(&k.as_str())).collect();
        let lookup = (!lookup_keywords.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .build(&lookup_keywords)
                .expect("keyword automaton fits in memory")
        });
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&keywords)
            .expect("keyword automaton fits in memory");
        let prefilter = packed_prefilter(&keywords).map_or(Prefilter::Automaton, Prefilter::Packed);
        let max_keyword_len = keywords.iter().map(String::len).max().unwrap_or(0);
        // A random id: no global counter needed, and a collision is astronomically unlikely.
        let id = std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), rules.len());
        let always = (0..rules.len())
            .filter(|&r| rules[r].anchor == Anchor::Content && rules[r].keywords.is_empty())
            .collect();
        Detector {
            rules,
            keywords,
            keyword_rules,
            triggers,
            lookup,
            lookup_rules,
            automaton,
            prefilter,
            max_keyword_len,
            always,
            id,
        }
    }

    /// The rules, indexed by [`Match::rule`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The distinct lowercase keywords of all rules.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Whether keyword candidates are found with the SIMD searcher (x86-64 with SSSE3 or
    /// AVX2, aarch64 with NEON) or the automaton alone.
    pub fn uses_simd_prefilter(&self) -> bool {
        matches!(self.prefilter, Prefilter::Packed(_))
    }

    /// Appends to `out` every secret in `content`, sorted by position, each once per rule and
    /// range. A generic rule's secret is dropped when a specific rule found an overlapping one.
    pub fn find(&self, content: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) {
        let first = out.len();
        if self.keywords.is_empty() && self.always.is_empty() {
            return;
        }
        let Scratch { block, hits, candidates, regex } = scratch;
        candidates.rules.clear();
        candidates.anchors.clear();
        candidates.lookup = false;
        candidates.content.clear();
        candidates.content.extend_from_slice(&self.always);
        let overlap = self.max_keyword_len.saturating_sub(1);
        let mut region: Option<Region> = None;
        let mut pos = 0;
        while pos < content.len() {
            let block_end = (pos + BLOCK).min(content.len());
            let ext_end = (block_end + overlap).min(content.len());
            match self.prefilter {
                Prefilter::Packed(_) => spread_into(&content[pos..ext_end], block),
                Prefilter::Automaton => lowercase_into(&content[pos..ext_end], block),
            }
            hits.clear();
            self.collect_hits(content, block, pos, block_end - pos, hits);
            for hit in hits.iter() {
                match region {
                    Some(r) if r.covers(hit.pos) => {}
                    _ => {
                        if let Some(r) = region.take() {
                            self.run_rules(content, r, candidates, regex, out);
                        }
                        region = Some(Region::around(content, hit.pos));
                    }
                }
                let floor = region.map_or(0, |r| r.start);
                let owners = &self.keyword_rules[hit.keyword];
                candidates.add(&self.rules, owners, content, hit.pos, floor);
                candidates.lookup |= self.triggers[hit.keyword];
            }
            pos = block_end;
        }
        if let Some(r) = region {
            self.run_rules(content, r, candidates, regex, out);
        }
        if !candidates.content.is_empty() {
            self.prepare_caches(regex);
            let whole = Text { start: 0, end: content.len(), cut_start: false, cut_end: false };
            for &ri in &candidates.content {
                self.search(content, ri, whole, None, regex, out);
            }
        }
        finish(&self.rules, &mut out[first..]);
        // Drop the emptied and the repeated matches of this chunk, in place.
        let mut kept = first;
        for i in first..out.len() {
            let m = out[i];
            if m.end > m.start && (kept == first || out[kept - 1] != m) {
                out[kept] = m;
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    /// Convenience wrapper around [`Detector::find`] with fresh scratch space.
    pub fn find_all(&self, content: &[u8]) -> Vec<Match> {
        let mut out = Vec::new();
        self.find(content, &mut Scratch::new(), &mut out);
        out
    }

    /// Scans `content` and returns its findings: [`Detector::find`] then
    /// [`Detector::findings`].
    pub fn scan(&self, content: &[u8], origin: &Origin, scratch: &mut Scratch) -> Vec<Finding> {
        let mut matches = Vec::new();
        self.find(content, scratch, &mut matches);
        self.findings(content, origin, &matches)
    }

    /// Runs the candidate rules over a region, then forgets them: `rules` over the whole
    /// region, `anchors` (rule, offset) anchored at their offsets. Matches touching a cut edge
    /// may be truncated: they are left to the region of a later hit.
    fn run_rules(
        &self,
        content: &[u8],
        region: Region,
        candidates: &mut Candidates,
        scratch: &mut RegexScratch,
        out: &mut Vec<Match>,
    ) {
        self.prepare_caches(scratch);
        if std::mem::take(&mut candidates.lookup)
            && let Some(lookup) = &self.lookup
        {
            // A context literal is on this line: the keywords of the rules that need one.
            for m in lookup.find_overlapping_iter(&content[region.start..region.end]) {
                let owners = &self.lookup_rules[m.pattern().as_usize()];
                let pos = region.start + m.start();
                candidates.add(&self.rules, owners, content, pos, region.start);
            }
        }
        for &ri in &candidates.rules {
            let rule = &self.rules[ri];
            let end = if rule.multiline {
                (region.start + MULTILINE_WINDOW).min(content.len())
            } else {
                region.end
            };
            let cut_end = if rule.multiline { cut(content, end) } else { region.cut_end };
            let text = Text { start: region.start, end, cut_start: region.cut_start, cut_end };
            self.search(content, ri, text, None, scratch, out);
        }
        for &(ri, at) in &candidates.anchors {
            let text = Text {
                start: region.start,
                end: region.end,
                cut_start: region.cut_start,
                cut_end: region.cut_end,
            };
            self.search(content, ri, text, Some(at), scratch, out);
        }
        candidates.rules.clear();
        candidates.anchors.clear();
    }

    /// Makes `scratch` hold one (lazily made) search cache per rule of this detector.
    fn prepare_caches(&self, scratch: &mut RegexScratch) {
        if scratch.owner != self.id || scratch.caches.len() != self.rules.len() {
            scratch.owner = self.id;
            scratch.caches.clear();
            scratch.caches.resize_with(self.rules.len(), || None);
        }
    }

    /// Runs rule `ri` over `text`: every match, or, with `anchor`, only a match starting at
    /// that offset of the content.
    fn search(
        &self,
        content: &[u8],
        ri: usize,
        text: Text,
        anchor: Option<usize>,
        scratch: &mut RegexScratch,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[ri];
        let hay = &content[text.start..text.end];
        let regex = rule.regex.get();
        let cache = scratch.caches[ri].get_or_insert_with(|| regex.create_cache());
        let slots = &mut scratch.slots;
        slots.clear();
        let groups = if rule.first_group { regex.captures_len() } else { rule.secret_group + 1 };
        slots.resize(2 * groups, None);
        let mut input = Input::new(hay);
        if let Some(at) = anchor {
            input = input.range(at - text.start..).anchored(regex_automata::Anchored::Yes);
        }
        while regex.search_slots_with(cache, &input, slots).is_some() {
            let (Some(ws), Some(we)) = (slots[0], slots[1]) else { break };
            let whole = ws.get()..we.get();
            // Resume after the match (one byte further for an empty match).
            input.set_start(if whole.is_empty() { whole.end + 1 } else { whole.end });
            let g = if rule.first_group {
                // gitleaks' choice: the first group that matched something, else the match.
                (1..groups)
                    .find(|&g| matches!((slots[2 * g], slots[2 * g + 1]), (Some(s), Some(e)) if e > s))
                    .unwrap_or(0)
            } else {
                rule.secret_group
            };
            let group = (slots[2 * g], slots[2 * g + 1]);
            let (Some(gs), Some(ge)) = group else { continue };
            let (gs, ge) = (gs.get(), ge.get());
            if (text.cut_start && whole.start == 0) || (text.cut_end && whole.end == hay.len()) {
                continue;
            }
            let secret = &hay[gs..ge];
            if secret.is_empty()
                || rule.entropy.is_some_and(|min| shannon(secret) < min)
                || rule.checksum.is_some_and(|c| !c.verify(secret))
                || rule.allows(secret, &hay[whole])
            {
                continue;
            }
            out.push(Match { start: text.start + gs, end: text.start + ge, rule: ri });
            if anchor.is_some() || input.start() > hay.len() {
                break;
            }
        }
    }
}

/// Sorts the matches found in one chunk and marks generic matches that overlap specific ones
/// for removal (by emptying their range).
fn finish(rules: &[Rule], matches: &mut [Match]) {
    matches.sort_unstable();
    let specific: Vec<(usize, usize)> =
        matches.iter().filter(|m| !rules[m.rule].generic).map(|m| (m.start, m.end)).collect();
    if specific.len() == matches.len() {
        return;
    }
    for m in matches.iter_mut().filter(|m| rules[m.rule].generic) {
        if specific.iter().any(|&(s, e)| s < m.end && m.start < e) {
            m.end = m.start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSet, RuleSyntax};

    pub(super) fn rule(id: &str, keywords: &[&str], regex: &str) -> RuleSyntax {
        let toml = format!(
            "[[rules]]\nid = '{id}'\ndescription = 'd'\nkeywords = {keywords:?}\nregex = '''{regex}'''\n"
        );
        crate::rules::syntax::parse(&toml).unwrap().rules.remove(0)
    }

    pub(super) fn detector(rules: Vec<RuleSyntax>) -> Detector {
        Detector::new(RuleSet::compile(rules).unwrap())
    }

    /// Anchoring the generic rule at keyword words must find what searching whole lines finds.
    #[test]
    fn word_anchoring_finds_what_line_search_finds() {
        let set = RuleSet::builtin().unwrap();
        let anchored = Detector::new(set.clone());
        let lines: Vec<_> = set
            .rules()
            .iter()
            .cloned()
            .map(|mut r| {
                r.anchor = crate::rules::Anchor::Line;
                r
            })
            .collect();
        let plain = Detector::new(RuleSet::compile_rules(lines));
        assert!(anchored.rules().iter().any(|r| r.anchor == crate::rules::Anchor::Word));
        let mut texts: Vec<String> = Vec::new();
        for r in set.rules() {
            texts.extend(r.examples.iter().cloned());
            texts.extend(r.negative_examples.iter().cloned());
        }
        texts.push(
            "db.password = \"q8Wv2mZr4Tn6xY\"; x.token=abc, other_secret: 'Zt9vQ2xLw7Rk5p'".into(),
        );
        texts.push(format!("{}token = \"Zt9vQ2xLw7Rk5p1\"", "a".repeat(100)));
        for t in &texts {
            assert_eq!(anchored.find_all(t.as_bytes()), plain.find_all(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn one_scratch_serves_several_detectors() {
        let a = detector(vec![rule("t.a", &["tok_"], r"tok_([0-9]{4})")]);
        let b = detector(vec![rule("t.b", &["tok_"], r"tok_([a-z]{4})")]);
        let mut scratch = Scratch::new();
        let mut out = Vec::new();
        a.find(b"tok_1234 tok_abcd", &mut scratch, &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        // The regex caches of `a` must not be used for `b`'s regex.
        b.find(b"tok_1234 tok_abcd", &mut scratch, &mut out);
        assert_eq!((out.len(), out[0].start), (1, 9));
    }

    #[test]
    fn many_hits_on_many_lines() {
        let d = detector(vec![rule("t.tok", &["key_"], r"key_([0-9]{3})")]);
        let mut text = String::new();
        for i in 0..50_000 {
            text.push_str(&format!("line {i} key_{:03}\n", i % 1000));
        }
        assert_eq!(d.find_all(text.as_bytes()).len(), 50_000);
    }

    #[test]
    fn generic_gives_way_to_specific() {
        let mut g = rule("t.generic", &["token"], r"token=([a-z0-9_]+)");
        g.generic = true;
        let s = rule("t.specific", &["tk_"], r"tk_[a-z0-9]+");
        let d = detector(vec![g, s]);
        let m = d.find_all(b"token=tk_abc123");
        assert_eq!(m.len(), 1);
        assert_eq!(d.rules()[m[0].rule].id, "t.specific");
        let m = d.find_all(b"token=plainvalue");
        assert_eq!(d.rules()[m[0].rule].id, "t.generic");
    }

    #[test]
    fn entropy_and_allowlist_filter() {
        let mut r = rule("t.tok", &["tok_"], r"tok_([a-z0-9]{8})");
        r.secret_group = 1;
        r.entropy = Some(2.5);
        r.allowlist.stopwords = vec!["dead".into()];
        let d = detector(vec![r]);
        assert!(d.find_all(b"tok_aaaaaaaa").is_empty());
        assert!(d.find_all(b"tok_dead1234").is_empty());
        assert_eq!(d.find_all(b"tok_q8w7e6r5").len(), 1);
    }
}
