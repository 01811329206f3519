//! The built-in rules, core and extended, pass `detect::check`, the linter behind `keysentry
//! rules check`: every pattern compiles, ids are unique, and every example behaves through the
//! full detector (with all the built-in rules loaded, so that each example is found by its own
//! rule alone and no negative example by any).

use keysentry::detect::check;
use keysentry::rules::{Builtin, RuleSet};

#[test]
fn builtin_rules_pass_the_linter() {
    let report = check::check_files(&Builtin::All.files(), true);
    let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let builtin = RuleSet::builtin_set(Builtin::All).expect("built-in rules compile");
    assert_eq!(report.rules, builtin.len());
    // Every rule has at least one positive and one negative example.
    assert!(report.examples >= report.rules);
    assert!(report.negative_examples >= report.rules);
}

#[test]
fn the_rules_named_in_the_documentation_exist() {
    let builtin = RuleSet::builtin().expect("built-in rules compile");
    let ids: Vec<&str> = builtin.rules().iter().map(|r| r.id.as_str()).collect();
    for id in [
        "aws.access_key_id",
        "aws.secret_access_key",
        "github.pat_classic",
        "private_key.pem",
        "generic.secret",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

/// Rule id prefixes that name a format shared by many services rather than a provider.
const FORMATS: &[&str] = &[
    "database",
    "generic",
    "htpasswd",
    "jwt",
    "kubernetes",
    "netrc",
    "npmrc",
    "private_key",
    "pypirc",
    "url",
];

#[test]
fn the_core_rules_are_a_subset_of_all() {
    let core = RuleSet::builtin_set(Builtin::Core).expect("core rules compile");
    let all = RuleSet::builtin_set(Builtin::All).expect("built-in rules compile");
    assert!(core.len() < all.len());
    for r in core.rules() {
        assert!(all.rules().iter().any(|a| a.id == r.id), "{} is core only", r.id);
    }
}

#[test]
fn the_builtin_rules_are_broad_and_each_has_proof() {
    let builtin = RuleSet::builtin_set(Builtin::All).expect("built-in rules compile");
    let rules = builtin.rules();
    assert!(rules.len() >= 150, "{} rules", rules.len());
    let mut providers: Vec<&str> = rules
        .iter()
        .map(|r| r.id.split('.').next().unwrap_or_default())
        .filter(|p| !FORMATS.contains(p))
        .collect();
    providers.sort_unstable();
    providers.dedup();
    assert!(providers.len() >= 100, "{} providers: {providers:?}", providers.len());
    for r in rules {
        // Built-in regexes compile on first use: make sure each one does.
        assert!(r.regex.get().captures_len() > r.secret_group, "{}", r.id);
        assert!(r.examples.len() >= 2, "{}: fewer than two examples", r.id);
        assert!(r.negative_examples.len() >= 2, "{}: fewer than two negative examples", r.id);
        assert!(!r.references.is_empty(), "{}: no reference to the documented format", r.id);
    }
}
