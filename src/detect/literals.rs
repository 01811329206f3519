//! String literals joined (issue 16): a secret written as code is often split into literals
//! that the language joins — C's and Python's adjacent literals, `+` in Java, JavaScript, Go
//! and C#, `.` in PHP, `..` in Lua, `&` in Visual Basic, a shell's adjacent quotes, a
//! JavaScript `["AK", "IA…"].join("")` — and a PEM key in a C, Go or Java test is one quoted
//! line after another, each ending in `\n`. This pass finds such sequences and makes the
//! substitutions that join them: the quotes and operators between two literals removed, `\n`
//! and `\r` escapes inside them made line ends, and backslash-newline continuations inside a
//! literal removed. `decode` builds the view.
//!
//! The scan is one pass over the quotes of the content: at each opening quote the literal is
//! read to its closing quote on the same line (or across a backslash-newline), and what follows
//! it decides whether another literal is joined to it. Nothing is allocated unless a sequence
//! of two literals or more (or a PEM block in one literal) is found.

use std::ops::Range;

use super::decode::Subs;
use super::view::{Chain, Code};

/// The longest literal read: longer ones are not joined (a PEM line is 64 characters; a
/// JavaScript template literal may hold a whole PEM block).
const MAX_LITERAL: usize = 16 * 1024;
/// The most line ends between two joined literals (a blank line or a comment line between
/// them ends the sequence).
const MAX_JOIN_LINES: usize = 1;

/// How two literals are joined.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Join {
    /// By an operator, adjacency or a line end.
    Joined,
    /// By a comma: an element of an array, joined only by a `.join("")` after it.
    Comma,
}

/// The substitutions that join the literal sequences of `content`; with `near`, only of the
/// sequences that start on the line of one of those positions (keyword hits) or the line
/// before it: a split secret keeps its rule's keyword (`"AKIA" + "…"`, `"-----BEGIN …"`,
/// `password = "…" "…"`), and the quotes of the rest of the content are not looked at.
pub(super) fn subs(content: &[u8], near: Option<&[usize]>, subs: &mut Subs) {
    let Some(near) = near else {
        sequences(content, 0, content.len(), subs);
        return;
    };
    let line_start = |p: usize| memchr::memrchr(b'\n', &content[..p]).map_or(0, |i| i + 1);
    let mut done = 0;
    for &p in near {
        if p < done || p >= content.len() {
            continue;
        }
        let line = line_start(p);
        let from = line_start(line.saturating_sub(1)).max(done);
        let until = memchr::memchr(b'\n', &content[p..]).map_or(content.len(), |i| p + i);
        done = sequences(content, from, until, subs).max(until);
    }
}

/// The substitutions that join the literal sequences starting in `content[from..until]`;
/// returns where the last one ended.
fn sequences(content: &[u8], from: usize, until: usize, subs: &mut Subs) -> usize {
    let mut at = from;
    // (open, close) of each literal of the sequence at hand, and how each is joined to the
    // one before it.
    let mut lits: Vec<(usize, usize)> = Vec::new();
    let mut joins: Vec<Join> = Vec::new();
    while let Some(i) = memchr::memchr3(b'"', b'\'', b'`', &content[at..until.max(at)]) {
        let open = at + i;
        let Some(close) = close_of(content, open) else {
            at = open + 1;
            continue;
        };
        let in_array = before_is(content, open, b'[');
        let first = join_after(content, close + 1, in_array);
        if first.is_none() {
            // One literal: joined only if it holds a PEM block (allocation-free otherwise).
            emit(content, &[(open, close)], subs);
            at = close + 1;
            continue;
        }
        lits.clear();
        joins.clear();
        lits.push((open, close));
        let mut last = close;
        let mut next_join = first;
        while let Some((next, join)) = next_join.take() {
            let Some(c) = close_of(content, next) else { break };
            lits.push((next, c));
            joins.push(join);
            last = c;
            next_join = join_after(content, last + 1, in_array);
        }
        if joins.contains(&Join::Comma) && !array_joined(content, last + 1) {
            // Array elements not joined: only the sequences between commas count.
            let mut start = 0;
            for k in 0..=joins.len() {
                if k == joins.len() || joins[k] == Join::Comma {
                    emit(content, &lits[start..=k], subs);
                    start = k + 1;
                }
            }
        } else {
            emit(content, &lits, subs);
        }
        at = last + 1;
    }
    at
}

/// The substitutions that join `lits`: for two literals or more, or one literal holding a PEM
/// block written with `\n` escapes.
fn emit(content: &[u8], lits: &[(usize, usize)], subs: &mut Subs) {
    let chain = Chain::of(Code::Concat);
    let inner = |&(open, close): &(usize, usize)| &content[open + 1..close];
    if lits.len() < 2 {
        let Some(lit) = lits.first() else { return };
        let inner = inner(lit);
        if !has_pem(inner) || memchr::memmem::find(inner, b"\\n").is_none() {
            return;
        }
    } else if !lits.iter().any(|l| has_pem(inner(l))) && !joins_a_token(lits.iter().map(inner)) {
        return;
    }
    for (k, &(open, close)) in lits.iter().enumerate() {
        escapes(content, open + 1..close, subs);
        if let Some(&(next, _)) = lits.get(k + 1) {
            // The closing quote, what joins, and the next literal's prefix and opening quote.
            subs.push(close..next + 1, b"", chain);
        }
    }
}

