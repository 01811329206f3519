//! One scan: a source feeds the detector on its worker threads; results are collected once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::aws::{AwsEnricher, AwsOptions};
use crate::detect::{Detector, Scratch};
use crate::finding::{Finding, Origin};
use crate::source::{
    Chunk, Planned, ReadMethod, SkipReason, Source, SourceError, Visitor, VisitorFactory,
};

/// Counters of one scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanStats {
    /// Items (files, blobs, stdin) scanned.
    pub scanned: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Items read through a memory map.
    pub mapped: u64,
    /// Items skipped as binary.
    pub skipped_binary: u64,
    /// Items skipped as larger than the limit.
    pub skipped_too_large: u64,
    /// Git LFS pointer files passed over.
    pub skipped_lfs: u64,
    /// Items that could not be read.
    pub errors: u64,
}

impl ScanStats {
    fn add(&mut self, o: &ScanStats) {
        self.scanned += o.scanned;
        self.bytes += o.bytes;
        self.mapped += o.mapped;
        self.skipped_binary += o.skipped_binary;
        self.skipped_too_large += o.skipped_too_large;
        self.skipped_lfs += o.skipped_lfs;
        self.errors += o.errors;
    }
}

/// Everything a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// Findings, sorted by origin and position, each location once.
    pub findings: Vec<Finding>,
    /// Counters.
    pub stats: ScanStats,
    /// Content passed over, and why.
    pub skipped: Vec<(Origin, SkipReason)>,
    /// Items that could not be read.
    pub errors: Vec<SourceError>,
    /// Things the reader of the report must know about the scan itself (a suppression that
    /// hides every finding, an ignore list changed in the change being checked, …): every
    /// report format carries them, not only the diagnostics on stderr.
    pub warnings: Vec<String>,
    /// Wall time of the scan.
    pub elapsed: Duration,
}

impl ScanOutcome {
    /// Whether something was not scanned in full: an item that could not be read, or content
    /// passed over that might hold text ([`SkipReason::is_gap`]). An incomplete scan exits 2
    /// unless findings were made, and every report format says it was incomplete.
    pub fn is_incomplete(&self) -> bool {
        !self.errors.is_empty() || self.skipped.iter().any(|(_, r)| r.is_gap())
    }
}

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
}

/// Runs `source` through `detector` and collects the results, with the default AWS step
/// (built-in canaries; examples and identifiers left out).
pub fn run(source: &dyn Source, detector: &Detector) -> ScanOutcome {
    run_with(source, detector, &AwsEnricher::new(detector, AwsOptions::with_builtin_canaries()))
}

/// Runs `source` through `detector`, then each content's matches through the AWS step `aws`
/// (on the same worker, with the content still at hand), and collects the results.
pub fn run_with(source: &dyn Source, detector: &Detector, aws: &AwsEnricher) -> ScanOutcome {
    run_observed(source, detector, aws, RunOptions::default(), &Progress::default())
}

/// What a run does beyond detection.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Leave out findings whose line carries an inline ignore comment (`keysentry:allow`,
    /// `gitleaks:allow`, …; see [`crate::filter::inline`]). On by default.
    pub inline_ignore: bool,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions { inline_ignore: true }
    }
}

/// [`run_with`] with `options`, counting scanned items and bytes in `progress` as the scan
/// goes.
pub fn run_observed(
    source: &dyn Source,
    detector: &Detector,
    aws: &AwsEnricher,
    options: RunOptions,
    progress: &Progress,
) -> ScanOutcome {
    let started = Instant::now();
    if let Some(planned) = source.planned() {
        let _ = progress.planned.set(planned);
    }
    let (tx, rx) = crossbeam_channel::unbounded();
    source.scan(&Factory { detector, aws, options, progress, tx });
    let mut outcome = ScanOutcome::default();
    for part in rx.iter() {
        outcome.stats.add(&part.stats);
        outcome.findings.extend(part.findings);
        outcome.skipped.extend(part.skipped);
        outcome.errors.extend(part.errors);
        outcome.warnings.extend(part.warnings);
    }
    outcome.warnings.sort();
    outcome.warnings.dedup();
    sort_findings(&mut outcome.findings);
    outcome.skipped.sort_by(|a, b| a.0.cmp(&b.0));
    outcome.errors.sort_by_cached_key(ToString::to_string);
    outcome.elapsed = started.elapsed();
    outcome
}

/// Sorts findings by origin and position and keeps one per origin, location and rule
/// (overlapping roots yield the same file twice).
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| identity(a).cmp(&identity(b)));
    findings.dedup_by(|a, b| identity(a) == identity(b));
}

/// What makes two findings the same: where, and by which rule.
fn identity(f: &Finding) -> (&Origin, crate::finding::Location, &str) {
    (&f.origin, f.location, &f.rule_id)
}

