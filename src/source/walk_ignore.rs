//! The working-tree walk's ignore files, read by keysentry itself rather than by the `ignore`
//! crate's walker, so that a hostile tree cannot make the walk open a FIFO (which blocks
//! forever) or a device (`.gitignore -> /dev/zero`, which never ends): every ignore file is
//! read with [`crate::files::read::read_bytes_optional`] (a regular file of at most
//! [`crate::files::read::CONFIG_SIZE_LIMIT`] bytes), like every file that steers a scan. One
//! that cannot be read is reported as a warning and its patterns are not applied (so more is
//! scanned, never less).
//!
//! Each directory's matchers are kept with those of its parents, nearest first, so that an
//! entry costs one look-up of its directory, as in the walker's own ignore handling.
//!
//! Gitignore semantics are kept: in each directory `.keysentryignore`, then `.ignore`, then
//! `.gitignore` (inside a git repository only); the nearest directory's match wins, a
//! negation (`!keep.env`) brings a file back, an ignored directory is not entered; then the
//! repository's `.git/info/exclude` and the user's global excludes (`core.excludesFile`).
//! Ignore files of directories above a scan root apply up to the repository root; outside a
//! repository, only the scan root and what is below it count (a `.ignore` planted in a shared
//! temporary directory governs nothing).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::files::names::{DOT_IGNORE_FILE, GITIGNORE_FILE, IGNORE_FILE};
use crate::files::read::{self as file, CONFIG_SIZE_LIMIT, Within};
use crate::files::{enclosing_worktree, lexically_absolute};
use crate::filter::ignored::is_fingerprint_line;

/// Matchers, nearest directory first.
type Chain = Arc<Vec<Arc<Gitignore>>>;

/// The ignore rules of a walk, shared by its threads.
#[derive(Debug)]
pub(crate) struct IgnoreRules {
    /// Per directory (absolute): the matchers that apply to its entries, in order of
    /// precedence: its own files, then its parent's chain, up to the top.
    dirs: Mutex<HashMap<PathBuf, Chain>>,
    /// The working directory when the walk began, to make the walker's paths absolute without
    /// asking the system for each entry.
    cwd: PathBuf,
    /// Per scan root (absolute): the directory up to which parents' files apply and whether it
    /// is a git repository's root.
    tops: Vec<(PathBuf, PathBuf, bool)>,
    /// Excludes of the repositories (`.git/info/exclude`), per repository root.
    excludes: Mutex<HashMap<PathBuf, Arc<Option<Gitignore>>>>,
    global: Option<Gitignore>,
    warnings: Mutex<Vec<String>>,
}

impl IgnoreRules {
    /// Rules for a walk of `roots`.
    pub(crate) fn new(roots: &[PathBuf]) -> IgnoreRules {
        let cwd = std::env::current_dir().unwrap_or_default();
        let tops = roots
            .iter()
            .map(|r| {
                let abs = lexically_absolute(&cwd, r);
                let dir = if abs.is_dir() { abs.clone() } else { parent(&abs) };
                match enclosing_worktree(&dir) {
                    Some(repo) => (abs, repo.to_path_buf(), true),
                    None => (abs, dir, false),
                }
            })
            .collect();
        let (global, err) = Gitignore::global();
        let global = (err.is_none() && !global.is_empty()).then_some(global);
        IgnoreRules {
            dirs: Mutex::default(),
            cwd,
            tops,
            excludes: Mutex::default(),
            global,
            warnings: Mutex::default(),
        }
    }

    /// The warnings collected so far (ignore files that were not read).
    pub(crate) fn take_warnings(&self) -> Vec<String> {
        self.warnings.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default()
    }

