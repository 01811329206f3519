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

mod entropy;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, packed};
use regex_automata::util::primitives::NonMaxUsize;
use regex_automata::{Input, meta};

pub use entropy::shannon;

use crate::finding::{BlobId, Finding, Fingerprint, Location, Origin, Secret};
use crate::rules::{Anchor, Rule, RuleSet};

/// Bytes lowercased and searched at a time.
const BLOCK: usize = 64 * 1024;
/// How far a line region reaches on each side of a keyword hit on very long lines.
pub const LINE_WINDOW: usize = 4 * 1024;
/// How far past the start of the keyword's line a multi-line rule's window reaches.
pub const MULTILINE_WINDOW: usize = 64 * 1024;

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

/// A keyword found at a position of the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Hit {
    /// Offset of the keyword's first byte.
    pos: usize,
    /// Index into [`Detector::keywords`].
    keyword: usize,
}

/// A Teddy searcher and, for each of its literals, the keywords holding it: (keyword, offset
/// of the literal in the keyword).
#[derive(Debug)]
struct LiteralSearcher {
    teddy: packed::Searcher,
    keywords: Vec<Vec<(usize, usize)>>,
}

/// How keyword hits are found in lowercased text.
#[derive(Debug)]
enum Prefilter {
    /// Teddy (SIMD) searchers: one over the four-byte literals, one over shorter ones (mixing
    /// lengths in one searcher would make every literal use the shorter, weaker fingerprint).
    /// A literal hit is confirmed by comparing the whole keyword in place.
    Packed(Vec<LiteralSearcher>),
    /// The keyword automaton alone, where Teddy is not available (no SIMD on this CPU).
    Automaton,
}

/// The part of the content that the candidate rules of some keyword hits run over: the line
/// holding them, bounded to [`LINE_WINDOW`] on each side of the first hit.
#[derive(Clone, Copy, Debug)]
struct Region {
    start: usize,
    end: usize,
    /// The start is not a line start: the window cut the line there.
    cut_start: bool,
    /// The end is not a line end: the window cut the line there.
    cut_end: bool,
}

impl Region {
    fn around(content: &[u8], hit: usize) -> Region {
        let lo = hit.saturating_sub(LINE_WINDOW);
        let hi = (hit + LINE_WINDOW).min(content.len());
        // LF, CRLF and a lone CR (old Mac line ends) each end a line. A CR before LF is kept
        // in the region, as it always was.
        let start = memchr::memrchr2(b'\n', b'\r', &content[lo..hit]).map_or(lo, |i| lo + i + 1);
        let end = match memchr::memchr2(b'\n', b'\r', &content[hit..hi]) {
            Some(i) if content[hit + i] == b'\r' && content.get(hit + i + 1) == Some(&b'\n') => {
                (hit + i + 1).min(hi)
            }
            Some(i) => hit + i,
            None => hi,
        };
        Region {
            start,
            end,
            cut_start: start > 0 && !matches!(content[start - 1], b'\n' | b'\r'),
            cut_end: cut(content, end),
        }
    }

    /// Whether a later hit is covered: on this line, and, on a cut line, with at least half a
    /// window of context after it, so that a secret straddling the cut is seen whole from a
    /// region of its own.
    fn covers(&self, hit: usize) -> bool {
        hit >= self.start && hit < self.end && (!self.cut_end || hit + LINE_WINDOW / 2 <= self.end)
    }
}

