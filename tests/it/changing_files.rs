//! Files that change while they are scanned (issue 14, point 3): a file truncated while it was
//! memory-mapped killed the process with SIGBUS (4 runs of 8 on a 40 MB file), and the whole
//! report was lost. Every run must now end with a report, and a change must be reported.

use std::io::{Seek, SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::common::TestEnv;

/// Files of this size are mapped (the threshold is 1 MiB).
const SIZE: usize = 8 << 20;
const FILES: usize = 3;
const RUNS: usize = 8;

fn text(size: usize) -> Vec<u8> {
    b"plain text, nothing secret in it, a line of a log that grows\n"
        .iter()
        .copied()
        .cycle()
        .take(size)
        .collect()
}

/// Truncates each file to a quarter and writes it back whole, round after round, until
/// `stop`; counts the rounds.
fn churn(paths: Vec<std::path::PathBuf>, stop: Arc<AtomicBool>, rounds: Arc<AtomicU64>) {
    let full = text(SIZE);
    while !stop.load(Ordering::Relaxed) {
        for p in &paths {
            let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(p) else { continue };
            let _ = f.set_len((SIZE / 4) as u64);
            std::thread::sleep(std::time::Duration::from_millis(1));
            let _ = f.seek(SeekFrom::Start(0)).and_then(|_| f.write_all(&full));
        }
        rounds.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn issue_14_files_truncated_and_regrown_during_scans_are_reported_and_never_crash() {
    let env = TestEnv::new();
    let paths: Vec<_> = (0..FILES).map(|i| env.write(&format!("log{i}.txt"), text(SIZE))).collect();
    env.write("small.txt", "nothing here\n");
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let churner = {
        let (stop, rounds) = (stop.clone(), rounds.clone());
        std::thread::spawn(move || churn(paths, stop, rounds))
    };
    let mut reported = 0;
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        let before = rounds.load(Ordering::Relaxed);
        let run = env.scan_json(&["-j", "4", "."]);
        let churned = rounds.load(Ordering::Relaxed) > before;
        runs.push((run, churned));
    }
    stop.store(true, Ordering::Relaxed);
    churner.join().expect("the churning thread");
    for (run, _) in &runs {
        // Never a signal (-1): a report on stdout, 0 when nothing changed under the scan, 2
        // (incomplete) when something did.
        assert!(run.code == 0 || run.code == 2, "exit {}: {}", run.code, run.stderr);
        let doc = run.json();
        assert_eq!(doc["findings"].as_array().map(Vec::len), Some(0), "{}", run.stdout);
        let changed: Vec<_> = doc["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .filter(|s| s["reason"] == "changed_while_scanned")
            .collect();
        for s in &changed {
            let path = s["origin"]["path"].as_str().unwrap_or_default();
            assert!(path.starts_with("log"), "only the churned files change: {s}");
        }
        assert_eq!(run.code == 2, !changed.is_empty(), "{}\n{}", run.stdout, run.stderr);
        assert_eq!(doc["incomplete"], !changed.is_empty(), "{}", run.stdout);
        if !changed.is_empty() {
            reported += 1;
            assert!(run.stderr.contains("changed while scanned"), "{}", run.stderr);
        }
    }
    assert!(runs.iter().any(|(_, churned)| *churned), "the files never changed during a scan");
    assert!(reported > 0, "no run of {RUNS} reported a file that changed under it");
}
