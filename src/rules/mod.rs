//! Detection rules: their TOML syntax, compilation into a [`RuleSet`], and the linter
//! behind `keysentry rules check`.
//!
//! Built-in rules live in `rules/*.toml` at the repository root and are embedded in the binary.

pub mod check;
pub mod syntax;

use std::sync::OnceLock;

use regex::bytes::Regex;
use regex_automata::meta;

pub use syntax::{AllowlistSyntax, Anchor, Checksum, RuleFile, RuleSyntax};

/// The shortest keyword a rule may have. Shorter literals occur everywhere and would make the
/// keyword prefilter useless.
pub const MIN_KEYWORD_LEN: usize = 3;

/// Built-in rule files of the core set, which every scan runs unless its configuration says
/// otherwise: (file name, contents).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("aws.toml", include_str!("../../rules/aws.toml")),
    ("private-keys.toml", include_str!("../../rules/private-keys.toml")),
    ("vcs.toml", include_str!("../../rules/vcs.toml")),
    ("cloud.toml", include_str!("../../rules/cloud.toml")),
    ("saas.toml", include_str!("../../rules/saas.toml")),
    ("ai.toml", include_str!("../../rules/ai.toml")),
    ("databases.toml", include_str!("../../rules/databases.toml")),
    ("generic.toml", include_str!("../../rules/generic.toml")),
];

/// Built-in rule files of the extended set, run on request (`--extended-rules`, `extended`
/// in `[extend]`): 166 more token formats, whose keywords would slow the prefilter of every
/// scan (docs/rules.md, "Core and extended rules").
pub const EXTENDED_FILES: &[(&str, &str)] = &[
    ("extended/private-keys.toml", include_str!("../../rules/extended/private-keys.toml")),
    ("extended/vcs.toml", include_str!("../../rules/extended/vcs.toml")),
    ("extended/ci.toml", include_str!("../../rules/extended/ci.toml")),
    ("extended/cloud.toml", include_str!("../../rules/extended/cloud.toml")),
    ("extended/identity.toml", include_str!("../../rules/extended/identity.toml")),
    ("extended/saas.toml", include_str!("../../rules/extended/saas.toml")),
    ("extended/payments.toml", include_str!("../../rules/extended/payments.toml")),
    ("extended/monitoring.toml", include_str!("../../rules/extended/monitoring.toml")),
    ("extended/ai.toml", include_str!("../../rules/extended/ai.toml")),
    ("extended/databases.toml", include_str!("../../rules/extended/databases.toml")),
    ("extended/config-files.toml", include_str!("../../rules/extended/config-files.toml")),
];

/// Which built-in rules a scan starts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Builtin {
    /// The core set ([`BUILTIN_FILES`]).
    #[default]
    Core,
    /// The core and the extended set ([`EXTENDED_FILES`] too).
    All,
}

impl Builtin {
    /// The rules of this choice, parsed and marked [`RuleSyntax::builtin`].
    pub fn syntax(self) -> Result<Vec<RuleSyntax>, Vec<RuleError>> {
        let mut rules = parse_files(&self.files())?;
        rules.iter_mut().for_each(|r| r.builtin = true);
        Ok(rules)
    }

    /// The rule files of this choice.
    pub fn files(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Builtin::Core => BUILTIN_FILES.to_vec(),
            Builtin::All => BUILTIN_FILES.iter().chain(EXTENDED_FILES).copied().collect(),
        }
    }
}

/// A rule's regex. The built-in rules' regexes are validated (parsed, groups counted) when
/// the rules load and compiled when a rule first runs: a scan runs few of them (a pre-commit
/// hook often none), and compiling all 195 took longer than everything else at start-up.
/// Other rules are compiled when they load. It is a `regex_automata` regex so that each worker
/// can keep its own search cache.
#[derive(Clone, Debug)]
pub struct RuleRegex {
    pattern: String,
    compiled: OnceLock<meta::Regex>,
}

