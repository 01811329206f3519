//! Searches: one rule's regex over one span of the content, within the regex work allowed
//! (`Budget`), and what the allowance or a deadline cut (`Coverage`).
//!
//! A span is searched once, whole or in overlapping pieces, anchored at its words for
//! word-anchored rules; a match's end is found first, its start and groups only for a match
//! that may be reported (see `docs/rules.md`, "How the detector uses rules").

use std::time::Instant;

use regex_automata::Input;

use super::region::{Span, Text};
use super::{Detector, LINE_WINDOW, MULTILINE_WINDOW, Match, RegexScratch, shannon};
use crate::rules::Anchor;

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
/// A span holding more than one hit per this many bytes is searched without the regex's own
/// literal prefilter.
const DENSE_SPAN: usize = 32;
/// A long span is searched in pieces of this many times the longest match its rule may report.
const PIECE: usize = 8;
/// Regex work between two looks at the clock.
const CLOCK_EVERY: usize = 1 << 20;

/// The regex work of one [`Detector::find`]: spent, allowed, and where it stopped.
#[derive(Debug)]
pub(super) struct Budget {
    pub(super) spent: usize,
    allowed: usize,
    next_clock: usize,
    deadline: Option<Instant>,
    pub(super) cut: Option<(usize, CutReason)>,
}

impl Budget {
    pub(super) fn new(len: usize, limits: Limits) -> Budget {
        Budget {
            spent: 0,
            allowed: len.saturating_mul(REGEX_PASSES).saturating_add(REGEX_SLACK),
            next_clock: CLOCK_EVERY,
            deadline: limits.deadline,
            cut: None,
        }
    }

    /// Notes that detection stopped at `at` (or before).
    pub(super) fn cut(&mut self, at: usize, reason: CutReason) {
        match &mut self.cut {
            Some((first, _)) => *first = (*first).min(at),
            None => self.cut = Some((at, reason)),
        }
    }

    /// Whether the deadline has passed (noting the cut at `at` if so).
    pub(super) fn late(&mut self, at: usize) -> bool {
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

    pub(super) fn coverage(&self) -> Coverage {
        self.cut.map_or(Coverage::Complete, |(at, reason)| Coverage::Cut { at, reason })
    }
}

/// What one find's searches share: the content, the regex caches, the work allowed, and where
/// the matches go.
pub(super) struct Pass<'a> {
    pub(super) content: &'a [u8],
    pub(super) regex: &'a mut RegexScratch,
    pub(super) budget: Budget,
    pub(super) out: &'a mut Vec<Match>,
}

/// One search: a rule's regex over a text, anchored at a word or not, with or without the
/// regex's literal prefilter.
#[derive(Clone, Copy, Debug)]
struct Search {
    rule: usize,
    text: Text,
    anchor: Option<usize>,
    /// The text holds a hit every few bytes: the regex's own prefilter would stop at each.
    dense: bool,
}

impl Detector {
    /// Runs rule `r` over its span, then empties it: over all of it, or, for a word-anchored
    /// rule with few words in it, anchored at each word. Matches touching a cut edge may be
    /// truncated: they are left to another span.
    pub(super) fn search_span(&self, pass: &mut Pass<'_>, r: usize, span: &mut Span) {
        let Some(text) = span.text else { return };
        if self.rules[r].anchor == Anchor::Word && !span.dense {
            for &at in &span.anchors {
                // An anchored match is no longer than a line window's width.
                let end = text.end.min(at + 2 * LINE_WINDOW);
                let text = Text { end, cut_end: text.cut_end || end < text.end, ..text };
                self.search(pass, Search { rule: r, text, anchor: Some(at), dense: false });
            }
        } else {
            let dense = span.hits.saturating_mul(DENSE_SPAN) > text.end - text.start;
            self.search(pass, Search { rule: r, text, anchor: None, dense });
        }
        span.clear();
    }

    /// Runs a content-anchored rule over the whole content.
    pub(super) fn search_content(&self, pass: &mut Pass<'_>, r: usize) {
        let text = Text { start: 0, end: pass.content.len(), cut_start: false, cut_end: false };
        self.search(pass, Search { rule: r, text, anchor: None, dense: false });
    }

    /// Runs a search: every match, or, anchored, only a match starting at the anchor. A long
    /// text is searched in pieces overlapping by more than the longest match the rule may
    /// report, so that no single search (nor the captures of a match) runs over more than a
    /// few windows.
    fn search(&self, pass: &mut Pass<'_>, search: Search) {
        let rule = &self.rules[search.rule];
        // A match longer than the window it could be found in before windows merged is not a
        // secret (a run of keywords, a minified line).
        let longest = match rule.anchor {
            Anchor::Content => usize::MAX,
            _ if rule.multiline => MULTILINE_WINDOW,
            _ => 2 * LINE_WINDOW,
        };
        let piece = longest.saturating_mul(PIECE);
        let text = search.text;
        if search.anchor.is_some() || text.end - text.start <= piece {
            self.search_text(pass, search, longest);
            return;
        }
        let mut start = text.start;
        loop {
            let end = (start + piece).min(text.end);
            let part = Text {
                start,
                end,
                cut_start: start > text.start || text.cut_start,
                cut_end: end < text.end || text.cut_end,
            };
            self.search_text(pass, Search { text: part, ..search }, longest);
            if end == text.end {
                break;
            }
            start = end - longest - 1;
        }
    }

    /// [`Detector::search`] over one text, reporting matches no longer than `longest`.
    fn search_text(&self, pass: &mut Pass<'_>, search: Search, longest: usize) {
        let Search { rule: ri, text, anchor, dense } = search;
        if !pass.budget.spend(text.end - anchor.unwrap_or(text.start), text.start) {
            return;
        }
        let rule = &self.rules[ri];
        let hay = &pass.content[text.start..text.end];
        let scratch = &mut *pass.regex;
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
            pass.out.push(Match { start: text.start + gs, end: text.start + ge, rule: ri });
            if anchor.is_some() || input.start() > hay.len() {
                break;
            }
        }
    }
}
