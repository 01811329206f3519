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

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Tree};

use super::content::{Content, ContentReader};
use super::git::{self, FileChange};

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
    let len = file.metadata().map_err(|_| ())?.len();
    reader.read(file, len).map(Some).map_err(|_| ())
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
    let len = file.metadata().ok()?.len();
    reader.read(file, len).ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The entries of a split index: the shared index's, less those the delete bitmap marks,
/// with those the replace bitmap marks replaced (in order) by the split index's first entries,
/// plus the split index's remaining entries; sorted by path and stage, a later entry
/// replacing an earlier one of the same path and stage.
fn merge<'a>(shared: &'a Index<'a>, own: &'a Index<'a>, link: &Link<'_>) -> Option<Vec<Entry<'a>>> {
    let mut base = shared.entries();
    let mut removed = vec![false; base.len()];
    let (mut delete, mut replace) = (link.delete, link.replace);
    for pos in ewah(&mut delete, base.len())? {
        removed[pos] = true;
    }
    let mut own = own.entries().into_iter();
    for pos in ewah(&mut replace, base.len())? {
        let new = own.next()?;
        if !new.path.is_empty() {
            return None; // a replacement takes the path of what it replaces
        }
        let old = &mut base[pos];
        *old = Entry { path: old.path, ..new };
    }
    let mut out: Vec<Entry<'a>> =
        base.into_iter().zip(removed).filter(|(_, r)| !r).map(|(e, _)| e).collect();
    out.extend(own);
    out.sort_by(|a, b| {
        a.path.cmp(b.path).then((a.flags & STAGE_MASK).cmp(&(b.flags & STAGE_MASK)))
    });
    out.dedup_by(|later, earlier| {
        let same =
            later.path == earlier.path && later.flags & STAGE_MASK == earlier.flags & STAGE_MASK;
        if same {
            *earlier = *later;
        }
        same
    });
    Some(out)
}

/// Decodes one EWAH-compressed bitmap (git's `ewah/ewah_io.c`: bit count, word count, the
/// 64-bit words, the position of the last run-length word, all big-endian) at the start of
/// `d`, advancing `d` past it. Returns the set bits, each below `limit`; `None` when the
/// bitmap is malformed or names a bit at or past `limit`.
fn ewah(d: &mut &[u8], limit: usize) -> Option<Vec<usize>> {
    let bits = be32(d, 0)? as usize;
    let words = be32(d, 4)? as usize;
    let body_end = words.checked_mul(8)?.checked_add(8)?;
    let body = d.get(8..body_end)?;
    be32(d, body_end)?; // the last run-length word's position: not needed to read
    *d = &d[body_end + 4..];
    let limit = limit.min(bits);
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut i = 0;
    while i < words {
        let rlw = be64(body, i * 8)?;
        i += 1;
        let run = usize::try_from((rlw >> 1) & 0xffff_ffff).ok()?.checked_mul(64)?;
        let literals = usize::try_from(rlw >> 33).ok()?;
        if rlw & 1 != 0 {
            let end = pos.checked_add(run)?;
            if end > limit {
                return None;
            }
            out.extend(pos..end);
        }
        pos = pos.checked_add(run)?;
        for _ in 0..literals {
            let word = be64(body, i * 8)?;
            i += 1;
            for bit in 0..64 {
                if word >> bit & 1 != 0 {
                    let at = pos + bit;
                    if at >= limit {
                        return None;
                    }
                    out.push(at);
                }
            }
            pos = pos.checked_add(64)?;
        }
    }
    Some(out)
}

/// A parsed index: entries as positions in the file (or in `paths`, for version 4), the
/// cache tree and the split index link.
struct Index<'a> {
    data: &'a [u8],
    entries: Vec<RawEntry>,
    /// Version 4 paths, which are prefix-compressed in the file, spelled out.
    paths: Vec<u8>,
    tree: Option<CacheTree<'a>>,
    link: Option<Link<'a>>,
}

