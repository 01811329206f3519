//! Fingerprints of findings to leave out of every scan of a project (`keysentry ignore`).
//!
//! They live in [`IGNORED_FINGERPRINTS_FILE`], one per line. `.keysentryignore` holds path
//! patterns only; before, it also held `fingerprint:<hex>` lines, which are still applied, each
//! with a warning that says to move them. The walk and the git scans never hand those lines to
//! the `ignore` crate, which would read them as path globs ([`path_patterns`]).

use std::collections::HashSet;
use std::path::Path;

use crate::files::names::{IGNORE_FILE, IGNORED_FINGERPRINTS_FILE};
use crate::files::read::{self as file, BASELINE_SIZE_LIMIT, Within};

/// How `.keysentryignore` marked a fingerprint line, in the old form (and how a line moved
/// from there into [`IGNORED_FINGERPRINTS_FILE`] may still begin).
pub const FINGERPRINT_PREFIX: &str = "fingerprint:";

/// Whether a line of `.keysentryignore` is an old-form fingerprint line, not a path pattern.
pub fn is_fingerprint_line(line: &str) -> bool {
    line.trim_start().starts_with(FINGERPRINT_PREFIX)
}

/// The lines of a `.keysentryignore` that are path patterns: all but the old-form
/// fingerprint lines.
pub fn path_patterns(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !is_fingerprint_line(l))
}

/// Whether `text` is a fingerprint as reports print them: 32 hex digits.
pub fn is_fingerprint(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The old-form fingerprints of a `.keysentryignore` (lines `fingerprint:<hex>`), lowercase.
pub fn ignored_fingerprints(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(FINGERPRINT_PREFIX))
        .map(|f| f.trim().to_ascii_lowercase())
        .filter(|f| !f.is_empty())
        .collect()
}

/// The fingerprints of [`IGNORED_FINGERPRINTS_FILE`] text read from `name`: one per line,
/// optionally prefixed `fingerprint:` (so that lines moved from `.keysentryignore` work as
/// they are); blank lines and `#` comments are passed over. A line that is not a fingerprint
/// is named in the returned warnings and not applied.
pub fn parse_fingerprints(name: &str, text: &str) -> (HashSet<String>, Vec<String>) {
    let mut found = HashSet::new();
    let mut warnings = Vec::new();
    let mut more = 0usize;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f = t.strip_prefix(FINGERPRINT_PREFIX).unwrap_or(t).trim();
        if is_fingerprint(f) {
            found.insert(f.to_ascii_lowercase());
        } else if warnings.len() < LISTED {
            warnings.push(format!(
                "{name}:{}: not a fingerprint (32 hex digits, as reports print them); the line \
                 was not applied",
                n + 1
            ));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        // A file of a million bad lines is one more warning, not a million.
        warnings.push(format!(
            "{name}: {more} more lines are not fingerprints either and were not applied"
        ));
    }
    (found, warnings)
}

/// How many lines a warning names one by one before it counts the rest.
pub(crate) const LISTED: usize = 10;

/// The warning for old-form fingerprint lines in a `.keysentryignore` read from `name`, if it
/// has any: which lines, and where they belong now.
pub fn old_form_warning(name: &str, text: &str) -> Option<String> {
    let numbers = text.lines().enumerate().filter(|(_, l)| is_fingerprint_line(l));
    let (mut lines, mut total) = (Vec::new(), 0usize);
    for (n, _) in numbers {
        total += 1;
        if lines.len() < LISTED {
            lines.push((n + 1).to_string());
        }
    }
    if total == 0 {
        return None;
    }
    let one = total == 1;
    let mut which =
        if one { format!("line {}", lines[0]) } else { format!("lines {}", lines.join(", ")) };
    if total > lines.len() {
        which.push_str(&format!(" (and {} more)", total - lines.len()));
    }
    let (is, it, they) = if one {
        ("is a fingerprint", "it", "it is")
    } else {
        ("are fingerprints", "them", "they are")
    };
    let apply = if one { "it still applies" } else { "they still apply" };
    Some(format!(
        "{name}: {which} {is} (`fingerprint:` lines), and fingerprints now belong in \
         {IGNORED_FINGERPRINTS_FILE}: move {it}, as {they}, to {IGNORED_FINGERPRINTS_FILE} in \
         the same directory (`keysentry ignore` writes there). Until then {apply}; \
         {IGNORE_FILE} holds path patterns only"
    ))
}

