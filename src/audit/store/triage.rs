//! Triage and verdicts: what people and the online checks say about stored findings.

use rusqlite::{Connection, OptionalExtension as _};

use super::{FindingSelector, NOW, Store, StoreError, TriageStatus};
use crate::finding::Fingerprint;
use crate::finding::aws::OnlineVerdict;

impl Store {
    /// Stores the online verdict of the finding with `fingerprint` (serialized as the JSON
    /// report's `aws.online`, key ids redacted), replacing any earlier one.
    ///
    /// # Errors
    /// [`StoreError::UnknownFinding`] for an unknown fingerprint; when SQLite fails.
    pub fn set_verdict(
        &mut self,
        fingerprint: &Fingerprint,
        verdict: &OnlineVerdict,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(verdict)
            .map_err(|e| StoreError::Invalid(format!("cannot serialize a verdict: {e}")))?;
        let n = self
            .conn
            .prepare_cached(&format!(
                "UPDATE findings SET verdict = ?2, verdict_at = {NOW} WHERE fingerprint = ?1"
            ))
            .and_then(|mut st| st.execute([fingerprint.as_str(), &json]))
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::UnknownFinding(FindingSelector::Fingerprint(
                fingerprint.as_str().to_owned(),
            )));
        }
        Ok(())
    }

    /// Sets the triage of the finding `selector` names: its status, a note (`None` clears
    /// it) and who set it; the time is now. A fingerprint may be given as a unique prefix of
    /// at least 6 hex digits. Returns the finding's id.
    ///
    /// # Errors
    /// [`StoreError::UnknownFinding`] when no finding matches, [`StoreError::Ambiguous`] for
    /// a prefix that matches several; when SQLite fails.
    pub fn set_triage(
        &mut self,
        selector: &FindingSelector,
        status: TriageStatus,
        note: Option<&str>,
        who: &str,
    ) -> Result<i64, StoreError> {
        let ids = self.set_triage_all(std::slice::from_ref(selector), status, note, who)?;
        Ok(ids[0])
    }

    /// [`Store::set_triage`] for several findings, in one transaction: if one selector is
    /// unknown or ambiguous, none is changed. Returns their ids, in the order given.
    ///
    /// # Errors
    /// As [`Store::set_triage`].
    pub fn set_triage_all(
        &mut self,
        selectors: &[FindingSelector],
        status: TriageStatus,
        note: Option<&str>,
        who: &str,
    ) -> Result<Vec<i64>, StoreError> {
        let path = self.path.clone();
        let e = |e| StoreError::sql(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        let mut ids = Vec::with_capacity(selectors.len());
        for selector in selectors {
            let id = resolve(&tx, selector).map_err(|err| match err {
                Resolve::Sql(err) => e(err),
                Resolve::Store(err) => err,
            })?;
            tx.prepare_cached(&format!(
                "UPDATE findings SET triage_status = ?2, triage_note = ?3, triage_by = ?4,
                 triage_at = {NOW} WHERE id = ?1"
            ))
            .and_then(|mut st| st.execute(rusqlite::params![id, status.name(), note, who]))
            .map_err(e)?;
            ids.push(id);
        }
        tx.commit().map_err(e)?;
        Ok(ids)
    }
}

enum Resolve {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Resolve {
    fn from(e: rusqlite::Error) -> Resolve {
        Resolve::Sql(e)
    }
}

/// The id of the finding `selector` names.
fn resolve(conn: &Connection, selector: &FindingSelector) -> Result<i64, Resolve> {
    let found: Vec<i64> = match selector {
        FindingSelector::Id(id) => conn
            .query_row("SELECT id FROM findings WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .into_iter()
            .collect(),
        FindingSelector::Fingerprint(fp) if fp.len() < 6 => {
            return Err(Resolve::Store(StoreError::Invalid(format!(
                "fingerprint {fp}: give at least 6 hex digits"
            ))));
        }
        FindingSelector::Fingerprint(fp) => conn
            .prepare_cached(
                "SELECT id FROM findings WHERE substr(fingerprint, 1, length(?1)) = ?1 LIMIT 2",
            )?
            .query_map([fp.to_ascii_lowercase()], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?,
    };
    match found[..] {
        [id] => Ok(id),
        [] => Err(Resolve::Store(StoreError::UnknownFinding(selector.clone()))),
        _ => Err(Resolve::Store(StoreError::Ambiguous(selector.clone()))),
    }
}
