//! Shared harness for the CLI tests: a temporary tree, a hermetic `keysentry` command, and
//! synthetic secrets assembled at run time.
//!
//! Model: sharkdp/fd `tests/testenv/mod.rs`. Every test module uses part of it; some parts only
//! serve modules that a feature or the platform leaves out.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{self, Output};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Synthetic credentials, assembled from pieces so that no token appears whole in this
/// repository (CI scans it with keysentry). The values are the random ones of `rules/*.toml`.
pub(crate) mod secrets {
    /// An AWS access key id (`aws.access_key_id`).
    pub(crate) fn aws_key_id() -> String {
        ["AKIA", "QUJZDEGX", "DNCF32EP"].concat()
    }

    /// Another AWS access key id, different from [`aws_key_id`].
    pub(crate) fn aws_key_id_2() -> String {
        ["AKIA", "ZF3DHODZ", "DOCIS2JH"].concat()
    }

    /// An AWS secret access key (`aws.secret_access_key` when next to its name).
    pub(crate) fn aws_secret_key() -> String {
        ["MFxFkM/R5Kjp", "1vRt+1fjORS/", "6ilI8ihN5KXSc7Tv"].concat()
    }

    /// A classic GitHub personal access token (`github.pat_classic`).
    pub(crate) fn github_pat() -> String {
        ["gh", "p_", "krCaqx9vJupc", "94tnwlavyfEr", "GPmpGX1OwySg"].concat()
    }

    /// A value that `generic.secret` reports when assigned to a password.
    pub(crate) fn password_value() -> String {
        ["5IGky4Oo", "8DiIMWSW", "MPcwLuHj"].concat()
    }

    /// A PEM private key block (`private_key.pem`), with `\n` line ends.
    pub(crate) fn pem_private_key() -> String {
        let dashes = "-----";
        let kind = ["RSA ", "PRIVATE ", "KEY"].concat();
        [
            format!("{dashes}{} {kind}{dashes}", "BEGIN"),
            ["Z3CL7csGZaF31DDxp63OHm1FZuG2", "96c0xPbX+neGBuzSm6A8cVR06AxYpThGJWZh"].concat(),
            ["bj11THnCMZCY7Bvqiy8CsT07Lq8T", "DIWG2x9aJTFMP9+2kUtMXhkPrSbbAjLGmsDx"].concat(),
            format!("{dashes}{} {kind}{dashes}", "END"),
            String::new(),
        ]
        .join("\n")
    }
}

/// Synthetic AWS credentials with a valid structure, generated at run time: key ids that decode
/// to a chosen account (`aws.md` §3 in reverse), secrets and session tokens of random characters.
pub(crate) mod aws {
    use keysentry::aws::anatomy::{AccountId, PrefixClass, synthesize};

