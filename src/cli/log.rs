//! The one place that writes diagnostics to stderr.
//!
//! Every line is written with control characters escaped visibly (`\x1b`; line feeds kept), so
//! that a path or scanned text inside a message cannot drive the terminal. A stderr that cannot
//! be written (closed, `2>/dev/full`) loses the diagnostics and nothing else: write errors are
//! ignored here, never turned into a panic; the exit status still says what happened.

use std::fmt::Display;
use std::io::Write as _;

use keysentry::report::escape_keep_lines;

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

/// Writes one diagnostic line, escaped; a failing stderr is ignored.
fn line(prefix: &str, msg: impl Display) {
    let text = msg.to_string();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{prefix}{}", escape_keep_lines(&text));
}

impl Log {
    pub(crate) fn error(&self, msg: impl Display) {
        line("keysentry: error: ", msg);
    }

    pub(crate) fn warn(&self, msg: impl Display) {
        if self.verbosity >= Verbosity::Normal {
            line("keysentry: warning: ", msg);
        }
    }

    /// A warning that `--quiet` does not hide: the scan is incomplete, or the report carries
    /// a warning about the scan itself.
    pub(crate) fn alert(&self, msg: impl Display) {
        line("keysentry: warning: ", msg);
    }

    pub(crate) fn info(&self, msg: impl Display) {
        if self.verbosity >= Verbosity::Normal {
            line("", msg);
        }
    }

    pub(crate) fn debug(&self, msg: impl Display) {
        if self.verbosity >= Verbosity::Verbose {
            line("keysentry: ", msg);
        }
    }
}
