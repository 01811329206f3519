//! Short output for hooks: one line per finding.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Reporter, SecretDisplay};
use crate::pipeline::ScanOutcome;

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
        for f in &outcome.findings {
            let name = match &f.origin {
                crate::finding::Origin::Staged { path } => path.clone(),
                o => o.display_name(),
            };
            writeln!(
                out,
                "{path}{name}{path:#}:{}:{}  {rule}{}{rule:#}  {}",
                f.location.line,
                f.location.column,
                f.rule_id,
                self.secrets.secret(f)
            )?;
        }
        Ok(())
    }
}
