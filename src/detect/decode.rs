//! Decoded views (issue 16): where a cheap gate finds text that people encode — a base64
//! value, JSON or JavaScript escapes, percent-encoding — the text is decoded in place, with a
//! few lines of context copied around it, into a [`View`] that every rule then scans. A
//! finding made in a view is reported where the encoded text stands.
//!
//! The gates cost a few instructions per byte of content without encoded text:
//! - base64: runs of at least [`MIN_BASE64`] base64 characters, found 64 bytes at a time in
//!   bit masks (vectorized), with upper and lower case letters, of one alphabet, whose first
//!   bytes decode to text;
//! - escapes: `memchr` for `\` and `%`, and a line counts only if it holds an escape that
//!   code rarely writes for no reason (`\u002B`, `\x41`, `\/`, `%2F`), not `\n` or `%s`.
//!
//! Views nest ([`MAX_DEPTH`]): a base64 value inside a base64 value, a base64 command inside a
//! UTF-16 script, escapes inside a decoded JSON document. A nested view decodes only what lies
//! in its parent's decoded text, and all the views of one content together hold at most
//! [`MAX_VIEW_RATIO`] times its size, so the work stays linear.

use std::ops::Range;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

use super::simd;
use super::view::{Chain, Code, Piece, View};

/// The shortest base64 run decoded: 18 bytes of text (an AWS key id encodes to 28).
pub const MIN_BASE64: usize = 24;
/// Lines of context copied on each side of decoded text, so that rules needing a keyword or a
/// neighbour (a key id for its secret) see them.
pub const CONTEXT_LINES: usize = 4;
/// How deep views nest.
pub const MAX_DEPTH: u8 = 3;
/// All views of one content hold at most this many times its bytes (plus [`VIEW_SLACK`]).
pub const MAX_VIEW_RATIO: usize = 2;
/// Bytes of views allowed beyond [`MAX_VIEW_RATIO`] times the content, for small contents.
pub const VIEW_SLACK: usize = 64 * 1024;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// Replacements of original ranges by decoded bytes, in order, not overlapping.
#[derive(Default)]
pub(super) struct Subs {
    /// Original range, range in `bytes`, how it was decoded.
    list: Vec<(Range<usize>, Range<usize>, Chain)>,
    bytes: Vec<u8>,
}

impl Subs {
    pub(super) fn push(&mut self, original: Range<usize>, decoded: &[u8], code: Chain) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(decoded);
        self.list.push((original, at..self.bytes.len(), code));
    }
}

/// The decoded views of `content`, nested ones included, appended to `out`. Nothing is
/// allocated when no gate fires.
pub fn views(content: &[u8], out: &mut Vec<View>) {
    views_near(content, None, out);
}

/// [`views`], with string literals joined only near `keyword_positions` (the content's keyword
/// hits, [`Scratch::keyword_positions`](super::Scratch::keyword_positions)) when given.
pub fn views_near(content: &[u8], keyword_positions: Option<&[usize]>, out: &mut Vec<View>) {
    let first = out.len();
    level(content, None, keyword_positions, out);
    if out.len() == first {
        return;
    }
    let budget = content.len().saturating_mul(MAX_VIEW_RATIO).saturating_add(VIEW_SLACK);
    let mut used: usize = out[first..].iter().map(|v| v.bytes.len()).sum();
    let mut i = first;
    let mut children = Vec::new();
    while i < out.len() {
        if out[i].depth() < MAX_DEPTH && used < budget {
            level(&out[i].bytes, Some(&out[i]), None, &mut children);
            for child in children.drain(..) {
                used = used.saturating_add(child.bytes.len());
                if used > budget {
                    break;
                }
                let nested = out[i].nested(child);
                out.push(nested);
            }
            children.clear();
        }
        i += 1;
    }
}

/// A decoder's gate: the substitutions it makes in some bytes.
type Gate<'a> = dyn Fn(&[u8], &mut Subs) + 'a;

