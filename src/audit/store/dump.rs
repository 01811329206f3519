//! The canonical text dump of a datastore's logical content ([`Store::dump_logical`]).
//!
//! One line per row, keyed by natural keys (repository identity, fingerprint, blob id,
//! commit id), every text value quoted, sorted. Row ids, run ids, timestamps and the runs
//! themselves are left out: they say when, not what.
//!
//! [`Store::dump_logical`]: super::Store::dump_logical

use rusqlite::Connection;
use rusqlite::types::ValueRef;

/// Each query yields the columns of one kind of line; the first column is the line's tag.
const QUERIES: &[&str] = &[
    "SELECT 'repo', ident, name, location_kind, location, fork, archived, status,
            status_reason, ruleset FROM repos",
    "SELECT 'ref', r.ident, x.name, x.target FROM refs x JOIN repos r ON r.id = x.repo",
    "SELECT 'gap', r.ident, g.what, g.reason FROM gaps g JOIN repos r ON r.id = g.repo",
    "SELECT 'blob', b.blob, s.version FROM blobs b JOIN rulesets s ON s.id = b.ruleset",
    "SELECT 'commit', id, author, email, date, summary FROM commits",
    "SELECT 'finding', fingerprint, rule_id, description, severity, secret_preview, secret_len,
            printf('%.6f', entropy), aws_key_id, aws_prefix, aws_account, aws_account_note,
            aws_tags, aws_canary_owner, verdict, triage_status, triage_note, triage_by
     FROM findings",
    "SELECT 'match', f.fingerprint, m.blob, m.byte_start, m.byte_end, m.line, m.col,
            m.end_line, m.end_col, m.line_text, m.line_secret_start, m.line_secret_end,
            m.aws_paired, m.aws_session_token
     FROM matches m JOIN findings f ON f.id = m.finding",
    "SELECT 'occurrence', o.blob, r.ident, o.kind, o.commit_id, o.path, o.ref_name, o.tag_id
     FROM occurrences o JOIN repos r ON r.id = o.repo",
];

pub(crate) fn dump(conn: &Connection) -> rusqlite::Result<String> {
    let mut lines = Vec::new();
    for sql in QUERIES {
        let mut st = conn.prepare(sql)?;
        let n = st.column_count();
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let mut line = String::new();
            for i in 0..n {
                if i > 0 {
                    line.push(' ');
                }
                match row.get_ref(i)? {
                    ValueRef::Null => line.push('-'),
                    ValueRef::Integer(v) => line.push_str(&v.to_string()),
                    ValueRef::Real(v) => line.push_str(&format!("{v:.6}")),
                    ValueRef::Text(t) if i == 0 => line.push_str(&String::from_utf8_lossy(t)),
                    ValueRef::Text(t) => {
                        line.push_str(&format!("{:?}", String::from_utf8_lossy(t)));
                    }
                    ValueRef::Blob(b) => line.push_str(&crate::finding::hex(b)),
                }
            }
            lines.push(line);
        }
    }
    lines.sort();
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}
