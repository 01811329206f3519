//! Views: content as a decoder or a reassembler sees it (base64 decoded, UTF-16 transcoded,
//! escapes undone, string literals joined), with a map from every byte of the view back to the
//! range of the original content it came from, so that a finding made in a view is reported
//! where the encoded text stands.
//!
//! A view is made from the original content or from another view (nesting: base64 inside
//! UTF-16); [`View::nested`] composes the maps, so a view's map always points into the
//! original content, whatever its depth.

use std::ops::Range;

/// One stretch of a view and the stretch of the original content it stands for. Within a
/// piece, offsets map proportionally (three decoded bytes of base64 stand for four
/// characters; one transcoded ASCII byte of UTF-16 for two bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The piece's bytes in the view.
    pub view: Range<usize>,
    /// The original bytes they stand for.
    pub original: Range<usize>,
    /// How they were decoded: [`Chain::PLAIN`] for bytes copied as they are (the context
    /// around decoded text).
    pub encoding: Chain,
}

/// What a decoder undoes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Standard base64 (RFC 4648 section 4), padded or not.
    Base64,
    /// The URL- and file-safe alphabet (RFC 4648 section 5).
    Base64Url,
    /// UTF-16, little-endian, transcoded to UTF-8.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// Backslash escapes of JSON and JavaScript strings (`\u002B`, `\/`, `\x41`, `\"`).
    Escape,
    /// Percent-encoding (RFC 3986 section 2.1), as in URLs and form bodies.
    Percent,
    /// String literals joined as their language joins them (`"AK" + "IA…"`, adjacent
    /// literals, a PEM block written one quoted line at a time).
    Concat,
    /// A name and its value written apart, brought onto one line as the file's structure
    /// ties them (an XML `<name>` and its `<value>`, a properties continuation line, a YAML
    /// leaf under its parents).
    Structure,
}

impl Code {
    /// The name reports give it.
    pub fn name(self) -> &'static str {
        match self {
            Code::Base64 => "base64",
            Code::Base64Url => "base64url",
            Code::Utf16Le => "utf-16le",
            Code::Utf16Be => "utf-16be",
            Code::Escape => "escape",
            Code::Percent => "percent",
            Code::Concat => "concatenation",
            Code::Structure => "structure",
        }
    }
}

/// The decoders a piece of a view went through, outermost first (at most [`Chain::MAX`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    codes: [Option<Code>; Chain::MAX],
}

impl Chain {
    /// The longest chain: views nest at most this deep.
    pub const MAX: usize = 4;
    /// Not decoded.
    pub const PLAIN: Chain = Chain { codes: [None; Chain::MAX] };

    /// One decoder.
    pub fn of(code: Code) -> Chain {
        let mut codes = [None; Chain::MAX];
        codes[0] = Some(code);
        Chain { codes }
    }

    /// How many decoders.
    pub fn len(self) -> usize {
        self.codes().count()
    }

    /// Whether nothing was decoded.
    pub fn is_empty(self) -> bool {
        self.codes[0].is_none()
    }

    /// `self` followed by `inner` (cut at [`Chain::MAX`]).
    pub fn then(self, inner: Chain) -> Chain {
        let mut out = self;
        let n = self.len();
        for (slot, &c) in out.codes[n..].iter_mut().zip(inner.codes.iter()) {
            *slot = c;
        }
        out
    }

    /// The decoders, outermost first.
    pub fn codes(self) -> impl Iterator<Item = Code> {
        self.codes.into_iter().map_while(|c| c)
    }
}

impl std::fmt::Display for Chain {
    /// The names joined by `/`, outermost first: `base64`, `utf-16le/base64`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, c) in self.codes().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(c.name())?;
        }
        Ok(())
    }
}

/// Content transformed by one or more decoders, and where each of its bytes came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// The transformed bytes, scanned like any content.
    pub bytes: Vec<u8>,
    /// The transformations, outermost first, joined by `/`: `base64`, `utf-16le`,
    /// `utf-16le/base64` (base64 text inside a UTF-16 file), `concatenation`.
    pub encoding: String,
    /// Sorted by `view.start`, not overlapping, covering the view's bytes in order.
    pieces: Vec<Piece>,
    /// How many decoders made it (1 for a view of the original content).
    depth: u8,
}

impl View {
    /// A view of the original content. `pieces` must be sorted by `view.start`, cover
    /// `0..bytes.len()` without overlap, and point into the original content.
    pub fn new(encoding: impl Into<String>, bytes: Vec<u8>, pieces: Vec<Piece>) -> View {
        debug_assert!(pieces.windows(2).all(|w| w[0].view.end <= w[1].view.start));
        View { bytes, encoding: encoding.into(), pieces, depth: 1 }
    }

