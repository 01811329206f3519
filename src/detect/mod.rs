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
use std::time::Instant;

use regex_automata::{Input, meta};

pub use entropy::shannon;
pub use region::{LINE_WINDOW, MULTILINE_WINDOW};

use crate::finding::{Finding, Origin};
use crate::rules::{Anchor, Rule, RuleSet};
use prefilter::{Hit, Prefilter, lowercase_into, packed_prefilter, spread_into};
use region::{Candidates, Lines, Span, Text};

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

/// How much of some content [`Detector::find`] searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "content not searched to its end must be reported"]
pub enum Coverage {
    /// All of it.
    Complete,
    /// Detection stopped before the end: from byte `at` on, some candidate rules were not run
    /// (keywords found there and the rules they call for were not searched in full).
    Cut {
        /// The first byte of the content left unsearched.
        at: usize,
        /// Why detection stopped.
        reason: CutReason,
    },
}

/// Why detection stopped before the end of some content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CutReason {
    /// The regex work allowed for content of its size ([`REGEX_PASSES`] passes over it, and
    /// [`REGEX_SLACK`] bytes) was spent: content denser in keywords than code ever is.
    Budget,
    /// The deadline of [`Limits::deadline`] passed.
    Deadline,
}

impl std::fmt::Display for CutReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CutReason::Budget => write!(
                f,
                "the regex work allowed per byte was spent (content this dense in keywords \
                 is generated, not written)"
            ),
            CutReason::Deadline => f.write_str("the time allowed per item (--timeout) passed"),
        }
    }
}

/// Limits on one [`Detector::find_within`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop searching at this instant.
    pub deadline: Option<Instant>,
}

/// The regex work allowed per content, in passes of one regex over all of it: however dense
/// the keywords, each candidate rule searches each byte about once, so only content calling
/// for this many rules at every byte reaches the limit (code calls for a few at most).
pub const REGEX_PASSES: usize = 64;
/// Regex work allowed per content on top of [`REGEX_PASSES`], in bytes: small content may run
/// every rule.
pub const REGEX_SLACK: usize = 16 << 20;
/// Keyword hits in a block past which the next block is searched with the automaton (see
/// `prefilter`): one per 64 bytes.
const DENSE_HITS: usize = BLOCK / 64;
/// A span holding more than one hit per this many bytes is searched without the regex's own
/// literal prefilter.
const DENSE_SPAN: usize = 32;
/// How far apart the windows of a single-line rule's hits may be and still join into one span:
/// a search costs as much as reading about this many bytes.
const LINE_GAP: usize = 256;
/// A long span is searched in pieces of this many times the longest match its rule may report.
const PIECE: usize = 8;
/// Regex work between two looks at the clock.
const CLOCK_EVERY: usize = 1 << 20;

/// The regex work of one [`Detector::find`]: spent, allowed, and where it stopped.
#[derive(Debug)]
struct Budget {
    spent: usize,
    allowed: usize,
    next_clock: usize,
    deadline: Option<Instant>,
    cut: Option<(usize, CutReason)>,
}

impl Budget {
    fn new(len: usize, limits: Limits) -> Budget {
        Budget {
            spent: 0,
            allowed: len.saturating_mul(REGEX_PASSES).saturating_add(REGEX_SLACK),
            next_clock: CLOCK_EVERY,
            deadline: limits.deadline,
            cut: None,
        }
    }

    /// Notes that detection stopped at `at` (or before).
    fn cut(&mut self, at: usize, reason: CutReason) {
        match &mut self.cut {
            Some((first, _)) => *first = (*first).min(at),
            None => self.cut = Some((at, reason)),
        }
    }

    /// Whether the deadline has passed (noting the cut at `at` if so).
    fn late(&mut self, at: usize) -> bool {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.cut(at, CutReason::Deadline);
        }
        self.cut.is_some()
    }

    /// Spends `cost` bytes of regex work on a search starting at `at`; `false` (and the cut
    /// noted) if it may not run.
    #[inline]
    fn spend(&mut self, cost: usize, at: usize) -> bool {
        if self.cut.is_some() {
            self.cut(at, CutReason::Budget);
            return false;
        }
        if self.spent + cost > self.allowed {
            self.cut(at, CutReason::Budget);
            return false;
        }
        self.spent += cost;
        if self.spent >= self.next_clock {
            self.next_clock = self.spent + CLOCK_EVERY;
            return !self.late(at);
        }
        true
    }

    fn coverage(&self) -> Coverage {
        self.cut.map_or(Coverage::Complete, |(at, reason)| Coverage::Cut { at, reason })
    }
}

