//! Command-line syntax of the datastore commands: `keysentry triage` and `keysentry merge`.
//! Nothing here does work.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// `keysentry triage`.
#[derive(Debug, Args)]
pub(crate) struct TriageArgs {
    /// The audit datastore
    #[arg(
        long,
        value_name = "DB",
        long_help = "The audit datastore (the SQLite file `keysentry audit --datastore` \
                     wrote). It must exist."
    )]
    pub(crate) datastore: PathBuf,

    /// The status to set
    #[arg(
        long,
        value_enum,
        long_help = "The triage status to set: open (it counts: `keysentry audit` exits 1 on \
                     it), false-positive (not a secret), accepted (a real secret whose \
                     exposure is accepted) or revoked (rotated or revoked)."
    )]
    pub(crate) status: TriageChoice,

    /// A note to keep with it
    #[arg(long, value_name = "TEXT", long_help = "A note kept with the status (why, a ticket).")]
    pub(crate) note: Option<String>,

    /// Who sets it (default: $USER)
    #[arg(
        long = "by",
        value_name = "WHO",
        long_help = "Who sets the status, kept with it. Default: the USER environment \
                     variable."
    )]
    pub(crate) by: Option<String>,

    /// Findings, by id or fingerprint
    #[arg(
        required = true,
        value_name = "ID_OR_FINGERPRINT",
        long_help = "The findings to triage: their id in the datastore (a number, as reports \
                     from the datastore show it) or their fingerprint (hex; a unique prefix of \
                     at least 6 digits will do). All are set in one transaction: if one is \
                     unknown, none is changed."
    )]
    pub(crate) findings: Vec<String>,
}

/// A triage status on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TriageChoice {
    /// Not triaged, or reopened
    Open,
    /// Not a secret
    FalsePositive,
    /// A real secret whose exposure is accepted
    Accepted,
    /// Rotated or revoked
    Revoked,
}

/// `keysentry merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The datastores to merge
    #[arg(
        required = true,
        value_name = "DB",
        long_help = "The datastores to merge (one per shard of `keysentry audit --shard`). \
                     They are only read."
    )]
    pub(crate) inputs: Vec<PathBuf>,

    /// The merged datastore to write
    #[arg(
        short,
        long,
        value_name = "DB",
        long_help = "The merged datastore to write; it must not exist. Blobs and findings are \
                     deduplicated, the newest triage of a finding is kept, and each repository \
                     comes from the datastore that scanned it last."
    )]
    pub(crate) output: PathBuf,
}