    /// xorshift64: deterministic per seed.
    fn stream(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// A well-formed id of `prefix` owned by `account`, its key bits drawn from `seed`.
    pub(crate) fn key_id(prefix: &str, account: u64, seed: u64) -> String {
        let class = PrefixClass::of(prefix).expect("a known prefix");
        let account = AccountId::new(account).expect("12 digits");
        synthesize(class, account, stream(seed)())
    }

    fn chars(n: usize, seed: u64) -> String {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut next = stream(seed ^ 0x005E_C2E7);
        (0..n).map(|_| B64[(next() % 64) as usize] as char).collect()
    }

    /// A 40-character secret access key: mixed case with digits, like real ones.
    pub(crate) fn secret(seed: u64) -> String {
        let s = chars(37, seed);
        format!("{}Qz7", s)
    }

    /// A session token: the prefix real tokens have, then random base64.
    pub(crate) fn token(seed: u64) -> String {
        format!("FwoGZXIvYXdz{}==", chars(240, seed + 1000))
    }

    /// Standard base64 with padding.
    pub(crate) fn base64(bytes: &[u8]) -> String {
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

/// A temporary directory holding the tree to scan (`root`, a Git repository by default) and
/// an empty home directory, so that no user or global Git configuration leaks into a test.
pub(crate) struct TestEnv {
    temp: TempDir,
    root: PathBuf,
    home: PathBuf,
}

impl TestEnv {
    /// An empty tree that is a Git repository, as far as ignore files are concerned.
    pub(crate) fn new() -> TestEnv {
        let env = TestEnv::without_git();
        // The `ignore` crate honours .gitignore when a `.git` entry exists; it reads nothing
        // else from it (beyond `info/exclude`), so an empty directory is a repository here.
        fs::create_dir(env.root.join(".git")).expect("create .git");
        env
    }

    /// An empty tree that is not a Git repository.
    pub(crate) fn without_git() -> TestEnv {
        let temp = tempfile::Builder::new().prefix("keysentry-test").tempdir().expect("temp dir");
        let root = temp.path().join("tree");
        let home = temp.path().join("home");
        fs::create_dir(&root).expect("create tree");
        fs::create_dir(&home).expect("create home");
        TestEnv { temp, root, home }
    }

    /// The tree's root: the working directory of commands made by [`TestEnv::command`].
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The temporary directory that holds the tree; a place for things outside the tree.
    pub(crate) fn outside(&self) -> &Path {
        self.temp.path()
    }

    /// Path of `rel` in the tree.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes a file (creating its parent directories) and returns its path.
    pub(crate) fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent directories");
        }
        fs::write(&path, contents).expect("write file");
        path
    }

    /// Writes a file next to the tree (not scanned) and returns its path.
    pub(crate) fn write_outside(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.temp.path().join(rel);
        fs::write(&path, contents).expect("write file");
        path
    }

    /// Creates a directory (and its parents) in the tree.
    pub(crate) fn mkdir(&self, rel: &str) -> PathBuf {
        let path = self.root.join(rel);
        fs::create_dir_all(&path).expect("create directory");
        path
    }

    /// Creates a symbolic link at `link` (in the tree) pointing to `target`.
    #[cfg(unix)]
    pub(crate) fn symlink(&self, target: impl AsRef<Path>, link: &str) -> PathBuf {
        let path = self.root.join(link);
        std::os::unix::fs::symlink(target, &path).expect("create symlink");
        path
    }

    /// A `keysentry` command that runs in the tree's root with a minimal environment: only
    /// `PATH` and a `HOME` of its own (no `AWS_*`, no `NO_COLOR`, no `COLUMNS`, no Git config,
    /// and no `GIT_*` variable: run from a git hook, a test must not see the outer repository).
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::cargo_bin("keysentry").expect("keysentry binary");
        cmd.env_clear().current_dir(&self.root).envs(self.basic_env());
        cmd
    }

    /// The same environment for another program, as a `std::process::Command`, for tests that
    /// need control over the standard streams.
    pub(crate) fn std_command(&self, program: impl AsRef<OsStr>) -> process::Command {
        let mut cmd = process::Command::new(program);
        cmd.env_clear().current_dir(&self.root).envs(self.basic_env());
        cmd
    }

    /// Path of the `keysentry` binary under test.
    pub(crate) fn bin() -> PathBuf {
        assert_cmd::cargo::cargo_bin("keysentry")
    }

    fn basic_env(&self) -> Vec<(&'static str, OsString)> {
        let mut vars = vec![("HOME", self.home.clone().into_os_string())];
        if let Some(path) = std::env::var_os("PATH") {
            vars.push(("PATH", path));
        }
        vars
    }

    /// Runs `keysentry` with `args` (stdin empty) and captures the result.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command().args(args).output().expect("run keysentry"))
    }

    /// Runs `keysentry scan --format json ARGS…` and checks that stdout is one JSON document.
    pub(crate) fn scan_json(&self, args: &[&str]) -> Run {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        self.run(&all)
    }
}

/// Git repositories built at run time with the git CLI, isolated from the user's and the
/// system's configuration.
impl TestEnv {
    /// An empty tree that is a real Git repository (`git init`, branch `main`).
    pub(crate) fn git_repo() -> TestEnv {
        let env = TestEnv::without_git();
        env.git(&["init", "-q", "-b", "main"]);
        env
    }

