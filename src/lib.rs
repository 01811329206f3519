//! keysentry finds leaked credentials, AWS access keys above all.
//!
//! ```text
//!  Source ──chunks──▶ workers: Detector ─▶ AWS step ─▶ inline ignores
//!  worktree, stdin,                  │
//!  staged, range, history            ▼
//!               collector: source finishing ─▶ allowlists, baselines ─▶ [Verifier] ─▶ Sink
//! ```
//!
//! A [`Scan`] holds everything a scan is configured with (the compiled rules, the AWS step,
//! allowlists and baselines, an optional [`verify::Verifier`]) and runs a
//! [`source::Source`] to a [`Sink`]. The source pushes borrowed chunks of content to one visitor
//! per worker thread, where the [`detect::Detector`] finds secrets, the [`aws`] step pairs and
//! decodes AWS keys and inline ignore comments are honoured while the content is at hand; one
//! collector thread then finishes each finding (a history names the commit that introduced
//! it), filters it and hands it to the sink. [`Collect`] is the sink that keeps and sorts
//! everything for the [`report`] formats; a sink of your own receives findings as they are
//! made, so a scan's memory grows with the findings in flight, not with the findings total.
//! `keysentry scan` is this pipeline plus argument handling: embedding it gives the same
//! findings.
//!
//! ```
//! use keysentry::source::stdin::Stdin;
//! use keysentry::{Collect, Scan, ScanOptions};
//!
//! let rules = keysentry::rules::RuleSet::builtin().expect("built-in rules compile");
//! let scan = Scan::new(rules, ScanOptions::default());
//! // Assembled from pieces so that this file holds no token.
//! let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o50smkjE");
//! let text = format!("GITHUB_TOKEN={token}\n");
//! let mut sink = Collect::new();
//! let summary = scan.run(&Stdin::new(text.as_bytes(), 1 << 20), &mut sink)?;
//! assert_eq!(summary.findings, 1);
//! assert!(!summary.is_incomplete());
//! let findings = sink.into_outcome().findings;
//! assert_eq!(findings[0].rule_id, "github.pat_classic");
//! assert_eq!(findings[0].location.column, 14);
//! // Secrets redact themselves when printed.
//! assert_eq!(findings[0].secret.to_string(), "ghp_****************");
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]

pub use pipeline::{Progress, Scan, ScanOptions};
pub use sink::{Collect, Sink, Summary};

pub mod audit;
pub mod aws;
pub mod config;
pub mod detect;
pub mod files;
pub mod filter;
pub mod finding;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod sink;
pub mod source;
pub mod verify;
