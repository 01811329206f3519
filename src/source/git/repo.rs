//! Opening a repository as git's environment says, and libgit2's process-wide options.

use std::path::{Path, PathBuf};

use git2::Repository;

use super::GitError;

/// Where git's environment puts the parts of a repository: the variables git itself sets for
/// a hook (`git commit -a` hands the pre-commit hook a temporary index in `GIT_INDEX_FILE`;
/// a pre-receive hook sees quarantined objects through `GIT_OBJECT_DIRECTORY` and
/// `GIT_ALTERNATE_OBJECT_DIRECTORIES`) and that people set to point git elsewhere. The library
/// never reads the process environment: the binary captures these once and passes them in.
/// Relative paths are taken relative to the process's working directory, as git does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitEnv {
    /// `GIT_DIR`: the repository (its `.git` directory); no discovery from the path given.
    pub git_dir: Option<PathBuf>,
    /// `GIT_WORK_TREE`: the working tree's top.
    pub work_tree: Option<PathBuf>,
    /// `GIT_INDEX_FILE`: the index to read staged changes from, instead of `$GIT_DIR/index`.
    pub index_file: Option<PathBuf>,
    /// `GIT_OBJECT_DIRECTORY`: the object store, instead of `$GIT_DIR/objects`.
    pub object_directory: Option<PathBuf>,
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES`: further object stores, searched after the first.
    pub alternate_object_directories: Vec<PathBuf>,
}

/// Opens the repository at or above `path` (a working tree, a `.git` directory, a bare
/// repository or a mirror), or the one `env` names, with the index, working tree and object
/// stores `env` names.
pub fn open(path: &Path, env: &GitEnv) -> Result<Repository, GitError> {
    let repo = match &env.git_dir {
        Some(dir) => Repository::open(dir)
            .map_err(|source| GitError::NotARepository { path: dir.clone(), source })?,
        None => Repository::discover(path)
            .map_err(|source| GitError::NotARepository { path: path.to_path_buf(), source })?,
    };
    apply_env(&repo, env)?;
    Ok(repo)
}

/// Opens the repository at `git_dir` again (a worker thread's own handle), as [`open`] did.
pub(crate) fn reopen(git_dir: &Path, env: &GitEnv) -> Result<Repository, git2::Error> {
    let repo = Repository::open(git_dir)?;
    apply_env(&repo, env)?;
    Ok(repo)
}

/// The index file of `repo`: `GIT_INDEX_FILE`, else `index` in its git directory.
pub(crate) fn index_path(repo: &Repository, env: &GitEnv) -> PathBuf {
    env.index_file.clone().unwrap_or_else(|| repo.path().join("index"))
}

fn apply_env(repo: &Repository, env: &GitEnv) -> Result<(), git2::Error> {
    if let Some(dir) = &env.work_tree {
        repo.set_workdir(dir, false)?;
    }
    if env.object_directory.is_none() && env.alternate_object_directories.is_empty() {
        return Ok(());
    }
    let odb = match &env.object_directory {
        Some(dir) => {
            let odb = git2::Odb::new()?;
            odb.add_disk_alternate(utf8_path(dir)?)?;
            odb
        }
        None => repo.odb()?,
    };
    for dir in &env.alternate_object_directories {
        odb.add_disk_alternate(utf8_path(dir)?)?;
    }
    repo.set_odb(&odb)
}

/// libgit2 takes object directories as text.
fn utf8_path(path: &Path) -> Result<&str, git2::Error> {
    path.to_str().ok_or_else(|| {
        git2::Error::from_str(&format!(
            "object directory {} is not UTF-8, which libgit2 cannot open",
            path.display()
        ))
    })
}

/// Sets the libgit2 options keysentry's git sources are tuned for. They are process-wide, so
/// the library never sets them itself: the `keysentry` binary calls this once at start-up,
/// before any repository is opened, and a program that embeds the library decides for itself
/// (call this at start-up, or set the same options with [`git2::opts`]; the git sources work
/// the same without them, only slower and with more memory):
///
/// - Hash verification of every object read off
///   ([`git2::opts::strict_hash_verification`]`(false)`): it recomputes SHA-1 (with collision
///   detection, which is slow) of each blob, doubling the cost of a history scan, while zlib's
///   own checksum still catches corruption, and the sources check themselves every blob they
///   would pass over and every blob of a staged or range scan.
/// - libgit2's object cache off ([`git2::opts::enable_caching`]`(false)`): a history scan
///   reads each blob once, and keeps the trees it reads twice in a cache of its own. On a
///   17,000-commit history the cache made the tree walk slower (0.87 s against 0.57 s) and
///   tripled peak memory (290 MB against 90 MB).
pub fn set_libgit2_options() {
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
}
