//! Detection rules: their TOML syntax ([`syntax`]), the built-in rule files ([`builtin`]),
//! the regex dialect ([`regex`]), checksums and severities, and compilation into a
//! [`RuleSet`]. Rules are data: this module depends on no other part of keysentry, and the
//! detector builds on it (the linter behind `keysentry rules check`, which runs examples
//! through the detector, is [`crate::detect::check`]).
//!
//! Built-in rules live in `rules/*.toml` at the repository root and are embedded in the binary.

pub mod builtin;
mod checksum;
mod error;
pub mod regex;
mod severity;
pub mod syntax;

pub use self::regex::{Pattern, REGEX_SIZE_LIMIT, RuleRegex};
pub use builtin::{BUILTIN_FILES, Builtin, EXTENDED_FILES};
pub use error::{RuleError, RuleErrorKind};
pub use syntax::{AllowlistSyntax, Anchor, Checksum, RuleFile, RuleSyntax, Severity, parse_files};

/// The shortest keyword a rule may have. Shorter literals occur everywhere and would make the
/// keyword prefilter useless.
pub const MIN_KEYWORD_LEN: usize = 3;

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
    /// The regex, in keysentry's dialect ([`regex::build`]), compiled on first use for the
    /// built-in rules.
    pub regex: RuleRegex,
    /// Capture group holding the secret.
    pub secret_group: usize,
    /// The secret is the first group that matched something, else the whole match.
    pub first_group: bool,
    /// How much a finding of this rule matters.
    pub severity: Severity,
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
    pub allow_regexes: Vec<Pattern>,
    /// Matches (secret with context) matching any of these are ignored.
    pub allow_match_regexes: Vec<Pattern>,
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
    /// Whether the rule finds blocks that hold other secrets' shapes: a generic multi-line
    /// rule (a PEM private key, whose base64 body may run like a token). Specific matches
    /// strictly inside its matches give way to them.
    pub fn is_block(&self) -> bool {
        self.generic && self.multiline
    }

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

    /// All the built-in rules, core and extended: what a scan runs by default.
    ///
    /// Fails only if a built-in rule file is broken, which the test suite rules out.
    pub fn builtin() -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::builtin_set(Builtin::All)
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
    let line_confined = !s.multiline && s.anchor != Anchor::Content;
    let regex = match RuleRegex::new(&s.regex, lazy, line_confined) {
        Ok((re, groups)) => {
            let available = groups.map(|g| g - 1);
            if let Some(available) = available.filter(|&a| s.secret_group > a) {
                errors.push(err(RuleErrorKind::SecretGroup { group: s.secret_group, available }));
            }
            Some(re)
        }
        Err(msg) => {
            errors.push(err(RuleErrorKind::Regex(msg)));
            None
        }
    };
    let mut compile_all = |patterns: &[String]| -> Vec<Pattern> {
        patterns
            .iter()
            .filter_map(|r| {
                if lazy {
                    return Some(Pattern::trusted(r));
                }
                Pattern::new(r).map_err(|e| errors.push(err(RuleErrorKind::AllowRegex(e)))).ok()
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
            severity: s.severity,
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
            severity: Severity::default(),
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
    fn builtin_rules_compile() {
        let set = RuleSet::builtin().expect("builtin rules compile");
        assert!(set.len() >= 20);
    }

    /// The built-in rules load lazily (their regexes and allowlist patterns compiled on first
    /// use, their secret groups not counted): compiled, every one of them names a group it
    /// has, and its allowlist patterns compile.
    #[test]
    fn builtin_rules_pass_the_checks_lazy_loading_skips() {
        for s in Builtin::All.syntax().unwrap() {
            let (id, patterns) = (
                s.id.clone(),
                [s.allowlist.regexes.clone(), s.allowlist.match_regexes.clone()].concat(),
            );
            let rule = compile_rule(s, true).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            let groups = rule.regex.get().captures_len();
            assert!(rule.secret_group < groups, "{id}: group {} of {groups}", rule.secret_group);
            for p in patterns {
                Pattern::new(&p).unwrap_or_else(|e| panic!("{id}: {p}: {e}"));
            }
        }
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