impl RuleRegex {
    /// The pattern, as written in the rule.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether the regex has been compiled yet.
    #[cfg(test)]
    fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// The compiled regex.
    ///
    /// # Panics
    ///
    /// If a lazily compiled pattern exceeds the regex size limits; the test suite compiles
    /// every built-in rule, and other rules are compiled when they load.
    pub fn get(&self) -> &meta::Regex {
        self.compiled.get_or_init(|| {
            compile_bytes_regex(&self.pattern).expect("built-in rule regexes compile (tested)")
        })
    }
}

/// A compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id, `provider.name`.
    pub id: String,
    /// What the rule detects.
    pub description: String,
    /// Keywords, lowercased.
    pub keywords: Vec<String>,
    /// Context literals, lowercased: when there are any, the prefilter looks for them and the
    /// keywords are looked for on their lines only.
    pub context: Vec<String>,
    /// The regex, with the semantics of `regex::bytes::Regex` in ASCII mode, compiled on first
    /// use for the built-in rules.
    pub regex: RuleRegex,
    /// Capture group holding the secret.
    pub secret_group: usize,
    /// The secret is the first group that matched something, else the whole match.
    pub first_group: bool,
    /// Minimum entropy of the secret, bits per byte.
    pub entropy: Option<f64>,
    /// The checksum the secret must pass.
    pub checksum: Option<Checksum>,
    /// Whether the match may span lines.
    pub multiline: bool,
    /// Whether the rule gives way to specific rules on overlap.
    pub generic: bool,
    /// Where the regex starts matching.
    pub anchor: Anchor,
    /// Secrets matching any of these are ignored.
    pub allow_regexes: Vec<Regex>,
    /// Matches (secret with context) matching any of these are ignored.
    pub allow_match_regexes: Vec<Regex>,
    /// Secrets containing any of these (lowercase) are ignored.
    pub stopwords: Vec<String>,
    /// Documentation of the token format.
    pub references: Vec<String>,
    /// Texts that must yield exactly one finding of this rule.
    pub examples: Vec<String>,
    /// Texts that must yield no finding.
    pub negative_examples: Vec<String>,
}

impl Rule {
    /// Whether a secret, found in the match `whole`, is allow-listed by this rule's own
    /// allowlist.
    pub fn allows(&self, secret: &[u8], whole: &[u8]) -> bool {
        if self.allow_regexes.iter().any(|re| re.is_match(secret))
            || self.allow_match_regexes.iter().any(|re| re.is_match(whole))
        {
            return true;
        }
        if self.stopwords.is_empty() {
            return false;
        }
        let lower = secret.to_ascii_lowercase();
        self.stopwords.iter().any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
    }
}

/// What is wrong with a rule.
#[derive(Debug, thiserror::Error)]
#[error("rule {id}: {kind}")]
pub struct RuleError {
    /// The rule's id (or its position when it has none).
    pub id: String,
    /// The problem.
    pub kind: RuleErrorKind,
}

