//! AWS credentials understood offline: what a key id is and whose account it belongs to
//! ([`anatomy`]), documentation examples ([`examples`]), canary accounts ([`canaries`]), and
//! the pairing of key ids with their secrets and session tokens by file structure and proximity
//! (`pairing`, run by [`enrich`], the pipeline's AWS step). Nothing here touches the network, except [`online`] (cargo feature `aws`):
//! owner-side checks, deactivation and reactivation, recorded in the [`audit`] log.

pub mod anatomy;
pub mod audit;
pub mod canaries;
pub mod candidates;
pub mod enrich;
pub mod examples;
#[cfg(feature = "aws")]
pub mod online;
mod pairing;
pub mod structure;

use std::collections::BTreeSet;

use serde::Serialize;

pub use crate::finding::aws::{
    AccountDecode, AccountId, AwsInfo, AwsTag, Encoding, Paired, PairedBy, PrefixClass,
};
pub use canaries::Canaries;
pub use enrich::{AwsEnricher, IDENTIFIER_RULE};

/// Whether some kind of finding is reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Include {
    /// Left out of the report (the default).
    #[default]
    No,
    /// Reported.
    Yes,
}

/// How AWS findings are enriched and filtered.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    /// Identifiers (`AIDA`, `AROA`, …) as informational findings.
    pub identifiers: Include,
    /// AWS documentation examples.
    pub examples: Include,
    /// Canary accounts.
    pub canaries: Canaries,
    /// The organisation's own accounts: findings are tagged `ours` or `foreign` when this is
    /// not empty.
    pub own_accounts: BTreeSet<AccountId>,
}

impl AwsOptions {
    /// Defaults with the built-in canary list.
    pub fn with_builtin_canaries() -> AwsOptions {
        // The built-in list is tested; should it ever fail to parse, scanning still works.
        AwsOptions { canaries: Canaries::builtin().unwrap_or_default(), ..AwsOptions::default() }
    }
}

/// Whether a finding is informational only (an AWS identifier): reported, but not a leak.
pub fn is_informational(f: &crate::finding::Finding) -> bool {
    f.aws.as_ref().is_some_and(|a| a.tags.contains(&AwsTag::Identifier))
}

/// Everything `keysentry aws inspect` says about one id, offline. `Debug` redacts the id.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The id as given.
    pub id: String,
    /// Why it is not a well-formed AWS id, if it is not.
    pub malformed: Option<String>,
    /// The prefix class.
    pub prefix_class: Option<PrefixClass>,
    /// What the class means.
    pub class_description: Option<&'static str>,
    /// Whether the id is a credential (vs an identifier).
    pub credential: bool,
    /// The decoded account.
    pub account_id: Option<AccountId>,
    /// Why there is no account.
    pub account_id_reason: Option<&'static str>,
    /// `new` (account encoded) or `old`.
    pub generation: Option<&'static str>,
    /// Labels.
    pub tags: BTreeSet<AwsTag>,
    /// Who runs the canary account.
    pub canary_owner: Option<String>,
}

impl std::fmt::Debug for Inspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspection")
            .field("id", &crate::finding::redacted(&self.id))
            .field("malformed", &self.malformed.is_some())
            .field("prefix_class", &self.prefix_class)
            .field("credential", &self.credential)
            .field("account_id", &self.account_id)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// Explains one id offline.
pub fn inspect(id: &str, options: &AwsOptions) -> Inspection {
    let id = id.trim();
    let class = PrefixClass::of(id);
    let decode = anatomy::decode_account(id);
    let malformed = anatomy::malformation(id);
    let mut tags = tags_for(id, decode, options);
    if class.is_some_and(|c| !c.is_credential()) {
        tags.insert(AwsTag::Identifier);
    }
    Inspection {
        id: id.to_owned(),
        prefix_class: class,
        class_description: class.map(PrefixClass::describe),
        credential: class.is_some_and(PrefixClass::is_credential),
        account_id: decode.account(),
        account_id_reason: decode.reason(),
        generation: match decode {
            AccountDecode::Decoded(_) => Some("new"),
            AccountDecode::NotEncoded => Some("old"),
            AccountDecode::Malformed => None,
        },
        canary_owner: decode.account().and_then(|a| options.canaries.owner(a)).map(str::to_owned),
        malformed,
        tags,
    }
}