/// Reusable buffers for [`Detector::find`]. Keep one per thread: after the first use, a chunk
/// without keyword hits costs no allocation.
#[derive(Debug, Default)]
pub struct Scratch {
    block: Vec<u8>,
    hits: Vec<Hit>,
    lines: Lines,
    candidates: Candidates,
    regex: RegexScratch,
    /// The regex work of the last find, in bytes searched.
    work: usize,
}

/// Search caches of the rules' regexes, made on a rule's first use. They belong to one
/// detector: used with another, they are dropped and made again.
#[derive(Debug, Default)]
struct RegexScratch {
    owner: u64,
    caches: Vec<Option<meta::Cache>>,
    /// The caches of the rules' unfiltered regexes (`RuleRegex::unfiltered`).
    dense_caches: Vec<Option<meta::Cache>>,
    slots: Vec<Option<NonMaxUsize>>,
}

impl Scratch {
    /// Empty scratch space; buffers grow on first use.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// The regex work of the last [`Detector::find`] with this scratch: the bytes its
    /// regexes searched (each search counted over its whole text).
    pub fn regex_work(&self) -> usize {
        self.work
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
    /// The longest of the lookup keywords.
    max_lookup_len: usize,
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
        let max_lookup_len = lookup_keywords.iter().map(String::len).max().unwrap_or(0);
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
            max_lookup_len,
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
    ///
    /// The work is linear in the content's size whatever it holds: each candidate rule's
    /// regex runs once over the merged windows of its keyword hits, and the regex work is
    /// capped ([`REGEX_PASSES`]); what the cap cut is in the [`Coverage`].
    pub fn find(&self, content: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) -> Coverage {
        self.find_within(content, Limits::default(), scratch, out)
    }

    /// [`Detector::find`] within `limits`.
    pub fn find_within(
        &self,
        content: &[u8],
        limits: Limits,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) -> Coverage {
        let first = out.len();
        scratch.work = 0;
        if self.keywords.is_empty() && self.always.is_empty() {
            return Coverage::Complete;
        }
        let Scratch { block, hits, lines, candidates, regex, work } = scratch;
        candidates.reset(self.rules.len(), &self.always);
        lines.reset();
        self.prepare_caches(regex);
        let mut budget = Budget::new(content.len(), limits);
        let overlap = self.max_keyword_len.saturating_sub(1);
        let mut pos = 0;
        hits.clear();
        'blocks: while pos < content.len() {
            if budget.late(pos) {
                break;
            }
            let block_end = (pos + BLOCK).min(content.len());
            let ext_end = (block_end + overlap).min(content.len());
            // Teddy returns each hit from its SIMD loop at a cost; on a block dense in hits,
            // the automaton, which reads every byte anyway, costs less per hit.
            let automaton = hits.len() > DENSE_HITS;
            match self.prefilter {
                Prefilter::Packed(_) if !automaton => {
                    spread_into(&content[pos..ext_end], block);
                }
                _ => lowercase_into(&content[pos..ext_end], block),
            }
            hits.clear();
            self.collect_hits(content, block, pos, block_end - pos, automaton, hits);
            for hit in hits.iter() {
                let line = lines.window(content, hit.pos);
                for &r in &self.keyword_rules[hit.keyword] {
                    self.hit(content, r, line, hit.pos, candidates, regex, &mut budget, out);
                }
                if self.triggers[hit.keyword] {
                    self.look_up(content, line, candidates, regex, &mut budget, out);
                }
                if budget.cut.is_some() {
                    budget.cut(hit.pos, CutReason::Budget);
                    break 'blocks;
                }
            }
            pos = block_end;
        }
        for i in 0..candidates.listed.len() {
            let r = candidates.listed[i];
            self.search_span(content, r, &mut candidates.spans[r], regex, &mut budget, out);
        }
        let whole = Text { start: 0, end: content.len(), cut_start: false, cut_end: false };
        for &ri in &candidates.content {
            self.search(content, ri, whole, None, false, regex, &mut budget, out);
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
        *work = budget.spent;
        budget.coverage()
    }

    /// Convenience wrapper around [`Detector::find`] with fresh scratch space.
    pub fn find_all(&self, content: &[u8]) -> Vec<Match> {
        let mut out = Vec::new();
        let _ = self.find(content, &mut Scratch::new(), &mut out);
        out
    }

    /// Scans `content` and returns its findings: [`Detector::find`] then
    /// [`Detector::findings`].
    pub fn scan(&self, content: &[u8], origin: &Origin, scratch: &mut Scratch) -> Vec<Finding> {
        let mut matches = Vec::new();
        let _ = self.find(content, scratch, &mut matches);
        self.findings(content, origin, &matches)
    }

    /// Adds a keyword hit of rule `r` at `pos`, on the line window `line`: its window joins
    /// the rule's span, or, far from it, the span is searched and the window starts another.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn hit(
        &self,
        content: &[u8],
        r: usize,
        line: Text,
        pos: usize,
        candidates: &mut Candidates,
        regex: &mut RegexScratch,
        budget: &mut Budget,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[r];
        if rule.anchor == Anchor::Content {
            candidates.add_content(r);
            return;
        }
        let window = Candidates::window(rule, line, content);
        // A single-line rule's regex cannot match across line ends (see `RuleRegex`): the
        // windows of hits a few lines apart join, and one search runs over all those lines.
        let gap = if rule.multiline { 0 } else { LINE_GAP };
        if candidates.spans[r].text.is_some_and(|t| window.start > t.end + gap) {
            self.search_span(content, r, &mut candidates.spans[r], regex, budget, out);
        }
        candidates.add(rule, r, window, content, pos);
    }