    /// Whether the walk entry at `path` (as the walker names it) is ignored.
    pub(crate) fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let abs = lexically_absolute(&self.cwd, path);
        let Some((_, top, in_git)) = self
            .tops
            .iter()
            .filter(|(root, _, _)| abs.starts_with(root))
            .max_by_key(|(root, _, _)| root.as_os_str().len())
        else {
            return false;
        };
        if let Some(dir) = abs.parent() {
            for m in self.chain(dir, top, *in_git).iter() {
                match m.matched(&abs, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        if !in_git {
            return false;
        }
        if let Some(exclude) = self.exclude(top).as_ref() {
            match exclude.matched(abs.strip_prefix(top).unwrap_or(&abs), is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        self.global
            .as_ref()
            .is_some_and(|g| g.matched(abs.strip_prefix(top).unwrap_or(&abs), is_dir).is_ignore())
    }

    /// The matchers for entries of `dir`: its own, then its parent's chain, up to `top`.
    fn chain(&self, dir: &Path, top: &Path, in_git: bool) -> Chain {
        if let Some(c) = self.dirs.lock().ok().and_then(|d| d.get(dir).cloned()) {
            return c;
        }
        let names: &[&str] = if in_git {
            &[IGNORE_FILE, DOT_IGNORE_FILE, GITIGNORE_FILE]
        } else {
            &[IGNORE_FILE, DOT_IGNORE_FILE]
        };
        let mut chain: Vec<Arc<Gitignore>> =
            names.iter().filter_map(|n| self.load(dir, &dir.join(n))).map(Arc::new).collect();
        if dir != top
            && dir.starts_with(top)
            && let Some(parent) = dir.parent()
        {
            chain.extend(self.chain(parent, top, in_git).iter().cloned());
        }
        let chain = Arc::new(chain);
        if let Ok(mut d) = self.dirs.lock() {
            d.insert(dir.to_path_buf(), chain.clone());
        }
        chain
    }

    fn exclude(&self, repo: &Path) -> Arc<Option<Gitignore>> {
        if let Some(r) = self.excludes.lock().ok().and_then(|d| d.get(repo).cloned()) {
            return r;
        }
        // In a linked worktree `.git` is a file and the excludes live in the main repository;
        // they are not read there (the git scans do not read them either).
        let git = repo.join(".git");
        let file = git.join("info").join("exclude");
        let rules = Arc::new(if git.is_dir() { self.load(repo, &file) } else { None });
        if let Ok(mut d) = self.excludes.lock() {
            d.insert(repo.to_path_buf(), rules.clone());
        }
        rules
    }

    /// The matcher of one ignore file rooted at `dir`, if it exists and could be read.
    fn load(&self, dir: &Path, file: &Path) -> Option<Gitignore> {
        let text = match file::read_bytes_optional(file, CONFIG_SIZE_LIMIT, Within::Anywhere) {
            Ok(Some(text)) => text,
            Ok(None) => return None,
            Err(e) => {
                self.warn(format!(
                    "{}: not read ({e}); its patterns were not applied",
                    file.display()
                ));
                return None;
            }
        };
        let mut builder = GitignoreBuilder::new(dir);
        let text = String::from_utf8_lossy(&text);
        // `.keysentryignore` holds path patterns; its old fingerprint lines are no globs.
        let keysentry = file.file_name().is_some_and(|n| n == IGNORE_FILE);
        let mut bad = 0usize;
        for line in text.lines().filter(|l| !keysentry || !is_fingerprint_line(l)) {
            if let Err(e) = builder.add_line(Some(file.to_path_buf()), line) {
                bad += 1;
                if bad <= crate::filter::ignored::LISTED {
                    self.warn(format!("{}: {e}", file.display()));
                }
            }
        }
        if bad > crate::filter::ignored::LISTED {
            // A file of a million bad patterns is one more warning, not a million.
            let more = bad - crate::filter::ignored::LISTED;
            self.warn(format!("{}: {more} more lines are not valid patterns", file.display()));
        }
        match builder.build() {
            Ok(g) if !g.is_empty() => Some(g),
            Ok(_) => None,
            Err(e) => {
                self.warn(format!("{}: {e}", file.display()));
                None
            }
        }
    }

    fn warn(&self, message: String) {
        if let Ok(mut w) = self.warnings.lock() {
            w.push(message);
        }
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map_or_else(|| path.to_path_buf(), Path::to_path_buf)
}
