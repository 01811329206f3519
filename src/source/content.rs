//! Reading file content: small files into a reused buffer, large ones memory-mapped, and
//! whether a file changed while it was scanned.
//!
//! This is the only module with `unsafe` code.
//!
//! # Files that change under the scan
//!
//! Mapping is what makes large files fast (no copy, no buffer to grow), but a mapped file that
//! another process truncates raises `SIGBUS` on the first read of a page past its new end, and
//! the default action kills the process: the whole report was lost. So on Linux a mapping is
//! *guarded*:
//!
//! - Once per process, on the first large read, a `SIGBUS` handler is installed
//!   (`sigaction`, `SA_SIGINFO | SA_ONSTACK`), keeping the handler it replaces.
//! - Every mapping is registered in a fixed table of address ranges, written with atomics
//!   only (a sequence counter per slot, so that the handler never trusts a half-written
//!   range), before any byte of it is read, and removed before it is unmapped.
//! - When a `SIGBUS` names an address inside a registered range, the handler maps anonymous
//!   zero pages over the mapping from the faulting page to its end (`MAP_FIXED`), marks the
//!   mapping as faulted and returns: the read resumes and sees zeros. `mmap` is
//!   async-signal-safe, and the handler takes no lock and allocates nothing. Any other
//!   `SIGBUS` (another mapping, a signal sent with `kill`) goes to the handler it replaced (the
//!   standard library's stack-overflow handler, in a plain Rust program), or to the default
//!   action.
//! - A file is mapped only while the handler is in place (checked per mapping, one
//!   `sigaction` call), and only if a slot is free; otherwise it is read into the buffer.
//!
//! After the content was scanned, the source asks [`Content::changed`]: a mapping that
//! faulted, or a file whose size, modification or status-change time differs from what
//! `fstat` said before it was read, changed under the scan, and the source reports it
//! ([`SkipReason::Changed`](super::SkipReason::Changed), a gap). Buffered content is a copy,
//! so it is compared once, right after it was read. What was found in the content is still
//! reported; the gap says the content was not scanned as it is now.
//!
//! Mapping stays the way large files are read (the guard costs a `sigaction` query, a slot and
//! an `fstat` per mapped file: nothing measurable, `docs/benchmarks.md`). Reading recently
//! modified files instead of mapping them was the other option; it narrows the window but
//! cannot close it (a file may be truncated at any time), and a change is reported either way.
//!
//! The table and the handler are process-wide, as signal dispositions are: this is the one
//! exception to "no global mutable state" in the library. A program that embeds the library
//! and installs its own `SIGBUS` handler afterwards turns the guard off (files are then read,
//! not mapped); a handler installed before is chained to. On Windows a mapped file cannot be
//! truncated (the system refuses while a mapping exists), so mappings there are not guarded.
//! Other systems read every file into the buffer.
#![allow(unsafe_code)]

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::ops::Deref;

use memmap2::{Mmap, MmapOptions};

/// How content was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMethod {
    /// Copied into memory (small files, standard input, git objects).
    Buffered,
    /// Memory-mapped.
    Mapped,
}

/// How a file changed while it was scanned (see [`ContentReader`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// It shrank while mapped: what lay past its new end was read as zeros.
    Shrank {
        /// Its size when it was opened.
        before: u64,
    },
    /// Its size changed between the moment it was opened and the end of its scan.
    Resized {
        /// Its size when it was opened.
        before: u64,
        /// Its size at the end.
        after: u64,
    },
    /// It was rewritten (its modification or status-change time moved; same size).
    Rewritten,
    /// It was removed after the walk listed it and before it could be opened.
    Removed,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Shrank { before } => write!(
                f,
                "changed while scanned: it shrank from {before} bytes while mapped, and what \
                 lay past its new end was read as zeros"
            ),
            Change::Resized { before, after } => {
                write!(f, "changed while scanned: from {before} to {after} bytes")
            }
            Change::Rewritten => f.write_str("changed while scanned: it was rewritten"),
            Change::Removed => f.write_str("removed during the scan, before it could be read"),
        }
    }
}

/// The buffer capacity [`ContentReader::trim`] keeps.
const KEEP: u64 = 1 << 20;

