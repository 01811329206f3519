//! The progress display of long scans: an indicatif bar on stderr, drawn by a thread of its
//! own from the pipeline's counters. Shown only when stderr is a terminal and `--quiet` is not
//! given, and only once the scan has run for a moment, so short scans print nothing extra.

use std::io::IsTerminal;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::log::{Log, Verbosity};
use keysentry::audit::run::AuditProgress;
use keysentry::pipeline::Progress;
use keysentry::source::Planned;

/// How long a scan runs before the bar appears, unless the environment says otherwise.
pub(crate) const DEFAULT_DELAY: Duration = Duration::from_secs(1);

/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// When and whether to show progress.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProgressPolicy {
    pub(crate) enabled: bool,
    pub(crate) delay: Duration,
}

impl ProgressPolicy {
    /// Progress is for a person watching a terminal: never on a pipe or file, never in
    /// `--quiet`.
    pub(crate) fn new(log: Log, stderr_is_terminal: bool, delay: Option<Duration>) -> Self {
        ProgressPolicy {
            enabled: stderr_is_terminal && log.verbosity != Verbosity::Quiet,
            delay: delay.unwrap_or(DEFAULT_DELAY),
        }
    }

    /// The policy for this process's stderr.
    pub(crate) fn for_stderr(log: Log, delay: Option<Duration>) -> Self {
        ProgressPolicy::new(log, std::io::stderr().is_terminal(), delay)
    }
}

/// Runs `scan` with a fresh [`Progress`], showing it as the policy says, and clears the bar
/// before returning, so that nothing of it stays between the report and the summary.
pub(crate) fn with_progress<T>(
    policy: ProgressPolicy,
    unit: &'static str,
    scan: impl FnOnce(&Progress) -> T,
) -> T {
    let progress = Progress::default();
    if !policy.enabled {
        return scan(&progress);
    }
    // Nothing is ever sent: dropping the sender is the signal that the scan is done.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let shown = &progress;
        s.spawn(move || draw(shown, policy.delay, unit, &done_rx));
        let out = scan(&progress);
        drop(done_tx);
        out
    })
}

fn draw(progress: &Progress, delay: Duration, unit: &str, done: &Receiver<()>) {
    let started = Instant::now();
    if !delay.is_zero() && !matches!(done.recv_timeout(delay), Err(RecvTimeoutError::Timeout)) {
        return;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} scanning: {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    let frame =
        || status(progress.items(), progress.bytes(), progress.units(), started.elapsed(), unit);
    loop {
        bar.set_message(frame());
        bar.tick();
        if !matches!(done.recv_timeout(TICK), Err(RecvTimeoutError::Timeout)) {
            break;
        }
    }
    // The last frame shows the finished counts (drawn whatever the redraw rate: a scan that
    // ended within one tick would otherwise leave only a frame from before the source planned
    // its work), then the line is cleared for the summary.
    bar.finish_with_message(frame());
    bar.finish_and_clear();
}

/// `1234 files, 56.7 MiB, 89 MiB/s, 3s`; when the source planned its work,
/// `120/17076 commits, 1234 objects, 56.7 MiB, 89 MiB/s, 3s, about 7m 5s left`.
fn status(
    items: u64,
    bytes: u64,
    units: Option<(u64, Planned)>,
    elapsed: Duration,
    unit: &str,
) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { bytes as f64 / secs / f64::from(1 << 20) } else { 0.0 };
    let mut line = match units {
        Some((done, planned)) => format!("{done}/{} {}, ", planned.units, planned.name),
        None => String::new(),
    };
    line += &format!(
        "{items} {unit}, {:.1} MiB, {rate:.0} MiB/s, {}s",
        bytes as f64 / f64::from(1 << 20),
        elapsed.as_secs()
    );
    // The time left, at the pace so far: once a unit is done and while some remain.
    if let Some((done, planned)) = units.filter(|(done, p)| *done > 0 && *done < p.units) {
        line += &format!(", {}", left(secs * (planned.units - done) as f64 / done as f64));
    }
    line
}

/// [`with_progress`] for an audit: repositories done of the total, the current one, blobs
/// per second and the time left at the pace so far.
pub(crate) fn with_audit_progress<T>(
    policy: ProgressPolicy,
    audit: impl FnOnce(&AuditProgress) -> T,
) -> T {
    let progress = AuditProgress::default();
    if !policy.enabled {
        return audit(&progress);
    }
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let shown = &progress;
        s.spawn(move || draw_audit(shown, policy.delay, &done_rx));
        let out = audit(&progress);
        drop(done_tx);
        out
    })
}

