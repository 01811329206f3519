//! Allowlists: conditions under which a finding is not a leak.

use super::finding_path;
use crate::finding::Finding;
use crate::rules::Pattern;

/// How an allowlist's criteria combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Condition {
    /// Any criterion that matches allows the finding (the default).
    #[default]
    Or,
    /// Every criterion given must match.
    And,
}

/// What an allowlist's regexes are matched against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegexTarget {
    /// The secret (the default).
    #[default]
    Secret,
    /// The whole match of the rule's regex. After a scan only the finding's line is known,
    /// so post-scan allowlists match the line (content-only rule allowlists, which run in the
    /// detector, see the exact match).
    Match,
    /// The line holding the secret.
    Line,
}

/// A path pattern.
#[derive(Clone, Debug)]
pub enum PathPattern {
    /// A glob (`fixtures/**`, `*.test.js`), matched against the whole path relative to the
    /// scanned root; a pattern without `/` also matches file names in any directory.
    Glob(globset::GlobMatcher),
    /// A regex (gitleaks' `paths`), searched in the path, in the rules' dialect
    /// ([`crate::rules::regex`]).
    Regex(Pattern),
}

impl PathPattern {
    /// A glob pattern.
    pub fn glob(pattern: &str) -> Result<PathPattern, String> {
        let pattern = if pattern.contains('/') {
            pattern.trim_start_matches('/').to_owned()
        } else {
            format!("**/{pattern}")
        };
        globset::GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map(|g| PathPattern::Glob(g.compile_matcher()))
            .map_err(|e| e.to_string())
    }

    /// Whether `path` matches.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.strip_prefix("./").unwrap_or(path);
        match self {
            PathPattern::Glob(g) => g.is_match(path),
            PathPattern::Regex(r) => r.is_match(path),
        }
    }
}

/// One allowlist. Criteria left empty do not take part.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    /// What it is for, for people.
    pub description: Option<String>,
    /// How the criteria combine.
    pub condition: Condition,
    /// Regexes, matched against `regex_target`, in the rules' dialect
    /// ([`crate::rules::regex`]).
    pub regexes: Vec<Pattern>,
    /// What `regexes` are matched against.
    pub regex_target: RegexTarget,
    /// Path patterns.
    pub paths: Vec<PathPattern>,
    /// Substrings of the secret, case-insensitive (stored lowercase).
    pub stopwords: Vec<String>,
    /// Commit ids (full or abbreviated, at least 7 hex digits).
    pub commits: Vec<String>,
    /// The rules it applies to; empty: all.
    pub target_rules: Vec<String>,
}

impl Allowlist {
    /// Each criterion as an allowlist of its own, described (`stopword "a"`); with
    /// [`Condition::And`], the whole allowlist, since its criteria only work together.
    pub fn entries(&self) -> Vec<(String, Allowlist)> {
        let base = Allowlist {
            description: self.description.clone(),
            regex_target: self.regex_target,
            target_rules: self.target_rules.clone(),
            ..Allowlist::default()
        };
        if self.condition == Condition::And {
            return vec![("all its criteria together".to_owned(), self.clone())];
        }
        let mut out = Vec::new();
        for w in &self.stopwords {
            out.push((
                format!("stopword {w:?}"),
                Allowlist { stopwords: vec![w.clone()], ..base.clone() },
            ));
        }
        for r in &self.regexes {
            out.push((
                format!("regex {:?}", r.as_str()),
                Allowlist { regexes: vec![r.clone()], ..base.clone() },
            ));
        }
        for p in &self.paths {
            let shown = match p {
                PathPattern::Glob(g) => g.glob().glob().to_owned(),
                PathPattern::Regex(r) => r.as_str().to_owned(),
            };
            out.push((
                format!("path {shown:?}"),
                Allowlist { paths: vec![p.clone()], ..base.clone() },
            ));
        }
        for c in &self.commits {
            out.push((
                format!("commit {c:?}"),
                Allowlist { commits: vec![c.clone()], ..base.clone() },
            ));
        }
        out
    }

    /// Whether this allowlist applies to `f` and allows it; path patterns match the path as
    /// the finding names it (see [`Allowlist::allows_at`]).
    pub fn allows(&self, f: &Finding) -> bool {
        self.allows_at(f, finding_path(f))
    }

