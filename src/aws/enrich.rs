//! The AWS step of the pipeline, run per content on the worker that scanned it: classify key
//! ids, decode their accounts, pair them with secrets and session tokens, tag examples,
//! canaries and ours / foreign, and drop what is not to be reported.
//!
//! It runs only for content where the detector found something of an AWS rule, so the
//! detector's hot path (content without keyword hits) is untouched.

use std::collections::BTreeSet;

use super::anatomy::{self, PrefixClass};
use super::candidates::{self, Candidate, Encoding};
use super::structure::{Structure, Unit, UnitKind};
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

/// Unnamed secret-shaped values pair with a key id at most this many lines away.
const PROXIMITY_LINES: usize = 3;

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

/// A key id in the content.
struct Key {
    /// Index into the matches.
    m: usize,
    id: String,
    class: PrefixClass,
}

/// A secret or token that might pair with a key id.
struct Value {
    c: Candidate,
    /// Written after a name that says what it is.
    named: bool,
    /// Index of the rule match it came from, if a rule found it.
    from_match: Option<usize>,
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
        let pairing = self.pair(content, matches, &keys);
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

    /// Pairs credential key ids with secrets and (for `ASIA` ids) session tokens.
    fn pair(&self, content: &[u8], matches: &[Match], keys: &[Key]) -> Pairing {
        let mut pairing = Pairing::default();
        let creds: Vec<&Key> = keys.iter().filter(|k| k.class.is_credential()).collect();
        if creds.is_empty() {
            return pairing;
        }
        let from_rule = |rule: Option<usize>| -> Vec<Value> {
            matches
                .iter()
                .enumerate()
                .filter(|(_, m)| rule == Some(m.rule))
                .map(|(i, m)| Value {
                    c: Candidate {
                        start: m.start,
                        end: m.end,
                        value: String::from_utf8_lossy(&content[m.start..m.end]).into_owned(),
                        encoding: Encoding::Plain,
                    },
                    named: true,
                    from_match: Some(i),
                })
                .collect()
        };
        // Pairing looks at most WINDOW bytes beyond the outermost key ids: a file of a few MiB
        // with one credential costs no more than a small one, and a secret farther than that
        // from any key id pairs only through its own rule's finding.
        let first = creds.iter().map(|k| matches[k.m].start).min().unwrap_or(0);
        let last = creds.iter().map(|k| matches[k.m].end).max().unwrap_or(0);
        let ws = lines_around(content, first.saturating_sub(WINDOW), 0).0;
        let we = lines_around(content, (last + WINDOW).min(content.len()), 0).1;
        let window = &content[ws..we];
        let lower = window.to_ascii_lowercase();
        let mut secrets = from_rule(self.secret);
        // Secret-shaped values are looked for near key ids and on lines naming a secret, not
        // over the whole content: those are the only ones that can pair.
        let mut ranges: Vec<(usize, usize)> = creds
            .iter()
            .map(|k| lines_around(content, matches[k.m].start, PROXIMITY_LINES))
            .collect();
        ranges.extend(
            memchr::memmem::find_iter(&lower, b"secret")
                .map(|at| lines_around(content, ws + at, 0)),
        );
        ranges.sort_unstable();
        let mut scanned = Vec::new();
        let mut upto = 0;
        for (s, e) in ranges {
            let s = s.max(upto);
            if s < e {
                candidates::secrets_in(content, s, e, &mut scanned);
                upto = e;
            }
        }
        for c in scanned {
            if !secrets.iter().any(|v| v.c.start < c.end && c.start < v.c.end) {
                let named = named_before(content, c.start, &[b"secret"]);
                secrets.push(Value { c, named, from_match: None });
            }
        }
        let mut tokens = from_rule(self.token);
        if creds.iter().any(|k| k.class == PrefixClass::Asia) {
            for mut c in candidates::tokens(window, &lower) {
                c.start += ws;
                c.end += ws;
                if !tokens.iter().any(|v| v.c.start < c.end && c.start < v.c.end) {
                    tokens.push(Value { c, named: true, from_match: None });
                }
            }
        }
        if secrets.is_empty() && tokens.is_empty() {
            return pairing;
        }
        let structure = Structure::window(content, ws, we);
        let place = |pos: usize| (structure.unit(content, pos), structure.line_of(pos));
        let key_places: Vec<_> = creds.iter().map(|k| place(matches[k.m].start)).collect();
        let assign = |values: &[Value], eligible: &dyn Fn(&Key) -> bool| {
            let places: Vec<_> = values.iter().map(|v| place(v.c.start)).collect();
            let mut options = Vec::new();
            for (ki, k) in creds.iter().enumerate() {
                if !eligible(k) {
                    continue;
                }
                for (vi, v) in values.iter().enumerate() {
                    let Some(by) = tie(key_places[ki], places[vi], v.named) else { continue };
                    let dist = key_places[ki].1.abs_diff(places[vi].1);
                    let bytes = matches[k.m].start.abs_diff(v.c.start);
                    options.push((by, dist, bytes, ki, vi));
                }
            }
            options.sort_unstable();
            let mut key_done = vec![false; creds.len()];
            let mut value_done = vec![false; values.len()];
            let mut chosen = Vec::new();
            for (by, _, _, ki, vi) in options {
                if !key_done[ki] && !value_done[vi] {
                    key_done[ki] = true;
                    value_done[vi] = true;
                    chosen.push((ki, vi, by));
                }
            }
            chosen
        };
        let secret_pairs = assign(&secrets, &|_| true);
        let token_pairs = assign(&tokens, &|k| k.class == PrefixClass::Asia);
        for (ki, vi, by) in secret_pairs {
            pairing.entry(creds[ki].m).secret = Some(vi);
            pairing.entry(creds[ki].m).secret_by = by;
        }
        for (ki, vi, by) in token_pairs {
            pairing.entry(creds[ki].m).token = Some(vi);
            pairing.entry(creds[ki].m).token_by = by;
        }
        pairing.secret_rule = self.secret;
        pairing.token_rule = self.token;
        pairing.secrets = secrets;
        pairing.tokens = tokens;
        pairing.structure = Some(structure);
        pairing
    }
}

