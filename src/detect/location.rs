//! Locations: turning matches into findings, with lines, columns, the line's text and the
//! content's blob id, computed for findings alone.

use super::{Detector, Match, View, shannon};
use crate::finding::{BlobId, Finding, Fingerprint, Location, Origin, Secret};

/// Moves a finding made in `view` (its location is in the view's bytes) to where its text
/// stands in `content`: the location, the line and its redaction ranges become the encoded
/// text's, the lines of paired AWS values the original's, and `encoding` says how the secret
/// was written. The secret, its fingerprint and entropy stay the decoded text's, so a secret
/// found encoded in one place and plain in another is one secret. `others` are matches in
/// `content` whose text a report must hide on the same line.
pub fn relocate(finding: &mut Finding, view: &View, content: &[u8], others: &[Match]) {
    let loc = finding.location;
    let range = loc.byte_start..loc.byte_end;
    let orig = view.original(range.clone());
    let chain = view.encoding_of(range);
    finding.encoding = (!chain.is_empty()).then(|| chain.to_string());
    let m = Match { start: orig.start, end: orig.end, rule: usize::MAX };
    let (location, line_start) = LineCounter::default().locate(content, &m);
    finding.location = location;
    let mut all: Vec<Match> = others.to_vec();
    all.push(m);
    let (text, range, other) = line_text(content, line_start, &m, &all);
    finding.line_text = text;
    finding.line_secret_range = range;
    finding.line_other_secrets = other;
    if let Some(aws) = finding.aws.as_mut() {
        for paired in [aws.paired_secret.as_mut(), aws.session_token.as_mut()].into_iter().flatten()
        {
            let plain = paired.encoding == crate::finding::aws::Encoding::Plain;
            let text = plain.then(|| paired.value.expose().as_bytes());
            paired.line = original_line(view, content, paired.line, text);
        }
    }
}

/// How far past the start of its view line's origin a paired value written as it is may be:
/// a view line can stand for several lines of the content (an XML property read as one).
const PAIRED_REACH: usize = 4 * 1024;

/// The line of `content` where line `line` (1-based) of `view` came from: where `text` (the
/// value on that line, when written as it is) stands, else where the view line starts.
fn original_line(view: &View, content: &[u8], line: usize, text: Option<&[u8]>) -> usize {
    let start = if line <= 1 {
        0
    } else {
        match memchr::memchr_iter(b'\n', &view.bytes).nth(line - 2) {
            Some(i) => i + 1,
            None => return line,
        }
    };
    let at = view.original(start..start + 1).start.min(content.len());
    let reach = &content[at..(at + PAIRED_REACH).min(content.len())];
    let at = text
        .filter(|t| !t.is_empty())
        .and_then(|t| memchr::memmem::find(reach, t))
        .map_or(at, |i| at + i);
    LineCounter::default().position(content, at).0
}

impl Detector {
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
                let (location, line_start) = lines.locate(content, m);
                let secret = Secret::new(String::from_utf8_lossy(&content[m.start..m.end]));
                let (line_text, line_secret_range, line_other_secrets) =
                    line_text(content, line_start, m, matches);
                Finding {
                    rule_id: rule.id.clone(),
                    description: rule.description.clone(),
                    severity: rule.severity,
                    origin: origin.clone(),
                    location,
                    fingerprint: Fingerprint::new(&rule.id, &secret),
                    entropy: shannon(&content[m.start..m.end]),
                    secret,
                    blob_id,
                    line_text,
                    line_secret_range,
                    line_other_secrets,
                    encoding: None,
                    aws: None,
                }
            })
            .collect()
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
    /// The location of `m` in `content` (offsets increasing from one call to the next), and
    /// the offset where its first line starts.
    fn locate(&mut self, content: &[u8], m: &Match) -> (Location, usize) {
        let (line, line_start) = self.position(content, m.start);
        let (end_line, end_line_start) = self.peek(content, m.end.max(m.start + 1) - 1);
        let location = Location {
            line,
            column: m.start - line_start + 1,
            end_line,
            end_column: m.end - end_line_start + 1,
            byte_start: m.start,
            byte_end: m.end,
        };
        (location, line_start)
    }

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
    use crate::detect::tests::{detector, rule};

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
}
