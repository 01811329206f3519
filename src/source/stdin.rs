//! Standard input as one chunk.

use std::io::Read;
use std::sync::Mutex;

use super::{ContentReader, Source, SourceError, VisitorFactory};
use crate::finding::Origin;

/// Reads all of standard input (or any reader) and scans it as one piece of content.
pub struct Stdin<R> {
    reader: Mutex<Option<R>>,
    max_size: u64,
}

impl<R: Read + Send> Stdin<R> {
    /// A source reading `reader` once; content beyond `max_size` bytes is skipped and reported.
    pub fn new(reader: R, max_size: u64) -> Stdin<R> {
        Stdin { reader: Mutex::new(Some(reader)), max_size }
    }
}

impl<R: Read + Send> Source for Stdin<R> {
    fn scan(&self, factory: &dyn VisitorFactory) {
        let mut visitor = factory.visitor();
        let Some(reader) = self.reader.lock().ok().and_then(|mut r| r.take()) else { return };
        let mut content = ContentReader::new(u64::MAX);
        let read = content.read_stream(reader, self.max_size);
        super::visit_stream(
            read,
            Origin::Stdin,
            self.max_size,
            visitor.as_mut(),
            SourceError::Stdin,
        );
    }
}