/// Example, canary and ours / foreign tags of a key id.
fn tags_for(id: &str, decode: AccountDecode, options: &AwsOptions) -> BTreeSet<AwsTag> {
    let mut tags = BTreeSet::new();
    if examples::is_example_key_id(id) {
        tags.insert(AwsTag::Example);
    }
    if let Some(a) = decode.account() {
        if options.canaries.owner(a).is_some() {
            tags.insert(AwsTag::Canary);
        }
        if !options.own_accounts.is_empty() {
            tags.insert(if options.own_accounts.contains(&a) {
                AwsTag::Ours
            } else {
                AwsTag::Foreign
            });
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_explains_ids() {
        let mut options = AwsOptions::with_builtin_canaries();
        let own = AccountId::parse("609629065308").unwrap();
        options.own_accounts.insert(own);
        let ours = inspect(&["ASIA", "Y34FZKBOKMUTVV7A"].concat(), &options);
        assert_eq!(ours.prefix_class, Some(PrefixClass::Asia));
        assert_eq!(ours.account_id, Some(own));
        assert_eq!(ours.generation, Some("new"));
        assert!(ours.credential);
        assert_eq!(ours.tags, BTreeSet::from([AwsTag::Ours]));

        let canary = inspect(&["AKIA", "SP2TPHJSQH3FJRUX"].concat(), &options);
        assert_eq!(canary.tags, BTreeSet::from([AwsTag::Canary, AwsTag::Foreign]));
        assert_eq!(canary.canary_owner.as_deref(), Some("Thinkst canarytokens"));

        let example = inspect("AKIAIOSFODNN7EXAMPLE", &options);
        assert_eq!(example.generation, Some("old"));
        assert_eq!(example.account_id_reason, Some("not encoded (old-format id)"));
        assert_eq!(example.tags, BTreeSet::from([AwsTag::Example]));

        let role = inspect(&["AROA", "Y34FZKBOKMUTVV7A"].concat(), &options);
        assert!(!role.credential);
        assert!(role.tags.contains(&AwsTag::Identifier));

        let bad = inspect("akia", &options);
        assert!(bad.malformed.is_some());
        assert_eq!(bad.generation, None);
    }
}

#[cfg(test)]
mod issue_12_debug {
    use super::*;
    use crate::finding::Secret;

    #[test]
    fn issue_12_inspection_debug_redacts_the_id() {
        let key_id = format!("AKIA{}", ["Z7VX", "WQ2R", "5TYU", "3MNB"].concat());
        let i = inspect(&key_id, &AwsOptions::default());
        let debug = format!("{i:?}");
        assert!(!debug.contains(&key_id), "{debug}");
    }

    #[test]
    fn issue_12_aws_info_debug_shows_no_secret() {
        let key_id = format!("AKIA{}", ["Z7VX", "WQ2R", "5TYU", "3MNB"].concat());
        let secret = ["Zq9Xw7Vv5Tt3", "Rr1Pp0Oo9Nn8", "Mm7Ll6Kk5Jj4Hh3Gg2Ff1"].concat();
        let paired = Paired {
            value: Secret::new(secret.clone()),
            by: PairedBy::SameLine,
            encoding: Encoding::Plain,
            line: 1,
        };
        let info = AwsInfo {
            key_id: Some(Secret::new(key_id.clone())),
            prefix_class: None,
            account: None,
            paired_secret: Some(paired.clone()),
            session_token: Some(paired),
            tags: BTreeSet::new(),
            canary_owner: None,
            online: None,
        };
        let debug = format!("{info:?}");
        assert!(!debug.contains(&key_id) && !debug.contains(&secret), "{debug}");
    }
}
