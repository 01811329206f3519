//! Scanned text on its way into a report: terminal escapes made visible, and every secret the
//! scan found redacted wherever the scanned content is echoed (commit messages, authors, paths,
//! tag names, diagnostics). Every reporter goes through these two helpers.

use std::borrow::Cow;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::SecretDisplay;
use crate::finding::{CommitInfo, Origin, Secret};
use crate::sink::ScanOutcome;

/// Whether `c` must not reach a terminal as it is: C0 controls (TAB and LF included), DEL, C1
/// controls, and the Unicode bidirectional controls that reorder what is shown (U+202A-U+202E,
/// U+2066-U+2069, U+200E, U+200F, U+061C).
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// `s` with every character of [`is_unsafe_char`] written visibly: `\x1b` for C0, DEL and C1
/// controls, `\u{202e}` for the others. A terminal shows the result as it is: no colour, no
/// cursor move, no clipboard write (OSC 52), no concealed text, no overwritten line.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Like [`escape`], but keeps line feeds: for multi-line diagnostics whose lines are ours.
pub fn escape_keep_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c == '\n' { out.push(c) } else { push_escaped(&mut out, c) }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    if !is_unsafe_char(c) {
        out.push(c);
    } else if (c as u32) < 0x100 {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    }
}

/// Redacts every secret a scan found, in any text taken from the scanned content: a commit
/// message that repeats the key committed with it, an author name, a file named after a token.
/// With [`SecretDisplay::Show`] it changes nothing.
#[derive(Clone)]
pub struct Redactor {
    // `None` when showing secrets or when there is nothing to redact.
    matcher: Option<(AhoCorasick, Vec<String>)>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The patterns are the secrets: never show them.
        let n = self.matcher.as_ref().map_or(0, |(_, r)| r.len());
        write!(f, "Redactor({n} secrets)")
    }
}

/// Secrets shorter than this are not searched for in other text: they would match ordinary
/// words. Every rule's secrets are longer.
const MIN_REDACTED_LEN: usize = 4;

impl Redactor {
    /// A redactor for every secret of `outcome`: each finding's secret, and the AWS key ids,
    /// paired secrets and session tokens found with them.
    pub fn new(outcome: &ScanOutcome, display: SecretDisplay) -> Redactor {
        if display == SecretDisplay::Show {
            return Redactor { matcher: None };
        }
        let mut secrets: Vec<&Secret> = Vec::new();
        for f in &outcome.findings {
            secrets.push(&f.secret);
            if let Some(aws) = &f.aws {
                secrets.extend(aws.key_id.iter());
                secrets.extend(aws.paired_secret.iter().map(|p| &p.value));
                secrets.extend(aws.session_token.iter().map(|p| &p.value));
            }
        }
        Redactor::of_secrets(secrets)
    }

