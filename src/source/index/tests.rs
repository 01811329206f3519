//! Tests of the index reader against git and libgit2, and against hostile files.

use super::format::*;
use super::split::*;
use super::*;
use crate::source::git;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    // Only PATH from this process: a test run from inside a git hook must not see the
    // hook's GIT_DIR, GIT_INDEX_FILE, … and touch the outer repository.
    let ok = Command::new("git")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn sorted(mut v: Vec<FileChange>) -> Vec<FileChange> {
    v.sort_by(|a, b| a.path.cmp(&b.path));
    v
}

/// A repository with changes in several places, in index version `version`.
fn repo_with_changes(version: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    git(d, &["config", "index.version", version]);
    let files = [("a.txt", "a"), ("x/b.txt", "b"), ("x/y/c.txt", "c"), ("z/d.txt", "d")];
    for (p, c) in files {
        std::fs::create_dir_all(d.join(p).parent().unwrap()).unwrap();
        std::fs::write(d.join(p), c).unwrap();
    }
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    std::fs::write(d.join("x/y/c.txt"), "c2").unwrap();
    std::fs::write(d.join("x/new.txt"), "n").unwrap();
    std::fs::write(d.join("top.txt"), "t").unwrap();
    git(d, &["add", "-A"]);
    dir
}

/// The fast path agrees with libgit2's diff, in every index version.
#[test]
fn agrees_with_libgit2() {
    for version in ["2", "3", "4"] {
        let dir = repo_with_changes(version);
        let repo = Repository::open(dir.path()).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let fast = sorted(
            staged_changes(&repo, Some(&head), &repo.path().join("index"))
                .expect("fast path answers"),
        );
        let index = repo.index().unwrap();
        let diff = repo.diff_tree_to_index(Some(&head), Some(&index), None).unwrap();
        assert_eq!(
            fast,
            sorted(git::diff_changes(&diff, git::Side::Tree(&head), git::Side::Index(&index))),
            "index version {version}"
        );
        let paths: Vec<_> = fast.iter().map(|c| String::from_utf8_lossy(&c.path)).collect();
        assert_eq!(paths, ["top.txt", "x/new.txt", "x/y/c.txt"], "index version {version}");

        // A deletion next to an addition may be a rename: the fast path declines.
        git(dir.path(), &["rm", "-q", "z/d.txt"]);
        assert!(staged_changes(&repo, Some(&head), &repo.path().join("index")).is_none());
    }
}

#[test]
fn nothing_staged_and_no_commit_yet() {
    let dir = repo_with_changes("2");
    let d = dir.path();
    git(d, &["commit", "-q", "-m", "all"]);
    let repo = Repository::open(d).unwrap();
    let head = repo.head().unwrap().peel_to_tree().unwrap();
    assert_eq!(staged_changes(&repo, Some(&head), &repo.path().join("index")), Some(Vec::new()));
    // Without HEAD everything is new.
    let all = staged_changes(&repo, None, &repo.path().join("index")).expect("answers");
    assert_eq!(all.len(), 6);
    assert!(all.iter().all(|c| c.old.is_none()));
}

/// A path longer than the 12-bit length field (and than PATH_MAX, so only in the index):
/// its length comes from its NUL.
#[test]
fn very_long_paths() {
    for version in ["2", "4"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        git(d, &["config", "index.version", version]);
        let long = format!("{}/long.txt", vec!["d".repeat(200); 21].join("/"));
        std::fs::write(d.join("a"), "a").unwrap();
        git(d, &["hash-object", "-w", "a"]);
        let blob = "2e65efe2a145dda7ee51d1741299f848e5bf752e"; // `git hash-object` of "a"
        for p in [long.as_str(), "z.txt"] {
            git(d, &["update-index", "--add", "--cacheinfo", &format!("100644,{blob},{p}")]);
        }
        git(d, &["write-tree"]); // fills the cache tree
        let data = std::fs::read(d.join(".git/index")).unwrap();
        let index = Index::parse(&data).expect("parses");
        let paths: Vec<_> = index.entries.iter().map(|e| index.entry(e).path).collect();
        assert_eq!(paths, [long.as_bytes(), b"z.txt"], "index version {version}");
    }
}

#[test]
fn malformed_indexes_are_declined() {
    let dir = repo_with_changes("2");
    let data = std::fs::read(dir.path().join(".git/index")).unwrap();
    assert!(Index::parse(&data).is_some());
    for cut in [0, 4, 12, 40, data.len() / 2, data.len() - 21] {
        assert!(Index::parse(&data[..cut]).is_none(), "cut at {cut}");
    }
    let mut bad = data.clone();
    bad[..4].copy_from_slice(b"XXXX");
    assert!(Index::parse(&bad).is_none());
    let mut v9 = data;
    v9[7] = 9;
    assert!(Index::parse(&v9).is_none());
}

