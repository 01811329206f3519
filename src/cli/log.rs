//! The one place that writes diagnostics to stderr.
#![allow(clippy::print_stderr)]

/// How much goes to stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// Findings only (`--quiet`): errors still go to stderr.
    Quiet,
    /// Summary and warnings.
    Normal,
    /// Also per-item diagnostics (`-v`).
    Verbose,
}

/// Diagnostics writer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Log {
    pub(crate) verbosity: Verbosity,
}

impl Log {
    pub(crate) fn error(&self, msg: impl std::fmt::Display) {
        eprintln!("keysentry: error: {msg}");
    }

    pub(crate) fn warn(&self, msg: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!("keysentry: warning: {msg}");
        }
    }

    /// A warning about the scan itself, which belongs with the report: shown even with
    /// `--quiet`.
    pub(crate) fn report_warning(&self, msg: impl std::fmt::Display) {
        eprintln!("keysentry: warning: {msg}");
    }

    pub(crate) fn info(&self, msg: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Normal {
            eprintln!("{msg}");
        }
    }

    pub(crate) fn debug(&self, msg: impl std::fmt::Display) {
        if self.verbosity >= Verbosity::Verbose {
            eprintln!("keysentry: {msg}");
        }
    }
}
