//! One scan, start to end: [`Scan`] runs a source through every stage and hands the results
//! to a [`Sink`].
//!
//! ```text
//!  Source ──chunks──▶ workers: detect ─▶ AWS step ─▶ inline ignores
//!                                   │ findings, skips, errors, warnings (batches, bounded channel)
//!                                   ▼
//!                     collector: [source finishing] ─▶ allowlists, ignore lists, baselines
//!                                 ─▶ [verifier] ─▶ Sink
//! ```
//!
//! Detection, the AWS step and inline ignores run on the source's worker threads while the
//! content is at hand. The collector (one thread) applies what needs a finding in its final
//! form: a source that finishes its findings (a history names the commit that introduced each
//! one) has them held until it is done; every other finding streams on. A verifier's findings
//! are held until the source is done, checked in one batch, then passed on. Sorting is the
//! sink's business ([`crate::sink::Collect`] sorts).

mod filtering;
mod path_rules;
mod worker;

pub use worker::Progress;

use std::io;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use crate::aws::{AwsEnricher, AwsOptions};
use crate::config::Suppression;
use crate::config::path_rules::PathRule;
use crate::detect::Detector;
use crate::filter::Filters;
use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::sink::{Sink, Summary};
use crate::source::Source;
use crate::verify::Verifier;
use filtering::Filtering;
use path_rules::WithPathRules;
use worker::{Batch, Factory};

/// Batches in flight between the workers and the collector (each of at most 256 items, see
/// `worker::BATCH`): a worker waits when the collector (or the sink behind it) falls behind, so
/// a scan's memory stays bounded by what is in flight.
const IN_FLIGHT: usize = 16;

/// What a scan does beyond detection.
#[derive(Debug)]
pub struct ScanOptions {
    /// The AWS step: canaries, own accounts, what to report.
    pub aws: AwsOptions,
    /// Leave out findings whose line carries an inline ignore comment (`keysentry:allow`,
    /// `gitleaks:allow`, …; see [`crate::filter::inline`]). On by default.
    pub inline_ignore: bool,
    /// How long detection may take on one item (file, blob, input): past it, the item's
    /// search stops and the item is reported as searched in part (`--timeout`). None: no limit.
    pub timeout: Option<std::time::Duration>,
    /// gitleaks' path-only rules: a finding for every item whose path matches, read or not.
    pub path_rules: Vec<PathRule>,
    /// Allowlists, ignore lists and baselines.
    pub filters: Filters,
    /// The configuration file the allowlists came from, named in warnings about them.
    pub config_file: Option<PathBuf>,
    /// Warnings to carry in the report (the configuration's own, a suppression file changed in
    /// the change being checked, …).
    pub warnings: Vec<String>,
}

impl Default for ScanOptions {
    /// Built-in canaries, inline ignores honoured, nothing else.
    fn default() -> ScanOptions {
        ScanOptions {
            aws: AwsOptions::with_builtin_canaries(),
            inline_ignore: true,
            timeout: None,
            path_rules: Vec::new(),
            filters: Filters::default(),
            config_file: None,
            warnings: Vec::new(),
        }
    }
}

impl ScanOptions {
    /// The options a loaded configuration ([`crate::config::setup`]) asks for, with `aws` for
    /// the AWS step; the suppression's filters move into them. This is how `keysentry scan`
    /// builds its options.
    pub fn configured(suppression: &mut Suppression, aws: AwsOptions) -> ScanOptions {
        let settings = &suppression.settings;
        ScanOptions {
            aws,
            inline_ignore: suppression.inline_ignore,
            timeout: None,
            path_rules: settings.path_rules.clone(),
            filters: std::mem::take(&mut suppression.filters),
            config_file: settings.file.clone(),
            warnings: settings.warnings.clone(),
        }
    }
}

/// A scan, ready to run over sources: the rules compiled, the AWS step and the filters set.
/// `Sync`: one `Scan` may run over many sources, one after the other or at once.
pub struct Scan {
    detector: Detector,
    aws: AwsEnricher,
    options: ScanOptions,
    verifier: Option<Box<dyn Verifier>>,
}

impl Scan {
    /// A scan with `rules` and `options`.
    pub fn new(rules: RuleSet, options: ScanOptions) -> Scan {
        Scan::with_detector(Detector::new(rules), options)
    }

    /// A scan with a detector built already.
    pub fn with_detector(detector: Detector, mut options: ScanOptions) -> Scan {
        let aws = AwsEnricher::new(&detector, std::mem::take(&mut options.aws));
        Scan { detector, aws, options, verifier: None }
    }

