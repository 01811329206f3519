//! JUnit XML for test dashboards: one test suite, one failing test case per finding.

use std::io::{self, Write};

use super::{Redactor, Reporter, SecretDisplay, gaps, is_unsafe_char, origin_file_name};
use crate::sink::ScanOutcome;

/// JUnit XML (`--format junit`).
#[derive(Debug)]
pub struct Junit {
    /// Secret display policy.
    pub secrets: SecretDisplay,
}

impl Reporter for Junit {
    fn report(&self, outcome: &ScanOutcome, out: &mut dyn Write) -> io::Result<()> {
        let r = Redactor::new(outcome, self.secrets);
        let gaps = gaps(outcome);
        // One failing case per finding and per item not scanned in full.
        let n = outcome.findings.len() + gaps.len();
        // With nothing found, one passing case, so that dashboards show the check ran.
        let tests = n.max(1);
        let errors = 0;
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
            let origin = r.origin(&f.origin);
            let file = origin_file_name(&origin);
            let loc = &f.location;
            let place = match origin.repository() {
                Some(repo) => format!("{repo}: {file}"),
                None => file.clone(),
            };
            let name = format!("{} at {place}:{}:{}", f.rule_id, loc.line, loc.column);
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
                super::escape(&r.string(&self.secrets.line(f).0)),
                f.fingerprint
            );
            if let Some(repo) = origin.repository() {
                body.push_str(&format!("\nrepository: {repo}"));
            }
            if let Some(c) = origin.commit() {
                body.push_str(&format!(
                    "\ncommit: {} by {} <{}> on {}: {}",
                    c.id, c.author, c.email, c.date, c.summary
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
        for g in &gaps {
            let file = g.origin.map(|o| origin_file_name(&r.origin(o)));
            let name = format!("not scanned: {}", file.as_deref().unwrap_or("(source)"));
            match &file {
                Some(file) => writeln!(
                    out,
                    r#"    <testcase name="{}" classname="{}" file="{}">"#,
                    xml(&name),
                    xml(file),
                    xml(file)
                )?,
                None => {
                    writeln!(out, r#"    <testcase name="{}" classname="keysentry">"#, xml(&name))?
                }
            }
            writeln!(
                out,
                r#"      <failure message="{}" type="keysentry.incomplete">{}</failure>"#,
                xml(&g.text(&r)),
                xml(&g.text(&r))
            )?;
            writeln!(out, "    </testcase>")?;
        }
        if !outcome.warnings.is_empty() {
            let text: Vec<String> = outcome.warnings.iter().map(|w| r.string(w)).collect();
            writeln!(out, "    <system-out>{}</system-out>", xml(&text.join("\n")))?;
        }
        writeln!(out, "  </testsuite>")?;
        writeln!(out, "</testsuites>")
    }
}

/// Escapes text for XML attributes and content. Characters XML 1.0 forbids (most control
/// characters) have no XML escape at all, and C1 controls and bidi overrides are unsafe on a
/// terminal that shows the file: all of them are written visibly, as `\x1b` or `\u{202e}`.
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
            c if is_unsafe_char(c) => out.push_str(&super::escape(c.encode_utf8(&mut [0; 4]))),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
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
        assert_eq!(xml("x\u{1}y\nz\u{1b}]52;c;e\u{7}"), "x\\x01y&#10;z\\x1b]52;c;e\\x07");
        assert_eq!(xml("\u{FFFF}\u{202e}"), "\u{FFFD}\\u{202e}");
    }
}
