//! Standard input as one chunk.

use std::io::Read;

use super::{Chunk, ReadMethod, SkipReason, Source, SourceError, VisitorFactory};
use crate::finding::Origin;

/// Reads all of standard input (or any reader) and scans it as one piece of content.
pub struct Stdin<R> {
    reader: std::sync::Mutex<Option<R>>,
    max_size: u64,
}

impl<R: Read + Send> Stdin<R> {
    /// A source reading `reader` once; content beyond `max_size` bytes is skipped and reported.
    pub fn new(reader: R, max_size: u64) -> Stdin<R> {
        Stdin { reader: std::sync::Mutex::new(Some(reader)), max_size }
    }
}

impl<R: Read + Send> Source for Stdin<R> {
    fn scan(&self, factory: &dyn VisitorFactory) {
        let mut visitor = factory.visitor();
        let Some(reader) = self.reader.lock().ok().and_then(|mut r| r.take()) else { return };
        let mut buf = Vec::new();
        // Read one byte past the limit to tell "exactly the limit" from "more".
        let limit = self.max_size.saturating_add(1);
        if let Err(e) = reader.take(limit).read_to_end(&mut buf) {
            return visitor.error(SourceError::Stdin(e));
        }
        let origin = Origin::Stdin;
        if buf.len() as u64 > self.max_size {
            let reason = SkipReason::TooLarge { size: buf.len() as u64, limit: self.max_size };
            visitor.skipped(origin, reason);
        } else if super::is_binary(&buf) {
            visitor.skipped(origin, SkipReason::Binary);
        } else {
            visitor.chunk(Chunk { content: &buf, origin: &origin, read: ReadMethod::Buffered });
        }
    }
}
