//! Checksums built into token formats, which a candidate secret must pass.

use serde::Deserialize;

/// A checksum built into a token format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Checksum {
    /// GitHub's and npm's tokens: the last 6 characters are the CRC-32 of the characters
    /// between the first `_` and them, in base 62 (`0-9A-Za-z`), padded with `0`s.
    #[serde(rename = "crc32_base62")]
    Crc32Base62,
}

impl Checksum {
    /// Whether `secret` carries a valid checksum.
    pub fn verify(self, secret: &[u8]) -> bool {
        match self {
            Checksum::Crc32Base62 => {
                let Some(start) = secret.iter().position(|&b| b == b'_').map(|i| i + 1) else {
                    return false;
                };
                let Some(split) = secret.len().checked_sub(6).filter(|&s| s > start) else {
                    return false;
                };
                let (body, sum) = (&secret[start..split], &secret[split..]);
                let mut value: u64 = 0;
                for &c in sum {
                    let digit = match c {
                        b'0'..=b'9' => c - b'0',
                        b'A'..=b'Z' => c - b'A' + 10,
                        b'a'..=b'z' => c - b'a' + 36,
                        _ => return false,
                    };
                    value = value * 62 + u64::from(digit);
                }
                value == u64::from(crc32fast::hash(body))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_base62_checksums() {
        let c = Checksum::Crc32Base62;
        // Assembled, so that this file holds no whole token (CI scans the repository).
        let token = |prefix: &str, body: &str, sum: &str| [prefix, body, sum].concat();
        // The CRC-32 of the 30 characters after `ghp_`, in base 62: computed independently
        // (Python's zlib.crc32).
        let gh = "krCaqx9vJupc94tnwlavyfErGPmpGX";
        assert!(c.verify(token("ghp_", gh, "1OwySg").as_bytes()));
        assert!(c.verify(token("npm_", "I6CmuxV5EbOApZOXzcycDeZ6dqmVe5", "0Cut4U").as_bytes()));
        assert!(!c.verify(token("ghp_", gh, "afq0fj").as_bytes()), "wrong checksum");
        assert!(!c.verify(token("ghp_", gh, "1OwySh").as_bytes()), "one digit off");
        assert!(!c.verify(token("ghp_", gh, "1Ow-Sg").as_bytes()), "not base 62");
        assert!(!c.verify(b"ghp_1OwySg"), "nothing before the checksum");
        assert!(!c.verify(b"no underscore at all"));
        // Base 62 of 2^32 - 1 fits six digits; larger values never match a CRC-32.
        assert!(!c.verify(b"x_abc_zzzzzz"));
    }
}
