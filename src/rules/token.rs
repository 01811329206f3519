//! Token heads: which rules the detector may find through long runs of letters and digits
//! instead of through keyword literals.
//!
//! Most token formats are a fixed prefix followed by a long random body: `ghp_` and 36
//! letters or digits. Such a rule needs no prefilter literal of its own: wherever its regex
//! matches, the text holds a run of at least [`MIN_TOKEN_RUN`] ASCII letters and digits, and
//! the prefix sits at a known place against the start of that run. Runs that long are rare in
//! text, and finding them costs the same whatever the number of rules, where every literal
//! added to the SIMD prefilter slows it down.
//!
//! The analysis is conservative: it reads the regex's syntax tree and accepts a rule only when
//! every match is *head* then *run*, where the head is one of a few literal strings (case
//! insensitive) holding one of the rule's keywords, and the run (the head's trailing letters
//! and digits, then what follows) is at least [`MIN_TOKEN_RUN`] long. A head made only of
//! letters and digits must follow a word boundary, a line start or a character that is not a
//! letter or digit, so that the run cannot start earlier.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// The shortest run of ASCII letters and digits that the detector looks for. Any run this long
/// holds two consecutive whole 8-byte groups, whatever its alignment, which is what the
/// detector tests.
pub const MIN_TOKEN_RUN: usize = 23;

/// Most heads one rule may have (the cross product of its head's alternatives).
const MAX_HEADS: usize = 64;

/// A literal that starts a token: `before` ends the text before the run (empty, or ending with
/// a character that is neither letter nor digit) and `start` begins the run. Both lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHead {
    /// Bytes right before the run of letters and digits.
    pub before: Vec<u8>,
    /// The first bytes of the run.
    pub start: Vec<u8>,
}

impl TokenHead {
    /// The whole head.
    pub fn text(&self) -> Vec<u8> {
        [self.before.as_slice(), self.start.as_slice()].concat()
    }
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// The heads through which every match of `hir` can be found, or `None` if the rule does not
/// have the shape described in the module documentation. `keywords` are lowercase.
pub fn token_heads(hir: &Hir, keywords: &[String]) -> Option<Vec<TokenHead>> {
    let mut items = Vec::new();
    flatten(hir, &mut items);
    // Leading assertions and boundary items: whether the character before the head is known
    // not to be a letter or digit.
    let mut i = 0;
    let mut bounded = false;
    while let Some(item) = items.get(i) {
        match boundary(item) {
            Some(b) => bounded |= b,
            None => break,
        }
        i += 1;
    }
    // The head: the longest run of items that enumerate to a few strings.
    let mut heads: Vec<Vec<u8>> = vec![Vec::new()];
    let mut j = i;
    while let Some(strings) = items.get(j).and_then(|item| enumerate(item)) {
        heads = cross(&heads, &strings)?;
        j += 1;
    }
    let run = run_len(&items[j..]);
    let mut out = Vec::new();
    for head in heads {
        let head = head.to_ascii_lowercase();
        let start_len = head.iter().rev().take_while(|&&b| alnum(b)).count();
        let (before, start) = head.split_at(head.len() - start_len);
        let holds_keyword = keywords.iter().any(|k| contains(&head, k.as_bytes()));
        let anchored = !before.is_empty() || bounded;
        // The lookup keys on two bytes of the run's start, or else two bytes before it.
        let keyed = start.len() >= 2 || before.len() >= 2;
        if !holds_keyword || !anchored || !keyed || start.len() + run < MIN_TOKEN_RUN {
            return None;
        }
        let head = TokenHead { before: before.to_vec(), start: start.to_vec() };
        if !out.contains(&head) {
            out.push(head);
        }
    }
    (!out.is_empty()).then_some(out)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Concatenations and groups, flattened.
fn flatten<'h>(hir: &'h Hir, out: &mut Vec<&'h Hir>) {
    match hir.kind() {
        HirKind::Concat(items) => items.iter().for_each(|h| flatten(h, out)),
        HirKind::Capture(c) => flatten(&c.sub, out),
        HirKind::Empty => {}
        _ => out.push(hir),
    }
}

/// For an item that matches nothing or one character before the head: `Some(true)` if it
/// proves that the character before the head is not a letter or digit (or that there is
/// none), `Some(false)` for other assertions, `None` for anything else.
fn boundary(hir: &Hir) -> Option<bool> {
    match hir.kind() {
        HirKind::Look(look) => Some(matches!(
            look,
            Look::Start
                | Look::StartLF
                | Look::StartCRLF
                | Look::WordAscii
                | Look::WordStartAscii
                | Look::WordStartHalfAscii
        )),
        // `(?:^|[^A-Za-z0-9])` and the like.
        HirKind::Alternation(alts) => alts
            .iter()
            .all(|a| match a.kind() {
                HirKind::Look(l) => matches!(l, Look::Start | Look::StartLF | Look::StartCRLF),
                HirKind::Class(c) => !class_has_alnum(c),
                _ => false,
            })
            .then_some(true),
        HirKind::Class(c) => (!class_has_alnum(c)).then_some(true),
        _ => None,
    }
}

/// Whether a class holds an ASCII letter or digit.
fn class_has_alnum(class: &Class) -> bool {
    let overlaps = |start: u32, end: u32| {
        [(b'0', b'9'), (b'A', b'Z'), (b'a', b'z')]
            .iter()
            .any(|&(lo, hi)| start <= u32::from(hi) && end >= u32::from(lo))
    };
    match class {
        Class::Bytes(c) => c.iter().any(|r| overlaps(r.start().into(), r.end().into())),
        Class::Unicode(c) => c.iter().any(|r| overlaps(r.start().into(), r.end().into())),
    }
}

/// The bytes of an ASCII class; `None` if it holds non-ASCII characters.
fn class_bytes(class: &Class) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match class {
        Class::Bytes(c) => {
            for r in c.iter() {
                if r.end() > 0x7f {
                    return None;
                }
                out.extend(r.start()..=r.end());
            }
        }
        Class::Unicode(c) => {
            for r in c.iter() {
                if u32::from(r.end()) > 0x7f {
                    return None;
                }
                out.extend(
                    u8::try_from(u32::from(r.start())).ok()?
                        ..=u8::try_from(u32::from(r.end())).ok()?,
                );
            }
        }
    }
    Some(out)
}

