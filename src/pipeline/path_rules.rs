//! The pipeline stage of gitleaks' path-only rules ([`PathRule`]): every file whose path
//! matches is a finding, whatever its content, binary files included. They run as a
//! [`Source`] adapter that sees every item the source hands out or passes
//! over, so they work in every scan mode without the detector knowing about them.

use std::sync::Mutex;

use crate::config::path_rules::PathRule;
use crate::finding::{BlobId, Finding, Fingerprint, Location, Origin, Secret};
use crate::source::{Chunk, Planned, SkipReason, Source, SourceError, Visitor, VisitorFactory};

/// `inner`, with path-only rules applied to the path of every item it yields or skips.
pub(super) struct WithPathRules<'a> {
    inner: &'a dyn Source,
    rules: &'a [PathRule],
    found: Mutex<Vec<Finding>>,
}

impl<'a> WithPathRules<'a> {
    /// The adapter.
    pub(super) fn new(inner: &'a dyn Source, rules: &'a [PathRule]) -> WithPathRules<'a> {
        WithPathRules { inner, rules, found: Mutex::new(Vec::new()) }
    }

    /// The findings of the path rules, once the scan is done.
    pub(super) fn take(&self) -> Vec<Finding> {
        std::mem::take(&mut *self.found.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn check(&self, origin: &Origin, blob: impl FnOnce() -> BlobId, out: &mut Vec<Finding>) {
        let path = match origin {
            Origin::File { path } => path.to_string_lossy().into_owned(),
            Origin::Commit { path, .. } | Origin::Staged { path } => path.clone(),
            _ => return,
        };
        let path = path.strip_prefix("./").unwrap_or(&path);
        let mut matching = self.rules.iter().filter(|r| r.path.is_match(path)).peekable();
        if matching.peek().is_none() {
            return;
        }
        let blob = blob();
        for r in matching {
            out.push(Finding {
                rule_id: r.id.clone(),
                description: r.description.clone(),
                severity: crate::rules::Severity::default(),
                origin: origin.clone(),
                location: Location {
                    line: 1,
                    column: 1,
                    end_line: 1,
                    end_column: 1,
                    byte_start: 0,
                    byte_end: 0,
                },
                secret: Secret::new(String::new()),
                // The path is what was found: the fingerprint is the rule's and the path's.
                fingerprint: Fingerprint::new(&r.id, &Secret::new(path.to_owned())),
                blob_id: blob,
                entropy: 0.0,
                line_text: String::new(),
                line_secret_range: (0, 0),
                line_other_secrets: Vec::new(),
                encoding: None,
                aws: None,
            });
        }
    }
}

impl Source for WithPathRules<'_> {
    fn scan(&self, factory: &dyn VisitorFactory) {
        self.inner.scan(&Factory { outer: self, inner: factory });
    }

    fn planned(&self) -> Option<Planned> {
        self.inner.planned()
    }
}

struct Factory<'a, 'b> {
    outer: &'b WithPathRules<'a>,
    inner: &'b dyn VisitorFactory,
}

impl VisitorFactory for Factory<'_, '_> {
    fn visitor(&self) -> Box<dyn Visitor + '_> {
        Box::new(Wrap { outer: self.outer, inner: self.inner.visitor(), found: Vec::new() })
    }
}

struct Wrap<'a, 'b> {
    outer: &'b WithPathRules<'a>,
    inner: Box<dyn Visitor + 'b>,
    found: Vec<Finding>,
}

impl Visitor for Wrap<'_, '_> {
    fn chunk(&mut self, chunk: Chunk<'_>) {
        let (blob, content) = (chunk.blob, chunk.content);
        self.outer.check(
            chunk.origin,
            || blob.unwrap_or_else(|| BlobId::of(content)),
            &mut self.found,
        );
        self.inner.chunk(chunk);
    }

    fn skipped(&mut self, origin: Origin, reason: SkipReason) {
        // The content was not read: the blob id is that of no content.
        self.outer.check(&origin, || BlobId::of(&[]), &mut self.found);
        self.inner.skipped(origin, reason);
    }

    fn error(&mut self, error: SourceError) {
        self.inner.error(error);
    }

    fn unit_done(&mut self) {
        self.inner.unit_done();
    }
}

impl Drop for Wrap<'_, '_> {
    fn drop(&mut self) {
        if !self.found.is_empty() {
            let mut all = self.outer.found.lock().unwrap_or_else(|e| e.into_inner());
            all.append(&mut self.found);
        }
    }
}
