//! The detector: keyword prefilter, then only the candidate rules' regexes, on the line around
//! each keyword hit.
//!
//! Content is lowercased block by block into a scratch buffer, and a SIMD multi-literal
//! searcher (Teddy, from `aho-corasick`) looks for any keyword in it. Only when a block holds a
//! keyword does the detector look at the line around the hit: one Aho-Corasick automaton over
//! all keywords tells which rules are candidates, and only those rules' regexes run, only over
//! that line (or, for multi-line rules, a bounded window starting there). Lines and columns are
//! computed for findings alone.

mod entropy;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, packed};

pub use entropy::shannon;

use crate::finding::{BlobId, Finding, Fingerprint, Location, Origin, Secret};
use crate::rules::{Rule, RuleSet};

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
    line: Vec<u8>,
    rules: Vec<usize>,
    next: Vec<Cached>,
}

impl Scratch {
    /// Empty scratch space; buffers grow on first use.
    pub fn new() -> Scratch {
        Scratch::default()
    }
}

/// How candidate positions are found in lowercased text.
#[derive(Debug)]
enum Prefilter {
    /// Teddy (SIMD) searchers: one over the four-byte literals, one over shorter ones. Mixing
    /// lengths in one searcher would make every literal use the shorter, weaker fingerprint.
    Packed(Vec<packed::Searcher>),
    /// The keyword automaton itself, where Teddy is not available (no SIMD support on this CPU).
    Automaton,
}

/// The next candidate of one prefilter searcher in the current block, found when searching
/// from `from`. Valid for any later search start up to the candidate itself.
#[derive(Clone, Copy, Debug)]
struct Cached {
    from: usize,
    hit: Option<usize>,
}

const STALE: Cached = Cached { from: usize::MAX, hit: None };

/// Finds secrets in bytes. Pure and `Sync`: it holds compiled rules and nothing else.
#[derive(Debug)]
pub struct Detector {
    rules: Vec<Rule>,
    /// Distinct lowercase keywords.
    keywords: Vec<String>,
    /// For each keyword, the rules that list it.
    keyword_rules: Vec<Vec<usize>>,
    /// Overlapping automaton over the lowercase keywords, run over lowercased lines.
    automaton: AhoCorasick,
    prefilter: Prefilter,
    max_keyword_len: usize,
}

impl Detector {
    /// Builds a detector for a rule set.
    pub fn new(rules: RuleSet) -> Detector {
        let rules = rules.rules().to_vec();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for kw in &rule.keywords {
                match keywords.iter().position(|k| k == kw) {
                    Some(ki) if !keyword_rules[ki].contains(&ri) => keyword_rules[ki].push(ri),
                    Some(_) => {}
                    None => {
                        keywords.push(kw.clone());
                        keyword_rules.push(vec![ri]);
                    }
                }
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&keywords)
            .expect("keyword automaton fits in memory");
        let (long, short): (Vec<_>, Vec<_>) =
            prefilter_literals(&keywords).into_iter().partition(|l| l.len() >= 4);
        let searchers: Option<Vec<packed::Searcher>> = [long, short]
            .into_iter()
            .filter(|lits| !lits.is_empty())
            .map(|lits| {
                // Teddy's own heuristics give up past 64 literals; it still beats the
                // automaton there, so lift the limit rather than fall back.
                packed::Config::new()
                    .heuristic_pattern_limits(lits.len() <= 64)
                    .builder()
                    .extend(&lits)
                    .build()
            })
            .collect();
        let prefilter = searchers.map_or(Prefilter::Automaton, Prefilter::Packed);
        let max_keyword_len = keywords.iter().map(String::len).max().unwrap_or(0);
        Detector { rules, keywords, keyword_rules, automaton, prefilter, max_keyword_len }
    }

