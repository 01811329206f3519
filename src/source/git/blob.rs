//! Handing a blob (or a message) to a visitor: size limit, damage check, LFS pointers, binary
//! content.

use git2::{ObjectType, Oid, Repository};

use super::{blob_id, lfs::is_lfs_pointer};
use crate::finding::Origin;
use crate::source::{Budget, Chunk, LineSet, ReadMethod, SkipReason, SourceError, Visitor};

/// What bounds the reading of blobs: their size, and the bytes all workers hold at once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits<'b> {
    /// Blobs larger than this are skipped and reported, unread.
    pub(crate) max_file_size: u64,
    /// The content in flight of all workers.
    pub(crate) budget: &'b Budget,
}

/// The size of blob `id` from its object header, without decoding the blob (`None` when the
/// header cannot be read: reading the blob then says why).
pub(crate) fn blob_size(repo: &Repository, id: Oid) -> Option<u64> {
    let (size, _) = repo.odb().ok()?.read_header(id).ok()?;
    Some(size as u64)
}

/// Reads blob `id` and hands it to `visitor` as a chunk of `origin`, unless it is too large
/// (known from its header: it is never decoded), binary or an LFS pointer. `lines`, when set,
/// limits what is reported. The blob's size is held from the budget while it is in memory.
pub(crate) fn visit_blob(
    repo: &Repository,
    id: Oid,
    origin: Origin,
    lines: Option<&LineSet>,
    limits: &Limits<'_>,
    visitor: &mut dyn Visitor,
) {
    let limit = limits.max_file_size;
    let size = blob_size(repo, id);
    if let Some(size) = size.filter(|&s| s > limit) {
        return visitor.skipped(origin, SkipReason::TooLarge { size, limit });
    }
    let _hold = limits.budget.hold(size.unwrap_or(0));
    let blob = match repo.find_blob(id) {
        Ok(b) => b,
        Err(e) => {
            return visitor.error(SourceError::Git(format!(
                "{}: cannot read blob {id}: {}",
                origin.display_name(),
                e.message()
            )));
        }
    };
    visit_content(blob.content(), id, origin, lines, limit, Verify::Skipped, visitor);
}

/// Which blobs [`visit_content`] checks against their id before it uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verify {
    /// Only those it would pass over (binary, a Git LFS pointer): a damaged object must be an
    /// error, never a skip. Content that is scanned is scanned as read. (A history scan: hashing
    /// every blob would double its cost.)
    Skipped,
    /// Every one (staged and range scans: few blobs, and the hook's answer must be right).
    All,
}

/// Whether `content` is the blob `id` names. libgit2's own check is off (see
/// [`super::set_libgit2_options`]),
/// so a loose object overwritten with another zlib stream reads without complaint.
fn intact(content: &[u8], id: Oid) -> bool {
    Oid::hash_object(ObjectType::Blob, content).is_ok_and(|h| h == id)
}

/// [`visit_blob`] for content already read.
pub(crate) fn visit_content(
    content: &[u8],
    id: Oid,
    origin: Origin,
    lines: Option<&LineSet>,
    limit: u64,
    verify: Verify,
    visitor: &mut dyn Visitor,
) {
    let size = content.len() as u64;
    if size > limit {
        return visitor.skipped(origin, SkipReason::TooLarge { size, limit });
    }
    // Content that is not plain text may be skipped (binary, an LFS pointer) or read in part:
    // first make sure it is what its id says, so that a damaged object is an error, never a
    // skip.
    let lfs = is_lfs_pointer(content);
    let plain = !crate::source::is_binary(content) && !lfs;
    if (verify == Verify::All || !plain) && !intact(content, id) {
        return visitor.error(SourceError::Git(format!(
            "{}: blob {id} is damaged: its content does not match its id",
            origin.display_name()
        )));
    }
    if lfs {
        return visitor.skipped(origin, SkipReason::LfsPointer);
    }
    crate::source::deliver_chunk(
        content,
        ReadMethod::Buffered,
        origin,
        Some(blob_id(id)),
        lines,
        visitor,
    );
}

/// A message (commit or tag) as a chunk.
pub(crate) fn visit_message(message: &[u8], origin: Origin, visitor: &mut dyn Visitor) {
    if message.is_empty() {
        return;
    }
    visitor.chunk(Chunk {
        content: message,
        origin: &origin,
        read: ReadMethod::Buffered,
        blob: None,
        lines: None,
    });
}