/// The kinds of rule problems.
#[derive(Debug, thiserror::Error)]
pub enum RuleErrorKind {
    /// The rule file is not valid TOML or has unknown keys.
    #[error("cannot parse {file}: {message}")]
    Parse {
        /// The file name.
        file: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The regex does not compile.
    #[error("invalid regex: {0}")]
    Regex(String),
    /// An allowlist regex does not compile.
    #[error("invalid allowlist regex: {0}")]
    AllowRegex(String),
    /// The secret group does not exist in the regex.
    #[error("secret_group {group} but the regex has only {available} capture groups")]
    SecretGroup {
        /// The configured group.
        group: usize,
        /// Groups the regex has (not counting group 0).
        available: usize,
    },
    /// The rule has no keywords, or one that is too short.
    #[error("keywords must be non-empty and each at least {MIN_KEYWORD_LEN} bytes: {0:?}")]
    Keywords(Vec<String>),
    /// The id is not of the form `provider.name`.
    #[error("id must be `provider.name` in lowercase letters, digits, `_` and `-`")]
    Id,
    /// Two rules have the same id.
    #[error("duplicate id")]
    Duplicate,
    /// The entropy bound is out of range.
    #[error("entropy must be between 0 and 8 bits per byte, got {0}")]
    Entropy(f64),
    /// A positive example does not contain any keyword of the rule.
    #[error("example {index} contains none of the rule's keywords")]
    ExampleWithoutKeyword {
        /// 0-based index of the example.
        index: usize,
    },
    /// A positive example does not yield exactly one finding of the rule.
    #[error("example {index} must yield exactly one finding of this rule, got [{got}]")]
    ExampleFindings {
        /// 0-based index of the example.
        index: usize,
        /// The rule ids found, comma-separated.
        got: String,
    },
    /// A negative example yields findings.
    #[error("negative example {index} must yield nothing, got [{got}]")]
    NegativeExampleFindings {
        /// 0-based index of the negative example.
        index: usize,
        /// The rule ids found, comma-separated.
        got: String,
    },
    /// The rule has no positive or no negative example.
    #[error("needs at least one example and one negative example")]
    MissingExamples,
}

/// A validated, compiled set of rules with unique ids.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Validates rules and compiles their regexes, those of unchanged built-in rules
    /// ([`RuleSyntax::builtin`]) when they first run (see [`RuleRegex`]). Fails with every
    /// problem found, not only the first.
    pub fn compile(syntax: Vec<RuleSyntax>) -> Result<RuleSet, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut rules: Vec<Rule> = Vec::with_capacity(syntax.len());
        for s in syntax {
            let lazy = s.builtin;
            match compile_rule(s, lazy) {
                Ok(rule) => {
                    if rules.iter().any(|r| r.id == rule.id) {
                        errors.push(RuleError { id: rule.id, kind: RuleErrorKind::Duplicate });
                    } else {
                        rules.push(rule);
                    }
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() { Ok(RuleSet { rules }) } else { Err(errors) }
    }

    /// A rule set from rules already compiled, for tests that tweak compiled rules.
    #[cfg(test)]
    pub(crate) fn compile_rules(rules: Vec<Rule>) -> RuleSet {
        RuleSet { rules }
    }

    /// The core built-in rules.
    ///
    /// Fails only if a built-in rule file is broken, which the test suite rules out.
    pub fn builtin() -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::builtin_set(Builtin::Core)
    }

    /// The core or all built-in rules.
    pub fn builtin_set(which: Builtin) -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::compile(which.syntax()?)
    }

    /// The rules, in definition order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// Parses several rule files into one list of rule definitions.
pub fn parse_files(files: &[(&str, &str)]) -> Result<Vec<RuleSyntax>, Vec<RuleError>> {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        match syntax::parse(text) {
            Ok(f) => all.extend(f.rules),
            Err(e) => errors.push(RuleError {
                id: (*name).to_owned(),
                kind: RuleErrorKind::Parse { file: (*name).to_owned(), message: e.to_string() },
            }),
        }
    }
    if errors.is_empty() { Ok(all) } else { Err(errors) }
}

fn valid_id(id: &str) -> bool {
    let ok = |p: &str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b))
    };
    // `provider.name` for keysentry's rules; imported gitleaks rules keep their ids
    // (`aws-access-token`), which `.gitleaksignore` files refer to.
    match id.split_once('.') {
        Some((provider, name)) => ok(provider) && name.split('.').all(ok),
        None => ok(id),
    }
}

/// Compiles a pattern as `regex::bytes::Regex::new` does (same syntax, same limits), but with
/// Unicode mode off: `\w`, `\d`, `\s`, `\b` and `(?i)` are ASCII-only, as in Go's RE2 that
/// gitleaks rules are written for, and `.` matches any byte but `\n`. Secrets are ASCII, and
/// the Unicode tables made compiling the built-in rules a third slower (5.1 ms against 3.3 ms),
/// which a pre-commit hook pays on every commit. The error message, like the regex crate's,
/// shows where and why a pattern is invalid.
fn compile_bytes_regex(pattern: &str) -> Result<meta::Regex, String> {
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

/// The syntax of rule regexes: bytes, Unicode off (see [`compile_bytes_regex`]).
fn syntax_config() -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new().utf8(false).unicode(false)
}