/// One decoding pass over `bytes` (the content, or the bytes of `parent`): a base64 view, an
/// escapes view, a view of joined string literals (`literals`) and one of fields written
/// apart (`fields`), the last two near `near` when given, each when its gate fires. In a
/// parent view, only what lies in its decoded pieces is decoded again (its copied context was
/// decoded at the level above).
fn level(bytes: &[u8], parent: Option<&View>, near: Option<&[usize]>, out: &mut Vec<View>) {
    let in_decoded = |r: &Range<usize>| parent.is_none_or(|p| !p.encoding_of(r.clone()).is_empty());
    let literals = |bytes: &[u8], subs: &mut Subs| super::literals::subs(bytes, near, subs);
    let fields = |bytes: &[u8], subs: &mut Subs| super::fields::subs(bytes, near, subs);
    let gates: [(&str, &Gate<'_>); 4] = [
        ("base64", &base64_subs),
        ("escape", &escape_subs),
        ("concatenation", &literals),
        ("structure", &fields),
    ];
    for (label, gate) in gates {
        let mut subs = Subs::default();
        gate(bytes, &mut subs);
        subs.list.retain(|(r, _, _)| in_decoded(r));
        if !subs.list.is_empty() {
            out.push(build(bytes, &subs, label));
        }
    }
}

/// Bytes looked at together by the base64 gate.
const CHUNK: usize = simd::MASK_BYTES;
/// Chunks whose masks are made at a time.
const MASKS_AT_ONCE: usize = 32;

/// Bit `i` set when bits `i..i + MIN_BASE64` of `w` are all set (runs shrunk by doubling).
#[inline]
fn run_starts(w: u128) -> u128 {
    let mut x = w & (w >> 1); // runs of 2
    x &= x >> 2; // 4
    x &= x >> 4; // 8
    x &= x >> 8; // 16
    x & (x >> 8) // 24
}

/// Bit `i` set when any of bits `i..i + MIN_BASE64` of `w` is set (spans grown by doubling).
#[inline]
fn any_within(w: u128) -> u128 {
    let mut x = w | (w >> 1);
    x |= x >> 2;
    x |= x >> 4;
    x |= x >> 8;
    x | (x >> 8)
}

/// Base64 runs that decode to text. The gate: 64-bit masks of base64 characters and of upper
/// and lower case letters per chunk (`simd::base64_masks`), and in the masks of two chunks, the
/// positions where [`MIN_BASE64`] base64 characters hold both cases of letters. Most long runs
/// in code are identifiers in one case (`GIT_ASSERT_ARG_WITH_RETVAL`,
/// `git_vector_insert_sorted`) and never get past the masks; content with no such run costs a
/// few vector instructions per 32 bytes. Each run found is then decoded (or rejected) byte by
/// byte.
fn base64_subs(content: &[u8], subs: &mut Subs) {
    const _: () = assert!(MIN_BASE64 == 24 && CHUNK == 64);
    let n = content.len();
    let mut decoded = Vec::new();
    // Runs are looked for in the previous chunk, with the current one to finish them.
    let mut prev = simd::ChunkMasks::default();
    // Content before this offset is done with.
    let mut resume = 0;
    // The masks of the next chunks, `count` of them made (none past the end).
    let mut masks = [simd::ChunkMasks::default(); MASKS_AT_ONCE];
    let mut count = 0;
    let mut c = 0;
    while c < n + CHUNK {
        let k = (c / CHUNK) % MASKS_AT_ONCE;
        if k == 0 {
            let rest = content.get(c..).unwrap_or_default();
            count = rest.len().div_ceil(CHUNK).min(MASKS_AT_ONCE);
            simd::base64_masks(rest, &mut masks[..count]);
        }
        let mask = if k < count { masks[k] } else { simd::ChunkMasks::default() };
        let two = |a: u64, b: u64| u128::from(a) | u128::from(b) << 64;
        let w = two(prev.base64, mask.base64);
        let mut starts = run_starts(w) as u64;
        if starts != 0 {
            let upper = any_within(two(prev.upper, mask.upper));
            starts &= (upper & any_within(two(prev.lower, mask.lower))) as u64;
        }
        // Offset of bit 0 of `w` (a start needs the previous chunk: there is none at 0).
        let base = c.saturating_sub(CHUNK);
        let skip_to = |starts: &mut u64, resume: usize| {
            let skip = resume.saturating_sub(base);
            *starts = if skip >= 64 { 0 } else { *starts & (u64::MAX << skip) };
        };
        skip_to(&mut starts, resume);
        while starts != 0 {
            let j = starts.trailing_zeros() as usize;
            // The run holding this stretch of both cases starts here or before, after what was
            // done with; its end, from the mask, and past the two chunks byte by byte.
            let mut s = base + j;
            while s > resume && simd::is_base64(content[s - 1]) {
                s -= 1;
            }
            let ones = (!(w >> j)).trailing_zeros() as usize;
            let mut e = (base + j + ones).min(n);
            if j + ones >= 128 {
                while e < n && simd::is_base64(content[e]) {
                    e += 1;
                }
            }
            let mut end = e;
            decoded.clear();
            if let Some(code) = decode_base64(content, s, e, &mut decoded) {
                end += content[e..].iter().take(2).take_while(|&&b| b == b'=').count();
                subs.push(s..end, &decoded, code);
            }
            resume = end;
            skip_to(&mut starts, resume);
        }
        prev = mask;
        c += CHUNK;
    }
}

/// Decodes the base64 run `content[s..e]` into `out` if it is base64 of text: one alphabet,
/// text when decoded (UTF-16 text is transcoded). Returns how it was
/// decoded.
fn decode_base64(content: &[u8], s: usize, e: usize, out: &mut Vec<u8>) -> Option<Chain> {
    let run = &content[s..e];
    let (mut std_sym, mut url_sym) = (false, false);
    for &b in run {
        std_sym |= b == b'+' || b == b'/';
        url_sym |= b == b'-' || b == b'_';
    }
    if std_sym && url_sym {
        return None;
    }
    let (engine, code) =
        if url_sym { (&URL_SAFE, Code::Base64Url) } else { (&STANDARD, Code::Base64) };
    // A run of 4k + 1 characters cannot be whole base64; its last character is dropped.
    let run = if run.len() % 4 == 1 { &run[..run.len() - 1] } else { run };
    // The first 48 characters decide: 36 bytes of binary rarely pass for text.
    let probe = &run[..run.len().min(48) / 4 * 4];
    let head = engine.decode(probe).ok()?;
    if !texty(&head) && utf16_order(&head).is_none() {
        return None;
    }
    let bytes = engine.decode(run).ok()?;
    if let Some(order) = utf16_order(&bytes) {
        let text = utf16_to_utf8(&bytes, order);
        if !texty(&text) {
            return None;
        }
        out.extend_from_slice(&text);
        return Some(Chain::of(code).then(Chain::of(order)));
    }
    if !texty(&bytes) {
        return None;
    }
    out.extend_from_slice(&bytes);
    Some(Chain::of(code))
}

/// Whether decoded bytes are text: no NUL, and at least 95 % printable (valid UTF-8 counts as
/// printable; tabs and line ends too).
fn texty(bytes: &[u8]) -> bool {
    if bytes.len() < 8 || bytes.contains(&0) {
        return false;
    }
    let utf8 = std::str::from_utf8(bytes).is_ok();
    let printable = bytes
        .iter()
        .filter(|&&b| matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7e) || (utf8 && b >= 0x80))
        .count();
    printable * 100 >= bytes.len() * 95
}