    /// A `git` command in `dir` with a fixed identity and no user or system configuration.
    /// Nothing of this process's environment but `PATH` reaches it: a test run from inside a
    /// git hook inherits the hook's `GIT_DIR`, `GIT_INDEX_FILE`, `GIT_WORK_TREE`, …, which
    /// would make this git act on the outer repository (`harness` tests that it does not).
    pub(crate) fn git_command_in(&self, dir: &Path) -> process::Command {
        let mut cmd = process::Command::new("git");
        cmd.env_clear().current_dir(dir).envs(self.basic_env()).envs([
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("GIT_AUTHOR_NAME", "Ada Tester"),
            ("GIT_AUTHOR_EMAIL", "ada@example.test"),
            ("GIT_COMMITTER_NAME", "Ada Tester"),
            ("GIT_COMMITTER_EMAIL", "ada@example.test"),
        ]);
        cmd
    }

    /// Runs git in `dir`, asserts success and returns its trimmed stdout.
    #[track_caller]
    pub(crate) fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git_command_in(dir).args(args).output().expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs git in the tree's root; see [`TestEnv::git_in`].
    #[track_caller]
    pub(crate) fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.root, args)
    }

    /// Stages everything and commits it with `message`; returns the commit id.
    #[track_caller]
    pub(crate) fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Removes a file from the tree (not from the index).
    pub(crate) fn remove(&self, rel: &str) {
        fs::remove_file(self.root.join(rel)).expect("remove file");
    }
}

/// What a run of `keysentry` produced.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit status (`-1` if the process was killed by a signal).
    pub(crate) code: i32,
    /// Standard output, lossily decoded.
    pub(crate) stdout: String,
    /// Standard error, lossily decoded.
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit status, showing both streams when it differs.
    #[track_caller]
    pub(crate) fn assert_code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code, expected,
            "unexpected exit status\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Standard output parsed as one JSON document.
    #[track_caller]
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not one JSON document ({e}):\n{}\n{}", self.stdout, self.stderr)
        })
    }

    /// The `findings` array of the JSON document on standard output.
    #[track_caller]
    pub(crate) fn findings(&self) -> Vec<Value> {
        self.json()["findings"].as_array().expect("findings is an array").clone()
    }
}

/// The JSON findings of `path`.
pub(crate) fn findings_of<'a>(findings: &'a [Value], path: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["origin"]["path"] == path).collect()
}

/// The single JSON finding of `path`, asserting there is exactly one.
#[track_caller]
pub(crate) fn only_finding<'a>(findings: &'a [Value], path: &str) -> &'a Value {
    let found = findings_of(findings, path);
    assert_eq!(found.len(), 1, "{path}: {findings:#?}");
    found[0]
}

/// The `origin.path` of a JSON finding.
#[track_caller]
pub(crate) fn finding_path(f: &Value) -> &str {
    f["origin"]["path"].as_str().expect("finding has origin.path")
}

/// The `rule_id` of a JSON finding.
#[track_caller]
pub(crate) fn rule_id(f: &Value) -> &str {
    f["rule_id"].as_str().expect("finding has rule_id")
}

/// `(line, column)` of a JSON finding.
#[track_caller]
pub(crate) fn line_col(f: &Value) -> (u64, u64) {
    let loc = &f["location"];
    (loc["line"].as_u64().expect("line"), loc["column"].as_u64().expect("column"))
}

/// The `origin.path` of every finding, in report order.
pub(crate) fn paths(findings: &[Value]) -> Vec<&str> {
    findings.iter().map(finding_path).collect()
}

/// Exit status and both streams, as one text (for snapshots).
pub(crate) fn transcript(run: &Run) -> String {
    format!("exit: {}\n--- stdout ---\n{}--- stderr ---\n{}", run.code, run.stdout, run.stderr)
}

/// Snapshot settings that replace what changes from run to run: the tree's path, times and
/// rates. Tests add their own filters (for keysentry's version, say).
pub(crate) fn snapshot_settings(env: &TestEnv) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_omit_expression(true);
    s.add_filter(&regex::escape(&env.root().display().to_string()), "[ROOT]");
    s.add_filter(r#""elapsed_seconds": [0-9.e-]+"#, r#""elapsed_seconds": "[ELAPSED]""#);
    s.add_filter(r"in [0-9.]+s \([0-9]+ MiB/s\)", "in [ELAPSED] ([RATE])");
    s.add_filter(r#""(start|end)_time": "[0-9T:-]+""#, r#""${1}_time": "[TIME]""#);
    s
}