/// The regex of a rule and its number of capture groups (group 0 included): compiled, or, when
/// `lazy`, only parsed.
/// The regex of a rule and its number of capture groups (group 0 included): compiled, or, when
/// `lazy`, only parsed.
fn rule_regex(pattern: &str, lazy: bool) -> Result<(RuleRegex, usize), String> {
    let compiled = OnceLock::new();
    let groups = if lazy {
        let hir = regex_automata::util::syntax::parse_with(pattern, &syntax_config())
            .map_err(|e| e.to_string())?;
        hir.properties().explicit_captures_len() + 1
    } else {
        let re = compile_bytes_regex(pattern)?;
        let groups = re.captures_len();
        let _ = compiled.set(re);
        groups
    };
    Ok((RuleRegex { pattern: pattern.to_owned(), compiled }, groups))
}

fn compile_rule(s: RuleSyntax, lazy: bool) -> Result<Rule, Vec<RuleError>> {
    let mut errors = Vec::new();
    let err = |kind| RuleError { id: s.id.clone(), kind };
    if !valid_id(&s.id) {
        errors.push(err(RuleErrorKind::Id));
    }
    let keywords_optional = s.anchor == Anchor::Content;
    if (s.keywords.is_empty() && !keywords_optional)
        || s.keywords.iter().chain(&s.context).any(|k| k.len() < MIN_KEYWORD_LEN)
    {
        errors.push(err(RuleErrorKind::Keywords(s.keywords.clone())));
    }
    if let Some(e) = s.entropy.filter(|e| !(0.0..=8.0).contains(e)) {
        errors.push(err(RuleErrorKind::Entropy(e)));
    }
    let regex = match rule_regex(&s.regex, lazy) {
        Ok((re, groups)) => {
            let available = groups - 1;
            if s.secret_group > available {
                errors.push(err(RuleErrorKind::SecretGroup { group: s.secret_group, available }));
            }
            Some(re)
        }
        Err(msg) => {
            errors.push(err(RuleErrorKind::Regex(msg)));
            None
        }
    };
    let mut compile_all = |patterns: &[String]| -> Vec<Regex> {
        patterns
            .iter()
            .filter_map(|r| {
                // ASCII mode, like the rule regexes (see `compile_bytes_regex`).
                regex::bytes::RegexBuilder::new(r)
                    .unicode(false)
                    .build()
                    .map_err(|e| errors.push(err(RuleErrorKind::AllowRegex(e.to_string()))))
                    .ok()
            })
            .collect()
    };
    let allow_regexes = compile_all(&s.allowlist.regexes);
    let allow_match_regexes = compile_all(&s.allowlist.match_regexes);
    match regex {
        Some(regex) if errors.is_empty() => Ok(Rule {
            keywords: s.keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
            context: s.context.iter().map(|k| k.to_ascii_lowercase()).collect(),
            stopwords: s.allowlist.stopwords.iter().map(|w| w.to_ascii_lowercase()).collect(),
            id: s.id,
            description: s.description,
            regex,
            secret_group: s.secret_group,
            first_group: s.first_group,
            entropy: s.entropy,
            checksum: s.checksum,
            multiline: s.multiline,
            generic: s.generic,
            anchor: s.anchor,
            allow_regexes,
            allow_match_regexes,
            references: s.references,
            examples: s.examples,
            negative_examples: s.negative_examples,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, regex: &str) -> RuleSyntax {
        RuleSyntax {
            id: id.into(),
            description: "d".into(),
            keywords: vec!["abc".into()],
            regex: regex.into(),
            secret_group: 0,
            first_group: false,
            entropy: None,
            checksum: None,
            multiline: false,
            generic: false,
            anchor: Anchor::Line,
            allowlist: AllowlistSyntax::default(),
            references: vec![],
            examples: vec![],
            negative_examples: vec![],
            context: vec![],
            builtin: false,
        }
    }

    #[test]
    fn builtin_regexes_compile_on_first_use_others_when_they_load() {
        let mut syntax = Builtin::Core.syntax().unwrap();
        let mut user = rule("user.rule", r"abc[0-9]+");
        user.builtin = false;
        syntax.push(user);
        // A configuration's copy of a built-in rule is not marked: compiled up front.
        let mut copy = Builtin::Core.syntax().unwrap().remove(0);
        copy.id = "copy.rule".into();
        copy.builtin = false;
        syntax.push(copy);
        let set = RuleSet::compile(syntax).unwrap();
        for r in set.rules() {
            let builtin = !matches!(r.id.as_str(), "user.rule" | "copy.rule");
            assert_eq!(r.regex.is_compiled(), !builtin, "{}", r.id);
        }
        let first = &set.rules()[0];
        first.regex.get();
        assert!(first.regex.is_compiled());
    }

    #[test]
    fn crc32_base62_checksums() {
        let c = Checksum::Crc32Base62;
        // Assembled, so that this file holds no whole token (CI scans the repository).
        let token = |prefix: &str, body: &str, sum: &str| [prefix, body, sum].concat();
        // The CRC-32 of the 30 characters after `ghp_`, in base 62: computed independently
        // (Python's zlib.crc32).
        let gh = "krCaqx9vJupc94tnwlavyfErGPmpGX";
        assert!(c.verify(token("ghp_", gh, "1OwySg").as_bytes()));
        assert!(c.verify(token("npm_", "I6CmuxV5EbOApZOXzcycDeZ6dqmVe5", "0Cut4U").as_bytes()));
        assert!(!c.verify(token("ghp_", gh, "afq0fj").as_bytes()), "wrong checksum");
        assert!(!c.verify(token("ghp_", gh, "1OwySh").as_bytes()), "one digit off");
        assert!(!c.verify(token("ghp_", gh, "1Ow-Sg").as_bytes()), "not base 62");
        assert!(!c.verify(b"ghp_1OwySg"), "nothing before the checksum");
        assert!(!c.verify(b"no underscore at all"));
        // Base 62 of 2^32 - 1 fits six digits; larger values never match a CRC-32.
        assert!(!c.verify(b"x_abc_zzzzzz"));
    }

    #[test]
    fn builtin_rules_compile() {
        let set = RuleSet::builtin().expect("builtin rules compile");
        assert!(set.len() >= 20);
    }

    #[test]
    fn all_errors_are_reported() {
        let mut bad_group = rule("x.group", "abc(d)");
        bad_group.secret_group = 2;
        let errs = RuleSet::compile(vec![
            rule("x.bad", "(unclosed"),
            bad_group,
            rule("x.ok", "abc"),
            rule("x.ok", "abc"),
            rule("NoDot", "abc"),
        ])
        .unwrap_err();
        let kinds: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(kinds.len(), 4, "{kinds:?}");
        assert!(kinds[0].contains("invalid regex"));
        assert!(kinds[1].contains("secret_group 2"));
        assert!(kinds[2].contains("duplicate"));
        assert!(kinds[3].contains("provider.name"));
    }

    #[test]
    fn short_keywords_are_rejected() {
        let mut r = rule("x.short", "abc");
        r.keywords = vec!["ab".into()];
        assert!(RuleSet::compile(vec![r]).is_err());
    }

    #[test]
    fn ids() {
        assert!(valid_id("aws.access_key_id"));
        assert!(valid_id("github.pat-fine"));
        assert!(valid_id("aws-access-token"));
        assert!(!valid_id(""));
        assert!(!valid_id("AWS.key"));
        assert!(!valid_id("aws."));
    }
}
