//! Sources of content: each pushes borrowed [`Chunk`]s into [`Visitor`]s, one visitor per
//! worker thread, from as many threads as it likes.

mod content;
pub mod git;
pub mod history;
mod index;
pub mod range;
pub mod staged;
pub mod stdin;
pub mod worktree;

use std::io;
use std::path::PathBuf;

pub use content::{ContentReader, ReadMethod};

use crate::finding::{BlobId, Origin};

/// A piece of content to scan. It is borrowed: it lives only for the visitor call.
///
/// `Debug` shows the content's length, never the content (it may hold secrets).
pub struct Chunk<'a> {
    /// The bytes.
    pub content: &'a [u8],
    /// Where they came from.
    pub origin: &'a Origin,
    /// How they were read.
    pub read: ReadMethod,
    /// The git blob id of the content, when the source knows it (content read from a git
    /// repository); otherwise it is computed for content with findings.
    pub blob: Option<BlobId>,
    /// When set, only findings that touch these lines are reported (the lines a change
    /// added); the whole content is still scanned, so multi-line secrets are seen whole.
    pub lines: Option<&'a LineSet>,
}

impl std::fmt::Debug for Chunk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunk")
            .field("content_len", &self.content.len())
            .field("origin", &self.origin)
            .field("read", &self.read)
            .field("blob", &self.blob)
            .field("lines", &self.lines)
            .finish()
    }
}

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
}

/// Why a source passed over some content without scanning it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than the configured limit.
    TooLarge {
        /// The content's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A Git LFS pointer file: the content itself lives outside the repository.
    LfsPointer,
    /// A shallow clone's boundary: the commit's parents are not in the repository, so the
    /// history behind it was not scanned.
    ShallowHistory,
}

impl std::fmt::Display for SkipReason {
    /// Why, for people: "binary", "larger than the limit of 52428800 bytes", …
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Binary => f.write_str("binary"),
            SkipReason::TooLarge { size, limit } => {
                write!(f, "{size} bytes, larger than the limit of {limit} bytes")
            }
            SkipReason::LfsPointer => f.write_str("a Git LFS pointer"),
            SkipReason::ShallowHistory => f.write_str(
                "a shallow clone's boundary: the history before this commit is not in the \
                 repository and was not scanned (`git fetch --unshallow` brings it)",
            ),
        }
    }
}

impl SkipReason {
    /// Whether passing over this content leaves a gap in the scan: content that might hold
    /// text was not read in full. A scan with a gap is incomplete, and its exit status says so
    /// (2 unless findings were made). Binary formats and valid Git LFS pointers are no gap.
    pub fn is_gap(&self) -> bool {
        match self {
            SkipReason::Binary | SkipReason::LfsPointer => false,
            SkipReason::TooLarge { .. } | SkipReason::ShallowHistory => true,
        }
    }
}

/// A failure to read one item. The scan goes on; the outcome records it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Reading a file or directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The directory walk reported an error (a loop, a bad ignore file, …).
    #[error("{0}")]
    Walk(String),
    /// Reading standard input failed.
    #[error("<stdin>: {0}")]
    Stdin(io::Error),
    /// Reading an object or walking a git repository failed.
    #[error("git: {0}")]
    Git(String),
}

/// Receives what a source produces, on one worker thread.
pub trait Visitor: Send {
    /// Content to scan.
    fn chunk(&mut self, chunk: Chunk<'_>);
    /// Content passed over, and why.
    fn skipped(&mut self, origin: Origin, reason: SkipReason);
    /// An item that could not be read.
    fn error(&mut self, error: SourceError);
    /// One of the units of work of [`Source::planned`] is done.
    fn unit_done(&mut self) {}
}

/// Makes one [`Visitor`] per worker thread.
pub trait VisitorFactory: Sync {
    /// A new visitor for a worker thread.
    fn visitor(&self) -> Box<dyn Visitor + '_>;
}

/// Something that produces content: a working tree, standard input, a git history, …
pub trait Source: Sync {
    /// Pushes all content to visitors made by `factory`, and returns when done.
    fn scan(&self, factory: &dyn VisitorFactory);

    /// How much work [`Source::scan`] will do, when the source knows it before it starts (a
    /// history its commits); each unit is reported with [`Visitor::unit_done`].
    fn planned(&self) -> Option<Planned> {
        None
    }
}

/// The units of work a scan will go through, known before it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    /// How many.
    pub units: u64,
    /// What they are, plural (`commits`).
    pub name: &'static str,
}

