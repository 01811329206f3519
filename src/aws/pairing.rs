//! Pairing of AWS key ids with their secrets and (for `ASIA` ids) session tokens in one
//! content: candidates near the key ids or named as secrets, tied to a key id by file
//! structure (object, INI section, indented block), by line, by name or by proximity,
//! strongest tie first.

use super::candidates::{self, Candidate, Encoding};
use super::structure::{Structure, Unit, UnitKind};
use crate::aws::{PairedBy, PrefixClass};
use crate::detect::Match;

/// Unnamed secret-shaped values pair with a key id at most this many lines away.
const PROXIMITY_LINES: usize = 3;

/// The rules whose matches are secrets and session tokens.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rules {
    pub(super) secret: Option<usize>,
    pub(super) token: Option<usize>,
}

/// A key id in the content.
pub(super) struct Key {
    /// Index into the matches.
    pub(super) m: usize,
    pub(super) id: String,
    pub(super) class: PrefixClass,
}

/// A secret or token that might pair with a key id.
pub(super) struct Value {
    pub(super) c: Candidate,
    /// Written after a name that says what it is.
    pub(super) named: bool,
    /// Index of the rule match it came from, if a rule found it.
    pub(super) from_match: Option<usize>,
}

/// Pairs credential key ids with secrets and (for `ASIA` ids) session tokens.
pub(super) fn pair(content: &[u8], matches: &[Match], keys: &[Key], rules: Rules) -> Pairing {
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
    let mut secrets = from_rule(rules.secret);
    // Secret-shaped values are looked for near key ids and on lines naming a secret, not
    // over the whole content: those are the only ones that can pair.
    let mut ranges: Vec<(usize, usize)> =
        creds.iter().map(|k| lines_around(content, matches[k.m].start, PROXIMITY_LINES)).collect();
    ranges.extend(
        memchr::memmem::find_iter(&lower, b"secret").map(|at| lines_around(content, ws + at, 0)),
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
    let mut tokens = from_rule(rules.token);
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
                let (kp, vp) = continued(&structure, key_places[ki], places[vi]);
                let Some(by) = tie(kp, vp, v.named) else { continue };
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
    pairing.secret_rule = rules.secret;
    pairing.token_rule = rules.token;
    pairing.secrets = secrets;
    pairing.tokens = tokens;
    pairing.structure = Some(structure);
    pairing
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

/// The places of a key id and a value, with the unit of the one written on a line indented
/// under the other's line made the other's: that line continues the statement (the next
/// argument of `boto3.client("s3", aws_access_key_id="…",` in a function body), which the
/// indentation alone would take for a block of its own.
fn continued(
    structure: &Structure,
    key: (Option<Unit>, usize),
    value: (Option<Unit>, usize),
) -> ((Option<Unit>, usize), (Option<Unit>, usize)) {
    let under = |unit: Option<Unit>, line: usize| {
        unit.is_some_and(|u| u.kind == UnitKind::Block && structure.line_of(u.start) == line)
    };
    if under(value.0, key.1) {
        (key, (key.0, value.1))
    } else if under(key.0, value.1) {
        ((value.0, key.1), value)
    } else {
        (key, value)
    }
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
pub(super) struct Pairing {
    pub(super) by_key: Vec<KeyPair>,
    pub(super) secrets: Vec<Value>,
    pub(super) tokens: Vec<Value>,
    secret_rule: Option<usize>,
    token_rule: Option<usize>,
    pub(super) structure: Option<Structure>,
}

/// What one key id is paired with: indices into [`Pairing::secrets`] and
/// [`Pairing::tokens`].
pub(super) struct KeyPair {
    pub(super) key: usize,
    pub(super) secret: Option<usize>,
    pub(super) secret_by: PairedBy,
    pub(super) token: Option<usize>,
    pub(super) token_by: PairedBy,
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
    pub(super) fn values(&self) -> impl Iterator<Item = (&Value, Option<usize>)> {
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
    fn a_value_indented_under_the_key_line_continues_its_statement() {
        let text = "def f():\n    c = client(key=\"K\",\n               secret=\"S\")\n    x = 1\n";
        let s = Structure::new(text.as_bytes());
        let place = |needle: &str| {
            let at = text.find(needle).unwrap();
            (s.unit(text.as_bytes(), at), s.line_of(at))
        };
        let (key, value, other) = (place("K\""), place("S\""), place("x ="));
        assert_ne!(key.0, value.0, "indentation alone makes two blocks");
        let (k, v) = continued(&s, key, value);
        assert_eq!(k.0, v.0);
        assert_eq!(tie(k, v, true), Some(PairedBy::Block));
        // The other way round, and a sibling line that is no continuation.
        let (v, k) = continued(&s, value, key);
        assert_eq!(k.0, v.0);
        assert_eq!(continued(&s, key, other), (key, other));
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
