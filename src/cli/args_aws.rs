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

    /// Never call AWS, even when the configuration asks for checks
    #[arg(
        long,
        help_heading = "AWS",
        long_help = "Never call AWS: overrides `verify = true` in the configuration. Cannot be \
                     combined with --verify or --deactivate."
    )]
    pub(crate) offline: bool,

    #[cfg(feature = "aws")]
    #[command(flatten)]
    pub(crate) online: ScanOnlineArgs,
}

/// `scan`'s online AWS flags.
#[cfg(feature = "aws")]
#[derive(Debug, Default, Args)]
pub(crate) struct ScanOnlineArgs {
    /// Check AWS keys found, owner-side, with your AWS credentials
    #[arg(
        long,
        help_heading = "AWS online",
        long_help = "After the scan, check each AWS key id found (once, however often it \
                     appears) with the operator's AWS credentials: sts:GetAccessKeyInfo for its \
                     account, then, in own accounts, iam:GetAccessKeyLastUsed, ListAccessKeys \
                     and ListAttachedUserPolicies for its user, status and quarantine. The \
                     leaked key itself is never used (see --verify-leaked); canary keys are never \
                     checked. Verdicts go to the audit log, then to stderr (docs/aws.md)."
    )]
    pub(crate) verify: bool,

    /// Also sign sts:GetCallerIdentity with each leaked pair (visible to its owner)
    #[arg(
        long,
        help_heading = "AWS online",
        long_help = "Also call sts:GetCallerIdentity signed with each leaked key id and its \
                     paired secret: live, invalid or expired. This shows in the key owner's \
                     CloudTrail and updates the key's last use; it is never done for canary \
                     keys. Implies --verify."
    )]
    pub(crate) verify_leaked: bool,

    /// Deactivate active keys of own accounts (a dry run unless --yes)
    #[arg(
        long,
        help_heading = "AWS online",
        long_help = "After checking (implies --verify), set active keys of own accounts \
                     Inactive with iam:UpdateAccessKey, then confirm with ListAccessKeys. A dry \
                     run unless --yes. Never deletes a key; `keysentry aws reactivate` undoes it. \
                     Root and temporary (ASIA) keys are reported with what to do instead."
    )]
    pub(crate) deactivate: bool,

    /// Carry out --deactivate (and --quarantine)
    #[arg(long, help_heading = "AWS online", requires = "deactivate")]
    pub(crate) yes: bool,

    /// With --deactivate, also attach AWSCompromisedKeyQuarantineV3 to the key's user
    #[arg(long, help_heading = "AWS online", requires = "deactivate")]
    pub(crate) quarantine: bool,

    #[command(flatten)]
    pub(crate) conn: OnlineArgs,
}