/// The few strings an item matches, case folded: literals, classes of one letter in either
/// case (or of at most three characters), alternations and concatenations of those, and
/// fixed repetitions. `None` for anything else or too many strings.
fn enumerate(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Class(class) => {
            let mut bytes = class_bytes(class)?;
            bytes.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
            bytes.sort_unstable();
            bytes.dedup();
            (bytes.len() <= 3).then(|| bytes.into_iter().map(|b| vec![b]).collect())
        }
        HirKind::Alternation(alts) => {
            let mut out: Vec<Vec<u8>> = Vec::new();
            for a in alts {
                for s in enumerate(a)? {
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
            (out.len() <= MAX_HEADS).then_some(out)
        }
        HirKind::Concat(items) => {
            items.iter().try_fold(vec![Vec::new()], |acc, item| cross(&acc, &enumerate(item)?))
        }
        HirKind::Capture(c) => enumerate(&c.sub),
        HirKind::Repetition(rep) if Some(rep.min) == rep.max && rep.min <= 4 => {
            let one = enumerate(&rep.sub)?;
            (0..rep.min).try_fold(vec![Vec::new()], |acc, _| cross(&acc, &one))
        }
        _ => None,
    }
}

fn cross(heads: &[Vec<u8>], tails: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if heads.len() * tails.len() > MAX_HEADS {
        return None;
    }
    Some(heads.iter().flat_map(|h| tails.iter().map(move |t| [h.as_slice(), t].concat())).collect())
}

/// The fewest letters and digits that the items match in a row from their start.
fn run_len(items: &[&Hir]) -> usize {
    let mut run = 0;
    for item in items {
        match all_alnum(item) {
            Some(n) => run += n,
            None => return run + leading_alnum(item),
        }
    }
    run
}

/// `Some(min length)` if everything the item matches is letters and digits.
fn all_alnum(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Literal(lit) => lit.0.iter().all(|&b| alnum(b)).then_some(lit.0.len()),
        HirKind::Class(c) => class_bytes(c)?.iter().all(|&b| alnum(b)).then_some(1),
        HirKind::Repetition(rep) => Some(all_alnum(&rep.sub)? * rep.min as usize),
        HirKind::Capture(c) => all_alnum(&c.sub),
        HirKind::Concat(items) => items.iter().map(all_alnum).sum(),
        HirKind::Alternation(alts) => alts.iter().map(all_alnum).min().flatten(),
        HirKind::Empty => Some(0),
        HirKind::Look(_) => None,
    }
}

