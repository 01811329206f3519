//! `audit::clone` (issue 15, point 2): mirrors of remote repositories in a clone cache, fetched
//! from a `git daemon` this test starts on 127.0.0.1 and from `file://` URLs.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use keysentry::audit::clone::{
    Cache, CloneError, CloneEvent, CloneOptions, Clones, Credentials, FetchLimits, Helpers,
    HostToken, TokenKind,
};
use keysentry::audit::{RepoLocation, RepoSpec};
use keysentry::finding::Secret;

use crate::common::TestEnv;
use crate::tools;

/// A `git daemon` serving the directory it was started on; killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    /// Starts `git daemon` on a free port of 127.0.0.1 exporting every repository under
    /// `base`; `None` (after saying so, see [`tools::missing`]) when git has no daemon.
    fn start(base: &Path) -> Option<Daemon> {
        let exec_path = Command::new("git").arg("--exec-path").output().ok()?;
        let exec_path = PathBuf::from(String::from_utf8_lossy(&exec_path.stdout).trim());
        if !exec_path.join("git-daemon").exists() {
            return tools::missing("git daemon (git-daemon in git's exec path)");
        }
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new("git")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .args([
                    "daemon",
                    "--reuseaddr",
                    "--listen=127.0.0.1",
                    &format!("--port={port}"),
                    "--export-all",
                    &format!("--base-path={}", base.display()),
                ])
                .arg(base)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn git daemon");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Daemon { child, port });
                }
                if child.try_wait().expect("poll git daemon").is_some() {
                    break; // The port was taken meanwhile: another one.
                }
                thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("git daemon did not start on a free port in five tries");
    }

    fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// A server that accepts connections and never answers; it counts them. Stopped when dropped.
struct Silent {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("local address").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (accepted, stop) = (Arc::clone(&accepted), Arc::clone(&stop));
            thread::spawn(move || {
                let mut held = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((stream, _)) = listener.accept() {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        held.push(stream);
                    }
                    // Read what the client sends, so that it is not refused; answer nothing.
                    for stream in &mut held {
                        let _ = stream.set_nonblocking(true);
                        let _ = stream.read(&mut [0; 512]);
                    }
                    thread::sleep(Duration::from_millis(20));
                }
            })
        };
        Silent { port, accepted, stop, thread: Some(thread) }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn remote(name: &str, url: &str) -> RepoSpec {
    RepoSpec {
        id: url.trim_end_matches(".git").to_owned(),
        location: RepoLocation::Remote(url.to_owned()),
        name: name.to_owned(),
        fork: false,
        archived: false,
    }
}

fn limits(timeout: Duration) -> FetchLimits {
    FetchLimits {
        timeout,
        retries: 1,
        credentials: Credentials { tokens: Vec::new(), helpers: Helpers::Never },
    }
}

fn obtain(cache: &Cache, spec: &RepoSpec) -> Result<keysentry::audit::clone::Mirror, CloneError> {
    cache.obtain(spec, &limits(Duration::from_secs(60)), &AtomicBool::new(false))
}

/// Every ref of the repository at `dir` and what it points at, as git sees them.
fn refs(env: &TestEnv, dir: &Path) -> BTreeMap<String, String> {
    env.git_in(dir, &["for-each-ref", "--format=%(refname) %(objectname)"])
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, oid)| (name.to_owned(), oid.to_owned()))
        .collect()
}

/// The temporary directories in the cache.
fn temps(cache: &Path) -> Vec<String> {
    fs::read_dir(cache)
        .expect("read cache")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".git.tmp-"))
        .collect()
}

/// A source repository with two commits on `main` and a branch `topic`.
fn source() -> TestEnv {
    let env = TestEnv::git_repo();
    env.write("a.txt", "one\n");
    env.commit_all("one");
    env.git(&["branch", "topic"]);
    env.write("a.txt", "two\n");
    env.commit_all("two");
    env.git(&["tag", "v1"]);
    env
}

