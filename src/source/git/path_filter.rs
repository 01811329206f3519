//! The paths a repository's root `.keysentryignore` excludes, for the git scans.

use std::path::Path;

use git2::Repository;

use super::path_of;
pub use crate::files::names::IGNORE_FILE;
use crate::files::read::{self as file, Within};

/// The paths a repository's root `.keysentryignore` excludes (gitignore syntax). It is read
/// from the working tree, or from `HEAD` in a bare repository.
#[derive(Debug, Default)]
pub struct PathFilter {
    ignore: Option<ignore::gitignore::Gitignore>,
}

impl PathFilter {
    /// Loads the filter of `repo`; problems (a bad pattern) are returned as messages.
    pub fn load(repo: &Repository) -> (PathFilter, Vec<String>) {
        let mut errors = Vec::new();
        let text = match repo.workdir() {
            Some(dir) => {
                let path = dir.join(IGNORE_FILE);
                match file::read_bytes_optional(&path, file::CONFIG_SIZE_LIMIT, Within::Anywhere) {
                    Ok(text) => text,
                    Err(e) => {
                        errors.push(format!("{}: not read ({e})", path.display()));
                        None
                    }
                }
            }
            None => repo
                .head()
                .and_then(|h| h.peel_to_tree())
                .and_then(|t| t.get_path(Path::new(IGNORE_FILE)))
                .and_then(|e| repo.find_blob(e.id()))
                .ok()
                .map(|b| b.content().to_vec()),
        };
        let Some(text) = text else { return (PathFilter::default(), errors) };
        let mut builder = ignore::gitignore::GitignoreBuilder::new("");
        for line in crate::filter::ignored::path_patterns(&String::from_utf8_lossy(&text)) {
            if let Err(e) = builder.add_line(None, line) {
                errors.push(format!("{IGNORE_FILE}: {e}"));
            }
        }
        match builder.build() {
            Ok(ignore) => (PathFilter { ignore: Some(ignore) }, errors),
            Err(e) => {
                errors.push(format!("{IGNORE_FILE}: {e}"));
                (PathFilter::default(), errors)
            }
        }
    }

    /// Whether the file at `path` (relative to the repository root) is excluded.
    pub fn excludes(&self, path: &[u8]) -> bool {
        self.ignore
            .as_ref()
            .is_some_and(|i| i.matched_path_or_any_parents(path_of(path), false).is_ignore())
    }
}
