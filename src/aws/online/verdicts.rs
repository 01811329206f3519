//! What a run reports about each key: [`KeyReport`], the verdict types it is made of (plain
//! data in [`crate::finding::aws`], so that reports print them without this feature), and what
//! each verdict is in the audit log.

use serde::Serialize;

use crate::aws::audit::{FoundAt, Outcome};
pub use crate::finding::aws::{ActionResult, Detail, LeakedVerdict, OnlineVerdict, Verdict};

/// Everything a run found out about one key. `Debug` redacts the key id; `Serialize` writes
/// it, and the details, in full (`aws identify` reports the keys the user named).
#[derive(Clone)]
pub struct KeyReport {
    /// The key id.
    pub key_id: String,
    /// The verdict and the actions, as a finding carries them.
    pub check: OnlineVerdict,
    /// Where the key was found.
    pub found: Vec<FoundAt>,
}

impl KeyReport {
    /// A report with nothing learned yet about `key_id`.
    pub(crate) fn new(key_id: &str, found: Vec<FoundAt>, verdict: Verdict) -> KeyReport {
        KeyReport { key_id: key_id.to_owned(), check: OnlineVerdict::new(verdict), found }
    }

    /// Whether the check, or an action, failed.
    pub fn failed(&self) -> bool {
        self.check.failed()
    }

    /// A message about this key (an AWS error) with its key id held as a secret.
    pub(crate) fn about(&self, message: &str) -> Detail {
        Detail::about(message, &self.key_id)
    }
}

impl Serialize for KeyReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Full<'a> {
            key_id: &'a str,
            #[serde(flatten)]
            check: OnlineVerdict,
            found: &'a [FoundAt],
        }
        Full { key_id: &self.key_id, check: self.check.exposed(), found: &self.found }.serialize(s)
    }
}

impl std::fmt::Debug for KeyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.check;
        f.debug_struct("KeyReport")
            .field("key_id", &crate::finding::redacted(&self.key_id))
            .field("account", &c.account)
            .field("own", &c.own)
            .field("user", &c.user)
            .field("verdict", &c.verdict)
            .field("leaked", &c.leaked)
            .field("action", &c.action)
            .field("quarantine", &c.quarantine)
            .finish_non_exhaustive()
    }
}

/// A verdict as the audit log records it (with the key id in full: the log holds key ids).
pub(crate) fn outcome(v: &Verdict) -> Outcome {
    match v {
        Verdict::Active => Outcome::Active,
        Verdict::Inactive => Outcome::Inactive,
        Verdict::NotFound => Outcome::NotFound,
        Verdict::Foreign => Outcome::Foreign,
        Verdict::Canary => Outcome::Canary,
        Verdict::Root => Outcome::Root,
        Verdict::Temporary => Outcome::Temporary,
        Verdict::NotAnAccessKey => Outcome::NotAnAccessKey,
        Verdict::Error(d) => Outcome::error(d.expose()),
    }
}

/// A leaked-pair verdict as the audit log records it.
pub(crate) fn leaked_outcome(v: &LeakedVerdict) -> Outcome {
    match v {
        LeakedVerdict::Live(_) => Outcome::Live,
        LeakedVerdict::Invalid(_) => Outcome::Invalid,
        LeakedVerdict::Expired => Outcome::Expired,
        LeakedVerdict::Error(_) => Outcome::Error(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_id() -> String {
        format!("AKIA{}", ["Z7VX", "WQ2R", "5TYU", "3MNB"].concat())
    }

    #[test]
    fn issue_12_report_debug_redacts_the_key_id() {
        let key_id = key_id();
        let r = KeyReport::new(&key_id, Vec::new(), Verdict::Inactive);
        let debug = format!("{r:?}");
        assert!(!debug.contains(&key_id), "{debug}");
    }

    #[test]
    fn issue_13_key_reports_serialize_in_full_and_log_their_verdicts_as_before() {
        let id = key_id();
        let mut r = KeyReport::new(&id, Vec::new(), Verdict::Active);
        r.check.action = Some(ActionResult::DryRun(Detail::default().key_id(&id).then(" x")));
        // In the order `aws identify --format json` has always written them.
        let text = serde_json::to_string(&r).unwrap();
        let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k}: {text}"));
        let order = [
            "key_id",
            "account",
            "decoded_account",
            "own",
            "user",
            "last_used",
            "quarantined",
            "verdict",
            "leaked",
            "action",
            "quarantine",
            "found",
        ];
        assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["action"]["detail"], format!("{id} x"));
        let error = Verdict::Error(r.about(&format!("no {id}")));
        assert_eq!(outcome(&error).to_string(), format!("error: no {id}"));
        assert_eq!(outcome(&Verdict::NotAnAccessKey).to_string(), "not_an_access_key");
        assert_eq!(leaked_outcome(&LeakedVerdict::Error(Detail::text("x"))).to_string(), "error");
    }
}
