//! The names of the files keysentry reads and writes, one constant each, one meaning each.

/// keysentry's configuration, looked for at the root of a scan (`docs/config.md`).
pub const CONFIG_FILE: &str = ".keysentry.toml";

/// gitleaks' configuration, used when there is no [`CONFIG_FILE`] (`docs/gitleaks.md`).
pub const GITLEAKS_FILE: &str = ".gitleaks.toml";

/// keysentry's ignore file: path patterns (gitignore syntax), and nothing else. Read by the
/// working-tree walk in every directory and by the git scans at the repository's root.
pub const IGNORE_FILE: &str = ".keysentryignore";

/// Fingerprints of findings to leave out of every scan of a project, one per line
/// (`keysentry ignore` appends to it). Read from the project directory.
pub const IGNORED_FINGERPRINTS_FILE: &str = ".keysentry-ignored-fingerprints";

/// gitleaks' list of findings to leave out (`[commit:]file:rule:line`), read as a baseline.
pub const GITLEAKS_IGNORE_FILE: &str = ".gitleaksignore";

/// keysentry's baseline, as `keysentry baseline create` writes it by default.
pub const BASELINE_FILE: &str = ".keysentry-baseline.json";

/// The `ignore` crate's own ignore file (gitignore syntax), honoured by the walk.
pub const DOT_IGNORE_FILE: &str = ".ignore";

/// git's ignore file, honoured by the walk inside git repositories.
pub const GITIGNORE_FILE: &str = ".gitignore";
