//! Inline ignore comments: a marker on the line of a finding (or, for detect-secrets' `nextline`
//! pragma, on the line before) keeps it out of the report.

/// Markers that allow every finding on their own line: keysentry's, and those of gitleaks,
/// detect-secrets, TruffleHog and Kingfisher for teams coming from those tools.
pub const LINE_MARKERS: &[&str] = &[
    "keysentry:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
    "kingfisher:ignore",
];

/// detect-secrets' marker that allows the findings of the next line.
pub const NEXT_LINE_MARKER: &str = "pragma: allowlist nextline secret";

/// Whether an inline marker allows the secret at `start..end` of `content`: a line marker on
/// the line where it starts or ends, or the next-line marker on the line before it starts.
pub fn allowed(content: &[u8], start: usize, end: usize) -> bool {
    let (first_start, first_end) = line_bounds(content, start);
    let first = &content[first_start..first_end];
    if has_line_marker(first) {
        return true;
    }
    let (_, last_end) = line_bounds(content, end.saturating_sub(1).max(start));
    if last_end != first_end && has_line_marker(&content[first_end..last_end]) {
        return true;
    }
    if first_start > 0 {
        // The previous line ends with the line end before `first_start`: LF, CRLF or CR.
        let crlf = first_start >= 2 && &content[first_start - 2..first_start] == b"\r\n";
        let (prev_start, prev_end) = line_bounds(content, first_start - 1 - usize::from(crlf));
        let prev = &content[prev_start..prev_end];
        return memchr::memmem::find(prev, NEXT_LINE_MARKER.as_bytes()).is_some();
    }
    false
}

fn has_line_marker(line: &[u8]) -> bool {
    LINE_MARKERS.iter().any(|m| memchr::memmem::find(line, m.as_bytes()).is_some())
}

/// The line holding `pos`: its start and its end (before its line end: LF, CRLF or a lone
/// CR, as in the detector's line numbering).
fn line_bounds(content: &[u8], pos: usize) -> (usize, usize) {
    let pos = pos.min(content.len());
    let start = memchr::memrchr2(b'\n', b'\r', &content[..pos]).map_or(0, |i| i + 1);
    let end = memchr::memchr2(b'\n', b'\r', &content[pos..]).map_or(content.len(), |i| pos + i);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, secret: &str) -> bool {
        let start = text.find(secret).unwrap();
        allowed(text.as_bytes(), start, start + secret.len())
    }

    #[test]
    fn markers() {
        for m in LINE_MARKERS {
            assert!(check(&format!("a\nkey = S3CR3T # {m}\nb\n"), "S3CR3T"), "{m}");
        }
        assert!(!check("a\nkey = S3CR3T\n# keysentry:allow\n", "S3CR3T"));
        assert!(check("x\n# pragma: allowlist nextline secret\nkey = S3CR3T\n", "S3CR3T"));
        assert!(!check("# pragma: allowlist nextline secret\nx\nkey = S3CR3T\n", "S3CR3T"));
        // The next-line pragma does not allow its own line.
        assert!(!check("key = S3CR3T # pragma: allowlist nextline secret\n", "S3CR3T"));
        // A multi-line secret: a marker on its last line counts.
        assert!(check(
            "-----BEGIN\nAAAA\nEND----- keysentry:allow\n",
            "-----BEGIN\nAAAA\nEND-----"
        ));
        assert!(check("key = S3CR3T // keysentry:allow", "S3CR3T"));
    }

    #[test]
    fn issue_12_lone_cr_and_crlf_end_lines() {
        // A lone CR ends a line: a marker on the line before does not allow the next line.
        assert!(!check("a = 1 # keysentry:allow\rkey = S3CR3T\r", "S3CR3T"));
        assert!(check("a\rkey = S3CR3T # keysentry:allow\rb", "S3CR3T"));
        for eol in ["\n", "\r\n", "\r"] {
            let next = format!("x{eol}# pragma: allowlist nextline secret{eol}key = S3CR3T{eol}");
            assert!(check(&next, "S3CR3T"), "{eol:?}");
            let far = format!("# pragma: allowlist nextline secret{eol}x{eol}key = S3CR3T");
            assert!(!check(&far, "S3CR3T"), "{eol:?}");
        }
    }
}
