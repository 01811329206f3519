//! Where each blob was introduced, and findings attributed to the commits that did.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use git2::Oid;

use super::History;
use crate::finding::{CommitInfo, Finding, Origin};
use crate::source::git;

/// Where blobs were introduced, filled in by the workers.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) blobs: HashMap<Oid, Occurrences>,
    paths: Vec<String>,
    path_ids: HashMap<Box<[u8]>, u32>,
}

/// The commits (by index) and paths (by id) that introduced one blob.
pub(super) struct Occurrences {
    first: (u32, u32),
    /// Further occurrences, kept only with `all_occurrences`.
    more: Vec<(u32, u32)>,
}

impl Seen {
    fn path_id(&mut self, path: &[u8]) -> u32 {
        if let Some(&id) = self.path_ids.get(path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(String::from_utf8_lossy(path).into_owned());
        self.path_ids.insert(path.into(), id);
        id
    }
}

impl History {
    /// Names, for each finding of this scan, the commit that introduced its content: the
    /// oldest one, or with `all_occurrences` one finding per commit and path. Commit messages
    /// get their commit's author, date and summary. Call once, after the scan.
    pub fn attribute(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut infos = Infos::new(self);
        let mut info = |id: Oid| infos.get(id);
        let mut out = Vec::with_capacity(findings.len());
        for f in findings {
            match &f.origin {
                Origin::Commit { .. } => {
                    let Some(occ) = Oid::from_bytes(f.blob_id.as_bytes())
                        .ok()
                        .and_then(|id| seen.blobs.get(&id))
                    else {
                        out.push(f);
                        continue;
                    };
                    let mut places = vec![occ.first];
                    if self.options.all_occurrences {
                        places.extend(&occ.more);
                        places.sort_unstable();
                        places.dedup();
                    }
                    for (c, p) in places {
                        let mut g = f.clone();
                        g.origin = Origin::Commit {
                            path: seen.paths[p as usize].clone(),
                            commit: info(self.commits[c as usize]),
                        };
                        out.push(g);
                    }
                }
                Origin::CommitMessage { commit } => {
                    let full = Oid::from_str(&commit.id).map(&mut info);
                    let mut g = f;
                    if let Ok(commit) = full {
                        g.origin = Origin::CommitMessage { commit };
                    }
                    out.push(g);
                }
                _ => out.push(f),
            }
        }
        out
    }

    /// Every commit and path that introduced `blob`, oldest commit first (see
    /// [`History::occurrences`]).
    pub(super) fn places(&self, blob: &crate::finding::BlobId) -> Vec<(String, Arc<CommitInfo>)> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(occ) = Oid::from_bytes(blob.as_bytes()).ok().and_then(|id| seen.blobs.get(&id))
        else {
            return Vec::new();
        };
        let mut places = vec![occ.first];
        places.extend(&occ.more);
        places.sort_unstable();
        places.dedup();
        let mut infos = Infos::new(self);
        places
            .into_iter()
            .map(|(c, p)| (seen.paths[p as usize].clone(), infos.get(self.commits[c as usize])))
            .collect()
    }

    /// Records that commit `c` introduced `entries`; returns those met for the first time.
    pub(super) fn record(&self, c: u32, entries: Vec<(Vec<u8>, Oid)>) -> Vec<(Vec<u8>, Oid)> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let mut new = Vec::new();
        for (path, id) in entries {
            let p = seen.path_id(&path);
            let Seen { blobs, paths, .. } = &mut *seen;
            match blobs.get_mut(&id) {
                Some(occ) => {
                    let (fc, fp) = occ.first;
                    if (c, &paths[p as usize]) < (fc, &paths[fp as usize]) {
                        let old = std::mem::replace(&mut occ.first, (c, p));
                        if self.options.all_occurrences {
                            occ.more.push(old);
                        }
                    } else if self.options.all_occurrences {
                        occ.more.push((c, p));
                    }
                }
                None => {
                    blobs.insert(id, Occurrences { first: (c, p), more: Vec::new() });
                    new.push((path, id));
                }
            }
        }
        new
    }
}

/// Commit details, read once per commit from a handle of the history's repository.
struct Infos {
    repo: Option<git2::Repository>,
    known: HashMap<Oid, Arc<CommitInfo>>,
}

impl Infos {
    fn new(history: &History) -> Infos {
        let repo = git::reopen(&history.git_dir, &history.options.git_env).ok();
        Infos { repo, known: HashMap::new() }
    }

    /// The commit's author, date and summary (a stub with its id alone when it cannot be read).
    fn get(&mut self, id: Oid) -> Arc<CommitInfo> {
        let repo = &self.repo;
        self.known
            .entry(id)
            .or_insert_with(|| {
                repo.as_ref()
                    .and_then(|r| r.find_commit(id).ok())
                    .map(|c| Arc::new(git::commit_info(&c)))
                    .unwrap_or_else(|| git::commit_stub(id))
            })
            .clone()
    }
}
