//! `keysentry audit` end to end over a generated organisation: forks sharing history, bare
//! repositories and mirrors, one corrupt, one empty, one whose clone fails; incremental
//! re-runs, kill-and-resume, shard-and-merge, triage across re-runs and merges.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{TestEnv, aws, secrets};
use keysentry::audit::store::Store;

/// A generated organisation under `<outside>/org`.
struct Org {
    env: TestEnv,
}

impl Org {
    fn dir(&self) -> PathBuf {
        self.env.outside().join("org")
    }

    fn repo(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    fn db(&self, name: &str) -> PathBuf {
        self.env.outside().join(name)
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        self.env.git_in(dir, args)
    }

    /// Writes `files` in the working copy `repo` and commits them.
    fn commit(&self, repo: &str, files: &[(&str, &str)], message: &str) {
        let dir = self.repo(repo);
        for (path, text) in files {
            let p = dir.join(path);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, text).expect("write");
        }
        self.git(&dir, &["add", "-A"]);
        self.git(&dir, &["commit", "-q", "-m", message]);
    }

    /// `keysentry audit ARGS…` in the organisation's parent directory.
    fn audit(&self, args: &[&str]) -> crate::common::Run {
        let mut all = vec!["audit"];
        all.extend_from_slice(args);
        crate::common::Run::from(
            self.env
                .command()
                .current_dir(self.env.outside())
                .env("XDG_CACHE_HOME", self.env.outside().join("cache"))
                .args(&all)
                .output()
                .expect("run keysentry audit"),
        )
    }

    fn dump(&self, db: &str) -> String {
        Store::open(&self.db(db)).expect("open datastore").dump_logical().expect("dump")
    }
}

/// An AWS key pair and a GitHub token, synthetic, as a config file would hold them.
fn leaked_config(seed: u64) -> String {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        aws::key_id("AKIA", 123_456_789_012, seed),
        aws::secret(seed)
    )
}

/// Source-like text without secrets.
fn code(i: usize) -> String {
    format!("fn handler_{i}(x: u32) -> u32 {{\n    x * {i} + 1\n}}\n")
}

/// upstream-a (secrets in its history), upstream-b (none); fork-a1 (a working copy with a
/// commit of its own), fork-a2.git (a bare fork, nothing of its own), mirror-b.git (a mirror),
/// empty (no commits), corrupt (its objects gone).
fn organisation() -> Org {
    let org = Org { env: TestEnv::without_git() };
    let dir = org.dir();
    fs::create_dir_all(&dir).expect("org dir");
    for name in ["upstream-a", "upstream-b", "empty"] {
        let repo = org.repo(name);
        fs::create_dir_all(&repo).expect("repo dir");
        org.git(&repo, &["init", "-q", "-b", "main"]);
    }
    for i in 0..4 {
        org.commit("upstream-a", &[(&format!("src/m{i}.rs"), &code(i))], &format!("a{i}"));
        org.commit("upstream-b", &[(&format!("lib/n{i}.rs"), &code(i + 10))], &format!("b{i}"));
    }
    org.commit("upstream-a", &[("deploy/credentials", &leaked_config(1))], "deploy config");
    let pat = format!("GITHUB_TOKEN={}\n", secrets::github_pat());
    org.commit("upstream-a", &[(".env", &pat)], "env");
    org.commit("upstream-a", &[("deploy/credentials", "[default]\n")], "remove the key");
    let clone = |args: &[&str]| org.git(&dir, args);
    clone(&["clone", "-q", "upstream-a", "fork-a1"]);
    clone(&["clone", "-q", "--bare", "upstream-a", "fork-a2.git"]);
    clone(&["clone", "-q", "--mirror", "upstream-b", "mirror-b.git"]);
    clone(&["clone", "-q", "--no-local", "upstream-b", "corrupt"]);
    org.commit("fork-a1", &[("src/fork.rs", &code(99))], "fork work");
    // The corrupt one: every object gone, refs left pointing at nothing.
    let objects = org.repo("corrupt").join(".git/objects");
    fs::remove_dir_all(&objects).expect("remove objects");
    fs::create_dir_all(objects.join("pack")).expect("empty objects");
    org
}

/// The distinct blobs of the organisation's readable repositories, as git counts them.
fn distinct_blobs(org: &Org, repos: &[&str]) -> usize {
    let mut all = BTreeSet::new();
    for r in repos {
        let listing = org.git(&org.repo(r), &["rev-list", "--objects", "--all"]);
        let ids: Vec<&str> = listing.lines().filter_map(|l| l.split(' ').next()).collect();
        for id in ids {
            if org.git(&org.repo(r), &["cat-file", "-t", id]) == "blob" {
                all.insert(id.to_owned());
            }
        }
    }
    all.len()
}

