//! What a record is about ([`Action`]) and what it says happened ([`Outcome`]), written as
//! the text the log has always held, so that logs written before they were types verify.

use serde::{Deserialize, Serialize};

/// What a record is about (`action` in the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The owner-side check (`check`).
    Check,
    /// The check signed with the leaked pair (`verify-leaked`).
    VerifyLeaked,
    /// Setting the key inactive (`deactivate`).
    Deactivate,
    /// Setting the key active again (`reactivate`).
    Reactivate,
    /// Attaching the quarantine policy to the key's user (`quarantine`).
    Quarantine,
}

/// What a record says happened (`result` in the log): written as the text logs have always
/// held, so that old logs read, and verify, as before.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// About to call AWS (`intent`): written, and synced, before the call.
    Intent,
    /// Done and confirmed (`done`).
    Done,
    /// Not done: a dry run (`dry-run`).
    DryRun,
    /// Nothing to do (`unchanged`).
    Unchanged,
    /// Owner-side verdicts: `active`, `inactive`, `not_found`, `foreign`, `canary`, `root`,
    /// `temporary`, `not_an_access_key`.
    Active,
    /// `inactive`.
    Inactive,
    /// `not_found`.
    NotFound,
    /// `foreign`.
    Foreign,
    /// `canary`.
    Canary,
    /// `root`.
    Root,
    /// `temporary`.
    Temporary,
    /// `not_an_access_key`.
    NotAnAccessKey,
    /// Leaked-pair verdicts: `live`, `invalid`, `expired`.
    Live,
    /// `invalid`.
    Invalid,
    /// `expired`.
    Expired,
    /// It failed: `error: <why>`, or `error` alone (a failed leaked-pair check).
    Error(Option<String>),
}

const OUTCOMES: [(Outcome, &str); 15] = [
    (Outcome::Intent, "intent"),
    (Outcome::Done, "done"),
    (Outcome::DryRun, "dry-run"),
    (Outcome::Unchanged, "unchanged"),
    (Outcome::Active, "active"),
    (Outcome::Inactive, "inactive"),
    (Outcome::NotFound, "not_found"),
    (Outcome::Foreign, "foreign"),
    (Outcome::Canary, "canary"),
    (Outcome::Root, "root"),
    (Outcome::Temporary, "temporary"),
    (Outcome::NotAnAccessKey, "not_an_access_key"),
    (Outcome::Live, "live"),
    (Outcome::Invalid, "invalid"),
    (Outcome::Expired, "expired"),
];

impl Outcome {
    /// An error with its reason.
    pub fn error(why: impl Into<String>) -> Outcome {
        Outcome::Error(Some(why.into()))
    }

    /// The text the log holds.
    pub fn as_text(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Outcome::Error(None) => "error".into(),
            Outcome::Error(Some(why)) => format!("error: {why}").into(),
            other => OUTCOMES.iter().find(|(o, _)| o == other).map_or("", |(_, t)| t).into(),
        }
    }

    /// Reads the text the log holds.
    pub fn parse(text: &str) -> Option<Outcome> {
        if text == "error" {
            return Some(Outcome::Error(None));
        }
        if let Some(why) = text.strip_prefix("error: ") {
            return Some(Outcome::error(why));
        }
        OUTCOMES.iter().find(|(_, t)| *t == text).map(|(o, _)| o.clone())
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_text())
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Outcome, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Outcome::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown result {text:?}")))
    }
}
