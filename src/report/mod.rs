//! Reporters: the only code that writes the report (stdout or `--report-path`).

mod human;
mod json;

use std::io::{self, Write};

pub use human::Human;
pub use json::{Json, JsonLines, SCHEMA_VERSION};

use crate::finding::Finding;
use crate::pipeline::ScanOutcome;

/// Whether secrets are shown in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretDisplay {
    /// Show a redacted prefix (the default).
    Redact,
    /// Show secrets in full (`--show-secrets`).
    Show,
}

impl SecretDisplay {
    /// The secret of `f` as this display policy allows.
    pub fn secret(self, f: &Finding) -> String {
        match self {
            SecretDisplay::Redact => f.secret.redacted(),
            SecretDisplay::Show => f.secret.expose().to_owned(),
        }
    }

    /// The finding's line with its secret shown as this policy allows, and the range the
    /// secret occupies in the returned text.
    pub fn line(self, f: &Finding) -> (String, (usize, usize)) {
        let (s, e) = f.line_secret_range;
        let shown = match self {
            SecretDisplay::Show => f.line_text[s..e].to_owned(),
            SecretDisplay::Redact => f.secret.redacted(),
        };
        let text = format!("{}{}{}", &f.line_text[..s], shown, &f.line_text[e..]);
        (text, (s, s + shown.len()))
    }
}

/// Writes a scan outcome in some format.
pub trait Reporter {
    /// Writes the whole report.
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()>;
}