    /// A redactor for the given secrets.
    pub fn of_secrets<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut values: Vec<&str> = secrets
            .into_iter()
            // A preview is no secret: redacting its copies would only shorten them.
            .filter(|s| !s.is_preview())
            .map(Secret::expose)
            .filter(|s| s.len() >= MIN_REDACTED_LEN)
            .collect();
        values.sort_unstable();
        values.dedup();
        if values.is_empty() {
            return Redactor { matcher: None };
        }
        let replacements = values.iter().map(|v| Secret::new(*v).redacted()).collect();
        // A contiguous NFA: a DFA over every secret of a scan with many findings costs more
        // to build (milliseconds per report) than the few texts it redacts ever save.
        let matcher = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(&values)
            .ok()
            .map(|ac| (ac, replacements));
        Redactor { matcher }
    }

    /// `text` with every known secret redacted.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.matcher {
            Some((ac, replacements)) if ac.is_match(text) => {
                Cow::Owned(ac.replace_all(text, replacements))
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// `text` redacted, owned.
    pub fn string(&self, text: &str) -> String {
        self.text(text).into_owned()
    }

    /// A copy of `origin` whose scanned text (path, commit author, email and message, tag
    /// name) has every known secret redacted. Borrowed when nothing changes.
    pub fn origin<'a>(&self, origin: &'a Origin) -> Cow<'a, Origin> {
        if self.matcher.is_none() {
            return Cow::Borrowed(origin);
        }
        let changed = |s: &str| matches!(self.text(s), Cow::Owned(_));
        let commit_changed = |c: &CommitInfo| {
            changed(&c.author) || changed(&c.email) || changed(&c.summary) || changed(&c.id)
        };
        let commit = |c: &Arc<CommitInfo>| {
            Arc::new(CommitInfo {
                id: c.id.clone(),
                author: self.string(&c.author),
                email: self.string(&c.email),
                date: c.date.clone(),
                summary: self.string(&c.summary),
            })
        };
        match origin {
            Origin::File { path } if changed(&path.to_string_lossy()) => {
                Cow::Owned(Origin::File { path: self.string(&path.to_string_lossy()).into() })
            }
            Origin::Commit { path, commit: c } if changed(path) || commit_changed(c) => {
                Cow::Owned(Origin::Commit { path: self.string(path), commit: commit(c) })
            }
            Origin::CommitMessage { commit: c } if commit_changed(c) => {
                Cow::Owned(Origin::CommitMessage { commit: commit(c) })
            }
            Origin::TagMessage { tag, id } if changed(tag) => {
                Cow::Owned(Origin::TagMessage { tag: self.string(tag), id: id.clone() })
            }
            Origin::Staged { path } if changed(path) => {
                Cow::Owned(Origin::Staged { path: self.string(path) })
            }
            Origin::InRepository { repo_id, repo, inner } => {
                let within = self.origin(inner);
                if !changed(repo) && !changed(repo_id) && matches!(within, Cow::Borrowed(_)) {
                    return Cow::Borrowed(origin);
                }
                Cow::Owned(Origin::InRepository {
                    repo_id: self.string(repo_id),
                    repo: self.string(repo),
                    inner: Box::new(within.into_owned()),
                })
            }
            _ => Cow::Borrowed(origin),
        }
    }
}

/// What a scan did not read in full, and what it wants the reader to know, in one list that
/// every format reports: each item's origin (when it has one), and why.
#[derive(Debug)]
pub struct Gap<'a> {
    /// The item, when the gap is about one (a skipped file or blob).
    pub origin: Option<&'a Origin>,
    /// Why it was not scanned in full, for people (unredacted and unescaped: the format does
    /// both).
    pub reason: String,
}

/// The gaps of `outcome`: skipped items that leave the scan incomplete, then errors.
pub fn gaps(outcome: &ScanOutcome) -> Vec<Gap<'_>> {
    let skipped = outcome
        .skipped
        .iter()
        .filter(|(_, r)| r.is_gap())
        .map(|(o, r)| Gap { origin: Some(o), reason: format!("not scanned: {r}") });
    let errors = outcome.errors.iter().map(|e| Gap { origin: None, reason: e.to_string() });
    skipped.chain(errors).collect()
}

impl Gap<'_> {
    /// `name: reason`, redacted, for formats that write one line of text per gap.
    pub fn text(&self, redactor: &Redactor) -> String {
        match self.origin {
            Some(o) => format!("{}: {}", redactor.origin(o).display_name(), self.reason),
            None => redactor.string(&self.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_visibly() {
        assert_eq!(escape("plain/path.env"), "plain/path.env");
        assert_eq!(escape("a\u{1b}[8mb\u{7}c\rd\u{8}"), "a\\x1b[8mb\\x07c\\x0dd\\x08");
        assert_eq!(escape("x\u{9b}y\u{7f}"), "x\\x9by\\x7f");
        assert_eq!(escape("evil\u{202e}gpj.env"), "evil\\u{202e}gpj.env");
        assert_eq!(escape("tab\there\nnext"), "tab\\x09here\\x0anext");
        assert_eq!(escape_keep_lines("one\u{1b}]52;c;x\u{7}\ntwo"), "one\\x1b]52;c;x\\x07\ntwo");
        assert_eq!(escape("é中"), "é中");
    }

    #[test]
    fn redactor_hides_every_known_secret() {
        let a = Secret::new("abcdefghijklmnop");
        let b = Secret::new("ZYXWVUTSRQPONMLK");
        let r = Redactor::of_secrets([&a, &b]);
        let out = r.text("fix: remove abcdefghijklmnop and ZYXWVUTSRQPONMLK");
        assert!(!out.contains("abcdefghijklmnop") && !out.contains("ZYXWVUTSRQPONMLK"), "{out}");
        assert!(out.contains(&a.redacted()), "{out}");
        assert!(matches!(r.text("nothing here"), Cow::Borrowed(_)));
        assert!(!format!("{r:?}").contains("abcdefghijklmnop"));
    }
}