/// The byte order of UTF-16 text: a byte order mark, or (without one) a NUL in nearly every
/// odd (little-endian) or even (big-endian) byte and nearly none in the others. Decoded
/// base64 and files read from disk (`source::classify`) are told apart by it alike.
pub(crate) fn utf16_order(probe: &[u8]) -> Option<Code> {
    match probe {
        [0xff, 0xfe, ..] => return Some(Code::Utf16Le),
        [0xfe, 0xff, ..] => return Some(Code::Utf16Be),
        _ => {}
    }
    if probe.len() < 8 {
        return None;
    }
    let pairs = probe.len() / 2;
    let (mut even, mut odd) = (0, 0);
    for pair in probe.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let most = pairs * 9 / 10;
    let few = pairs / 10;
    if odd >= most && even <= few {
        Some(Code::Utf16Le)
    } else if even >= most && odd <= few {
        Some(Code::Utf16Be)
    } else {
        None
    }
}

/// UTF-16 text in byte order `order` ([`Code::Utf16Be`], or little-endian) as UTF-8, lossily,
/// without a byte order mark. Line ends stay line ends.
pub(crate) fn utf16_to_utf8(bytes: &[u8], order: Code) -> Vec<u8> {
    let units = bytes.chunks_exact(2).map(|p| match order {
        Code::Utf16Be => u16::from_be_bytes([p[0], p[1]]),
        _ => u16::from_le_bytes([p[0], p[1]]),
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|&c| c != '\u{feff}')
        .collect();
    text.into_bytes()
}

/// Escapes undone on the lines that hold one worth undoing (see the module's notes): `\uXXXX`
/// (surrogate pairs joined), `\u{X…}`, `\xXX`, `\/`, percent-encoded printable bytes; and on
/// those lines only, `\"`, `\'` and `\\` too.
fn escape_subs(content: &[u8], subs: &mut Subs) {
    // The first escape that counts, found without allocating: most content has none.
    let mut consumed = 0;
    let mut first = None;
    for p in memchr::memchr2_iter(b'\\', b'%', content) {
        if p < consumed {
            continue;
        }
        if let Some((len, _, counts)) = escape_at(content, p) {
            if counts {
                first = Some(p);
                break;
            }
            consumed = p + len;
        }
    }
    let Some(first) = first else { return };
    // (original range, decoded char, counts), from the line of the first one that counts:
    // gathered first, then kept by line.
    let from = line_around(content, first).start;
    let mut found: Vec<(Range<usize>, u32, bool)> = Vec::new();
    let mut consumed = from;
    for p in memchr::memchr2_iter(b'\\', b'%', &content[from..]).map(|p| from + p) {
        if p < consumed {
            continue;
        }
        if let Some((len, c, counts)) = escape_at(content, p) {
            found.push((p..p + len, c, counts));
            consumed = p + len;
        }
    }
    // Keep the escapes of lines holding one that counts.
    let mut i = 0;
    let mut buf = [0u8; 4];
    while i < found.len() {
        let at = found[i].0.start;
        let line = line_around(content, at);
        let counts = found[i..].iter().take_while(|f| f.0.start < line.end).any(|f| f.2);
        let end = i + found[i..].iter().take_while(|f| f.0.start < line.end).count();
        if counts {
            for (range, c, _) in &found[i..end] {
                let percent = content[range.start] == b'%';
                let bytes: &[u8] = match char::from_u32(*c) {
                    Some(ch) if !percent => ch.encode_utf8(&mut buf).as_bytes(),
                    // A percent-encoded byte stays a byte (UTF-8 is encoded byte by byte).
                    _ => {
                        buf[0] = *c as u8;
                        &buf[..1]
                    }
                };
                let code = if percent { Code::Percent } else { Code::Escape };
                subs.push(range.clone(), bytes, Chain::of(code));
            }
        }
        i = end.max(i + 1);
    }
}

/// The escape at `p` (a `\` or a `%`): its length, the character (or byte, for percent) it
/// stands for, and whether it counts towards decoding its line.
fn escape_at(content: &[u8], p: usize) -> Option<(usize, u32, bool)> {
    let rest = &content[p + 1..];
    if content[p] == b'%' {
        let digits = rest.get(..2)?;
        let v = hex(digits)?;
        // Percent-encoded UTF-8 is decoded byte by byte; control bytes are left alone (`%02x`
        // is a format). What encoders write counts: upper case hex of a byte that is not
        // left as it is (RFC 3986's unreserved characters), not printf's `%5d` or `%2d`.
        let unreserved =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        let counts =
            !digits.iter().any(u8::is_ascii_lowercase) && (v >= 0x80 || !unreserved(v as u8));
        return (v >= 0x20 && v != 0x7f).then_some((3, v, counts));
    }
    match *rest.first()? {
        b'u' if rest.get(1) == Some(&b'{') => {
            let close = rest.iter().take(9).position(|&b| b == b'}')?;
            let v = hex(&rest[2..close])?;
            char::from_u32(v)?;
            Some((close + 2, v, true))
        }
        b'u' => {
            let v = hex(rest.get(1..5)?)?;
            if (0xd800..0xdc00).contains(&v) {
                // A high surrogate: with its low half, one character.
                let low = content.get(p + 6..p + 12)?;
                if low[0] != b'\\' || low[1] != b'u' {
                    return None;
                }
                let lo = hex(&low[2..])?;
                if !(0xdc00..0xe000).contains(&lo) {
                    return None;
                }
                return Some((12, 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00), true));
            }
            char::from_u32(v)?;
            Some((6, v, true))
        }
        b'x' => {
            // Counts when it makes text: `"\x41"` does, a C test's bytes `"\x8f\x02"` do not.
            let v = hex(rest.get(1..3)?)?;
            Some((4, v, (0x20..0x7f).contains(&v)))
        }
        b'/' => Some((2, u32::from(b'/'), true)),
        c @ (b'"' | b'\'' | b'\\') => Some((2, u32::from(c), false)),
        _ => None,
    }
}

