use std::sync::Mutex;

use super::*;
use crate::finding::Origin;
use crate::sink::{Collect, ScanOutcome};
use crate::source::stdin::Stdin;
use crate::source::{Planned, SkipReason, SourceError, VisitorFactory};
use crate::verify::{Verification, VerifyError};

fn scan() -> Scan {
    Scan::new(RuleSet::builtin().expect("built-in rules"), ScanOptions::default())
}

/// An AWS access key id, assembled so that this file holds none.
fn token(n: u32) -> String {
    format!("AKIA{}{n}", "Q3ZT5XWYV2RBN7M")
}

fn collect(scan: &Scan, source: &dyn Source) -> (ScanOutcome, Summary) {
    let mut sink = Collect::new();
    let summary = scan.run(source, &mut sink).expect("collecting does not fail");
    (sink.into_outcome(), summary)
}

#[test]
fn progress_counts_what_the_stats_count() {
    let progress = Progress::default();
    let input = b"hello\nworld\n".to_vec();
    let mut sink = Collect::new();
    let summary = scan()
        .run_observed(&Stdin::new(input.as_slice(), 1 << 20), &mut sink, &progress)
        .expect("collected");
    assert_eq!(progress.items(), 1);
    assert_eq!(progress.bytes(), 12);
    assert_eq!((summary.stats.scanned, summary.stats.bytes), (1, 12));
    assert_eq!(sink.into_outcome().stats, summary.stats);
    assert_eq!(progress.units(), None, "standard input plans nothing");
}

/// A source that plans three units and does them, reports one gap, one error, one warning
/// and three tokens on lines 1..3; optionally it holds its findings and finishes them by
/// renaming their rule.
struct Planner {
    holds: bool,
}

impl Source for Planner {
    fn scan(&self, factory: &dyn VisitorFactory) {
        let mut visitor = factory.visitor();
        let text = format!("a={}\nb={}\nc={}\n", token(2), token(3), token(4));
        visitor.chunk(crate::source::Chunk {
            content: text.as_bytes(),
            origin: &Origin::Stdin,
            blob: None,
            lines: None,
            read: crate::source::ReadMethod::Buffered,
        });
        visitor.skipped(Origin::Stdin, SkipReason::TooLarge { size: 10, limit: 5 });
        visitor.error(SourceError::Git("object abc is damaged".into()));
        visitor.warning("watch out".into());
        for _ in 0..3 {
            visitor.unit_done();
        }
    }

    fn planned(&self) -> Option<Planned> {
        Some(Planned { units: 3, name: "commits" })
    }

    fn holds_findings(&self) -> bool {
        self.holds
    }

    fn finish(&self, mut findings: Vec<Finding>) -> Vec<Finding> {
        findings.iter_mut().for_each(|f| f.description = "finished".into());
        findings
    }
}

#[test]
fn progress_counts_planned_units() {
    let progress = Progress::default();
    let mut sink = Collect::new();
    scan().run_observed(&Planner { holds: false }, &mut sink, &progress).expect("collected");
    assert_eq!(progress.units(), Some((3, Planned { units: 3, name: "commits" })));
}

/// Records the order in which a sink is called.
#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
}

impl Sink for Recorder {
    fn finding(&mut self, f: Finding) -> io::Result<()> {
        self.calls.push(format!("finding {} {}", f.location.line, f.description));
        Ok(())
    }
    fn skipped(&mut self, _: Origin, reason: SkipReason) -> io::Result<()> {
        self.calls.push(format!("skipped {reason}"));
        Ok(())
    }
    fn error(&mut self, error: SourceError) -> io::Result<()> {
        self.calls.push(format!("error {error}"));
        Ok(())
    }
    fn warning(&mut self, message: String) -> io::Result<()> {
        self.calls.push(format!("warning {message}"));
        Ok(())
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.calls.push(format!("finish {} {}", summary.findings, summary.gaps));
        Ok(())
    }
}

#[test]
fn issue_13_every_event_reaches_the_sink_and_finish_comes_last() {
    let mut sink = Recorder::default();
    let summary = scan().run(&Planner { holds: false }, &mut sink).expect("recorded");
    assert_eq!(summary.findings, 3);
    assert_eq!(summary.gaps, 2, "the too-large item and the error");
    assert!(summary.is_incomplete());
    assert_eq!(sink.calls.last().map(String::as_str), Some("finish 3 2"));
    for expected in ["skipped ", "error ", "warning watch out"] {
        assert!(sink.calls.iter().any(|c| c.starts_with(expected)), "{expected}: {:?}", sink.calls);
    }
    assert_eq!(sink.calls.iter().filter(|c| c.starts_with("finding")).count(), 3);
}