#[test]
fn issue_15_mirror_cloned_then_fetched_with_new_commits_branches_and_prune() {
    let env = source();
    let Some(daemon) = Daemon::start(env.outside()) else { return };
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let spec = remote("acme/api", &daemon.url("tree"));

    let first = obtain(&cache, &spec).unwrap();
    assert!(first.fetched && !first.stale, "{first:?}");
    assert_eq!(first.path, cache.mirror_path(&spec));
    assert_eq!(refs(&env, &first.path), refs(&env, env.root()), "every ref mirrored");
    assert_eq!(env.git_in(&first.path, &["rev-parse", "--is-bare-repository"]), "true");
    assert_eq!(env.git_in(&first.path, &["symbolic-ref", "HEAD"]), "refs/heads/main");
    let config = fs::read_to_string(first.path.join("config")).unwrap();
    assert!(config.contains("mirror = true"), "{config}");
    assert!(config.contains("+refs/*:refs/*"), "{config}");
    assert!(temps(cache.dir()).is_empty());

    env.write("b.txt", "three\n");
    let new_commit = env.commit_all("three");
    env.git(&["branch", "feature", "HEAD~1"]);
    let second = obtain(&cache, &spec).unwrap();
    assert!(second.fetched && !second.stale);
    let mirrored = refs(&env, &second.path);
    assert_eq!(mirrored.get("refs/heads/main"), Some(&new_commit));
    assert!(mirrored.contains_key("refs/heads/feature"), "{mirrored:?}");
    assert_eq!(mirrored, refs(&env, env.root()));

    env.git(&["branch", "-D", "topic"]);
    env.git(&["tag", "-d", "v1"]);
    let third = obtain(&cache, &spec).unwrap();
    let mirrored = refs(&env, &third.path);
    assert!(!mirrored.contains_key("refs/heads/topic"), "deleted branch pruned: {mirrored:?}");
    assert!(!mirrored.contains_key("refs/tags/v1"), "deleted tag pruned: {mirrored:?}");
    assert_eq!(mirrored, refs(&env, env.root()));
}

#[test]
fn issue_15_file_urls_clone_and_local_repositories_pass_through() {
    let env = source();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let url = format!("file://{}", env.root().display());
    let mirror = obtain(&cache, &remote("tree", &url)).unwrap();
    assert!(mirror.path.starts_with(cache.dir()));
    assert_eq!(refs(&env, &mirror.path), refs(&env, env.root()));

    let local = RepoSpec {
        id: env.root().display().to_string(),
        location: RepoLocation::Local(env.root().to_owned()),
        name: "tree".to_owned(),
        fork: false,
        archived: false,
    };
    let passed = obtain(&cache, &local).unwrap();
    assert_eq!(passed.path, env.root());
    assert!(!passed.fetched && !passed.stale);

    let not_a_repo = env.outside().join("plain");
    fs::create_dir(&not_a_repo).unwrap();
    let spec = RepoSpec { location: RepoLocation::Local(not_a_repo.clone()), ..local };
    match obtain(&cache, &spec) {
        Err(CloneError::NotARepository { path, .. }) => assert_eq!(path, not_a_repo),
        other => panic!("expected NotARepository, got {other:?}"),
    }
}

#[test]
fn issue_15_clone_from_a_closed_port_is_retried_once_then_failed() {
    let env = TestEnv::without_git();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let spec = remote("gone", &format!("git://127.0.0.1:{}/gone", free_port()));
    match obtain(&cache, &spec) {
        Err(CloneError::Transfer { attempts, reason }) => {
            assert_eq!(attempts, 2, "retried once: {reason}");
            assert!(!reason.is_empty());
        }
        other => panic!("expected a failed transfer, got {other:?}"),
    }
    assert!(!cache.mirror_path(&spec).exists(), "no mirror left");
    assert!(temps(cache.dir()).is_empty(), "no temporary directory left");
}

