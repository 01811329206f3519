//! Short output for hooks: one line per finding.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Redactor, Reporter, SecretDisplay, escape};
use crate::sink::ScanOutcome;

/// One line per finding: where, which rule, the (redacted) secret.
#[derive(Debug)]
pub struct Short {
    /// Secret display policy.
    pub secrets: SecretDisplay,
    /// Whether to use ANSI colours.
    pub color: bool,
}

impl Reporter for Short {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let on = |s: Style| if self.color { s } else { Style::new() };
        let path = on(AnsiColor::Magenta.on_default().bold());
        let rule = on(AnsiColor::Cyan.on_default());
        let redactor = Redactor::new(outcome, self.secrets);
        for f in &outcome.findings {
            let name = match &*redactor.origin(&f.origin) {
                crate::finding::Origin::Staged { path } => path.clone(),
                o => o.display_name(),
            };
            writeln!(
                out,
                "{path}{}{path:#}:{}:{}  {rule}{}{rule:#}  {}",
                escape(&name),
                f.location.line,
                f.location.column,
                escape(&f.rule_id),
                escape(&self.secrets.secret(f))
            )?;
        }
        Ok(())
    }
}