/// How far beyond the outermost key ids of a content pairing looks, in bytes.
const WINDOW: usize = 64 << 10;

/// What ties a key id to a value, given where each is (unit, line) and whether the value is
/// named; `None` if nothing does.
fn tie(key: (Option<Unit>, usize), value: (Option<Unit>, usize), named: bool) -> Option<PairedBy> {
    let (ku, kl) = key;
    let (vu, vl) = value;
    if let (Some(a), Some(b)) = (ku, vu)
        && a == b
        && named
    {
        return Some(match a.kind {
            UnitKind::Object => PairedBy::Object,
            UnitKind::Section => PairedBy::Section,
            UnitKind::Block => PairedBy::Block,
        });
    }
    if kl == vl {
        return Some(PairedBy::SameLine);
    }
    if ku.is_some() && vu.is_some() && ku != vu {
        // Two different profiles, objects or blocks.
        return None;
    }
    if named {
        return Some(PairedBy::Name);
    }
    (kl.abs_diff(vl) <= PROXIMITY_LINES).then_some(PairedBy::Proximity)
}

/// The byte range of the lines from `n` lines before the one holding `pos` to `n` lines after
/// it, line ends included.
fn lines_around(content: &[u8], pos: usize, n: usize) -> (usize, usize) {
    let pos = pos.min(content.len());
    let mut start = pos;
    for _ in 0..=n {
        match memchr::memrchr(b'\n', &content[..start]) {
            Some(i) if start > 0 => start = i,
            _ => {
                start = 0;
                break;
            }
        }
    }
    if content.get(start) == Some(&b'\n') && start < pos {
        start += 1;
    }
    let mut end = pos;
    for _ in 0..=n {
        match memchr::memchr(b'\n', &content[end..]) {
            Some(i) => end += i + 1,
            None => {
                end = content.len();
                break;
            }
        }
    }
    (start, end)
}

