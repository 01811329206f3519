//! `keysentry rules check` and `keysentry rules list`, and every built-in rule's examples
//! through `keysentry scan`.

use crate::common;

use std::collections::BTreeMap;

use common::{TestEnv, finding_path, rule_id};
use keysentry::rules::{Builtin, RuleSet};

/// A valid rule file (the token shape is made up and matches nothing real).
const GOOD_RULES: &str = include_str!("../../fixtures/rules/demo.toml");

#[test]
fn builtin_rules_check_ok() {
    let env = TestEnv::new();
    let run = env.run(&["rules", "check"]);
    run.assert_code(0);
    let builtin = RuleSet::builtin_set(Builtin::All).expect("built-in rules compile");
    let examples: usize = builtin.rules().iter().map(|r| r.examples.len()).sum();
    let negative: usize = builtin.rules().iter().map(|r| r.negative_examples.len()).sum();
    assert_eq!(
        run.stdout,
        format!(
            "built-in rules: {} rules, {examples} examples, {negative} negative examples: ok\n",
            builtin.len()
        )
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn a_good_rule_file_checks_ok() {
    let env = TestEnv::new();
    env.write("good.toml", GOOD_RULES);
    let run = env.run(&["rules", "check", "good.toml"]);
    run.assert_code(0);
    // Singular or plural wording alike.
    let text = run.stdout.replace("rules", "rule").replace("examples", "example");
    assert_eq!(text, "good.toml: 1 rule, 1 example, 1 negative example: ok\n");
}

#[test]
fn a_rule_file_with_a_bad_regex_exits_2() {
    let env = TestEnv::new();
    env.write("bad.toml", GOOD_RULES.replace("{8}", "{8"));
    let run = env.run(&["rules", "check", "bad.toml"]);
    run.assert_code(2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("keysentry: error: rule demo.token: invalid regex"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("unclosed counted repetition"), "{}", run.stderr);
    assert!(run.stderr.contains("keysentry: error: bad.toml: 1 problem"), "{}", run.stderr);
}

#[test]
fn a_rule_file_whose_examples_fail_exits_2_naming_each_problem() {
    let env = TestEnv::new();
    let bad = GOOD_RULES
        .replace(r#"examples = ["key = dmo_a1b2c3d4"]"#, r#"examples = ["nothing here"]"#)
        .replace(r#"negative_examples = ["dmo_short"]"#, r#"negative_examples = ["dmo_zzzzzzzz"]"#);
    env.write("examples.toml", bad);
    let run = env.run(&["rules", "check", "examples.toml"]);
    run.assert_code(2);
    for message in [
        "rule demo.token: example 0 contains none",
        "rule demo.token: example 0 must yield exactly one",
        "rule demo.token: negative example 0 must yield nothing",
        "examples.toml: 3 problems",
    ] {
        assert!(run.stderr.contains(message), "{message:?} not in:\n{}", run.stderr);
    }
}

#[test]
fn a_rule_file_that_is_not_toml_or_has_unknown_keys_exits_2() {
    let env = TestEnv::new();
    env.write("broken.toml", "[[rules]]\nid = ");
    env.write("unknown.toml", GOOD_RULES.replace("description", "descripton"));
    for (file, message) in
        [("broken.toml", "cannot parse broken.toml"), ("unknown.toml", "descripton")]
    {
        let run = env.run(&["rules", "check", file]);
        run.assert_code(2);
        assert!(run.stderr.contains(message), "{file}: {}", run.stderr);
    }
}

#[test]
fn a_missing_rule_file_exits_2() {
    let env = TestEnv::new();
    let run = env.run(&["rules", "check", "nope.toml"]);
    run.assert_code(2);
    assert!(run.stderr.contains("keysentry: error: cannot read nope.toml"), "{}", run.stderr);
}

#[test]
fn rules_list_shows_every_builtin_rule() {
    let env = TestEnv::new();
    let builtin = RuleSet::builtin_set(Builtin::All).unwrap();
    let core = RuleSet::builtin_set(Builtin::Core).unwrap();

    let run = env.run(&["rules", "list"]);
    run.assert_code(0);
    assert_eq!(run.stdout.lines().count(), builtin.len());
    for id in ["aws.access_key_id", "aws.secret_access_key", "github.pat_classic"] {
        assert!(run.stdout.lines().any(|l| l.starts_with(id)), "{id}: {}", run.stdout);
    }

    let run = env.run(&["rules", "list", "--format", "json"]);
    run.assert_code(0);
    let list: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let ids: Vec<&str> = list.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let expected: Vec<&str> = builtin.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, expected);
    for r in &list {
        let is_core = core.rules().iter().any(|c| c.id == r["id"].as_str().unwrap());
        assert_eq!(r["set"], if is_core { "core" } else { "extended" }, "{r}");
        assert!(r["keywords"].as_array().is_some_and(|k| !k.is_empty()), "{r}");
        assert!(r["description"].as_str().is_some_and(|d| !d.is_empty()), "{r}");
    }
}

/// Each core rule's examples through a default scan.
#[test]
fn every_core_example_through_scan() {
    examples_through_scan(Builtin::Core, &[]);
}

/// Each built-in rule's examples, core and extended, through a default scan.
#[test]
fn every_builtin_example_through_scan() {
    examples_through_scan(Builtin::All, &[]);
}

/// `--extended-rules` is kept for the scripts that pass it: the same findings as without it,
/// and one warning saying it does nothing.
#[test]
fn extended_rules_is_a_no_op_that_warns_once() {
    let env = TestEnv::new();
    // An extended rule's own example: found by a default scan.
    let all = RuleSet::builtin_set(Builtin::All).expect("built-in rules compile");
    let core = RuleSet::builtin_set(Builtin::Core).expect("built-in rules compile");
    let extended = all
        .rules()
        .iter()
        .find(|r| !core.rules().iter().any(|c| c.id == r.id) && r.id.starts_with("slack."))
        .or_else(|| all.rules().iter().find(|r| !core.rules().iter().any(|c| c.id == r.id)))
        .expect("an extended rule");
    env.write("x.txt", format!("{}\n", extended.examples[0]));
    let plain = env.scan_json(&["."]);
    plain.assert_code(1);
    assert_eq!(
        plain.findings().iter().map(|f| rule_id(f)).collect::<Vec<_>>(),
        [extended.id.as_str()]
    );
    assert!(!plain.stderr.contains("--extended-rules"), "{}", plain.stderr);
    let flagged = env.scan_json(&["--extended-rules", "."]);
    flagged.assert_code(1);
    assert_eq!(flagged.findings(), plain.findings());
    assert_eq!(
        flagged.stderr.matches("--extended-rules does nothing").count(),
        1,
        "{}",
        flagged.stderr
    );
    // The configuration key likewise.
    env.write(".keysentry.toml", "[extend]\nextended = true\n");
    let configured = env.scan_json(&["."]);
    assert_eq!(configured.findings(), plain.findings());
    assert_eq!(
        configured.stderr.matches("extend.extended does nothing").count(),
        1,
        "{}",
        configured.stderr
    );
}

/// A smaller set, for those who want one: `--enable-rule` (ids and globs, as gitleaks') and
/// `only` in `[extend]`; a pattern that names no rule is an error, not a silent empty scan.
#[test]
fn a_smaller_rule_set_is_chosen_by_id_or_glob() {
    let env = TestEnv::new();
    env.write("keys.env", format!("aws_access_key_id = {}\n", common::secrets::aws_key_id()));
    env.write("pat.txt", format!("{}\n", common::secrets::github_pat()));
    let ids = |args: &[&str]| -> Vec<String> {
        let run = env.scan_json(args);
        let mut ids: Vec<String> = run.findings().iter().map(|f| rule_id(f).to_owned()).collect();
        ids.sort();
        ids
    };
    let everything = ids(&["."]);
    assert!(
        everything.iter().any(|i| i.starts_with("aws."))
            && everything.iter().any(|i| i.starts_with("github.")),
        "{everything:?}"
    );
    assert!(ids(&["--enable-rule", "aws.*", "."]).iter().all(|i| i.starts_with("aws.")));
    assert!(ids(&["--enable-rule", "github.*", "."]).iter().all(|i| i.starts_with("github.")));
    let both = ids(&["--enable-rule", "aws.*", "--enable-rule", "github.*", "."]);
    assert_eq!(both, everything);
    let run = env.run(&["scan", "--enable-rule", "awz.*", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("--enable-rule") && run.stderr.contains("awz.*"), "{}", run.stderr);
    env.write(".keysentry.toml", "[extend]\nonly = [\"github.*\"]\n");
    assert!(ids(&["."]).iter().all(|i| i.starts_with("github.")));
}

/// Writes the examples of the `which` rules as files and scans them with the binary (walk,
/// reader, pipeline, report): every positive example yields exactly one finding, of its rule;
/// no negative example yields anything.
fn examples_through_scan(which: Builtin, args: &[&str]) {
    let env = TestEnv::new();
    let builtin = RuleSet::builtin_set(which).expect("built-in rules compile");
    let mut expected: BTreeMap<String, &str> = BTreeMap::new();
    let mut negatives = 0;
    for rule in builtin.rules() {
        for (i, example) in rule.examples.iter().enumerate() {
            let path = format!("positive/{}/{i}.txt", rule.id);
            env.write(&path, example);
            expected.insert(path, &rule.id);
        }
        for (i, example) in rule.negative_examples.iter().enumerate() {
            env.write(&format!("negative/{}/{i}.txt", rule.id), example);
            negatives += 1;
        }
    }
    assert!(expected.len() >= builtin.len());

    // Identifiers are reported only on request (aws.identifier's examples are ids).
    let mut scan_args = args.to_vec();
    scan_args.extend(["--include-identifiers", "."]);
    let run = env.scan_json(&scan_args);
    run.assert_code(1);
    let findings = run.findings();
    let mut found: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for f in &findings {
        found.entry(finding_path(f).to_owned()).or_default().push(rule_id(f));
    }
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(path, id)| found.get(*path).map(Vec::as_slice) != Some(&[**id][..]))
        .map(|(path, id)| format!("{path}: want [{id}], got {:?}", found.get(path)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    let unexpected: Vec<&String> = found.keys().filter(|p| !expected.contains_key(*p)).collect();
    assert!(unexpected.is_empty(), "negative examples with findings: {unexpected:?}");
    assert_eq!(run.json()["stats"]["scanned"], expected.len() + negatives);
}
