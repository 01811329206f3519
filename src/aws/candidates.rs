//! Values in some content that could be an AWS secret access key or session token: found only
//! in content that holds an AWS key id, and reported only when paired with one.
//!
//! A secret is 40 characters of `[A-Za-z0-9+/]`. It may be written percent-encoded (in URLs),
//! with `\/` for `/` (JSON strings, Jupyter notebooks), or base64-encoded (Kubernetes secrets).

pub use crate::finding::aws::Encoding;

/// A value that could be a secret or a session token. `Debug` redacts the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Offset of its first byte in the content.
    pub start: usize,
    /// Offset just past its last byte.
    pub end: usize,
    /// The value, decoded.
    pub value: String,
    /// How it was written.
    pub encoding: Encoding,
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidate")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("value", &crate::finding::redacted(&self.value))
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// Length of a secret access key.
pub const SECRET_LEN: usize = 40;
/// Shortest session token taken into account.
pub const MIN_TOKEN_LEN: usize = 100;

/// Bytes of the base64 alphabet (without padding).
const B64_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        i += 1;
    }
    t
};

fn is_b64(b: u8) -> bool {
    B64_BYTES[b as usize]
}

/// A run of base64 characters, possibly written with escapes: its end and decoded value.
fn run_at(content: &[u8], start: usize, value: &mut String) -> (usize, Encoding) {
    value.clear();
    let mut encoding = Encoding::Plain;
    let mut i = start;
    while i < content.len() {
        let b = content[i];
        if is_b64(b) {
            value.push(b as char);
            i += 1;
        } else if b == b'%' && i + 2 < content.len() {
            let code = [content[i + 1].to_ascii_uppercase(), content[i + 2].to_ascii_uppercase()];
            let c = match &code {
                b"2B" => '+',
                b"2F" => '/',
                _ => break,
            };
            value.push(c);
            encoding = Encoding::Percent;
            i += 3;
        } else if b == b'\\' && content.get(i + 1) == Some(&b'/') {
            value.push('/');
            encoding = Encoding::JsonEscaped;
            i += 2;
        } else {
            break;
        }
    }
    (i, encoding)
}

/// Whether a 40-character value looks like a secret access key rather than a hash, a path or
/// a word: not hexadecimal, mixed case, and a digit or `+`/`/`.
pub fn looks_like_secret(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == SECRET_LEN
        && b.iter().all(|c| is_b64(*c))
        && !b.iter().all(u8::is_ascii_hexdigit)
        && b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(|c| c.is_ascii_digit() || *c == b'+' || *c == b'/')
        && crate::detect::shannon(b) >= 4.0
}

/// Every secret-shaped value in `content`, in order.
pub fn secrets(content: &[u8]) -> Vec<Candidate> {
    let mut out = Vec::new();
    secrets_in(content, 0, content.len(), &mut out);
    out
}

/// Appends to `out` the secret-shaped values of `content` that start in `start..end`, in order.
pub fn secrets_in(content: &[u8], start: usize, end: usize, out: &mut Vec<Candidate>) {
    let mut value = String::new();
    let mut i = start;
    let end = end.min(content.len());
    while i < end {
        let b = content[i];
        let starts_run = is_b64(b) || b == b'%' || b == b'\\';
        if !starts_run || (i > 0 && is_b64(content[i - 1])) {
            i += 1;
            continue;
        }
        // Plain runs (nearly all) are measured without copying; escapes take the slow path.
        let plain_end = i + content[i..].iter().take_while(|c| is_b64(**c)).count();
        let escaped = matches!(content.get(plain_end), Some(b'%' | b'\\'));
        if !escaped && plain_end - i != SECRET_LEN && plain_end - i != 54 {
            i = plain_end.max(i + 1);
            continue;
        }
        let (run_end, encoding) = run_at(content, i, &mut value);
        if run_end == i {
            i += 1;
            continue;
        }
        let next = content.get(run_end).copied();
        if value.len() == SECRET_LEN && next != Some(b'=') && looks_like_secret(&value) {
            out.push(Candidate { start: i, end: run_end, value: value.clone(), encoding });
        } else if value.len() == 54
            && content.get(run_end..run_end + 2) == Some(b"==")
            && encoding == Encoding::Plain
            && let Some(decoded) = base64_decode(&content[i..run_end + 2])
            && let Ok(s) = String::from_utf8(decoded)
            && looks_like_secret(&s)
        {
            out.push(Candidate {
                start: i,
                end: run_end + 2,
                value: s,
                encoding: Encoding::Base64,
            });
        }
        i = run_end.max(i + 1);
    }
}

