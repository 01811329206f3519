//! `keysentry audit`: list the repositories, take this shard's, mirror the remote ones, scan
//! each history into the datastore, and say what happened.

use std::collections::HashSet;
use std::io::{self, Write};

use anyhow::Context;

use crate::cli::args_audit::AuditArgs;
use crate::cli::args_filter::FilterArgs;
use crate::cli::cmd::count;
use crate::cli::config_filter;
use crate::cli::env::{Env, Hidden};
use crate::cli::exit::ExitStatus;
use crate::cli::log::Log;
use crate::cli::progress::{ProgressPolicy, with_audit_progress};
use crate::cli::scanning;
use keysentry::audit::api::ApiToken;
use keysentry::audit::clone::{Cache, CloneOptions, Credentials, Helpers, HostToken, TokenKind};
use keysentry::audit::run::{AuditOptions, AuditSummary, audit, ruleset_version};
use keysentry::audit::sources::{self, SourceOptions, Tokens};
use keysentry::audit::store::{FindingFilter, Store, TriageStatus};
use keysentry::audit::{RepoLocation, RepoSpec};
use keysentry::finding::Secret;
use keysentry::report::escape;

pub(crate) fn run(args: AuditArgs, env: &Env, log: Log) -> anyhow::Result<ExitStatus> {
    let shard = args.shard.map(|s| s.resolve(env.job_completion_index.as_deref())).transpose()?;
    if !args.github.is_empty() && !args.gitlab.is_empty() && args.api_url.is_some() {
        anyhow::bail!("--api-url names one API: audit --github and --gitlab in separate runs");
    }
    let mut options = SourceOptions {
        lists: args.lists.clone(),
        github: args.github.clone(),
        gitlab: args.gitlab.clone(),
        github_api: args.api_url.clone().filter(|_| !args.github.is_empty()),
        gitlab_api: args.api_url.clone().filter(|_| !args.gitlab.is_empty()),
        include_forks: args.include_forks,
        include_archived: args.include_archived,
        ..SourceOptions::default()
    };
    for target in &args.targets {
        options.add_target(target.as_ref());
    }
    let token = |t: &Option<Hidden>, name: &str| -> anyhow::Result<Option<ApiToken>> {
        t.as_ref()
            .map(|t| ApiToken::new(t.0.clone()))
            .transpose()
            .with_context(|| format!("{name} cannot be used as a token"))
    };
    let tokens = Tokens {
        github: token(&env.github_token, "GITHUB_TOKEN")?,
        gitlab: token(&env.gitlab_token, "GITLAB_TOKEN")?,
    };
    let collected = sources::collect(&options, &tokens, &mut |event| log.info(event))?;
    for problem in &collected.problems {
        log.alert(problem);
    }
    let listed = collected.repos.len();
    let repos: Vec<RepoSpec> = match shard {
        Some(shard) => collected.repos.into_iter().filter(|r| shard.includes(r)).collect(),
        None => collected.repos,
    };
    if let Some(shard) = shard {
        log.info(format_args!(
            "shard {shard}: {} of {listed}",
            count(repos.len() as u64, "repository", "repositories")
        ));
    }
    let listing_failed = !collected.problems.is_empty();
    if args.list_only {
        list(&repos)?;
        return Ok(if listing_failed { ExitStatus::Error } else { ExitStatus::Clean });
    }
    let Some(datastore) = &args.datastore else {
        anyhow::bail!("--datastore DB is needed to audit (or --list-only)");
    };

    // The operator's configuration and --config only: the repositories' own never apply.
    let filter = FilterArgs {
        config: args.config.clone(),
        no_config: true,
        no_ignore_files: true,
        ..FilterArgs::default()
    };
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let mut suppression = config_filter::load(&filter, &cwd, false, env)?;
    let mut aws = crate::cli::config_aws::account_options(&args.accounts)?;
    config_filter::add_aws(&suppression.settings, &mut aws)?;
    let rules = config_filter::rules_for(&suppression.settings, &aws);
    let config_bytes = match &suppression.settings.file {
        Some(file) => std::fs::read(file).unwrap_or_default(),
        None => Vec::new(),
    };
    let ruleset = ruleset_version(&[
        format!("{rules:?}").as_bytes(),
        &config_bytes,
        format!("{aws:?}").as_bytes(),
        &args.max_file_size.to_le_bytes(),
    ]);
    let detector = scanning::detector(&suppression, &aws)?;
    let scan = scanning::scan(detector, &mut suppression, aws, Vec::new(), args.timeout);

    let mut store = Store::open(datastore)
        .with_context(|| format!("cannot open the datastore {}", datastore.display()))?;
    let remote = repos.iter().any(|r| matches!(r.location, RepoLocation::Remote(_)));
    let cache = match (remote, args.cache.clone().or_else(|| env.mirror_cache.clone())) {
        (false, _) => None,
        (true, Some(dir)) => Some(
            Cache::new(&dir)
                .with_context(|| format!("cannot use the clone cache {}", dir.display()))?,
        ),
        (true, None) => anyhow::bail!("no clone cache: give --cache DIR (HOME is not set)"),
    };
    let options = AuditOptions {
        ruleset,
        threads: args.threads.unwrap_or(0),
        max_file_size: args.max_file_size,
        git_env: keysentry::source::git::GitEnv::default(),
        clone: CloneOptions {
            concurrency: args.clone_jobs.max(1),
            timeout: args.clone_timeout,
            credentials: Credentials { tokens: host_tokens(&args, env), helpers: Helpers::Ask },
            ..CloneOptions::default()
        },
    };
    let audited: HashSet<String> = repos.iter().map(|r| r.id.clone()).collect();
    let policy = ProgressPolicy::for_stderr(log, env.progress_delay);
    let summary = with_audit_progress(policy, |p| {
        audit(&scan, repos, &mut store, cache.as_ref(), &options, p)
    })?;
    summarize(&summary, log);
    let open = open_findings(&store, &audited)?;
    Ok(if open {
        ExitStatus::Findings
    } else if summary.is_incomplete() || listing_failed {
        ExitStatus::Error
    } else {
        ExitStatus::Clean
    })
}

