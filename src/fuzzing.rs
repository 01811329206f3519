//! Entry points for the fuzz targets of `fuzz/` into parsers that are not public API. Built
//! only with `--cfg fuzzing`, which cargo-fuzz passes (`docs/fuzzing.md`); nothing here is part
//! of the library's interface.

use std::path::Path;

use crate::config::{ConfigError, Settings};
use crate::rules::Builtin;

/// keysentry's configuration parser (`.keysentry.toml`) on `text`, as `config::load` runs it
/// after reading a file that is not gitleaks'.
pub fn keysentry_config(text: &str, which: Builtin) -> Result<Settings, ConfigError> {
    crate::config::load_keysentry(Path::new("keysentry.toml"), text, which)
}

/// The git index reader on the index file at `path` in `repo`: what the staged source asks
/// of it, the fast path (staged changes against no commit) and the entries handed to
/// libgit2. Returns the number of staged changes the fast path found, if it answered, and
/// whether the entries loaded for libgit2.
pub fn git_index(repo: &git2::Repository, path: &Path) -> (Option<usize>, bool) {
    let loaded = crate::source::libgit2_index(repo, path).is_ok();
    let changes = crate::source::staged_changes(repo, None, path).map(|c| c.len());
    (changes, loaded)
}
