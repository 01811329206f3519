//! Regions: the part of the content that the candidate rules of some keyword hits run over
//! (the line holding them, bounded on very long lines), and the candidate rules themselves.
//!
//! The functions here run for every keyword hit, called from [`super::Detector::find`]: they
//! are `#[inline]` so that they inline there as they did when they were one module (a
//! release build splits modules into separate codegen units).

use crate::rules::{Anchor, Rule};

/// How far a line region reaches on each side of a keyword hit on very long lines.
pub const LINE_WINDOW: usize = 4 * 1024;
/// How far past the start of the keyword's line a multi-line rule's window reaches.
pub const MULTILINE_WINDOW: usize = 64 * 1024;

/// Word anchors one rule collects in one span before it is searched whole instead: past this
/// many, anchored searches (each of which may read to the span's end) would cost more than one
/// search over the span.
const MAX_ANCHORS: usize = 8;

/// Part of the content, and whether its edges cut a line (are neither the content's edges nor
/// line ends): a match touching a cut edge may be truncated, and is left to another window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Text {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) cut_start: bool,
    pub(super) cut_end: bool,
}

impl Text {
    /// The window of a multi-line rule for a hit whose line window is `self`: from the line's
    /// start (or the cut), [`MULTILINE_WINDOW`] on.
    #[inline]
    pub(super) fn multiline(self, content: &[u8]) -> Text {
        let end = (self.start + MULTILINE_WINDOW).min(content.len());
        Text { end, cut_end: cut(content, end), ..self }
    }
}

/// Whether `end` cuts a line (is neither the end of the content nor a line end).
#[inline]
pub(super) fn cut(content: &[u8], end: usize) -> bool {
    end < content.len() && !matches!(content[end], b'\n' | b'\r')
}

/// Finds the line window of each keyword hit (its line, bounded to [`LINE_WINDOW`] on each
/// side), for hits coming in increasing order, reading each byte of the content at most about
/// once however dense the hits: what it learnt about the line of one hit serves the next.
///
/// LF, CRLF and a lone CR (old Mac line ends) each end a line; the CR of a CRLF stays in the
/// line, as it always has.
#[derive(Debug, Default)]
pub(super) struct Lines {
    /// No line ends in `from..to`.
    from: usize,
    to: usize,
    /// `from` is a line's start (0, or just past a line end), not a cut.
    from_exact: bool,
    /// `to` is a line end (or the content's end), not a cut.
    to_exact: bool,
}

impl Lines {
    /// Forgets the previous content.
    pub(super) fn reset(&mut self) {
        *self = Lines { from: 0, to: 0, from_exact: true, to_exact: false };
    }

    /// The line window of a hit at `pos`; `pos` is at least the previous call's.
    #[inline]
    pub(super) fn window(&mut self, content: &[u8], pos: usize) -> Text {
        if !(self.from <= pos && pos < self.to) {
            self.find_start(content, pos);
        }
        if !self.to_exact && self.to < pos + LINE_WINDOW {
            self.find_end(content, pos);
        }
        let start = self.from.max(pos.saturating_sub(LINE_WINDOW));
        let end = self.to.min(pos + LINE_WINDOW);
        Text {
            start,
            end,
            cut_start: !(start == self.from && self.from_exact),
            cut_end: !(end == self.to && self.to_exact),
        }
    }

    /// Finds the start of `pos`'s line, `pos` being past what is known: searching back to the
    /// known part at most, and no more than a window.
    #[inline]
    fn find_start(&mut self, content: &[u8], pos: usize) {
        // Past a known line end, the next line starts after it.
        let floor = if self.to_exact { (self.to + 1).min(pos) } else { self.to.min(pos) };
        let lo = pos.saturating_sub(LINE_WINDOW).max(floor);
        match memchr::memrchr2(b'\n', b'\r', &content[lo..pos]) {
            Some(i) => (self.from, self.from_exact) = (lo + i + 1, true),
            // No line end between the known part and `pos`: the same line as before.
            None if lo == floor && !self.to_exact => {}
            None if lo == floor => (self.from, self.from_exact) = (floor, true),
            None => (self.from, self.from_exact) = (lo, lo == 0),
        }
        (self.to, self.to_exact) = (pos, false);
    }

