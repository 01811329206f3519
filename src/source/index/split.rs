//! Split indexes (`core.splitIndex`): the shared index's entries merged with the split
//! index's changes, through its EWAH bitmaps.

use super::format::{Entry, Index, Link, STAGE_MASK, be32, be64};

/// The entries of a split index: the shared index's, less those the delete bitmap marks,
/// with those the replace bitmap marks replaced (in order) by the split index's first entries,
/// plus the split index's remaining entries; sorted by path and stage, a later entry
/// replacing an earlier one of the same path and stage.
pub(super) fn merge<'a>(
    shared: &'a Index<'a>,
    own: &'a Index<'a>,
    link: &Link<'_>,
) -> Option<Vec<Entry<'a>>> {
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
pub(super) fn ewah(d: &mut &[u8], limit: usize) -> Option<Vec<usize>> {
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