/// A split index's `link` extension: the shared index's checksum and two bitmaps over the
/// shared index's entries, still encoded.
struct Link<'a> {
    shared: &'a [u8],
    delete: &'a [u8],
    replace: &'a [u8],
}

/// Where one entry's fields are.
struct RawEntry {
    /// Offset of the entry in the file.
    at: usize,
    /// The path: in the file (versions 2, 3) or in `Index::paths` (version 4).
    path: Range<usize>,
    in_paths: bool,
    /// The extended flags (versions 3 and 4), or 0.
    extended: u16,
}

/// One entry, borrowed.
#[derive(Clone, Copy)]
struct Entry<'a> {
    path: &'a [u8],
    mode: u32,
    id: &'a [u8],
    flags: u16,
    extended: u16,
    /// The fixed-size fields (times, device, inode, mode, owner, size, id, flags).
    stat: &'a [u8],
}

impl Entry<'_> {
    /// The entry as libgit2 takes it.
    fn to_libgit2(self) -> Result<git2::IndexEntry, git2::Error> {
        let f = |at| be32(self.stat, at).unwrap_or(0);
        let time = |at| git2::IndexTime::new(f(at) as i32, f(at + 4));
        Ok(git2::IndexEntry {
            ctime: time(0),
            mtime: time(8),
            dev: f(16),
            ino: f(20),
            mode: self.mode,
            uid: f(28),
            gid: f(32),
            file_size: f(36),
            id: Oid::from_bytes(self.id)?,
            // The stage and assume-valid bits; libgit2 sets the name length itself.
            flags: self.flags & (STAGE_MASK | 0x8000),
            flags_extended: self.extended & (INTENT_TO_ADD | SKIP_WORKTREE),
            path: self.path.to_vec(),
        })
    }
}

/// A node of the cache tree: a directory whose tree id is known (`id`) unless invalidated.
struct CacheTree<'a> {
    name: &'a [u8],
    id: Option<&'a [u8]>,
    children: Vec<CacheTree<'a>>,
}

const HEADER: usize = 12;
const SHA1: usize = 20;
/// ctime, mtime, dev, ino, mode, uid, gid, size (4 bytes each, times 8) then the id.
const MODE_AT: usize = 24;
const ID_AT: usize = 40;
const FLAGS_AT: usize = ID_AT + SHA1;
const FIXED: usize = FLAGS_AT + 2;
const EXTENDED: u16 = 0x4000;
const STAGE_MASK: u16 = 0x3000;
const NAME_MASK: u16 = 0x0fff;
const INTENT_TO_ADD: u16 = 0x2000;
const SKIP_WORKTREE: u16 = 0x4000;

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn be64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(d.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

impl<'a> Index<'a> {
    fn parse(data: &'a [u8]) -> Option<Index<'a>> {
        if data.get(..4)? != b"DIRC" || data.len() < HEADER + SHA1 {
            return None;
        }
        let version = be32(data, 4)?;
        if !(2..=4).contains(&version) {
            return None;
        }
        let count = be32(data, 8)? as usize;
        let end = data.len() - SHA1; // the trailing checksum
        let mut entries = Vec::with_capacity(count.min(end / FIXED));
        let mut paths = Vec::new();
        let mut previous = 0..0; // version 4: the previous path, in `paths`
        let mut at = HEADER;
        for _ in 0..count {
            let flags = be16(data, at + FLAGS_AT)?;
            let mut name_at = at + FIXED;
            let mut extended = 0;
            if version >= 3 && flags & EXTENDED != 0 {
                extended = be16(data, name_at)?;
                name_at += 2;
            }
            if version == 4 {
                let (strip, n) = varint(data.get(name_at..end)?)?;
                let suffix_at = name_at + n;
                let nul = memchr::memchr(0, data.get(suffix_at..end)?)?;
                let keep = previous.len().checked_sub(strip)?;
                let start = paths.len();
                paths.extend_from_within(previous.start..previous.start + keep);
                paths.extend_from_slice(&data[suffix_at..suffix_at + nul]);
                previous = start..paths.len();
                entries.push(RawEntry { at, path: previous.clone(), in_paths: true, extended });
                at = suffix_at + nul + 1;
            } else {
                let len = match flags & NAME_MASK {
                    NAME_MASK => memchr::memchr(0, data.get(name_at..end)?)?,
                    n => usize::from(n),
                };
                let path = name_at..name_at + len;
                entries.push(RawEntry { at, path, in_paths: false, extended });
                // NUL-padded to a multiple of eight bytes, at least one NUL.
                at += (name_at - at + len + 8) & !7;
            }
            if at > end {
                return None;
            }
        }
        let mut tree = None;
        let mut link = None;
        while at + 8 <= end {
            let sig = &data[at..at + 4];
            let size = be32(data, at + 4)? as usize;
            let body = data.get(at + 8..(at + 8).checked_add(size)?)?;
            match sig {
                // A malformed cache tree only disables the fast path.
                b"TREE" => tree = parse_tree(&mut &body[..], 0),
                b"link" => link = parse_link(body)?,
                // A sparse index has directory entries: it needs the full reader.
                b"sdir" => return None,
                // Other extensions are optional to understand (their signature starts with an
                // upper-case letter) or not (then the index is not for us).
                _ if !sig[0].is_ascii_uppercase() => return None,
                _ => {}
            }
            at += 8 + size;
        }
        Some(Index { data, entries, paths, tree, link })
    }

    fn entries(&self) -> Vec<Entry<'_>> {
        self.entries.iter().map(|e| self.entry(e)).collect()
    }

    fn entry(&self, e: &RawEntry) -> Entry<'_> {
        let path =
            if e.in_paths { &self.paths[e.path.clone()] } else { &self.data[e.path.clone()] };
        // In range: `parse` read the flags, which come after these.
        let stat = &self.data[e.at..e.at + FIXED];
        Entry {
            path,
            mode: be32(stat, MODE_AT).unwrap_or(0),
            id: &stat[ID_AT..ID_AT + SHA1],
            flags: be16(stat, FLAGS_AT).unwrap_or(0),
            extended: e.extended,
            stat,
        }
    }
}

