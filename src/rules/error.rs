//! What can be wrong with a rule.

use super::MIN_KEYWORD_LEN;

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
