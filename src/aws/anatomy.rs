//! What an AWS unique id says about itself, offline: its prefix class and, for new-format ids,
//! the 12-digit account that owns it (`../shared/docs/aws.md` §1 to §3).

pub use crate::finding::aws::{ALL_CLASSES, AccountDecode, AccountId, PrefixClass};

/// The base32 alphabet (RFC 4648) in which the 16 characters after the prefix are written.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The 80 bits of the 16 base32 characters after the prefix, if the id is 20 characters of a
/// known prefix and base32.
fn body_bits(id: &str) -> Option<u128> {
    let b = id.as_bytes();
    if b.len() != 20 || PrefixClass::of(id).is_none() {
        return None;
    }
    b[4..].iter().try_fold(0u128, |v, c| {
        let d = BASE32.iter().position(|x| x == c)?;
        Some((v << 5) | d as u128)
    })
}

/// Reads the owning account out of an id (`aws.md` §3). Works for every prefix class.
pub fn decode_account(id: &str) -> AccountDecode {
    let Some(v) = body_bits(id) else { return AccountDecode::Malformed };
    let top48 = (v >> 32) as u64;
    if top48 >> 47 == 0 {
        return AccountDecode::NotEncoded;
    }
    let n = (top48 >> 7) & ((1 << 40) - 1);
    AccountId::new(n).map_or(AccountDecode::Malformed, AccountDecode::Decoded)
}

/// Whether `id` is a well-formed AWS id: a known prefix and 16 base32 characters.
pub fn is_well_formed(id: &str) -> bool {
    body_bits(id).is_some()
}

/// Why `id` is not a well-formed AWS id, for people; `None` if it is one.
pub fn malformation(id: &str) -> Option<String> {
    if id.len() != 20 {
        return Some(format!("{} characters, not 20", id.chars().count()));
    }
    if PrefixClass::of(id).is_none() {
        let p: String = id.chars().take(4).collect();
        return Some(if PrefixClass::of(&p.to_ascii_uppercase()).is_some() {
            "lowercase: AWS ids are uppercase".to_owned()
        } else {
            format!("unknown prefix {p:?}")
        });
    }
    let bad: String =
        id[4..].chars().filter(|c| !BASE32.contains(&(*c as u8)) || !c.is_ascii()).collect();
    if !bad.is_empty() {
        return Some(format!("characters outside base32 (A-Z, 2-7): {bad:?}"));
    }
    None
}

/// Builds a well-formed new-format id of `class` that decodes to `account`; `key` fills the
/// 39 key-specific bits (only its low 39 bits are used). For test data and corpora: such ids
/// are structurally valid but were never issued.
pub fn synthesize(class: PrefixClass, account: AccountId, key: u64) -> String {
    let key = key & ((1 << 39) - 1);
    // 1 generation bit, 40 account bits, then 39 key bits: 7 in the top 48, 32 below.
    let top48 = (1u128 << 47) | (u128::from(account.get()) << 7) | u128::from(key >> 32);
    let v = (top48 << 32) | u128::from(key & 0xFFFF_FFFF);
    let mut s = String::with_capacity(20);
    s.push_str(class.prefix());
    for i in (0..16).rev() {
        s.push(BASE32[((v >> (5 * i)) & 31) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids are written in two pieces so that this file holds none whole (the repository scans
    /// itself).
    fn id(prefix: &str, body: &str) -> String {
        format!("{prefix}{body}")
    }

    fn account(id: &str) -> Option<String> {
        decode_account(id).account().map(|a| a.to_string())
    }

    #[test]
    fn test_vectors_of_aws_md() {
        for (id, want) in [
            (&id("ASIA", "Y34FZKBOKMUTVV7A"), "609629065308"),
            (&id("ASIA", "QNZGKIQY56JQ7WML"), "029608264753"),
            (&id("AKIA", "ZAVB57H55F3T4BKH"), "619888638459"),
            (&id("AKIA", "SP2TPHJSQH3FJRUX"), "171436882533"),
            (&id("AKIA", "6ODU5DHT7HGWSLU5"), "992382622183"),
            (&id("AKIA", "VJTCYHPL6QWFVZ4Q"), "364205587415"),
            (&id("ASIA", "Y34FZKBOK777777A"), "609629065308"),
            (&id("ASIA", "Y34FZKBO7AAAAAAA"), "609629065309"),
        ] {
            assert_eq!(account(id).as_deref(), Some(want), "{id}");
        }
        for old in [&id("AKIA", "IOSFODNN7EXAMPLE"), &id("AKIA", "JSIE27KKMHXI3BJQ")] {
            assert_eq!(decode_account(old), AccountDecode::NotEncoded, "{old}");
        }
        for bad in [
            "AKIAY34FZKBOKMUTVV7",
            "akiay34fzkbokmutvv7a",
            &id("AKIA", "Y34FZKBOKMUTVV1A"),
            &id("AKIA", "Y34FZKBOKMUTVV0A"),
            &id("AKIA", "Y34FZKBOKMUTVV8A"),
            &id("AKIA", "Y34FZKBOKMUTVV9A"),
            "AKIAY34FZKBOKMUTVV7AA",
            "XKIAY34FZKBOKMUTVV7A",
            "AKIAY34FZKBOKMUTVVéA",
        ] {
            assert_eq!(decode_account(bad), AccountDecode::Malformed, "{bad}");
            assert!(malformation(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn characters_13_to_19_do_not_change_the_account() {
        let base = &id("AKIA", "Y34FZKBOKMUTVV7A");
        for c in ["A", "Z", "2", "7"] {
            let mut id = base[..13].to_owned();
            id.push_str(&c.repeat(7));
            assert_eq!(account(&id).as_deref(), Some("609629065308"), "{id}");
        }
    }

    #[test]
    fn identifiers_decode_too() {
        assert_eq!(account(&id("AIDA", "Y34FZKBOKMUTVV7A")).as_deref(), Some("609629065308"));
        assert_eq!(PrefixClass::of(&id("AROA", "Y34FZKBOKMUTVV7A")), Some(PrefixClass::Aroa));
        assert!(!PrefixClass::Aroa.is_credential());
        assert!(PrefixClass::Asia.is_credential());
    }

    #[test]
    fn synthesize_round_trips() {
        for (n, key) in [(0, 0), (1, 1), (123_456_789_012, 77), (AccountId::MAX, u64::MAX)] {
            let a = AccountId::new(n).unwrap();
            for class in ALL_CLASSES {
                let id = synthesize(class, a, key);
                assert!(is_well_formed(&id), "{id}");
                assert_eq!(PrefixClass::of(&id), Some(class));
                assert_eq!(decode_account(&id), AccountDecode::Decoded(a), "{id}");
            }
        }
        let a = AccountId::new(5).unwrap();
        assert_ne!(synthesize(PrefixClass::Akia, a, 1), synthesize(PrefixClass::Akia, a, 2));
    }

    #[test]
    fn account_ids_parse_and_print_with_twelve_digits() {
        assert_eq!(AccountId::parse("029608264753").unwrap().to_string(), "029608264753");
        assert!(AccountId::parse("29608264753").is_none());
        assert!(AccountId::parse("02960826475x").is_none());
    }

    #[test]
    fn malformation_says_why() {
        assert!(malformation("akiay34fzkbokmutvv7a").unwrap().contains("lowercase"));
        assert!(malformation("AKIA123").unwrap().contains("7 characters"));
        assert!(malformation(&id("AKIA", "Y34FZKBOKMUTVV1A")).unwrap().contains("\"1\""));
        assert_eq!(malformation(&id("AKIA", "Y34FZKBOKMUTVV7A")), None);
    }
}