/// Reads files, reusing one buffer. Keep one per worker thread.
///
/// Large files are memory-mapped. On Linux a mapping is guarded: a process-wide `SIGBUS`
/// handler, installed on the first mapped read, turns a read past the end of a file truncated
/// under the scan into zeros instead of killing the process (any other `SIGBUS` goes to the
/// handler it replaced, or the default action). [`Content::changed`] then says how the file
/// changed while it was read; a source reports that as
/// [`SkipReason::Changed`](super::SkipReason::Changed).
#[derive(Debug)]
pub struct ContentReader {
    buf: Vec<u8>,
    mmap_threshold: u64,
}

/// Content borrowed from a [`ContentReader`] or mapped from a file. Dereferences to its bytes.
#[derive(Debug)]
pub struct Content<'a> {
    data: Data<'a>,
    /// For mapped content: the file and what it looked like when it was mapped.
    watched: Option<(File, Stamp)>,
    /// For buffered content: how the file changed while it was read.
    changed: Option<Change>,
}

#[derive(Debug)]
enum Data<'a> {
    Buffered(&'a [u8]),
    Mapped(Guarded),
}

impl Deref for Content<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.data {
            Data::Buffered(b) => b,
            Data::Mapped(m) => &m.map,
        }
    }
}

impl Content<'_> {
    /// How the content was read.
    pub fn method(&self) -> ReadMethod {
        match self.data {
            Data::Buffered(_) => ReadMethod::Buffered,
            Data::Mapped(_) => ReadMethod::Mapped,
        }
    }

    /// How the file changed since it was opened, if it did. Ask after the content was
    /// scanned: a mapping reads the file as it is at each access, so a change at any moment
    /// until then matters. Costs one `fstat` for mapped content, nothing for buffered content
    /// (it was compared when it was read).
    pub fn changed(&self) -> Option<Change> {
        if let Some(change) = self.changed {
            return Some(change);
        }
        let Data::Mapped(guarded) = &self.data else { return None };
        let (file, stamp) = self.watched.as_ref()?;
        if guarded.faulted() {
            return Some(Change::Shrank { before: stamp.len });
        }
        match file.metadata() {
            Ok(now) => stamp.compare(&Stamp::of(&now)),
            Err(_) => Some(Change::Rewritten),
        }
    }
}

/// What `fstat` says about a file, as far as telling a change goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Status-change time (seconds, nanoseconds): a truncation moves it too.
    #[cfg(unix)]
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            #[cfg(unix)]
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// How the file went from `self` to `now`.
    fn compare(&self, now: &Stamp) -> Option<Change> {
        if now.len != self.len {
            Some(Change::Resized { before: self.len, after: now.len })
        } else if now != self {
            Some(Change::Rewritten)
        } else {
            None
        }
    }
}

impl ContentReader {
    /// Files of at least `mmap_threshold` bytes are memory-mapped (where mappings are guarded:
    /// on Linux and Windows); smaller ones are read.
    pub fn new(mmap_threshold: u64) -> ContentReader {
        ContentReader { buf: Vec::new(), mmap_threshold }
    }

    /// Reads an open file, `metadata` being what `fstat` said of it just before. The file is
    /// read as it is; [`Content::changed`] says whether it changed meanwhile.
    pub fn read(&mut self, mut file: File, metadata: &Metadata) -> io::Result<Content<'_>> {
        let stamp = Stamp::of(metadata);
        let len = stamp.len;
        if len >= self.mmap_threshold
            && len > 0
            && let Some(guarded) = Guarded::map(&file, len)
        {
            return Ok(Content {
                data: Data::Mapped(guarded),
                watched: Some((file, stamp)),
                changed: None,
            });
        }
        read_all(&mut file, &mut self.buf, len)?;
        let changed = if self.buf.len() as u64 != len {
            Some(Change::Resized { before: len, after: self.buf.len() as u64 })
        } else {
            file.metadata().map_or(Some(Change::Rewritten), |m| stamp.compare(&Stamp::of(&m)))
        };
        Ok(Content { data: Data::Buffered(&self.buf), watched: None, changed })
    }

    /// Frees the buffer if a large file was read into it, so that a reader kept per worker
    /// holds large content only while it is scanned.
    pub fn trim(&mut self) {
        if self.buf.capacity() as u64 > KEEP {
            self.buf = Vec::new();
        }
    }

    /// Reads a stream of unknown size (standard input, a pipe, a device) up to `limit` bytes.
    /// Returns `Ok(None)` if the stream holds more than `limit` bytes.
    pub fn read_stream(&mut self, stream: impl Read, limit: u64) -> io::Result<Option<&[u8]>> {
        self.buf.clear();
        // One byte past the limit tells "exactly the limit" from "more".
        stream.take(limit.saturating_add(1)).read_to_end(&mut self.buf)?;
        Ok((self.buf.len() as u64 <= limit).then_some(&self.buf[..]))
    }
}

