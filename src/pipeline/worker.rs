//! The pipeline's worker side: one [`Worker`] per source thread runs detection, the AWS step
//! and inline ignores on each chunk while the content is at hand, and sends what it found to
//! the collector; [`Progress`] counts as it goes.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use crate::aws::AwsEnricher;
use crate::detect::{Coverage, Detector, Limits, Match, Scratch, View, decode, relocate};
use crate::finding::{BlobId, Finding, Origin};
use crate::rules::Rule;
use crate::sink::ScanStats;
use crate::source::{Chunk, Planned, ReadMethod, SkipReason, SourceError, Visitor, VisitorFactory};

/// Live counters of a running scan, for a progress display that polls them from another
/// thread. Workers add to them once per item (never per byte), so keeping them costs two
/// relaxed atomic additions per file or blob.
#[derive(Debug, Default)]
pub struct Progress {
    items: AtomicU64,
    bytes: AtomicU64,
    planned: OnceLock<Planned>,
    units_done: AtomicU64,
}

impl Progress {
    /// Items (files, blobs, inputs) scanned so far.
    pub fn items(&self) -> u64 {
        self.items.load(Ordering::Relaxed)
    }

    /// Bytes scanned so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The work the source planned (its commits, say), when it knows it, and how much of it
    /// is done.
    pub fn units(&self) -> Option<(u64, Planned)> {
        self.planned.get().map(|p| (self.units_done.load(Ordering::Relaxed), *p))
    }

    pub(super) fn plan(&self, planned: Planned) {
        let _ = self.planned.set(planned);
    }
}

/// What a worker sends the collector: what it found, passed over, failed to read and has to
/// say since its last batch. Batched, because a channel operation (a futex wake-up, often)
/// per skipped binary file cost 3 % of a scan of a mostly binary-free tree.
#[derive(Default)]
pub(super) struct Batch {
    pub(super) findings: Vec<Finding>,
    pub(super) skipped: Vec<(Origin, SkipReason)>,
    pub(super) errors: Vec<SourceError>,
    pub(super) warnings: Vec<String>,
    /// The worker's counters, in its last batch.
    pub(super) stats: Option<ScanStats>,
}

impl Batch {
    fn len(&self) -> usize {
        self.findings.len() + self.skipped.len() + self.errors.len() + self.warnings.len()
    }
}

/// Items a worker gathers before it sends them on.
const BATCH: usize = 256;

/// Makes the workers of one scan.
pub(super) struct Factory<'d> {
    pub(super) detector: &'d Detector,
    pub(super) aws: &'d AwsEnricher,
    pub(super) inline_ignore: bool,
    /// How long detection may take per item.
    pub(super) timeout: Option<std::time::Duration>,
    pub(super) progress: &'d Progress,
    pub(super) tx: SyncSender<Batch>,
}

impl VisitorFactory for Factory<'_> {
    fn visitor(&self) -> Box<dyn Visitor + '_> {
        Box::new(Worker {
            factory: self,
            tx: self.tx.clone(),
            scratch: Scratch::new(),
            matches: Vec::new(),
            views: Vec::new(),
            view_matches: Vec::new(),
            stats: ScanStats::default(),
            batch: Batch::default(),
        })
    }
}

struct Worker<'f, 'd> {
    factory: &'f Factory<'d>,
    tx: SyncSender<Batch>,
    scratch: Scratch,
    matches: Vec<Match>,
    /// The decoded views of the chunk at hand, and the matches in one of them.
    views: Vec<View>,
    view_matches: Vec<Match>,
    stats: ScanStats,
    batch: Batch,
}

impl Worker<'_, '_> {
    /// Sends the batch once it is full.
    fn gathered(&mut self) {
        if self.batch.len() >= BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        // The collector outlives every worker: it drains the channel until all senders are
        // gone, so a send fails only if the collector thread panicked.
        let _ = self.tx.send(batch);
    }
}

