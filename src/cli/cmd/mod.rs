//! One module per command.

pub(crate) mod audit;
pub(crate) mod aws;
#[cfg(feature = "aws")]
pub(crate) mod aws_online;
pub(crate) mod baseline;
pub(crate) mod hook;
pub(crate) mod hook_install;
pub(crate) mod merge;
pub(crate) mod rules;
pub(crate) mod scan;
pub(crate) mod triage;

use keysentry::rules::syntax::RuleSyntax;
use keysentry::rules::{RuleError, RuleSet};

/// The built-in rules, or an error listing what is broken in them (the test suite rules that
/// out; a binary built from a broken tree still says what is wrong instead of panicking).
pub(crate) fn builtin_rules() -> anyhow::Result<RuleSet> {
    RuleSet::builtin().map_err(|errs| rule_errors("built-in rules are broken", &errs))
}

/// Compiles the rules of a configuration, or says everything that is wrong with them.
pub(crate) fn compile_rules(rules: Vec<RuleSyntax>) -> anyhow::Result<RuleSet> {
    RuleSet::compile(rules).map_err(|errs| rule_errors("invalid rules", &errs))
}

pub(crate) fn rule_errors(what: &str, errs: &[RuleError]) -> anyhow::Error {
    let all: Vec<String> = errs.iter().map(ToString::to_string).collect();
    anyhow::anyhow!("{what}: {}", all.join("; "))
}

/// `n` and the noun for it, singular or plural: "1 rule", "3 rules".
pub(crate) fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