/// Whether one of `names` occurs (case-insensitively) shortly before `pos` on its line.
fn named_before(content: &[u8], pos: usize, names: &[&[u8]]) -> bool {
    let lo = pos.saturating_sub(80);
    let before = &content[lo..pos];
    let before = match memchr::memrchr(b'\n', before) {
        Some(i) => &before[i + 1..],
        None => before,
    };
    let lower = before.to_ascii_lowercase();
    names.iter().any(|n| memchr::memmem::find(&lower, n).is_some())
}

/// The pairs of one content.
#[derive(Default)]
struct Pairing {
    by_key: Vec<KeyPair>,
    secrets: Vec<Value>,
    tokens: Vec<Value>,
    secret_rule: Option<usize>,
    token_rule: Option<usize>,
    structure: Option<Structure>,
}

/// What one key id is paired with: indices into [`Pairing::secrets`] and
/// [`Pairing::tokens`].
struct KeyPair {
    key: usize,
    secret: Option<usize>,
    secret_by: PairedBy,
    token: Option<usize>,
    token_by: PairedBy,
}

impl Pairing {
    fn entry(&mut self, key: usize) -> &mut KeyPair {
        if let Some(i) = self.by_key.iter().position(|p| p.key == key) {
            return &mut self.by_key[i];
        }
        self.by_key.push(KeyPair {
            key,
            secret: None,
            secret_by: PairedBy::Proximity,
            token: None,
            token_by: PairedBy::Proximity,
        });
        let last = self.by_key.len() - 1;
        &mut self.by_key[last]
    }

    /// Every paired value and the rule whose match locates it.
    fn values(&self) -> impl Iterator<Item = (&Value, Option<usize>)> {
        self.by_key.iter().flat_map(|p| {
            let s = p.secret.map(|i| (&self.secrets[i], self.secret_rule));
            let t = p.token.map(|i| (&self.tokens[i], self.token_rule));
            s.into_iter().chain(t)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(kind: UnitKind, start: usize) -> Option<Unit> {
        Some(Unit { kind, start })
    }

    #[test]
    fn structure_beats_lines_and_names() {
        let obj = unit(UnitKind::Object, 10);
        assert_eq!(tie((obj, 1), (obj, 40), true), Some(PairedBy::Object));
        let sec = unit(UnitKind::Section, 0);
        assert_eq!(tie((sec, 1), (sec, 9), true), Some(PairedBy::Section));
        // Same unit but unnamed and far: only proximity could tie them, and it is too far.
        assert_eq!(tie((obj, 1), (obj, 40), false), None);
        assert_eq!(tie((obj, 1), (obj, 3), false), Some(PairedBy::Proximity));
    }

    #[test]
    fn different_units_never_pair_except_on_one_line() {
        let (a, b) = (unit(UnitKind::Section, 0), unit(UnitKind::Section, 50));
        assert_eq!(tie((a, 2), (b, 5), true), None);
        assert_eq!(tie((a, 2), (b, 2), false), Some(PairedBy::SameLine));
    }

    #[test]
    fn flat_files_pair_by_name_anywhere_and_by_proximity_nearby() {
        assert_eq!(tie((None, 1), (None, 500), true), Some(PairedBy::Name));
        assert_eq!(tie((None, 1), (None, 4), false), Some(PairedBy::Proximity));
        assert_eq!(tie((None, 1), (None, 5), false), None);
    }

    #[test]
    fn lines_around_a_position() {
        let t = b"one\ntwo\nthree\nfour\nfive\n";
        let at = 9; // in "three"
        assert_eq!(&t[lines_around(t, at, 0).0..lines_around(t, at, 0).1], b"three\n");
        let (s, e) = lines_around(t, at, 1);
        assert_eq!(&t[s..e], b"two\nthree\nfour\n");
        let (s, e) = lines_around(t, at, 9);
        assert_eq!(&t[s..e], &t[..]);
        assert_eq!(lines_around(b"", 0, 2), (0, 0));
    }

    #[test]
    fn names_are_looked_for_on_the_value_line_only() {
        let text = b"aws_secret_access_key:\nvalue = X";
        assert!(!named_before(text, text.len() - 1, &[b"secret"]));
        let text = b"SecretAccessKey = X";
        assert!(named_before(text, text.len() - 1, &[b"secret"]));
    }
}
