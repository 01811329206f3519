//! Human-readable output: one block per finding.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Reporter, SecretDisplay};
use crate::pipeline::ScanOutcome;

/// The default, human-readable report.
#[derive(Debug)]
pub struct Human {
    /// Secret display policy.
    pub secrets: SecretDisplay,
    /// Whether to use ANSI colours.
    pub color: bool,
}

impl Human {
    fn style(&self, s: Style) -> Style {
        if self.color { s } else { Style::new() }
    }
}

impl Reporter for Human {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let path = self.style(AnsiColor::Magenta.on_default().bold());
        let rule = self.style(AnsiColor::Cyan.on_default());
        let secret = self.style(AnsiColor::Red.on_default().bold());
        let dim = self.style(Style::new().dimmed());
        for f in &outcome.findings {
            let loc = &f.location;
            writeln!(
                out,
                "{path}{}{path:#}:{}:{}  {rule}{}{rule:#}",
                f.origin.display_name(),
                loc.line,
                loc.column,
                f.rule_id
            )?;
            writeln!(out, "    {}", f.description)?;
            if let Some(c) = f.origin.commit()
                && !c.author.is_empty()
            {
                writeln!(
                    out,
                    "    {dim}commit {} by {} <{}> on {}: {}{dim:#}",
                    c.short_id(),
                    c.author,
                    c.email,
                    c.date,
                    c.summary
                )?;
            }
            let (line, (s, e)) = self.secrets.line(f);
            writeln!(
                out,
                "    {dim}|{dim:#} {}{secret}{}{secret:#}{}",
                line[..s].trim_start(),
                &line[s..e],
                &line[e..]
            )?;
            writeln!(
                out,
                "    {dim}secret {}  fingerprint {}{dim:#}",
                self.secrets.secret(f),
                f.fingerprint
            )?;
            writeln!(out)?;
        }
        Ok(())
    }
}
