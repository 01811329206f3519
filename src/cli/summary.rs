//! The closing summary of a scan on stderr: what was not scanned and why, the warnings, the
//! counts and the findings by rule; for the hooks, the short report and what to do about a
//! blocked commit or push. Everything that comes from the scanned content is
//! redacted and escaped.

use super::cmd::count;
use super::log::Log;
use std::io::{self, BufWriter, Write};

use anyhow::Context;

use super::exit::ExitStatus;
use super::scanning::status;
use keysentry::report::{Redactor, Reporter, SecretDisplay, Short, escape, gaps};
use keysentry::sink::ScanOutcome;
use keysentry::source::SkipReason;

/// Writes skipped items, errors and the closing summary to stderr. `unit` names what was
/// scanned, singular and plural.
pub(crate) fn summarize(outcome: &ScanOutcome, unit: (&'static str, &'static str), log: Log) {
    // Paths and messages come from the scanned content: every known secret redacted, and
    // escaped in full (line feeds too).
    let redactor = Redactor::new(outcome, SecretDisplay::Redact);
    let name =
        |o: &keysentry::finding::Origin| escape(&redactor.origin(o).display_name()).into_owned();
    for e in &outcome.errors {
        log.error(escape(&redactor.string(&e.to_string())));
    }
    for (origin, reason) in &outcome.skipped {
        match reason {
            SkipReason::TooLarge { size, limit } => log.alert(format_args!(
                "not scanned: {}: {} is larger than the limit of {} (--max-file-size)",
                name(origin),
                human_bytes(*size),
                human_bytes(*limit)
            )),
            SkipReason::Binary => log.debug(format_args!("skipped binary {}", name(origin))),
            SkipReason::LfsPointer => {
                log.debug(format_args!("skipped Git LFS pointer {}", name(origin)))
            }
            SkipReason::NotAFile => log.warn(format_args!(
                "skipped {}: not a regular file (a FIFO, socket or device), not opened",
                name(origin)
            )),
            SkipReason::Cut { .. } => {
                log.alert(format_args!("not scanned in full: {}: {reason}", name(origin)))
            }
            other if other.is_gap() => {
                log.alert(format_args!("not scanned: {}: {other}", name(origin)))
            }
            other => log.debug(format_args!("skipped {}: {other}", name(origin))),
        }
    }
    for w in &outcome.warnings {
        log.alert(escape(&redactor.string(w)));
    }
    if outcome.is_incomplete() {
        log.alert(format_args!(
            "the scan is incomplete: {} not scanned in full (exit status 2 unless secrets were \
             found)",
            count(keysentry::report::gaps(outcome).len() as u64, "item was", "items were")
        ));
    }
    let s = &outcome.stats;
    let secs = outcome.elapsed.as_secs_f64();
    let rate = if secs > 0.0 { s.bytes as f64 / secs / f64::from(1 << 20) } else { 0.0 };
    let n = outcome.findings.len();
    let mut line = format!(
        "scanned {} ({}) in {:.2}s ({:.0} MiB/s): {}",
        count(s.scanned, unit.0, unit.1),
        human_bytes(s.bytes),
        secs,
        rate,
        count(n as u64, "finding", "findings"),
    );
    if s.skipped_binary + s.skipped_too_large > 0 {
        line.push_str(&format!(
            "; skipped {} binary, {} too large",
            s.skipped_binary, s.skipped_too_large
        ));
    }
    if s.errors > 0 {
        line.push_str(&format!("; {}", count(s.errors, "error", "errors")));
    }
    log.info(line);
    let by_rule = keysentry::report::counts_by_rule(&outcome.findings);
    if !by_rule.is_empty() {
        let width = by_rule.iter().map(|(_, n)| n.to_string().len()).max().unwrap_or(1);
        let mut table = String::from("findings by rule:");
        for (rule, n) in by_rule {
            table.push_str(&format!("\n  {n:>width$}  {rule}"));
        }
        log.info(table);
    }
}

/// Writes the short report and what to do about it. A file that was not scanned in full
/// blocks like a finding (exit 2), with how to proceed.
pub(crate) fn hook_verdict(
    outcome: &ScanOutcome,
    what: &str,
    blocked: &str,
    secrets: SecretDisplay,
    color: bool,
    log: Log,
) -> anyhow::Result<ExitStatus> {
    let status = status(outcome);
    let mut out = BufWriter::new(io::stdout().lock());
    let written = Short { secrets, color }.report(outcome, &mut out).and_then(|()| out.flush());
    match written {
        // A closed stdout loses the list, not the verdict.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write report")?,
    }
    let redactor = Redactor::new(outcome, secrets);
    for e in &outcome.errors {
        log.error(escape(&redactor.string(&e.to_string())));
    }
    for w in &outcome.warnings {
        log.alert(escape(&redactor.string(w)));
    }
    let n = outcome.findings.len() as u64;
    if n > 0 {
        log.info(format_args!(
            "keysentry: {} in the {what}: {blocked}.\n\
             A false positive? Add its path to .keysentryignore, or bypass the check once with \
             --no-verify.",
            count(n, "secret", "secrets")
        ));
    }
    let not_scanned: Vec<_> = gaps(outcome).into_iter().filter(|g| g.origin.is_some()).collect();
    for g in &not_scanned {
        log.alert(escape(&g.text(&redactor)));
    }
    if outcome.is_incomplete() {
        // Not hidden by --quiet: this is why the commit or push is refused.
        log.alert(format_args!(
            "{} in the {what} could not be scanned in full: {blocked}.\n\
             To proceed consciously: raise the limit (`keysentry hook --max-file-size 100M`, \
             also in the installed hook or the pre-commit `args`), allowlist the path \
             (.keysentryignore or the configuration's allowlist), or bypass the check once \
             with `git commit --no-verify` (`git push --no-verify`).",
            count(gaps(outcome).len() as u64, "item", "items")
        ));
    } else if n == 0 {
        log.debug(format_args!(
            "{what}: {} scanned",
            count(outcome.stats.scanned, "file", "files")
        ));
    }
    Ok(status)
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(50 << 20), "50.0 MiB");
    }
}
