//! Files on disk: a parallel, gitignore-aware walk.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use ignore::{WalkBuilder, WalkState};

use super::walk_ignore::IgnoreRules;

use super::{
    Budget, Change, ContentReader, SkipReason, Source, SourceError, Visitor, VisitorFactory,
};
use crate::finding::Origin;

pub use crate::files::names::IGNORE_FILE;

/// Files at least this large are memory-mapped.
pub const MMAP_THRESHOLD: u64 = 1024 * 1024;

/// Files (and blobs) larger than this are skipped unless the user sets another limit.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 50 << 20;

/// Whether ignore files are honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IgnoreFiles {
    /// Honour `.gitignore` (inside git repositories), `.ignore`, `.keysentryignore`, and git's
    /// global and per-repository excludes.
    Respect,
    /// Scan everything.
    Disregard,
}

/// Whether symbolic links are followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symlinks {
    /// Links are passed over (named roots are still read).
    Skip,
    /// Links are followed; loops are reported as errors.
    Follow,
}

/// Options of a working-tree scan.
#[derive(Clone, Debug)]
pub struct WorktreeOptions {
    /// Roots: directories or files.
    pub paths: Vec<PathBuf>,
    /// Ignore-file handling.
    pub ignore: IgnoreFiles,
    /// Symbolic link handling.
    pub symlinks: Symlinks,
    /// Files larger than this are skipped and reported.
    pub max_file_size: u64,
    /// Files at least this large are memory-mapped.
    pub mmap_threshold: u64,
    /// Worker threads (0: one per core; at most [`super::MAX_THREADS_PER_CORE`] per core).
    pub threads: usize,
}

/// Walks directories in parallel and reads every file that is not ignored, binary or too large.
/// Hidden files (`.env`, `.aws/credentials`) are scanned; `.git` directories are not.
#[derive(Debug)]
pub struct Worktree {
    options: WorktreeOptions,
}

impl Worktree {
    /// A source over the given options.
    pub fn new(options: WorktreeOptions) -> Worktree {
        Worktree { options }
    }

    /// The walk, and the ignore rules it consults (read by keysentry, never by the walker:
    /// see [`super::walk_ignore`]).
    fn walker(&self) -> Option<(ignore::WalkParallel, Option<Arc<IgnoreRules>>)> {
        // A root named twice is walked once: its findings would otherwise come twice.
        let mut roots: Vec<&PathBuf> = Vec::with_capacity(self.options.paths.len());
        for p in &self.options.paths {
            if !roots.contains(&p) {
                roots.push(p);
            }
        }
        let (first, rest) = roots.split_first()?;
        let mut b = WalkBuilder::new(first);
        for p in rest {
            b.add(p);
        }
        let rules = (self.options.ignore == IgnoreFiles::Respect)
            .then(|| Arc::new(IgnoreRules::new(&self.options.paths)));
        let filter = rules.clone();
        b.standard_filters(false)
            .hidden(false)
            .follow_links(self.options.symlinks == Symlinks::Follow)
            .threads(super::worker_threads(self.options.threads))
            .filter_entry(move |e| {
                if e.depth() == 0 {
                    return true;
                }
                if e.file_name() == ".git" {
                    return false;
                }
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                !filter.as_ref().is_some_and(|r| r.ignored(e.path(), is_dir))
            });
        Some((b.build_parallel(), rules))
    }
}

impl Source for Worktree {
    fn scan(&self, factory: &dyn VisitorFactory) {
        let Some((walker, rules)) = self.walker() else { return };
        let max = self.options.max_file_size;
        let threshold = self.options.mmap_threshold;
        let budget = Budget::new(super::CONTENT_IN_FLIGHT);
        let budget = &budget;
        walker.run(|| {
            let mut visitor = factory.visitor();
            let mut reader = ContentReader::new(threshold);
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        visitor.error(walk_error(e));
                        return WalkState::Continue;
                    }
                };
                // Roots named by the user are read even when they are links, pipes or devices
                // (`scan /dev/stdin`, `scan <(cmd)`); inside the tree such files are passed
                // over, since reading a FIFO could block forever.
                let is_file = match entry.file_type() {
                    Some(t) if t.is_file() => true,
                    Some(t) if t.is_dir() => false,
                    Some(_) if entry.depth() == 0 => true,
                    Some(t) if t.is_symlink() => false,
                    // A FIFO, socket or device in the tree: listed as skipped, never opened.
                    Some(_) => {
                        let path = display_path(entry.into_path());
                        visitor.skipped(Origin::File { path }, SkipReason::NotAFile);
                        return WalkState::Continue;
                    }
                    None => false,
                };
                if !is_file {
                    return WalkState::Continue;
                }
                let path = display_path(entry.into_path());
                read_file(path, (max, budget), &mut reader, visitor.as_mut());
                WalkState::Continue
            })
        });
        let warnings = rules.map(|r| r.take_warnings()).unwrap_or_default();
        if !warnings.is_empty() {
            let mut visitor = factory.visitor();
            for w in warnings {
                visitor.warning(w);
            }
        }
    }
}

