//! The HTML report of a datastore: one self-contained page (inline CSS, no script, nothing
//! loaded from anywhere: a Content-Security-Policy of `default-src 'none'` says so to the
//! browser too) with the summary, findings by repository and by rule, AWS findings with their
//! account and online verdict, and triage.
//!
//! Every value is text from the scanned repositories or from people (names, paths, lines,
//! commit summaries and authors, notes) and is escaped: HTML's special characters become
//! entities, and controls and bidirectional overrides are written visibly
//! ([`crate::report::escape`]). Long values are cut.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::report::{DatastoreReport, origin_of};
use super::store::{RepoStatus, StoredFinding, TriageStatus};

/// Characters of one value shown at most (a line of a minified file can be a megabyte).
const MAX_VALUE_CHARS: usize = 400;

/// `s` safe in HTML text and attribute values: controls and bidirectional controls written
/// visibly, `& < > " '` as entities, cut to 400 characters.
pub fn escape_html(s: &str) -> String {
    let visible = crate::report::escape(s);
    let mut out = String::with_capacity(visible.len().min(MAX_VALUE_CHARS * 2) + 8);
    for (i, c) in visible.chars().enumerate() {
        if i == MAX_VALUE_CHARS {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .5em;\
text-align:left;vertical-align:top}th{background:#f4f4f4}code{font-family:monospace;\
word-break:break-all}.open{color:#b00;font-weight:bold}.failed{color:#b00}\
details{margin:.3em 0}summary{cursor:pointer;font-weight:bold}";

/// Writes the HTML page of `report`, with `warnings` (findings that could not be verified,
/// verdicts that could not be read) listed in the summary.
///
/// # Errors
/// When writing to `out` fails.
pub fn render(
    report: &DatastoreReport,
    warnings: &[String],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut h = String::new();
    page(&mut h, report, warnings);
    out.write_all(h.as_bytes())
}

fn page(h: &mut String, r: &DatastoreReport, warnings: &[String]) {
    h.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>keysentry audit report</title><style>",
    );
    h.push_str(STYLE);
    h.push_str("</style></head><body>\n<h1>keysentry audit report</h1>\n");
    filters(h, r);
    summary(h, r, warnings);
    by_repository(h, r);
    by_rule(h, r);
    aws(h, r);
    repositories(h, r);
    h.push_str("</body></html>\n");
}

fn filters(h: &mut String, r: &DatastoreReport) {
    let f = &r.filter;
    let mut parts = Vec::new();
    if let Some(repo) = &f.repo {
        parts.push(format!("repository {}", escape_html(repo)));
    }
    if let Some(rule) = &f.rule {
        parts.push(format!("rule {}", escape_html(rule)));
    }
    if let Some(status) = f.status {
        parts.push(format!("status {status}"));
    }
    if let Some(since) = &f.since {
        parts.push(format!("since {}", escape_html(&format!("{since:?}"))));
    }
    if !parts.is_empty() {
        let _ = writeln!(h, "<p>Filtered: {}.</p>", parts.join(", "));
    }
}

fn summary(h: &mut String, r: &DatastoreReport, warnings: &[String]) {
    h.push_str("<h2 id=\"summary\">Summary</h2>\n<table><tr><th>Repositories</th><td>");
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for repo in &r.repos {
        *by_status.entry(repo.status.name()).or_default() += 1;
    }
    let counts: Vec<String> = ["complete", "incomplete", "failed", "in_progress"]
        .iter()
        .map(|s| format!("{} {}", by_status.get(s).copied().unwrap_or(0), s.replace('_', " ")))
        .collect();
    let _ = write!(h, "{} ({})</td></tr>", r.repos.len(), counts.join(", "));
    let _ = write!(h, "<tr><th>Findings</th><td>{}", r.findings.len());
    let statuses: Vec<String> = TriageStatus::ALL
        .iter()
        .map(|s| {
            let n = r.findings.iter().filter(|f| f.triage.status == *s).count();
            format!("{n} {}", s.name().replace('_', " "))
        })
        .collect();
    let _ = write!(h, " ({})</td></tr>", statuses.join(", "));
    let places: usize =
        r.findings.iter().flat_map(|f| &f.matches).map(|m| m.occurrences.len()).sum();
    let _ = writeln!(h, "<tr><th>Places seen</th><td>{places}</td></tr></table>");
    if !warnings.is_empty() {
        h.push_str("<p>Notes:</p><ul>");
        for w in warnings {
            let _ = write!(h, "<li>{}</li>", escape_html(w));
        }
        h.push_str("</ul>\n");
    }
    h.push_str(
        "<details><summary>Runs</summary><table><tr><th>Run</th><th>Started</th>\
                <th>Finished</th><th>Rules</th><th>Complete</th><th>Incomplete</th>\
                <th>Failed</th><th>Unchanged</th><th>Blobs scanned</th><th>Blobs skipped</th>\
                <th>New findings</th></tr>",
    );
    for run in &r.runs {
        let c = &run.counts;
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            run.id,
            escape_html(&run.started),
            escape_html(run.finished.as_deref().unwrap_or("not finished")),
            escape_html(&run.ruleset),
            c.repos_complete,
            c.repos_incomplete,
            c.repos_failed,
            c.repos_unchanged,
            c.blobs_scanned,
            c.blobs_skipped,
            c.findings_new
        );
    }
    h.push_str("</table></details>\n");
}

fn status_cell(f: &StoredFinding) -> String {
    let class = if f.triage.status == TriageStatus::Open { " class=\"open\"" } else { "" };
    let mut cell = format!("<span{class}>{}</span>", f.triage.status.name().replace('_', " "));
    if let Some(note) = &f.triage.note {
        let _ = write!(cell, "<br>{}", escape_html(note));
    }
    if let Some(by) = &f.triage.by {
        let at = f.triage.at.as_deref().unwrap_or("");
        let _ = write!(cell, "<br><small>by {} {}</small>", escape_html(by), escape_html(at));
    }
    cell
}

const FINDING_HEAD: &str = "<table><tr><th>Id</th><th>Rule</th><th>Severity</th>\
    <th>Secret</th><th>Where</th><th>Line</th><th>Commit</th><th>Status</th></tr>";

/// One row per place of `f` in the repository `repo` (every repository when `None`).
fn finding_rows(h: &mut String, f: &StoredFinding, repo: Option<&str>) {
    for m in &f.matches {
        for o in m.occurrences.iter().filter(|o| repo.is_none_or(|r| r == o.repo_id)) {
            let origin = origin_of(o);
            let commit = match &o.commit {
                Some(c) => format!(
                    "<code>{}</code> {} &lt;{}&gt; {}<br>{}",
                    escape_html(c.short_id()),
                    escape_html(&c.author),
                    escape_html(&c.email),
                    escape_html(&c.date),
                    escape_html(&c.summary)
                ),
                None => String::new(),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td>\
                 <td><code>{}</code>:{}:{}</td><td><code>{}</code></td><td>{commit}</td>\
                 <td>{}</td></tr>",
                f.id,
                escape_html(&f.rule_id),
                f.severity.name(),
                escape_html(&f.secret_preview),
                escape_html(&origin.within_repository().display_name()),
                m.location.line,
                m.location.column,
                escape_html(&m.line_text),
                status_cell(f)
            );
        }
    }
}

fn by_repository(h: &mut String, r: &DatastoreReport) {
    h.push_str("<h2 id=\"by-repository\">Findings by repository</h2>\n");
    // Repositories as the occurrences name them, sorted by name.
    let mut repos: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &r.findings {
        let mut seen: Vec<(&str, &str)> = f
            .matches
            .iter()
            .flat_map(|m| &m.occurrences)
            .map(|o| (o.repo_name.as_str(), o.repo_id.as_str()))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        for k in seen {
            *repos.entry(k).or_default() += 1;
        }
    }
    if repos.is_empty() {
        h.push_str("<p>No findings.</p>\n");
    }
    for ((name, id), n) in repos {
        let _ = write!(
            h,
            "<details open><summary>{} — {n} finding{}</summary><p><small>{}</small></p>{FINDING_HEAD}",
            escape_html(name),
            if n == 1 { "" } else { "s" },
            escape_html(id)
        );
        for f in &r.findings {
            finding_rows(h, f, Some(id));
        }
        h.push_str("</table></details>\n");
    }
}

fn by_rule(h: &mut String, r: &DatastoreReport) {
    h.push_str(
        "<h2 id=\"by-rule\">Findings by rule</h2>\n<table><tr><th>Rule</th>\
                <th>Description</th><th>Findings</th><th>Open</th><th>Ids</th></tr>",
    );
    let mut rules: BTreeMap<&str, Vec<&StoredFinding>> = BTreeMap::new();
    for f in &r.findings {
        rules.entry(f.rule_id.as_str()).or_default().push(f);
    }
    for (rule, fs) in rules {
        let open = fs.iter().filter(|f| f.triage.status == TriageStatus::Open).count();
        let ids: Vec<String> = fs.iter().map(|f| f.id.to_string()).collect();
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{open}</td><td>{}</td></tr>",
            escape_html(rule),
            escape_html(&fs[0].description),
            fs.len(),
            ids.join(", ")
        );
    }
    h.push_str("</table>\n");
}

