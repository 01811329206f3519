//! Command-line syntax (clap derive types). Nothing here does work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::args_audit::{AuditArgs, MergeArgs, TriageArgs};
use super::args_aws::{AwsCommand, AwsScanArgs};
use super::args_filter::{FilterArgs, IgnoreArgs};
use super::exit::EXIT_CODES_HELP;

/// Finds leaked credentials, AWS access keys above all.
#[derive(Debug, Parser)]
#[command(name = "keysentry", version, after_help = EXIT_CODES_HELP, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    /// When to use colours
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ColorChoice::Auto,
        value_name = "WHEN",
        long_help = "When to use colours in the report: auto (on a terminal, unless NO_COLOR \
                     is set), always, or never."
    )]
    pub(crate) color: ColorChoice,

    /// Print only findings and errors
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        long_help = "Print only the report and errors: no summary, no warnings."
    )]
    pub(crate) quiet: bool,

    /// Print diagnostics
    #[arg(
        short,
        long,
        global = true,
        long_help = "Print per-item diagnostics on stderr: skipped binary files, rule counts."
    )]
    pub(crate) verbose: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Scan files, directories or standard input
    #[command(after_help = EXIT_CODES_HELP)]
    Scan(ScanArgs),
    /// List or check detection rules
    #[command(subcommand)]
    Rules(RulesCommand),
    /// AWS keys: explain ids offline, verify audit logs; check and deactivate (online)
    #[command(subcommand)]
    Aws(AwsCommand),
    /// Write or update a baseline of known findings
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Ignore findings by fingerprint (appends to .keysentry-ignored-fingerprints)
    Ignore(IgnoreArgs),
    /// Git hooks: scan staged changes (the pre-commit check), install or remove hooks
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = HOOK_HELP,
        long_about = "Without a subcommand: scan the staged changes of the repository in the \
                      current directory, as a pre-commit hook does, and exit 1 if they add a \
                      secret (which blocks the commit). Only lines the commit adds are reported; \
                      content is read from the index, so a partly staged file (git add -p) is \
                      checked as it will be committed."
    )]
    Hook(HookArgs),
    /// Set the triage status of audit findings in a datastore
    Triage(TriageArgs),
    /// Merge audit datastores (shards) into one
    Merge(MergeArgs),
    /// Audit many repositories into a datastore: each blob once, resumable, incremental
    #[command(long_about = "Audit every repository of an organisation: those found under \
                            directories, listed in files, given as clone URLs, or listed by \
                            GitHub's and GitLab's APIs. Remote ones are mirrored into a cache; \
                            each history is scanned with every blob that any repository or \
                            earlier run scanned already passed over, and each repository's \
                            results go to the SQLite datastore in one transaction. A later run \
                            skips repositories whose refs did not move; a killed run resumes \
                            where it stopped (docs/audit.md).")]
    Audit(AuditArgs),
}

const HOOK_HELP: &str = "\
Exit status: 0 nothing found, 1 a staged change adds a secret (the commit is blocked),
2 error, or a file that could not be scanned in full (too large: --max-file-size) also
blocks. To commit anyway once: git commit --no-verify.";

#[derive(Debug, Args)]
pub(crate) struct HookArgs {
    #[command(subcommand)]
    pub(crate) action: Option<HookAction>,

    /// Show secrets in full
    #[arg(long)]
    pub(crate) show_secrets: bool,