/// A hexadecimal number of 1 to 6 digits.
fn hex(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 6 {
        return None;
    }
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

/// The line holding `at`, without its line end.
pub(super) fn line_around(content: &[u8], at: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &content[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &content[at..]).map_or(content.len(), |i| at + i);
    start..end
}

/// The start of the line `n` lines before the one holding `at`.
fn lines_before(content: &[u8], at: usize, n: usize) -> usize {
    let mut start = memchr::memrchr(b'\n', &content[..at]).map_or(0, |i| i + 1);
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = memchr::memrchr(b'\n', &content[..start - 1]).map_or(0, |i| i + 1);
    }
    start
}

/// The end (past its line end) of the line `n` lines after the one holding `at`.
fn lines_after(content: &[u8], at: usize, n: usize) -> usize {
    let mut end = at;
    for _ in 0..=n {
        match memchr::memchr(b'\n', &content[end.min(content.len())..]) {
            Some(i) => end += i + 1,
            None => return content.len(),
        }
    }
    end
}

/// The view of `content` with `subs` decoded in place, cut to the lines around them
/// ([`CONTEXT_LINES`] on each side); separate stretches are joined by a line end.
fn build(content: &[u8], subs: &Subs, label: &str) -> View {
    let mut bytes = Vec::new();
    let mut pieces = Vec::new();
    let copy = |bytes: &mut Vec<u8>, pieces: &mut Vec<Piece>, r: Range<usize>| {
        if r.is_empty() {
            return;
        }
        let at = bytes.len();
        bytes.extend_from_slice(&content[r.clone()]);
        pieces.push(Piece { view: at..bytes.len(), original: r, encoding: Chain::PLAIN });
    };
    let mut k = 0;
    // Where the last stretch ended: a stretch's context starts after it.
    let mut prev_end = 0;
    while k < subs.list.len() {
        // One stretch: the subs whose context windows touch.
        let start = lines_before(content, subs.list[k].0.start, CONTEXT_LINES).max(prev_end);
        let mut end = lines_after(content, subs.list[k].0.end, CONTEXT_LINES);
        let mut last = k;
        while last + 1 < subs.list.len() && subs.list[last + 1].0.start < end {
            last += 1;
            end = end.max(lines_after(content, subs.list[last].0.end, CONTEXT_LINES));
        }
        if start > prev_end && !bytes.is_empty() && bytes.last() != Some(&b'\n') {
            // Stretches apart are separate lines; the line end stands for nothing.
            let at = bytes.len();
            bytes.push(b'\n');
            pieces.push(Piece {
                view: at..at + 1,
                original: prev_end..prev_end,
                encoding: Chain::PLAIN,
            });
        }
        let mut at = start;
        for (original, decoded, code) in &subs.list[k..=last] {
            copy(&mut bytes, &mut pieces, at..original.start);
            let v = bytes.len();
            bytes.extend_from_slice(&subs.bytes[decoded.clone()]);
            pieces.push(Piece {
                view: v..bytes.len(),
                original: original.clone(),
                encoding: *code,
            });
            at = original.end;
        }
        copy(&mut bytes, &mut pieces, at..end);
        prev_end = end.max(at);
        k = last + 1;
    }
    View::new(label, bytes, pieces)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn all(content: &[u8]) -> Vec<View> {
        let mut out = Vec::new();
        views(content, &mut out);
        out
    }

    fn text(v: &View) -> String {
        String::from_utf8_lossy(&v.bytes).into_owned()
    }

    #[test]
    fn base64_text_is_decoded_in_place_with_its_context() {
        let value = b64(b"[default]\naws_secret_access_key = abc/def+ghi\n");
        let content = format!("kind: Secret\ndata:\n  credentials: {value}\nother: x\n");
        // The structure view (`data/credentials: …`) is another one.
        let v: Vec<View> =
            all(content.as_bytes()).into_iter().filter(|v| v.encoding == "base64").collect();
        assert_eq!(v.len(), 1);
        let t = text(&v[0]);
        assert!(
            t.contains("  credentials: [default]\naws_secret_access_key = abc/def+ghi\n"),
            "{t}"
        );
        assert!(t.starts_with("kind: Secret\n"));
        // The decoded secret maps back into the base64 value.
        let at = t.find("abc/def").unwrap();
        let r = v[0].original(at..at + 7);
        let value_at = content.find(&value).unwrap();
        assert!(r.start >= value_at && r.end <= value_at + value.len(), "{r:?}");
        assert_eq!(v[0].encoding_of(at..at + 7).to_string(), "base64");
        assert!(v[0].encoding_of(0..4).is_empty());
    }

    #[test]
    fn binary_hashes_and_identifiers_are_not_decoded() {
        let hash =
            b64(&(0..64u8).map(|i| i.wrapping_mul(37).wrapping_add(200)).collect::<Vec<_>>());
        let content = format!(
            "integrity: sha512-{hash}\nname = some_long_snake_case_identifier_name\n\
             AbstractSingletonProxyFactoryBeanImpl\n{}\n",
            "0123456789abcdef".repeat(4)
        );
        assert!(all(content.as_bytes()).is_empty());
    }

    #[test]
    fn url_safe_unpadded_and_nested_base64() {
        let inner = b64(b"aws_secret_access_key = s3cr3t/value\n");
        let outer = b64(format!("credentials: {inner}\n").as_bytes());
        let v = all(format!("x: {outer}\n").as_bytes());
        assert!(v.iter().any(|v| text(v).contains("aws_secret_access_key = s3cr3t/value")));
        let deep = v.iter().find(|v| v.depth() == 2).unwrap();
        let at = text(deep).find("s3cr3t").unwrap();
        assert_eq!(deep.encoding_of(at..at + 6).to_string(), "base64/base64");

        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(b"{\"slack_token\": \"xoxb-1234-5678-abcdefghij\"}");
        let v = all(format!("GET /setup?config={url} HTTP/1.1\n").as_bytes());
        assert!(text(&v[0]).contains("\"slack_token\": \"xoxb-1234"), "{}", text(&v[0]));
    }

    #[test]
    fn utf16_inside_base64_is_transcoded() {
        let script: Vec<u8> = "$env:AWS_SECRET_ACCESS_KEY = 'abc'"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let v = all(format!("powershell -EncodedCommand {}\n", b64(&script)).as_bytes());
        let t = text(&v[0]);
        assert!(t.contains("$env:AWS_SECRET_ACCESS_KEY = 'abc'"), "{t}");
        let at = t.find("abc").unwrap();
        assert_eq!(v[0].encoding_of(at..at + 3).to_string(), "base64/utf-16le");
    }

    #[test]
    fn escapes_on_lines_that_hold_one_that_counts() {
        let content = b"{\"a\":\"x\\ny\"}\n{\"key\":\"ab\\u002Bcd\\/ef\",\"q\":\"\\\"\"}\nprintf(\"%02x %s\");\n";
        let v = all(content);
        assert_eq!(v.len(), 1);
        let t = text(&v[0]);
        assert!(t.contains("{\"key\":\"ab+cd/ef\",\"q\":\"\"\"}"), "{t}");
        // `\n` is left as it is; the line with only it is context.
        assert!(t.contains("\"x\\ny\""), "{t}");
        let at = t.find("ab+cd").unwrap();
        let r = v[0].original(at..at + 5);
        assert_eq!(&content[r], b"ab\\u002Bcd");
        // Nothing that counts: no view.
        assert!(all(b"line one\\nline two\\t\"q\\\"\" 100% sure %s %02x\n").is_empty());
    }

    #[test]
    fn percent_encoding_and_surrogates() {
        let v = all(b"https://x.test/?secret_key=ab%2Fcd%2Bef%3D&next=%F0%9F%98%80\n");
        let t = text(&v[0]);
        assert!(t.contains("secret_key=ab/cd+ef=&next=\u{1f600}"), "{t}");
        let v = all(b"s = \"\\ud83d\\ude00 \\u{1F600} \\x41\"\n");
        assert!(text(&v[0]).contains("\u{1f600} \u{1f600} A"), "{}", text(&v[0]));
    }

    #[test]
    fn views_are_bounded() {
        // Base64 nested as deep as it goes: the depth stops it.
        let mut s = b"aws_secret_access_key = 0123456789abcdefghijABCDEFGHIJ/+abcdef\n".to_vec();
        for _ in 0..6 {
            s = format!("v: {}\n", b64(&s)).into_bytes();
        }
        let v = all(&s);
        assert!(v.iter().all(|v| v.depth() <= MAX_DEPTH));
        let total: usize = v.iter().map(|v| v.bytes.len()).sum();
        assert!(total <= s.len() * MAX_VIEW_RATIO + VIEW_SLACK);
        // Dense escapes: one view, the size of the content at most.
        let dense = "\\u0041".repeat(100_000);
        let v = all(dense.as_bytes());
        assert!(v.iter().map(|v| v.bytes.len()).sum::<usize>() <= dense.len() * MAX_VIEW_RATIO);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for s in [
            &b"\\"[..],
            b"%",
            b"%4",
            b"\\u",
            b"\\ud800",
            b"\\ud800\\u0041",
            b"\\u{110000}",
            b"\\u{",
            b"\\x",
            b"QUtJQUFBQUFBQUFBQUFBQUFBQUFB=",
            b"=====AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            let _ = all(s);
        }
    }

    /// A small deterministic generator (xorshift), for the differential tests.
    /// Pseudo-random bytes of `alphabet`.
    pub(in crate::detect) fn bytes(seed: u64, len: usize, alphabet: &[u8]) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize]
            })
            .collect()
    }

    #[test]
    fn run_starts_agree_with_a_byte_by_byte_reading() {
        let alphabet = b"aZ09+/-_ .\"=\n\x80\xff";
        for seed in 0..200 {
            let content = bytes(seed, 128, alphabet);
            let mut masks = [simd::ChunkMasks::default(); 2];
            simd::base64_masks(&content, &mut masks);
            let starts =
                run_starts(u128::from(masks[0].base64) | u128::from(masks[1].base64) << 64);
            for i in 0..128 - MIN_BASE64 {
                let run = content[i..i + MIN_BASE64].iter().all(|&b| simd::is_base64(b));
                assert_eq!(starts >> i & 1 == 1, run, "seed {seed} start {i}");
            }
        }
    }

    #[test]
    fn runs_are_found_wherever_they_fall_across_chunks() {
        let value = b64(b"a base64 value: abc/def+ghi/jkl, decoded");
        for pad in [0, 1, 23, 40, 63, 64, 65, 100, 127, 128, 129] {
            let content = format!("{}\"{value}\"", "x ".repeat(pad / 2) + &" ".repeat(pad % 2));
            let v = all(content.as_bytes());
            assert_eq!(v.len(), 1, "pad {pad}");
            assert!(text(&v[0]).contains("abc/def+ghi/jkl"), "pad {pad}");
        }
        // A run at the very end of the content, and one that is the whole content.
        let v = all(value.as_bytes());
        assert_eq!(v.len(), 1);
        assert_eq!(text(&v[0]), "a base64 value: abc/def+ghi/jkl, decoded");
    }

    #[test]
    fn what_counts_as_an_escape_worth_decoding() {
        // printf widths, lower-case hex and unreserved characters are not URL encoding.
        for line in
            ["printf(\"%5d %2d %3d\\n\", a, b, c);", "x = \"%2e%41\"", "\"\\x8f\\x02\\x00\""]
        {
            assert!(all(line.as_bytes()).is_empty(), "{line}");
        }
        for line in ["u = \"a%2Fb%3Dc\"", "s = \"\\x41\\x4b\""] {
            assert_eq!(all(line.as_bytes()).len(), 1, "{line}");
        }
    }

    #[test]
    fn literals_are_joined_only_near_the_positions_given() {
        let key = "AKIAIOSFODNN7";
        let content =
            format!("a = \"{key}\" + \"EXAMPLEKEY\"\n\n\nb = \"{key}\" + \"EXAMPLEKEY\"\n");
        let second = content.rfind("b = ").unwrap();
        let mut out = Vec::new();
        views_near(content.as_bytes(), Some(&[second + 5]), &mut out);
        assert_eq!(out.len(), 1);
        let t = text(&out[0]);
        assert!(t.contains("b = \"AKIAIOSFODNN7EXAMPLEKEY\""), "{t}");
        assert!(t.contains("a = \"AKIAIOSFODNN7\" + "), "{t}");
        out.clear();
        views_near(content.as_bytes(), Some(&[]), &mut out);
        assert!(out.is_empty());
    }

    /// Pieces cover the view in order and point into the content in order.
    #[track_caller]
    fn assert_well_formed(v: &View, content: &[u8]) {
        let (mut at, mut orig) = (0, 0);
        for p in v.pieces() {
            assert_eq!(p.view.start, at, "{:?}", v.pieces());
            assert!(
                p.original.start >= orig && p.original.end <= content.len(),
                "{:?}",
                v.pieces()
            );
            (at, orig) = (p.view.end, p.original.end);
        }
        assert_eq!(at, v.bytes.len());
    }

    #[test]
    fn stretches_apart_do_not_overlap_and_their_separator_is_mapped() {
        // Escapes some lines apart, with and without a line end at the end of the content,
        // and the input the fuzz target found (context windows overlapping by a few bytes).
        for gap in 0..14 {
            for tail in ["", "\n", "x\n\n"] {
                let content = format!("a%2Fb\n{}c\\u0041d\n{tail}", "line\n".repeat(gap));
                for v in all(content.as_bytes()) {
                    assert_well_formed(&v, content.as_bytes());
                }
            }
        }
        let found = include_bytes!("../../fixtures/fuzz/decode/overlapping-context");
        for v in all(found) {
            assert_well_formed(&v, found);
        }
    }
}
