//! Git LFS pointers, told apart from content exactly by the pointer grammar.

/// Whether a blob is a Git LFS pointer, by the pointer grammar of the Git LFS specification
/// (`docs/spec.md` in git-lfs), exactly: under 1024 bytes; `version
/// https://git-lfs.github.com/spec/v1` first; then, in ascending key order, optional
/// extension lines `ext-<digit>-<name> sha256:<64 hex>` (ascending priorities), `oid
/// sha256:<64 lowercase hex>` and `size <decimal>`; each line ending in LF; nothing else. A
/// blob that only starts like a pointer is scanned: a pointer is skipped because the content
/// lives elsewhere, and anything more than a pointer is content.
pub(crate) fn is_lfs_pointer(content: &[u8]) -> bool {
    const VERSION: &[u8] = b"version https://git-lfs.github.com/spec/v1";
    if content.len() >= 1024 || !content.ends_with(b"\n") {
        return false;
    }
    let mut lines = content[..content.len() - 1].split(|&b| b == b'\n');
    if lines.next() != Some(VERSION) {
        return false;
    }
    let sha256 = |v: &[u8]| {
        v.strip_prefix(b"sha256:").is_some_and(|h| {
            h.len() == 64 && h.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        })
    };
    let mut last_priority = None;
    let mut line = lines.next();
    while let Some(ext) = line.and_then(|l| l.strip_prefix(b"ext-")) {
        // ext-<priority>-<name> <hash>
        let Some((key, value)) = split_pair(ext) else { return false };
        let [priority, b'-', name @ ..] = key else { return false };
        let name_ok = !name.is_empty()
            && name.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if !priority.is_ascii_digit() || !name_ok || !sha256(value) {
            return false;
        }
        if last_priority.is_some_and(|p| p >= *priority) {
            return false;
        }
        last_priority = Some(*priority);
        line = lines.next();
    }
    let oid = line.and_then(|l| l.strip_prefix(b"oid "));
    let size = lines.next().and_then(|l| l.strip_prefix(b"size "));
    let size_ok = size.is_some_and(|s| {
        !s.is_empty()
            && s.len() <= 19
            && s.iter().all(u8::is_ascii_digit)
            && (s == b"0" || s[0] != b'0')
    });
    oid.is_some_and(sha256) && size_ok && lines.next().is_none()
}

/// `key SP value`, with one space and no empty side.
fn split_pair(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = memchr::memchr(b' ', line)?;
    let (key, value) = (&line[..sp], &line[sp + 1..]);
    (!key.is_empty() && !value.is_empty() && !value.contains(&b' ')).then_some((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12: only the pointer grammar, exactly, is skipped as a Git LFS pointer.
    #[test]
    fn issue_12_lfs_pointers_match_the_grammar_exactly() {
        let oid = format!("oid sha256:{}", "4d7a".repeat(16));
        let ext = format!("ext-0-foo sha256:{}", "0a".repeat(32));
        let ext1 = format!("ext-1-bar sha256:{}", "1b".repeat(32));
        let pointer = |lines: &[&str]| {
            let mut p = String::from("version https://git-lfs.github.com/spec/v1\n");
            for l in lines {
                p.push_str(l);
                p.push('\n');
            }
            p.into_bytes()
        };
        assert!(is_lfs_pointer(&pointer(&[&oid, "size 12345"])));
        assert!(is_lfs_pointer(&pointer(&[&oid, "size 0"])));
        assert!(is_lfs_pointer(&pointer(&[&ext, &ext1, &oid, "size 1"])));
        let extra = "AWS_REGION=eu-west-1";
        let not = [
            pointer(&[&oid, "size 12345", extra]),
            pointer(&[extra, &oid, "size 12345"]),
            pointer(&[&oid, extra, "size 12345"]),
            pointer(&["size 12345", &oid]),
            pointer(&[&oid]),
            pointer(&[&oid, "size 012"]),
            pointer(&[&oid, "size 12a"]),
            pointer(&[&oid, "size "]),
            pointer(&[&oid.to_uppercase().replace("OID SHA256", "oid sha256"), "size 1"]),
            pointer(&[&format!("oid sha256:{}", "4d7a".repeat(15)), "size 1"]),
            pointer(&[&format!("oid sha1:{}", "4d7a".repeat(16)), "size 1"]),
            pointer(&[&ext1, &ext, &oid, "size 1"]),
            pointer(&[&ext, &ext, &oid, "size 1"]),
            pointer(&[&oid, &ext, "size 1"]),
            pointer(&["ext-x-foo sha256:00", &oid, "size 1"]),
            pointer(&[&oid, "size 1", ""]),
            pointer(&[&oid, "size  1"]),
            pointer(&[&oid, "size 1"]).replace_lf_with_crlf(),
            pointer(&[&oid, "size 1"]).strip_last_lf(),
            b"version https://git-lfs.github.com/spec/v1".to_vec(),
            b"version 1\n".to_vec(),
            {
                let mut big = pointer(&[&oid, "size 1"]);
                big.truncate(big.len() - 1);
                big.extend(std::iter::repeat_n(b'1', 1024));
                big.push(b'\n');
                big
            },
        ];
        for (i, p) in not.iter().enumerate() {
            assert!(!is_lfs_pointer(p), "case {i}: {}", String::from_utf8_lossy(p));
        }
    }

    trait Edit {
        fn replace_lf_with_crlf(self) -> Vec<u8>;
        fn strip_last_lf(self) -> Vec<u8>;
    }

    impl Edit for Vec<u8> {
        fn replace_lf_with_crlf(self) -> Vec<u8> {
            String::from_utf8(self).unwrap().replace('\n', "\r\n").into_bytes()
        }
        fn strip_last_lf(mut self) -> Vec<u8> {
            self.pop();
            self
        }
    }
}