/// Reads `file` to its end into `buf`, `len` (its size from `fstat`) being a hint.
/// `read_to_end` would ask `statx` and `lseek` for the size again: two system calls per file,
/// which show in the system time of a scan of many small files (`docs/benchmarks.md`).
fn read_all(file: &mut File, buf: &mut Vec<u8>, len: u64) -> io::Result<()> {
    buf.clear();
    // One byte more than expected: a second read that returns nothing ends a file that did
    // not grow, without growing the buffer.
    let mut size = usize::try_from(len).unwrap_or(usize::MAX).saturating_add(1).max(1024);
    buf.resize(size, 0);
    let mut n = 0;
    loop {
        if n == size {
            size = size.saturating_mul(2);
            buf.resize(size, 0);
        }
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.clear();
                return Err(e);
            }
        }
    }
    buf.truncate(n);
    Ok(())
}

/// A read-only mapping of a whole file that cannot crash the process when the file shrinks
/// (on Linux; see the module documentation).
#[derive(Debug)]
struct Guarded {
    map: Mmap,
    #[cfg(target_os = "linux")]
    slot: usize,
}

impl Guarded {
    /// Maps the first `len` bytes of `file` (its size when it was opened: memmap2 would ask
    /// `fstat` again), or `None` when it cannot be mapped safely here (no guard on this system,
    /// the guard not in place, no free slot) or cannot be mapped at all (procfs, some network
    /// filesystems): then it is read instead.
    fn map(file: &File, len: u64) -> Option<Guarded> {
        let len = usize::try_from(len).ok()?;
        #[cfg(target_os = "linux")]
        {
            if !guard::ready() {
                return None;
            }
            // SAFETY: the mapping is read-only and private to this process. Another process
            // may still change the file: the bytes may change under us (we report it, see
            // `Content::changed`), and a truncation would raise SIGBUS on reads past the new
            // end. The range is registered before any byte is read and removed in `Drop`
            // before the unmapping, and the guard's handler turns that SIGBUS into zero pages.
            let map = unsafe { MmapOptions::new().len(len).map(file) }.ok()?;
            let slot = guard::register(map.as_ptr() as usize, map.len())?;
            Some(Guarded { map, slot })
        }
        #[cfg(windows)]
        {
            // SAFETY: read-only and private; Windows refuses to truncate a file while a
            // mapping of it exists, so every mapped byte stays readable.
            unsafe { MmapOptions::new().len(len).map(file) }.ok().map(|map| Guarded { map })
        }
        #[cfg(not(any(target_os = "linux", windows)))]
        {
            let _ = (file, len);
            None
        }
    }