/// The `link` extension: `Some(None)` when it names no shared index (all zeros).
fn parse_link(body: &[u8]) -> Option<Option<Link<'_>>> {
    let shared = body.get(..SHA1)?;
    if shared.iter().all(|&b| b == 0) {
        return Some(None);
    }
    let rest = &body[SHA1..];
    if rest.is_empty() {
        return Some(Some(Link { shared, delete: &[], replace: &[] }));
    }
    // Both bitmaps, one after the other; split them here so that `merge` reads each alone.
    let mut d = rest;
    ewah_len(&mut d)?;
    let delete = &rest[..rest.len() - d.len()];
    let replace = d;
    Some(Some(Link { shared, delete, replace }))
}

/// Skips one EWAH bitmap at the start of `d`.
fn ewah_len(d: &mut &[u8]) -> Option<()> {
    let words = be32(d, 4)? as usize;
    let len = words.checked_mul(8)?.checked_add(12)?;
    *d = d.get(len..)?;
    Some(())
}

/// Git's offset varint (version 4 path compression): big-endian base 128, each continuation
/// adding one. Returns the value and the bytes it took.
fn varint(d: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    let mut b = *d.first()?;
    let mut v = usize::from(b & 0x7f);
    while b & 0x80 != 0 {
        i += 1;
        b = *d.get(i)?;
        v = v.checked_add(1)?.checked_mul(128)? | usize::from(b & 0x7f);
    }
    Some((v, i + 1))
}

