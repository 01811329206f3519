//! What an online check said about a key, as a finding carries it: the owner-side [`Verdict`],
//! the check signed with the leaked pair ([`LeakedVerdict`]), what an action did
//! ([`ActionResult`]), and the [`Detail`] texts of all three, which may name the key id and so
//! hold it as a [`Secret`].

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::finding::Secret;

/// Text about one key that may name its key id (an AWS error message, "would set … Inactive").
///
/// The key id is held as a [`Secret`] part, not as text: `Display`, `Debug` and `Serialize`
/// write it redacted; [`Detail::expose`] and [`Detail::exposed`] write it in full, where the
/// user asked to see secrets (or named the key themselves, as `aws identify` does).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Detail(Vec<Part>);

#[derive(Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    KeyId(Secret),
}

impl Detail {
    /// Text that names no key id.
    pub fn text(text: impl Into<String>) -> Detail {
        Detail(vec![Part::Text(text.into())])
    }

    /// A message about `key_id` composed elsewhere (AWS's own error messages name the key):
    /// each place it names `key_id` becomes a key-id part.
    pub fn about(message: &str, key_id: &str) -> Detail {
        let mut d = Detail::default();
        let mut rest = message;
        while !key_id.is_empty()
            && let Some(at) = rest.find(key_id)
        {
            d = d.then(&rest[..at]).key_id(key_id);
            rest = &rest[at + key_id.len()..];
        }
        d.then(rest)
    }

    /// This text followed by `text`.
    pub fn then(mut self, text: &str) -> Detail {
        if !text.is_empty() {
            self.0.push(Part::Text(text.to_owned()));
        }
        self
    }

    /// This text followed by the key id.
    pub fn key_id(mut self, key_id: &str) -> Detail {
        self.0.push(Part::KeyId(Secret::new(key_id)));
        self
    }

    /// The text with the key id in full. Call only where the user asked to see secrets.
    pub fn expose(&self) -> String {
        self.render(|s| Cow::Borrowed(s.expose()))
    }

    /// The text with the key id redacted (what `Display` and `Serialize` write).
    pub fn redacted(&self) -> String {
        self.render(|s| Cow::Owned(s.redacted()))
    }

    /// The same text with the key id turned into plain text, so that it is written in full.
    pub fn exposed(&self) -> Detail {
        Detail::text(self.expose())
    }

    fn render<'a>(&'a self, key_id: impl Fn(&'a Secret) -> Cow<'a, str>) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Part::Text(t) => Cow::Borrowed(t.as_str()),
                Part::KeyId(s) => key_id(s),
            })
            .collect()
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for Detail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

/// Read back as plain text: what was serialized had its key id redacted already (a datastore's
/// stored verdict), and stays so.
impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Detail, D::Error> {
        String::deserialize(d).map(Detail::text)
    }
}

/// What the owner-side check says about a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    /// The key works: it is active in an own account.
    Active,
    /// The key exists and is inactive.
    Inactive,
    /// The owning account is ours but the key no longer exists (deleted).
    NotFound,
    /// The key belongs to an account that is not ours: not checked further.
    Foreign,
    /// The key belongs to a canary account: never checked.
    Canary,
    /// The key belongs to the account's root user: IAM cannot manage it.
    Root,
    /// A temporary (`ASIA`) key: it expires; IAM cannot deactivate it.
    Temporary,
    /// A prefix IAM keys do not have (`ABIA`, `ACCA`, …): nothing to check.
    NotAnAccessKey,
    /// The check failed.
    Error(Detail),
}

/// What a request signed with the leaked pair said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum LeakedVerdict {
    /// The pair works; the identity it belongs to.
    Live(Detail),
    /// Unknown, deleted or inactive key, or a wrong secret.
    Invalid(Detail),
    /// An expired temporary key.
    Expired,
    /// The call failed for another reason.
    Error(Detail),
}

/// What an action did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum ActionResult {
    /// Dry run: what would be done.
    DryRun(Detail),
    /// Done and confirmed.
    Done(Detail),
    /// Nothing to do: already in the wanted state.
    Unchanged(Detail),
    /// Not done, and what to do instead.
    Refused(Detail),
    /// It failed.
    Failed(Detail),
}

/// Everything an online run found out about one key, without the key id and where it was
/// found (a finding has both): the verdict, as recorded in the audit log, and the actions.
///
/// Serializes to the `aws.online` object of the JSON report, with the key id redacted in the
/// details; [`OnlineVerdict::exposed`] gives the form that writes it in full. Deserializes from
/// that object (a datastore's stored verdict), details as the plain, redacted text they were.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineVerdict {
    /// The account `sts:GetAccessKeyInfo` gave.
    pub account: Option<String>,
    /// The account decoded offline from the id (`None` for old-format ids).
    pub decoded_account: Option<String>,
    /// The account is the operator's (current or configured).
    pub own: bool,
    /// The IAM user owning the key.
    pub user: Option<String>,
    /// When the key was last used, and for what.
    pub last_used: Option<String>,
    /// The quarantine policy (any version) is attached to the user.
    pub quarantined: bool,
    /// The owner-side verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The check signed with the leaked pair, when asked for.
    pub leaked: Option<LeakedVerdict>,
    /// Deactivation or reactivation.
    pub action: Option<ActionResult>,
    /// Quarantine.
    pub quarantine: Option<ActionResult>,
}