/// The changes `git diff --cached` lists, by path.
fn git_staged_paths(dir: &Path) -> Vec<String> {
    let out = Command::new("git")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .current_dir(dir)
        .args(["diff", "--cached", "--name-only", "--diff-filter=AMRCT", "--no-renames"])
        .output()
        .unwrap();
    let mut v: Vec<String> =
        String::from_utf8(out.stdout).unwrap().lines().map(Into::into).collect();
    v.sort();
    v
}

/// Issue 12: a split index (`core.splitIndex`) is read whole, merged with its shared
/// index, by the fast path and for libgit2 (which refuses the `link` extension).
#[test]
fn issue_12_split_indexes_are_merged_with_their_shared_index() {
    for version in ["2", "3", "4"] {
        let dir = repo_with_changes(version);
        let d = dir.path();
        git(d, &["update-index", "--split-index"]);
        // Changes after the split live in the split index: a replaced entry (x/y/c.txt),
        // a deleted one (a.txt), added ones.
        std::fs::write(d.join("x/y/c.txt"), "c3").unwrap();
        std::fs::write(d.join("added.txt"), "n").unwrap();
        std::fs::write(d.join("z/e.txt"), "e").unwrap();
        git(d, &["add", "-A"]);
        let repo = Repository::open(d).unwrap();
        let index_file = repo.path().join("index");
        let data = std::fs::read(&index_file).unwrap();
        assert!(Index::parse(&data).unwrap().link.is_some(), "index version {version}");
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let fast = sorted(staged_changes(&repo, Some(&head), &index_file).expect("answers"));
        let paths: Vec<_> = fast.iter().map(|c| String::from_utf8_lossy(&c.path)).collect();
        assert_eq!(paths, git_staged_paths(d), "index version {version}");
        let index = libgit2_index(&repo, &index_file).expect("merged for libgit2");
        let diff = repo.diff_tree_to_index(Some(&head), Some(&index), None).unwrap();
        assert_eq!(
            fast,
            sorted(git::diff_changes(&diff, git::Side::Tree(&head), git::Side::Index(&index))),
            "index version {version}"
        );

        // A deletion: the fast path declines, libgit2 gets the merged index.
        git(d, &["rm", "-q", "--cached", "z/d.txt"]);
        assert!(staged_changes(&repo, Some(&head), &index_file).is_none());
        let index = libgit2_index(&repo, &index_file).expect("merged for libgit2");
        let diff = repo.diff_tree_to_index(Some(&head), Some(&index), None).unwrap();
        let paths: Vec<_> =
            sorted(git::diff_changes(&diff, git::Side::Tree(&head), git::Side::Index(&index)))
                .iter()
                .map(|c| String::from_utf8_lossy(&c.path).into_owned())
                .collect();
        assert_eq!(paths, git_staged_paths(d), "index version {version}");
    }
}

/// A version 2 index of `paths` (all the same blob), with a cache tree whose root is
/// invalid, and a zero checksum.
fn fake_index(paths: &[&[u8]], tree: &[u8]) -> Vec<u8> {
    let mut d = b"DIRC".to_vec();
    d.extend(2u32.to_be_bytes());
    d.extend((paths.len() as u32).to_be_bytes());
    for p in paths {
        let start = d.len();
        d.extend([0u8; 24]);
        d.extend(0o100644u32.to_be_bytes());
        d.extend([0u8; 12]);
        d.extend([7u8; 20]);
        d.extend((p.len().min(0xfff) as u16).to_be_bytes());
        d.extend_from_slice(p);
        d.push(0);
        while !(d.len() - start).is_multiple_of(8) {
            d.push(0);
        }
    }
    d.extend(b"TREE");
    d.extend((tree.len() as u32).to_be_bytes());
    d.extend_from_slice(tree);
    d.extend([0u8; 20]);
    d
}

/// The fast path (and, for a split index, the merge for libgit2) on an index file.
fn fast_path_on(data: &[u8]) -> Option<Vec<FileChange>> {
    thread_local! {
        static REPO: (tempfile::TempDir, Repository) = {
            let dir = tempfile::tempdir().unwrap();
            let repo = Repository::init(dir.path()).unwrap();
            (dir, repo)
        };
    }
    REPO.with(|(dir, repo)| {
        let path = dir.path().join("fake-index");
        std::fs::write(&path, data).unwrap();
        let _ = libgit2_index(repo, &path);
        staged_changes(repo, None, &path)
    })
}