    /// A view made of this view's bytes (`child`'s pieces point into `self.bytes`), turned
    /// into a view of the original content: its pieces are mapped through this view's, and
    /// its encoding is this view's followed by its own.
    pub fn nested(&self, child: View) -> View {
        let pieces = child
            .pieces
            .into_iter()
            .map(|p| Piece {
                encoding: self.encoding_of(p.original.clone()).then(p.encoding),
                original: self.original(p.original),
                view: p.view,
            })
            .collect();
        View {
            bytes: child.bytes,
            encoding: format!("{}/{}", self.encoding, child.encoding),
            pieces,
            depth: self.depth.saturating_add(child.depth),
        }
    }

    /// How many decoders made this view.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The pieces of the map, in view order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// How the view's `range` was decoded: the longest chain of the pieces it touches
    /// ([`Chain::PLAIN`] if it lies in copied context alone).
    pub fn encoding_of(&self, range: Range<usize>) -> Chain {
        let first = self.pieces.partition_point(|p| p.view.end <= range.start);
        self.pieces[first..]
            .iter()
            .take_while(|p| p.view.start < range.end.max(range.start + 1))
            .map(|p| p.encoding)
            .max_by_key(|c| c.len())
            .unwrap_or(Chain::PLAIN)
    }

    /// The range of the original content that the view's `range` stands for: from where the
    /// first of its bytes came from to where the last one did. An empty range maps to an
    /// empty range at its position.
    pub fn original(&self, range: Range<usize>) -> Range<usize> {
        if self.pieces.is_empty() {
            return 0..0;
        }
        let start = self.at(range.start, false);
        if range.end <= range.start {
            return start..start;
        }
        let end = self.at(range.end - 1, true);
        start..end.max(start)
    }

    /// The original offset of view byte `at`: where it starts, or (with `end`) where it ends.
    fn at(&self, at: usize, end: bool) -> usize {
        // The last piece starting at or before `at` (or the first piece).
        let i = self.pieces.partition_point(|p| p.view.start <= at).saturating_sub(1);
        let p = &self.pieces[i];
        let (vlen, olen) = (p.view.len(), p.original.len());
        if vlen == 0 || at >= p.view.end {
            // Past the piece (a gap, or beyond the view): its end.
            return p.original.end;
        }
        let k = at - p.view.start;
        // Proportional within the piece; the end of byte k is the start of byte k + 1.
        let k = if end { k + 1 } else { k };
        (p.original.start + k * olen / vlen).min(p.original.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(view: Range<usize>, original: Range<usize>) -> Piece {
        Piece { view, original, encoding: Chain::of(Code::Base64) }
    }

    #[test]
    fn proportional_pieces_map_back() {
        // "QUtJQQ==" at 10..18 decodes to "AKIA" (4 bytes for 8 characters, padding included).
        let v = View::new("base64", b"AKIA".to_vec(), vec![piece(0..4, 10..18)]);
        assert_eq!(v.original(0..4), 10..18);
        assert_eq!(v.original(1..2), 12..14);
        assert_eq!(v.original(2..2), 14..14);
    }

    #[test]
    fn pieces_with_gaps_between_them() {
        // `"ab" + "cd"`: the literals' contents at 1..3 and 9..11.
        let v = View::new(
            "concatenation",
            b"abcd".to_vec(),
            vec![piece(0..2, 1..3), piece(2..4, 9..11)],
        );
        assert_eq!(v.original(0..4), 1..11);
        assert_eq!(v.original(2..3), 9..10);
        assert_eq!(v.original(1..2), 2..3);
        let plain = Piece { encoding: Chain::PLAIN, ..piece(0..3, 0..3) };
        let v = View::new("base64", b"k: AKIA".to_vec(), vec![plain, piece(3..7, 3..11)]);
        assert!(v.encoding_of(0..2).is_empty());
        assert_eq!(v.encoding_of(1..5).to_string(), "base64");
    }

    #[test]
    fn nested_views_compose() {
        // UTF-16LE "QUtJQQ" at 0..12 of the original; its view is 6 bytes.
        let utf16 = Piece { encoding: Chain::of(Code::Utf16Le), ..piece(0..6, 0..12) };
        let outer = View::new("utf-16le", b"QUtJQQ".to_vec(), vec![utf16]);
        let inner = View::new("base64", b"AKIA".to_vec(), vec![piece(0..4, 0..6)]);
        let v = outer.nested(inner);
        assert_eq!(v.encoding, "utf-16le/base64");
        assert_eq!(v.depth(), 2);
        assert_eq!(v.original(0..4), 0..12);
        assert_eq!(v.encoding_of(1..2).to_string(), "utf-16le/base64");
    }
}