/// Hands the result of [`ContentReader::read_stream`] to a visitor: the content as a chunk,
/// or why it was skipped, or the error (made by `error`).
fn visit_stream(
    read: io::Result<Option<&[u8]>>,
    origin: Origin,
    limit: u64,
    visitor: &mut dyn Visitor,
    error: impl FnOnce(io::Error) -> SourceError,
) {
    match read {
        Err(e) => visitor.error(error(e)),
        Ok(None) => {
            visitor.skipped(origin, SkipReason::TooLarge { size: limit.saturating_add(1), limit })
        }
        Ok(Some(buf)) => deliver(buf, ReadMethod::Buffered, origin, visitor),
    }
}

/// Hands content that was read to a visitor: skipped if it looks binary, a chunk otherwise.
fn deliver(content: &[u8], read: ReadMethod, origin: Origin, visitor: &mut dyn Visitor) {
    if is_binary(content) {
        visitor.skipped(origin, SkipReason::Binary);
    } else {
        visitor.chunk(Chunk { content, origin: &origin, read, blob: None, lines: None });
    }
}

/// File name extensions of binary formats (images, fonts, media, archives, compiled code,
/// compiled message catalogues). Files so named are skipped as binary without being read:
/// in a git history, reading means inflating the whole blob, and in a Django history a third
/// of all blob bytes are `.mo` catalogues. SVG, PDF-like text formats and anything unknown
/// are read and judged by their content.
pub const BINARY_EXTENSIONS: &[&str] = &[
    "7z", "a", "avi", "bin", "bmp", "bz2", "class", "dll", "dylib", "eot", "exe", "flac", "gif",
    "gz", "ico", "jar", "jpeg", "jpg", "lib", "mkv", "mo", "mov", "mp3", "mp4", "o", "obj", "ogg",
    "otf", "png", "psd", "pyc", "pyo", "rar", "so", "tgz", "tif", "tiff", "ttf", "war", "wasm",
    "wav", "webm", "webp", "woff", "woff2", "xz", "zip", "zst",
];

/// Whether a path's extension names a binary format (see [`BINARY_EXTENSIONS`]).
pub fn has_binary_extension(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let Some(dot) = memchr::memrchr(b'.', name) else { return false };
    let ext = &name[dot + 1..];
    dot > 0
        && ext.len() <= 5
        && BINARY_EXTENSIONS.iter().any(|e| e.as_bytes().eq_ignore_ascii_case(ext))
}

/// The number of leading bytes examined to tell binary content from text.
pub const BINARY_PROBE: usize = 8 * 1024;

/// Whether content looks binary: a NUL byte among its first [`BINARY_PROBE`] bytes.
pub fn is_binary(content: &[u8]) -> bool {
    memchr::memchr(0, &content[..content.len().min(BINARY_PROBE)]).is_some()
}

#[cfg(test)]
mod tests {
    use super::is_binary;

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
    fn binary_extensions() {
        use super::has_binary_extension as bin;
        assert!(bin(b"logo.png") && bin(b"a/b/Photo.JPG") && bin(b"locale/de/django.mo"));
        assert!(!bin(b"main.rs") && !bin(b"icon.svg") && !bin(b".png") && !bin(b"png"));
        assert!(!bin(b"dir.png/readme.txt") && !bin(b"archive.zip.txt"));
    }

    #[test]
    fn binary_probe() {
        assert!(!is_binary(b"plain text\n"));
        assert!(is_binary(b"PK\x03\x04\x00\x00"));
        let mut late = vec![b'a'; super::BINARY_PROBE];
        late.push(0);
        assert!(!is_binary(&late));
    }
}

#[cfg(test)]
mod issue_12_debug {
    use super::*;

    #[test]
    fn issue_12_chunk_debug_shows_no_content() {
        let secret = ["Zq9", "Xw7Vv5", "Tt3Rr1Pp"].concat();
        let content = format!("TOKEN={secret}\n");
        let origin = Origin::Stdin;
        let chunk = Chunk {
            content: content.as_bytes(),
            origin: &origin,
            read: ReadMethod::Buffered,
            blob: None,
            lines: None,
        };
        let debug = format!("{chunk:?}");
        assert!(!debug.contains(&secret) && !debug.contains("84, 79"), "{debug}");
        assert!(debug.contains(&format!("content_len: {}", content.len())), "{debug}");
    }
}
