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

/// The part of the content that the candidate rules of some keyword hits run over: the line
/// holding them, bounded to [`LINE_WINDOW`] on each side of the first hit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Region {
    pub(super) start: usize,
    pub(super) end: usize,
    /// The start is not a line start: the window cut the line there.
    pub(super) cut_start: bool,
    /// The end is not a line end: the window cut the line there.
    pub(super) cut_end: bool,
}

impl Region {
    #[inline]
    pub(super) fn around(content: &[u8], hit: usize) -> Region {
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
    #[inline]
    pub(super) fn covers(&self, hit: usize) -> bool {
        hit >= self.start && hit < self.end && (!self.cut_end || hit + LINE_WINDOW / 2 <= self.end)
    }
}

/// Whether `end` cuts a line (is neither the end of the content nor a line end).
#[inline]
pub(super) fn cut(content: &[u8], end: usize) -> bool {
    end < content.len() && !matches!(content[end], b'\n' | b'\r')
}

/// The part of the content one rule's regex runs over, and whether its edges cut a line.
#[derive(Clone, Copy, Debug)]
pub(super) struct Text {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) cut_start: bool,
    pub(super) cut_end: bool,
}

/// The rules to run over the current region: over all of it, or anchored at word starts.
#[derive(Debug, Default)]
pub(super) struct Candidates {
    pub(super) rules: Vec<usize>,
    pub(super) anchors: Vec<(usize, usize)>,
    /// Content-anchored rules to run over the whole content, once.
    pub(super) content: Vec<usize>,
    /// A context literal was hit: look for the keywords of the rules that need one.
    pub(super) lookup: bool,
}

impl Candidates {
    /// Adds the rules of a keyword hit at `pos`; anchored rules start at the hit's word, which
    /// does not reach back past `floor` (the region's start) nor more than 64 bytes.
    #[inline]
    pub(super) fn add(
        &mut self,
        rules: &[Rule],
        owners: &[usize],
        content: &[u8],
        pos: usize,
        floor: usize,
    ) {
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