fn verdict_text(json: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return "(unreadable)".to_owned();
    };
    let field = |k: &str| v.get(k).and_then(serde_json::Value::as_str).map(str::to_owned);
    let mut parts = vec![field("verdict").unwrap_or_else(|| "?".to_owned()).replace('_', " ")];
    if let Some(reason) = field("reason") {
        parts.push(format!("({reason})"));
    }
    if let Some(user) = field("user") {
        parts.push(format!("user {user}"));
    }
    if let Some(account) = field("account") {
        parts.push(format!("account {account}"));
    }
    for k in ["leaked", "action", "quarantine"] {
        if let Some(o) = v.get(k).filter(|o| o.is_object()) {
            let result = o.get("result").and_then(serde_json::Value::as_str).unwrap_or("?");
            let detail = o.get("detail").and_then(serde_json::Value::as_str).unwrap_or("");
            parts.push(format!("{k}: {result} {detail}"));
        }
    }
    escape_html(&parts.join(" "))
}

fn aws(h: &mut String, r: &DatastoreReport) {
    h.push_str("<h2 id=\"aws\">AWS findings</h2>\n");
    let aws: Vec<&StoredFinding> = r.findings.iter().filter(|f| f.aws.is_some()).collect();
    if aws.is_empty() {
        h.push_str("<p>No AWS findings.</p>\n");
        return;
    }
    h.push_str(
        "<table><tr><th>Id</th><th>Key id</th><th>Class</th><th>Account</th>\
                <th>Tags</th><th>Paired</th><th>Online verdict</th><th>Status</th></tr>",
    );
    for f in aws {
        let Some(a) = &f.aws else { continue };
        let account = match (&a.account, &a.account_note) {
            (Some(acct), _) => escape_html(acct),
            (None, Some(note)) => escape_html(note),
            (None, None) => String::new(),
        };
        let mut paired: Vec<String> = Vec::new();
        for m in &f.matches {
            if let Some(p) = &m.aws_paired {
                paired.push(format!("secret by {}", p.replace('_', " ")));
            }
            if let Some(p) = &m.aws_session_token {
                paired.push(format!("token by {}", p.replace('_', " ")));
            }
        }
        paired.sort();
        paired.dedup();
        let verdict = match (&f.verdict, &f.verdict_at) {
            (Some(v), at) => {
                format!(
                    "{}<br><small>{}</small>",
                    verdict_text(v),
                    escape_html(at.as_deref().unwrap_or(""))
                )
            }
            (None, _) => "not verified".to_owned(),
        };
        let mut tags = a.tags.clone();
        if let Some(owner) = &a.canary_owner {
            tags.push(format!("canary of {owner}"));
        }
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{account}</td><td>{}</td>\
             <td>{}</td><td>{verdict}</td><td>{}</td></tr>",
            f.id,
            escape_html(a.key_id_redacted.as_deref().unwrap_or(&f.secret_preview)),
            escape_html(a.prefix_class.as_deref().unwrap_or("")),
            escape_html(&tags.join(", ")),
            escape_html(&paired.join(", ")),
            status_cell(f)
        );
    }
    h.push_str("</table>\n");
}

