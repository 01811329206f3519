//! The inline-ignore parser (`filter::inline::allowed`: line markers on a finding's first or
//! last line, detect-secrets' next-line marker on the line before) on arbitrary content and
//! ranges: the first four bytes choose the range, the rest is the content. No panic for any
//! range in bounds, and the answer depends only on the lines around the range: content after
//! the range's last line (past a line end) never changes it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((range, content)) = data.split_at_checked(4) else { return };
    let a = usize::from(u16::from_le_bytes([range[0], range[1]])) % (content.len() + 1);
    let b = usize::from(u16::from_le_bytes([range[2], range[3]])) % (content.len() + 1);
    let (start, end) = (a.min(b), a.max(b));
    let allowed = keysentry::filter::inline::allowed(content, start, end);
    // Cut the content at the first line end at or after the range's end: the same answer.
    let after = end.max(start + 1).min(content.len());
    if let Some(i) = memchr::memchr2(b'\n', b'\r', &content[after..]) {
        let cut = &content[..after + i];
        assert_eq!(
            allowed,
            keysentry::filter::inline::allowed(cut, start, end),
            "content after the range's line changed the answer"
        );
    }
});
