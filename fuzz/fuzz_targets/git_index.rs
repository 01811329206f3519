//! The git index reader (`source/index/`: versions 2 to 4, path compression, extensions, the
//! cache tree, split indexes and their EWAH bitmaps, the comparison with `HEAD`) on arbitrary
//! index files, as the staged source reads them: the fast path and the entries for libgit2.
//! The file comes from the scanned repository, which is untrusted: a declined index is fine;
//! a panic, a hang or a stack overflow (a cache tree nested past the depth limit) is not.
//! Each input is written to one index file of an empty repository made once per process.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

struct Repo {
    _dir: tempfile::TempDir,
    repo: git2::Repository,
    index: PathBuf,
}

// The fuzzer runs one input at a time; the lock only makes the repository a static.
static REPO: LazyLock<std::sync::Mutex<Repo>> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let repo = git2::Repository::init(dir.path()).expect("an empty repository");
    let index = dir.path().join("fuzz-index");
    std::sync::Mutex::new(Repo { _dir: dir, repo, index })
});

fuzz_target!(|data: &[u8]| {
    let r = REPO.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::write(&r.index, data).expect("the index file writes");
    let _ = keysentry::fuzzing::git_index(&r.repo, &r.index);
});