/// The shortest run of token characters (base64's, `_`, `-`) across the joins of a sequence
/// for it to be joined: a key id is 20, a token longer; `"kernel32.dll" "system"` or a SQL
/// statement written over several literals have none that long.
const MIN_JOINED_TOKEN: usize = 16;

/// Whether literals joined make a run of [`MIN_JOINED_TOKEN`] token characters that crosses
/// a join: a secret split in two, not words or statements.
fn joins_a_token<'a>(lits: impl Iterator<Item = &'a [u8]>) -> bool {
    let token = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-');
    // The run of token characters at the end of the text joined so far.
    let mut tail: Option<usize> = None;
    for lit in lits {
        let lead = lit.iter().take_while(|b| token(b)).count();
        if let Some(t) = tail
            && t > 0
            && lead > 0
            && t + lead >= MIN_JOINED_TOKEN
        {
            return true;
        }
        let trail = lit.iter().rev().take_while(|b| token(b)).count();
        tail = Some(if trail == lit.len() { tail.unwrap_or(0) + trail } else { trail });
    }
    false
}

/// Whether a literal holds the start of a PEM block.
fn has_pem(inner: &[u8]) -> bool {
    memchr::memchr(b'-', inner).is_some() && memchr::memmem::find(inner, b"-----BEGIN").is_some()
}

/// Line-end escapes and continuations inside a joined literal.
fn escapes(content: &[u8], inner: Range<usize>, subs: &mut Subs) {
    let chain = Chain::of(Code::Concat);
    let mut j = inner.start;
    while let Some(i) = memchr::memchr(b'\\', &content[j..inner.end]) {
        let p = j + i;
        match content.get(p + 1) {
            Some(b'n') => subs.push(p..p + 2, b"\n", chain),
            Some(b'r') => subs.push(p..p + 2, b"", chain),
            Some(b'\n') => subs.push(p..p + 2, b"", chain),
            Some(b'\r') if content.get(p + 2) == Some(&b'\n') => subs.push(p..p + 3, b"", chain),
            _ => {}
        }
        j = p + 2;
        if j >= inner.end {
            break;
        }
    }
}

/// The closing quote of the literal opened at `open`: on the same line, or further across
/// backslash-newline continuations (and, for a JavaScript template literal, line ends).
fn close_of(content: &[u8], open: usize) -> Option<usize> {
    let q = content[open];
    let limit = content.len().min(open + 1 + MAX_LITERAL);
    let mut j = open + 1;
    while j < limit {
        let i = memchr::memchr3(q, b'\\', b'\n', &content[j..limit])?;
        let p = j + i;
        match content[p] {
            b'\\' => j = p + 2,
            b'\n' if q == b'`' => j = p + 1,
            b'\n' => return None,
            _ => return Some(p),
        }
    }
    None
}

/// Whether the byte before `at`, spaces and tabs skipped, is `b`.
fn before_is(content: &[u8], at: usize, b: u8) -> bool {
    content[..at].iter().rev().find(|&&c| c != b' ' && c != b'\t') == Some(&b)
}

/// If a literal is joined to the one that ended just before `at`: where it opens, and how.
fn join_after(content: &[u8], at: usize, in_array: bool) -> Option<(usize, Join)> {
    let mut j = skip_blanks(content, at);
    let mut join = Join::Joined;
    match content.get(j)? {
        // `std::string("…") + "…"`
        b')' if content.get(skip_blanks(content, j + 1)) == Some(&b'+') => {
            j = skip_blanks(content, j + 1) + 1;
        }
        b'+' | b'&' => j += 1,
        b'.' if content.get(j + 1) == Some(&b'.') => j += 2,
        b'.' => j += 1,
        b',' if in_array => {
            j += 1;
            join = Join::Comma;
        }
        _ => {}
    }
    // Blanks, at most one line end, backslash-newline continuations.
    let mut lines = 0;
    loop {
        j = skip_blanks(content, j);
        match content.get(j)? {
            b'\r' => j += 1,
            b'\n' if lines < MAX_JOIN_LINES => {
                lines += 1;
                j += 1;
            }
            b'\\' if matches!(content.get(j + 1), Some(b'\n' | b'\r')) => j += 1,
            _ => break,
        }
    }
    // A prefix: b"…", r'…', L"…", u8"…", f"…", @"…", $"…".
    let prefix = content[j..]
        .iter()
        .take(2)
        .take_while(|c| {
            matches!(
                c,
                b'b' | b'B' | b'r' | b'R' | b'u' | b'U' | b'f' | b'F' | b'L' | b'8' | b'@' | b'$'
            )
        })
        .count();
    let q = *content.get(j + prefix)?;
    if !matches!(q, b'"' | b'\'' | b'`') {
        return None;
    }
    // A prefix must start a token: `x"…"` after a literal is not one.
    if prefix > 0 && j > 0 && content[j - 1].is_ascii_alphanumeric() {
        return None;
    }
    Some((j + prefix, join))
}