/// Whether `end` cuts a line (is neither the end of the content nor a line end).
fn cut(content: &[u8], end: usize) -> bool {
    end < content.len() && !matches!(content[end], b'\n' | b'\r')
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

    /// Turns matches into findings: computes lines, columns, line text, fingerprint and the
    /// content's blob id (once, and only when there is a match).
    pub fn findings(&self, content: &[u8], origin: &Origin, matches: &[Match]) -> Vec<Finding> {
        self.findings_in_blob(content, origin, None, matches)
    }

    /// [`Detector::findings`] for content whose git blob id is already known (a blob read
    /// from a repository), which spares hashing it again.
    pub fn findings_in_blob(
        &self,
        content: &[u8],
        origin: &Origin,
        blob_id: Option<BlobId>,
        matches: &[Match],
    ) -> Vec<Finding> {
        if matches.is_empty() {
            return Vec::new();
        }
        let blob_id = blob_id.unwrap_or_else(|| BlobId::of(content));
        let mut lines = LineCounter::default();
        matches
            .iter()
            .map(|m| {
                let rule = &self.rules[m.rule];
                let (line, line_start) = lines.position(content, m.start);
                let (end_line, end_line_start) = lines.peek(content, m.end.max(m.start + 1) - 1);
                let secret = Secret::new(String::from_utf8_lossy(&content[m.start..m.end]));
                let (line_text, line_secret_range, line_other_secrets) =
                    line_text(content, line_start, m, matches);
                Finding {
                    rule_id: rule.id.clone(),
                    description: rule.description.clone(),
                    origin: origin.clone(),
                    location: Location {
                        line,
                        column: m.start - line_start + 1,
                        end_line,
                        end_column: m.end - end_line_start + 1,
                        byte_start: m.start,
                        byte_end: m.end,
                    },
                    fingerprint: Fingerprint::new(&rule.id, &secret),
                    entropy: shannon(&content[m.start..m.end]),
                    secret,
                    blob_id,
                    line_text,
                    line_secret_range,
                    line_other_secrets,
                    aws: None,
                }
            })
            .collect()
    }

    /// Scans `content` and returns its findings: [`Detector::find`] then
    /// [`Detector::findings`].
    pub fn scan(&self, content: &[u8], origin: &Origin, scratch: &mut Scratch) -> Vec<Finding> {
        let mut matches = Vec::new();
        self.find(content, scratch, &mut matches);
        self.findings(content, origin, &matches)
    }

    /// Appends to `hits`, sorted by position, the keywords whose literal starts in the first
    /// `limit` bytes of `block` (the content from offset `pos`, spread for Teddy, lowercased for
    /// the automaton).
    fn collect_hits(
        &self,
        content: &[u8],
        block: &[u8],
        pos: usize,
        limit: usize,
        hits: &mut Vec<Hit>,
    ) {
        match &self.prefilter {
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

    /// Runs the candidate `rules` over a region, then forgets them. Matches touching a cut
    /// edge may be truncated: they are left to the region of a later hit.
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

/// The part of the content one rule's regex runs over, and whether its edges cut a line.
#[derive(Clone, Copy, Debug)]
struct Text {
    start: usize,
    end: usize,
    cut_start: bool,
    cut_end: bool,
}

/// The rules to run over the current region: over all of it, or anchored at word starts.
#[derive(Debug, Default)]
struct Candidates {
    rules: Vec<usize>,
    anchors: Vec<(usize, usize)>,
    /// Content-anchored rules to run over the whole content, once.
    content: Vec<usize>,
    /// A context literal was hit: look for the keywords of the rules that need one.
    lookup: bool,
}

impl Candidates {
    /// Adds the rules of a keyword hit at `pos`; anchored rules start at the hit's word, which
    /// does not reach back past `floor` (the region's start) nor more than 64 bytes.
    fn add(&mut self, rules: &[Rule], owners: &[usize], content: &[u8], pos: usize, floor: usize) {
        for &r in owners {
            if rules[r].anchor == Anchor::Content {
                if !self.content.contains(&r) {
                    self.content.push(r);
                }
            } else if rules[r].anchor == Anchor::Word {
                let lo = pos.saturating_sub(64).max(floor);
                let word = content[lo..pos]
                    .iter()
                    .rposition(|b| !(b.is_ascii_alphanumeric() || b"_.-".contains(b)))
                    .map_or(lo, |i| lo + i + 1);
                if !self.anchors.contains(&(r, word)) {
                    self.anchors.push((r, word));
                }
            } else if !self.rules.contains(&r) {
                self.rules.push(r);
            }
        }
    }
}

/// Up to this many literals, one Teddy searcher takes them all.
const ONE_TEDDY_LITERALS: usize = 64;

/// Past [`ONE_TEDDY_LITERALS`], the most literals one Teddy searcher gets: each searcher is
/// one more pass over the text, and too many literals saturate its 16 buckets' fingerprints.
/// Measured with all 195 built-in rules over the bench's generated code, on [`spread`] text:
/// 16 per searcher 1.13 GiB/s, 24: 1.53, 32: 1.60, 48: 2.0, 64: 1.55, 96: 0.96 (on lowercase
/// text, before [`spread`], 16 was best at 1.0 GiB/s).
const MAX_TEDDY_LITERALS: usize = 48;

/// Builds the Teddy searchers over the keywords' prefilter literals, or `None` where Teddy is
/// not available.
fn packed_prefilter(keywords: &[String]) -> Option<Vec<LiteralSearcher>> {
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
fn spread(b: u8) -> u8 {
    let l = b.to_ascii_lowercase();
    l ^ (l << 4)
}

/// [`spread`] over `src`, into `dst`: what the Teddy searchers look at.
fn spread_into(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.extend(src.iter().copied().map(spread));
}

fn lowercase_into(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    // Written as a plain map so that it vectorizes.
    dst.extend(src.iter().map(u8::to_ascii_lowercase));
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

/// Counts lines incrementally for increasing offsets.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    /// 1-based line of `at` and the offset where that line starts; `at` must not decrease
    /// between calls.
    fn position(&mut self, content: &[u8], at: usize) -> (usize, usize) {
        if at < self.offset {
            *self = LineCounter::default();
        }
        // LF, CRLF (one line end) and a lone CR each end a line.
        for i in memchr::memchr2_iter(b'\n', b'\r', &content[self.offset..at]) {
            let pos = self.offset + i;
            if content[pos] == b'\r' && content.get(pos + 1) == Some(&b'\n') {
                continue;
            }
            self.line += 1;
            self.line_start = pos + 1;
        }
        self.offset = at;
        (self.line + 1, self.line_start)
    }

    /// Like `position` but leaves the counter where it was.
    fn peek(&self, content: &[u8], at: usize) -> (usize, usize) {
        let mut probe = LineCounter { ..*self };
        probe.position(content, at)
    }
}

/// The line holding the secret of `m`, cut to a bounded width around it; the secret's range
/// in that text; and the ranges of the other secrets (from `all`) that show in it, so that a
/// report can redact every one of them.
fn line_text(
    content: &[u8],
    line_start: usize,
    m: &Match,
    all: &[Match],
) -> (String, (usize, usize), Vec<(usize, usize)>) {
    const WIDTH: usize = 160;
    let lo = line_start.max(m.start.saturating_sub(WIDTH));
    let line_end =
        memchr::memchr2(b'\n', b'\r', &content[m.start..]).map_or(content.len(), |i| m.start + i);
    let hi = line_end.min(m.end.max(m.start) + WIDTH);
    let mut raw = &content[lo..hi];
    if raw.last() == Some(&b'\r') {
        raw = &raw[..raw.len() - 1];
    }
    let clip = |x: usize| x.clamp(lo, lo + raw.len()) - lo;
    let others: Vec<(usize, usize)> = all
        .iter()
        .filter(|o| *o != m && o.start < lo + raw.len() && o.end > lo)
        .map(|o| (clip(o.start), clip(o.end)))
        .collect();
    // Decode between every boundary separately so that ranges stay exact after lossy decoding
    // (a replacement character is three bytes where the invalid byte was one).
    let mut points: Vec<usize> = vec![0, raw.len(), clip(m.start), clip(m.end)];
    points.extend(others.iter().flat_map(|&(s, e)| [s, e]));
    points.sort_unstable();
    points.dedup();
    let mut text = String::with_capacity(raw.len());
    let mut mapped = Vec::with_capacity(points.len());
    for pair in points.windows(2) {
        mapped.push((pair[0], text.len()));
        text.push_str(&String::from_utf8_lossy(&raw[pair[0]..pair[1]]));
    }
    mapped.push((raw.len(), text.len()));
    let map = |x: usize| mapped.iter().find(|(p, _)| *p == x).map_or(text.len(), |&(_, t)| t);
    let range = (map(clip(m.start)), map(clip(m.end)));
    let others = others.iter().map(|&(s, e)| (map(s), map(e))).collect();
    (text, range, others)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Builtin, RuleSet, RuleSyntax};

    fn rule(id: &str, keywords: &[&str], regex: &str) -> RuleSyntax {
        let toml = format!(
            "[[rules]]\nid = '{id}'\ndescription = 'd'\nkeywords = {keywords:?}\nregex = '''{regex}'''\n"
        );
        crate::rules::syntax::parse(&toml).unwrap().rules.remove(0)
    }

    fn detector(rules: Vec<RuleSyntax>) -> Detector {
        Detector::new(RuleSet::compile(rules).unwrap())
    }

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
    fn only_the_keyword_line_is_searched() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"[0-9]{4}")]);
        // The digits on another line are not in the region of the hit.
        assert!(d.find_all(b"tok_ here\n1234\n").is_empty());
        assert_eq!(d.find_all(b"1234 tok_\n").len(), 1);
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
    fn multiline_rules_span_lines() {
        let mut r = rule("t.block", &["begin"], r"(?s)BEGIN\n(.*?)\nEND");
        r.multiline = true;
        r.secret_group = 1;
        let d = detector(vec![r]);
        let m = d.find_all(b"x\nBEGIN\nabc\ndef\nEND\n");
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].start, m[0].end), (8, 15));
    }

    #[test]
    fn long_lines_are_bounded() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"tok_[0-9]{4}")]);
        let mut text = vec![b'a'; 10 * 1024 * 1024];
        text.extend_from_slice(b" tok_1234 ");
        text.extend(std::iter::repeat_n(b'b', 1024 * 1024));
        let m = d.find_all(&text);
        assert_eq!(m.len(), 1);
        let f = d.findings(&text, &Origin::Stdin, &m);
        assert_eq!(f[0].location.line, 1);
        assert_eq!(f[0].location.column, 10 * 1024 * 1024 + 2);
        assert!(f[0].line_text.len() < 400);
    }

    #[test]
    fn secrets_straddling_a_long_line_window_are_found() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"\btok_[0-9]{16}\b")]);
        for gap in [4000, 4070, 4080, 4085, 4090, 4095, 4100, 5000, 8190, 8200] {
            let mut text = vec![b'a'; 10_000];
            text.extend_from_slice(b" tok_1234567890123456 ");
            text.extend(std::iter::repeat_n(b'b', gap));
            text.extend_from_slice(b" tok_6543210987654321 ");
            text.extend(std::iter::repeat_n(b'c', 10_000));
            let m = d.find_all(&text);
            assert_eq!(m.len(), 2, "gap {gap}: {m:?}");
        }
    }

    #[test]
    fn issue_12_lone_cr_ends_a_line() {
        let mut c = LineCounter::default();
        let text = b"a\rb\r\nc\nd\re";
        assert_eq!(c.position(text, 2), (2, 2));
        assert_eq!(c.position(text, 5), (3, 5));
        assert_eq!(c.position(text, 7), (4, 7));
        assert_eq!(c.position(text, 9), (5, 9));
    }

    #[test]
    fn locations_and_line_text() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"tok_[0-9]{4}")]);
        let text = b"first\r\nsecond tok_1111\r\n\xff third tok_2222 end\r\n";
        let m = d.find_all(text);
        let f = d.findings(text, &Origin::Stdin, &m);
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].location.line, f[0].location.column), (2, 8));
        assert_eq!(f[0].line_text, "second tok_1111");
        let (s, e) = f[1].line_secret_range;
        assert_eq!(&f[1].line_text[s..e], "tok_2222");
        assert!(f[1].line_other_secrets.is_empty());
        assert_eq!((f[1].location.line, f[1].location.end_line), (3, 3));
        assert_eq!(f[0].blob_id, BlobId::of(text));
    }

    #[test]
    fn other_secrets_on_the_line_are_located() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"tok_[0-9]{4}")]);
        let text = "a tok_1111 \u{e9} tok_2222 tok_3333\n".as_bytes();
        let m = d.find_all(text);
        let f = d.findings(text, &Origin::Stdin, &m);
        assert_eq!(f.len(), 3);
        let others: Vec<&str> =
            f[1].line_other_secrets.iter().map(|&(s, e)| &f[1].line_text[s..e]).collect();
        assert_eq!(others, ["tok_1111", "tok_3333"]);
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
