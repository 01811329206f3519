//! Human-readable output: one block per finding.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{Reporter, SecretDisplay};
use crate::aws::{AccountDecode, AwsInfo, AwsTag, PairedBy};
use crate::finding::Secret;
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
            if let Some(aws) = &f.aws {
                writeln!(out, "    {}", aws_line(aws, self.secrets))?;
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

/// One line about an AWS finding: class, account, paired parts, tags.
fn aws_line(aws: &AwsInfo, secrets: SecretDisplay) -> String {
    let show = |s: &Secret| match secrets {
        SecretDisplay::Redact => s.redacted(),
        SecretDisplay::Show => s.expose().to_owned(),
    };
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
        let tags: Vec<&str> = aws.tags.iter().map(|t| tag_name(*t)).collect();
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

fn tag_name(tag: AwsTag) -> &'static str {
    match tag {
        AwsTag::Example => "example",
        AwsTag::Canary => "canary",
        AwsTag::Ours => "ours",
        AwsTag::Foreign => "foreign",
        AwsTag::Identifier => "identifier",
    }
}