/// One cache tree node and, recursively (at most [`MAX_DEPTH`] deep), its children: `name
/// NUL entry_count SP subtree_count LF [id]`, where an entry count of -1 marks an invalidated
/// node (no id).
fn parse_tree<'a>(d: &mut &'a [u8], depth: usize) -> Option<CacheTree<'a>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let nul = memchr::memchr(0, d)?;
    let name = &d[..nul];
    let lf = memchr::memchr(b'\n', &d[nul + 1..])? + nul + 1;
    let counts = std::str::from_utf8(&d[nul + 1..lf]).ok()?;
    let (entries, subtrees) = counts.split_once(' ')?;
    let entries: i64 = entries.parse().ok()?;
    let subtrees: usize = subtrees.parse().ok()?;
    let mut rest = &d[lf + 1..];
    let id = if entries >= 0 {
        let id = rest.get(..SHA1)?;
        rest = &rest[SHA1..];
        Some(id)
    } else {
        None
    };
    *d = rest;
    let mut children = Vec::with_capacity(subtrees.min(d.len()));
    for _ in 0..subtrees {
        children.push(parse_tree(d, depth + 1)?);
    }
    Some(CacheTree { name, id, children })
}

struct Walk<'r> {
    repo: &'r Repository,
    out: Vec<FileChange>,
    /// Whether some file or directory of `HEAD` is gone from the index.
    deleted: bool,
}