/// How to reach AWS (online commands).
#[cfg(feature = "aws")]
#[derive(Debug, Default, Args)]
pub(crate) struct OnlineArgs {
    /// AWS region (its partition: aws, aws-us-gov, aws-cn)
    #[arg(
        long,
        value_name = "REGION",
        help_heading = "AWS online",
        long_help = "The region calls go to; its partition decides endpoints and ARNs \
                     (us-gov-west-1 for GovCloud, cn-north-1 for China). Default: the AWS \
                     configuration's (AWS_REGION, profile), else us-east-1."
    )]
    pub(crate) region: Option<String>,

    /// Endpoint URL for STS and IAM (an emulator, a VPC endpoint)
    #[arg(
        long,
        value_name = "URL",
        help_heading = "AWS online",
        long_help = "Send STS and IAM calls to this endpoint. AWS_ENDPOINT_URL, \
                     AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_IAM are honoured too."
    )]
    pub(crate) endpoint_url: Option<String>,

    /// Role assumed in own accounts other than yours
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "AWS online",
        long_help = "The IAM role name keysentry assumes (sts:AssumeRole) in own accounts \
                     (--aws-account, [aws] accounts) other than the operator's current account. \
                     [aws.roles] in the configuration overrides it per account; default: \
                     role_name in [aws]."
    )]
    pub(crate) role_name: Option<String>,

    /// Audit log (JSON Lines, appended, hash-chained)
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "AWS online",
        long_help = "The audit log every verdict and action is appended to, and synced, \
                     before it is reported. Default: audit_log in [aws], else \
                     keysentry-aws-audit.jsonl in the current directory. `keysentry aws \
                     audit-log verify FILE` checks it."
    )]
    pub(crate) audit_log: Option<PathBuf>,

    /// Keys checked at the same time
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = "AWS online")]
    pub(crate) concurrency: usize,

    /// Seconds one AWS call attempt may take
    #[arg(long, value_name = "SECS", default_value_t = 10, help_heading = "AWS online")]
    pub(crate) call_timeout: u64,
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
    /// Check the audit log of online AWS work
    #[command(subcommand)]
    AuditLog(AuditLogCommand),
    /// Which account owns each key (sts:GetAccessKeyInfo), and its state in own accounts
    #[cfg(feature = "aws")]
    #[command(long_about = "Ask AWS, with the operator's credentials, which account owns each \
                            key id (sts:GetAccessKeyInfo, old-format ids too), compare it with \
                            the offline decode and the own-account list, and in own accounts \
                            read the key's user, status, last use and quarantine. The keys \
                            themselves are never used. Exit status 0, or 2 if a check failed.")]
    Identify(OnlineKeysArgs),
    /// Deactivate keys of own accounts (a dry run unless --yes)
    #[cfg(feature = "aws")]
    #[command(long_about = "Set active keys of own accounts Inactive (iam:UpdateAccessKey with \
                            the owner's UserName), then confirm with ListAccessKeys. A dry run \
                            unless --yes. Never deletes. Idempotent: inactive keys are left as \
                            they are. Exit status 0, or 2 if a check or an action failed.")]
    Deactivate(DeactivateArgs),
    /// Reactivate keys deactivated by mistake
    #[cfg(feature = "aws")]
    #[command(long_about = "Set inactive keys of own accounts Active again (undoes \
                            `deactivate`), confirmed with ListAccessKeys and recorded in the \
                            audit log. Exit status 0, or 2 if a check or an action failed.")]
    Reactivate(OnlineKeysArgs),
}

/// Key ids and how to reach AWS.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub(crate) struct OnlineKeysArgs {
    /// The key ids, output format and accounts, as for `aws inspect`.
    #[command(flatten)]
    pub(crate) keys: InspectArgs,

    #[command(flatten)]
    pub(crate) conn: OnlineArgs,
}

/// Arguments of `keysentry aws deactivate`.
#[cfg(feature = "aws")]
#[derive(Debug, Args)]
pub(crate) struct DeactivateArgs {
    #[command(flatten)]
    pub(crate) keys: OnlineKeysArgs,

    /// Do it (without: a dry run)
    #[arg(long)]
    pub(crate) yes: bool,

    /// Also attach AWSCompromisedKeyQuarantineV3 to the key's user
    #[arg(long)]
    pub(crate) quarantine: bool,
}

/// `keysentry aws audit-log …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditLogCommand {
    /// Verify an audit log's hash chain: detects edited, inserted, reordered or deleted records
    #[command(long_about = "Verify the hash chain of an audit log written by `keysentry aws \
                            deactivate`, `reactivate`, `identify` or `scan --verify`: every \
                            record must carry the SHA-256 of the line before it and the next \
                            sequence number. Prints the number of records and the hash of the \
                            last line (keep it elsewhere to detect records removed at the end \
                            later). Exit status 0 intact, 1 broken (the line is named), 2 the \
                            file cannot be read.")]
    Verify {
        /// The audit log (JSON Lines)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Arguments of `keysentry aws inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// AWS access key ids
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
