//! The pipeline's worker side: one [`Worker`] per source thread runs detection, the AWS step
//! and inline ignores on each chunk while the content is at hand, and sends what it found to
//! the collector; [`Progress`] counts as it goes.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use crate::aws::AwsEnricher;
use crate::detect::{Detector, Match, Scratch};
use crate::finding::{Finding, Origin};
use crate::sink::ScanStats;
use crate::source::{Chunk, Planned, ReadMethod, SkipReason, SourceError, Visitor, VisitorFactory};

/// Live counters of a running scan, for a progress display that polls them from another
/// thread. Workers add to them once per item (never per byte), so keeping them costs two
/// relaxed atomic additions per file or blob.
#[derive(Debug, Default)]
pub struct Progress {
    items: AtomicU64,
    bytes: AtomicU64,
    planned: OnceLock<Planned>,
    units_done: AtomicU64,
}

impl Progress {
    /// Items (files, blobs, inputs) scanned so far.
    pub fn items(&self) -> u64 {
        self.items.load(Ordering::Relaxed)
    }

    /// Bytes scanned so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The work the source planned (its commits, say), when it knows it, and how much of it
    /// is done.
    pub fn units(&self) -> Option<(u64, Planned)> {
        self.planned.get().map(|p| (self.units_done.load(Ordering::Relaxed), *p))
    }

    pub(super) fn plan(&self, planned: Planned) {
        let _ = self.planned.set(planned);
    }
}

/// What workers send the collector.
pub(super) enum Event {
    /// The findings of one chunk.
    Findings(Vec<Finding>),
    Skipped(Origin, SkipReason),
    Error(SourceError),
    Warning(String),
    /// A worker's counters, sent once when it is done.
    Stats(ScanStats),
}

/// Makes the workers of one scan.
pub(super) struct Factory<'d> {
    pub(super) detector: &'d Detector,
    pub(super) aws: &'d AwsEnricher,
    pub(super) inline_ignore: bool,
    pub(super) progress: &'d Progress,
    pub(super) tx: SyncSender<Event>,
}

impl VisitorFactory for Factory<'_> {
    fn visitor(&self) -> Box<dyn Visitor + '_> {
        Box::new(Worker {
            factory: self,
            tx: self.tx.clone(),
            scratch: Scratch::new(),
            matches: Vec::new(),
            stats: ScanStats::default(),
        })
    }
}

struct Worker<'f, 'd> {
    factory: &'f Factory<'d>,
    tx: SyncSender<Event>,
    scratch: Scratch,
    matches: Vec<Match>,
    stats: ScanStats,
}

impl Worker<'_, '_> {
    fn send(&self, event: Event) {
        // The collector outlives every worker: it drains the channel until all senders are
        // gone, so a send fails only if the collector thread panicked.
        let _ = self.tx.send(event);
    }
}

impl Visitor for Worker<'_, '_> {
    fn chunk(&mut self, chunk: Chunk<'_>) {
        let f = self.factory;
        let len = chunk.content.len() as u64;
        self.stats.scanned += 1;
        self.stats.bytes += len;
        if chunk.read == ReadMethod::Mapped {
            self.stats.mapped += 1;
        }
        f.progress.items.fetch_add(1, Ordering::Relaxed);
        f.progress.bytes.fetch_add(len, Ordering::Relaxed);
        self.matches.clear();
        f.detector.find(chunk.content, &mut self.scratch, &mut self.matches);
        if self.matches.is_empty() {
            return;
        }
        let mut found =
            f.aws.findings(f.detector, chunk.content, chunk.origin, chunk.blob, &mut self.matches);
        let content = chunk.content;
        found.retain(|finding| {
            let loc = &finding.location;
            chunk.lines.is_none_or(|lines| lines.touches(loc.line, loc.end_line))
                && !(f.inline_ignore
                    && crate::filter::inline::allowed(content, loc.byte_start, loc.byte_end))
        });
        if !found.is_empty() {
            self.send(Event::Findings(found));
        }
    }

    fn skipped(&mut self, origin: Origin, reason: SkipReason) {
        match reason {
            SkipReason::Binary => self.stats.skipped_binary += 1,
            SkipReason::TooLarge { .. } => self.stats.skipped_too_large += 1,
            SkipReason::LfsPointer => self.stats.skipped_lfs += 1,
            // Listed, not counted apart: the statistics' shape stays as it is.
            SkipReason::ShallowHistory | SkipReason::NotAFile => {}
        }
        self.send(Event::Skipped(origin, reason));
    }

    fn error(&mut self, error: SourceError) {
        self.stats.errors += 1;
        self.send(Event::Error(error));
    }

    fn warning(&mut self, message: String) {
        self.send(Event::Warning(message));
    }

    fn unit_done(&mut self) {
        self.factory.progress.units_done.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Worker<'_, '_> {
    fn drop(&mut self) {
        let stats = std::mem::take(&mut self.stats);
        self.send(Event::Stats(stats));
    }
}
