//! Go RE2 regex syntax, as gitleaks writes it, in Rust `regex` syntax.

/// Go RE2 syntax as Rust `regex` syntax: `\Q…\E` quoting (which Rust lacks) becomes escaped
/// text, and a `{` that cannot start a repetition (RE2 takes it literally) is escaped.
/// Everything else RE2 accepts means the same in Rust's regex syntax.
pub fn translate_regex(go: &str) -> String {
    let mut out = String::with_capacity(go.len());
    let mut rest = go;
    while let Some(at) = rest.find("\\Q") {
        out.push_str(&rest[..at]);
        let quoted = &rest[at + 2..];
        let end = quoted.find("\\E").unwrap_or(quoted.len());
        out.push_str(&regex::escape(&quoted[..end]));
        rest = quoted.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    escape_literal_braces(&out)
}

/// Escapes `{` where it does not start a valid repetition `{n}`, `{n,}` or `{n,m}`.
fn escape_literal_braces(re: &str) -> String {
    let bytes = re.as_bytes();
    let mut out = String::with_capacity(re.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && i + 1 < bytes.len() {
            let ch = re[i + 1..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&re[i..i + 1 + ch]);
            i += 1 + ch;
            continue;
        }
        if c == b'{' {
            let close = re[i..].find('}').map(|j| i + j);
            let valid = close.is_some_and(|j| {
                let inner = &re[i + 1..j];
                let (a, b) = inner.split_once(',').unwrap_or((inner, "0"));
                !a.is_empty()
                    && a.bytes().all(|x| x.is_ascii_digit())
                    && b.bytes().all(|x| x.is_ascii_digit())
            });
            if !valid {
                out.push_str("\\{");
                i += 1;
                continue;
            }
        }
        let ch = re[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&re[i..i + ch]);
        i += ch;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translations() {
        assert_eq!(translate_regex(r"a\Q.*+\Eb"), r"a\.\*\+b");
        assert_eq!(translate_regex(r"x{2,3}y{,3}z{a}"), r"x{2,3}y\{,3}z\{a}");
        assert_eq!(translate_regex(r"\{literal\}"), r"\{literal\}");
        assert!(crate::rules::Pattern::new(&translate_regex(r"key\s*[:=]\s*\Q${\E")).is_ok());
    }
}