    /// A context literal is on the line window `line`: the keywords of the rules that need
    /// one, looked for in the part of it not searched yet, are hits of theirs on that window.
    fn look_up(
        &self,
        content: &[u8],
        line: Text,
        candidates: &mut Candidates,
        regex: &mut RegexScratch,
        budget: &mut Budget,
        out: &mut Vec<Match>,
    ) {
        let Some(lookup) = &self.lookup else { return };
        let done = candidates.looked_up_to;
        // Back by a keyword's length, for a keyword straddling what was searched.
        let from = line.start.max(done.saturating_sub(self.max_lookup_len.saturating_sub(1)));
        if from >= line.end {
            return;
        }
        for m in lookup.find_overlapping_iter(&content[from..line.end]) {
            if from + m.end() <= done {
                continue;
            }
            let pos = from + m.start();
            for &r in &self.lookup_rules[m.pattern().as_usize()] {
                self.hit(content, r, line, pos, candidates, regex, budget, out);
            }
        }
        candidates.looked_up_to = line.end;
    }

    /// Runs rule `r` over its span, then empties it: over all of it, or, for a word-anchored
    /// rule with few words in it, anchored at each word. Matches touching a cut edge may be
    /// truncated: they are left to another span.
    fn search_span(
        &self,
        content: &[u8],
        r: usize,
        span: &mut Span,
        regex: &mut RegexScratch,
        budget: &mut Budget,
        out: &mut Vec<Match>,
    ) {
        let Some(text) = span.text else { return };
        if self.rules[r].anchor == Anchor::Word && !span.dense {
            for &at in &span.anchors {
                // An anchored match is no longer than a line window's width.
                let end = text.end.min(at + 2 * LINE_WINDOW);
                let t = Text { end, cut_end: text.cut_end || end < text.end, ..text };
                self.search(content, r, t, Some(at), false, regex, budget, out);
            }
        } else {
            // A span with a hit every few bytes: the regex's own prefilter would stop at each.
            let dense = span.hits.saturating_mul(DENSE_SPAN) > text.end - text.start;
            self.search(content, r, text, None, dense, regex, budget, out);
        }
        span.clear();
    }

    /// Makes `scratch` hold one (lazily made) search cache per rule of this detector.
    fn prepare_caches(&self, scratch: &mut RegexScratch) {
        if scratch.owner != self.id || scratch.caches.len() != self.rules.len() {
            scratch.owner = self.id;
            scratch.caches.clear();
            scratch.caches.resize_with(self.rules.len(), || None);
            scratch.dense_caches.clear();
            scratch.dense_caches.resize_with(self.rules.len(), || None);
        }
    }

