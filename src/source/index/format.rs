//! The index file format: entries, the cache tree and the split index link, as positions in
//! the mapped file. Every offset is checked.

use std::ops::Range;

use git2::Oid;

use super::MAX_DEPTH;

/// A parsed index: entries as positions in the file (or in `paths`, for version 4), the
/// cache tree and the split index link.
pub(super) struct Index<'a> {
    pub(super) data: &'a [u8],
    pub(super) entries: Vec<RawEntry>,
    /// Version 4 paths, which are prefix-compressed in the file, spelled out.
    pub(super) paths: Vec<u8>,
    pub(super) tree: Option<CacheTree<'a>>,
    pub(super) link: Option<Link<'a>>,
}

/// A split index's `link` extension: the shared index's checksum and two bitmaps over the
/// shared index's entries, still encoded.
pub(super) struct Link<'a> {
    pub(super) shared: &'a [u8],
    pub(super) delete: &'a [u8],
    pub(super) replace: &'a [u8],
}

/// Where one entry's fields are.
pub(super) struct RawEntry {
    /// Offset of the entry in the file.
    pub(super) at: usize,
    /// The path: in the file (versions 2, 3) or in `Index::paths` (version 4).
    pub(super) path: Range<usize>,
    pub(super) in_paths: bool,
    /// The extended flags (versions 3 and 4), or 0.
    pub(super) extended: u16,
}

/// One entry, borrowed.
#[derive(Clone, Copy)]
pub(super) struct Entry<'a> {
    pub(super) path: &'a [u8],
    pub(super) mode: u32,
    pub(super) id: &'a [u8],
    pub(super) flags: u16,
    pub(super) extended: u16,
    /// The fixed-size fields (times, device, inode, mode, owner, size, id, flags).
    pub(super) stat: &'a [u8],
}

impl Entry<'_> {
    /// The entry as libgit2 takes it.
    pub(super) fn to_libgit2(self) -> Result<git2::IndexEntry, git2::Error> {
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
pub(super) struct CacheTree<'a> {
    pub(super) name: &'a [u8],
    pub(super) id: Option<&'a [u8]>,
    pub(super) children: Vec<CacheTree<'a>>,
}

pub(super) const HEADER: usize = 12;
pub(super) const SHA1: usize = 20;
/// ctime, mtime, dev, ino, mode, uid, gid, size (4 bytes each, times 8) then the id.
pub(super) const MODE_AT: usize = 24;
pub(super) const ID_AT: usize = 40;
pub(super) const FLAGS_AT: usize = ID_AT + SHA1;
pub(super) const FIXED: usize = FLAGS_AT + 2;
pub(super) const EXTENDED: u16 = 0x4000;
pub(super) const STAGE_MASK: u16 = 0x3000;
pub(super) const NAME_MASK: u16 = 0x0fff;
pub(super) const INTENT_TO_ADD: u16 = 0x2000;
pub(super) const SKIP_WORKTREE: u16 = 0x4000;

pub(super) fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

pub(super) fn be64(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(d.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

pub(super) fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

impl<'a> Index<'a> {
    pub(super) fn parse(data: &'a [u8]) -> Option<Index<'a>> {
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

    pub(super) fn entries(&self) -> Vec<Entry<'_>> {
        self.entries.iter().map(|e| self.entry(e)).collect()
    }

    pub(super) fn entry(&self, e: &RawEntry) -> Entry<'_> {
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
pub(super) fn parse_link(body: &[u8]) -> Option<Option<Link<'_>>> {
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
pub(super) fn ewah_len(d: &mut &[u8]) -> Option<()> {
    let words = be32(d, 4)? as usize;
    let len = words.checked_mul(8)?.checked_add(12)?;
    *d = d.get(len..)?;
    Some(())
}

/// Git's offset varint (version 4 path compression): big-endian base 128, each continuation
/// adding one. Returns the value and the bytes it took.
pub(super) fn varint(d: &[u8]) -> Option<(usize, usize)> {
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
pub(super) fn parse_tree<'a>(d: &mut &'a [u8], depth: usize) -> Option<CacheTree<'a>> {
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