    /// The rules, indexed by [`Match::rule`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The distinct lowercase keywords of all rules.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// Whether keyword candidates are found with the SIMD searcher (true on x86-64 with
    /// SSSE3/AVX2 and a modest keyword count) or the automaton alone.
    pub fn uses_simd_prefilter(&self) -> bool {
        matches!(self.prefilter, Prefilter::Packed(_))
    }

    /// Appends to `out` every secret in `content`, sorted by position, each once per rule and
    /// range. A generic rule's secret is dropped when a specific rule found an overlapping one.
    pub fn find(&self, content: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) {
        let first = out.len();
        if self.keywords.is_empty() {
            return;
        }
        let overlap = self.max_keyword_len.saturating_sub(1);
        let mut pos = 0;
        'blocks: while pos < content.len() {
            let block_end = (pos + BLOCK).min(content.len());
            let ext_end = (block_end + overlap).min(content.len());
            lowercase_into(&content[pos..ext_end], &mut scratch.block);
            scratch.next.clear();
            let mut at = 0;
            while let Some(hit) = self.next_candidate(&scratch.block, at, &mut scratch.next) {
                if hit >= block_end - pos {
                    break;
                }
                let line_end = self.scan_line(content, pos + hit, scratch, out);
                if line_end >= block_end {
                    pos = line_end.max(pos + hit + 1);
                    continue 'blocks;
                }
                at = line_end - pos;
            }
            pos = block_end;
        }
        finish(&self.rules, &mut out[first..]);
        let mut tail = out.split_off(first);
        tail.retain(|m| m.end > m.start);
        tail.dedup();
        out.append(&mut tail);
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
        if matches.is_empty() {
            return Vec::new();
        }
        let blob_id = BlobId::of(content);
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

    /// The first position at or after `at` in `block` where a prefilter literal occurs.
    fn next_candidate(&self, block: &[u8], at: usize, next: &mut Vec<Cached>) -> Option<usize> {
        match &self.prefilter {
            Prefilter::Packed(searchers) => {
                if next.len() != searchers.len() {
                    next.clear();
                    next.resize(searchers.len(), STALE);
                }
                let mut best: Option<usize> = None;
                for (s, c) in searchers.iter().zip(next.iter_mut()) {
                    let valid = c.from <= at && c.hit.is_none_or(|h| h >= at);
                    if !valid {
                        let span = aho_corasick::Span::from(at..block.len());
                        *c = Cached { from: at, hit: s.find_in(block, span).map(|m| m.start()) };
                    }
                    best = match (best, c.hit) {
                        (Some(b), Some(h)) => Some(b.min(h)),
                        (b, h) => b.or(h),
                    };
                }
                best
            }
            Prefilter::Automaton => self
                .automaton
                .find(aho_corasick::Input::new(block).range(at..block.len()))
                .map(|m| m.start()),
        }
    }

    /// Runs the candidate rules over the line holding a keyword hit. Returns where the search
    /// for keywords resumes: the end of the line or, on a line cut by [`LINE_WINDOW`], half a
    /// window before the cut, so that a secret straddling the cut is seen whole from the next
    /// keyword's region. Matches touching a cut may be truncated and are left to that region.
    fn scan_line(
        &self,
        content: &[u8],
        hit: usize,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) -> usize {
        let (ls, le) = line_region(content, hit);
        let cut = |end: usize| end < content.len() && content[end] != b'\n';
        let cut_start = ls > 0 && content[ls - 1] != b'\n';
        lowercase_into(&content[ls..le], &mut scratch.line);
        scratch.rules.clear();
        for m in self.automaton.find_overlapping_iter(&scratch.line) {
            for &r in &self.keyword_rules[m.pattern().as_usize()] {
                if !scratch.rules.contains(&r) {
                    scratch.rules.push(r);
                }
            }
        }
        for &ri in &scratch.rules {
            let rule = &self.rules[ri];
            let end = if rule.multiline { (ls + MULTILINE_WINDOW).min(content.len()) } else { le };
            let region = &content[ls..end];
            let cut_end = cut(end);
            for caps in rule.regex.captures_iter(region) {
                let Some(g) = caps.get(rule.secret_group) else { continue };
                let whole = caps.get(0).map_or(0..0, |w| w.range());
                if (cut_start && whole.start == 0) || (cut_end && whole.end == region.len()) {
                    continue;
                }
                let secret = g.as_bytes();
                if secret.is_empty()
                    || rule.entropy.is_some_and(|min| shannon(secret) < min)
                    || rule.allows(secret)
                {
                    continue;
                }
                out.push(Match { start: ls + g.start(), end: ls + g.end(), rule: ri });
            }
        }
        if cut(le) { le - LINE_WINDOW / 2 } else { le }
    }
}

