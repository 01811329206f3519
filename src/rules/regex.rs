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
use regex_syntax::hir::{self, Class, Hir, HirKind, Look};

/// The most heap one compiled automaton (NFA) of a configured regex may take, in bytes. A
/// regex's worst case search time per byte grows with its automaton's size (the search falls
/// back to simulating the NFA when a lazy DFA cannot keep up), so this bounds what a
/// configuration can cost: ten times the core built-in rules' largest (24 KiB), room for
/// every rule of gitleaks' default configuration (the largest, a 1,000-fold repetition). A repetition
/// such as `(?:[a-z]|aa|aaa){1,2000}` needs 400 KiB, and searched 60 s per MiB: it is refused.
pub const REGEX_SIZE_LIMIT: usize = 256 << 10;
/// The limit for the built-in rules, which are tested (two extended ones, with long counted
/// repetitions, need 190 and 370 KiB).
const BUILTIN_SIZE_LIMIT: usize = 10 << 20;

/// Compiles a pattern in keysentry's regex dialect (see the module documentation). The error
/// message, like the regex crate's, shows where and why a pattern is invalid, or that it is
/// too large ([`REGEX_SIZE_LIMIT`]).
pub fn build(pattern: &str) -> Result<meta::Regex, String> {
    build_within(pattern, REGEX_SIZE_LIMIT)
}

/// [`build`] with an automaton size limit; `line_confined`: made unable to match across a
/// line end ([`confine_to_lines`]).
fn build_rule(
    pattern: &str,
    size_limit: usize,
    line_confined: bool,
) -> Result<meta::Regex, String> {
    if !line_confined {
        return build_within(pattern, size_limit);
    }
    let hir = regex_automata::util::syntax::parse_with(pattern, &syntax_config())
        .map_err(|e| e.to_string())?;
    builder(size_limit).build_from_hir(&confine_to_lines(&hir)).map_err(|e| build_error(&e))
}

/// The regex `hir` as it searches within one line, made to search many lines at once with the
/// same matches: no class matches a line end (LF or CR), a literal holding one never
/// matches, and `^` and `$` (and `\A`, `\z`) match at line ends (LF, CR or CRLF), as they did
/// at the edges of the one line searched. Single-line rules' regexes are compiled so, which
/// lets the detector search a run of lines with hits in one search instead of one per line.
fn confine_to_lines(hir: &Hir) -> Hir {
    let line_ends = || [(b'\n', b'\n'), (b'\r', b'\r')];
    match hir.kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(hir::Literal(bytes)) => {
            if bytes.iter().any(|b| matches!(b, b'\n' | b'\r')) { Hir::fail() } else { hir.clone() }
        }
        HirKind::Class(Class::Bytes(class)) => {
            let mut class = class.clone();
            let ends = line_ends().map(|(a, b)| hir::ClassBytesRange::new(a, b));
            class.difference(&hir::ClassBytes::new(ends));
            Hir::class(Class::Bytes(class))
        }
        HirKind::Class(Class::Unicode(class)) => {
            let mut class = class.clone();
            let ends =
                line_ends().map(|(a, b)| hir::ClassUnicodeRange::new(char::from(a), char::from(b)));
            class.difference(&hir::ClassUnicode::new(ends));
            Hir::class(Class::Unicode(class))
        }
        HirKind::Look(look) => Hir::look(match look {
            Look::Start | Look::StartLF => Look::StartCRLF,
            Look::End | Look::EndLF => Look::EndCRLF,
            other => *other,
        }),
        HirKind::Repetition(rep) => Hir::repetition(hir::Repetition {
            sub: Box::new(confine_to_lines(&rep.sub)),
            ..rep.clone()
        }),
        HirKind::Capture(cap) => {
            Hir::capture(hir::Capture { sub: Box::new(confine_to_lines(&cap.sub)), ..cap.clone() })
        }
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(confine_to_lines).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(confine_to_lines).collect()),
    }
}

/// The meta regex builder of the dialect, with an automaton size limit.
fn builder(size_limit: usize) -> meta::Builder {
    let mut builder = meta::Builder::new();
    builder
        .configure(
            meta::Config::new()
                .match_kind(regex_automata::MatchKind::LeftmostFirst)
                .utf8_empty(false)
                .nfa_size_limit(Some(size_limit))
                .hybrid_cache_capacity(2 << 20),
        )
        .syntax(syntax_config());
    builder
}

/// [`build`] with an automaton size limit.
fn build_within(pattern: &str, size_limit: usize) -> Result<meta::Regex, String> {
    builder(size_limit).build(pattern).map_err(|e| build_error(&e))
}

/// The message of a regex build error: the syntax error, or why the regex is too large.
fn build_error(e: &regex_automata::meta::BuildError) -> String {
    match (e.syntax_error(), e.size_limit()) {
        (Some(syntax), _) => syntax.to_string(),
        (None, Some(limit)) => format!(
            "the regex is too large to search in bounded time: its automaton needs more than \
             {} KiB (the limit; the built-in rules and gitleaks' default ones need less). Large counted \
             repetitions ({{1,2000}}) multiply a regex's size: bound them tighter",
            limit >> 10
        ),
        (None, None) => e.to_string(),
    }
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
    /// Compiled when made, or for [`Pattern::trusted`] on first use.
    regex: OnceLock<meta::Regex>,
}