    /// Extends what is known of `pos`'s line forwards to its end, or two windows past `pos`
    /// (so that the hits after it find their end known).
    #[inline]
    fn find_end(&mut self, content: &[u8], pos: usize) {
        let hi = (pos + 2 * LINE_WINDOW).min(content.len());
        let from = self.to;
        match memchr::memchr2(b'\n', b'\r', &content[from..hi]) {
            // A CR before an LF is part of the line; the LF ends it.
            Some(i) if content[from + i] == b'\r' && content.get(from + i + 1) == Some(&b'\n') => {
                (self.to, self.to_exact) = (from + i + 1, true);
            }
            Some(i) => (self.to, self.to_exact) = (from + i, true),
            None => (self.to, self.to_exact) = (hi, hi == content.len()),
        }
    }
}

/// The part of the content one rule's regex will run over: the merged windows of its hits so
/// far, and, for a word-anchored rule, where its words start.
#[derive(Clone, Debug, Default)]
pub(super) struct Span {
    pub(super) text: Option<Text>,
    /// Word starts to run an anchored rule at, in increasing order.
    pub(super) anchors: Vec<usize>,
    /// Too many anchors: search the whole span instead.
    pub(super) dense: bool,
    /// Hits in the span.
    pub(super) hits: usize,
    /// The rule is in [`Candidates::listed`].
    listed: bool,
}

impl Span {
    /// Empties the span once it was searched (keeping its buffer).
    pub(super) fn clear(&mut self) {
        self.text = None;
        self.anchors.clear();
        self.dense = false;
        self.hits = 0;
    }
}

/// The rules to run and where: a [`Span`] per rule, searched once it can grow no more.
#[derive(Debug, Default)]
pub(super) struct Candidates {
    /// One per rule of the detector.
    pub(super) spans: Vec<Span>,
    /// The rules that had a span in this content.
    pub(super) listed: Vec<usize>,
    /// Content-anchored rules to run over the whole content, once.
    pub(super) content: Vec<usize>,
    /// How far the context lookup has searched (see [`super::Detector::find`]).
    pub(super) looked_up_to: usize,
}

impl Candidates {
    /// Makes ready for new content, with one span slot per rule.
    pub(super) fn reset(&mut self, rules: usize, always: &[usize]) {
        if self.spans.len() != rules {
            self.spans.clear();
            self.spans.resize_with(rules, Span::default);
        }
        for r in self.listed.drain(..) {
            self.spans[r].clear();
            self.spans[r].listed = false;
        }
        self.content.clear();
        self.content.extend_from_slice(always);
        self.looked_up_to = 0;
    }

    /// The window of a hit of `rule` whose line window is `line`.
    #[inline]
    pub(super) fn window(rule: &Rule, line: Text, content: &[u8]) -> Text {
        if rule.multiline { line.multiline(content) } else { line }
    }

    /// Adds a hit of rule `r` at `pos` with its [`Candidates::window`]: the window joins the
    /// rule's span, which must be empty or touch it. An anchored rule notes the start of the
    /// hit's word, which does not reach back past the window nor more than 64 bytes.
    #[inline]
    pub(super) fn add(&mut self, rule: &Rule, r: usize, window: Text, content: &[u8], pos: usize) {
        let span = &mut self.spans[r];
        span.hits += 1;
        match &mut span.text {
            Some(t) => {
                debug_assert!(window.start >= t.start, "windows come in order");
                if window.end > t.end {
                    (t.end, t.cut_end) = (window.end, window.cut_end);
                }
            }
            None => {
                span.text = Some(window);
                if !span.listed {
                    span.listed = true;
                    self.listed.push(r);
                }
            }
        }
        if rule.anchor == Anchor::Word && !span.dense {
            let lo = pos.saturating_sub(64).max(window.start);
            let word = content[lo..pos]
                .iter()
                .rposition(|b| !(b.is_ascii_alphanumeric() || b"_.-".contains(b)))
                .map_or(lo, |i| lo + i + 1);
            if span.anchors.last() != Some(&word) {
                if span.anchors.len() == MAX_ANCHORS {
                    span.dense = true;
                    span.anchors.clear();
                } else {
                    span.anchors.push(word);
                }
            }
        }
    }

    /// Adds a content-anchored rule, to run over the whole content.
    #[inline]
    pub(super) fn add_content(&mut self, r: usize) {
        if !self.content.contains(&r) {
            self.content.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::tests::{detector, rule};

    #[test]
    fn only_the_keyword_line_is_searched() {
        let d = detector(vec![rule("t.tok", &["tok_"], r"[0-9]{4}")]);
        // The digits on another line are not in the region of the hit.
        assert!(d.find_all(b"tok_ here\n1234\n").is_empty());
        assert_eq!(d.find_all(b"1234 tok_\n").len(), 1);
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
}