#[test]
fn issue_15_a_server_that_never_answers_hits_the_timeout() {
    let env = TestEnv::without_git();
    let silent = Silent::start();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let spec = remote("silent", &format!("git://127.0.0.1:{}/x", silent.port));
    let started = Instant::now();
    let result = cache.obtain(&spec, &limits(Duration::from_secs(2)), &AtomicBool::new(false));
    let took = started.elapsed();
    match result {
        Err(CloneError::Timeout { timeout, attempts }) => {
            assert_eq!((timeout, attempts), (Duration::from_secs(2), 2));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(silent.accepted.load(Ordering::SeqCst), 2, "one connection per attempt");
    assert!(took >= Duration::from_secs(4), "two attempts of 2 s: {took:?}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(temps(cache.dir()).is_empty());
}

#[test]
fn issue_15_an_existing_mirror_whose_fetch_fails_is_returned_stale() {
    let env = source();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let good = remote("acme/api", &format!("file://{}", env.root().display()));
    let before = obtain(&cache, &good).unwrap();
    let unreachable = RepoSpec {
        location: RepoLocation::Remote(format!("git://127.0.0.1:{}/x", free_port())),
        ..good.clone()
    };
    let stale = obtain(&cache, &unreachable).unwrap();
    assert_eq!(stale.path, before.path);
    assert!(stale.stale && !stale.fetched, "{stale:?}");
    assert!(matches!(stale.stale_reason, Some(CloneError::Transfer { attempts: 2, .. })));
    assert_eq!(refs(&env, &stale.path), refs(&env, env.root()), "still scannable as it was");
}

#[test]
fn issue_15_a_killed_clone_leaves_no_mirror_and_its_leftover_is_removed() {
    let env = source();
    let dir = env.outside().join("cache");
    let spec = remote("acme/api", &format!("file://{}", env.root().display()));
    let cache = Cache::new(&dir).unwrap();
    let mirror = cache.mirror_path(&spec);
    let name = mirror.file_name().unwrap().to_string_lossy().into_owned();
    // What a clone killed half-way leaves: a temporary directory with part of a repository.
    let leftover = |n: u32| {
        let path = dir.join(format!("{name}.tmp-4242-{n}"));
        env.git_in(env.outside(), &["init", "-q", "--bare", path.to_str().unwrap()]);
        path
    };
    let first = leftover(1);
    assert!(!mirror.exists(), "a half clone is not at the mirror's path");
    drop(Cache::new(&dir).unwrap());
    assert!(!first.exists(), "opening the cache removes leftovers");

    let second = leftover(2);
    let got = obtain(&cache, &spec).unwrap();
    assert!(!second.exists(), "using the mirror removes its leftovers");
    assert_eq!(refs(&env, &got.path), refs(&env, env.root()));
    assert!(temps(&dir).is_empty());
}

#[test]
fn issue_15_a_corrupt_mirror_is_cloned_again() {
    let env = source();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let spec = remote("acme/api", &format!("file://{}", env.root().display()));
    let mirror = obtain(&cache, &spec).unwrap().path;

    // Objects gone: the refs point at nothing.
    fs::remove_dir_all(mirror.join("objects")).unwrap();
    fs::create_dir_all(mirror.join("objects/pack")).unwrap();
    let again = obtain(&cache, &spec).unwrap();
    assert!(again.fetched && !again.stale);
    assert_eq!(refs(&env, &again.path), refs(&env, env.root()));

    // Not a repository at all any more.
    fs::remove_file(mirror.join("HEAD")).unwrap();
    fs::write(mirror.join("config"), "[[[garbage").unwrap();
    let again = obtain(&cache, &spec).unwrap();
    assert_eq!(refs(&env, &again.path), refs(&env, env.root()));

    // A file where the mirror should be.
    fs::remove_dir_all(&mirror).unwrap();
    fs::write(&mirror, "not a directory").unwrap();
    let again = obtain(&cache, &spec).unwrap();
    assert!(again.path.is_dir());
    assert_eq!(refs(&env, &again.path), refs(&env, env.root()));
    assert!(temps(cache.dir()).is_empty());
}

#[test]
fn issue_15_no_more_clones_at_once_than_the_concurrency() {
    let env = source();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let url = format!("file://{}", env.root().display());
    let specs: Vec<RepoSpec> = (0..8)
        .map(|n| RepoSpec { id: format!("{url}/{n}"), ..remote(&format!("r{n}"), &url) })
        .collect();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let events = {
        let (running, most) = (Arc::clone(&running), Arc::clone(&most));
        Arc::new(move |event: &CloneEvent<'_>| match event {
            CloneEvent::Started(_) => {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Long enough that the threads overlap whatever the machine's load.
                thread::sleep(Duration::from_millis(200));
            }
            CloneEvent::Finished(..) => {
                running.fetch_sub(1, Ordering::SeqCst);
            }
        })
    };
    let options = CloneOptions {
        concurrency: 3,
        buffer: 2,
        timeout: Duration::from_secs(60),
        retries: 1,
        credentials: Credentials { tokens: Vec::new(), helpers: Helpers::Never },
        events: Some(events),
    };
    let mut seen: Vec<String> = Clones::start(cache, specs.clone(), options)
        .map(|(spec, result)| {
            result.unwrap_or_else(|e| panic!("{}: {e}", spec.id));
            spec.id
        })
        .collect();
    seen.sort();
    let mut expected: Vec<String> = specs.into_iter().map(|s| s.id).collect();
    expected.sort();
    assert_eq!(seen, expected, "each spec once");
    let most = most.load(Ordering::SeqCst);
    assert!(most <= 3, "at most 3 at once, saw {most}");
    assert!(most >= 2, "clones ran in parallel, saw {most}");
}

#[test]
fn issue_15_clones_wait_for_a_consumer_that_falls_behind() {
    let env = source();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let url = format!("file://{}", env.root().display());
    let specs: Vec<RepoSpec> = (0..12)
        .map(|n| RepoSpec { id: format!("{url}/{n}"), ..remote(&format!("r{n}"), &url) })
        .collect();
    let started = Arc::new(AtomicUsize::new(0));
    let events = {
        let started = Arc::clone(&started);
        Arc::new(move |event: &CloneEvent<'_>| {
            if let CloneEvent::Started(_) = event {
                started.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let options = CloneOptions {
        concurrency: 2,
        buffer: 1,
        timeout: Duration::from_secs(60),
        retries: 1,
        credentials: Credentials { tokens: Vec::new(), helpers: Helpers::Never },
        events: Some(events),
    };
    let mut clones = Clones::start(cache, specs, options);
    thread::sleep(Duration::from_millis(1500));
    let ahead = started.load(Ordering::SeqCst);
    assert!(ahead <= 3, "at most concurrency + buffer before anything is taken: {ahead}");
    assert!(ahead >= 2, "{ahead}");
    let first = clones.next().expect("a result");
    assert!(first.1.is_ok());
    assert_eq!(clones.count(), 11);

    // Dropping an unfinished driver stops its threads.
    let cache = Cache::new(env.outside().join("cache2")).unwrap();
    let specs: Vec<RepoSpec> = (0..50)
        .map(|n| RepoSpec { id: format!("{url}/{n}"), ..remote(&format!("r{n}"), &url) })
        .collect();
    let options = CloneOptions { concurrency: 2, buffer: 1, ..CloneOptions::default() };
    let mut clones = Clones::start(cache.clone(), specs, options);
    assert!(clones.next().is_some());
    drop(clones);
    let mirrors = fs::read_dir(cache.dir())
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".git")));
    assert!(mirrors.count() <= 5, "the threads stopped when the driver was dropped");
}

#[test]
fn issue_15_the_token_is_stored_nowhere() {
    let env = source();
    let Some(daemon) = Daemon::start(env.outside()) else { return };
    let token = format!("ghp_{}", "Zq8".repeat(12));
    let credentials = Credentials {
        tokens: vec![HostToken::new("127.0.0.1", TokenKind::GitHub, Secret::new(token.clone()))],
        helpers: Helpers::Never,
    };
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let url = daemon.url("tree");
    let limits = FetchLimits {
        timeout: Duration::from_secs(60),
        retries: 1,
        credentials: credentials.clone(),
    };
    let mirror = cache.obtain(&remote("acme/api", &url), &limits, &AtomicBool::new(false)).unwrap();
    let config = fs::read_to_string(mirror.path.join("config")).unwrap();
    assert!(!config.contains(&token), "{config}");
    assert!(config.contains(&format!("url = {url}")), "{config}");
    for entry in walk(cache.dir()) {
        if entry.is_file() {
            let bytes = fs::read(&entry).unwrap();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "{}",
                entry.display()
            );
        }
    }
    let options = CloneOptions { credentials, ..CloneOptions::default() };
    assert!(!format!("{options:?}").contains(&token));
    assert!(!format!("{limits:?}").contains(&token));

    // A URL that carries the token itself is refused, and the refusal does not repeat it.
    let spec = remote("acme/x", &format!("https://x-access-token:{token}@127.0.0.1/x"));
    let error = obtain(&cache, &spec).unwrap_err();
    assert!(matches!(error, CloneError::Refused { .. }), "{error:?}");
    assert!(!error.to_string().contains(&token) && !format!("{error:?}").contains(&token));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn issue_15_hostile_urls_are_refused() {
    let env = TestEnv::without_git();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let marker = env.outside().join("pwned");
    for url in [
        "--upload-pack=touch /tmp/x".to_owned(),
        "-oProxyCommand=x".to_owned(),
        format!("ext::sh -c touch% {}", marker.display()),
        "ext::sh".to_owned(),
        "fd::3".to_owned(),
        "gopher://127.0.0.1/x".to_owned(),
        "ssh://127.0.0.1/x".to_owned(),
        "git@127.0.0.1:x".to_owned(),
        "file:///x\n/y".to_owned(),
    ] {
        match obtain(&cache, &remote("x", &url)) {
            Err(CloneError::Refused { .. }) => {}
            other => panic!("{url:?}: expected a refusal, got {other:?}"),
        }
    }
    assert!(!marker.exists());
    assert!(fs::read_dir(cache.dir()).unwrap().next().is_none(), "nothing created");
}

#[cfg(unix)]
#[test]
fn issue_15_symbolic_links_in_the_cache_are_not_followed() {
    let env = source();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let spec = remote("acme/api", &format!("file://{}", env.root().display()));
    let elsewhere = env.outside().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("keep"), "mine").unwrap();

    let mirror = cache.mirror_path(&spec);
    std::os::unix::fs::symlink(&elsewhere, &mirror).unwrap();
    match obtain(&cache, &spec) {
        Err(CloneError::Symlink { path }) => assert_eq!(path, mirror),
        other => panic!("expected a refusal of the link, got {other:?}"),
    }
    assert_eq!(fs::read_to_string(elsewhere.join("keep")).unwrap(), "mine");
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 1, "nothing written through the link");

    fs::remove_file(&mirror).unwrap();
    let lock = mirror.with_extension("lock");
    fs::remove_file(&lock).unwrap();
    let target = env.outside().join("lock-target");
    fs::write(&target, "x").unwrap();
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    assert!(matches!(obtain(&cache, &spec), Err(CloneError::Symlink { .. })));
    assert_eq!(fs::read_to_string(&target).unwrap(), "x");
}

