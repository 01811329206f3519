//! Where a scan's results go: the [`Sink`] seam, and [`Collect`], the sink that keeps a whole
//! scan for the reports that need all of it (every format keysentry writes sorts its output).
//!
//! The pipeline hands a sink each finding once it is final (detected, paired, finished by the
//! source, filtered and verified), and each item passed over, each error and each warning as
//! they come; then [`Sink::finish`] once. A sink that writes findings out as they come (a
//! datastore of an organisation's audit, a line-per-finding feed) keeps a scan's memory to the
//! findings in flight; [`Collect`] keeps every finding, by design.

use std::io;
use std::time::Duration;

use crate::finding::{Finding, Location, Origin};
use crate::source::{SkipReason, SourceError};
use crate::verify::{Verification, VerifyError};

/// Receives the results of one scan, on one thread (the pipeline's collector).
pub trait Sink: Send {
    /// A finding, final. Arrival order is not stable (workers run in parallel).
    fn finding(&mut self, finding: Finding) -> io::Result<()>;
    /// Content passed over, and why ([`SkipReason::is_gap`] says whether it leaves the scan
    /// incomplete).
    fn skipped(&mut self, origin: Origin, reason: SkipReason) -> io::Result<()>;
    /// An item that could not be read: the scan is incomplete.
    fn error(&mut self, error: SourceError) -> io::Result<()>;
    /// Something the reader of the report must know about the scan itself (a suppression that
    /// hides every finding, an ignore list changed in the change being checked, …). The same
    /// warning may arrive more than once.
    fn warning(&mut self, message: String) -> io::Result<()>;
    /// The scan is over.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

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
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &ScanStats) {
        self.scanned += other.scanned;
        self.bytes += other.bytes;
        self.mapped += other.mapped;
        self.skipped_binary += other.skipped_binary;
        self.skipped_too_large += other.skipped_too_large;
        self.skipped_lfs += other.skipped_lfs;
        self.errors += other.errors;
    }
}

/// How a scan went, handed to [`Sink::finish`] and returned by [`crate::Scan::run`].
#[derive(Debug, Default)]
pub struct Summary {
    /// Counters.
    pub stats: ScanStats,
    /// Findings handed to the sink.
    pub findings: u64,
    /// Findings left out by allowlists, ignore lists and baselines.
    pub left_out: u64,
    /// Items not scanned in full: errors, and skips that leave a gap.
    pub gaps: u64,
    /// What the verifier did, when there was one and it had something to check; its error
    /// when it could not run (the findings reached the sink all the same).
    pub verification: Option<Result<Verification, VerifyError>>,
    /// Wall time of the scan.
    pub elapsed: Duration,
}

impl Summary {
    /// Whether something was not scanned in full. An incomplete scan exits 2 unless findings
    /// were made, and every report format says it was incomplete.
    pub fn is_incomplete(&self) -> bool {
        self.gaps > 0
    }
}

/// Everything a scan produced, sorted: what [`Collect`] hands the reporters.
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
    /// Things the reader of the report must know about the scan itself; every report format
    /// carries them, not only the diagnostics on stderr. Sorted, each once.
    pub warnings: Vec<String>,
    /// Wall time of the scan.
    pub elapsed: Duration,
}

impl ScanOutcome {
    /// Whether something was not scanned in full: an item that could not be read, or content
    /// passed over that might hold text ([`SkipReason::is_gap`]).
    pub fn is_incomplete(&self) -> bool {
        !self.errors.is_empty() || self.skipped.iter().any(|(_, r)| r.is_gap())
    }
}

/// The sink that keeps everything and sorts it for stable output: findings by origin and
/// position (one per origin, location and rule), skipped items by origin, errors and
/// warnings by text.
#[derive(Debug, Default)]
pub struct Collect {
    outcome: ScanOutcome,
}

impl Collect {
    /// An empty collection.
    pub fn new() -> Collect {
        Collect::default()
    }

    /// What was collected; sorted once the scan has finished.
    pub fn into_outcome(self) -> ScanOutcome {
        self.outcome
    }
}

impl Sink for Collect {
    fn finding(&mut self, finding: Finding) -> io::Result<()> {
        self.outcome.findings.push(finding);
        Ok(())
    }

    fn skipped(&mut self, origin: Origin, reason: SkipReason) -> io::Result<()> {
        self.outcome.skipped.push((origin, reason));
        Ok(())
    }

    fn error(&mut self, error: SourceError) -> io::Result<()> {
        self.outcome.errors.push(error);
        Ok(())
    }

    fn warning(&mut self, message: String) -> io::Result<()> {
        self.outcome.warnings.push(message);
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let o = &mut self.outcome;
        sort_findings(&mut o.findings);
        o.skipped.sort_by(|a, b| a.0.cmp(&b.0));
        o.errors.sort_by_cached_key(ToString::to_string);
        o.warnings.sort();
        o.warnings.dedup();
        o.stats = summary.stats.clone();
        o.elapsed = summary.elapsed;
        Ok(())
    }
}

/// Sorts findings by origin and position and keeps one per origin, location and rule.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| identity(a).cmp(&identity(b)));
    findings.dedup_by(|a, b| identity(a) == identity(b));
}

/// What makes two findings the same: where, and by which rule.
fn identity(f: &Finding) -> (&Origin, Location, &str) {
    (&f.origin, f.location, &f.rule_id)
}