/// The ignored fingerprints of a project, and what to tell the user about them.
#[derive(Debug, Default)]
pub struct IgnoredFingerprints {
    /// The fingerprints, lowercase.
    pub fingerprints: HashSet<String>,
    /// Lines that were not applied, old-form lines to move, files that were not read.
    pub warnings: Vec<String>,
}

/// Reads the ignored fingerprints of the project directory `dir`: [`IGNORED_FINGERPRINTS_FILE`]
/// and the old-form lines of its `.keysentryignore`, each read as `within` allows. A file that
/// cannot be read is a warning and its entries are not applied (so more is reported, never
/// less). The `.keysentryignore` text is returned too, for its other checks.
pub fn load(dir: &Path, within: Within<'_>) -> (IgnoredFingerprints, Option<String>) {
    let mut out = IgnoredFingerprints::default();
    let read = |name: &str, out: &mut IgnoredFingerprints| match file::read_optional(
        &dir.join(name),
        BASELINE_SIZE_LIMIT,
        within,
    ) {
        Ok(text) => text,
        Err(e) => {
            out.warnings.push(format!("{e}; its entries were not applied"));
            None
        }
    };
    if let Some(text) = read(IGNORED_FINGERPRINTS_FILE, &mut out) {
        let name = dir.join(IGNORED_FINGERPRINTS_FILE).display().to_string();
        let (found, warnings) = parse_fingerprints(&name, &text);
        out.fingerprints.extend(found);
        out.warnings.extend(warnings);
    }
    let ignore_text = read(IGNORE_FILE, &mut out);
    if let Some(text) = &ignore_text {
        out.fingerprints.extend(ignored_fingerprints(text));
        let name = dir.join(IGNORE_FILE).display().to_string();
        out.warnings.extend(old_form_warning(&name, text));
    }
    (out, ignore_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_13_fingerprint_lines_are_not_path_patterns() {
        let text = "/vendor/\n  fingerprint:ab\nfingerprints.txt\n";
        assert_eq!(path_patterns(text).collect::<Vec<_>>(), ["/vendor/", "fingerprints.txt"]);
    }

    #[test]
    fn issue_13_fingerprint_file_lines() {
        let fp = "0123456789abcdef0123456789ABCDEF";
        let text = format!("# ours\n{fp}\n\nfingerprint: {}\nnot-one\n", "f".repeat(32));
        let (found, warnings) = parse_fingerprints("F", &text);
        assert!(found.contains(&fp.to_ascii_lowercase()) && found.contains(&"f".repeat(32)));
        assert_eq!(found.len(), 2);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("F:5: not a fingerprint"), "{warnings:?}");
    }

    #[test]
    fn issue_13_old_form_warning_names_lines_and_file() {
        assert_eq!(old_form_warning("x", "/vendor/\n"), None);
        let one = old_form_warning("d/.keysentryignore", "a\nfingerprint:ab\n").unwrap();
        assert!(one.starts_with("d/.keysentryignore: line 2 "), "{one}");
        assert!(one.contains(IGNORED_FINGERPRINTS_FILE), "{one}");
        let two = old_form_warning("i", "fingerprint:ab\nx\nfingerprint:cd\n").unwrap();
        assert!(two.starts_with("i: lines 1, 3 are fingerprints"), "{two}");
        assert!(two.contains("move them, as they are, to"), "{two}");
    }

    #[test]
    fn issue_13_a_flood_of_bad_lines_is_counted_not_listed() {
        let (found, warnings) = parse_fingerprints("F", &"zz\n".repeat(1_000));
        assert!(found.is_empty());
        assert_eq!(warnings.len(), LISTED + 1, "{warnings:?}");
        assert!(warnings[LISTED].contains("990 more lines"), "{warnings:?}");
        let old = old_form_warning("i", &"fingerprint:ab\n".repeat(1_000)).expect("a warning");
        assert!(old.len() < 600 && old.contains("(and 990 more)"), "{old}");
    }
}
