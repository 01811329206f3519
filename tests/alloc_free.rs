//! `Detector::find` allocates nothing on content without keyword hits once its `Scratch` is
//! warm: the promise that makes scanning mostly clean trees cheap.
//!
//! A counting global allocator wraps the system one. It counts only on threads that asked for
//! it (a thread-local flag), so the test harness and tests running in parallel do not disturb
//! the count.
//!
//! This is a test binary of its own, not a module of `tests/it`: a `#[global_allocator]` is
//! the allocator of the whole process, so there it would sit under every integration test.

// A global allocator is an `unsafe impl`; this test binary is the only place outside
// `source::content` that needs one.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use keysentry::detect::{Coverage, Detector, Match, Scratch};
use keysentry::rules::RuleSet;

struct Counting;

thread_local! {
    // `const` and `Copy`: no lazy initialisation, no destructor, so no allocation either.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    // Per thread too: with one shared counter, a test counting on another thread at the same
    // time added its allocations to this one's (a flaky failure of the warm-scratch test).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Bytes allocated and not yet freed, on every thread, and the most there were since
/// [`peak_in`] started measuring: the pipeline's workers and collector run on threads of their
/// own.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(by: usize) {
    LIVE.fetch_sub(by, Ordering::Relaxed);
}

fn note_allocation() {
    // `try_with`: the flag may already be gone while a thread shuts down.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the contract; the
// bookkeeping neither allocates nor touches the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        grew(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        grew(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        grew(new_size);
        shrank(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (including reallocations) made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get) - before
}

/// About 300 KiB of code-like text (several detector blocks) holding none of the rules'
/// keywords.
fn clean_chunk(detector: &Detector) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "let", "value", "buffer", "length", "index", "result", "parse", "write", "read", "node",
        "queue", "cache", "entry", "width", "height", "offset", "count", "state", "event", "path",
    ];
    let mut text = String::new();
    let mut i = 0usize;
    while text.len() < 300 * 1024 {
        let (a, b, c) = (WORDS[i % 20], WORDS[(i * 7 + 3) % 20], WORDS[(i * 13 + 5) % 20]);
        text.push_str(&format!("    {a}_{i} = {b}({c}, {});\n", i * 31 % 1000));
        i += 1;
    }
    let lower = text.to_ascii_lowercase();
    for k in detector.keywords() {
        assert!(!lower.contains(k.as_str()), "the clean chunk holds keyword {k:?}");
    }
    text.into_bytes()
}

/// The clean chunk with one AWS key id in the middle, and its byte range.
fn chunk_with_a_key(clean: &[u8]) -> (Vec<u8>, (usize, usize)) {
    let id = ["AKIA", "QUJZDEGX", "DNCF32EP"].concat();
    let mid = clean.len() / 2;
    let cut =
        mid + clean[mid..].iter().position(|&b| b == b'\n').expect("lines end with newlines") + 1;
    let mut text = clean[..cut].to_vec();
    text.extend_from_slice(b"aws_access_key_id = ");
    let start = text.len();
    text.extend_from_slice(id.as_bytes());
    text.push(b'\n');
    text.extend_from_slice(&clean[cut..]);
    (text, (start, start + id.len()))
}

fn detector() -> Detector {
    Detector::new(RuleSet::builtin().expect("built-in rules compile"))
}

#[test]
fn a_clean_chunk_allocates_nothing_once_scratch_is_warm() {
    let detector = detector();
    let clean = clean_chunk(&detector);
    let mut scratch = Scratch::new();
    let mut out: Vec<Match> = Vec::new();

    // The first call grows the scratch buffers.
    let first = allocations_in(|| {
        assert_eq!(detector.find(&clean, &mut scratch, &mut out), Coverage::Complete)
    });
    assert!(first > 0, "the counting allocator sees nothing: the test proves nothing");
    assert!(out.is_empty());

    let second = allocations_in(|| {
        assert_eq!(detector.find(&clean, &mut scratch, &mut out), Coverage::Complete)
    });
    assert_eq!(second, 0, "allocations on a warm scratch");
    assert!(out.is_empty());
}

#[test]
fn a_chunk_with_a_hit_still_works_on_a_warm_scratch() {
    let detector = detector();
    let clean = clean_chunk(&detector);
    let (hit, (start, end)) = chunk_with_a_key(&clean);
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    assert_eq!(detector.find(&clean, &mut scratch, &mut out), Coverage::Complete);

    assert_eq!(detector.find(&hit, &mut scratch, &mut out), Coverage::Complete);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!((out[0].start, out[0].end), (start, end));
    assert_eq!(detector.rules()[out[0].rule].id, "aws.access_key_id");

    // And clean content after it is still clean, with nothing allocated when `out` is a fresh
    // vector.
    let mut out = Vec::new();
    let n = allocations_in(|| {
        assert_eq!(detector.find(&clean, &mut scratch, &mut out), Coverage::Complete)
    });
    assert_eq!(n, 0);
    assert!(out.is_empty());
}

