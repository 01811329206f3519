//! keysentry's integration tests, as one test binary with one module per concern.
//!
//! One binary, not one per file: each test binary links the whole library (the AWS SDK with it),
//! so nineteen of them cost nineteen links and 325 MB of disk, where this one is 54 MB.
//! `tests/alloc_free.rs` stays a binary of its own because it installs a counting global
//! allocator (`#[global_allocator]` is process-wide), which would count, and slow, every test
//! here.
//!
//! Run one module with `cargo test --test it scan_walk::`. Tests that need a tool `scripts/test`
//! installs (moto, the pre-commit framework, Python with jsonschema, the real-code corpus) skip
//! with a message on stderr when it is missing, and fail instead under
//! `KEYSENTRY_TEST_REQUIRE_ALL=1`, which `scripts/test` sets.

mod common;

mod adversarial;
mod audit;
mod audit_clone;
mod audit_deploy;
mod audit_report;
mod audit_sources;
mod audit_store;
mod aws_online;
mod aws_pairing;
mod builtin_rules;
mod changing_files;
mod cli_snapshots;
mod config_trust;
mod context;
mod decoded;
mod embedding;
mod exit_codes;
mod git_history;
mod git_history_damage;
mod git_hooks;
mod git_range;
mod git_staged;
mod gitleaks_compat;
mod harness;
mod ignore_lists;
mod pre_commit_framework;
mod progress;
mod real_code;
mod report_formats;
mod report_sarif;
mod resource_limits;
mod rules_cli;
mod scan_content;
mod scan_output;
mod scan_walk;
mod suppression;
mod tools;
