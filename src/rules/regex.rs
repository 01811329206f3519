//! The one regex dialect of keysentry: rule regexes, rules' own allowlists, and the
//! allowlists and path regexes of configuration files are all built by [`build`].
//!
//! It is `regex::bytes::Regex`'s syntax and limits with Unicode mode off: `\w`, `\d`, `\s`,
//! `\b` and `(?i)` are ASCII-only, as in Go's RE2 that gitleaks rules are written for, and
//! `.` and negated classes match any byte but `\n`. A non-ASCII literal (`é`) matches its
//! UTF-8 bytes, exactly, under `(?i)` too. Secrets are ASCII, and the Unicode tables made
//! compiling the built-in rules a third slower (5.1 ms against 3.3 ms), which a pre-commit
//! hook pays on every commit.

use std::sync::OnceLock;

use regex_automata::meta;

/// Compiles a pattern in keysentry's regex dialect (see the module documentation). The error
/// message, like the regex crate's, shows where and why a pattern is invalid.
pub fn build(pattern: &str) -> Result<meta::Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(false)
                .nfa_size_limit(Some(10 << 20))
                .hybrid_cache_capacity(2 << 20),
        )
        .syntax(syntax_config())
        .build(pattern)
        .map_err(|e| e.syntax_error().map_or_else(|| e.to_string(), ToString::to_string))
}

/// How many explicit capture groups `pattern` has, parsed in the dialect (without compiling
/// it: a pattern that parses may still exceed the size limit, see [`build`]).
pub fn capture_groups(pattern: &str) -> Result<usize, String> {
    regex_automata::util::syntax::parse_with(pattern, &syntax_config())
        .map(|hir| hir.properties().explicit_captures_len())
        .map_err(|e| e.to_string())
}

/// The syntax of the dialect: bytes, Unicode off (see [`build`]).
fn syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new().utf8(false).unicode(false)
}

/// A compiled regex of the dialect with its pattern, for allowlists and path regexes: what
/// they are matched against (a secret, a line, a path) is searched as bytes.
#[derive(Clone, Debug)]
pub struct Pattern {
    pattern: String,
    regex: meta::Regex,
}

impl Pattern {
    /// Compiles `pattern` with [`build`].
    pub fn new(pattern: &str) -> Result<Pattern, String> {
        Ok(Pattern { pattern: pattern.to_owned(), regex: build(pattern)? })
    }

    /// The pattern, as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the regex matches anywhere in `haystack`.
    pub fn is_match(&self, haystack: impl AsRef<[u8]>) -> bool {
        self.regex.is_match(haystack.as_ref())
    }
}

/// A rule's regex. The built-in rules' regexes are validated (parsed, groups counted) when
/// the rules load and compiled when a rule first runs: a scan runs few of them (a pre-commit
/// hook often none), and compiling all the built-in ones took longer than everything else at
/// start-up. Other rules are compiled when they load. It is a `regex_automata` regex so that
/// each worker can keep its own search cache.
#[derive(Clone, Debug)]
pub struct RuleRegex {
    pattern: String,
    compiled: OnceLock<meta::Regex>,
}

impl RuleRegex {
    /// The regex of a rule and its number of capture groups (group 0 included): compiled, or,
    /// when `lazy`, only parsed.
    pub(super) fn new(pattern: &str, lazy: bool) -> Result<(RuleRegex, usize), String> {
        let compiled = OnceLock::new();
        let groups = if lazy {
            let hir = regex_automata::util::syntax::parse_with(pattern, &syntax_config())
                .map_err(|e| e.to_string())?;
            hir.properties().explicit_captures_len() + 1
        } else {
            let re = build(pattern)?;
            let groups = re.captures_len();
            let _ = compiled.set(re);
            groups
        };
        Ok((RuleRegex { pattern: pattern.to_owned(), compiled }, groups))
    }

    /// The pattern, as written in the rule.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the regex has been compiled yet.
    #[cfg(test)]
    pub(super) fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// The compiled regex.
    ///
    /// # Panics
    ///
    /// If a lazily compiled pattern exceeds the regex size limits; the test suite compiles
    /// every built-in rule, and other rules are compiled when they load.
    pub fn get(&self) -> &meta::Regex {
        self.compiled
            .get_or_init(|| build(&self.pattern).expect("built-in rule regexes compile (tested)"))
    }
}