    /// Whether a read past the file's end was turned into zeros.
    fn faulted(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            guard::faulted(self.slot)
        }
        #[cfg(not(target_os = "linux"))]
        {
            false
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Guarded {
    fn drop(&mut self) {
        // Before `map` is unmapped (fields drop after this), so that the range is never
        // registered while another mapping may take its addresses.
        guard::unregister(self.slot);
    }
}

/// The SIGBUS guard: the registry of mapped ranges and the handler.
#[cfg(target_os = "linux")]
mod guard {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

    /// Mappings alive at once, at most: one per worker thread is enough (threads are clamped
    /// to four per core); a mapping that finds no slot is read instead.
    const SLOTS: usize = 1024;

    /// One registered mapping. `seq` is odd while the range is being written: the handler
    /// reads `seq`, the range, then `seq` again, and trusts the range only if both reads of
    /// `seq` are the same even number.
    struct Slot {
        busy: AtomicBool,
        seq: AtomicUsize,
        start: AtomicUsize,
        end: AtomicUsize,
        faulted: AtomicBool,
    }

    impl Slot {
        const fn new() -> Slot {
            Slot {
                busy: AtomicBool::new(false),
                seq: AtomicUsize::new(0),
                start: AtomicUsize::new(0),
                end: AtomicUsize::new(0),
                faulted: AtomicBool::new(false),
            }
        }

        fn write(&self, start: usize, end: usize) {
            self.seq.fetch_add(1, Ordering::Relaxed);
            fence(Ordering::Release);
            self.start.store(start, Ordering::Relaxed);
            self.end.store(end, Ordering::Relaxed);
            self.seq.fetch_add(1, Ordering::Release);
        }

        /// The range, if it was read whole.
        fn read(&self) -> Option<(usize, usize)> {
            let before = self.seq.load(Ordering::Acquire);
            if before % 2 == 1 {
                return None;
            }
            let range = (self.start.load(Ordering::Relaxed), self.end.load(Ordering::Relaxed));
            fence(Ordering::Acquire);
            (self.seq.load(Ordering::Relaxed) == before).then_some(range)
        }
    }

    static SLOT_TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];

    /// The page size, read once when the handler is installed (`sysconf` is not
    /// async-signal-safe).
    static PAGE: AtomicUsize = AtomicUsize::new(0);

    /// The disposition the handler replaced, which gets every SIGBUS that is not ours.
    static PREVIOUS: OnceLock<Previous> = OnceLock::new();

    /// `libc::sigaction` with what we need of it, plain data.
    #[derive(Clone, Copy)]
    struct Previous {
        action: libc::sighandler_t,
        flags: libc::c_int,
    }

    /// Whether the handler was installed (once per process).
    static INSTALLED: OnceLock<bool> = OnceLock::new();

    /// Whether mapped reads are guarded now: the handler was installed and is still the
    /// process's SIGBUS disposition (a program embedding the library may have replaced it).
    pub(super) fn ready() -> bool {
        if !*INSTALLED.get_or_init(install) {
            return false;
        }
        // SAFETY: a query (no new action); `current` is written by the call.
        unsafe {
            let mut current: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut current) == 0
                && current.sa_sigaction == on_sigbus as *const () as libc::sighandler_t
        }
    }

