//! Allowlist entries that allow (nearly) everything: a one-letter stopword, a regex such as
//! `.*` or an empty one, a path pattern such as `**`. A configuration may hold them by
//! mistake, or a hostile repository on purpose, to switch detection off while the scan still
//! exits 0; they are named when the configuration is loaded.

use crate::filter::{Allowlist, PathPattern};

use super::Settings;

/// Stopwords shorter than this occur in most secrets (`a` in every other one).
pub const MIN_STOPWORD_LEN: usize = 3;

/// Values that any regex allowing "everything" matches: the empty text and one character of
/// each class.
const PROBE_VALUES: &[&str] = &["x", "7", "Q", "/"];

/// Paths that a path pattern allowing "everything" matches.
const PROBE_PATHS: &[&str] = &["a", "src/main.rs", "deploy/prod.env", ".aws/credentials"];

/// Why a regex is dangerous, if it is: it matches the empty text, or one character of every
/// kind.
fn regex_danger(matches: impl Fn(&str) -> bool) -> Option<&'static str> {
    if matches("") {
        Some("matches the empty text, so every value")
    } else if PROBE_VALUES.iter().all(|v| matches(v)) {
        Some("matches any character, so every value")
    } else {
        None
    }
}

/// The dangerous entries of one allowlist, described.
pub fn allowlist_dangers(a: &Allowlist) -> Vec<String> {
    let mut out = Vec::new();
    for w in &a.stopwords {
        if w.chars().count() < MIN_STOPWORD_LEN {
            out.push(format!(
                "stopword {w:?} is shorter than {MIN_STOPWORD_LEN} characters: it occurs in \
                 most secrets (stopwords match case-insensitively anywhere in the secret)"
            ));
        }
    }
    for r in &a.regexes {
        if let Some(why) = regex_danger(|v| r.is_match(v)) {
            out.push(format!("regex {:?} {why}", r.as_str()));
        }
    }
    for p in &a.paths {
        if PROBE_PATHS.iter().all(|path| p.matches(path)) {
            let shown = match p {
                PathPattern::Glob(g) => g.glob().glob().to_owned(),
                PathPattern::Regex(r) => r.as_str().to_owned(),
            };
            out.push(format!("path pattern {shown:?} matches every path"));
        }
    }
    out
}

/// Warnings for every dangerous allowlist entry of `settings`: global allowlists, rule
/// allowlists run in the detector, and rule path restrictions that let nothing through are
/// not dangerous (they report less only for their rule).
pub fn dangerous_shapes(settings: &Settings) -> Vec<String> {
    let file = settings.file.as_ref().map_or_else(String::new, |f| format!("{}: ", f.display()));
    let mut out = Vec::new();
    for (i, a) in settings.allowlists.iter().enumerate() {
        let name = match (&a.description, a.target_rules.is_empty()) {
            (Some(d), _) => format!("allowlist {i} ({d:?})"),
            (None, true) => format!("allowlist {i}"),
            (None, false) => format!("allowlist {i} (rules {})", a.target_rules.join(", ")),
        };
        for d in allowlist_dangers(a) {
            out.push(format!("{file}{name}: {d}; it can hide every finding"));
        }
    }
    // The built-in rules' allowlists are keysentry's own, held to this by a test.
    for rule in settings.rules.iter().filter(|r| !r.builtin) {
        let al = &rule.allowlist;
        for w in &al.stopwords {
            if w.chars().count() < MIN_STOPWORD_LEN {
                out.push(format!(
                    "{file}rule {}: stopword {w:?} is shorter than {MIN_STOPWORD_LEN} \
                     characters: it can hide every finding of the rule",
                    rule.id
                ));
            }
        }
        for r in al.regexes.iter().chain(&al.match_regexes) {
            let Ok(re) = crate::rules::Pattern::new(r) else { continue };
            if let Some(why) = regex_danger(|v| re.is_match(v)) {
                out.push(format!(
                    "{file}rule {}: allowlist regex {r:?} {why}: it can hide every finding of \
                     the rule",
                    rule.id
                ));
            }
        }
    }
    out
}

/// The most distinct wildcard lines of one ignore list that [`ignore_list_dangers`] checks:
/// each check compiles a matcher (about a third of a millisecond), and an ignore list comes
/// from the scanned repository, which may hold millions of lines.
pub const MAX_CHECKED_IGNORE_LINES: usize = 1000;