fn repositories(h: &mut String, r: &DatastoreReport) {
    h.push_str(
        "<h2 id=\"repositories\">Repositories</h2>\n<table><tr><th>Repository</th>\
                <th>Location</th><th>Status</th><th>Scanned</th><th>Findings</th>\
                <th>Gaps</th></tr>",
    );
    for repo in &r.repos {
        let status = match &repo.status {
            RepoStatus::Failed(why) => {
                format!("<span class=\"failed\">failed</span>: {}", escape_html(why))
            }
            other => other.name().replace('_', " "),
        };
        let mut flags = String::new();
        if repo.fork {
            flags.push_str(" (fork)");
        }
        if repo.archived {
            flags.push_str(" (archived)");
        }
        let gaps: Vec<String> = repo
            .gaps
            .iter()
            .map(|g| format!("{}: {}", escape_html(&g.what), escape_html(&g.reason)))
            .collect();
        let _ = write!(
            h,
            "<tr><td>{}{flags}</td><td><code>{}</code></td><td>{status}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            escape_html(&repo.name),
            escape_html(&repo.location),
            escape_html(repo.scanned_at.as_deref().unwrap_or("")),
            repo.findings,
            gaps.join("<br>")
        );
    }
    h.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_15_html_escape_covers_markup_controls_and_length() {
        let hostile = "<script>alert(1)</script>\"onload=x '</style>\u{1b}[31m\u{202e}";
        let e = escape_html(hostile);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''));
        assert!(!e.contains('\u{1b}') && !e.contains('\u{202e}'), "{e}");
        assert!(e.contains("&lt;script&gt;") && e.contains("\\u{202e}"), "{e}");
        let long = escape_html(&"a".repeat(1 << 20));
        assert!(long.chars().count() <= MAX_VALUE_CHARS + 1);
    }
}
