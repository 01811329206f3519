//! AWS documentation example credentials: recognised so that they are not reported as leaks
//! (unless the user asks for them with `--include-examples`).

/// Example key ids from AWS documentation that do not end in `EXAMPLE`.
const EXAMPLE_IDS: &[&str] = &[
    // Old-format ids used in IAM and CLI documentation pages.
    "AKIAJSIE27KKMHXI3BJQ",
    "AKIAI44QH8DHBEXAMPLE",
];

/// Example secret access keys from AWS documentation that do not contain `EXAMPLE`.
const EXAMPLE_SECRETS: &[&str] = &[];

/// Whether `id` is an AWS documentation example key id: it ends in `EXAMPLE`
/// (`AKIAIOSFODNN7EXAMPLE`, `ASIAIOSFODNN7EXAMPLE`, …) or is one of the other examples that
/// AWS pages use.
pub fn is_example_key_id(id: &str) -> bool {
    id.ends_with("EXAMPLE") || EXAMPLE_IDS.contains(&id)
}

/// Whether `secret` is an AWS documentation example secret or session token: AWS writes
/// `EXAMPLE` into every one of them (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
/// `je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY`, tokens with `EXAMPLE` in the middle).
pub fn is_example_secret(secret: &str) -> bool {
    secret.contains("EXAMPLE") || EXAMPLE_SECRETS.contains(&secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_examples_are_recognised() {
        assert!(is_example_key_id("AKIAIOSFODNN7EXAMPLE"));
        assert!(is_example_key_id("ASIAIOSFODNN7EXAMPLE"));
        assert!(is_example_key_id(&["AKIA", "JSIE27KKMHXI3BJQ"].concat()));
        assert!(is_example_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(is_example_secret("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"));
    }

    #[test]
    fn ordinary_keys_are_not_examples() {
        assert!(!is_example_key_id(&["AKIA", "Y34FZKBOKMUTVV7A"].concat()));
        assert!(!is_example_key_id("AKIAEXAMPLEQQQQQQQQQ"));
        assert!(!is_example_secret(&["MFxFkM/R5Kjp1vRt", "+1fjORS/6ilI8ihN5KXSc7Tv"].concat()));
    }
}
