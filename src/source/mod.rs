//! Sources of content: each pushes borrowed [`Chunk`]s into [`Visitor`]s, one visitor per
//! worker thread, from as many threads as it likes.

mod content;
pub mod git;
pub mod history;
mod index;
pub mod range;
pub mod staged;
pub mod stdin;
mod walk_ignore;
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

/// Why a source passed over some content without scanning it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// A known binary format (by its magic number, or, unread, by its file name extension).
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
    /// Not a regular file: a FIFO, socket or device inside the tree. It is never opened
    /// (reading a FIFO can block forever, a device can be endless); git cannot store such
    /// files, so nothing committed is missed.
    NotAFile,
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
            SkipReason::NotAFile => f.write_str("not a regular file (a FIFO, socket or device)"),
        }
    }
}

impl SkipReason {
    /// Whether passing over this content leaves a gap in the scan: content that might hold
    /// text was not read in full. A scan with a gap is incomplete, and its exit status says so
    /// (2 unless findings were made). Binary formats and valid Git LFS pointers are no gap.
    pub fn is_gap(&self) -> bool {
        match self {
            SkipReason::Binary | SkipReason::LfsPointer | SkipReason::NotAFile => false,
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
    /// Something the report must carry about the scan itself (an ignore file that was not
    /// read); it ends up in [`crate::pipeline::ScanOutcome::warnings`].
    fn warning(&mut self, _message: String) {}
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

/// Hands content that was read to a visitor: scanned as text, or skipped as binary (see
/// [`classify`]).
fn deliver(content: &[u8], read: ReadMethod, origin: Origin, visitor: &mut dyn Visitor) {
    deliver_chunk(content, read, origin, None, None, visitor);
}

/// Hands content to a visitor as [`classify`] says: scanned as it is, scanned as a copy
/// (printable runs, UTF-16 transcoded), or skipped as a known binary format. Every source
/// (working tree, standard input, staged, range, history) goes through here, so that a NUL
/// byte hides nothing anywhere. `lines` (the lines a change added, as git numbers them: only
/// LF ends a line) are renumbered when the content has lone CRs (see [`LineSet::renumber`]).
pub(crate) fn deliver_chunk(
    content: &[u8],
    read: ReadMethod,
    origin: Origin,
    blob: Option<BlobId>,
    lines: Option<&LineSet>,
    visitor: &mut dyn Visitor,
) {
    let name = origin.path_bytes().unwrap_or_default();
    let (text, blob) = match classify(content, name) {
        Classified::Text => (None, blob),
        Classified::Binary => return visitor.skipped(origin, SkipReason::Binary),
        // Scanned as a copy: the blob id stays that of the content as stored, so that a file
        // and its committed copy still dedupe.
        Classified::Transformed(copy) => (Some(copy), blob.or_else(|| Some(BlobId::of(content)))),
    };
    let content = text.as_deref().unwrap_or(content);
    let renumbered = lines.filter(|_| has_lone_cr(content)).map(|l| l.renumber(content));
    let lines = renumbered.as_ref().or(lines);
    visitor.chunk(Chunk { content, origin: &origin, read, blob, lines });
}

/// What to do with some content.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Classified {
    /// Scan it as it is.
    Text,
    /// Scan this copy instead (same line structure).
    Transformed(Vec<u8>),
    /// A known binary format: skip it.
    Binary,
}

/// Tells text from binary content, so that one NUL byte hides nothing:
///
/// - content without a NUL among its first [`BINARY_PROBE`] bytes is text (as it is);
/// - UTF-16 (a byte order mark, or a NUL in every other byte) is transcoded to UTF-8;
/// - a file with a text name ([`has_text_name`]: `.env`, `credentials`, `*.json`, source
///   code, …) is scanned as it is, NULs and all;
/// - content that starts like a known binary format ([`has_binary_magic`]) is skipped;
/// - anything else has its printable runs scanned: a copy where control bytes other than
///   tab, LF and CR become spaces, so offsets and line numbers stay those of the file.
pub(crate) fn classify(content: &[u8], name: &[u8]) -> Classified {
    let probe = &content[..content.len().min(BINARY_PROBE)];
    if memchr::memchr(0, probe).is_none() {
        return Classified::Text;
    }
    if utf16_order(probe).is_some() {
        return Classified::Transformed(utf16_to_utf8(content));
    }
    if has_text_name(name) {
        return Classified::Text;
    }
    if has_binary_magic(content) {
        return Classified::Binary;
    }
    Classified::Transformed(printable_runs(content))
}

/// File names that are text whatever bytes they hold: they are never skipped as binary.
pub const TEXT_NAMES: &[&str] = &[
    ".env",
    ".envrc",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    ".htpasswd",
    "credentials",
    "config",
    "dockerfile",
    "makefile",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
];

/// File name extensions of text formats: never skipped as binary.
pub const TEXT_EXTENSIONS: &[&str] = &[
    "env",
    "tfstate",
    "tfvars",
    "tf",
    "hcl",
    "json",
    "jsonc",
    "yaml",
    "yml",
    "toml",
    "ini",
    "xml",
    "properties",
    "conf",
    "cfg",
    "config",
    "cnf",
    "txt",
    "md",
    "csv",
    "tsv",
    "log",
    "sql",
    "pem",
    "key",
    "crt",
    "cer",
    "pub",
    "ppk",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "psm1",
    "bat",
    "cmd",
    "py",
    "rb",
    "pl",
    "php",
    "js",
    "mjs",
    "cjs",
    "ts",
    "tsx",
    "jsx",
    "java",
    "kt",
    "kts",
    "scala",
    "groovy",
    "gradle",
    "go",
    "rs",
    "c",
    "h",
    "cc",
    "cpp",
    "hpp",
    "cs",
    "swift",
    "m",
    "dart",
    "lua",
    "r",
    "ex",
    "exs",
    "erl",
    "clj",
    "html",
    "htm",
    "vue",
    "svelte",
    "css",
    "scss",
    "ipynb",
    "tpl",
    "j2",
    "erb",
    "cfn",
    "plist",
    "service",
];

/// Whether a path names a text file ([`TEXT_NAMES`], [`TEXT_EXTENSIONS`], `*.env.*`
/// variants such as `prod.env.local`), compared case-insensitively.
pub fn has_text_name(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/' || b == b'\\').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if TEXT_NAMES.iter().any(|n| n.as_bytes() == lower) || lower.starts_with(b".env.") {
        return true;
    }
    lower
        .split(|&b| b == b'.')
        .skip(1)
        .any(|ext| TEXT_EXTENSIONS.iter().any(|e| e.as_bytes() == ext))
}

/// Whether content starts like a common binary format: PNG, JPEG, GIF, BMP, TIFF, ICO, WebP,
/// PSD, ZIP (JAR, DOCX, …), gzip, bzip2, xz, zstd, 7z, RAR, `ar`, ELF, Mach-O, PE, Java
/// class, WebAssembly, SQLite, PDF, fonts (TrueType, OpenType, WOFF), media (MP4/MOV, Ogg,
/// FLAC, RIFF, MP3, Matroska), gettext `.mo` catalogues.
pub fn has_binary_magic(content: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"II*\0",
        b"MM\0*",
        b"\0\0\x01\0",
        b"8BPS",
        b"PK\x03\x04",
        b"PK\x05\x06",
        b"PK\x07\x08",
        b"\x1f\x8b",
        b"BZh",
        b"\xfd7zXZ\0",
        b"\x28\xb5\x2f\xfd",
        b"7z\xbc\xaf\x27\x1c",
        b"Rar!\x1a\x07",
        b"!<arch>\n",
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"MZ",
        b"\0asm",
        b"SQLite format 3\0",
        b"%PDF-",
        b"\0\x01\0\0",
        b"OTTO",
        b"wOFF",
        b"wOF2",
        b"OggS",
        b"fLaC",
        b"RIFF",
        b"ID3",
        b"\x1a\x45\xdf\xa3",
        b"\xde\x12\x04\x95",
        b"\x95\x04\x12\xde",
    ];
    PREFIXES.iter().any(|p| content.starts_with(p))
        || content.get(4..8).is_some_and(|b| b == b"ftyp")
        || content.starts_with(b"BM") && content.len() > 14
}