impl OnlineVerdict {
    /// A verdict with nothing learned yet.
    pub fn new(verdict: Verdict) -> OnlineVerdict {
        OnlineVerdict {
            account: None,
            decoded_account: None,
            own: false,
            user: None,
            last_used: None,
            quarantined: false,
            verdict,
            leaked: None,
            action: None,
            quarantine: None,
        }
    }

    /// Whether the check, or an action, failed.
    pub fn failed(&self) -> bool {
        matches!(self.verdict, Verdict::Error(_))
            || matches!(self.action, Some(ActionResult::Failed(_)))
            || matches!(self.quarantine, Some(ActionResult::Failed(_)))
    }

    /// The same verdict with every detail's key id turned into plain text: it serializes with
    /// the key id in full. For reports that show secrets.
    pub fn exposed(&self) -> OnlineVerdict {
        let verdict = match &self.verdict {
            Verdict::Error(d) => Verdict::Error(d.exposed()),
            other => other.clone(),
        };
        let leaked = self.leaked.as_ref().map(|l| match l {
            LeakedVerdict::Live(d) => LeakedVerdict::Live(d.exposed()),
            LeakedVerdict::Invalid(d) => LeakedVerdict::Invalid(d.exposed()),
            LeakedVerdict::Expired => LeakedVerdict::Expired,
            LeakedVerdict::Error(d) => LeakedVerdict::Error(d.exposed()),
        });
        OnlineVerdict {
            verdict,
            leaked,
            action: self.action.as_ref().map(ActionResult::exposed),
            quarantine: self.quarantine.as_ref().map(ActionResult::exposed),
            ..self.clone()
        }
    }
}

impl ActionResult {
    /// The detail, whatever the result.
    pub fn detail(&self) -> &Detail {
        match self {
            ActionResult::DryRun(d)
            | ActionResult::Done(d)
            | ActionResult::Unchanged(d)
            | ActionResult::Refused(d)
            | ActionResult::Failed(d) => d,
        }
    }

    fn exposed(&self) -> ActionResult {
        let d = self.detail().exposed();
        match self {
            ActionResult::DryRun(_) => ActionResult::DryRun(d),
            ActionResult::Done(_) => ActionResult::Done(d),
            ActionResult::Unchanged(_) => ActionResult::Unchanged(d),
            ActionResult::Refused(_) => ActionResult::Refused(d),
            ActionResult::Failed(_) => ActionResult::Failed(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_id() -> String {
        format!("AKIA{}", ["Z7VX", "WQ2R", "5TYU", "3MNB"].concat())
    }

    #[test]
    fn issue_13_details_hold_the_key_id_as_a_secret() {
        let id = key_id();
        let aws = format!("The Access Key with id {id} cannot be found ({id}).");
        let d = Detail::about(&aws, &id);
        assert_eq!(d.expose(), aws);
        let hidden = format!("AKIA{}", "*".repeat(16));
        assert_eq!(
            d.redacted(),
            format!("The Access Key with id {hidden} cannot be found ({hidden}).")
        );
        for shown in [d.to_string(), format!("{d:?}"), serde_json::to_string(&d).unwrap()] {
            assert!(!shown.contains(&id), "{shown}");
        }
        let built = Detail::default().key_id(&id).then(" is Inactive");
        assert_eq!(built.expose(), format!("{id} is Inactive"));
        assert_eq!(built.exposed(), Detail::text(format!("{id} is Inactive")));
        assert_eq!(Detail::about("no key here", "").expose(), "no key here");
    }

    #[test]
    fn issue_13_online_verdict_serializes_as_the_report_did() {
        let id = key_id();
        let mut v = OnlineVerdict::new(Verdict::Active);
        v.account = Some("123456789012".into());
        v.own = true;
        v.user = Some("alice".into());
        v.leaked = Some(LeakedVerdict::Live(Detail::text("arn:aws:iam::123456789012:user/alice")));
        v.action = Some(ActionResult::Done(Detail::default().key_id(&id).then(" is Inactive")));
        let want = serde_json::json!({
            "account": "123456789012", "decoded_account": null, "own": true, "user": "alice",
            "last_used": null, "quarantined": false, "verdict": "active",
            "leaked": {"result": "live", "detail": "arn:aws:iam::123456789012:user/alice"},
            "action": {"result": "done", "detail": format!("AKIA{} is Inactive", "*".repeat(16))},
            "quarantine": null,
        });
        assert_eq!(serde_json::to_value(&v).unwrap(), want);
        let shown = serde_json::to_value(v.exposed()).unwrap();
        assert_eq!(shown["action"]["detail"], format!("{id} is Inactive"));
        // Issue 15: a stored verdict reads back as it was written, key id still redacted.
        let stored: OnlineVerdict =
            serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(serde_json::to_value(&stored).unwrap(), want);
        assert!(!format!("{:?}", stored.exposed()).contains(&id));
        let error = OnlineVerdict::new(Verdict::Error(Detail::text("boom")));
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!((&json["verdict"], &json["reason"]), (&"error".into(), &"boom".into()));
        assert!(error.failed() && !v.failed());
    }
}
