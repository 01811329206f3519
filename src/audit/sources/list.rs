//! Listing files: one repository a line, a local path or a clone URL.
//!
//! Blank lines and lines starting with `#` (after white space) are skipped; there are no comments
//! at the end of a line, since `#` can be part of a path. A line is a URL when it has `://` or is
//! git's `host:path` form (a colon before any slash: write `./a:b` for a local `a:b`), and a
//! local path otherwise, relative to the listing file's directory. A local path must be a
//! repository itself (a working copy, a `.git` directory, a bare repository or mirror): a
//! listing names repositories, trees are searched when given as directories. A line that is
//! none of these is a problem naming the file and the line number, and the rest of the file is
//! still read.

use std::fs;
use std::io;
use std::path::Path;

use super::url::{UrlError, looks_like_url, remote_spec};
use super::walk::{kind, local_spec};
use crate::audit::RepoSpec;

/// The repositories `path` lists; its bad lines go to `problems`.
///
/// # Errors
///
/// When the file cannot be read.
pub(crate) fn read_list(path: &Path, problems: &mut Vec<String>) -> io::Result<Vec<RepoSpec>> {
    let bytes = fs::read(path)?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut specs = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let problem = |why: &dyn std::fmt::Display| format!("{}:{number}: {why}", path.display());
        let Ok(line) = std::str::from_utf8(line) else {
            problems.push(problem(&"not UTF-8"));
            continue;
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('-') {
            problems.push(problem(&UrlError::LeadingDash));
            continue;
        }
        if looks_like_url(line) {
            match remote_spec(line) {
                Ok(spec) => specs.push(spec),
                Err(e) => problems.push(problem(&e)),
            }
            continue;
        }
        if line.chars().any(char::is_control) {
            problems.push(problem(&"the path holds control characters"));
            continue;
        }
        let local = dir.join(line);
        match fs::canonicalize(&local) {
            Ok(canonical) if kind(&canonical).is_some() => specs.push(local_spec(&canonical)),
            Ok(canonical) => problems.push(problem(&format_args!(
                "{} is not a Git repository (a working copy, bare repository or mirror)",
                canonical.display()
            ))),
            Err(e) => problems.push(problem(&format_args!("{}: {e}", local.display()))),
        }
    }
    Ok(specs)
}
