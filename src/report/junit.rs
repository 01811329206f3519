//! JUnit XML for test dashboards: one test suite, one failing test case per finding.

use std::io::{self, Write};

use super::{Reporter, SecretDisplay, origin_file_name};
use crate::pipeline::ScanOutcome;

/// JUnit XML (`--format junit`).
#[derive(Debug)]
pub struct Junit {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

impl Reporter for Junit {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let n = outcome.findings.len();
        // With nothing found, one passing case, so that dashboards show the check ran.
        let tests = n.max(1);
        let errors = outcome.errors.len();
        let time = format!("{:.3}", outcome.elapsed.as_secs_f64());
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="keysentry" tests="{tests}" failures="{n}" errors="{errors}" time="{time}">"#
        )?;
        writeln!(
            out,
            r#"  <testsuite name="keysentry scan" tests="{tests}" failures="{n}" errors="{errors}" skipped="0" time="{time}">"#
        )?;
        if n == 0 {
            writeln!(out, r#"    <testcase name="no secrets found" classname="keysentry"/>"#)?;
        }
        for f in &outcome.findings {
            let file = origin_file_name(&f.origin);
            let loc = &f.location;
            let name = format!("{} at {file}:{}:{}", f.rule_id, loc.line, loc.column);
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}">"#,
                xml(&name),
                xml(&file),
                xml(&file),
                loc.line
            )?;
            let message = format!("{}: {}", f.description, self.secrets.secret(f));
            let mut body = format!(
                "rule: {}\nlocation: {file}:{}:{}\nsecret: {}\nline: {}\nfingerprint: {}",
                f.rule_id,
                loc.line,
                loc.column,
                self.secrets.secret(f),
                self.secrets.line(f).0,
                f.fingerprint
            );
            if let Some(c) = f.origin.commit() {
                body.push_str(&format!(
                    "\ncommit: {} by {} <{}> on {}",
                    c.id, c.author, c.email, c.date
                ));
            }
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                xml(&message),
                xml(&f.rule_id),
                xml(&body)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        if errors > 0 {
            let text: Vec<String> = outcome.errors.iter().map(ToString::to_string).collect();
            writeln!(out, "    <system-err>{}</system-err>", xml(&text.join("\n")))?;
        }
        writeln!(out, "  </testsuite>")?;
        writeln!(out, "</testsuites>")
    }
}

/// Escapes text for XML attributes and content. Characters XML 1.0 forbids (most control
/// characters) cannot be escaped at all: they become U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(xml(r#"a<b>&"c"'d'"#), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
        assert_eq!(xml("x\u{1}y\nz"), "x\u{FFFD}y&#10;z");
    }
}