impl Walk<'_> {
    /// Compares one directory: `entries` (all sharing the directory's path, `prefix` bytes
    /// long) with `head` (the directory's tree in `HEAD`) and `cache` (its cache tree node).
    fn compare(
        &mut self,
        depth: usize,
        prefix: usize,
        head: Option<&Tree<'_>>,
        cache: Option<&CacheTree<'_>>,
        entries: &[Entry<'_>],
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut matched = 0;
        let mut i = 0;
        while i < entries.len() {
            let path = entries[i].path;
            let rest = path.get(prefix..)?;
            match memchr::memchr(b'/', rest) {
                None => {
                    let before = head.and_then(|h| h.get_name_bytes(rest));
                    matched += usize::from(before.is_some());
                    let entry = &entries[i];
                    let new = Oid::from_bytes(entry.id).ok()?;
                    if git::is_file_mode(entry.mode as i32) {
                        let old = match &before {
                            Some(b) if b.id() == new => None,
                            Some(b) if git::is_file_mode(b.filemode()) => Some(Some(b.id())),
                            _ => Some(None),
                        };
                        if let Some(old) = old {
                            self.out.push(FileChange { path: path.to_vec(), old, new });
                        }
                    }
                    i += 1;
                }
                Some(slash) => {
                    let name = &rest[..slash];
                    let dir_len = prefix + slash + 1;
                    let end = i + entries[i..].partition_point(|e| {
                        e.path.len() > dir_len && e.path[..dir_len] == path[..dir_len]
                    });
                    if end == i {
                        return None; // a path ending in `/`: not from git
                    }
                    let before = head.and_then(|h| h.get_name_bytes(name));
                    matched += usize::from(before.is_some());
                    let sub_cache = cache.and_then(|c| c.children.iter().find(|t| t.name == name));
                    let unchanged = match (&before, sub_cache.and_then(|c| c.id)) {
                        (Some(b), Some(id)) => id == b.id().as_bytes(),
                        _ => false,
                    };
                    if !unchanged {
                        let sub_head = before
                            .filter(|b| git::is_tree(b.kind()))
                            .and_then(|b| self.repo.find_tree(b.id()).ok());
                        self.compare(
                            depth + 1,
                            dir_len,
                            sub_head.as_ref(),
                            sub_cache,
                            &entries[i..end],
                        )?;
                    }
                    i = end;
                }
            }
        }
        if head.is_some_and(|h| h.len() > matched) {
            self.deleted = true;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        // Only PATH from this process: a test run from inside a git hook must not see the
        // hook's GIT_DIR, GIT_INDEX_FILE, … and touch the outer repository.
        let ok = Command::new("git")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    fn sorted(mut v: Vec<FileChange>) -> Vec<FileChange> {
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    /// A repository with changes in several places, in index version `version`.
    fn repo_with_changes(version: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        git(d, &["config", "index.version", version]);
        let files = [("a.txt", "a"), ("x/b.txt", "b"), ("x/y/c.txt", "c"), ("z/d.txt", "d")];
        for (p, c) in files {
            std::fs::create_dir_all(d.join(p).parent().unwrap()).unwrap();
            std::fs::write(d.join(p), c).unwrap();
        }
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "base"]);
        std::fs::write(d.join("x/y/c.txt"), "c2").unwrap();
        std::fs::write(d.join("x/new.txt"), "n").unwrap();
        std::fs::write(d.join("top.txt"), "t").unwrap();
        git(d, &["add", "-A"]);
        dir
    }

    /// The fast path agrees with libgit2's diff, in every index version.
    #[test]
    fn agrees_with_libgit2() {
        for version in ["2", "3", "4"] {
            let dir = repo_with_changes(version);
            let repo = Repository::open(dir.path()).unwrap();
            let head = repo.head().unwrap().peel_to_tree().unwrap();
            let fast = sorted(
                staged_changes(&repo, Some(&head), &repo.path().join("index"))
                    .expect("fast path answers"),
            );
            let index = repo.index().unwrap();
            let diff = repo.diff_tree_to_index(Some(&head), Some(&index), None).unwrap();
            assert_eq!(
                fast,
                sorted(git::diff_changes(&diff, git::Side::Tree(&head), git::Side::Index(&index))),
                "index version {version}"
            );
            let paths: Vec<_> = fast.iter().map(|c| String::from_utf8_lossy(&c.path)).collect();
            assert_eq!(paths, ["top.txt", "x/new.txt", "x/y/c.txt"], "index version {version}");

            // A deletion next to an addition may be a rename: the fast path declines.
            git(dir.path(), &["rm", "-q", "z/d.txt"]);
            assert!(staged_changes(&repo, Some(&head), &repo.path().join("index")).is_none());
        }
    }

    #[test]
    fn nothing_staged_and_no_commit_yet() {
        let dir = repo_with_changes("2");
        let d = dir.path();
        git(d, &["commit", "-q", "-m", "all"]);
        let repo = Repository::open(d).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        assert_eq!(
            staged_changes(&repo, Some(&head), &repo.path().join("index")),
            Some(Vec::new())
        );
        // Without HEAD everything is new.
        let all = staged_changes(&repo, None, &repo.path().join("index")).expect("answers");
        assert_eq!(all.len(), 6);
        assert!(all.iter().all(|c| c.old.is_none()));
    }

    /// A path longer than the 12-bit length field (and than PATH_MAX, so only in the index):
    /// its length comes from its NUL.
    #[test]
    fn very_long_paths() {
        for version in ["2", "4"] {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            git(d, &["init", "-q"]);
            git(d, &["config", "index.version", version]);
            let long = format!("{}/long.txt", vec!["d".repeat(200); 21].join("/"));
            std::fs::write(d.join("a"), "a").unwrap();
            git(d, &["hash-object", "-w", "a"]);
            let blob = "2e65efe2a145dda7ee51d1741299f848e5bf752e"; // `git hash-object` of "a"
            for p in [long.as_str(), "z.txt"] {
                git(d, &["update-index", "--add", "--cacheinfo", &format!("100644,{blob},{p}")]);
            }
            git(d, &["write-tree"]); // fills the cache tree
            let data = std::fs::read(d.join(".git/index")).unwrap();
            let index = Index::parse(&data).expect("parses");
            let paths: Vec<_> = index.entries.iter().map(|e| index.entry(e).path).collect();
            assert_eq!(paths, [long.as_bytes(), b"z.txt"], "index version {version}");
        }
    }

    #[test]
    fn malformed_indexes_are_declined() {
        let dir = repo_with_changes("2");
        let data = std::fs::read(dir.path().join(".git/index")).unwrap();
        assert!(Index::parse(&data).is_some());
        for cut in [0, 4, 12, 40, data.len() / 2, data.len() - 21] {
            assert!(Index::parse(&data[..cut]).is_none(), "cut at {cut}");
        }
        let mut bad = data.clone();
        bad[..4].copy_from_slice(b"XXXX");
        assert!(Index::parse(&bad).is_none());
        let mut v9 = data;
        v9[7] = 9;
        assert!(Index::parse(&v9).is_none());
    }

    /// The changes `git diff --cached` lists, by path.
    fn git_staged_paths(dir: &Path) -> Vec<String> {
        let out = Command::new("git")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .current_dir(dir)
            .args(["diff", "--cached", "--name-only", "--diff-filter=AMRCT", "--no-renames"])
            .output()
            .unwrap();
        let mut v: Vec<String> =
            String::from_utf8(out.stdout).unwrap().lines().map(Into::into).collect();
        v.sort();
        v
    }

    /// Issue 12: a split index (`core.splitIndex`) is read whole, merged with its shared
    /// index, by the fast path and for libgit2 (which refuses the `link` extension).
    #[test]
    fn issue_12_split_indexes_are_merged_with_their_shared_index() {
        for version in ["2", "3", "4"] {
            let dir = repo_with_changes(version);
            let d = dir.path();
            git(d, &["update-index", "--split-index"]);
            // Changes after the split live in the split index: a replaced entry (x/y/c.txt),
            // a deleted one (a.txt), added ones.
            std::fs::write(d.join("x/y/c.txt"), "c3").unwrap();
            std::fs::write(d.join("added.txt"), "n").unwrap();
            std::fs::write(d.join("z/e.txt"), "e").unwrap();
            git(d, &["add", "-A"]);
            let repo = Repository::open(d).unwrap();
            let index_file = repo.path().join("index");
            let data = std::fs::read(&index_file).unwrap();
            assert!(Index::parse(&data).unwrap().link.is_some(), "index version {version}");
            let head = repo.head().unwrap().peel_to_tree().unwrap();
            let fast = sorted(staged_changes(&repo, Some(&head), &index_file).expect("answers"));
            let paths: Vec<_> = fast.iter().map(|c| String::from_utf8_lossy(&c.path)).collect();
            assert_eq!(paths, git_staged_paths(d), "index version {version}");
            let index = libgit2_index(&repo, &index_file).expect("merged for libgit2");
            let diff = repo.diff_tree_to_index(Some(&head), Some(&index), None).unwrap();
            assert_eq!(
                fast,
                sorted(git::diff_changes(&diff, git::Side::Tree(&head), git::Side::Index(&index))),
                "index version {version}"
            );

            // A deletion: the fast path declines, libgit2 gets the merged index.
            git(d, &["rm", "-q", "--cached", "z/d.txt"]);
            assert!(staged_changes(&repo, Some(&head), &index_file).is_none());
            let index = libgit2_index(&repo, &index_file).expect("merged for libgit2");
            let diff = repo.diff_tree_to_index(Some(&head), Some(&index), None).unwrap();
            let paths: Vec<_> =
                sorted(git::diff_changes(&diff, git::Side::Tree(&head), git::Side::Index(&index)))
                    .iter()
                    .map(|c| String::from_utf8_lossy(&c.path).into_owned())
                    .collect();
            assert_eq!(paths, git_staged_paths(d), "index version {version}");
        }
    }

    /// A version 2 index of `paths` (all the same blob), with a cache tree whose root is
    /// invalid, and a zero checksum.
    fn fake_index(paths: &[&[u8]], tree: &[u8]) -> Vec<u8> {
        let mut d = b"DIRC".to_vec();
        d.extend(2u32.to_be_bytes());
        d.extend((paths.len() as u32).to_be_bytes());
        for p in paths {
            let start = d.len();
            d.extend([0u8; 24]);
            d.extend(0o100644u32.to_be_bytes());
            d.extend([0u8; 12]);
            d.extend([7u8; 20]);
            d.extend((p.len().min(0xfff) as u16).to_be_bytes());
            d.extend_from_slice(p);
            d.push(0);
            while !(d.len() - start).is_multiple_of(8) {
                d.push(0);
            }
        }
        d.extend(b"TREE");
        d.extend((tree.len() as u32).to_be_bytes());
        d.extend_from_slice(tree);
        d.extend([0u8; 20]);
        d
    }

    /// The fast path (and, for a split index, the merge for libgit2) on an index file.
    fn fast_path_on(data: &[u8]) -> Option<Vec<FileChange>> {
        thread_local! {
            static REPO: (tempfile::TempDir, Repository) = {
                let dir = tempfile::tempdir().unwrap();
                let repo = Repository::init(dir.path()).unwrap();
                (dir, repo)
            };
        }
        REPO.with(|(dir, repo)| {
            let path = dir.path().join("fake-index");
            std::fs::write(&path, data).unwrap();
            let _ = libgit2_index(repo, &path);
            staged_changes(repo, None, &path)
        })
    }

    /// Issue 12: the index comes from an untrusted repository. Truncated, garbled and hostile
    /// index files are declined (left to libgit2) without a panic, a hang or a stack overflow.
    #[test]
    fn issue_12_garbage_and_truncated_indexes_never_panic() {
        // A path ending in `/` (git writes none) once made the comparison loop forever.
        let looping = fake_index(&[b"x/"], b"\0-1 0\n");
        assert!(fast_path_on(&looping).is_none());
        // Paths and cache trees nested far deeper than any repository.
        let deep = format!("{}f", "d/".repeat(2000));
        assert!(fast_path_on(&fake_index(&[deep.as_bytes()], b"\0-1 0\n")).is_none());
        let mut nested = Vec::new();
        for _ in 0..100_000 {
            nested.extend(b"d\0-1 1\n");
        }
        assert!(fast_path_on(&fake_index(&[b"a"], &nested)).is_none());
        let ok = fake_index(&[b"a", b"b/c"], b"\0-1 0\n");
        assert_eq!(fast_path_on(&ok).map(|c| c.len()), Some(2));

        // Every truncation and many mutations of real indexes, in every version and split.
        let mut samples = vec![ok, looping];
        for version in ["2", "3", "4"] {
            let dir = repo_with_changes(version);
            samples.push(std::fs::read(dir.path().join(".git/index")).unwrap());
            git(dir.path(), &["update-index", "--split-index"]);
            std::fs::write(dir.path().join("a.txt"), "changed").unwrap();
            git(dir.path(), &["add", "a.txt"]);
            samples.push(std::fs::read(dir.path().join(".git/index")).unwrap());
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for data in &samples {
            for cut in 0..data.len() {
                let _ = fast_path_on(&data[..cut]);
            }
            for _ in 0..300 {
                let mut bad = data.clone();
                for _ in 0..1 + random() % 4 {
                    let at = (random() as usize) % bad.len();
                    bad[at] = random() as u8;
                }
                let _ = fast_path_on(&bad);
            }
        }
        for len in [0, 1, 12, 64, 4096] {
            let mut garbage = b"DIRC\0\0\0\x02".to_vec();
            garbage.extend((0..len).map(|_| random() as u8));
            let _ = fast_path_on(&garbage);
        }
        // Bitmaps that name bits past the shared index, or claim more words than they hold.
        let mut bitmap = 64u32.to_be_bytes().to_vec();
        bitmap.extend(1u32.to_be_bytes());
        bitmap.extend((u64::MAX).to_be_bytes());
        bitmap.extend(0u32.to_be_bytes());
        assert!(ewah(&mut &bitmap[..], 3).is_none());
        let mut huge = u32::MAX.to_be_bytes().to_vec();
        huge.extend(u32::MAX.to_be_bytes());
        assert!(ewah(&mut &huge[..], 3).is_none());
        // A run of 64 set bits, then a literal word with bit 2 set: 0..64 and 66.
        let mut run = 200u32.to_be_bytes().to_vec();
        run.extend(2u32.to_be_bytes());
        run.extend(((1u64 << 33) | (1 << 1) | 1).to_be_bytes());
        run.extend(4u64.to_be_bytes());
        run.extend(0u32.to_be_bytes());
        let bits = ewah(&mut &run[..], 200).unwrap();
        assert_eq!(bits.len(), 65);
        assert_eq!(bits.last(), Some(&66));
    }

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0x81, 0x7f]), Some((383, 2)));
        assert_eq!(varint(&[0x80]), None);
    }
}