/// Session tokens written after a session-token name (`aws_session_token`, `SessionToken`,
/// `X-Amz-Security-Token`, …): at least [`MIN_TOKEN_LEN`] base64 characters, percent escapes
/// undone.
/// `lower` is `content` in ASCII lowercase.
pub fn tokens(content: &[u8], lower: &[u8]) -> Vec<Candidate> {
    const NAMES: [&[u8]; 4] =
        [b"session_token", b"sessiontoken", b"security-token", b"security_token"];
    let mut out: Vec<Candidate> = Vec::new();
    for name in NAMES {
        for at in memchr::memmem::find_iter(lower, name) {
            let mut i = at + name.len();
            // The name's end, separators and quotes: `"SessionToken": "`, `=`, `: `.
            while i < content.len() && b"\"' \t:=>".contains(&content[i]) && i - at < name.len() + 8
            {
                i += 1;
            }
            let mut value = String::new();
            let (end, encoding) = run_at(content, i, &mut value);
            // Padding, also percent-encoded.
            let mut stop = end;
            loop {
                if content.get(stop) == Some(&b'=') {
                    value.push('=');
                    stop += 1;
                } else if content
                    .get(stop..stop + 3)
                    .is_some_and(|s| s.eq_ignore_ascii_case(b"%3D"))
                {
                    value.push('=');
                    stop += 3;
                } else {
                    break;
                }
            }
            if value.len() >= MIN_TOKEN_LEN && !out.iter().any(|c| c.start == i) {
                out.push(Candidate { start: i, end: stop, value, encoding });
            }
        }
    }
    out.sort_by_key(|c| c.start);
    out
}

/// Standard base64 with its padding, as the `base64` crate decodes it (bits past the last
/// byte need not be zero).
const PADDED: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes standard base64 with padding; `None` if it is not that.
pub fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    PADDED.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> String {
        ["MFxFkM/R5Kjp1vRt", "+1fjORS/6ilI8ihN5KXSc7Tv"].concat()
    }

    fn values(text: &str) -> Vec<(String, Encoding)> {
        secrets(text.as_bytes()).into_iter().map(|c| (c.value, c.encoding)).collect()
    }

    #[test]
    fn plain_and_encoded_secrets() {
        let s = secret();
        assert_eq!(values(&format!("x={s};")), [(s.clone(), Encoding::Plain)]);
        let pct = s.replace('/', "%2F").replace('+', "%2b");
        assert_eq!(values(&format!("?k={pct}&x=1")), [(s.clone(), Encoding::Percent)]);
        let json = s.replace('/', "\\/");
        assert_eq!(values(&format!("\"{json}\"")), [(s.clone(), Encoding::JsonEscaped)]);
        let b64 = "TUZ4RmtNL1I1S2pwMXZSdCsxZmpPUlMvNmlsSThpaE41S1hTYzdUdg==";
        assert_eq!(values(&format!("k: {b64}\n")), [(s, Encoding::Base64)]);
    }

    #[test]
    fn look_alikes_are_not_secrets() {
        // A git SHA, 40 lowercase hex.
        assert!(values("commit 3b18e512dba79e4c8300dd08aeb37f8e728b8dad").is_empty());
        // 39 and 41 characters.
        assert!(values(&format!("a {} b", &secret()[..39])).is_empty());
        assert!(values(&format!("a {}Q b", secret())).is_empty());
        // Inside a longer base64 run (an image, an integrity hash).
        assert!(values(&format!("sha512-{}{}==", secret(), secret())).is_empty());
        assert!(values(&format!("data:image/png;base64,{}xyz", secret())).is_empty());
        // Followed by padding: the end of some base64 blob.
        assert!(values(&format!("{}=", secret())).is_empty());
        // One case only, or low entropy.
        assert!(values("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN").is_empty());
        assert!(values(&"aB1/".repeat(10)).is_empty());
    }

    #[test]
    fn tokens_after_their_names() {
        let tok = format!("FwoGZXIvYXdz{}", "Ab3+/xY9".repeat(15));
        let pct = tok.replace('/', "%2F").replace('+', "%2B");
        let url =
            format!("https://b.s3.amazonaws.com/k?X-Amz-Security-Token={pct}%3D%3D&X-Amz-Date=1");
        let found = tokens(url.as_bytes(), url.to_ascii_lowercase().as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].value, format!("{tok}=="));
        assert_eq!(found[0].encoding, Encoding::Percent);
        let json = format!("{{\"SessionToken\": \"{tok}\"}}");
        assert_eq!(tokens(json.as_bytes(), json.to_ascii_lowercase().as_bytes())[0].value, tok);
        let none = b"aws_session_token = ${TOKEN}";
        assert!(tokens(none, &none.to_ascii_lowercase()).is_empty());
    }

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_decode(b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode(b"aGk=").unwrap(), b"hi");
        assert!(base64_decode(b"aGk").is_none());
        assert!(base64_decode(b"a=Gk").is_none());
        assert!(base64_decode(b"a*Gk").is_none());
    }
}

#[cfg(test)]
mod issue_12_debug {
    use super::*;

    #[test]
    fn issue_12_candidate_debug_redacts_the_value() {
        let value = ["Zq9Xw7Vv5Tt3", "Rr1Pp0Oo9Nn8", "Mm7Ll6Kk5Jj4Hh3Gg2"].concat();
        let c = Candidate {
            start: 0,
            end: value.len(),
            value: value.clone(),
            encoding: Encoding::Plain,
        };
        let debug = format!("{c:?}");
        assert!(!debug.contains(&value), "{debug}");
    }
}