impl Worker<'_, '_> {
    /// Scans the chunk's decoded views (base64 values, escapes: `detect::decode`) and adds
    /// what they hold to `found`, at the encoded text's location, unless the plain content
    /// gave the same rule's finding there already.
    fn decoded(&mut self, chunk: &Chunk<'_>, limits: Limits, found: &mut Vec<Finding>) {
        let f = self.factory;
        self.views.clear();
        // The plain scan just ran with this scratch: its keyword hits say where literals join.
        decode::views_near(chunk.content, Some(self.scratch.keyword_positions()), &mut self.views);
        // The plain findings hashed the content already, if there are any.
        let mut blob = chunk.blob.or_else(|| found.first().map(|g| g.blob_id));
        let rule = |id: &str| f.detector.rules().iter().find(|r| r.id == id);
        let generic = |id: &str| rule(id).is_some_and(|r| r.generic);
        // A generic block (a PEM key) holds the specific findings strictly inside it: runs of
        // its base64 body that look like tokens (`detect::finish` does the same in one view).
        let block = |id: &str| rule(id).is_some_and(Rule::is_block);
        for view in &self.views {
            self.view_matches.clear();
            // A view adds to the content's coverage; a cut in it (a deadline) leaves the
            // content scanned as it is written, which the cut of the content itself reports.
            let _ = f.detector.find_within(
                &view.bytes,
                limits,
                &mut self.scratch,
                &mut self.view_matches,
            );
            if self.view_matches.is_empty() {
                continue;
            }
            let blob = *blob.get_or_insert_with(|| BlobId::of(chunk.content));
            let made = f.aws.findings(
                f.detector,
                &view.bytes,
                chunk.origin,
                Some(blob),
                &mut self.view_matches,
            );
            for mut finding in made {
                relocate(&mut finding, view, chunk.content, &self.matches);
                let (s, e) = (finding.location.byte_start, finding.location.byte_end);
                let overlaps = |g: &Finding| {
                    g.location.byte_start < e.max(s + 1)
                        && s < g.location.byte_end.max(g.location.byte_start + 1)
                };
                // A specific rule's finding in a view says more than a generic one of the same
                // secret in the content (`secret: …` under `aws:`, read with its path).
                let upgrade = |g: &Finding| generic(&g.rule_id) && !generic(&finding.rule_id);
                // A plain finding lying within the encoded text of this graver one (a rule for
                // base64 values in a Kubernetes Secret, where the value is a private key) found
                // the encoding, not the secret. A value that decodes to a password only is
                // still best told as the Secret's value.
                let decoded = finding.encoding.is_some();
                let holds = |g: &Finding| {
                    decoded && finding.severity > g.severity && within(chunk.content, g, &finding)
                };
                let inside = |a: &Finding, b: &Finding| {
                    let (a0, a1) = (a.location.byte_start, a.location.byte_end);
                    let (b0, b1) = (b.location.byte_start, b.location.byte_end);
                    b0 <= a0 && a1 <= b1 && (b0, b1) != (a0, a1)
                };
                let held = |inner: &Finding, outer: &Finding| {
                    block(&outer.rule_id) && !generic(&inner.rule_id) && inside(inner, outer)
                };
                if let Some(g) = found
                    .iter_mut()
                    .find(|g| overlaps(g) && same_secret(g, &finding) && !upgrade(g))
                {
                    // A key id written plainly whose secret was encoded (`\u002B` in it):
                    // the plain finding gets the pairing the view made.
                    merge_pairing(g, finding);
                } else if found.iter().any(|g| held(&finding, g)) {
                    // Part of a key's body, which the plain content reported.
                } else if generic(&finding.rule_id)
                    && found.iter().any(|g| {
                        overlaps(g) && !generic(&g.rule_id) && !holds(g) && !held(g, &finding)
                    })
                {
                    // Generic gives way to specific, as in plain content.
                } else {
                    // A finding in the view replaces the generic ones the plain text gave
                    // there (`secret: <base64 of a credentials file>`), the specific ones of
                    // the encoded text itself (a Secret's base64 `tls.key` is the private key
                    // it decodes to): it says what the secret is; and a key block joined from
                    // literals replaces the token-shaped runs of its body the plain text gave.
                    found.retain(|g| {
                        !(overlaps(g) && (generic(&g.rule_id) || holds(g) || held(g, &finding)))
                    });
                    found.push(finding);
                }
            }
        }
    }
}

/// Whether `inner`'s secret lies within the encoded text of `outer` in `content`: it is that
/// text, or a part of it. Its end may be a base64 group past `outer`'s: a decoded secret ends
/// inside the group holding its last byte, before a line end and the padding.
fn within(content: &[u8], inner: &Finding, outer: &Finding) -> bool {
    let (s, e) = (outer.location.byte_start, outer.location.byte_end);
    let (is, ie) = (inner.location.byte_start, inner.location.byte_end);
    let tail = content.get(e..ie).is_some_and(|t| {
        t.len() <= 6 && t.iter().all(|&b| b == b'=' || crate::detect::simd::is_base64(b))
    });
    s <= is && (ie <= e || tail)
}

