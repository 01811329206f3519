//! Command-line syntax of the organisation audit's commands: `keysentry audit`, `keysentry
//! triage` and `keysentry merge`. Nothing here does work.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::args::{parse_duration, parse_size};
use super::args_aws::AwsAccountArgs;
use keysentry::audit::shard::ShardSpec;

/// `keysentry audit`: the repositories, the datastore, the cache, the shard.
#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Directories to search for repositories, and clone URLs
    #[arg(
        value_name = "DIR|URL",
        long_help = "Directories to search for repositories (every working copy, bare \
                     repository and mirror under them), and clone URLs (https, http, git, ssh, \
                     file, or git@host:path), mirrored into the cache."
    )]
    pub(crate) targets: Vec<String>,

    /// A file listing repositories: a local path or a clone URL per line (repeatable)
    #[arg(long = "list", value_name = "FILE", help_heading = "Repositories")]
    pub(crate) lists: Vec<PathBuf>,

    /// The repositories of a GitHub organisation or user (repeatable)
    #[arg(
        long,
        value_name = "ORG",
        help_heading = "Repositories",
        long_help = "The repositories of a GitHub organisation or user, listed through GitHub's \
                     REST API (a token from GITHUB_TOKEN, if set, sees private ones). \
                     Repeatable."
    )]
    pub(crate) github: Vec<String>,

    /// The projects of a GitLab group and its subgroups (repeatable)
    #[arg(
        long,
        value_name = "GROUP",
        help_heading = "Repositories",
        long_help = "The projects of a GitLab group and its subgroups, listed through GitLab's \
                     REST API (a token from GITLAB_TOKEN, if set, sees private ones). \
                     Repeatable."
    )]
    pub(crate) gitlab: Vec<String>,

    /// The API of GitHub Enterprise or of a self-managed GitLab
    #[arg(
        long,
        value_name = "URL",
        help_heading = "Repositories",
        long_help = "The REST API's base URL, for GitHub Enterprise Server \
                     (https://github.example.com/api/v3) or a self-managed GitLab \
                     (https://gitlab.example.com/api/v4). Default: the public services'."
    )]
    pub(crate) api_url: Option<String>,

    /// Also audit forks the API lists
    #[arg(long, help_heading = "Repositories")]
    pub(crate) include_forks: bool,

    /// Also audit archived repositories the API lists
    #[arg(long, help_heading = "Repositories")]
    pub(crate) include_archived: bool,

    /// Print the repositories that would be audited, and stop
    #[arg(long, help_heading = "Repositories")]
    pub(crate) list_only: bool,

    /// Audit only shard K of N (K from 0), or auto/N: K from JOB_COMPLETION_INDEX
    #[arg(
        long,
        value_name = "K/N",
        help_heading = "Repositories",
        long_help = "Audit only the repositories of shard K of N (K from 0 to N-1), chosen by a \
                     stable hash of each repository's identity, so that N machines audit \
                     disjoint parts of one list. auto/N takes K from JOB_COMPLETION_INDEX (set \
                     in the pods of a Kubernetes Indexed Job). Give each shard its own \
                     --datastore, then combine them with `keysentry merge`."
    )]
    pub(crate) shard: Option<ShardSpec>,

    /// The datastore (SQLite; created if missing)
    #[arg(
        long,
        value_name = "DB",
        required_unless_present = "list_only",
        long_help = "The SQLite datastore the results go to (docs/audit.md): created if missing. \
                     A later run with the same datastore skips what did not change."
    )]
    pub(crate) datastore: Option<PathBuf>,

    /// Where remote repositories are mirrored
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Clones",
        long_help = "Where clone URLs are mirrored (bare mirrors, fetched again on later runs). \
                     Default: $XDG_CACHE_HOME/keysentry/mirrors, else \
                     ~/.cache/keysentry/mirrors."
    )]
    pub(crate) cache: Option<PathBuf>,

    /// Clones and fetches run at once
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = "Clones")]
    pub(crate) clone_jobs: usize,

    /// Give up a clone or fetch after DURATION (it is tried twice)
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        value_parser = parse_duration,
        help_heading = "Clones"
    )]
    pub(crate) clone_timeout: std::time::Duration,

    /// Configuration file (the repositories' own are never read)
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Configuration file: keysentry's or a gitleaks .gitleaks.toml, with the \
                     operator's own (~/.config/keysentry/config.toml). The audited \
                     repositories' configurations and ignore files are never read: an audit is \
                     the organisation's view, and a repository cannot switch checks off in it."
    )]
    pub(crate) config: Option<PathBuf>,

    /// Skip, and report, blobs larger than SIZE
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = parse_size)]
    pub(crate) max_file_size: u64,

    /// Worker threads of each repository's scan (default: one per core)
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) threads: Option<usize>,

    /// Stop searching a blob after DURATION, and report it
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) timeout: Option<std::time::Duration>,

    #[command(flatten)]
    pub(crate) accounts: AwsAccountArgs,
}

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