/// Issue 12: the index comes from an untrusted repository. Truncated, garbled and hostile
/// index files are declined (left to libgit2) without a panic, a hang or a stack overflow.
#[test]
fn issue_12_garbage_and_truncated_indexes_never_panic() {
    // A path ending in `/` (git writes none) once made the comparison loop forever.
    let looping = fake_index(&[b"x/"], b"\0-1 0\n");
    assert!(fast_path_on(&looping).is_none());
    // Paths and cache trees nested far deeper than any repository.
    let deep = format!("{}f", "d/".repeat(2000));
    assert!(fast_path_on(&fake_index(&[deep.as_bytes()], b"\0-1 0\n")).is_none());
    let mut nested = Vec::new();
    for _ in 0..100_000 {
        nested.extend(b"d\0-1 1\n");
    }
    assert!(fast_path_on(&fake_index(&[b"a"], &nested)).is_none());
    let ok = fake_index(&[b"a", b"b/c"], b"\0-1 0\n");
    assert_eq!(fast_path_on(&ok).map(|c| c.len()), Some(2));

    // Every truncation and many mutations of real indexes, in every version and split.
    let mut samples = vec![ok, looping];
    for version in ["2", "3", "4"] {
        let dir = repo_with_changes(version);
        samples.push(std::fs::read(dir.path().join(".git/index")).unwrap());
        git(dir.path(), &["update-index", "--split-index"]);
        std::fs::write(dir.path().join("a.txt"), "changed").unwrap();
        git(dir.path(), &["add", "a.txt"]);
        samples.push(std::fs::read(dir.path().join(".git/index")).unwrap());
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for data in &samples {
        for cut in 0..data.len() {
            let _ = fast_path_on(&data[..cut]);
        }
        for _ in 0..300 {
            let mut bad = data.clone();
            for _ in 0..1 + random() % 4 {
                let at = (random() as usize) % bad.len();
                bad[at] = random() as u8;
            }
            let _ = fast_path_on(&bad);
        }
    }
    for len in [0, 1, 12, 64, 4096] {
        let mut garbage = b"DIRC\0\0\0\x02".to_vec();
        garbage.extend((0..len).map(|_| random() as u8));
        let _ = fast_path_on(&garbage);
    }
    // Bitmaps that name bits past the shared index, or claim more words than they hold.
    let mut bitmap = 64u32.to_be_bytes().to_vec();
    bitmap.extend(1u32.to_be_bytes());
    bitmap.extend((u64::MAX).to_be_bytes());
    bitmap.extend(0u32.to_be_bytes());
    assert!(ewah(&mut &bitmap[..], 3).is_none());
    let mut huge = u32::MAX.to_be_bytes().to_vec();
    huge.extend(u32::MAX.to_be_bytes());
    assert!(ewah(&mut &huge[..], 3).is_none());
    // A run of 64 set bits, then a literal word with bit 2 set: 0..64 and 66.
    let mut run = 200u32.to_be_bytes().to_vec();
    run.extend(2u32.to_be_bytes());
    run.extend(((1u64 << 33) | (1 << 1) | 1).to_be_bytes());
    run.extend(4u64.to_be_bytes());
    run.extend(0u32.to_be_bytes());
    let bits = ewah(&mut &run[..], 200).unwrap();
    assert_eq!(bits.len(), 65);
    assert_eq!(bits.last(), Some(&66));
}

#[test]
fn varints() {
    assert_eq!(varint(&[0x05]), Some((5, 1)));
    assert_eq!(varint(&[0x80, 0x00]), Some((128, 2)));
    assert_eq!(varint(&[0x81, 0x7f]), Some((383, 2)));
    assert_eq!(varint(&[0x80]), None);
}

/// Issue 14: a cache tree nested past [`MAX_DEPTH`] (the `git_index` fuzz target's seed
/// `fake-deep-tree`) turns the fast path off and nothing else: the entries still load, into an
/// index built in memory without the tree, so libgit2, which reads cache trees recursively
/// without a limit, never sees it. One level within the limit keeps the fast path.
#[test]
fn issue_14_cache_trees_past_the_depth_limit_disable_only_the_fast_path() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let path = dir.path().join("deep-index");
    let nested = |levels: usize| {
        let mut tree = b"\0-1 1\n".to_vec();
        for _ in 0..levels {
            tree.extend(b"d\0-1 1\n");
        }
        tree.extend(b"d\0-1 0\n");
        tree
    };
    std::fs::write(&path, fake_index(&[b"a"], &nested(MAX_DEPTH + 1))).unwrap();
    assert!(staged_changes(&repo, None, &path).is_none());
    let index = libgit2_index(&repo, &path).expect("the entries load without the cache tree");
    assert_eq!(index.len(), 1);
    assert!(index.get_path(Path::new("a"), 0).is_some());

    std::fs::write(&path, fake_index(&[b"a"], &nested(MAX_DEPTH - 2))).unwrap();
    assert_eq!(staged_changes(&repo, None, &path).map(|c| c.len()), Some(1));
}