/// The pipeline reuses one `Vec<Match>` per worker, cleared before each chunk: once a chunk
/// had a finding, that vector has capacity, which must not cost an allocation per chunk.
#[test]
fn a_clean_chunk_allocates_nothing_with_a_reused_match_vector() {
    let detector = detector();
    let clean = clean_chunk(&detector);
    let (hit, _) = chunk_with_a_key(&clean);
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    assert_eq!(detector.find(&clean, &mut scratch, &mut out), Coverage::Complete);
    assert_eq!(detector.find(&hit, &mut scratch, &mut out), Coverage::Complete);
    assert_eq!(out.len(), 1);

    out.clear();
    let n = allocations_in(|| {
        assert_eq!(detector.find(&clean, &mut scratch, &mut out), Coverage::Complete)
    });
    assert_eq!(n, 0, "allocations with a reused, cleared match vector");
    assert!(out.is_empty());
}

/// The most bytes live at once while `f` ran, above what was live when it started. One
/// measurement at a time; tests in parallel add their own allocations, which are small.
fn peak_in<T>(f: impl FnOnce() -> T) -> (T, usize) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// A sink that counts findings and keeps none: what a datastore that writes each finding out
/// costs the pipeline.
#[derive(Default)]
struct Counter(u64);

impl keysentry::Sink for Counter {
    fn finding(&mut self, _: keysentry::finding::Finding) -> std::io::Result<()> {
        self.0 += 1;
        Ok(())
    }
    fn skipped(
        &mut self,
        _: keysentry::finding::Origin,
        _: keysentry::source::SkipReason,
    ) -> std::io::Result<()> {
        Ok(())
    }
    fn error(&mut self, _: keysentry::source::SourceError) -> std::io::Result<()> {
        Ok(())
    }
    fn warning(&mut self, _: String) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: &keysentry::Summary) -> std::io::Result<()> {
        Ok(())
    }
}

/// An AWS key id for `n`, distinct for every `n` (base 32, as key ids are written).
fn key_id(n: usize) -> String {
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut id = String::from("AKIA");
    // Spread over every digit: ids of many equal digits look like placeholders.
    let mut v = n as u64;
    for _ in 0..16 {
        v = v.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        id.push(DIGITS[(v >> 59) as usize] as char);
    }
    id
}

/// A scan's memory grows with the findings in flight, not with the findings total: 100,000
/// findings streamed to a sink that keeps none take a fraction of what collecting them takes.
#[test]
fn issue_13_memory_grows_with_findings_in_flight_not_in_total() {
    const FILES: usize = 5_000;
    const PER_FILE: usize = 20;
    let dir = tempfile::tempdir().expect("temporary directory");
    for file in 0..FILES {
        let mut text = String::new();
        for line in 0..PER_FILE {
            text.push_str(&format!("aws_access_key_id = {}\n", key_id(file * PER_FILE + line)));
        }
        std::fs::write(dir.path().join(format!("f{file}.txt")), text).expect("write");
    }
    let scan = keysentry::Scan::new(
        RuleSet::builtin().expect("built-in rules compile"),
        keysentry::ScanOptions::default(),
    );
    let worktree = || {
        keysentry::source::worktree::Worktree::new(keysentry::source::worktree::WorktreeOptions {
            paths: vec![dir.path().to_path_buf()],
            ignore: keysentry::source::worktree::IgnoreFiles::Respect,
            symlinks: keysentry::source::worktree::Symlinks::Skip,
            max_file_size: 1 << 20,
            mmap_threshold: 1 << 20,
            threads: 2,
        })
    };
    let (streamed, streaming_peak) = peak_in(|| {
        let mut sink = Counter::default();
        let summary = scan.run(&worktree(), &mut sink).expect("counted");
        (sink.0, summary.findings)
    });
    // A few random ids fall to the rule's own checks (low entropy and the like).
    assert_eq!(streamed.0, streamed.1);
    assert!(streamed.0 > 99_000, "{streamed:?}");
    let (collected, collecting_peak) = peak_in(|| {
        let mut sink = keysentry::Collect::new();
        scan.run(&worktree(), &mut sink).expect("collected");
        sink.into_outcome().findings.len()
    });
    assert_eq!(collected as u64, streamed.0, "both sinks get the same findings");
    eprintln!(
        "100,000 findings: peak {:.1} MiB streamed to a counting sink, {:.1} MiB collected",
        streaming_peak as f64 / f64::from(1 << 20),
        collecting_peak as f64 / f64::from(1 << 20)
    );
    assert!(
        streaming_peak * 4 < collecting_peak,
        "streaming peaked at {streaming_peak} bytes, collecting at {collecting_peak}"
    );
}
