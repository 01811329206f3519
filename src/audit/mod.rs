//! Organisation audits: many repositories, each distinct blob scanned once across all of them
//! and across runs, results kept in a datastore so that a run can be resumed, repeated
//! incrementally, sharded and merged.
//!
//! The parts, in the order an audit uses them: [`RepoSpec`]s come from directory trees, listing
//! files, URLs and the GitHub and GitLab APIs; remote ones are mirrored into a cache; each
//! repository's history is scanned with blobs the datastore already knows passed over; the
//! results of one repository go to the datastore in one transaction.

pub mod api;
pub mod clone;
pub mod run;
pub mod shard;
pub mod sources;
pub mod store;

use std::path::PathBuf;

/// A repository to audit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoSpec {
    /// The repository's stable identity: for a remote one its URL without credentials, query,
    /// trailing `/` or `.git` (`https://github.com/acme/api`); for a local one its canonical
    /// path (`/srv/git/api.git`). The datastore's key, the shard hash's input and the name of
    /// its mirror in the clone cache all come from it.
    pub id: String,
    /// Where it is.
    pub location: RepoLocation,
    /// Its name for people: `acme/api`, or the directory's name.
    pub name: String,
    /// A fork, as the hosting API says (false when not known).
    pub fork: bool,
    /// Archived, as the hosting API says (false when not known).
    pub archived: bool,
}

/// Where a repository is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RepoLocation {
    /// A repository on this machine: a working tree, a `.git` directory, a bare repository
    /// or a mirror.
    Local(PathBuf),
    /// A clone URL (`https://`, `http://`, `git://`, `ssh://`, `file://`, or scp-like
    /// `git@host:path`); it is mirrored into the clone cache.
    Remote(String),
}
