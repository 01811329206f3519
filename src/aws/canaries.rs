//! Canary accounts: AWS accounts whose keys are tripwires. A key of one of them is reported with
//! the tag `canary` and must never be used to sign a request (every use alerts its owner).
//!
//! The built-in list is `data/aws-canaries.toml`, embedded in the binary; users extend it with
//! files in the same format.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::anatomy::AccountId;

/// The built-in canary list.
pub const BUILTIN: &str = include_str!("../../data/aws-canaries.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CanaryFile {
    #[serde(default)]
    canary: Vec<CanaryGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CanaryGroup {
    owner: String,
    accounts: Vec<String>,
}

/// A problem in a canary file.
#[derive(Debug, thiserror::Error)]
pub enum CanaryError {
    /// Not valid TOML, or unknown keys.
    #[error("cannot parse canary list: {0}")]
    Parse(String),
    /// An account that is not 12 decimal digits.
    #[error("canary list: {account:?} is not a 12-digit AWS account id")]
    Account {
        /// The offending value.
        account: String,
    },
}

/// Canary accounts and who runs them.
#[derive(Clone, Debug, Default)]
pub struct Canaries {
    accounts: BTreeMap<AccountId, String>,
}

impl Canaries {
    /// The built-in list.
    pub fn builtin() -> Result<Canaries, CanaryError> {
        let mut c = Canaries::default();
        c.extend_from_toml(BUILTIN)?;
        Ok(c)
    }

    /// Adds the accounts of a canary file (the format of `data/aws-canaries.toml`).
    pub fn extend_from_toml(&mut self, text: &str) -> Result<(), CanaryError> {
        let file: CanaryFile =
            toml::from_str(text).map_err(|e| CanaryError::Parse(e.to_string()))?;
        for group in file.canary {
            self.add(&group.owner, &group.accounts)?;
        }
        Ok(())
    }

    /// Adds canary `accounts` run by `owner`.
    pub fn add(&mut self, owner: &str, accounts: &[String]) -> Result<(), CanaryError> {
        for a in accounts {
            let id = AccountId::parse(a).ok_or(CanaryError::Account { account: a.clone() })?;
            self.accounts.insert(id, owner.to_owned());
        }
        Ok(())
    }

    /// Who runs the canary account `account`, if it is one.
    pub fn owner(&self, account: AccountId) -> Option<&str> {
        self.accounts.get(&account).map(String::as_str)
    }

    /// Number of canary accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_has_every_account_of_aws_md() {
        let c = Canaries::builtin().unwrap();
        assert_eq!(c.len(), 26);
        let thinkst = AccountId::parse("171436882533").unwrap();
        assert_eq!(c.owner(thinkst), Some("Thinkst canarytokens"));
        assert!(c.owner(AccountId::parse("982842642351").unwrap()).is_some());
        assert!(c.owner(AccountId::parse("123456789012").unwrap()).is_none());
    }

    #[test]
    fn users_extend_the_list() {
        let mut c = Canaries::builtin().unwrap();
        c.extend_from_toml("[[canary]]\nowner = \"us\"\naccounts = [\"111122223333\"]\n").unwrap();
        assert_eq!(c.owner(AccountId::parse("111122223333").unwrap()), Some("us"));
        assert_eq!(c.len(), 27);
    }

    #[test]
    fn bad_files_are_errors() {
        let mut c = Canaries::default();
        assert!(matches!(c.extend_from_toml("[[canary]]\nowner = 1"), Err(CanaryError::Parse(_))));
        assert!(matches!(c.extend_from_toml("surprise = 1"), Err(CanaryError::Parse(_))));
        let bad = "[[canary]]\nowner = \"x\"\naccounts = [\"12345\"]\n";
        assert!(matches!(c.extend_from_toml(bad), Err(CanaryError::Account { .. })));
    }
}