struct Factory<'d> {
    detector: &'d Detector,
    aws: &'d AwsEnricher,
    options: RunOptions,
    progress: &'d Progress,
    tx: Sender<Part>,
}

impl VisitorFactory for Factory<'_> {
    fn visitor(&self) -> Box<dyn Visitor + '_> {
        Box::new(Worker {
            detector: self.detector,
            aws: self.aws,
            options: self.options,
            progress: self.progress,
            tx: self.tx.clone(),
            scratch: Scratch::new(),
            matches: Vec::new(),
            part: Part::default(),
        })
    }
}

/// What one worker thread produced; sent to the collector when the worker is dropped.
#[derive(Default)]
struct Part {
    findings: Vec<Finding>,
    stats: ScanStats,
    skipped: Vec<(Origin, SkipReason)>,
    errors: Vec<SourceError>,
    warnings: Vec<String>,
}

struct Worker<'d> {
    detector: &'d Detector,
    aws: &'d AwsEnricher,
    options: RunOptions,
    progress: &'d Progress,
    tx: Sender<Part>,
    scratch: Scratch,
    matches: Vec<crate::detect::Match>,
    part: Part,
}

impl Visitor for Worker<'_> {
    fn chunk(&mut self, chunk: Chunk<'_>) {
        let stats = &mut self.part.stats;
        stats.scanned += 1;
        stats.bytes += chunk.content.len() as u64;
        if chunk.read == ReadMethod::Mapped {
            stats.mapped += 1;
        }
        self.progress.items.fetch_add(1, Ordering::Relaxed);
        self.progress.bytes.fetch_add(chunk.content.len() as u64, Ordering::Relaxed);
        self.matches.clear();
        self.detector.find(chunk.content, &mut self.scratch, &mut self.matches);
        if !self.matches.is_empty() {
            let found = self.aws.findings(
                self.detector,
                chunk.content,
                chunk.origin,
                chunk.blob,
                &mut self.matches,
            );
            let content = chunk.content;
            let inline = self.options.inline_ignore;
            self.part.findings.extend(found.into_iter().filter(|f| {
                let loc = &f.location;
                chunk.lines.is_none_or(|lines| lines.touches(loc.line, loc.end_line))
                    && !(inline
                        && crate::filter::inline::allowed(content, loc.byte_start, loc.byte_end))
            }));
        }
    }

    fn skipped(&mut self, origin: Origin, reason: SkipReason) {
        match reason {
            SkipReason::Binary => self.part.stats.skipped_binary += 1,
            SkipReason::TooLarge { .. } => self.part.stats.skipped_too_large += 1,
            SkipReason::LfsPointer => self.part.stats.skipped_lfs += 1,
            // Listed in `skipped`, not counted apart: the statistics' shape stays as it is.
            SkipReason::ShallowHistory | SkipReason::NotAFile => {}
        }
        self.part.skipped.push((origin, reason));
    }

    fn error(&mut self, error: SourceError) {
        self.part.stats.errors += 1;
        self.part.errors.push(error);
    }

    fn warning(&mut self, message: String) {
        self.part.warnings.push(message);
    }

    fn unit_done(&mut self) {
        self.progress.units_done.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        // The receiver outlives every worker (it is drained after the source returns).
        let _ = self.tx.send(std::mem::take(&mut self.part));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;
    use crate::source::stdin::Stdin;

    #[test]
    fn progress_counts_what_the_stats_count() {
        let detector = Detector::new(RuleSet::builtin().expect("built-in rules"));
        let aws = AwsEnricher::new(&detector, AwsOptions::with_builtin_canaries());
        let progress = Progress::default();
        let input = b"hello\nworld\n".to_vec();
        let outcome = run_observed(
            &Stdin::new(input.as_slice(), 1 << 20),
            &detector,
            &aws,
            RunOptions::default(),
            &progress,
        );
        assert_eq!(progress.items(), 1);
        assert_eq!(progress.bytes(), 12);
        assert_eq!((outcome.stats.scanned, outcome.stats.bytes), (1, 12));
        assert_eq!(progress.units(), None, "standard input plans nothing");
    }

    /// A source that plans three units and does them.
    struct Planner;

    impl Source for Planner {
        fn scan(&self, factory: &dyn VisitorFactory) {
            let mut visitor = factory.visitor();
            for _ in 0..3 {
                visitor.unit_done();
            }
        }

        fn planned(&self) -> Option<Planned> {
            Some(Planned { units: 3, name: "commits" })
        }
    }

    #[test]
    fn progress_counts_planned_units() {
        let detector = Detector::new(RuleSet::builtin().expect("built-in rules"));
        let aws = AwsEnricher::new(&detector, AwsOptions::with_builtin_canaries());
        let progress = Progress::default();
        run_observed(&Planner, &detector, &aws, RunOptions::default(), &progress);
        assert_eq!(progress.units(), Some((3, Planned { units: 3, name: "commits" })));
    }
}
