//! Arguments and environment turned into a validated configuration before any work starts.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, bail};

use super::args::{ColorChoice, Format, ScanArgs};
use super::config_filter::Suppression;
use super::env::Env;
use keysentry::report::SecretDisplay;
use keysentry::source::history::HistoryOptions;
use keysentry::source::range::PushUpdate;
use keysentry::source::worktree::{IgnoreFiles, MMAP_THRESHOLD, Symlinks, WorktreeOptions};

/// What to scan.
#[derive(Debug)]
pub(crate) enum Input {
    Stdin {
        max_size: u64,
    },
    Worktree(WorktreeOptions),
    History(HistoryOptions),
    Staged {
        repo: PathBuf,
        max_size: u64,
    },
    Range {
        repo: PathBuf,
        spec: String,
        max_size: u64,
        threads: usize,
    },
    /// The commits a `git push` sends (the pre-push hook).
    Push {
        repo: PathBuf,
        updates: Vec<PushUpdate>,
        remote: Option<String>,
        max_size: u64,
    },
}

/// A validated `scan` configuration.
#[derive(Debug)]
pub(crate) struct ScanConfig {
    pub(crate) input: Input,
    pub(crate) format: Format,
    pub(crate) report_path: Option<PathBuf>,
    pub(crate) secrets: SecretDisplay,
    pub(crate) color: bool,
    pub(crate) aws: keysentry::aws::AwsOptions,
    pub(crate) suppression: Suppression,
    /// `--threads` as given, when it was more than the sources run.
    pub(crate) threads_clamped: Option<(usize, usize)>,
    /// `--timeout`: how long detection may take per item.
    pub(crate) timeout: Option<std::time::Duration>,
    /// Online AWS checks after the scan.
    #[cfg(feature = "aws")]
    pub(crate) online: Option<super::config_aws::OnlineRun>,
}

impl ScanConfig {
    pub(crate) fn new(args: ScanArgs, color: ColorChoice, env: &Env) -> anyhow::Result<ScanConfig> {
        ScanConfig::build(args, color, env, true)
    }

    /// A configuration; without `with_baselines`, `--baseline` files are not applied (to
    /// write a baseline of everything found).
    pub(crate) fn build(
        args: ScanArgs,
        color: ColorChoice,
        env: &Env,
        with_baselines: bool,
    ) -> anyhow::Result<ScanConfig> {
        let mut aws = super::config_aws::scan_options(&args.aws)?;
        let root = match args.paths.first() {
            Some(p) if p.as_os_str() != "-" => p.clone(),
            _ => PathBuf::from("."),
        };
        let suppression = super::config_filter::load(&args.filter, &root, with_baselines, env)?;
        super::config_filter::add_aws(&suppression.settings, &mut aws)?;
        // The online run takes its accounts now: those of a configuration found in the tree
        // are added after it, for tagging only.
        #[cfg(feature = "aws")]
        let online =
            super::config_aws::scan_online(&args.aws, &aws, &suppression.settings.aws_online)?;
        super::config_filter::add_repository_accounts(&suppression, &mut aws)?;
        let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
        let git = args.history || args.staged || args.range.is_some();
        let input = if git {
            let [repo] = &args.paths[..] else {
                bail!("--history, --staged and --range take one repository path");
            };
            if stdin {
                bail!("--history, --staged and --range read a repository, not standard input");
            }
            let repo = repo.clone();
            let threads = args.threads.unwrap_or(0);
            if args.history {
                Input::History(HistoryOptions {
                    repo,
                    since: args.since,
                    max_commits: args.max_commits,
                    all_occurrences: args.all_occurrences,
                    max_file_size: args.max_file_size,
                    threads,
                    git_env: env.git.clone(),
                })
            } else if let Some(range) = args.range {
                let spec = match range.as_str() {
                    "auto" => env.ci_range().map_err(anyhow::Error::msg)?,
                    _ => range,
                };
                Input::Range { repo, spec, max_size: args.max_file_size, threads }
            } else {
                Input::Staged { repo, max_size: args.max_file_size }
            }
        } else if stdin {
            if args.paths.len() > 1 {
                bail!("`-` (standard input) cannot be combined with other paths");
            }
            Input::Stdin { max_size: args.max_file_size }
        } else {
            for p in &args.paths {
                // An unreadable root is a usage error, not a per-item failure.
                std::fs::metadata(p).with_context(|| format!("cannot scan {}", p.display()))?;
            }
            Input::Worktree(WorktreeOptions {
                paths: args.paths,
                ignore: if args.no_ignore || args.filter.no_ignore_files {
                    IgnoreFiles::Disregard
                } else {
                    IgnoreFiles::Respect
                },
                symlinks: if args.follow { Symlinks::Follow } else { Symlinks::Skip },
                max_file_size: args.max_file_size,
                mmap_threshold: MMAP_THRESHOLD,
                threads: args.threads.unwrap_or(0),
            })
        };
        let to_terminal = args.report_path.is_none() && std::io::stdout().is_terminal();
        Ok(ScanConfig {
            input,
            format: args.format,
            color: use_color(color, to_terminal, env),
            report_path: args.report_path,
            secrets: if args.show_secrets { SecretDisplay::Show } else { SecretDisplay::Redact },
            aws,
            suppression,
            threads_clamped: args
                .threads
                .map(|n| (n, keysentry::source::worker_threads(n)))
                .filter(|(n, used)| used < n),
            timeout: args.timeout,
            #[cfg(feature = "aws")]
            online,
        })
    }
}

pub(crate) fn use_color(choice: ColorChoice, to_terminal: bool, env: &Env) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && !env.no_color,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_choice() {
        let plain = Env::default();
        let no_color = Env { no_color: true, ..Env::default() };
        assert!(use_color(ColorChoice::Auto, true, &plain));
        assert!(!use_color(ColorChoice::Auto, false, &plain));
        assert!(!use_color(ColorChoice::Auto, true, &no_color));
        assert!(use_color(ColorChoice::Always, false, &no_color));
        assert!(!use_color(ColorChoice::Never, true, &plain));
    }
}