fn skip_blanks(content: &[u8], mut j: usize) -> usize {
    while matches!(content.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    j
}

/// Whether `].join("")` (or `''`, or with blanks) follows `at`.
fn array_joined(content: &[u8], at: usize) -> bool {
    let j = skip_blanks(content, at);
    let rest = &content[j.min(content.len())..];
    let Some(rest) = rest.strip_prefix(b"]") else { return false };
    let rest = &rest[skip_blanks(rest, 0)..];
    let Some(rest) = rest.strip_prefix(b".join(") else { return false };
    rest.starts_with(b"\"\")") || rest.starts_with(b"'')") || rest.starts_with(b"``)")
}

#[cfg(test)]
mod tests {
    use crate::detect::decode::views;

    fn joined(content: &str) -> Vec<String> {
        let mut out = Vec::new();
        views(content.as_bytes(), &mut out);
        out.iter()
            .filter(|v| v.encoding == "concatenation")
            .map(|v| String::from_utf8_lossy(&v.bytes).into_owned())
            .collect()
    }

    #[test]
    fn languages_join_their_literals() {
        for (code, want) in [
            ("const char *k = \"ABCD\" \"QWERTYUIOPASDFGH\";", "\"ABCDQWERTYUIOPASDFGH\""),
            ("k = (\"ABCD\"\n     \"QWERTYUIOPASDFGH\")", "(\"ABCDQWERTYUIOPASDFGH\")"),
            ("const k = 'ABCD' + 'QWERTYUIOPASDFGH';", "'ABCDQWERTYUIOPASDFGH'"),
            ("String k = \"ABCD\" +\n    \"QWERTYUIOPASDFGH\";", "\"ABCDQWERTYUIOPASDFGH\""),
            ("k = std::string(\"ABCD\") + \"QWERTYUIOPASDFGH\";", "(\"ABCDQWERTYUIOPASDFGH\";"),
            ("$k = 'ABCD' . 'QWERTYUIOPASDFGH';", "'ABCDQWERTYUIOPASDFGH'"),
            ("local k = \"ABCD\" .. \"QWERTYUIOPASDFGH\"", "\"ABCDQWERTYUIOPASDFGH\""),
            ("export K=\"ABCD\"'QWERTYUIOPASDFGH'", "\"ABCDQWERTYUIOPASDFGH'"),
            ("k = b\"ABCD\" b\"QWERTYUIOPASDFGH\"", "b\"ABCDQWERTYUIOPASDFGH\""),
            (
                "const k = [\"AB\", \"CD\", \"QWERTYUIOPASDFGH\"].join(\"\");",
                "[\"ABCDQWERTYUIOPASDFGH\"].join",
            ),
        ] {
            let v = joined(code);
            assert!(v.iter().any(|t| t.contains(want)), "{code:?} gave {v:?}");
        }
    }

    #[test]
    fn pem_as_quoted_lines_becomes_a_block() {
        let code = "static const char kKey[] =\n    \"-----BEGIN PRIVATE KEY-----\\n\"\n    \
                    \"MIIBVQIBADANBgkqhkiG9w0BAQEFAASC\\n\"\n    \"-----END PRIVATE KEY-----\\n\";\n";
        let v = joined(code);
        assert!(
            v[0].contains("\"-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n\";"),
            "{v:?}"
        );
        // One string with `\n` escapes; a C string continued with backslash-newline.
        let v = joined(
            "KEY = \"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----\\n\"\n",
        );
        assert!(v[0].contains("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END"), "{v:?}");
        let v = joined("k = \"\\\n-----BEGIN EC PRIVATE KEY-----\\n\\\nMHcCAQEE\\n\\\n\";\n");
        assert!(v[0].contains("\"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n\";"), "{v:?}");
    }

    #[test]
    fn what_is_not_joined() {
        for code in [
            "{\"key\": \"value\", \"other\": \"x\"}",
            "f(\"a\", \"b\")",
            "x = [\"a\", \"b\"]",
            "s = \"abc\".length + 'x'y",
            "it's a \"quote\" and don't",
            "a = \"one\"\n\n\"two\"",
            "s = \"no -----BEGIN here\"",
            "windows_link::link!(\"kernel32.dll\" \"system\" fn F());",
            "sql = \"SELECT id, password_hash FROM users \" +\n    \"WHERE name = ?\"",
            "label = 'pass' + 'word'",
        ] {
            assert!(joined(code).is_empty(), "{code:?} gave {:?}", joined(code));
        }
    }

    #[test]
    fn hostile_literals_do_not_panic() {
        for code in ["\"", "\"\\", "'a' +", "\"a\" \\", "[\"a\", \"b\"].join(", "`\n\n`", "\"a\"\r"]
        {
            let _ = joined(code);
        }
        let long = format!("\"{}\" \"b\"", "a".repeat(40_000));
        let _ = joined(&long);
    }
}
