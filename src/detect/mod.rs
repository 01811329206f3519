//! The detector: keyword prefilter, then only the candidate rules' regexes, on the line around
//! each keyword hit.
//!
//! Content is read 64 KiB at a time. The keyword prefilter (`prefilter`) looks for one
//! three-byte window of every keyword at once through a hashed bitmap, one SIMD pass whose
//! cost does not grow with the number of keywords (`simd`), and confirms each candidate by
//! comparing the keywords holding that window, case-insensitively, where they stand. On
//! blocks dense in hits, and for detectors whose keywords the filter cannot take, one
//! Aho-Corasick automaton over
//! all keywords does the same job. Each confirmed hit gives its rules a window — its line,
//! bounded to [`LINE_WINDOW`] on each side on very long lines, or for multi-line rules a
//! [`MULTILINE_WINDOW`] from it — and a rule's touching windows merge into one span, searched
//! once (`search`): the work is linear in the content however dense its keywords, and capped
//! ([`REGEX_PASSES`]). Lines, columns and blob ids are computed for findings alone.

pub mod check;
pub mod decode;
mod entropy;
mod fields;
mod literals;
mod location;
mod prefilter;
mod region;
mod search;
pub mod simd;
pub mod view;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta;
use regex_automata::util::primitives::NonMaxUsize;

pub use entropy::shannon;
pub use region::{LINE_WINDOW, MULTILINE_WINDOW};

use crate::finding::{Finding, Origin};
use crate::rules::{Anchor, Rule, RuleSet};
pub use location::relocate;
use prefilter::{Hit, Prefilter, lowercase_into, window_prefilter};
use region::{Candidates, Lines, Text};
use search::{Budget, Pass};
pub use search::{Coverage, CutReason, Limits, REGEX_PASSES, REGEX_SLACK};
pub use view::{Chain, Code, Piece, View};

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

/// Keyword hits in a block past which the next block is searched with the automaton (see
/// `prefilter`): one per 64 bytes.
const DENSE_HITS: usize = BLOCK / 64;
/// How far apart the windows of a single-line rule's hits may be and still join into one span:
/// a search costs as much as reading about this many bytes.
const LINE_GAP: usize = 256;

/// Reusable buffers for [`Detector::find`]. Keep one per thread: after the first use, a chunk
/// without keyword hits costs no allocation.
#[derive(Debug, Default)]
pub struct Scratch {
    block: Vec<u8>,
    /// The window filter's candidates in a block.
    window_hits: Vec<u32>,
    hits: Vec<Hit>,
    lines: Lines,
    candidates: Candidates,
    regex: RegexScratch,
    /// The regex work of the last find, in bytes searched.
    work: usize,
    /// Where the last find's keyword hits were, in order.
    keyword_positions: Vec<usize>,
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

    /// The positions of the last [`Detector::find`]'s keyword hits, in order: where
    /// `decode::views_near` joins string literals.
    pub fn keyword_positions(&self) -> &[usize] {
        &self.keyword_positions
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
    /// Overlapping automaton over the lowercase keywords: the prefilter on blocks dense in hits
    /// (over lowercased text), and the reference the window filter is held to. Built on first
    /// use: most scans (a pre-commit hook's above all) never need it.
    automaton: std::sync::OnceLock<AhoCorasick>,
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
        let automaton = std::sync::OnceLock::new();
        let prefilter =
            window_prefilter(&keywords).map_or(Prefilter::Automaton, Prefilter::Windows);
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

    /// The keyword automaton ([`Detector::automaton`]'s field), built on first use.
    fn automaton(&self) -> &AhoCorasick {
        self.automaton.get_or_init(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&self.keywords)
                .expect("keyword automaton fits in memory")
        })
    }

    /// The rules, indexed by [`Match::rule`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The distinct lowercase keywords of all rules.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Whether keyword candidates are found with the window filter (whose kernel is SIMD on
    /// x86-64 with AVX2 or AVX-512) or the automaton alone.
    pub fn uses_window_prefilter(&self) -> bool {
        matches!(self.prefilter, Prefilter::Windows(_))
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
        scratch.keyword_positions.clear();
        if self.keywords.is_empty() && self.always.is_empty() {
            return Coverage::Complete;
        }
        let Scratch { block, window_hits, hits, lines, candidates, regex, work, keyword_positions } =
            scratch;
        candidates.reset(self.rules.len(), &self.always);
        lines.reset();
        self.prepare_caches(regex);
        let budget = Budget::new(content.len(), limits);
        let mut pass = Pass { content, regex, budget, out };
        let overlap = self.max_keyword_len.saturating_sub(1);
        let mut pos = 0;
        hits.clear();
        'blocks: while pos < content.len() {
            if pass.budget.late(pos) {
                break;
            }
            let block_end = (pos + BLOCK).min(content.len());
            let ext_end = (block_end + overlap).min(content.len());
            // Each candidate of the window filter costs a confirmation; on a block dense in
            // hits, the automaton, which reads every byte anyway, costs less per hit.
            let automaton =
                hits.len() > DENSE_HITS || !matches!(self.prefilter, Prefilter::Windows(_));
            if automaton {
                lowercase_into(&content[pos..ext_end], block);
            }
            hits.clear();
            self.collect_hits(content, block, pos, block_end, automaton, window_hits, hits);
            for hit in hits.iter() {
                keyword_positions.push(hit.pos);
                let line = lines.window(content, hit.pos);
                for &r in &self.keyword_rules[hit.keyword] {
                    self.hit(&mut pass, candidates, r, line, hit.pos);
                }
                if self.triggers[hit.keyword] {
                    self.look_up(&mut pass, candidates, line);
                }
                if pass.budget.cut.is_some() {
                    pass.budget.cut(hit.pos, CutReason::Budget);
                    break 'blocks;
                }
            }
            pos = block_end;
        }
        for i in 0..candidates.listed.len() {
            let r = candidates.listed[i];
            self.search_span(&mut pass, r, &mut candidates.spans[r]);
        }
        for &r in &candidates.content {
            self.search_content(&mut pass, r);
        }
        let Pass { budget, out, .. } = pass;
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
    #[inline]
    fn hit(
        &self,
        pass: &mut Pass<'_>,
        candidates: &mut Candidates,
        r: usize,
        line: Text,
        pos: usize,
    ) {
        let content = pass.content;
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
            self.search_span(pass, r, &mut candidates.spans[r]);
        }
        candidates.add(rule, r, window, content, pos);
    }

    /// A context literal is on the line window `line`: the keywords of the rules that need
    /// one, looked for in the part of it not searched yet, are hits of theirs on that window.
    fn look_up(&self, pass: &mut Pass<'_>, candidates: &mut Candidates, line: Text) {
        let Some(lookup) = &self.lookup else { return };
        let content = pass.content;
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
                self.hit(pass, candidates, r, line, pos);
            }
        }
        candidates.looked_up_to = line.end;
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
}