    /// [`Allowlist::allows`] with path patterns matched against `path`: the finding's path
    /// relative to its repository root ([`super::key_path`]), whatever the scan's arguments.
    pub fn allows_at(&self, f: &Finding, path: Option<&str>) -> bool {
        if !self.target_rules.is_empty() && !self.target_rules.contains(&f.rule_id) {
            return false;
        }
        let mut results = Vec::with_capacity(4);
        if !self.commits.is_empty() {
            let id = f.origin.commit().map(|c| c.id.as_str());
            results.push(id.is_some_and(|id| {
                self.commits.iter().any(|c| c.len() >= 7 && id.starts_with(c.as_str()))
            }));
        }
        if !self.paths.is_empty() {
            results.push(path.is_some_and(|p| self.paths.iter().any(|pat| pat.matches(p))));
        }
        if !self.regexes.is_empty() {
            let target = match self.regex_target {
                RegexTarget::Secret => f.secret.expose(),
                RegexTarget::Match | RegexTarget::Line => &f.line_text,
            };
            results.push(self.regexes.iter().any(|r| r.is_match(target)));
        }
        if !self.stopwords.is_empty() {
            let secret = f.secret.expose().to_ascii_lowercase();
            results.push(self.stopwords.iter().any(|w| secret.contains(w.as_str())));
        }
        match self.condition {
            Condition::Or => results.iter().any(|&r| r),
            Condition::And => !results.is_empty() && results.iter().all(|&r| r),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::{Detector, Scratch};
    use crate::finding::Origin;
    use crate::rules::{Builtin, RuleSet};

    /// For a pattern and a line, in one configuration file: whether a rule with that regex
    /// finds something on the line, and whether an allowlist with that regex (matched against
    /// the line) allows another rule's finding there.
    fn rule_and_allowlist(pattern: &str, line: &str) -> (bool, bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keysentry.toml");
        let config = format!(
            "[[rules]]\nid = 'dialect.probe'\ndescription = 'd'\nkeywords = ['tok']\n\
             regex = '''{pattern}'''\n\n\
             [[rules]]\nid = 'dialect.any'\ndescription = 'd'\nkeywords = ['tok']\n\
             regex = '''tok(.+)'''\nsecret_group = 1\n\n\
             [[allowlists]]\nrules = ['dialect.any']\nregex_target = 'line'\n\
             regexes = ['''{pattern}''']\n"
        );
        std::fs::write(&path, config).unwrap();
        let settings = crate::config::load(&path, Builtin::Core).unwrap();
        let rules = settings.rules.into_iter().filter(|r| r.id.starts_with("dialect.")).collect();
        let detector = Detector::new(RuleSet::compile(rules).unwrap());
        let found = detector.scan(line.as_bytes(), &Origin::Stdin, &mut Scratch::new());
        let by = |id: &str| found.iter().find(|f| f.rule_id == id);
        let any = by("dialect.any").expect("the catch-all rule finds the line");
        (by("dialect.probe").is_some(), settings.allowlists[0].allows(any))
    }

    /// Rules and allowlists of a configuration file read regexes in one dialect: `\w` and
    /// `(?i)` are ASCII-only in both, and a non-ASCII literal matches itself in both.
    #[test]
    fn issue_13_one_regex_dialect() {
        let kelvin = "\u{212a}"; // KELVIN SIGN: Unicode case folding makes it a `k`.
        let cases = [
            (r"tok \w+$", "tok abc".to_owned(), true),
            (r"tok \w+$", "tok abc\u{e9}".to_owned(), false),
            (r"(?i)tok k$", format!("tok {kelvin}"), false),
            (r"(?i)TOK K$", "tok k".to_owned(), true),
            ("tok \u{e9}$", "tok \u{e9}".to_owned(), true),
            ("(?i)tok \u{c9}$", "tok \u{e9}".to_owned(), false),
        ];
        for (pattern, line, expected) in cases {
            let (rule, allowlist) = rule_and_allowlist(pattern, &line);
            assert_eq!((rule, allowlist), (expected, expected), "{pattern} on {line:?}");
        }
    }
}