    /// Use no configuration found in the repository (only the operator's)
    #[arg(
        long,
        long_help = "Do not read the repository's .keysentry.toml or .gitleaks.toml: only the \
                     operator's configuration (~/.config/keysentry/config.toml) applies, else \
                     the built-in rules."
    )]
    pub(crate) no_config: bool,

    /// Use none of the repository's ignore lists (.keysentryignore, .gitleaksignore)
    #[arg(
        long,
        long_help = "Do not apply the repository's .keysentryignore, \
                     .keysentry-ignored-fingerprints or .gitleaksignore. With --no-config, the \
                     commit is checked with the operator's policy only."
    )]
    pub(crate) no_ignore_files: bool,

    /// Do not scan (and block on) files larger than SIZE
    #[arg(
        long,
        global = true,
        value_name = "SIZE",
        value_parser = parse_size,
        long_help = "Files larger than SIZE are not scanned, and a staged or pushed file that \
                     is not scanned blocks the commit or push (exit 2): raise the limit to scan \
                     it. Bytes, or with a suffix K, M or G (powers of 1024). Default 50M. With \
                     `hook install`, the installed hook passes it on."
    )]
    pub(crate) max_file_size: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HookAction {
    /// Install keysentry as the repository's pre-commit (or pre-push) hook
    #[command(long_about = "Install keysentry as the pre-commit hook of the repository in the \
                            current directory (in core.hooksPath when that is set). An existing \
                            hook is kept and runs after keysentry's check passes, unless \
                            --force replaces it; `keysentry hook uninstall` restores it.")]
    Install {
        /// Install the pre-push hook (scans the commits being pushed) instead
        #[arg(long)]
        pre_push: bool,
        /// Replace an existing hook instead of chaining it (it is still kept for uninstall)
        #[arg(long)]
        force: bool,
    },
    /// Remove keysentry's hook and restore the hook that was there before
    Uninstall {
        /// Remove the pre-push hook instead of the pre-commit hook
        #[arg(long)]
        pre_push: bool,
    },
    /// Scan the commits being pushed (called by the pre-push hook, reads git's ref list on
    /// standard input)
    PrePush {
        /// Name of the remote (passed by git)
        remote: Option<String>,
        /// URL of the remote (passed by git)
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input
    #[arg(
        value_name = "PATH",
        default_value = ".",
        long_help = "Files or directories to scan (default: the current directory). `-` reads \
                     standard input. Directories are walked in parallel, honouring .gitignore \
                     (inside git repositories), .ignore and .keysentryignore; hidden files are \
                     scanned; .git directories are not."
    )]
    pub(crate) paths: Vec<PathBuf>,

    /// Report format
    #[arg(
        long,
        short = 'f',
        value_enum,
        default_value_t = Format::Human,
        long_help = "Report format (docs/output.md): human (default), json (one document), \
                     jsonl (one finding per line), sarif (SARIF 2.1.0, for code scanning), \
                     github (GitHub Actions annotations), gitlab (GitLab secret-detection \
                     report), junit (JUnit XML), csv (spreadsheets), or gitleaks-json \
                     (gitleaks' JSON report shape)."
    )]
    pub(crate) format: Format,

    /// Write the report to FILE instead of stdout
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        long_help = "Write the report to FILE instead of standard output. The summary still \
                     goes to stderr."
    )]
    pub(crate) report_path: Option<PathBuf>,

    /// Show secrets in full
    #[arg(
        long,
        long_help = "Show secrets in full in the report. By default they are redacted: AWS key \
                     ids keep their 4-character prefix, other secrets at most 4 characters."
    )]
    pub(crate) show_secrets: bool,

    /// Scan ignored files too
    #[arg(
        long,
        long_help = "Do not honour .gitignore, .ignore, .keysentryignore or git excludes: scan \
                     every file."
    )]
    pub(crate) no_ignore: bool,

    /// Follow symbolic links
    #[arg(
        long,
        short = 'L',
        long_help = "Follow symbolic links while walking. Without it, links are skipped, \
                     except those named on the command line."
    )]
    pub(crate) follow: bool,

    /// Skip files larger than SIZE
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "50M",
        value_parser = parse_size,
        long_help = "Skip, and report, files larger than SIZE: bytes, or with a suffix K, M or G \
                     (powers of 1024). Default 50M."
    )]
    pub(crate) max_file_size: u64,

    /// Scan the git history: every blob reachable from any ref, once
    #[arg(
        long,
        help_heading = "Git",
        group = "git_mode",
        long_help = "Scan the whole history of the repository at PATH (default: the current \
                     directory; bare repositories and mirrors work): every blob reachable from \
                     any branch, tag, remote-tracking ref, HEAD or stash entry, each distinct \
                     blob once, plus commit and tag messages. Each finding names the oldest \
                     commit that introduced its content at its path."
    )]
    pub(crate) history: bool,

    /// Scan the staged changes (what `git commit` would record)
    #[arg(
        long,
        help_heading = "Git",
        group = "git_mode",
        long_help = "Scan the changes staged in the index of the repository at PATH, reading \
                     content from the index (not the working tree), and report only findings \
                     on added lines. `keysentry hook` does the same with short output."
    )]
    pub(crate) staged: bool,

    /// Scan the commits of BASE..HEAD, reporting only added lines
    #[arg(
        long,
        value_name = "BASE..HEAD",
        help_heading = "Git",
        group = "git_mode",
        long_help = "Scan each commit reachable from HEAD and not from BASE (BASE...HEAD: not \
                     from their merge base), comparing it with its first parent and reporting \
                     only the lines it adds, attributed to it. `auto` reads the range from CI \
                     variables: GITHUB_BASE_REF and GITHUB_SHA (GitHub Actions pull requests), \
                     CI_MERGE_REQUEST_DIFF_BASE_SHA and CI_COMMIT_SHA (GitLab merge requests)."
    )]
    pub(crate) range: Option<String>,

    /// With --history: report every commit and path that introduced a secret
    #[arg(long, help_heading = "Git", requires = "history")]
    pub(crate) all_occurrences: bool,

    /// With --history: only commits not reachable from REV
    #[arg(long, value_name = "REV", help_heading = "Git", requires = "history")]
    pub(crate) since: Option<String>,

    /// With --history: only the newest N commits
    #[arg(
        long,
        value_name = "N",
        help_heading = "Git",
        requires = "history",
        value_parser = at_least_one
    )]
    pub(crate) max_commits: Option<usize>,

    /// Worker threads (default: one per core)
    #[arg(
        long,
        short = 'j',
        value_name = "N",
        long_help = "Number of worker threads. 0 or absent: one per core. At most four per core are \
                     run (more only add contention)."
    )]
    pub(crate) threads: Option<usize>,

    /// Stop searching an item after DURATION, and report it
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_duration,
        long_help = "Stop searching a file, blob or input once detection has run for DURATION \
                     on it, and report it as searched in part (the scan is then incomplete: \
                     exit 2 unless secrets were found). Seconds, or with a suffix ms, s or m \
                     (10s, 500ms, 2m). Default: no limit (the regex work per byte is bounded \
                     anyway: content denser in keywords than code is cut and reported)."
    )]
    pub(crate) timeout: Option<std::time::Duration>,

    #[command(flatten)]
    pub(crate) aws: AwsScanArgs,

    #[command(flatten)]
    pub(crate) filter: FilterArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BaselineCommand {
    /// Scan and write a baseline of every finding (fails if the file exists)
    Create(BaselineArgs),
    /// Scan and rewrite the baseline: new findings added, those gone dropped
    Update(BaselineArgs),
}

