//! The AWS step of the pipeline, run per content on the worker that scanned it: classify key
//! ids, decode their accounts, pair them with secrets and session tokens, tag examples,
//! canaries and ours / foreign, and drop what is not to be reported.
//!
//! It runs only for content where the detector found something of an AWS rule, so the
//! detector's hot path (content without keyword hits) is untouched.

use std::collections::BTreeSet;

use super::anatomy::{self, PrefixClass};
use super::candidates;
use super::pairing::{self, Key, KeyPair, Pairing, Rules, Value};
use super::{AwsInfo, AwsOptions, AwsTag, Include, Paired, PairedBy, examples, tags_for};
use crate::detect::{Detector, Match};
use crate::finding::{BlobId, Finding, Fingerprint, Origin, Secret};

/// Rule ids the AWS step knows.
pub const KEY_ID_RULE: &str = "aws.access_key_id";
/// A key id written in base64 (a Kubernetes secret's `data:`).
pub const KEY_ID_BASE64_RULE: &str = "aws.access_key_id_base64";
/// Identifiers (user, role, … ids).
pub const IDENTIFIER_RULE: &str = "aws.identifier";
/// Secret access keys next to their name.
pub const SECRET_RULE: &str = "aws.secret_access_key";
/// Session tokens.
pub const TOKEN_RULE: &str = "aws.session_token";

/// The AWS step, built once per scan for one detector.
#[derive(Debug)]
pub struct AwsEnricher {
    options: AwsOptions,
    key: Option<usize>,
    key_b64: Option<usize>,
    identifier: Option<usize>,
    secret: Option<usize>,
    token: Option<usize>,
}

impl AwsEnricher {
    /// The AWS step for `detector`'s rules.
    pub fn new(detector: &Detector, options: AwsOptions) -> AwsEnricher {
        let find = |id: &str| detector.rules().iter().position(|r| r.id == id);
        AwsEnricher {
            options,
            key: find(KEY_ID_RULE),
            key_b64: find(KEY_ID_BASE64_RULE),
            identifier: find(IDENTIFIER_RULE),
            secret: find(SECRET_RULE),
            token: find(TOKEN_RULE),
        }
    }

    /// The options in use.
    pub fn options(&self) -> &AwsOptions {
        &self.options
    }

    fn is_aws(&self, rule: usize) -> bool {
        [self.key, self.key_b64, self.identifier, self.secret, self.token].contains(&Some(rule))
    }

    /// Turns the matches of one content into findings, as [`Detector::findings`] does, with
    /// the AWS step applied. `matches` may grow (secrets found by pairing) and is left sorted.
    pub fn findings(
        &self,
        detector: &Detector,
        content: &[u8],
        origin: &Origin,
        blob: Option<BlobId>,
        matches: &mut Vec<Match>,
    ) -> Vec<Finding> {
        if !matches.iter().any(|m| self.is_aws(m.rule)) {
            return detector.findings_in_blob(content, origin, blob, matches);
        }
        let text = |m: &Match| String::from_utf8_lossy(&content[m.start..m.end]).into_owned();
        let mut keys = Vec::new();
        for (i, m) in matches.iter().enumerate() {
            let id = if Some(m.rule) == self.key || Some(m.rule) == self.identifier {
                text(m)
            } else if Some(m.rule) == self.key_b64 {
                match candidates::base64_decode(&content[m.start..m.end])
                    .and_then(|b| String::from_utf8(b).ok())
                {
                    Some(id) => id,
                    None => continue,
                }
            } else {
                continue;
            };
            if let (true, Some(class)) = (anatomy::is_well_formed(&id), PrefixClass::of(&id)) {
                keys.push(Key { m: i, id, class });
            }
        }
        let rules = Rules { secret: self.secret, token: self.token };
        let pairing = pairing::pair(content, matches, &keys, rules);
        // Secrets found by pairing become matches, so that lines and redaction cover them.
        let mut extra = Vec::new();
        for (v, rule) in pairing.values() {
            if v.from_match.is_none()
                && let Some(rule) = rule
            {
                extra.push(Match { start: v.c.start, end: v.c.end, rule });
            }
        }
        let key_spans: Vec<(usize, usize, usize)> = keys
            .iter()
            .map(|k| (matches[k.m].start, matches[k.m].end, matches[k.m].rule))
            .collect();
        matches.extend(extra);
        matches.sort_unstable();
        matches.dedup();
        let findings = detector.findings_in_blob(content, origin, blob, matches);
        let consumed: Vec<(usize, usize)> =
            pairing.values().map(|(v, _)| (v.c.start, v.c.end)).collect();
        let mut out = Vec::with_capacity(findings.len());
        for (f, m) in findings.into_iter().zip(matches.iter()) {
            let span = (m.start, m.end);
            let key = key_spans
                .iter()
                .position(|&(s, e, r)| (s, e, r) == (m.start, m.end, m.rule))
                .map(|k| &keys[k]);
            if let Some(key) = key {
                let pair = pairing.by_key.iter().find(|p| p.key == key.m);
                if let Some(f) = self.key_finding(f, key, pair, &pairing) {
                    out.push(f);
                }
                continue;
            }
            if consumed.iter().any(|&(s, e)| s < span.1 && span.0 < e) {
                continue;
            }
            if [self.key, self.key_b64, self.identifier].contains(&Some(m.rule)) {
                // Not a well-formed id after all (a base64 value that decodes to something else).
                continue;
            }
            if Some(m.rule) == self.secret || Some(m.rule) == self.token {
                if let Some(f) = self.lone_value_finding(f) {
                    out.push(f);
                }
                continue;
            }
            out.push(f);
        }
        out
    }

