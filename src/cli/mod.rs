//! The command-line front end: parse, validate, run one command, map the result to an exit
//! status.

mod args;
mod args_audit;
mod args_aws;
mod args_filter;
mod cmd;
mod config;
mod config_aws;
mod config_filter;
mod env;
mod exit;
mod log;
mod progress;
mod scanning;
mod summary;

use std::io;
use std::process::ExitCode;

use clap::Parser;

use exit::ExitStatus;
use log::{Log, Verbosity};

pub(crate) fn main() -> ExitCode {
    // Process-wide, so set here and not by the library (see its documentation).
    keysentry::source::git::set_libgit2_options();
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitStatus::Clean.into()
                }
                _ => ExitStatus::Error.into(),
            };
        }
    };
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    let log = Log { verbosity };
    let env = env::Env::capture();
    let result = match cli.command {
        args::Command::Scan(a) => cmd::scan::run(a, cli.color, &env, log),
        args::Command::Rules(c) => cmd::rules::run(c, log),
        args::Command::Hook(a) => cmd::hook::run(a, cli.color, &env, log),
        args::Command::Aws(c) => cmd::aws::run(c, &env),
        args::Command::Baseline(c) => cmd::baseline::run(c, cli.color, &env, log),
        args::Command::Ignore(a) => cmd::baseline::ignore(a, log),
        args::Command::Triage(a) => cmd::triage::run(a, &env, log),
        args::Command::Merge(a) => cmd::merge::run(a, log),
        args::Command::Audit(a) => cmd::audit::run(a, &env, log),
    };
    match result {
        Ok(status) => status.into(),
        Err(e) if is_broken_pipe(&e) => ExitStatus::Clean.into(),
        Err(e) => {
            log.error(format!("{e:#}"));
            ExitStatus::Error.into()
        }
    }
}

pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