#[derive(Debug, Args)]
pub(crate) struct BaselineArgs {
    /// The baseline file
    #[arg(long = "baseline-file", value_name = "FILE", default_value = keysentry::files::names::BASELINE_FILE)]
    pub(crate) output: PathBuf,

    #[command(flatten)]
    pub(crate) scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the built-in rules
    List {
        /// Output format
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Check a rule file (default: the built-in rules)
    #[command(long_about = "Check a rule file: every regex compiles, ids are unique and well \
                            formed, each positive example contains a keyword and yields exactly \
                            that rule's finding through the whole detector, and each negative \
                            example yields nothing. Without FILE, checks the built-in rules.")]
    Check {
        /// Rule file (TOML)
        file: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
    Github,
    Gitlab,
    Junit,
    Csv,
    GitleaksJson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    Human,
    Json,
}

/// Parses `123`, `10K`, `50M`, `1G` (powers of 1024; a trailing `B`/`iB` is accepted).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix("iB").or_else(|| t.strip_suffix('B')).unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mult = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in {s:?} (use K, M or G)")),
            };
            (&t[..i], mult)
        }
        _ => (t, 1),
    };
    let n: u64 = num.trim().parse().map_err(|_| format!("invalid size {s:?}"))?;
    n.checked_mul(mult).ok_or_else(|| format!("size {s:?} is too large"))
}

/// A duration: seconds, or with a suffix ms, s or m; more than zero.
pub(crate) fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let n: f64 =
        num.trim().parse().map_err(|_| format!("invalid duration {s:?} (e.g. 10s, 500ms, 2m)"))?;
    let secs = n * unit;
    if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
        return Err(format!("duration {s:?} must be more than zero and finite"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// A count of at least 1 (`--max-commits 0` would scan nothing, or, as it once did,
/// everything).
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (leave the option out to scan every commit)".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("10K"), Ok(10 * 1024));
        assert_eq!(parse_size("50M"), Ok(50 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert!(parse_size("12X").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999999G").is_err());
    }
}