    /// Runs rule `ri` over `text`: every match, or, with `anchor`, only a match starting at
    /// that offset of the content. A long text is searched in pieces overlapping by more than
    /// the longest match the rule may report, so that no single search (nor the captures of a
    /// match) runs over more than a few windows.
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        content: &[u8],
        ri: usize,
        text: Text,
        anchor: Option<usize>,
        dense: bool,
        scratch: &mut RegexScratch,
        budget: &mut Budget,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[ri];
        // A match longer than the window it could be found in before windows merged is not a
        // secret (a run of keywords, a minified line): skipped whole.
        let longest = match rule.anchor {
            Anchor::Content => usize::MAX,
            _ if rule.multiline => MULTILINE_WINDOW,
            _ => 2 * LINE_WINDOW,
        };
        let piece = longest.saturating_mul(PIECE);
        if anchor.is_some() || text.end - text.start <= piece {
            self.search_text(content, ri, text, anchor, dense, longest, scratch, budget, out);
            return;
        }
        let mut start = text.start;
        loop {
            let end = (start + piece).min(text.end);
            let t = Text {
                start,
                end,
                cut_start: start > text.start || text.cut_start,
                cut_end: end < text.end || text.cut_end,
            };
            self.search_text(content, ri, t, None, dense, longest, scratch, budget, out);
            if end == text.end {
                break;
            }
            start = end - longest - 1;
        }
    }

    /// [`Detector::search`] over one text.
    #[allow(clippy::too_many_arguments)]
    fn search_text(
        &self,
        content: &[u8],
        ri: usize,
        text: Text,
        anchor: Option<usize>,
        dense: bool,
        longest: usize,
        scratch: &mut RegexScratch,
        budget: &mut Budget,
        out: &mut Vec<Match>,
    ) {
        if !budget.spend(text.end - anchor.unwrap_or(text.start), text.start) {
            return;
        }
        let rule = &self.rules[ri];
        let hay = &content[text.start..text.end];
        let (regex, caches) = if dense {
            (rule.regex.unfiltered(), &mut scratch.dense_caches)
        } else {
            (rule.regex.get(), &mut scratch.caches)
        };
        let cache = caches[ri].get_or_insert_with(|| regex.create_cache());
        let slots = &mut scratch.slots;
        slots.clear();
        let groups = if rule.first_group { regex.captures_len() } else { rule.secret_group + 1 };
        slots.resize(2 * groups, None);
        let mut input = Input::new(hay);
        if let Some(at) = anchor {
            input = input.range(at - text.start..).anchored(regex_automata::Anchored::Yes);
        }
        // The match's end first (the forward DFA alone): a match running into a cut edge is
        // left to another text without looking for its start, as on dense content most are.
        // Then its start, and its groups only for a match that may be reported.
        let mut rescanned_to = 0;
        while let Some(half) = regex.search_half_with(cache, &input) {
            if text.cut_end && half.offset() == hay.len() {
                break;
            }
            let bounded = input.clone().range(input.start()..half.offset());
            let Some(m) = regex.search_with(cache, &bounded) else { break };
            let whole = m.range();
            // Resume after the match (one byte further for an empty match).
            input.set_start(if whole.is_empty() { whole.end + 1 } else { whole.end });
            if whole.len() > longest {
                // Too long to report; a match of reportable length may end where it ends
                // (a secret after a run of keywords): look again from that far back, once per
                // `longest` bytes of progress, so that the work stays linear.
                if whole.end - longest >= rescanned_to {
                    input.set_start(whole.end - longest);
                    rescanned_to = whole.end;
                }
                continue;
            }
            if (text.cut_start && whole.start == 0) || (text.cut_end && whole.end == hay.len()) {
                continue;
            }
            let (gs, ge) = if groups == 1 {
                (whole.start, whole.end)
            } else {
                let within =
                    Input::new(hay).range(whole.clone()).anchored(regex_automata::Anchored::Yes);
                if regex.search_slots_with(cache, &within, slots).is_none() {
                    continue;
                }
                let g = if rule.first_group {
                    // gitleaks' choice: the first group that matched something, else the match.
                    (1..groups)
                        .find(|&g| matches!((slots[2 * g], slots[2 * g + 1]), (Some(s), Some(e)) if e > s))
                        .unwrap_or(0)
                } else {
                    rule.secret_group
                };
                let (Some(gs), Some(ge)) = (slots[2 * g], slots[2 * g + 1]) else { continue };
                (gs.get(), ge.get())
            };
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
/// for removal (by emptying their range): a sweep in position order, linear in the matches
/// but for the sort (content holding a million keys holds a million matches).
fn finish(rules: &[Rule], matches: &mut [Match]) {
    matches.sort_unstable();
    if matches.iter().all(|m| !rules[m.rule].generic) {
        return;
    }
    // The specific matches' starts, in order, and the furthest end among each prefix of them.
    let mut starts = Vec::new();
    let mut reach = Vec::new();
    for m in matches.iter().filter(|m| !rules[m.rule].generic) {
        starts.push(m.start);
        reach.push(reach.last().map_or(m.end, |&r: &usize| r.max(m.end)));
    }
    for m in matches.iter_mut().filter(|m| rules[m.rule].generic) {
        // The specific matches starting before this one ends overlap it if one ends after
        // it starts.
        let before = starts.partition_point(|&s| s < m.end);
        if before > 0 && reach[before - 1] > m.start {
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
        assert_eq!(a.find(b"tok_1234 tok_abcd", &mut scratch, &mut out), Coverage::Complete);
        assert_eq!(out.len(), 1);
        out.clear();
        // The regex caches of `a` must not be used for `b`'s regex.
        assert_eq!(b.find(b"tok_1234 tok_abcd", &mut scratch, &mut out), Coverage::Complete);
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

    /// Content made of one rule's keywords, `size` bytes: on one line, or one per line.
    fn flood(keywords: &[String], size: usize, per_line: bool) -> Vec<u8> {
        let sep = if per_line { "=\n" } else { "=" };
        let unit: String = keywords.iter().map(|k| format!("{k}{sep}")).collect();
        unit.as_bytes().iter().copied().cycle().take(size).collect()
    }

    /// Issue 14: each hit rescanned a window of 4 or 64 KiB around it, so that keyword-dense
    /// content took seconds per MiB. Now the regex work on a flood of any built-in rule's
    /// keywords is a few passes over it, and nothing is cut.
    #[test]
    fn keyword_floods_cost_a_few_regex_passes() {
        let set = RuleSet::builtin_set(crate::rules::Builtin::All).unwrap();
        let d = Detector::new(set.clone());
        let mut scratch = Scratch::new();
        let size = 64 << 10;
        let mut worst = (0, String::new());
        for rule in set.rules() {
            for per_line in [false, true] {
                let text = flood(&rule.keywords, size, per_line);
                let mut out = Vec::new();
                assert_eq!(
                    d.find(&text, &mut scratch, &mut out),
                    Coverage::Complete,
                    "{}",
                    rule.id
                );
                if scratch.regex_work() > worst.0 {
                    worst = (scratch.regex_work(), format!("{} per_line={per_line}", rule.id));
                }
            }
        }
        // At most a pass per candidate rule (a few share keywords), and the pieces' overlap.
        assert!(
            worst.0 <= 12 * size,
            "{} bytes of regex work for {size} bytes: {}",
            worst.0,
            worst.1
        );
    }

    #[test]
    fn a_secret_in_a_keyword_flood_is_found() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"\btok_[0-9]{16}\b")]);
        let mut text = b"tok_=".repeat(400_000);
        let at = text.len() / 2;
        text.splice(at..at, b" tok_1234567890123456 ".iter().copied());
        let m = d.find_all(&text);
        assert_eq!(m.len(), 1);
        assert_eq!(&text[m[0].start..m[0].end], b"tok_1234567890123456");
        // After a run that one match would swallow, longer than a secret can be.
        let g = detector(vec![rule("t.kv", &["key="], r"key=([a-z=]+[0-9]{4})")]);
        let mut text = b"key=".repeat(10_000);
        text.extend(b"abc1234 and more");
        let m = g.find_all(&text);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(text[m[0].start..m[0].end].ends_with(b"abc1234"));
    }

    /// Content calling for more rules at every byte than the budget allows is cut, and says
    /// where; what was found before the cut is kept.
    #[test]
    fn regex_work_past_the_budget_is_cut_and_reported() {
        let rules: Vec<_> = (0..100)
            .map(|i| rule(&format!("t.r{i}"), &["kw_"], &format!(r"kw_{i:03}[0-9]{{8}}")))
            .collect();
        let d = detector(rules);
        let mut text = b"kw_000123456789 ".to_vec();
        text.extend(b"kw_=".repeat(1 << 18));
        let mut out = Vec::new();
        let coverage = d.find(&text, &mut Scratch::new(), &mut out);
        let Coverage::Cut { at, reason } = coverage else { panic!("{coverage:?}") };
        assert_eq!(reason, CutReason::Budget);
        assert!(at < text.len(), "{at}");
        assert_eq!(out.len(), 1, "the match before the cut is kept");
    }

    #[test]
    fn a_passed_deadline_cuts_at_the_start() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"tok_[0-9]{4}")]);
        let limits = Limits { deadline: Some(Instant::now()) };
        let mut out = Vec::new();
        let coverage = d.find_within(b"tok_1234", limits, &mut Scratch::new(), &mut out);
        assert_eq!(coverage, Coverage::Cut { at: 0, reason: CutReason::Deadline });
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
