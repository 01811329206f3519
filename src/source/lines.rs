//! Sets of line numbers (the lines a change added) and line ends.

/// A set of 1-based line numbers, as sorted, disjoint, inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineSet {
    ranges: Vec<(usize, usize)>,
}

impl LineSet {
    /// An empty set.
    pub fn new() -> LineSet {
        LineSet::default()
    }

    /// Adds one line. Lines must be added in increasing order; neighbours merge.
    pub fn push(&mut self, line: usize) {
        match self.ranges.last_mut() {
            Some((_, end)) if *end + 1 >= line => *end = (*end).max(line),
            _ => self.ranges.push((line, line)),
        }
    }

    /// Keeps only the lines also in `other`.
    pub fn intersect(&mut self, other: &LineSet) {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a, b) = (self.ranges[i], other.ranges[j]);
            let (start, end) = (a.0.max(b.0), a.1.min(b.1));
            if start <= end {
                out.push((start, end));
            }
            if a.1 < b.1 { i += 1 } else { j += 1 }
        }
        self.ranges = out;
    }

    /// Whether any line from `first` to `last` (inclusive) is in the set.
    pub fn touches(&self, first: usize, last: usize) -> bool {
        // The first range that ends at or after `first`.
        let i = self.ranges.partition_point(|&(_, end)| end < first);
        self.ranges.get(i).is_some_and(|&(start, _)| start <= last)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The set of lines as keysentry numbers them in `content` (LF, CRLF and a lone CR each
    /// end a line) from the set as git numbers them (only LF ends a line): every line inside
    /// a git line of the set is in the result. A CR-only file is one line to git, so a change
    /// anywhere in it marks all of its lines as added, and a key on a changed line is found.
    pub fn renumber(&self, content: &[u8]) -> LineSet {
        let mut out = LineSet::new();
        let (mut git_line, mut line) = (1, 1);
        for (i, &b) in content.iter().enumerate() {
            let ends = b == b'\n' || (b == b'\r' && content.get(i + 1) != Some(&b'\n'));
            if self.touches(git_line, git_line) {
                out.push(line);
            }
            if ends {
                line += 1;
                if b == b'\n' {
                    git_line += 1;
                }
            }
        }
        if self.touches(git_line, git_line) {
            out.push(line);
        }
        out
    }
}

/// Whether `content` has a CR that is not followed by LF (an old Mac line end).
pub(crate) fn has_lone_cr(content: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', content).any(|i| content.get(i + 1) != Some(&b'\n'))
}

/// Where the line after the one holding `pos` starts: past its line end (LF, CRLF or a lone
/// CR), or the end of the content.
pub fn next_line_start(content: &[u8], pos: usize) -> usize {
    match memchr::memchr2(b'\n', b'\r', &content[pos.min(content.len())..]) {
        None => content.len(),
        Some(i) => {
            let at = pos + i;
            if content[at] == b'\r' && content.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_sets() {
        let mut s = super::LineSet::new();
        for l in [2, 3, 4, 9, 10, 20] {
            s.push(l);
        }
        assert!(!s.touches(1, 1));
        assert!(s.touches(1, 2));
        assert!(s.touches(4, 8));
        assert!(!s.touches(5, 8));
        assert!(s.touches(10, 10));
        assert!(s.touches(11, 25));
        assert!(!s.touches(21, 30));
        let mut other = super::LineSet::new();
        for l in [3, 10, 11, 12] {
            other.push(l);
        }
        s.intersect(&other);
        assert!(s.touches(3, 3) && s.touches(10, 10));
        assert!(!s.touches(4, 9) && !s.touches(11, 30) && !s.touches(1, 2));
    }

    #[test]
    fn issue_12_lone_cr_renumbering() {
        let mut git = super::LineSet::new();
        git.push(3);
        // Git's line 3 is `c\rd\re`: keysentry's lines 3 to 5.
        let s = git.renumber(b"a\r\nb\nc\rd\re\nf");
        assert!(!s.touches(1, 2) && s.touches(3, 3) && s.touches(5, 5) && !s.touches(6, 6));
        assert!(super::has_lone_cr(b"a\rb") && !super::has_lone_cr(b"a\r\nb"));
    }
}