    fn install() -> bool {
        // SAFETY: sysconf and sigaction with valid pointers; `on_sigbus` is async-signal-safe
        // (atomics, mmap, sigaction, raise: see its comments).
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page <= 0 || (page as usize).count_ones() != 1 {
                return false;
            }
            PAGE.store(page as usize, Ordering::Relaxed);
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
            // On the alternate stack where the thread has one: a stack overflow may raise
            // SIGBUS too, and the handler it goes to must not run on the overflowed stack.
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &action, &mut old) != 0 {
                return false;
            }
            let _ = PREVIOUS.set(Previous { action: old.sa_sigaction, flags: old.sa_flags });
            true
        }
    }

    /// Registers the mapping `[start, start + len)`; the slot, or `None` when all are taken.
    pub(super) fn register(start: usize, len: usize) -> Option<usize> {
        let i = SLOT_TABLE.iter().position(|s| {
            s.busy.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
        })?;
        let slot = &SLOT_TABLE[i];
        slot.faulted.store(false, Ordering::Relaxed);
        slot.write(start, start.saturating_add(len));
        Some(i)
    }

    pub(super) fn unregister(i: usize) {
        let slot = &SLOT_TABLE[i];
        slot.write(0, 0);
        slot.busy.store(false, Ordering::Release);
    }

    pub(super) fn faulted(i: usize) -> bool {
        SLOT_TABLE[i].faulted.load(Ordering::Acquire)
    }

    /// The SIGBUS handler. Only async-signal-safe operations: atomic loads and stores, `mmap`,
    /// `sigaction`, `raise`, and the replaced handler (which had to be safe in its own right).
    extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for an SA_SIGINFO handler.
        let (addr, code) = unsafe { ((*info).si_addr() as usize, (*info).si_code) };
        // A fault (si_code > 0), not a signal sent by a process.
        if code > 0 && rescue(addr) {
            return;
        }
        // SAFETY: hands the signal on as the kernel would have.
        unsafe { pass_on(sig, info, ctx, code) }
    }

    /// Maps zero pages over the registered mapping holding `addr`, from its page to the
    /// mapping's end, and marks it faulted; whether it did.
    fn rescue(addr: usize) -> bool {
        let page = PAGE.load(Ordering::Relaxed);
        let Some(slot) = SLOT_TABLE
            .iter()
            .find(|s| s.read().is_some_and(|(start, end)| start <= addr && addr < end))
        else {
            return false;
        };
        // The slot of a mapping being read is stable: only its owner unregisters it, after
        // the reads (this one included) are done.
        let Some((_, end)) = slot.read() else { return false };
        let from = addr & !(page - 1);
        let to = end.saturating_add(page - 1) & !(page - 1);
        // SAFETY: async-signal-safe. `errno` is kept for the code the signal interrupted.
        // The range lies inside a live read-only mapping of ours that nothing writes to; the
        // zero pages replace the part of it past the file's end, and are unmapped with it.
        unsafe {
            let errno = *libc::__errno_location();
            let p = libc::mmap(
                from as *mut libc::c_void,
                to - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            );
            *libc::__errno_location() = errno;
            if p == libc::MAP_FAILED {
                return false;
            }
        }
        slot.faulted.store(true, Ordering::Release);
        true
    }

    /// A SIGBUS that is not ours: to the handler we replaced, or the default action.
    ///
    /// # Safety
    ///
    /// Called from the signal handler with its arguments.
    unsafe fn pass_on(
        sig: libc::c_int,
        info: *mut libc::siginfo_t,
        ctx: *mut libc::c_void,
        code: libc::c_int,
    ) {
        let previous =
            PREVIOUS.get().copied().unwrap_or(Previous { action: libc::SIG_DFL, flags: 0 });
        match previous.action {
            libc::SIG_IGN => {}
            libc::SIG_DFL => {
                // SAFETY: sigaction and raise are async-signal-safe. Returning re-runs a
                // faulting access, which now gets the default action (the process ends as it
                // would have without us); a signal sent by a process is raised again.
                unsafe {
                    let mut default: libc::sigaction = std::mem::zeroed();
                    default.sa_sigaction = libc::SIG_DFL;
                    libc::sigaction(sig, &default, std::ptr::null_mut());
                    if code <= 0 {
                        libc::raise(sig);
                    }
                }
            }
            handler if previous.flags & libc::SA_SIGINFO != 0 => {
                // SAFETY: the replaced handler was installed with SA_SIGINFO: this is its type.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(handler) };
                f(sig, info, ctx);
            }
            handler => {
                // SAFETY: the replaced handler was installed without SA_SIGINFO.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
                f(sig);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
        path
    }

    fn open(path: &std::path::Path) -> (File, Metadata) {
        let f = File::open(path).unwrap();
        let m = f.metadata().unwrap();
        (f, m)
    }

    #[test]
    fn small_files_are_buffered_large_ones_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_of(&dir, "f", &[b'x'; 4096]);
        let mut r = ContentReader::new(1024);
        let (f, m) = open(&path);
        let c = r.read(f, &m).unwrap();
        #[cfg(any(target_os = "linux", windows))]
        assert_eq!(c.method(), ReadMethod::Mapped);
        assert_eq!(c.len(), 4096);
        assert_eq!(c.changed(), None);
        let mut r = ContentReader::new(1 << 20);
        let (f, m) = open(&path);
        let c = r.read(f, &m).unwrap();
        assert_eq!(c.method(), ReadMethod::Buffered);
        assert_eq!(&c[..3], b"xxx");
        assert_eq!(c.changed(), None);
    }

    #[test]
    fn streams_are_bounded() {
        let mut r = ContentReader::new(0);
        assert_eq!(r.read_stream(&b"abcd"[..], 4).unwrap(), Some(&b"abcd"[..]));
        assert_eq!(r.read_stream(&b"abcde"[..], 4).unwrap(), None);
    }

    #[test]
    fn empty_files_are_never_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_of(&dir, "empty", b"");
        let mut r = ContentReader::new(0);
        let (f, m) = open(&path);
        let c = r.read(f, &m).unwrap();
        assert_eq!(c.method(), ReadMethod::Buffered);
        assert!(c.is_empty());
    }

    #[test]
    fn a_buffered_file_that_grew_since_its_fstat_is_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_of(&dir, "f", b"abc");
        let (f, m) = open(&path);
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"def").unwrap();
        let mut r = ContentReader::new(1 << 20);
        let c = r.read(f, &m).unwrap();
        assert_eq!(&c[..], b"abcdef");
        assert_eq!(c.changed(), Some(Change::Resized { before: 3, after: 6 }));
    }

    #[test]
    fn reads_go_to_the_end_whatever_the_size_hint_says() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let path = file_of(&dir, "f", &bytes);
        for hint in [0, 1, 4999, 5000, 5001, 1 << 20] {
            let mut buf = vec![7; 3];
            read_all(&mut File::open(&path).unwrap(), &mut buf, hint).unwrap();
            assert_eq!(buf, bytes, "hint {hint}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_mapped_file_truncated_under_the_scan_reads_as_zeros_and_is_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let page = 4096 * 16; // at least one page on every Linux page size up to 64 KiB
        let path = file_of(&dir, "big", &vec![b'x'; page * 4]);
        let mut r = ContentReader::new(1024);
        let (f, m) = open(&path);
        let c = r.read(f, &m).unwrap();
        assert_eq!(c.method(), ReadMethod::Mapped);
        assert_eq!(c[0], b'x');
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(page as u64).unwrap();
        // Every byte past the first `page` is now past the end of the file: SIGBUS, rescued.
        let tail: u64 = c[page..].iter().map(|&b| u64::from(b)).sum();
        assert_eq!(tail, 0);
        assert_eq!(c[..page].iter().filter(|&&b| b == b'x').count(), page);
        assert_eq!(c.changed(), Some(Change::Shrank { before: (page * 4) as u64 }));
        drop(c);
        // The slot is free again and the next mapping is not flagged.
        let (f, m) = open(&path);
        let c = r.read(f, &m).unwrap();
        assert_eq!(c.method(), ReadMethod::Mapped);
        assert_eq!(c.len(), page);
        assert_eq!(c.changed(), None);
    }

    /// The guard rescues only its own mappings: a SIGBUS anywhere else still ends the process
    /// as it would have without the guard (here, in a child that reads past the end of a
    /// truncated mapping that is not registered).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_sigbus_outside_the_registered_mappings_still_ends_the_process() {
        assert!(guard::ready(), "the guard installs");
        let dir = tempfile::tempdir().unwrap();
        let path = file_of(&dir, "f", &vec![b'z'; 1 << 16]);
        let file = File::open(&path).unwrap();
        // SAFETY: a private read-only mapping; only the child reads it, past the end.
        let map = unsafe { Mmap::map(&file) }.unwrap();
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(0).unwrap();
        let past_end = map.as_ptr().wrapping_add(8192);
        // SAFETY: the child only makes system calls and reads one byte before `_exit`: no
        // lock or allocation that another thread of this process could have held at the fork.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            // SAFETY: see above; no core file for the expected crash.
            unsafe {
                let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
                libc::setrlimit(libc::RLIMIT_CORE, &none);
                std::ptr::read_volatile(past_end);
                libc::_exit(0);
            }
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGBUS,
            "the child was not ended by SIGBUS: status {status:#x}"
        );
        drop(map);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_mapped_file_that_grew_is_changed_and_its_mapping_unflagged() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_of(&dir, "big", &[b'y'; 8192]);
        let mut r = ContentReader::new(1024);
        let (f, m) = open(&path);
        let c = r.read(f, &m).unwrap();
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"more").unwrap();
        assert_eq!(c.len(), 8192);
        assert_eq!(c.changed(), Some(Change::Resized { before: 8192, after: 8196 }));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn slots_are_taken_once_and_reused_once_freed() {
        let a = guard::register(0x10_000, 0x2000).unwrap();
        let b = guard::register(0x40_000, 0x1000).unwrap();
        assert_ne!(a, b);
        assert!(!guard::faulted(a));
        guard::unregister(a);
        let c = guard::register(0x80_000, 0x1000).unwrap();
        assert!(!guard::faulted(c));
        guard::unregister(b);
        guard::unregister(c);
    }
}
