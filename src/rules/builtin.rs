//! The built-in rules: the rule files embedded in the binary, core and extended, and how
//! many rules each set holds.

use super::error::RuleError;
use super::syntax::{RuleSyntax, parse_files};

/// Built-in rule files of the core set: (file name, contents). Every scan runs them and the
/// extended ones, unless its configuration chooses fewer (`[extend] only`, `--enable-rule`).
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

/// Built-in rule files of the extended set: many more token formats. They ran on request only
/// while the prefilter's cost grew with its keywords; they run by default since it does not
/// (docs/rules.md, "Core and extended rules").
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
    /// The core set ([`BUILTIN_FILES`]) alone: for programs embedding the library that want
    /// the smaller set.
    Core,
    /// The core and the extended set ([`EXTENDED_FILES`] too): what every scan runs.
    #[default]
    All,
}

impl Builtin {
    /// The rules of this choice, parsed and marked [`RuleSyntax::builtin`].
    pub fn syntax(self) -> Result<Vec<RuleSyntax>, Vec<RuleError>> {
        let mut rules = parse_files(&self.files())?;
        rules.iter_mut().for_each(|r| r.builtin = true);
        Ok(rules)
    }

    /// How many rules this choice holds, counted from the embedded files (see
    /// [`count_rules`]).
    pub const fn count(self) -> usize {
        match self {
            Builtin::Core => CORE_RULES,
            Builtin::All => CORE_RULES + EXTENDED_RULES,
        }
    }

    /// The rule files of this choice.
    pub fn files(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Builtin::Core => BUILTIN_FILES.to_vec(),
            Builtin::All => BUILTIN_FILES.iter().chain(EXTENDED_FILES).copied().collect(),
        }
    }
}

/// Number of rules in the core set, counted when keysentry is compiled.
pub const CORE_RULES: usize = count_rules(BUILTIN_FILES);

/// Number of rules in the extended set, counted when keysentry is compiled.
pub const EXTENDED_RULES: usize = count_rules(EXTENDED_FILES);

/// The number of `[[rules]]` tables in rule files: lines that are exactly `[[rules]]`, as
/// every rule file writes them (a test checks the count against the parsed rules). A `const
/// fn`, so that help texts can state counts that follow the rule files.
pub const fn count_rules(files: &[(&str, &str)]) -> usize {
    const HEADER: &[u8] = b"[[rules]]";
    let mut n = 0;
    let mut f = 0;
    while f < files.len() {
        let text = files[f].1.as_bytes();
        let mut i = 0;
        while i + HEADER.len() <= text.len() {
            let line_start = i == 0 || text[i - 1] == b'\n';
            let line_end = i + HEADER.len() == text.len()
                || text[i + HEADER.len()] == b'\n'
                || text[i + HEADER.len()] == b'\r';
            if line_start && line_end && starts_with(text, i, HEADER) {
                n += 1;
            }
            i += 1;
        }
        f += 1;
    }
    n
}

/// Whether `text[at..]` starts with `prefix` (in a `const fn`).
const fn starts_with(text: &[u8], at: usize, prefix: &[u8]) -> bool {
    let mut j = 0;
    while j < prefix.len() {
        if text[at + j] != prefix[j] {
            return false;
        }
        j += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_13_rule_counts_follow_the_rule_files() {
        assert_eq!(CORE_RULES, Builtin::Core.syntax().unwrap().len());
        assert_eq!(CORE_RULES + EXTENDED_RULES, Builtin::All.syntax().unwrap().len());
        assert_eq!(Builtin::All.count(), CORE_RULES + EXTENDED_RULES);
        let two = "[[rules]]\nid = 'a.b'\n\n[[rules]]\r\nid = 'a.c'\n# [[rules]]\n";
        assert_eq!(count_rules(&[("x.toml", two)]), 2);
    }
}