/// Lines of an ignore list (`.keysentryignore`, gitignore syntax) that exclude every path
/// (`*`, `**`, `/*`), described: the list would hide the whole tree from the scan. A repeated
/// line is named once; past [`MAX_CHECKED_IGNORE_LINES`] distinct wildcard lines, one more
/// warning says how many were not checked.
pub fn ignore_list_dangers(name: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut unchecked = 0usize;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('!') {
            continue;
        }
        if crate::filter::ignored::is_fingerprint_line(t) {
            continue;
        }
        // Without a wildcard a pattern names one path and what is under it, never all of the
        // probe paths, which share no component.
        if !t.contains(['*', '?', '[']) || seen.contains(t) {
            continue;
        }
        if seen.len() == MAX_CHECKED_IGNORE_LINES {
            unchecked += 1;
            continue;
        }
        seen.insert(t);
        let mut b = ignore::gitignore::GitignoreBuilder::new("");
        if b.add_line(None, t).is_err() {
            continue;
        }
        let Ok(g) = b.build() else { continue };
        let all = PROBE_PATHS.iter().all(|p| g.matched_path_or_any_parents(p, false).is_ignore());
        if all {
            out.push(format!(
                "{name}:{}: {t:?} excludes every path: nothing would be scanned",
                n + 1
            ));
        }
    }
    if unchecked > 0 {
        out.push(format!(
            "{name}: {unchecked} more wildcard lines not checked for excluding every path (the \
             check stops after {MAX_CHECKED_IGNORE_LINES} distinct ones)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Pattern;

    /// `dangerous_shapes` skips the built-in rules: their allowlists must give it nothing.
    #[test]
    fn the_builtin_rules_have_no_dangerous_allowlists() {
        let mut rules = crate::rules::Builtin::All.syntax().unwrap();
        rules.iter_mut().for_each(|r| r.builtin = false);
        let settings = Settings { rules, ..Settings::default() };
        assert_eq!(dangerous_shapes(&settings), Vec::<String>::new());
    }

    #[test]
    fn ignore_lines_that_exclude_everything_are_named() {
        let d = ignore_list_dangers(
            crate::files::names::IGNORE_FILE,
            "# c\n*\nfixtures/\n**\n*.env\n/*\nfingerprint:ab\n",
        );
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(d[0].contains(":2:"));
    }

    /// Issue 14 (found by the `ignore_files` fuzz target, at 170 inputs a second): every line
    /// compiled a matcher of its own, so a hostile ignore list of a million lines took minutes
    /// to load. Lines without a wildcard are passed over, repeats are checked once, and the
    /// check stops after a bounded number of distinct lines, saying how many it left.
    #[test]
    fn issue_14_huge_ignore_lists_are_checked_in_bounded_work() {
        let mut text = String::from("*\n");
        for i in 0..20_000 {
            text.push_str(&format!("dir{i}/file.txt\n**\n"));
        }
        for i in 0..MAX_CHECKED_IGNORE_LINES + 5 {
            text.push_str(&format!("*.ext{i}\n"));
        }
        let d = ignore_list_dangers("big", &text);
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(d[0].starts_with("big:1: \"*\""), "{}", d[0]);
        assert!(d[1].starts_with("big:3: \"**\""), "{}", d[1]);
        // `*` and `**`, and the first 998 `*.extN` lines, were checked.
        assert!(d[2].contains("7 more wildcard lines not checked"), "{}", d[2]);
    }

    #[test]
    fn everything_allowing_entries_are_named() {
        let a = Allowlist {
            stopwords: vec!["a".into(), "example".into()],
            regexes: vec![
                Pattern::new(".*").unwrap(),
                Pattern::new("").unwrap(),
                Pattern::new(".").unwrap(),
                Pattern::new("^sk_test_").unwrap(),
            ],
            paths: vec![
                PathPattern::glob("**").unwrap(),
                PathPattern::glob("*").unwrap(),
                PathPattern::glob("fixtures/**").unwrap(),
                PathPattern::Regex(Pattern::new("").unwrap()),
            ],
            ..Allowlist::default()
        };
        let d = allowlist_dangers(&a);
        assert_eq!(d.len(), 7, "{d:#?}");
        assert!(d[0].contains("\"a\""));
        assert!(
            !d.iter()
                .any(|x| x.contains("example") || x.contains("sk_test") || x.contains("fixtures"))
        );
    }
}
