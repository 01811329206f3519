//! GitHub Actions workflow commands: one `::error` (or `::warning`, `::notice`) annotation per
//! finding, which GitHub shows inline on the pull request's changed files.

use std::io::{self, Write};

use super::{Redactor, Reporter, SecretDisplay, Severity, escape, gaps, origin_path};
use crate::sink::ScanOutcome;

/// Workflow commands for GitHub Actions (`--format github`).
#[derive(Debug)]
pub struct GithubActions {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

impl Reporter for GithubActions {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let r = Redactor::new(outcome, self.secrets);
        for f in &outcome.findings {
            let origin = r.origin(&f.origin);
            let command = match Severity::of(f) {
                Severity::Info => "notice",
                Severity::Low => "warning",
                _ => "error",
            };
            let loc = &f.location;
            let mut props = Vec::new();
            if let Some(path) = origin_path(&origin) {
                props.push(("file", escape(&path).into_owned()));
                props.push(("line", loc.line.to_string()));
                props.push(("col", loc.column.to_string()));
                props.push(("endLine", loc.end_line.to_string()));
                if loc.end_line == loc.line {
                    props.push(("endColumn", loc.end_column.to_string()));
                }
            }
            props.push(("title", format!("keysentry: {}", f.rule_id)));
            let props: Vec<String> =
                props.iter().map(|(k, v)| format!("{k}={}", escape_property(v))).collect();
            let mut message = format!(
                "{} ({}): {}",
                escape(&f.description),
                escape(&f.rule_id),
                escape(&self.secrets.secret(f))
            );
            if origin_path(&origin).is_none() {
                message = format!("{}: {message}", escape(&origin.display_name()));
            } else if let Some(repo) = origin.repository() {
                message = format!("{}: {message}", escape(repo));
            }
            if let Some(c) = origin.commit() {
                message.push_str(&format!(
                    "\nintroduced in commit {} by {}",
                    escape(c.short_id()),
                    escape(&c.author)
                ));
            }
            message.push_str(&format!("\nfingerprint {}", f.fingerprint));
            writeln!(out, "::{command} {}::{}", props.join(","), escape_data(&message))?;
        }
        // An item not scanned in full is an `::error` annotation (on its file when it has
        // one); a warning about the scan is a `::warning`.
        for g in gaps(outcome) {
            let mut props = Vec::new();
            if let Some(path) = g.origin.map(|o| r.origin(o)).and_then(|o| origin_path(&o)) {
                props.push(format!("file={}", escape_property(&escape(&path))));
            }
            props.push(format!("title={}", escape_property("keysentry: not scanned")));
            let message = escape(&g.text(&r)).into_owned();
            writeln!(out, "::error {}::{}", props.join(","), escape_data(&message))?;
        }
        for w in &outcome.warnings {
            let message = escape(&r.string(w)).into_owned();
            writeln!(out, "::warning title=keysentry::{}", escape_data(&message))?;
        }
        Ok(())
    }
}

/// Escapes a command's message as the runner expects: `%`, CR and LF.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property value: the message's escapes plus `:` and `,`, which end a value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