/// Whether two findings at one place report one secret: the same rule, the same decoded
/// secret, or the same AWS key id (`aws.access_key_id_base64` in the content, and
/// `aws.access_key_id` in its base64 view).
fn same_secret(a: &Finding, b: &Finding) -> bool {
    let key = |f: &Finding| f.aws.as_ref().and_then(|a| a.key_id.clone());
    a.rule_id == b.rule_id
        || same_text(a.secret.expose(), b.secret.expose())
        || key(a).is_some_and(|k| key(b) == Some(k))
}

/// Whether two secrets are one text but for line ends and their escapes (a PEM key in a
/// JSON string, `\n` escaped, and the same key joined into lines in a view).
fn same_text(a: &str, b: &str) -> bool {
    fn bare(s: &str) -> impl Iterator<Item = u8> + '_ {
        let s = s.as_bytes();
        let mut i = 0;
        std::iter::from_fn(move || {
            loop {
                match s.get(i..) {
                    Some([b'\\', b'n' | b'r', ..]) => i += 2,
                    Some([b'\n' | b'\r' | b' ' | b'\t', ..]) => i += 1,
                    Some([c, ..]) => {
                        i += 1;
                        return Some(*c);
                    }
                    _ => return None,
                }
            }
        })
    }
    bare(a).eq(bare(b))
}

/// Gives `plain` the paired secret and session token that `decoded`, the same key id's
/// finding made in a view, has and it lacks.
fn merge_pairing(plain: &mut Finding, decoded: Finding) {
    let (Some(p), Some(d)) = (plain.aws.as_mut(), decoded.aws) else {
        return;
    };
    if p.paired_secret.is_none() {
        p.paired_secret = d.paired_secret;
    }
    if p.session_token.is_none() {
        p.session_token = d.session_token;
    }
}

impl Visitor for Worker<'_, '_> {
    fn chunk(&mut self, chunk: Chunk<'_>) {
        let f = self.factory;
        let len = chunk.content.len() as u64;
        self.stats.scanned += 1;
        self.stats.bytes += len;
        if chunk.read == ReadMethod::Mapped {
            self.stats.mapped += 1;
        }
        f.progress.items.fetch_add(1, Ordering::Relaxed);
        f.progress.bytes.fetch_add(len, Ordering::Relaxed);
        self.matches.clear();
        let limits = Limits { deadline: f.timeout.map(|t| std::time::Instant::now() + t) };
        let coverage =
            f.detector.find_within(chunk.content, limits, &mut self.scratch, &mut self.matches);
        if let Coverage::Cut { at, reason } = coverage {
            // What was found before the cut is reported below; the cut is a gap.
            let reason = SkipReason::Cut { at: at as u64, size: len, reason };
            self.batch.skipped.push((chunk.origin.clone(), reason));
            self.gathered();
        }
        let mut found = if self.matches.is_empty() {
            Vec::new()
        } else {
            f.aws.findings(f.detector, chunk.content, chunk.origin, chunk.blob, &mut self.matches)
        };
        self.decoded(&chunk, limits, &mut found);
        if found.is_empty() {
            return;
        }
        let content = chunk.content;
        found.retain(|finding| {
            let loc = &finding.location;
            chunk.lines.is_none_or(|lines| lines.touches(loc.line, loc.end_line))
                && !(f.inline_ignore
                    && crate::filter::inline::allowed(content, loc.byte_start, loc.byte_end))
        });
        if !found.is_empty() {
            self.batch.findings.append(&mut found);
            self.gathered();
        }
    }

    fn skipped(&mut self, origin: Origin, reason: SkipReason) {
        match reason {
            SkipReason::Binary => self.stats.skipped_binary += 1,
            SkipReason::TooLarge { .. } => self.stats.skipped_too_large += 1,
            SkipReason::LfsPointer => self.stats.skipped_lfs += 1,
            // Listed, not counted apart: the statistics' shape stays as it is.
            SkipReason::ShallowHistory
            | SkipReason::NotAFile
            | SkipReason::Changed(_)
            | SkipReason::Cut { .. } => {}
        }
        self.batch.skipped.push((origin, reason));
        self.gathered();
    }

    fn error(&mut self, error: SourceError) {
        self.stats.errors += 1;
        self.batch.errors.push(error);
        self.gathered();
    }

    fn warning(&mut self, message: String) {
        self.batch.warnings.push(message);
        self.gathered();
    }

    fn unit_done(&mut self) {
        self.factory.progress.units_done.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Worker<'_, '_> {
    fn drop(&mut self) {
        self.batch.stats = Some(std::mem::take(&mut self.stats));
        self.send();
    }
}
