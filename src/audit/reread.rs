//! Findings rebuilt in full from their repositories, for the work that needs the secret the
//! datastore does not keep (online verification of AWS keys): each stored finding's blob is
//! read again from a repository that has it, scanned again, and the finding with the same
//! fingerprint taken.
//!
//! The repositories are untrusted as ever: a blob is read by id (nothing is checked out),
//! repositories are opened without searching parent directories, and a blob larger than the
//! limit is not read.

use std::collections::HashMap;
use std::path::PathBuf;

use git2::{Oid, Repository, RepositoryOpenFlags};

use super::report::origin_of;
use super::store::{StoredFinding, StoredRepo};
use crate::Scan;
use crate::finding::{BlobId, Finding, Origin};
use crate::sink::Collect;
use crate::source::{ReadMethod, Source, VisitorFactory, deliver_chunk};

/// Stored findings rebuilt from their blobs.
#[derive(Debug, Default)]
pub struct Reread {
    /// One finding per stored finding rebuilt, with its secret (and an AWS key's pair), at
    /// the first place its blob could be read; in the order of the stored findings.
    pub findings: Vec<Finding>,
    /// The stored findings that could not be rebuilt, and why.
    pub not_rebuilt: Vec<NotRebuilt>,
}

/// A stored finding that could not be rebuilt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRebuilt {
    /// Its id in the datastore.
    pub id: i64,
    /// Its fingerprint.
    pub fingerprint: String,
    /// Why, for every place tried (its blob unreadable, the repository gone, the rules no
    /// longer finding it).
    pub reason: String,
}

/// Where a repository of the datastore is on this machine (a local path, or the mirror of a
/// remote one); `None` when it is not here.
pub type Locate<'a> = &'a dyn Fn(&StoredRepo) -> Option<PathBuf>;

/// Rebuilds `findings` from their blobs: for each, its matches and their occurrences in
/// order, the repository found with `locate` among `repos`, the blob read (at most
/// `max_size` bytes) and scanned with `scan`, until a finding with the same fingerprint comes
/// out. Never fails as a whole: what cannot be rebuilt is listed in [`Reread::not_rebuilt`].
pub fn reread(
    scan: &Scan,
    findings: &[StoredFinding],
    repos: &[StoredRepo],
    locate: Locate<'_>,
    max_size: u64,
) -> Reread {
    let by_id: HashMap<&str, &StoredRepo> = repos.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut opened: HashMap<PathBuf, Result<Repository, String>> = HashMap::new();
    let mut out = Reread::default();
    for f in findings {
        let mut why: Vec<String> = Vec::new();
        let mut found = None;
        'places: for m in &f.matches {
            let parsed = BlobId::parse(&m.blob);
            let Some((blob, oid)) =
                parsed.and_then(|b| Oid::from_bytes(b.as_bytes()).ok().map(|o| (b, o)))
            else {
                why.push(format!("blob {}: not a blob id", m.blob));
                continue;
            };
            for o in &m.occurrences {
                let Some(repo) = by_id.get(o.repo_id.as_str()) else {
                    why.push(format!("{}: not in the datastore", o.repo_name));
                    continue;
                };
                let Some(path) = locate(repo) else {
                    why.push(format!("{}: repository not found on this machine", repo.name));
                    continue;
                };
                let git = opened.entry(path.clone()).or_insert_with(|| open(&path));
                let content = match git {
                    Ok(git) => read_blob(git, oid, max_size),
                    Err(e) => Err(e.clone()),
                };
                let content = match content {
                    Ok(c) => c,
                    Err(e) => {
                        why.push(format!("{}: blob {}: {e}", repo.name, m.blob));
                        continue;
                    }
                };
                let origin = origin_of(o);
                match rescan(scan, content, origin, blob, &f.fingerprint) {
                    Ok(Some(finding)) => {
                        found = Some(finding);
                        break 'places;
                    }
                    Ok(None) => why.push(format!(
                        "{}: blob {}: the current rules no longer find it there",
                        repo.name, m.blob
                    )),
                    Err(e) => why.push(format!("{}: blob {}: {e}", repo.name, m.blob)),
                }
            }
        }
        match found {
            Some(finding) => out.findings.push(finding),
            None => {
                if why.is_empty() {
                    why.push("no place of it is stored".to_owned());
                }
                why.dedup();
                out.not_rebuilt.push(NotRebuilt {
                    id: f.id,
                    fingerprint: f.fingerprint.clone(),
                    reason: why.join("; "),
                });
            }
        }
    }
    out
}

fn open(path: &std::path::Path) -> Result<Repository, String> {
    // No search upwards: a path that is not a repository must not become its parent's.
    Repository::open_ext(path, RepositoryOpenFlags::NO_SEARCH, std::iter::empty::<&str>())
        .map_err(|e| format!("cannot open {}: {}", path.display(), e.message()))
}

fn read_blob(repo: &Repository, oid: Oid, max_size: u64) -> Result<Vec<u8>, String> {
    let odb = repo.odb().map_err(|e| e.message().to_owned())?;
    let (size, kind) = odb.read_header(oid).map_err(|e| e.message().to_owned())?;
    if kind != git2::ObjectType::Blob {
        return Err(format!("not a blob but a {kind}"));
    }
    if size as u64 > max_size {
        return Err(format!("{size} bytes, larger than the limit of {max_size} bytes"));
    }
    let blob = repo.find_blob(oid).map_err(|e| e.message().to_owned())?;
    Ok(blob.content().to_vec())
}

/// The finding of `content` with `fingerprint`, as `scan` finds it.
fn rescan(
    scan: &Scan,
    content: Vec<u8>,
    origin: Origin,
    blob: BlobId,
    fingerprint: &str,
) -> Result<Option<Finding>, String> {
    let source = OneBlob { content, origin, blob };
    let mut sink = Collect::new();
    scan.run(&source, &mut sink).map_err(|e| e.to_string())?;
    Ok(sink.into_outcome().findings.into_iter().find(|f| f.fingerprint.as_str() == fingerprint))
}

/// One blob's content as a source.
struct OneBlob {
    content: Vec<u8>,
    origin: Origin,
    blob: BlobId,
}

impl Source for OneBlob {
    fn scan(&self, factory: &dyn VisitorFactory) {
        let mut visitor = factory.visitor();
        deliver_chunk(
            &self.content,
            ReadMethod::Buffered,
            self.origin.clone(),
            Some(self.blob),
            None,
            visitor.as_mut(),
        );
    }
}