/// The literals the SIMD prefilter looks for: for each keyword, a window of four bytes (or the
/// whole keyword if shorter). Teddy fingerprints only the first bytes of each literal anyway,
/// and fewer literals of equal length keep it on its fastest path. The window is the
/// keyword's start unless that is a weak literal (a run such as `----`, or mostly
/// punctuation), in which case the rarest window is taken. Duplicates, and literals that
/// contain a shorter literal, are dropped: the shorter one finds them.
fn prefilter_literals(keywords: &[String]) -> Vec<Vec<u8>> {
    const WINDOW: usize = 4;
    // Bytes of lowercased source code and prose, most common first; absent bytes are rarer.
    const COMMON: &[u8] =
        b" etaoinsrlcdu_.=:/-(),;\"'mphfgbywvk0123{}[]xjqz456789><*#+@$!%&?|\\`~^";
    let rarity = |b: &u8| COMMON.iter().position(|c| c == b).unwrap_or(COMMON.len());
    // A byte repeated within the window adds nothing: runs are common.
    let score = |w: &[u8]| -> usize {
        w.iter().enumerate().filter(|(i, b)| !w[..*i].contains(b)).map(|(_, b)| rarity(b)).sum()
    };
    let weak = |w: &[u8]| {
        let distinct = w.iter().enumerate().filter(|(i, b)| !w[..*i].contains(b)).count();
        distinct < 3 || w.iter().filter(|b| b.is_ascii_alphanumeric()).count() < 2
    };
    let mut literals: Vec<Vec<u8>> = Vec::new();
    for k in keywords {
        let b = k.as_bytes();
        let lit = match b.get(..WINDOW) {
            None => b,
            Some(prefix) if !weak(prefix) => prefix,
            Some(prefix) => b.windows(WINDOW).max_by_key(|w| score(w)).unwrap_or(prefix),
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

/// The line around `hit`, bounded to [`LINE_WINDOW`] bytes on each side, without its `\n`.
fn line_region(content: &[u8], hit: usize) -> (usize, usize) {
    let lo = hit.saturating_sub(LINE_WINDOW);
    let hi = (hit + LINE_WINDOW).min(content.len());
    let ls = memchr::memrchr(b'\n', &content[lo..hit]).map_or(lo, |i| lo + i + 1);
    let le = memchr::memchr(b'\n', &content[hit..hi]).map_or(hi, |i| hit + i);
    (ls, le)
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
        let seg = &content[self.offset..at];
        let n = memchr::memchr_iter(b'\n', seg).count();
        if n > 0 {
            let last = memchr::memrchr(b'\n', seg).expect("a newline was counted");
            self.line_start = self.offset + last + 1;
        }
        self.line += n;
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
        memchr::memchr(b'\n', &content[m.start..]).map_or(content.len(), |i| m.start + i);
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
    use crate::rules::{RuleSet, RuleSyntax};

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
            ["-----begin", "sg.", "msg.send", "akia", "aws_secret"].map(String::from).to_vec();
        let lits = prefilter_literals(&kws);
        let lits: Vec<&str> = lits.iter().map(|l| std::str::from_utf8(l).unwrap()).collect();
        // "msg.send" contains "sg.": dropped. Dashes are common, "-beg" is not.
        assert_eq!(lits, ["-beg", "sg.", "akia", "aws_"]);
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
}
