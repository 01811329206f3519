//! Staged changes read straight from the index file, using the index's cache of tree ids
//! ("cache tree", the `TREE` extension) to pass over every directory whose staged content
//! equals `HEAD`'s. In a large repository this is what makes a pre-commit hook fast: libgit2
//! parses the whole index into entries, hashes it with collision-detecting SHA-1 and compares
//! every entry with `HEAD`'s tree (about 30 ms for 52,000 files), and gix-index also
//! materialises every entry (7 ms for 56,000). This reader only slices the mapped file.
//!
//! Format: `Documentation/gitformat-index.txt` in git. Versions 2, 3 and 4 are read, and
//! a split index (`core.splitIndex`: the entries live in a shared index file, the index holds
//! changes to it) is merged with its shared index. It answers only when its answer is
//! certain; otherwise (another version, a sparse index, no cache tree, unresolved conflicts,
//! anything malformed or nested too deep, or files both added and deleted, which may be
//! renames) the caller asks libgit2 for a full diff. libgit2 reads no split index, so for one
//! [`libgit2_index`] hands it the merged entries.
//!
//! The file comes from the repository, which is untrusted: every offset is checked, and
//! nothing recurses without a depth limit.

mod compare;
mod format;
mod split;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::path::{Path, PathBuf};

use git2::{Repository, Tree};

use super::content::{Content, ContentReader};
use super::git::FileChange;
use crate::finding::hex;
use compare::Walk;
use format::{Entry, Index, SHA1, STAGE_MASK};
use split::merge;

/// The deepest directory nesting the cache tree and the comparison descend into; an index
/// nested deeper is left to libgit2.
const MAX_DEPTH: usize = 256;

/// The files the index at `path` adds or changes relative to `head` (`None`: no commit yet),
/// or `None` when this fast path cannot tell for sure.
pub(crate) fn staged_changes(
    repo: &Repository,
    head: Option<&Tree<'_>>,
    path: &Path,
) -> Option<Vec<FileChange>> {
    let compare = |index: &Index<'_>, entries: &[Entry<'_>], _split: bool| {
        let tree = index.tree.as_ref()?;
        if entries.iter().any(|e| e.flags & STAGE_MASK != 0) {
            return None; // an unresolved conflict
        }
        let mut walk = Walk { repo, out: Vec::new(), deleted: false };
        walk.compare(0, 0, head, Some(tree), entries)?;
        if walk.deleted && walk.out.iter().any(|c| c.old.is_none()) {
            return None;
        }
        Some(walk.out)
    };
    match load(repo, path, compare) {
        Loaded::Missing => Some(Vec::new()),
        Loaded::Declined => None,
        Loaded::Read(changes) => changes,
    }
}

/// The index at `path` for libgit2, built in memory from the entries this reader read
/// (merged with the shared index for a split index, which libgit2 refuses: it does not know
/// the `link` extension). libgit2 opens the file itself only when this reader declines it; it
/// then never sees a cache tree this reader found malformed or nested too deep (libgit2 reads
/// cache trees recursively, without a depth limit).
pub(crate) fn libgit2_index(repo: &Repository, path: &Path) -> Result<git2::Index, git2::Error> {
    let build = |_: &Index<'_>, entries: &[Entry<'_>], _split: bool| {
        let mut index = git2::Index::new()?;
        for e in entries {
            index.add(&e.to_libgit2()?)?;
        }
        Ok::<_, git2::Error>(index)
    };
    match load(repo, path, build) {
        Loaded::Read(index) => index,
        Loaded::Missing => git2::Index::new(),
        Loaded::Declined => Err(git2::Error::from_str(&format!(
            "cannot read the index {}: not an index of version 2, 3 or 4, a sparse index, an \
             unknown required extension, a missing shared index, or damaged",
            path.display()
        ))),
    }
}

/// What [`load`] found.
enum Loaded<R> {
    /// No index file: nothing is staged.
    Missing,
    /// An index this reader does not take.
    Declined,
    /// What the caller made of the entries.
    Read(R),
}

/// Reads the index at `path` (and, for a split index, its shared index) and hands its entries,
/// sorted by path and stage, to `f`, with whether it was split.
fn load<R>(
    repo: &Repository,
    path: &Path,
    f: impl FnOnce(&Index<'_>, &[Entry<'_>], bool) -> R,
) -> Loaded<R> {
    let mut reader = ContentReader::new(super::worktree::MMAP_THRESHOLD);
    let data = match read(&mut reader, path) {
        Ok(Some(data)) => data,
        Ok(None) => return Loaded::Missing,
        Err(()) => return Loaded::Declined,
    };
    let Some(index) = Index::parse(&data) else { return Loaded::Declined };
    let Some(link) = &index.link else { return Loaded::Read(f(&index, &index.entries(), false)) };
    // The shared index is in the git directory; git also looks beside the index file (a
    // temporary index elsewhere).
    let name = format!("sharedindex.{}", hex(link.shared));
    let beside = path.parent().map(|p| p.join(&name));
    let mut shared_reader = ContentReader::new(super::worktree::MMAP_THRESHOLD);
    let candidates = std::iter::once(repo.path().join(&name)).chain(beside);
    let Some(shared_data) = first_readable(&mut shared_reader, candidates) else {
        return Loaded::Declined;
    };
    // The shared index is named after its checksum, and is never split itself.
    if shared_data.get(shared_data.len().saturating_sub(SHA1)..) != Some(link.shared) {
        return Loaded::Declined;
    }
    let Some(shared) = Index::parse(&shared_data).filter(|s| s.link.is_none()) else {
        return Loaded::Declined;
    };
    match merge(&shared, &index, link) {
        Some(entries) => Loaded::Read(f(&index, &entries, true)),
        None => Loaded::Declined,
    }
}

/// The content of `path`; `None` when there is no such file, `Err` when it cannot be read.
fn read<'r>(reader: &'r mut ContentReader, path: &Path) -> Result<Option<Content<'r>>, ()> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(()),
    };
    let metadata = file.metadata().map_err(|_| ())?;
    reader.read(file, &metadata).map(Some).map_err(|_| ())
}

/// The content of the first of `paths` that exists and reads.
fn first_readable(
    reader: &mut ContentReader,
    paths: impl Iterator<Item = PathBuf>,
) -> Option<Content<'_>> {
    let mut found = None;
    for p in paths {
        if let Ok(f) = File::open(&p) {
            found = Some(f);
            break;
        }
    }
    let file = found?;
    let metadata = file.metadata().ok()?;
    reader.read(file, &metadata).ok()
}
