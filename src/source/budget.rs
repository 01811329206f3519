//! A ceiling on the content that the workers of one scan hold at once.
//!
//! Each worker holds the whole of the item it scans (a file's bytes, mapped or read; a blob
//! decoded by libgit2; a diff's blobs), so without a ceiling memory grows with
//! `threads × largest item`: eight workers on eight 200 MB blobs held 1.6 GB. A worker takes
//! an item's size from the [`Budget`] before it reads the item, and gives it back when the
//! item's scan is done; when the budget is spent it waits. An item larger than the whole
//! budget waits until nothing else is held and is then scanned alone, so every item is
//! scanned and none waits forever.
//!
//! Items smaller than [`SMALL`] take nothing: they cost at most `threads × SMALL` together
//! (threads are clamped to a few per core), and a lock per small file would slow scans of
//! many files.

use std::sync::{Condvar, Mutex, PoisonError};

/// The content in flight of one scan, at most, unless one item alone is larger: the bytes of
/// the files and blobs of at least 1 MiB that its workers hold at once (see `source::budget`).
pub const CONTENT_IN_FLIGHT: u64 = 256 << 20;

/// Items smaller than this do not count against the budget.
pub(crate) const SMALL: u64 = 1 << 20;

/// Bytes of content in flight, shared by the workers of one scan.
#[derive(Debug)]
pub(crate) struct Budget {
    total: u64,
    held: Mutex<u64>,
    freed: Condvar,
}

/// Bytes taken from a [`Budget`], given back when dropped.
#[derive(Debug)]
#[must_use = "the bytes are given back when the hold is dropped"]
pub(crate) struct Hold<'b> {
    budget: &'b Budget,
    bytes: u64,
}

impl Budget {
    /// A budget of `total` bytes (at least [`SMALL`]).
    pub(crate) fn new(total: u64) -> Budget {
        Budget { total: total.max(SMALL), held: Mutex::new(0), freed: Condvar::new() }
    }

    /// Takes `bytes` (all of the budget for an item larger than it), waiting until they are
    /// free. Never call it while holding another [`Hold`] of the same budget: take the sum
    /// at once.
    pub(crate) fn hold(&self, bytes: u64) -> Hold<'_> {
        if bytes < SMALL {
            return Hold { budget: self, bytes: 0 };
        }
        let want = bytes.min(self.total);
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        while *held + want > self.total {
            held = self.freed.wait(held).unwrap_or_else(PoisonError::into_inner);
        }
        *held += want;
        Hold { budget: self, bytes: want }
    }

    #[cfg(test)]
    fn held(&self) -> u64 {
        *self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut held = self.budget.held.lock().unwrap_or_else(PoisonError::into_inner);
        *held -= self.bytes;
        drop(held);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn small_items_take_nothing_and_large_ones_their_size() {
        let b = Budget::new(8 * SMALL);
        let small = b.hold(SMALL - 1);
        assert_eq!(b.held(), 0);
        let large = b.hold(3 * SMALL);
        assert_eq!(b.held(), 3 * SMALL);
        drop((small, large));
        assert_eq!(b.held(), 0);
    }

    #[test]
    fn an_item_larger_than_the_budget_takes_all_of_it() {
        let b = Budget::new(4 * SMALL);
        let huge = b.hold(100 * SMALL);
        assert_eq!(b.held(), 4 * SMALL);
        drop(huge);
        assert_eq!(b.held(), 0);
    }

    /// Eight workers on items of three eighths of the budget: never more than the budget
    /// held at once, and every item goes through.
    #[test]
    fn workers_never_hold_more_than_the_budget() {
        let b = Budget::new(8 * SMALL);
        let peak = AtomicU64::new(0);
        let done = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let _hold = b.hold(3 * SMALL);
                        peak.fetch_max(b.held(), Ordering::Relaxed);
                        std::thread::yield_now();
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(done.load(Ordering::Relaxed), 400);
        let peak = peak.load(Ordering::Relaxed);
        assert!(peak <= 8 * SMALL && peak.is_multiple_of(3 * SMALL), "{peak}");
        assert_eq!(b.held(), 0);
    }
}