#[test]
fn issue_13_a_source_that_holds_its_findings_finishes_them_before_the_sink() {
    let mut sink = Recorder::default();
    scan().run(&Planner { holds: true }, &mut sink).expect("recorded");
    let findings: Vec<_> = sink.calls.iter().filter(|c| c.starts_with("finding")).collect();
    assert_eq!(findings.len(), 3);
    assert!(findings.iter().all(|c| c.ends_with("finished")), "{findings:?}");
}

/// A verifier that wants the token on line 2, records what it was given and marks it.
#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<usize>>,
    fail: bool,
}

impl Verifier for Fake {
    fn wants(&self, f: &Finding) -> bool {
        f.location.line == 2
    }

    fn verify(&self, findings: &mut [Finding]) -> Result<Verification, VerifyError> {
        self.seen.lock().unwrap().extend(findings.iter().map(|f| f.location.line));
        if self.fail {
            return Err(VerifyError::new("no credentials"));
        }
        findings.iter_mut().for_each(|f| f.description = "verified".into());
        Ok(Verification { checked: findings.len(), failed: 0 })
    }
}

#[test]
fn issue_13_the_verifier_sees_what_it_wants_once_and_its_verdicts_reach_the_sink() {
    let scan = scan().verifier(Box::new(Fake::default()));
    let mut sink = Recorder::default();
    let summary = scan.run(&Planner { holds: false }, &mut sink).expect("recorded");
    let verification = summary.verification.expect("there was something to verify");
    assert_eq!(verification.expect("it ran"), Verification { checked: 1, failed: 0 });
    assert!(sink.calls.contains(&"finding 2 verified".to_owned()), "{:?}", sink.calls);
    assert_eq!(summary.findings, 3);
}

#[test]
fn issue_13_a_verifier_that_cannot_run_loses_no_finding() {
    let scan = scan().verifier(Box::new(Fake { fail: true, ..Fake::default() }));
    let (outcome, summary) = collect(&scan, &Planner { holds: false });
    assert_eq!(outcome.findings.len(), 3);
    assert!(matches!(summary.verification, Some(Err(_))));
}

#[test]
fn issue_13_a_failing_sink_is_not_called_again_and_its_error_is_returned() {
    struct Failing(usize);
    impl Sink for Failing {
        fn finding(&mut self, _: Finding) -> io::Result<()> {
            self.0 += 1;
            Err(io::Error::other("disk full"))
        }
        fn skipped(&mut self, _: Origin, _: SkipReason) -> io::Result<()> {
            Ok(())
        }
        fn error(&mut self, _: SourceError) -> io::Result<()> {
            Ok(())
        }
        fn warning(&mut self, _: String) -> io::Result<()> {
            Ok(())
        }
        fn finish(&mut self, _: &Summary) -> io::Result<()> {
            panic!("finish after a failure");
        }
    }
    let mut sink = Failing(0);
    let err = scan().run(&Planner { holds: false }, &mut sink).expect_err("the sink failed");
    assert_eq!(err.to_string(), "disk full");
    assert_eq!(sink.0, 1);
}

#[test]
fn issue_13_an_allowlist_that_hides_everything_is_reported_in_the_stream() {
    let allow = crate::filter::Allowlist {
        stopwords: vec!["akia".into()],
        ..crate::filter::Allowlist::default()
    };
    let options = ScanOptions {
        filters: Filters { allowlists: vec![allow], ..Filters::default() },
        config_file: Some(PathBuf::from("cfg.toml")),
        ..ScanOptions::default()
    };
    let scan = Scan::new(RuleSet::builtin().expect("built-in rules"), options);
    let (outcome, summary) = collect(&scan, &Planner { holds: false });
    assert!(outcome.findings.is_empty());
    assert_eq!(summary.left_out, 3);
    assert!(
        outcome.warnings.iter().any(|w| w.starts_with("cfg.toml: allowlist 0: stopword")
            && w.contains("(3 findings)")),
        "{:?}",
        outcome.warnings
    );
}

#[test]
fn issue_13_a_scan_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Scan>();
    // Two sources at once through one scan.
    let scan = scan();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let (outcome, _) = collect(&scan, &Planner { holds: false });
                assert_eq!(outcome.findings.len(), 3);
            });
        }
    });
}
