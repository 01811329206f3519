//! The filter stage of the collector: allowlists, ignore lists and baselines applied to one
//! finding at a time, with what it takes to say at the end whether an allowlist entry hid
//! every finding of the scan (a stopword, regex or path that allows everything).

use std::path::Path;

use crate::filter::{Allowlist, Filters};
use crate::finding::Finding;

pub(super) struct Filtering<'f> {
    filters: &'f Filters,
    kept: usize,
    left_out: usize,
    /// Each allowlist entry, described, and whether it alone allowed every finding left out
    /// so far.
    entries: Vec<(String, Allowlist, bool)>,
}

impl<'f> Filtering<'f> {
    pub(super) fn new(filters: &'f Filters) -> Filtering<'f> {
        let entries = filters
            .allowlists
            .iter()
            .enumerate()
            .flat_map(|(i, a)| {
                let name = match &a.description {
                    Some(d) => format!("allowlist {i} ({d:?})"),
                    None => format!("allowlist {i}"),
                };
                a.entries()
                    .into_iter()
                    .map(move |(what, entry)| (format!("{name}: {what}"), entry, true))
            })
            .collect();
        Filtering { filters, kept: 0, left_out: 0, entries }
    }

    pub(super) fn keep(&mut self, f: &Finding) -> bool {
        if self.filters.keep(f) {
            self.kept += 1;
            return true;
        }
        self.left_out += 1;
        if self.kept == 0 {
            for (_, entry, all) in self.entries.iter_mut().filter(|e| e.2) {
                *all = entry.allows(f);
            }
        }
        false
    }

    pub(super) fn left_out(&self) -> usize {
        self.left_out
    }

    /// Warnings for allowlist entries that alone left out every finding of the scan, when it
    /// made some and all were left out.
    pub(super) fn hid_everything(&self, config: Option<&Path>) -> Vec<String> {
        if self.kept > 0 || self.left_out == 0 {
            return Vec::new();
        }
        let file = config.map_or_else(String::new, |f| format!("{}: ", f.display()));
        let n = self.left_out;
        let findings = if n == 1 { "1 finding".to_owned() } else { format!("{n} findings") };
        self.entries
            .iter()
            .filter(|e| e.2)
            .map(|(entry, _, _)| {
                format!(
                    "{file}{entry} left out every finding of this scan ({findings}); if that \
                     is not meant, narrow it (or check with --no-config)"
                )
            })
            .collect()
    }
}
