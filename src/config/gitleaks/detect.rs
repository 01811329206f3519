//! Telling gitleaks configuration from keysentry's by the keys it uses.

use toml::{Table, Value};

/// Whether a TOML text is gitleaks configuration: it uses a key only gitleaks has (camelCase
/// keys, `title`, a single `[allowlist]` table, a rule's `path`, `tags` or `allowlists`, an
/// `[extend]` with `useDefault` or `path`), or it is not valid TOML but mentions them.
pub fn looks_like_gitleaks(text: &str) -> bool {
    const CAMEL: &[&str] =
        &["useDefault", "secretGroup", "regexTarget", "targetRules", "disabledRules", "minVersion"];
    let Ok(table) = text.parse::<Table>() else {
        return CAMEL.iter().any(|k| text.contains(k))
            || text.lines().any(|l| l.trim_start().starts_with("[rules.allowlist]"));
    };
    let has = |t: &Table, keys: &[&str]| keys.iter().any(|k| t.contains_key(*k));
    let tables = |v: Option<&Value>| -> Vec<Table> {
        match v {
            Some(Value::Table(t)) => vec![t.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_table).cloned().collect(),
            _ => Vec::new(),
        }
    };
    if has(&table, &["title", "description", "minVersion", "allowlist"]) {
        return true;
    }
    if let Some(extend) = table.get("extend").and_then(Value::as_table)
        && has(extend, &["useDefault", "path", "disabledRules"])
    {
        return true;
    }
    let allowlist_keys = ["regexTarget", "targetRules"];
    if tables(table.get("allowlists")).iter().any(|a| has(a, &allowlist_keys)) {
        return true;
    }
    tables(table.get("rules")).iter().any(|r| {
        has(r, &["secretGroup", "path", "tags", "allowlists"])
            || tables(r.get("allowlist"))
                .iter()
                .any(|a| has(a, &["regexTarget", "condition", "paths", "commits"]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitleaks_files_are_recognised_by_their_keys() {
        let gl = [
            "title = \"x\"\n",
            "[allowlist]\npaths = ['''a''']\n",
            "[extend]\nuseDefault = true\n",
            "[[rules]]\nid = \"a\"\nregex = '''a'''\ntags = [\"t\"]\n",
            "[[rules]]\nid = \"a\"\nregex = '''a'''\n[[rules.allowlists]]\nregexes = ['''b''']\n",
            "[[allowlists]]\ntargetRules = [\"a\"]\n",
            "[[rules]]\nid = \"a\"\nregex = '''(a)'''\nsecretGroup = 1\n",
        ];
        for text in gl {
            assert!(looks_like_gitleaks(text), "{text}");
        }
        let ks = [
            "",
            "[extend]\nbuiltin = false\n[[rules]]\nid = \"a.b\"\ndescription = \"d\"\nkeywords = [\"abc\"]\nregex = '''abc'''\n",
            "[[allowlists]]\npaths = [\"x/**\"]\nregex_target = \"line\"\n",
            "[aws]\naccounts = [\"111122223333\"]\n",
        ];
        for text in ks {
            assert!(!looks_like_gitleaks(text), "{text}");
        }
    }
}