/// The byte order of UTF-16 content: a byte order mark, or (without one) a NUL in nearly
/// every odd (little-endian) or even (big-endian) byte and nearly none in the others.
fn utf16_order(probe: &[u8]) -> Option<Utf16> {
    match probe {
        [0xff, 0xfe, ..] => return Some(Utf16::Le),
        [0xfe, 0xff, ..] => return Some(Utf16::Be),
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
        Some(Utf16::Le)
    } else if even >= most && odd <= few {
        Some(Utf16::Be)
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Utf16 {
    Le,
    Be,
}

/// UTF-16 content as UTF-8 (lossily; a byte order mark is dropped). Line ends stay line
/// ends, so line numbers are those of the file.
fn utf16_to_utf8(content: &[u8]) -> Vec<u8> {
    let order = utf16_order(&content[..content.len().min(BINARY_PROBE)]).unwrap_or(Utf16::Le);
    let units = content.chunks_exact(2).map(|p| match order {
        Utf16::Le => u16::from_le_bytes([p[0], p[1]]),
        Utf16::Be => u16::from_be_bytes([p[0], p[1]]),
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .filter(|&c| c != '\u{feff}')
        .collect();
    text.into_bytes()
}

/// A copy of `content` where control bytes other than tab, LF and CR are spaces: the
/// printable runs, at the offsets (and on the lines) where the file has them.
fn printable_runs(content: &[u8]) -> Vec<u8> {
    content
        .iter()
        .map(|&b| match b {
            b'\t' | b'\n' | b'\r' => b,
            0..=0x1f | 0x7f => b' ',
            _ => b,
        })
        .collect()
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

/// `path` made absolute against `cwd`, with `.` and `..` resolved lexically (as
/// `std::path::absolute` does, without asking the system, and without keeping `..`).
pub(crate) fn lexically_absolute(cwd: &std::path::Path, path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let joined;
    let abs = if path.is_absolute() {
        path
    } else {
        joined = cwd.join(path);
        &joined
    };
    let mut out = PathBuf::with_capacity(abs.as_os_str().len());
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The top of the git working tree `dir` is in: the nearest directory, `dir` itself
/// included, that holds a `.git` entry (a directory, or a file in a linked worktree).
pub(crate) fn repository_top(dir: &std::path::Path) -> Option<&std::path::Path> {
    dir.ancestors().find(|d| d.join(".git").symlink_metadata().is_ok())
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
    fn issue_12_a_nul_does_not_hide_text() {
        use super::{Classified, classify};
        let env = b"AWS_ACCESS_KEY_ID=x\n\0";
        assert_eq!(classify(env, b"prod.env"), Classified::Text);
        assert_eq!(classify(env, b"dir/.env"), Classified::Text);
        assert_eq!(classify(env, b"main.tfstate"), Classified::Text);
        // Unknown content: the printable runs, at the same offsets.
        let Classified::Transformed(runs) = classify(b"key=a\n\0\x01key=b\n", b"blob.dat") else {
            panic!("printable runs expected")
        };
        assert_eq!(runs, b"key=a\n  key=b\n");
        // Known binary formats are still skipped.
        assert_eq!(classify(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", b"x.dat"), Classified::Binary);
        assert_eq!(classify(b"PK\x03\x04\x14\0\0\0", b"a.jar"), Classified::Binary);
        assert_eq!(classify(b"\x7fELF\x02\x01\x01\0", b"tool"), Classified::Binary);
        // UTF-16, with or without a byte order mark, is transcoded.
        let utf16: Vec<u8> =
            "\u{feff}K=V\r\nX\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(classify(&utf16, b"a.ps1"), Classified::Transformed(b"K=V\r\nX\n".to_vec()));
        let be: Vec<u8> = "KEY=VALUE\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(classify(&be, b"a"), Classified::Transformed(b"KEY=VALUE\n".to_vec()));
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