    /// Checks the findings `verifier` wants before they reach the sink.
    pub fn verifier(mut self, verifier: Box<dyn Verifier>) -> Scan {
        self.verifier = Some(verifier);
        self
    }

    /// The detector.
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Runs `source` through every stage into `sink`. The error is the sink's: a sink that
    /// fails is not called again, and the scan runs to its end all the same.
    pub fn run(&self, source: &dyn Source, sink: &mut dyn Sink) -> io::Result<Summary> {
        self.run_observed(source, sink, &Progress::default())
    }

    /// [`Scan::run`], counting scanned items and bytes in `progress` as the scan goes.
    pub fn run_observed(
        &self,
        source: &dyn Source,
        sink: &mut dyn Sink,
        progress: &Progress,
    ) -> io::Result<Summary> {
        let started = Instant::now();
        if let Some(planned) = source.planned() {
            progress.plan(planned);
        }
        let options = &self.options;
        let mut out = Collector {
            sink,
            failed: None,
            filtering: Filtering::new(&options.filters),
            verifier: self.verifier.as_deref(),
            for_verifier: Vec::new(),
            held: source.holds_findings().then(Vec::new),
            summary: Summary::default(),
        };
        for w in &options.warnings {
            out.call(|s| s.warning(w.clone()));
        }
        let wrapped = WithPathRules::new(source, &options.path_rules);
        let scanned: &dyn Source = if options.path_rules.is_empty() { source } else { &wrapped };
        let (tx, rx) = mpsc::sync_channel(IN_FLIGHT);
        let factory = Factory {
            detector: &self.detector,
            aws: &self.aws,
            inline_ignore: options.inline_ignore,
            timeout: options.timeout,
            progress,
            tx,
        };
        let mut out = std::thread::scope(|s| {
            let collector = s.spawn(move || {
                for batch in rx {
                    out.batch(batch);
                }
                out
            });
            scanned.scan(&factory);
            drop(factory);
            collector.join()
        })
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        out.findings(wrapped.take());
        if let Some(held) = out.held.take() {
            for f in source.finish(held) {
                out.deliver(f);
            }
        }
        for warning in out.filtering.hid_everything(options.config_file.as_deref()) {
            out.call(|s| s.warning(warning));
        }
        out.summary.left_out = out.filtering.left_out() as u64;
        if let Some(verifier) = out.verifier
            && !out.for_verifier.is_empty()
        {
            let mut checked = std::mem::take(&mut out.for_verifier);
            out.summary.verification = Some(verifier.verify(&mut checked));
            for f in checked {
                out.summary.findings += 1;
                out.call(|s| s.finding(f));
            }
        }
        out.summary.elapsed = started.elapsed();
        let Collector { sink, failed, summary, .. } = out;
        match failed {
            Some(e) => Err(e),
            None => sink.finish(&summary).map(|()| summary),
        }
    }
}

/// The collector's state: the sink and what is held back.
struct Collector<'a> {
    sink: &'a mut dyn Sink,
    /// The sink's first error; it is not called again.
    failed: Option<io::Error>,
    filtering: Filtering<'a>,
    verifier: Option<&'a dyn Verifier>,
    for_verifier: Vec<Finding>,
    /// Findings the source finishes, when it does.
    held: Option<Vec<Finding>>,
    summary: Summary,
}

impl Collector<'_> {
    fn batch(&mut self, batch: Batch) {
        let Batch { findings, skipped, errors, warnings, stats } = batch;
        for (origin, reason) in skipped {
            self.summary.gaps += u64::from(reason.is_gap());
            self.call(|s| s.skipped(origin, reason));
        }
        for error in errors {
            self.summary.gaps += 1;
            self.call(|s| s.error(error));
        }
        for message in warnings {
            self.call(|s| s.warning(message));
        }
        self.findings(findings);
        if let Some(stats) = stats {
            self.summary.stats.add(&stats);
        }
    }

    fn findings(&mut self, found: Vec<Finding>) {
        match &mut self.held {
            Some(held) => held.extend(found),
            None => found.into_iter().for_each(|f| self.deliver(f)),
        }
    }

    /// A finding in its final form: filtered, then held for the verifier or passed on.
    fn deliver(&mut self, f: Finding) {
        if !self.filtering.keep(&f) {
            return;
        }
        if self.verifier.is_some_and(|v| v.wants(&f)) {
            self.for_verifier.push(f);
            return;
        }
        self.summary.findings += 1;
        self.call(|s| s.finding(f));
    }

    fn call(&mut self, send: impl FnOnce(&mut dyn Sink) -> io::Result<()>) {
        if self.failed.is_none()
            && let Err(e) = send(&mut *self.sink)
        {
            self.failed = Some(e);
        }
    }
}

#[cfg(test)]
mod tests;