/// `N blobs scanned` (or `1 blob scanned`) from the summary line.
fn scanned_blobs(stderr: &str) -> usize {
    let line = stderr.lines().find(|l| l.starts_with("audit: ")).expect("summary line");
    let (before, _) = line.split_once(" scanned, ").expect("scanned count");
    let n = before.rsplit(' ').nth(1).expect("count");
    n.parse().unwrap_or_else(|_| panic!("count in {line}"))
}

#[test]
fn issue_15_an_organisation_is_audited_end_to_end() {
    let org = organisation();
    let list = org.env.write_outside(
        "more.txt",
        "# one that cannot be cloned\nfile:///nonexistent/nothing.git\n",
    );
    let run = org.audit(&[
        "org",
        "--list",
        list.to_str().expect("utf-8"),
        "--datastore",
        "audit.db",
        "--clone-timeout",
        "20s",
    ]);
    // Findings exist: 1, although the corrupt repository and the failed clone are reported.
    run.assert_code(1);
    assert!(run.stderr.contains("corrupt"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing"), "{}", run.stderr);
    assert!(
        run.stderr.contains("2 failed") || run.stderr.contains("1 with gaps"),
        "{}",
        run.stderr
    );
    // Every distinct blob scanned once: forks and the mirror cost nothing.
    let readable = ["upstream-a", "upstream-b", "fork-a1", "fork-a2.git", "mirror-b.git"];
    assert_eq!(scanned_blobs(&run.stderr), distinct_blobs(&org, &readable), "{}", run.stderr);
    let dump = org.dump("audit.db");
    // The key is found in upstream-a and in both forks, with every occurrence.
    for repo in ["upstream-a", "fork-a1", "fork-a2.git"] {
        assert!(dump.contains(repo), "{repo} missing:\n{dump}");
    }
    assert!(dump.contains("deploy/credentials"), "{dump}");
    // The datastore never holds a secret.
    let bytes = fs::read(org.db("audit.db")).expect("db");
    let secret = aws::secret(1);
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret stored");
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
}

#[test]
fn issue_15_an_organisation_without_secrets_that_failed_exits_2() {
    let org = organisation();
    let run = org.audit(&["org/upstream-b", "org/corrupt", "--datastore", "clean.db"]);
    run.assert_code(2);
    assert!(run.stderr.contains("corrupt"), "{}", run.stderr);
}

#[test]
fn issue_15_a_rerun_skips_what_did_not_move_and_scans_only_what_is_new() {
    let org = organisation();
    let args = ["org", "--datastore", "inc.db"];
    org.audit(&args).assert_code(1);
    let before = org.dump("inc.db");
    let again = org.audit(&args);
    again.assert_code(1);
    assert_eq!(scanned_blobs(&again.stderr), 0, "{}", again.stderr);
    assert!(again.stderr.contains("6 unchanged"), "{}", again.stderr);
    assert_eq!(org.dump("inc.db"), before, "a re-run with nothing new changes nothing");
    // One new commit in one fork: only that repository is scanned, only its new blob read.
    org.commit("fork-a1", &[("src/new.rs", &code(123))], "more fork work");
    let third = org.audit(&args);
    third.assert_code(1);
    assert_eq!(scanned_blobs(&third.stderr), 1, "{}", third.stderr);
    assert!(third.stderr.contains("5 unchanged"), "{}", third.stderr);
    assert!(third.stderr.contains("0 new findings"), "{}", third.stderr);
    // A new secret is reported as new.
    let token = format!("token = \"{}\"\n", secrets::github_pat().replace('a', "b"));
    org.commit("upstream-b", &[("ci.cfg", &token)], "ci");
    let fourth = org.audit(&args);
    assert!(fourth.stderr.contains("1 new finding"), "{}", fourth.stderr);
}

#[test]
fn issue_15_shards_merged_equal_the_unsharded_audit() {
    let org = organisation();
    org.audit(&["org", "--datastore", "all.db"]).assert_code(1);
    let mut shards = Vec::new();
    for k in 0..3 {
        let db = format!("shard-{k}.db");
        let run = org.audit(&["org", "--shard", &format!("{k}/3"), "--datastore", &db]);
        assert!([0, 1, 2].contains(&run.code), "{run:?}");
        shards.push(org.db(&db).to_str().expect("utf-8").to_owned());
    }
    let mut merge = vec!["merge"];
    merge.extend(shards.iter().map(String::as_str));
    let merged = org.db("merged.db");
    merge.extend(["-o", merged.to_str().expect("utf-8")]);
    org.env.run(&merge).assert_code(0);
    assert_eq!(org.dump("merged.db"), org.dump("all.db"));
}

#[test]
fn issue_15_shard_auto_reads_the_job_completion_index() {
    let org = organisation();
    let listed = |extra: &[(&str, &str)], shard: &str| {
        let out = org
            .env
            .command()
            .current_dir(org.env.outside())
            .envs(extra.iter().copied())
            .args(["audit", "org", "--list-only", "--shard", shard])
            .output()
            .expect("run");
        crate::common::Run::from(out)
    };
    let mut union = BTreeSet::new();
    for k in 0..2 {
        let auto = listed(&[("JOB_COMPLETION_INDEX", &k.to_string())], "auto/2");
        auto.assert_code(0);
        assert_eq!(auto.stdout, listed(&[], &format!("{k}/2")).stdout);
        union.extend(auto.stdout.lines().map(str::to_owned));
    }
    let all = listed(&[], "0/1");
    assert_eq!(union, all.stdout.lines().map(str::to_owned).collect::<BTreeSet<_>>());
    assert_eq!(all.stdout.lines().count(), 7, "{}", all.stdout);
    listed(&[], "auto/2").assert_code(2);
}

#[test]
fn issue_15_a_killed_audit_resumes_to_the_same_datastore() {
    let org = organisation();
    // More repositories, so that a kill lands in the middle of the audit.
    for i in 0..12 {
        org.git(&org.dir(), &["clone", "-q", "--bare", "upstream-a", &format!("extra-{i}.git")]);
    }
    org.audit(&["org", "--datastore", "whole.db", "--threads", "1"]).assert_code(1);
    let whole = org.dump("whole.db");
    for (i, delay) in [30u64, 120, 300, 700].into_iter().enumerate() {
        let db = format!("killed-{i}.db");
        let mut child = org
            .env
            .std_command(TestEnv::bin())
            .current_dir(org.env.outside())
            .env("XDG_CACHE_HOME", org.env.outside().join("cache"))
            .args(["audit", "org", "--datastore", &db, "--threads", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        if org.db(&db).exists() {
            // Whatever the moment, the datastore opens.
            Store::open(&org.db(&db)).expect("a killed audit leaves a datastore that opens");
        }
        org.audit(&["org", "--datastore", &db, "--threads", "1"]).assert_code(1);
        assert_eq!(org.dump(&db), whole, "killed after {delay} ms");
    }
}

#[test]
fn issue_15_triage_survives_reruns_and_merges() {
    let org = organisation();
    org.audit(&["org", "--datastore", "t.db"]).assert_code(1);
    let dump = org.dump("t.db");
    let fingerprint = fingerprint_of(&dump, "github");
    org.env
        .run(&[
            "triage",
            "--datastore",
            org.db("t.db").to_str().expect("utf-8"),
            "--status",
            "revoked",
            "--note",
            "rotated on 2026-12-02",
            "--by",
            "sec-team",
            &fingerprint,
        ])
        .assert_code(0);
    org.commit("fork-a1", &[("src/later.rs", &code(7))], "later");
    org.audit(&["org", "--datastore", "t.db"]);
    let after = org.dump("t.db");
    assert!(after.contains("revoked") && after.contains("rotated on 2026-12-02"), "{after}");
    // Merged with a shard that never saw the triage, the triage stays.
    org.audit(&["org", "--shard", "0/1", "--datastore", "other.db"]);
    let merged = org.db("tm.db");
    org.env
        .run(&[
            "merge",
            org.db("t.db").to_str().expect("utf-8"),
            org.db("other.db").to_str().expect("utf-8"),
            "-o",
            merged.to_str().expect("utf-8"),
        ])
        .assert_code(0);
    let merged = org.dump("tm.db");
    assert!(merged.contains("revoked") && merged.contains("rotated on 2026-12-02"), "{merged}");
}

/// The fingerprint of the first finding of a rule whose id starts with `rule` in a dump.
fn fingerprint_of(dump: &str, rule: &str) -> String {
    let line = dump
        .lines()
        .find(|l| l.contains(rule) && l.contains("finding"))
        .unwrap_or_else(|| panic!("no {rule} finding in\n{dump}"));
    line.split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 32)
        .unwrap_or_else(|| panic!("no fingerprint in {line}"))
        .to_owned()
}