#[test]
fn issue_15_names_that_collide_get_their_own_mirrors() {
    let one = source();
    let two = TestEnv::git_repo();
    two.write("other.txt", "other\n");
    two.commit_all("other");
    let cache = Cache::new(one.outside().join("cache")).unwrap();
    let a = remote("acme/api", &format!("file://{}", one.root().display()));
    let b = remote("acme_api", &format!("file://{}", two.root().display()));
    let (ma, mb) = (obtain(&cache, &a).unwrap(), obtain(&cache, &b).unwrap());
    assert_ne!(ma.path, mb.path);
    assert_eq!(refs(&one, &ma.path), refs(&one, one.root()));
    assert_eq!(refs(&two, &mb.path), refs(&two, two.root()));
}

#[test]
fn issue_15_thousands_of_refs_and_odd_names_are_mirrored() {
    let env = source();
    let Some(daemon) = Daemon::start(env.outside()) else { return };
    let head = env.git(&["rev-parse", "HEAD"]);
    let mut updates: String =
        (0..3000).map(|n| format!("create refs/heads/many/b{n:04} {head}\n")).collect();
    for odd in [
        "refs/heads/ünïcödé",
        "refs/heads/-dash",
        "refs/heads/a/b/c/d/e/f",
        "refs/heads/semi;colon",
        "refs/heads/quote\"d",
        "refs/heads/x@y",
        "refs/pull/1/head",
        "refs/weird/namespace",
    ] {
        updates.push_str(&format!("create {odd} {head}\n"));
    }
    let mut child = env
        .git_command_in(env.root())
        .args(["update-ref", "--stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(updates.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());

    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let mirror = obtain(&cache, &remote("many", &daemon.url("tree"))).unwrap();
    let mirrored = refs(&env, &mirror.path);
    assert!(mirrored.len() > 3008, "{}", mirrored.len());
    assert_eq!(mirrored, refs(&env, env.root()));
}

#[test]
fn issue_15_a_cancelled_audit_fetches_nothing() {
    let env = TestEnv::without_git();
    let silent = Silent::start();
    let cache = Cache::new(env.outside().join("cache")).unwrap();
    let spec = remote("silent", &format!("git://127.0.0.1:{}/x", silent.port));
    let result = cache.obtain(&spec, &limits(Duration::from_secs(2)), &AtomicBool::new(true));
    assert_eq!(result, Err(CloneError::Cancelled));
    assert_eq!(silent.accepted.load(Ordering::SeqCst), 0);
}