fn draw_audit(progress: &AuditProgress, delay: Duration, done: &Receiver<()>) {
    let started = Instant::now();
    if !delay.is_zero() && !matches!(done.recv_timeout(delay), Err(RecvTimeoutError::Timeout)) {
        return;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} auditing: {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    let frame = || {
        let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
        let counts = AuditCounts {
            done: load(&progress.done),
            total: load(&progress.total),
            blobs: progress.scan.items(),
            known: load(&progress.known),
        };
        // Names come from the repositories' hosts: escaped like every other diagnostic.
        let names = progress.current().join(", ");
        let current = keysentry::report::escape_keep_lines(&names);
        audit_status(counts, &current, started.elapsed())
    };
    loop {
        bar.set_message(frame());
        bar.tick();
        if !matches!(done.recv_timeout(TICK), Err(RecvTimeoutError::Timeout)) {
            break;
        }
    }
    bar.finish_and_clear();
}

/// What an audit's progress line counts.
#[derive(Clone, Copy, Debug)]
struct AuditCounts {
    done: u64,
    total: u64,
    blobs: u64,
    known: u64,
}

/// `12/1000 repositories, 3456 blobs (78/s), 90 known, now acme/api, about 5m 2s left`.
fn audit_status(c: AuditCounts, current: &str, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { c.blobs as f64 / secs } else { 0.0 };
    let mut line = format!(
        "{}/{} repositories, {} blobs ({rate:.0}/s), {} known",
        c.done, c.total, c.blobs, c.known
    );
    if !current.is_empty() {
        line += &format!(", now {current}");
    }
    if c.done > 0 && c.done < c.total {
        line += &format!(", {}", left(secs * (c.total - c.done) as f64 / c.done as f64));
    }
    line
}

/// "about 4s left", "about 2m 0s left", "about 2h 46m left".
fn left(secs: f64) -> String {
    let left = secs.round() as u64;
    match left {
        0..60 => format!("about {left}s left"),
        60..3600 => format!("about {}m {}s left", left / 60, left % 60),
        _ => format!("about {}h {}m left", left / 3600, left % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_a_terminal_and_not_quiet() {
        let normal = Log { verbosity: Verbosity::Normal };
        let quiet = Log { verbosity: Verbosity::Quiet };
        assert!(ProgressPolicy::new(normal, true, None).enabled);
        assert!(!ProgressPolicy::new(normal, false, None).enabled);
        assert!(!ProgressPolicy::new(quiet, true, None).enabled);
        assert_eq!(ProgressPolicy::new(normal, true, None).delay, DEFAULT_DELAY);
    }

    #[test]
    fn status_line() {
        assert_eq!(
            status(12, 3 << 20, None, Duration::from_secs(2), "files"),
            "12 files, 3.0 MiB, 2 MiB/s, 2s"
        );
    }

    #[test]
    fn status_line_with_planned_work_says_how_long_is_left() {
        let commits = |n| Planned { units: n, name: "commits" };
        let line = |done, total, secs| {
            status(7, 4 << 20, Some((done, commits(total))), Duration::from_secs(secs), "objects")
        };
        assert_eq!(line(0, 10, 1), "0/10 commits, 7 objects, 4.0 MiB, 4 MiB/s, 1s");
        assert_eq!(line(5, 10, 4), "5/10 commits, 7 objects, 4.0 MiB, 1 MiB/s, 4s, about 4s left");
        assert!(line(100, 2100, 6).ends_with(", about 2m 0s left"), "{}", line(100, 2100, 6));
        assert!(line(1, 1000, 10).ends_with(", about 2h 46m left"), "{}", line(1, 1000, 10));
        assert!(!line(10, 10, 4).contains("left"), "nothing left");
    }

    #[test]
    fn issue_15_audit_status_line() {
        let c = AuditCounts { done: 10, total: 40, blobs: 500, known: 30 };
        assert_eq!(
            audit_status(c, "acme/api", Duration::from_secs(5)),
            "10/40 repositories, 500 blobs (100/s), 30 known, now acme/api, about 15s left"
        );
        let all = AuditCounts { done: 40, ..c };
        assert!(!audit_status(all, "", Duration::from_secs(5)).contains("left"));
    }

    #[test]
    fn disabled_progress_still_runs_the_scan() {
        let policy = ProgressPolicy { enabled: false, delay: Duration::ZERO };
        assert_eq!(with_progress(policy, "files", |p| p.items()), 0);
    }
}
