//! What a change adds: the files a diff adds or changes, and the lines added to each.

use git2::{Blob, Delta, Diff, DiffOptions, Oid, Patch, Repository, Tree};

use super::blob::{Verify, visit_content};
use super::{Limits, PathFilter, blob::blob_size, is_file_mode, path_of};
use crate::finding::Origin;
use crate::source::{LineSet, SkipReason, SourceError, Visitor};

/// The lines of `new` that are not in `old`: with zero lines of context, every line of a
/// hunk's new side is an added line.
pub(crate) fn added_lines(old: &Blob<'_>, new: &Blob<'_>) -> Result<LineSet, git2::Error> {
    let mut opts = DiffOptions::new();
    opts.context_lines(0).interhunk_lines(0).force_text(true);
    // From the buffers, not the blobs: libgit2 would look up diff drivers in the
    // repository's attributes, loading the whole index to do so.
    let patch = Patch::from_buffers(old.content(), None, new.content(), None, Some(&mut opts))?;
    let mut lines = LineSet::new();
    for h in 0..patch.num_hunks() {
        let (hunk, _) = patch.hunk(h)?;
        let start = hunk.new_start() as usize;
        for line in start..start + hunk.new_lines() as usize {
            lines.push(line);
        }
    }
    Ok(lines)
}

/// A file that a change adds or modifies: its path, its content before (`None` when the
/// file is new here) and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileChange {
    pub(crate) path: Vec<u8>,
    pub(crate) old: Option<Oid>,
    pub(crate) new: Oid,
}

/// One side of a diff, where [`diff_changes`] looks up each path's file mode.
#[derive(Clone, Copy)]
pub(crate) enum Side<'a> {
    /// Nothing (a root commit's parent, an unborn `HEAD`).
    Empty,
    /// A tree.
    Tree(&'a Tree<'a>),
    /// An index.
    Index(&'a git2::Index),
}

impl Side<'_> {
    /// Whether `path` is a file whose content can be scanned, on this side.
    fn is_file(&self, path: &[u8]) -> bool {
        match self {
            Side::Empty => false,
            Side::Tree(t) => t.get_path(&path_of(path)).is_ok_and(|e| is_file_mode(e.filemode())),
            Side::Index(i) => {
                i.get_path(&path_of(path), 0).is_some_and(|e| is_file_mode(e.mode as i32))
            }
        }
    }
}

/// The files that `diff` (from `old` to `new`) adds or changes. A file whose content did not
/// change (a pure rename or a mode change), a deletion, a symbolic link or a submodule is not
/// one. Modes come from the trees and the index, never from the diff: git2 panics on a diff
/// file mode it does not know, and a tree from the repository may hold any mode (`100600`).
pub(crate) fn diff_changes(
    diff: &Diff<'_>,
    old_side: Side<'_>,
    new_side: Side<'_>,
) -> Vec<FileChange> {
    let mut out = Vec::new();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let (old, new) = (delta.old_file(), delta.new_file());
        let Some(path) = new.path_bytes() else { continue };
        if old.id() == new.id() || !new_side.is_file(path) {
            continue;
        }
        let old_is_file = old.path_bytes().is_some_and(|p| old_side.is_file(p));
        let old = (old.exists() && old_is_file).then(|| old.id());
        out.push(FileChange { path: path.to_vec(), old, new: new.id() });
    }
    out
}

/// Scans the new content of `change`, reporting only the lines it adds. For a merge,
/// `other_parents` are the trees of the parents after the first: a line counts as added only
/// if it is new relative to every parent.
pub(crate) fn visit_change(
    repo: &Repository,
    change: &FileChange,
    other_parents: &[Tree<'_>],
    filter: &PathFilter,
    origin: &dyn Fn(&[u8]) -> Origin,
    limits: &Limits<'_>,
    visitor: &mut dyn Visitor,
) {
    let path = &change.path[..];
    if filter.excludes(path) {
        return;
    }
    let origin = origin(path);
    if crate::source::has_binary_extension(path) {
        return visitor.skipped(origin, SkipReason::Binary);
    }
    // The new blob and, one at a time, each base it is compared with are in memory together
    // (with the diff's own buffers): hold the new one and the largest base at once.
    let base_size = change.old.iter().filter_map(|&b| blob_size(repo, b)).max().unwrap_or(0);
    let new_size = blob_size(repo, change.new).unwrap_or(0);
    let _hold = limits.budget.hold(new_size.saturating_add(base_size));
    let blob = match repo.find_blob(change.new) {
        Ok(b) => b,
        Err(e) => {
            return visitor.error(SourceError::Git(format!(
                "{}: cannot read blob {}: {}",
                origin.display_name(),
                change.new,
                e.message()
            )));
        }
    };
    // `None`: every line is new.
    let mut lines: Option<LineSet> = None;
    let mut bases: Vec<Oid> = change.old.into_iter().collect();
    for p in other_parents {
        match p.get_path(&path_of(path)) {
            Ok(e) if e.id() == change.new => return, // that parent has it already
            Ok(e) if is_file_mode(e.filemode()) => bases.push(e.id()),
            _ => {}
        }
    }
    for base in bases {
        match repo.find_blob(base).and_then(|old| added_lines(&old, &blob)) {
            Ok(added) => match &mut lines {
                Some(l) => l.intersect(&added),
                None => lines = Some(added),
            },
            Err(e) => visitor.error(SourceError::Git(format!(
                "{}: cannot compare with {base}: {}",
                origin.display_name(),
                e.message()
            ))),
        }
    }
    if lines.as_ref().is_some_and(LineSet::is_empty) {
        return; // only deletions
    }
    let limit = limits.max_file_size;
    visit_content(blob.content(), change.new, origin, lines.as_ref(), limit, Verify::All, visitor);
}
