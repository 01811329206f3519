//! keysentry finds leaked credentials, AWS access keys above all.
//!
//! ```text
//! Source ──Chunk──▶ Detector ──Finding──▶ Reporter
//!  worktree          keyword prefilter       human, json, jsonl
//!  stdin             + regex + entropy
//! ```
//!
//! A [`source::Source`] pushes borrowed chunks of content to one visitor per worker thread; the
//! [`detect::Detector`] (pure, `Sync`) finds secrets in each chunk; [`pipeline::run`] collects
//! the [`finding::Finding`]s; a [`report::Reporter`] writes them.
//!
//! ```
//! use keysentry::detect::Detector;
//! use keysentry::finding::Origin;
//! use keysentry::rules::RuleSet;
//!
//! let detector = Detector::new(RuleSet::builtin().expect("built-in rules compile"));
//! // Assembled from pieces so that this file holds no token.
//! let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o50smkjE");
//! let text = format!("GITHUB_TOKEN={token}\n");
//! let mut scratch = keysentry::detect::Scratch::new();
//! let findings = detector.scan(text.as_bytes(), &Origin::Stdin, &mut scratch);
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].rule_id, "github.pat_classic");
//! assert_eq!(findings[0].location.column, 14);
//! // Secrets redact themselves when printed.
//! assert_eq!(findings[0].secret.to_string(), "ghp_****************");
//! ```
#![deny(missing_docs)]

pub mod aws;
pub mod config;
pub mod detect;
pub mod filter;
pub mod finding;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod source;
pub mod verify;
