//! Reading file content: small files into a reused buffer, large ones memory-mapped.
//!
//! This is the only module with `unsafe` code.
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;

use memmap2::Mmap;

/// How content was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMethod {
    /// Copied into memory (small files, standard input, git objects).
    Buffered,
    /// Memory-mapped.
    Mapped,
}

/// Reads files, reusing one buffer. Keep one per worker thread.
#[derive(Debug)]
pub struct ContentReader {
    buf: Vec<u8>,
    mmap_threshold: u64,
}

/// Content borrowed from a [`ContentReader`] or mapped from a file.
#[derive(Debug)]
pub enum Content<'a> {
    /// Bytes in the reader's buffer.
    Buffered(&'a [u8]),
    /// A read-only mapping of the file.
    Mapped(Mmap),
}

impl Deref for Content<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Content::Buffered(b) => b,
            Content::Mapped(m) => m,
        }
    }
}

impl Content<'_> {
    /// How the content was read.
    pub fn method(&self) -> ReadMethod {
        match self {
            Content::Buffered(_) => ReadMethod::Buffered,
            Content::Mapped(_) => ReadMethod::Mapped,
        }
    }
}

impl ContentReader {
    /// Files of at least `mmap_threshold` bytes are memory-mapped; smaller ones are read.
    pub fn new(mmap_threshold: u64) -> ContentReader {
        ContentReader { buf: Vec::new(), mmap_threshold }
    }

    /// Reads an open file whose size (from its metadata) is `len`.
    ///
    /// The size is a hint: a file that grows or shrinks while being read is read as it is.
    pub fn read(&mut self, mut file: File, len: u64) -> io::Result<Content<'_>> {
        if len >= self.mmap_threshold && len > 0 {
            // SAFETY: the mapping is read-only and private to this process. If another process
            // truncates the file while it is mapped, reading past the new end raises SIGBUS;
            // like ripgrep, we accept that risk for files large enough to benefit from mapping,
            // since scanning content that changes under us is already unreliable.
            // Some files (procfs, some network filesystems) cannot be mapped: read those.
            if let Ok(map) = unsafe { Mmap::map(&file) } {
                return Ok(Content::Mapped(map));
            }
        }
        self.buf.clear();
        file.read_to_end(&mut self.buf)?;
        Ok(Content::Buffered(&self.buf))
    }

    /// Reads a stream of unknown size (standard input, a pipe, a device) up to `limit` bytes.
    /// Returns `Ok(None)` if the stream holds more than `limit` bytes.
    pub fn read_stream(&mut self, stream: impl Read, limit: u64) -> io::Result<Option<&[u8]>> {
        self.buf.clear();
        // One byte past the limit tells "exactly the limit" from "more".
        stream.take(limit.saturating_add(1)).read_to_end(&mut self.buf)?;
        Ok((self.buf.len() as u64 <= limit).then_some(&self.buf[..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn small_files_are_buffered_large_ones_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::File::create(&path).unwrap().write_all(&[b'x'; 4096]).unwrap();
        let mut r = ContentReader::new(1024);
        let c = r.read(File::open(&path).unwrap(), 4096).unwrap();
        assert_eq!(c.method(), ReadMethod::Mapped);
        assert_eq!(c.len(), 4096);
        let mut r = ContentReader::new(1 << 20);
        let c = r.read(File::open(&path).unwrap(), 4096).unwrap();
        assert_eq!(c.method(), ReadMethod::Buffered);
        assert_eq!(&c[..3], b"xxx");
    }

    #[test]
    fn streams_are_bounded() {
        let mut r = ContentReader::new(0);
        assert_eq!(r.read_stream(&b"abcd"[..], 4).unwrap(), Some(&b"abcd"[..]));
        assert_eq!(r.read_stream(&b"abcde"[..], 4).unwrap(), None);
    }

    #[test]
    fn empty_files_are_never_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty");
        std::fs::File::create(&path).unwrap();
        let mut r = ContentReader::new(0);
        let c = r.read(File::open(&path).unwrap(), 0).unwrap();
        assert_eq!(c.method(), ReadMethod::Buffered);
        assert!(c.is_empty());
    }
}
