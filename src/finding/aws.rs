//! What a finding carries about an AWS credential: [`AwsInfo`] and its value types (the key
//! id's prefix class and account, the paired secret and session token, labels, and the online
//! verdict). Plain data, with no dependency on [`crate::aws`], which computes them (offline
//! enrichment and pairing) and checks keys online (feature `aws`); reports print them with or
//! without that feature.

mod verdict;

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::Secret;
pub use verdict::{ActionResult, Detail, LeakedVerdict, OnlineVerdict, Verdict};

/// What keysentry knows, offline, about an AWS finding.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsInfo {
    /// The key id, when the finding has one (a lone secret or token has none).
    pub key_id: Option<Secret>,
    /// The key id's prefix class.
    pub prefix_class: Option<PrefixClass>,
    /// What the key id says about its account (`None` without a key id).
    pub account: Option<AccountDecode>,
    /// The secret access key paired with the key id.
    pub paired_secret: Option<Paired>,
    /// The session token paired with an `ASIA` key id.
    pub session_token: Option<Paired>,
    /// Example, canary, ours / foreign, identifier.
    pub tags: BTreeSet<AwsTag>,
    /// Who runs the canary account, for canary keys.
    pub canary_owner: Option<String>,
    /// What `scan --verify` learned from AWS about the key id (feature `aws`): the verdict
    /// and actions, as recorded in the audit log, without the key id and locations. `None`
    /// offline. Boxed: most findings have none, and a finding stays small.
    pub online: Option<Box<OnlineVerdict>>,
}

/// A value paired with a key id, and how it was paired.
#[derive(Clone, Debug, PartialEq)]
pub struct Paired {
    /// The value, decoded (percent, `\/` and base64 escapes undone).
    pub value: Secret,
    /// What tied it to the key id.
    pub by: PairedBy,
    /// How it was written.
    pub encoding: Encoding,
    /// 1-based line where it starts.
    pub line: usize,
}

/// What tied a secret or token to its key id, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedBy {
    /// Both in one `{ … }` object (JSON, HCL, a dictionary).
    Object,
    /// Both in one INI section (a `~/.aws/credentials` or `config` profile).
    Section,
    /// Both in one indented block (YAML, a Kubernetes secret's `data:`).
    Block,
    /// On the same line (a console CSV row, a URL, one-line JSON).
    SameLine,
    /// Named as a secret (or session token) elsewhere in the same content (`.env`, scripts).
    Name,
    /// Within a few lines of the key id, without a name.
    Proximity,
}

/// Labels of an AWS finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsTag {
    /// An AWS documentation example.
    Example,
    /// The key belongs to a known canary (tripwire) account: never use it.
    Canary,
    /// The account is one of the organisation's own (`--aws-account`).
    Ours,
    /// The account is not one of the organisation's own.
    Foreign,
    /// An identifier (user, role, … id), not a credential: informational.
    Identifier,
}

impl AwsTag {
    /// The tag as reports write it (the same as its JSON form).
    pub fn name(self) -> &'static str {
        match self {
            AwsTag::Example => "example",
            AwsTag::Canary => "canary",
            AwsTag::Ours => "ours",
            AwsTag::Foreign => "foreign",
            AwsTag::Identifier => "identifier",
        }
    }
}

/// How a value was written in the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// As is.
    Plain,
    /// With `%2B`, `%2F` or `%3D` escapes.
    Percent,
    /// With `\/` escapes (a JSON string).
    JsonEscaped,
    /// Base64 of the value.
    Base64,
}

/// The four-character prefix of an AWS unique id, and so what the id stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PrefixClass {
    /// Long-term access key of an IAM user or the root user.
    #[serde(rename = "AKIA")]
    Akia,
    /// Temporary (STS) access key; comes with a secret and a session token.
    #[serde(rename = "ASIA")]
    Asia,
    /// STS service bearer token, usable only with the issuing service.
    #[serde(rename = "ABIA")]
    Abia,
    /// Context-specific credential.
    #[serde(rename = "ACCA")]
    Acca,
    /// IAM user id.
    #[serde(rename = "AIDA")]
    Aida,
    /// IAM role id.
    #[serde(rename = "AROA")]
    Aroa,
    /// Instance profile id.
    #[serde(rename = "AIPA")]
    Aipa,
    /// IAM group id.
    #[serde(rename = "AGPA")]
    Agpa,
    /// Managed policy id.
    #[serde(rename = "ANPA")]
    Anpa,
    /// Managed policy version id.
    #[serde(rename = "ANVA")]
    Anva,
    /// Public key id.
    #[serde(rename = "APKA")]
    Apka,
    /// Server certificate id.
    #[serde(rename = "ASCA")]
    Asca,
}

