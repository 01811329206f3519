//! Exit status as a type.

use std::process::ExitCode;

/// How a run ended. Documented in `--help` and README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ExitStatus {
    /// Everything was scanned and nothing was found.
    Clean = 0,
    /// At least one finding (even if some items failed).
    Findings = 1,
    /// No finding, but something could not be scanned, or bad usage or configuration.
    Error = 2,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(s as u8)
    }
}

/// The text shown in `--help` and README.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit status:
  0  scanned everything, found nothing
  1  found secrets (even if some items could not be read)
  2  error: bad arguments or configuration, an unreadable root, or items that could not
     be scanned and no finding";
