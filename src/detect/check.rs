//! The rule linter behind `keysentry rules check` and the built-in rules test.
//!
//! Every example runs through the whole [`Detector`] built from all rules being checked, so a
//! rule that shadows or duplicates another is caught too. It lives above the rules, in the
//! detector's module, because it needs the detector: the rules themselves are data and
//! depend on nothing.

use super::Detector;
use crate::rules::{RuleError, RuleErrorKind, RuleSet, parse_files};

/// What `check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Rules checked.
    pub rules: usize,
    /// Positive examples run.
    pub examples: usize,
    /// Negative examples run.
    pub negative_examples: usize,
    /// Every problem found.
    pub errors: Vec<RuleError>,
}

impl CheckReport {
    /// Whether every check passed.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Lints rule files given as (name, contents): parse, compile (regexes, secret groups, ids,
/// keywords, duplicates), then every example through the detector of all the files' rules.
/// `builtin`: the files are the built-in rules, whose regexes may be larger than a
/// configuration's ([`crate::rules::REGEX_SIZE_LIMIT`]).
pub fn check_files(files: &[(&str, &str)], builtin: bool) -> CheckReport {
    let mut syntax = match parse_files(files) {
        Ok(s) => s,
        Err(errors) => return CheckReport { errors, ..CheckReport::default() },
    };
    for s in &mut syntax {
        s.builtin = builtin;
    }
    let set = match RuleSet::compile(syntax) {
        Ok(set) => set,
        Err(errors) => return CheckReport { errors, ..CheckReport::default() },
    };
    let errors: Vec<RuleError> = set
        .rules()
        .iter()
        .filter_map(|r| {
            let e = r.regex.try_compile().err()?;
            Some(RuleError { id: r.id.clone(), kind: RuleErrorKind::Regex(e) })
        })
        .collect();
    if !errors.is_empty() {
        return CheckReport { errors, ..CheckReport::default() };
    }
    check_set(set)
}

/// Runs the example checks over a compiled rule set.
pub fn check_set(set: RuleSet) -> CheckReport {
    let mut report = CheckReport { rules: set.len(), ..CheckReport::default() };
    let detector = Detector::new(set);
    let found = |text: &str| -> Vec<&str> {
        detector
            .find_all(text.as_bytes())
            .iter()
            .map(|m| detector.rules()[m.rule].id.as_str())
            .collect()
    };
    for rule in detector.rules() {
        let err = |kind| RuleError { id: rule.id.clone(), kind };
        if rule.examples.is_empty() || rule.negative_examples.is_empty() {
            report.errors.push(err(RuleErrorKind::MissingExamples));
        }
        for (index, example) in rule.examples.iter().enumerate() {
            report.examples += 1;
            let lower = example.to_ascii_lowercase();
            if !rule.keywords.iter().any(|k| lower.contains(k.as_str())) {
                report.errors.push(err(RuleErrorKind::ExampleWithoutKeyword { index }));
            }
            let ids = found(example);
            if ids != [rule.id.as_str()] {
                report
                    .errors
                    .push(err(RuleErrorKind::ExampleFindings { index, got: ids.join(", ") }));
            }
        }
        for (index, example) in rule.negative_examples.iter().enumerate() {
            report.negative_examples += 1;
            let ids = found(example);
            if !ids.is_empty() {
                report.errors.push(err(RuleErrorKind::NegativeExampleFindings {
                    index,
                    got: ids.join(", "),
                }));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = include_str!("../../fixtures/rules/demo.toml");

    #[test]
    fn a_good_file_passes() {
        let r = check_files(&[("good.toml", GOOD)], false);
        assert!(r.is_ok(), "{:?}", r.errors);
        assert_eq!((r.rules, r.examples, r.negative_examples), (1, 1, 1));
    }

    #[test]
    fn each_kind_of_example_failure_is_reported() {
        let bad = GOOD
            .replace(
                r#"examples = ["key = dmo_a1b2c3d4"]"#,
                r#"examples = ["nothing here", "DMO_ only"]"#,
            )
            .replace(
                r#"negative_examples = ["dmo_short"]"#,
                r#"negative_examples = ["dmo_zzzzzzzz"]"#,
            );
        let r = check_files(&[("bad.toml", &bad)], false);
        let msgs: Vec<String> = r.errors.iter().map(ToString::to_string).collect();
        assert!(msgs.iter().any(|m| m.contains("example 0 contains none")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("example 1 must yield exactly one")), "{msgs:?}");
        assert!(
            msgs.iter().any(|m| m.contains("negative example 0 must yield nothing")),
            "{msgs:?}"
        );
    }

    #[test]
    fn parse_errors_name_the_file() {
        let r = check_files(&[("broken.toml", "[[rules]]\nid = ")], false);
        assert!(r.errors[0].to_string().contains("broken.toml"));
    }

    #[test]
    fn missing_examples_are_an_error() {
        let none = GOOD.replace(r#"negative_examples = ["dmo_short"]"#, "");
        let r = check_files(&[("none.toml", &none)], false);
        assert!(r.errors.iter().any(|e| matches!(e.kind, RuleErrorKind::MissingExamples)));
    }
}