/// Every prefix class, credentials first.
pub const ALL_CLASSES: [PrefixClass; 12] = [
    PrefixClass::Akia,
    PrefixClass::Asia,
    PrefixClass::Abia,
    PrefixClass::Acca,
    PrefixClass::Aida,
    PrefixClass::Aroa,
    PrefixClass::Aipa,
    PrefixClass::Agpa,
    PrefixClass::Anpa,
    PrefixClass::Anva,
    PrefixClass::Apka,
    PrefixClass::Asca,
];

impl PrefixClass {
    /// The class of an id by its first four characters (case-sensitive: ids are uppercase).
    pub fn of(id: &str) -> Option<PrefixClass> {
        let p = id.get(..4)?;
        ALL_CLASSES.into_iter().find(|c| c.prefix() == p)
    }

    /// The four-character prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            PrefixClass::Akia => "AKIA",
            PrefixClass::Asia => "ASIA",
            PrefixClass::Abia => "ABIA",
            PrefixClass::Acca => "ACCA",
            PrefixClass::Aida => "AIDA",
            PrefixClass::Aroa => "AROA",
            PrefixClass::Aipa => "AIPA",
            PrefixClass::Agpa => "AGPA",
            PrefixClass::Anpa => "ANPA",
            PrefixClass::Anva => "ANVA",
            PrefixClass::Apka => "APKA",
            PrefixClass::Asca => "ASCA",
        }
    }

    /// Whether ids of this class are credentials (secret material goes with them) rather than
    /// identifiers of IAM entities.
    pub fn is_credential(self) -> bool {
        matches!(
            self,
            PrefixClass::Akia | PrefixClass::Asia | PrefixClass::Abia | PrefixClass::Acca
        )
    }

    /// What ids of this class are, for people.
    pub fn describe(self) -> &'static str {
        match self {
            PrefixClass::Akia => "long-term access key (IAM user or root)",
            PrefixClass::Asia => "temporary access key (STS; needs a session token)",
            PrefixClass::Abia => "STS service bearer token",
            PrefixClass::Acca => "context-specific credential",
            PrefixClass::Aida => "IAM user id (identifier, not a secret)",
            PrefixClass::Aroa => "IAM role id (identifier, not a secret)",
            PrefixClass::Aipa => "instance profile id (identifier, not a secret)",
            PrefixClass::Agpa => "IAM group id (identifier, not a secret)",
            PrefixClass::Anpa => "managed policy id (identifier, not a secret)",
            PrefixClass::Anva => "managed policy version id (identifier, not a secret)",
            PrefixClass::Apka => "public key id (identifier, not a secret)",
            PrefixClass::Asca => "server certificate id (identifier, not a secret)",
        }
    }
}

impl fmt::Display for PrefixClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// A 12-digit AWS account number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(u64);

impl AccountId {
    /// The largest account number (12 decimal digits).
    pub const MAX: u64 = 999_999_999_999;

    /// An account number, if it has at most 12 digits.
    pub fn new(n: u64) -> Option<AccountId> {
        (n <= AccountId::MAX).then_some(AccountId(n))
    }

    /// Parses exactly 12 decimal digits.
    pub fn parse(s: &str) -> Option<AccountId> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().and_then(AccountId::new)
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:012}", self.0)
    }
}

impl Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the id says about its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountDecode {
    /// A new-format id: the account is encoded in it.
    Decoded(AccountId),
    /// An old-format id (generation flag clear, typically created before 2019): the account is
    /// not in the id; only `sts:GetAccessKeyInfo` can tell it.
    NotEncoded,
    /// Not a well-formed id: wrong length, unknown prefix, or characters outside base32.
    Malformed,
}

impl AccountDecode {
    /// Why there is no account, for people; `None` when there is one.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            AccountDecode::Decoded(_) => None,
            AccountDecode::NotEncoded => Some("not encoded (old-format id)"),
            AccountDecode::Malformed => Some("not a well-formed id"),
        }
    }

    /// The account, if decoded.
    pub fn account(self) -> Option<AccountId> {
        match self {
            AccountDecode::Decoded(a) => Some(a),
            _ => None,
        }
    }
}