    /// A key id's finding with what is known about it; `None` if it is not to be reported.
    fn key_finding(
        &self,
        mut f: Finding,
        key: &Key,
        pair: Option<&KeyPair>,
        pairing: &Pairing,
    ) -> Option<Finding> {
        let decode = anatomy::decode_account(&key.id);
        let mut tags = tags_for(&key.id, decode, &self.options);
        if !key.class.is_credential() {
            tags.insert(AwsTag::Identifier);
            if self.options.identifiers == Include::No {
                return None;
            }
        }
        let to_paired = |i: Option<usize>, list: &[Value], by: PairedBy| {
            i.map(|i| {
                let v = &list[i];
                Paired {
                    value: Secret::new(v.c.value.clone()),
                    by,
                    encoding: v.c.encoding,
                    line: pairing.structure.as_ref().map_or(0, |s| s.line_of(v.c.start) + 1),
                }
            })
        };
        let paired_secret = pair.and_then(|p| to_paired(p.secret, &pairing.secrets, p.secret_by));
        let session_token = pair.and_then(|p| to_paired(p.token, &pairing.tokens, p.token_by));
        if paired_secret.as_ref().is_some_and(|p| examples::is_example_secret(p.value.expose())) {
            tags.insert(AwsTag::Example);
        }
        if tags.contains(&AwsTag::Example) && self.options.examples == Include::No {
            return None;
        }
        if f.secret.expose() != key.id {
            // A base64-written id: report the id itself.
            f.secret = Secret::new(key.id.clone());
            f.fingerprint = Fingerprint::new(&f.rule_id, &f.secret);
        }
        f.aws = Some(AwsInfo {
            key_id: Some(Secret::new(key.id.clone())),
            prefix_class: Some(key.class),
            account: Some(decode),
            paired_secret,
            session_token,
            canary_owner: decode
                .account()
                .and_then(|a| self.options.canaries.owner(a))
                .map(str::to_owned),
            tags,
            online: None,
        });
        Some(f)
    }

    /// A secret or token found by its rule and paired with no key id.
    fn lone_value_finding(&self, mut f: Finding) -> Option<Finding> {
        let mut tags = BTreeSet::new();
        if examples::is_example_secret(f.secret.expose()) {
            tags.insert(AwsTag::Example);
            if self.options.examples == Include::No {
                return None;
            }
        }
        f.aws = Some(AwsInfo {
            key_id: None,
            prefix_class: None,
            account: None,
            paired_secret: None,
            session_token: None,
            tags,
            canary_owner: None,
            online: None,
        });
        Some(f)
    }
}
