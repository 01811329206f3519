//! Human-readable output: findings grouped by file, each with its line and the secret marked.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Redactor, Reporter, SecretDisplay, escape};
use crate::aws::{AccountDecode, AwsInfo, PairedBy};
use crate::finding::Secret;
use crate::sink::ScanOutcome;

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
        let redactor = Redactor::new(outcome, self.secrets);
        // Findings are sorted by origin: each run of one origin is one group.
        for group in outcome.findings.chunk_by(|a, b| a.origin == b.origin) {
            let origin = redactor.origin(&group[0].origin);
            writeln!(out, "{path}{}{path:#}", escape(&origin.display_name()))?;
            if let Some(c) = origin.commit()
                && !c.author.is_empty()
            {
                writeln!(
                    out,
                    "  {dim}commit {} by {} <{}> on {}: {}{dim:#}",
                    escape(c.short_id()),
                    escape(&c.author),
                    escape(&c.email),
                    escape(&c.date),
                    escape(&c.summary)
                )?;
            }
            for f in group {
                let loc = &f.location;
                let at = format!("{}:{}", loc.line, loc.column);
                // At least one space between a wide position and the rule id.
                let width = 8.max(at.len() + 1);
                writeln!(
                    out,
                    "  {at:<width$}{rule}{}{rule:#}  {}",
                    escape(&f.rule_id),
                    escape(&f.description)
                )?;
                let (line, (s, e)) = self.secrets.line(f);
                // Other known secrets (from elsewhere in the scan) are redacted on either side.
                let before = redactor.string(&line[..s].trim_start().replace('\t', " "));
                let before = escape(&before).into_owned();
                let found = escape(&line[s..e]).into_owned();
                writeln!(
                    out,
                    "          {dim}|{dim:#} {before}{secret}{found}{secret:#}{}",
                    escape(&redactor.string(&line[e..].replace('\t', " ")))
                )?;
                if !self.color {
                    // Without colour, carets mark the secret.
                    let width = found.chars().count().max(1);
                    writeln!(
                        out,
                        "          | {}{}",
                        " ".repeat(before.chars().count()),
                        "^".repeat(width)
                    )?;
                }
                if let Some(aws) = &f.aws {
                    writeln!(out, "          {}", escape(&aws_line(aws, self.secrets)))?;
                }
                let decoded = match &f.encoding {
                    Some(e) => format!(" (decoded: {})", escape(e)),
                    None => String::new(),
                };
                writeln!(
                    out,
                    "          {dim}secret {}{decoded}  fingerprint {}{dim:#}",
                    escape(&self.secrets.secret(f)),
                    f.fingerprint
                )?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}

/// One line about an AWS finding: class, account, paired parts, tags.
fn aws_line(aws: &AwsInfo, secrets: SecretDisplay) -> String {
    let show = |s: &Secret| secrets.show(s);
    let mut parts = Vec::new();
    match aws.prefix_class {
        Some(class) => parts.push(format!("{class} {}", class.describe())),
        None => parts.push("no key id paired".to_owned()),
    }
    match aws.account {
        Some(AccountDecode::Decoded(a)) => parts.push(format!("account {a}")),
        Some(other) => parts.push(format!("account {}", other.reason().unwrap_or("unknown"))),
        None => {}
    }
    if let Some(p) = &aws.paired_secret {
        parts.push(format!("secret {} (line {}, by {})", show(&p.value), p.line, by_name(p.by)));
    }
    if let Some(p) = &aws.session_token {
        parts.push(format!("session token (line {}, by {})", p.line, by_name(p.by)));
    }
    if !aws.tags.is_empty() {
        let tags: Vec<&str> = aws.tags.iter().map(|t| t.name()).collect();
        parts.push(format!("tags: {}", tags.join(", ")));
    }
    if let Some(owner) = &aws.canary_owner {
        parts.push(format!("canary of {owner}: never use this key"));
    }
    format!("aws: {}", parts.join(" · "))
}

fn by_name(by: PairedBy) -> &'static str {
    match by {
        PairedBy::Object => "object",
        PairedBy::Section => "profile section",
        PairedBy::Block => "block",
        PairedBy::SameLine => "same line",
        PairedBy::Name => "name",
        PairedBy::Proximity => "proximity",
    }
}
