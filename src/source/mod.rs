//! Sources of content: each pushes borrowed [`Chunk`]s into [`Visitor`]s, one visitor per
//! worker thread, from as many threads as it likes.

mod budget;
mod classify;
mod content;
pub mod git;
pub mod history;
mod index;
mod lines;
pub mod range;
pub mod staged;
pub mod stdin;
mod walk_ignore;
pub mod worktree;

#[cfg(fuzzing)]
pub(crate) use index::{libgit2_index, staged_changes};

use std::io;
use std::path::PathBuf;

pub(crate) use budget::Budget;
pub use budget::CONTENT_IN_FLIGHT;
pub use classify::{
    BINARY_EXTENSIONS, BINARY_PROBE, TEXT_EXTENSIONS, TEXT_NAMES, has_binary_extension,
    has_binary_magic, has_text_name, is_binary,
};
pub(crate) use classify::{Classified, classify};
pub use content::{Change, Content, ContentReader, ReadMethod};
pub(crate) use lines::has_lone_cr;
pub use lines::{LineSet, next_line_start};

use crate::detect::CutReason;
use crate::finding::{BlobId, Finding, Origin};

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
    /// Searched in part: detection stopped before the end (the regex work allowed for content
    /// of its size was spent, or `--timeout` passed). Findings before the cut are reported.
    Cut {
        /// The first byte not searched in full.
        at: u64,
        /// The content's size.
        size: u64,
        /// Why detection stopped.
        reason: CutReason,
    },
    /// The file changed while it was scanned (it shrank, grew or was rewritten between the
    /// moment it was opened and the end of its scan), or was removed before it could be read:
    /// what was scanned is not the file as it is. Findings in what was read are still
    /// reported. See [`content`](ContentReader) for how mapped files are kept safe to read.
    Changed(Change),
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
            SkipReason::Cut { at, size, reason } => {
                write!(f, "searched only up to byte {at} of {size}: {reason}")
            }
            SkipReason::Changed(change) => change.fmt(f),
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
            SkipReason::TooLarge { .. }
            | SkipReason::ShallowHistory
            | SkipReason::Changed(_)
            | SkipReason::Cut { .. } => true,
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
    /// read); it ends up in every report's warnings.
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

    /// Whether this source finishes its findings once it is done ([`Source::finish`]): the
    /// pipeline then holds them until the end of the scan instead of streaming them on.
    fn holds_findings(&self) -> bool {
        false
    }

    /// The source's last word on its findings, called once after [`Source::scan`] when
    /// [`Source::holds_findings`]: a history names the commit that introduced each one.
    fn finish(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
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

/// Worker threads per core at most: more only adds contention and memory (`-j 10000` spawned
/// ten thousand threads for one file).
pub const MAX_THREADS_PER_CORE: usize = 4;

/// The worker threads a source runs for `requested` (0: one per core), at most
/// [`MAX_THREADS_PER_CORE`] per core.
pub fn worker_threads(requested: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        0 => cores,
        n => n.min(cores * MAX_THREADS_PER_CORE),
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
