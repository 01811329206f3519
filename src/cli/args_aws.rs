//! Command-line syntax of the AWS options of `scan` and of `keysentry aws`. Nothing here does
//! work.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// AWS options of `scan` (flattened into its arguments).
#[derive(Debug, Default, Args)]
pub(crate) struct AwsScanArgs {
    /// Also report AWS identifiers (user, role, … ids) as informational
    #[arg(
        long,
        help_heading = "AWS",
        long_help = "Also report AWS unique ids that are not credentials (AIDA user, AROA role, \
                     AIPA, AGPA, ANPA, ANVA, APKA, ASCA) as informational findings, with their \
                     decoded account. They do not change the exit status."
    )]
    pub(crate) include_identifiers: bool,

    /// Also report AWS documentation example keys
    #[arg(
        long,
        help_heading = "AWS",
        long_help = "Also report AWS documentation example credentials (AKIAIOSFODNN7EXAMPLE, \
                     any key id ending in EXAMPLE, secrets containing EXAMPLE), tagged example."
    )]
    pub(crate) include_examples: bool,

    #[command(flatten)]
    pub(crate) accounts: AwsAccountArgs,
}

/// The organisation's accounts and extra canaries, shared by `scan` and `aws inspect`.
#[derive(Debug, Default, Args)]
pub(crate) struct AwsAccountArgs {
    /// One of the organisation's own AWS accounts (repeatable)
    #[arg(
        long = "aws-account",
        value_name = "ID",
        help_heading = "AWS",
        long_help = "A 12-digit AWS account id of the organisation's own (repeatable). With at \
                     least one (here or in --aws-accounts-file), AWS findings whose account is \
                     decoded are tagged ours or foreign."
    )]
    pub(crate) aws_accounts: Vec<String>,

    /// File listing the organisation's own AWS accounts
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "AWS",
        long_help = "A file of the organisation's own 12-digit AWS account ids: one or more per \
                     line, separated by blanks or commas; `#` starts a comment."
    )]
    pub(crate) aws_accounts_file: Option<PathBuf>,

    /// More canary accounts (TOML, the format of data/aws-canaries.toml)
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "AWS",
        long_help = "Adds canary accounts to the built-in list: a TOML file of [[canary]] tables \
                     with `owner` and `accounts` (12-digit ids), as data/aws-canaries.toml. Keys \
                     of canary accounts are tagged canary and must never be used."
    )]
    pub(crate) aws_canaries: Option<PathBuf>,
}

/// `keysentry aws …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AwsCommand {
    /// Explain AWS key ids offline: class, account, generation, example, canary
    #[command(long_about = "Explain AWS key ids and other unique ids offline, without any \
                            network call: prefix class, the account decoded from new-format \
                            ids, generation, documentation example, canary account, and ours \
                            or foreign with --aws-account. Exit status 0, or 2 if an id is not \
                            a well-formed AWS id.")]
    Inspect(InspectArgs),
}

/// Arguments of `keysentry aws inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Key ids to explain
    #[arg(value_name = "KEY_ID", required = true)]
    pub(crate) ids: Vec<String>,

    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = InspectFormat::Human)]
    pub(crate) format: InspectFormat,

    #[command(flatten)]
    pub(crate) accounts: AwsAccountArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InspectFormat {
    Human,
    Json,
}