/// Sorts the matches found in one chunk and marks generic matches that overlap specific ones
/// for removal (by emptying their range): a sweep in position order, linear in the matches
/// but for the sort (content holding a million keys holds a million matches).
///
/// A generic block (a `multiline` generic rule: a PEM private key) is the exception: a
/// specific match strictly inside it is a run of the key's base64 body that happens to look
/// like a token (a 64-character PEM line starting `EAAA` is a Square token's shape), so that
/// match gives way to the block instead. A specific match covering the whole block (a service
/// account key file's `private_key`) still wins.
fn finish(rules: &[Rule], matches: &mut [Match]) {
    matches.sort_unstable();
    if matches.iter().all(|m| !rules[m.rule].generic) {
        return;
    }
    let (blocks, block_reach) = spans(matches.iter().filter(|m| rules[m.rule].is_block()));
    if !blocks.is_empty() {
        for m in matches.iter_mut().filter(|m| !rules[m.rule].generic) {
            let before = blocks.partition_point(|&s| s <= m.start);
            if before > 0
                && block_reach[before - 1] >= m.end
                && (blocks[before - 1] < m.start || block_reach[before - 1] > m.end)
            {
                m.end = m.start;
            }
        }
    }
    // The specific matches' starts, in order, and the furthest end among each prefix of them.
    let (starts, reach) =
        spans(matches.iter().filter(|m| !rules[m.rule].generic && m.end > m.start));
    for m in matches.iter_mut().filter(|m| rules[m.rule].generic) {
        // The specific matches starting before this one ends overlap it if one ends after
        // it starts.
        let before = starts.partition_point(|&s| s < m.end);
        if before > 0 && reach[before - 1] > m.start {
            m.end = m.start;
        }
    }
}

/// The starts of `matches` (in position order) and the furthest end among each prefix of them.
fn spans<'a>(matches: impl Iterator<Item = &'a Match>) -> (Vec<usize>, Vec<usize>) {
    let mut starts = Vec::new();
    let mut reach = Vec::new();
    for m in matches {
        starts.push(m.start);
        reach.push(reach.last().map_or(m.end, |&r: &usize| r.max(m.end)));
    }
    (starts, reach)
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
        let limits = Limits { deadline: Some(std::time::Instant::now()) };
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

    /// A token-shaped run inside a PEM block's body is part of the key: the block is
    /// reported, not the token; a specific rule whose match covers the block still wins.
    #[test]
    fn specific_inside_a_generic_block_gives_way() {
        let mut pem =
            rule("t.pem", &["-----begin"], r"-----BEGIN KEY-----[A-Za-z0-9\s]+-----END KEY-----");
        pem.generic = true;
        pem.multiline = true;
        let tok = rule("t.tok", &["tkx"], r"\btkx[a-z0-9]{8}\b");
        let file = rule(
            "t.file",
            &["key_file"],
            r"key_file=(-----BEGIN KEY-----[A-Za-z0-9\s]+-----END KEY-----)",
        );
        let mut file = file;
        file.secret_group = 1;
        file.multiline = true;
        let d = detector(vec![pem, tok, file]);
        let ids = |c: &[u8]| -> Vec<String> {
            d.find_all(c).iter().map(|m| d.rules()[m.rule].id.clone()).collect()
        };
        assert_eq!(
            ids(b"-----BEGIN KEY-----\nAbCdEf\ntkxabcd1234\nXyZ\n-----END KEY-----\n"),
            ["t.pem"]
        );
        assert_eq!(
            ids(b"key_file=-----BEGIN KEY-----\nAbCdEf\nXyZ\n-----END KEY-----"),
            ["t.file"]
        );
        assert_eq!(ids(b"token tkxabcd1234 here"), ["t.tok"]);
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