impl Pattern {
    /// Compiles `pattern` with [`build`].
    pub fn new(pattern: &str) -> Result<Pattern, String> {
        let regex = OnceLock::new();
        let _ = regex.set(build(pattern)?);
        Ok(Pattern { pattern: pattern.to_owned(), regex })
    }

    /// A pattern of the built-in rules, compiled on first use: the test suite compiles every
    /// one of them (a start-up compiled them all, and most scans use few).
    ///
    /// # Panics
    ///
    /// On first use, if `pattern` does not compile.
    pub(crate) fn trusted(pattern: &str) -> Pattern {
        Pattern { pattern: pattern.to_owned(), regex: OnceLock::new() }
    }

    fn regex(&self) -> &meta::Regex {
        self.regex.get_or_init(|| build(&self.pattern).expect("built-in patterns compile (tested)"))
    }

    /// The pattern, as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the regex matches anywhere in `haystack`.
    pub fn is_match(&self, haystack: impl AsRef<[u8]>) -> bool {
        self.regex().is_match(haystack.as_ref())
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
    /// Compiled unable to match across line ends ([`confine_to_lines`]).
    line_confined: bool,
    compiled: OnceLock<meta::Regex>,
    /// The same regex without its literal prefilter, for text dense in its keywords.
    unfiltered: OnceLock<meta::Regex>,
}

impl RuleRegex {
    /// The regex of a rule and its number of capture groups (group 0 included): compiled, or,
    /// when `lazy` (the built-in rules, which the test suite compiles), kept as written until
    /// first use and its groups not counted (`None`); `line_confined` for a rule that searches
    /// single lines.
    pub(super) fn new(
        pattern: &str,
        lazy: bool,
        line_confined: bool,
    ) -> Result<(RuleRegex, Option<usize>), String> {
        let compiled = OnceLock::new();
        let groups = if lazy {
            None
        } else {
            let re = build_rule(pattern, REGEX_SIZE_LIMIT, line_confined)?;
            let groups = re.captures_len();
            let _ = compiled.set(re);
            Some(groups)
        };
        let unfiltered = OnceLock::new();
        Ok((RuleRegex { pattern: pattern.to_owned(), line_confined, compiled, unfiltered }, groups))
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
        self.try_compile().expect("built-in rule regexes compile (tested)")
    }

    /// The regex without the literal prefilter that starts its searches: on text where its
    /// literals occur every few bytes, each of them restarted the search, which cost more
    /// than running the automaton over every byte. Compiled on first use.
    pub fn unfiltered(&self) -> &meta::Regex {
        self.unfiltered.get_or_init(|| {
            let mut builder = builder(BUILTIN_SIZE_LIMIT);
            builder.configure(meta::Config::new().auto_prefilter(false));
            let hir = regex_automata::util::syntax::parse_with(&self.pattern, &syntax_config())
                .expect("the regex compiled before");
            let hir = if self.line_confined { confine_to_lines(&hir) } else { hir };
            builder.build_from_hir(&hir).expect("the regex compiled before")
        })
    }

    /// The compiled regex, compiling a built-in rule's now (the linter checks them so).
    pub fn try_compile(&self) -> Result<&meta::Regex, String> {
        if let Some(re) = self.compiled.get() {
            return Ok(re);
        }
        let re = build_rule(&self.pattern, BUILTIN_SIZE_LIMIT, self.line_confined)?;
        Ok(self.compiled.get_or_init(|| re))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nfa_size(pattern: &str) -> usize {
        regex_automata::nfa::thompson::Compiler::new()
            .syntax(syntax_config())
            .build(pattern)
            .expect("compiles")
            .memory_usage()
    }

    /// Issue 14: the size limit leaves every built-in rule far from it (the limit's reason
    /// says what the largest needs), and refuses the regex that searched 60 s per MiB.
    #[test]
    fn the_size_limit_bounds_configured_regexes_not_built_in_ones() {
        let set = crate::rules::RuleSet::builtin_set(crate::rules::Builtin::All).unwrap();
        let core = crate::rules::RuleSet::builtin_set(crate::rules::Builtin::Core).unwrap();
        let largest = core.rules().iter().map(|r| nfa_size(r.regex.pattern())).max().unwrap();
        assert!(largest <= 24 << 10, "the largest core rule needs {largest} bytes");
        assert!(largest * 4 < REGEX_SIZE_LIMIT);
        // Every built-in rule compiles (under its own, larger limit).
        for r in set.rules() {
            let _ = r.regex.get();
        }
        let err = build("(?:[a-z]|aa|aaa){1,2000}[0-9]").unwrap_err();
        assert!(err.contains("too large to search in bounded time"), "{err}");
        assert!(err.contains("256 KiB"), "{err}");
        // A syntax error still reads as one.
        assert!(build("(unclosed").unwrap_err().contains("unclosed group"));
    }
}