/// The tokens HTTPS clones may send, by host: `GITHUB_TOKEN` to github.com (and to the host of
/// `--api-url` with `--github`: GitHub Enterprise serves its API and its clones from one host),
/// `GITLAB_TOKEN` to gitlab.com (and `--api-url`'s host with `--gitlab`).
fn host_tokens(args: &AuditArgs, env: &Env) -> Vec<HostToken> {
    let api_host = args.api_url.as_deref().and_then(|u| {
        let rest = u.split_once("://")?.1;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit('@').next()?;
        Some(host.to_ascii_lowercase())
    });
    let mut out = Vec::new();
    let mut add = |token: &Option<Hidden>, default: &str, own_api: bool, kind: TokenKind| {
        let Some(token) = token else { return };
        let mut hosts = vec![default.to_owned()];
        if own_api && let Some(host) = &api_host {
            hosts.push(host.clone());
        }
        for host in hosts {
            out.push(HostToken::new(&host, kind, Secret::new(token.0.clone())));
        }
    };
    add(&env.github_token, "github.com", !args.github.is_empty(), TokenKind::GitHub);
    add(&env.gitlab_token, "gitlab.com", !args.gitlab.is_empty(), TokenKind::GitLab);
    out
}

/// Whether the datastore holds an open finding (not triaged as false positive, accepted or
/// revoked) with an occurrence in one of the `audited` repositories.
fn open_findings(store: &Store, audited: &HashSet<String>) -> anyhow::Result<bool> {
    let filter = FindingFilter { status: Some(TriageStatus::Open), ..FindingFilter::default() };
    let open = store.findings(&filter)?;
    Ok(open.iter().any(|f| {
        f.matches.iter().any(|m| m.occurrences.iter().any(|o| audited.contains(&o.repo_id)))
    }))
}

/// `--list-only`: one repository per line, its identity then its name.
fn list(repos: &[RepoSpec]) -> anyhow::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    for r in repos {
        // Names and URLs come from hosting APIs and listing files: escaped.
        writeln!(out, "{}\t{}", escape(&r.id), escape(&r.name))?;
    }
    out.flush()?;
    Ok(())
}

/// The summary at the end: repositories complete, failed (with reasons), unchanged; blobs
/// scanned and passed over; new findings.
fn summarize(s: &AuditSummary, log: Log) {
    let repos = |n: u64| count(n, "repository", "repositories");
    log.info(format_args!(
        "audit: {} complete, {} with gaps, {} failed, {} unchanged; {} scanned, {} already \
         scanned; {} in {:.1}s",
        repos(s.complete),
        s.incomplete.len(),
        s.failed.len(),
        s.unchanged,
        count(s.blobs_scanned, "blob", "blobs"),
        s.blobs_known,
        count(s.new_findings, "new finding", "new findings"),
        s.elapsed.as_secs_f64()
    ));
    for (name, reason) in &s.failed {
        log.alert(format_args!("{name}: failed: {reason}"));
    }
    for (name, gaps) in &s.incomplete {
        let more = gaps.len().saturating_sub(3);
        let shown: Vec<&str> = gaps.iter().take(3).map(String::as_str).collect();
        let tail = if more > 0 { format!(" (and {more} more)") } else { String::new() };
        log.alert(format_args!("{name}: not scanned in full: {}{tail}", shown.join("; ")));
    }
    for name in &s.stale {
        log.alert(format_args!("{name}: the fetch failed; scanned as last mirrored"));
    }
}