/// Like ripgrep, shows `a/b` rather than `./a/b` for a walk rooted at `.`.
fn display_path(path: PathBuf) -> PathBuf {
    match path.strip_prefix("./") {
        Ok(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => path,
    }
}

/// Reads and delivers one file no larger than `max`, holding its size from `budget` while
/// its content is in memory.
fn read_file(
    path: PathBuf,
    (max, budget): (u64, &Budget),
    reader: &mut ContentReader,
    visitor: &mut dyn Visitor,
) {
    let io_err = |path: PathBuf, source| SourceError::Io { path, source };
    let mut file = match File::open(&path) {
        Ok(f) => f,
        // Listed by the walk, gone now (and not a dangling link: that is an error).
        Err(e) if e.kind() == io::ErrorKind::NotFound && path.symlink_metadata().is_err() => {
            return visitor.skipped(Origin::File { path }, SkipReason::Changed(Change::Removed));
        }
        Err(e) => return visitor.error(io_err(path, e)),
    };
    // A binary extension alone does not hide a file: it is skipped unread only when its first
    // bytes are those of a known binary format (a `.zip` that holds text is read).
    if super::has_binary_extension(path.as_os_str().as_encoded_bytes())
        && file.metadata().is_ok_and(|m| m.is_file())
    {
        let mut head = [0u8; 16];
        let n = read_head(&mut file, &mut head);
        if super::has_binary_magic(&head[..n]) {
            return visitor.skipped(Origin::File { path }, SkipReason::Binary);
        }
        if let Err(e) = file.seek(SeekFrom::Start(0)) {
            return visitor.error(io_err(path, e));
        }
    }
    let metadata = match file.metadata() {
        Ok(m) if m.is_file() => m,
        Ok(m) if m.is_dir() => return,
        Ok(_) => return read_special(file, path, max, reader, visitor),
        Err(e) => return visitor.error(io_err(path, e)),
    };
    let len = metadata.len();
    if len > max {
        let reason = SkipReason::TooLarge { size: len, limit: max };
        return visitor.skipped(Origin::File { path }, reason);
    }
    let hold = budget.hold(len);
    let content = match reader.read(file, &metadata) {
        Ok(c) => c,
        Err(e) => return visitor.error(io_err(path, e)),
    };
    super::deliver(&content, content.method(), Origin::File { path: path.clone() }, visitor);
    // After detection: a mapping reads the file as it is at each access.
    let changed = content.changed();
    drop(content);
    // A large file read into the buffer (one that could not be mapped) is not kept there
    // once its bytes are given back to the budget.
    reader.trim();
    drop(hold);
    if let Some(change) = changed {
        visitor.skipped(Origin::File { path }, SkipReason::Changed(change));
    }
}

/// Reads up to `buf.len()` bytes from the start of `file`; how many were read.
fn read_head(file: &mut File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// Reads a named root that is not a regular file (a pipe, a device) as a bounded stream.
fn read_special(
    file: File,
    path: PathBuf,
    max: u64,
    reader: &mut ContentReader,
    visitor: &mut dyn Visitor,
) {
    let read = reader.read_stream(file, max);
    let error = |source| SourceError::Io { path: path.clone(), source };
    super::visit_stream(read, Origin::File { path: path.clone() }, max, visitor, error);
}

fn walk_error(e: ignore::Error) -> SourceError {
    // Unwrap the path and I/O cause where there is one, for a message like
    // "dir/sub: Permission denied (os error 13)".
    let mut path = None;
    let mut err = &e;
    loop {
        match err {
            ignore::Error::WithPath { path: p, err: inner } => {
                path = Some(p.strip_prefix("./").map_or_else(|_| p.clone(), Path::to_path_buf));
                err = inner;
            }
            ignore::Error::WithDepth { err: inner, .. }
            | ignore::Error::WithLineNumber { err: inner, .. } => err = inner,
            ignore::Error::Io(io) => {
                if let Some(path) = path {
                    return SourceError::Io {
                        path,
                        source: io::Error::new(io.kind(), io.to_string()),
                    };
                }
                break;
            }
            _ => break,
        }
    }
    SourceError::Walk(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Chunk;

    /// What a visitor was given, as text.
    #[derive(Default)]
    struct Record(Vec<String>);

    impl Visitor for Record {
        fn chunk(&mut self, chunk: Chunk<'_>) {
            self.0.push(format!("chunk {}", chunk.content.len()));
        }
        fn skipped(&mut self, origin: Origin, reason: SkipReason) {
            self.0.push(format!("skipped {}: {reason}", origin.display_name()));
        }
        fn error(&mut self, error: SourceError) {
            self.0.push(format!("error {error}"));
        }
    }

    fn read(path: PathBuf) -> Vec<String> {
        let budget = Budget::new(super::super::CONTENT_IN_FLIGHT);
        let mut record = Record::default();
        read_file(path, (1 << 20, &budget), &mut ContentReader::new(1024), &mut record);
        record.0
    }

    /// A file the walk listed and that is gone before it is opened changed under the scan; a
    /// dangling link is still an error.
    #[test]
    fn issue_14_a_file_removed_before_its_read_is_a_change_a_dangling_link_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gone = dir.path().join("gone.txt");
        assert_eq!(
            read(gone.clone()),
            [format!(
                "skipped {}: removed during the scan, before it could be read",
                gone.display()
            )]
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("dangling");
            std::os::unix::fs::symlink(&gone, &link).expect("symlink");
            let got = read(link);
            assert!(got.len() == 1 && got[0].starts_with("error "), "{got:?}");
        }
        let here = dir.path().join("here.txt");
        std::fs::write(&here, vec![b'a'; 4096]).expect("write");
        assert_eq!(read(here), ["chunk 4096"]);
    }
}
