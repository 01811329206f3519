//! The verifier seam: an optional step that checks findings with someone's credentials (the
//! AWS online code behind the `aws` feature implements it) before they reach the sink.
//!
//! The pipeline holds back the findings a verifier [wants](Verifier::wants) until the source is
//! done, hands them over in one call (a verifier batches and de-duplicates its calls: one key
//! found in forty files is checked once), then passes them on, verdicts attached, to the sink.
//! Every other finding streams to the sink as it is found.

use std::fmt;

use crate::finding::Finding;

/// Checks findings online. Synchronous from the pipeline's side: an implementation that needs
/// an async runtime owns it.
pub trait Verifier: Send + Sync {
    /// Whether `finding` is one this verifier checks.
    fn wants(&self, finding: &Finding) -> bool;

    /// Checks `findings` (every finding of the scan that it wanted) and records the verdicts in
    /// them. A check that fails for one key is recorded in that key's findings and counted in
    /// [`Verification::failed`]; an error is returned only when nothing could be checked (no
    /// credentials, an unusable audit log). The findings reach the sink either way.
    fn verify(&self, findings: &mut [Finding]) -> Result<Verification, VerifyError>;
}

/// What a verifier did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// Items checked (keys, not findings).
    pub checked: usize,
    /// Items whose check or action failed.
    pub failed: usize,
}

/// A verifier that could not run at all.
#[derive(Debug)]
pub struct VerifyError(Box<dyn std::error::Error + Send + Sync>);

impl VerifyError {
    /// Wraps the error that stopped the verifier.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> VerifyError {
        VerifyError(error.into())
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
