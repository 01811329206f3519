//! Reporters: the only code that writes the report (stdout or `--report-path`).

mod human;
mod json;
mod short;

use std::io::{self, Write};

pub use human::Human;
pub use json::{Json, JsonLines, SCHEMA_VERSION};
pub use short::Short;

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
    /// secret occupies in the returned text. When redacting, every other secret that shows in
    /// the line is redacted too.
    pub fn line(self, f: &Finding) -> (String, (usize, usize)) {
        let text = &f.line_text;
        if self == SecretDisplay::Show {
            return (text.clone(), f.line_secret_range);
        }
        // Merge the finding's range with the others into disjoint intervals, left to right.
        let mut ranges = f.line_other_secrets.clone();
        ranges.push(f.line_secret_range);
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s < last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let (own_s, _) = f.line_secret_range;
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut own = (0, 0);
        for (s, e) in merged {
            out.push_str(&text[at..s]);
            let start = out.len();
            out.push_str(&crate::finding::Secret::new(&text[s..e]).redacted());
            if (s..e.max(s + 1)).contains(&own_s) {
                own = (start, out.len());
            }
            at = e;
        }
        out.push_str(&text[at..]);
        (out, own)
    }
}

/// Writes a scan outcome in some format.
pub trait Reporter {
    /// Writes the whole report.
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()>;
}