/// The fewest letters and digits an item surely starts with (0 if unknown).
fn leading_alnum(hir: &Hir) -> usize {
    match hir.kind() {
        HirKind::Concat(_) => {
            let mut items: Vec<&Hir> = Vec::new();
            flatten(hir, &mut items);
            run_len(&items)
        }
        HirKind::Capture(c) => leading_alnum(&c.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => leading_alnum(&rep.sub),
        HirKind::Alternation(alts) => alts.iter().map(leading_alnum).min().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(regex: &str, keywords: &[&str]) -> Option<Vec<(String, String)>> {
        let hir = regex_automata::util::syntax::parse_with(
            regex,
            &regex_automata::util::syntax::Config::new().utf8(false).unicode(false),
        )
        .unwrap();
        let kws: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        token_heads(&hir, &kws).map(|hs| {
            hs.into_iter()
                .map(|h| {
                    (String::from_utf8(h.before).unwrap(), String::from_utf8(h.start).unwrap())
                })
                .collect()
        })
    }

    fn pair(before: &str, start: &str) -> (String, String) {
        (before.into(), start.into())
    }

    #[test]
    fn prefix_then_long_body() {
        assert_eq!(heads(r"\b(ghp_[A-Za-z0-9]{36})\b", &["ghp_"]), Some(vec![pair("ghp_", "")]));
        assert_eq!(
            heads(r"\b((?:gho|ghu)_[A-Za-z0-9]{36})\b", &["gho_", "ghu_"]),
            Some(vec![pair("gho_", ""), pair("ghu_", "")])
        );
        // Letters of the prefix that touch the body start the run.
        assert_eq!(
            heads(r"\b(AIza[0-9A-Za-z_\-]{35})", &["aiza"]),
            None,
            "the body may hold '-' or '_': no run is certain"
        );
        assert_eq!(heads(r"\b(AKIA[A-Z2-7]{19})\b", &["akia"]), Some(vec![pair("", "akia")]));
        assert_eq!(
            heads(r"(?i)\bsk-ant-api03-([a-z0-9]{90})", &["sk-ant-"]),
            Some(vec![pair("sk-ant-api03-", "")])
        );
    }

    #[test]
    fn refused_shapes() {
        // Body too short.
        assert_eq!(heads(r"\b(AKIA[A-Z2-7]{16})\b", &["akia"]), None);
        // Body holds characters other than letters and digits.
        assert_eq!(heads(r"\b(glpat-[A-Za-z0-9_-]{20})", &["glpat-"]), None);
        // The keyword is not in the head.
        assert_eq!(heads(r"twilio.{0,40}\b(SK[0-9a-f]{32})\b", &["twilio"]), None);
        assert_eq!(heads(r"\b(SK[0-9a-f]{32})\b", &["twilio"]), None);
        // An alphanumeric head with nothing before it: the run may start earlier.
        assert_eq!(heads(r"(AKIA[A-Z2-7]{30})", &["akia"]), None);
        // A head of one byte cannot be looked up.
        assert_eq!(heads(r"\b(x[A-Za-z0-9]{40})", &["x"]), None);
    }

    #[test]
    fn boundary_classes_count_as_anchors() {
        assert_eq!(
            heads(r"(?:^|[^A-Za-z0-9])(AKIA[A-Z2-7]{30})", &["akia"]),
            Some(vec![pair("", "akia")])
        );
    }
}
