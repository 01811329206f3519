//! Issue 15, point 1: where an audit's repositories come from. The GitHub and GitLab list
//! endpoints are faked on 127.0.0.1 (a thread serving one connection at a time on a free port,
//! stopped when the fake is dropped); directory trees are generated with git2.

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use keysentry::audit::api::{ApiError, ApiEvent, ApiToken};
use keysentry::audit::sources::{Collected, SourceError, SourceOptions, Tokens, collect};
use keysentry::audit::{RepoLocation, RepoSpec};
use serde_json::{Value, json};

/// A request the fake received: its target (path and query) and headers (names lower-cased).
#[derive(Clone, Debug)]
struct Request {
    target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The target without its query.
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    fn query(&self, key: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
    }
}

/// An answer: status, extra headers, body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(value: &Value) -> Self {
        Self { status: 200, headers: Vec::new(), body: value.to_string().into_bytes() }
    }

    fn status(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: br#"{"message":"no"}"#.to_vec() }
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

type Handler = dyn Fn(&Request, &str) -> Answer + Send + Sync;

/// A fake HTTP API on 127.0.0.1.
struct Fake {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    thread: Option<JoinHandle<()>>,
}

impl Fake {
    /// Starts a fake whose answers `handler` makes from the request and the fake's base URL.
    fn start(handler: impl Fn(&Request, &str) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let addr = listener.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            thread::spawn(move || {
                let base = format!("http://{addr}");
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    serve(stream, &base, &*handler, &requests);
                }
            })
        };
        Self { addr, stop, requests, thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut stream: TcpStream, base: &str, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let target = lines.next().and_then(|l| l.split(' ').nth(1)).unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let request = Request { target, headers };
    log.lock().expect("lock").push(request.clone());
    let answer = handler(&request, base);
    let mut out = format!("HTTP/1.1 {} Fake\r\n", answer.status);
    for (name, value) in &answer.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", answer.body.len()));
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(&answer.body);
}

/// A synthetic token of `prefix`, random each run.
fn token(prefix: &str) -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher
        .write_u64(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64));
    let a = hasher.finish();
    hasher.write_u64(a);
    format!("{prefix}{a:016x}{:016x}", hasher.finish())
}

/// GitHub repository objects `first..first+count` of `owner`; every third a fork, every
/// fourth archived.
fn gh_repos(owner: &str, first: usize, count: usize) -> Value {
    let repos: Vec<Value> = (first..first + count)
        .map(|i| {
            json!({
                "id": i, "full_name": format!("{owner}/r{i}"), "private": false,
                "clone_url": format!("https://github.example/{owner}/r{i}.git"),
                "fork": i % 3 == 0, "archived": i % 4 == 0, "owner": {"login": owner},
            })
        })
        .collect();
    Value::Array(repos)
}

/// The GitHub organisation `owner` in three pages (3 + 3 + 2 repositories) at `prefix`.
fn gh_paged(req: &Request, base: &str, prefix: &str, owner: &str) -> Answer {
    if req.path() != format!("{prefix}/orgs/{owner}/repos") {
        return Answer::status(404);
    }
    let page: usize = req.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let next = |n: usize| {
        format!(
            "<{base}{prefix}/orgs/{owner}/repos?per_page=100&type=all&page={n}>; rel=\"next\", <{base}{prefix}/orgs/{owner}/repos?per_page=100&type=all&page=3>; rel=\"last\""
        )
    };
    match page {
        1 => Answer::json(&gh_repos(owner, 1, 3)).with("Link", next(2)),
        2 => Answer::json(&gh_repos(owner, 4, 3)).with("Link", next(3)),
        3 => Answer::json(&gh_repos(owner, 7, 2)),
        _ => Answer::status(404),
    }
}

fn options_for_github(api: String, owner: &str) -> SourceOptions {
    SourceOptions { github: vec![owner.into()], github_api: Some(api), ..SourceOptions::default() }
}

fn names(collected: &Collected) -> Vec<&str> {
    collected.repos.iter().map(|r| r.name.as_str()).collect()
}

fn run(options: &SourceOptions, tokens: &Tokens) -> (Result<Collected, SourceError>, Vec<String>) {
    let mut events = Vec::new();
    let result = collect(options, tokens, &mut |e: &ApiEvent| events.push(e.to_string()));
    (result, events)
}

#[test]
fn issue_15_github_pages_filters_api_url_and_token_header() {
    let fake = Fake::start(|req, base| gh_paged(req, base, "/api/v3", "acme"));
    let secret = token("ghp_");
    let tokens =
        Tokens { github: Some(ApiToken::new(secret.clone()).expect("token")), gitlab: None };
    // A GitHub Enterprise-like API URL with a path, as --api-url gives it.
    let mut options = options_for_github(format!("{}/api/v3/", fake.url()), "acme");
    let (result, events) = run(&options, &tokens);
    let collected = result.expect("listed");
    // 8 repositories: r3 and r6 forks, r4 and r8 archived.
    assert_eq!(names(&collected), ["acme/r1", "acme/r2", "acme/r5", "acme/r7"]);
    assert_eq!((collected.skipped_forks, collected.skipped_archived), (2, 2));
    let first = &collected.repos[0];
    assert_eq!(first.id, "https://github.example/acme/r1");
    assert_eq!(first.location, RepoLocation::Remote("https://github.example/acme/r1.git".into()));
    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_eq!(requests[0].target, "/api/v3/orgs/acme/repos?per_page=100&type=all");
    assert_eq!(requests[2].query("page"), Some("3"));
    for req in &requests {
        assert_eq!(req.header("authorization"), Some(format!("Bearer {secret}").as_str()));
        assert!(req.header("user-agent").is_some_and(|ua| ua.starts_with("keysentry/")));
    }
    assert_eq!(events.len(), 3, "{events:?}");

    options.include_forks = true;
    options.include_archived = true;
    let (result, _) = run(&options, &tokens);
    let collected = result.expect("listed");
    assert_eq!(collected.repos.len(), 8);
    let r3 = collected.repos.iter().find(|r| r.name == "acme/r3").expect("r3");
    assert!(r3.fork && !r3.archived);
    let r8 = collected.repos.iter().find(|r| r.name == "acme/r8").expect("r8");
    assert!(r8.archived);
    let all_output = format!("{collected:?} {tokens:?} {options:?} {events:?}");
    assert!(!all_output.contains(&secret));
}

#[test]
fn issue_15_github_user_fallback_and_not_found() {
    let fake = Fake::start(|req, _| match req.path() {
        "/users/alice/repos" => {
            assert_eq!(req.query("type"), Some("owner"));
            Answer::json(&gh_repos("alice", 1, 2))
        }
        _ => Answer::status(404),
    });
    let (result, _) = run(&options_for_github(fake.url(), "alice"), &Tokens::default());
    assert_eq!(names(&result.expect("listed")), ["alice/r1", "alice/r2"]);
    let targets: Vec<_> = fake.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets[0], "/orgs/alice/repos?per_page=100&type=all");
    assert!(fake.requests().iter().all(|r| r.header("authorization").is_none()));

    let (result, _) = run(&options_for_github(fake.url(), "nobody"), &Tokens::default());
    let err = result.expect_err("no such owner");
    assert_eq!(err.to_string(), "GitHub organisation or user nobody not found");
    let (result, _) = run(&options_for_github(fake.url(), "../etc"), &Tokens::default());
    assert!(result.expect_err("a bad name").to_string().contains("not a valid GitHub"));
}

#[test]
fn issue_15_github_rate_limit_is_waited_out() {
    let limited = Arc::new(AtomicBool::new(false));
    let fake = {
        let limited = limited.clone();
        Fake::start(move |req, base| {
            if !limited.swap(true, Ordering::SeqCst) {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
                return Answer::status(403)
                    .with("x-ratelimit-remaining", "0")
                    .with("x-ratelimit-reset", (now + 2).to_string());
            }
            gh_paged(req, base, "", "acme")
        })
    };
    let mut options = options_for_github(fake.url(), "acme");
    options.api.max_rate_limit_wait = Duration::from_secs(10);
    let start = Instant::now();
    let (result, events) = run(&options, &Tokens::default());
    let collected = result.expect("listed after the wait");
    assert_eq!(collected.repos.len(), 4);
    assert!(start.elapsed() >= Duration::from_millis(900), "{:?}", start.elapsed());
    assert!(events[0].starts_with("GitHub rate limit reached: waiting"), "{events:?}");
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn issue_15_rate_limit_beyond_the_maximum_is_an_error() {
    let fake = Fake::start(|_, _| {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
        Answer::status(403)
            .with("x-ratelimit-remaining", "0")
            .with("x-ratelimit-reset", (now + 3600).to_string())
    });
    let mut options = options_for_github(fake.url(), "acme");
    options.api.max_rate_limit_wait = Duration::from_secs(10);
    let start = Instant::now();
    let (result, events) = run(&options, &Tokens::default());
    let err = result.expect_err("too long a wait");
    assert!(start.elapsed() < Duration::from_secs(5));
    let message = err.to_string();
    assert!(message.contains("more than the maximum of 10 s; retry after 20"), "{message}");
    assert!(matches!(err, SourceError::Api(ApiError::RateLimitTooLong { .. })));
    assert!(events.is_empty());

    // GitLab's 429 with Retry-After too long, and a 403 that is no rate limit.
    let fake = Fake::start(|req, _| match req.path() {
        "/groups/acme/projects" => Answer::status(429).with("Retry-After", "7200"),
        _ => Answer::status(403),
    });
    let mut options = SourceOptions {
        gitlab: vec!["acme".into()],
        gitlab_api: Some(fake.url()),
        ..SourceOptions::default()
    };
    options.api.max_rate_limit_wait = Duration::from_secs(10);
    let (result, _) = run(&options, &Tokens::default());
    assert!(result.expect_err("too long").to_string().starts_with("GitLab rate limit"));
    options.gitlab = vec!["other".into()];
    let (result, _) = run(&options, &Tokens::default());
    assert!(result.expect_err("forbidden").to_string().contains("refused access (403"));
}

/// GitLab projects `first..first+count` of `group`: every third a fork, every fourth archived.
fn gl_projects(group: &str, first: usize, count: usize) -> Value {
    let projects: Vec<Value> = (first..first + count)
        .map(|i| {
            let mut p = json!({
                "id": i, "path_with_namespace": format!("{group}/p{i}"),
                "http_url_to_repo": format!("https://gitlab.example/{group}/p{i}.git"),
                "archived": i % 4 == 0,
            });
            if i % 3 == 0 {
                p["forked_from_project"] = json!({"id": 1000 + i});
            } else if i % 2 == 0 {
                p["forked_from_project"] = Value::Null;
            }
            p
        })
        .collect();
    Value::Array(projects)
}

#[test]
fn issue_15_gitlab_group_pages_rate_limit_filters_and_token() {
    let limited = Arc::new(AtomicBool::new(false));
    let fake = {
        let limited = limited.clone();
        Fake::start(move |req, base| {
            if req.path() != "/api/v4/groups/acme%2Fplatform/projects" {
                return Answer::status(404);
            }
            assert_eq!(req.query("include_subgroups"), Some("true"));
            assert_eq!(req.query("per_page"), Some("100"));
            let page: usize = req.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            match page {
                // x-next-page only.
                1 => Answer::json(&gl_projects("acme/platform", 1, 3)).with("x-next-page", "2"),
                2 if !limited.swap(true, Ordering::SeqCst) => {
                    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
                    Answer::status(429).with("RateLimit-Reset", (now.as_secs() + 1).to_string())
                }
                // Link.
                2 => Answer::json(&gl_projects("acme/platform", 4, 3)).with(
                    "Link",
                    format!(
                        "<{base}/api/v4/groups/acme%2Fplatform/projects?include_subgroups=true&page=3&per_page=100>; rel=\"next\""
                    ),
                ),
                3 => Answer::json(&gl_projects("acme/platform", 7, 2)).with("x-next-page", ""),
                _ => Answer::status(404),
            }
        })
    };
    let secret = token("glpat-");
    let tokens =
        Tokens { github: None, gitlab: Some(ApiToken::new(secret.clone()).expect("token")) };
    let mut options = SourceOptions {
        gitlab: vec!["acme/platform".into()],
        gitlab_api: Some(format!("{}/api/v4", fake.url())),
        ..SourceOptions::default()
    };
    options.api.max_rate_limit_wait = Duration::from_secs(10);
    let (result, events) = run(&options, &tokens);
    let collected = result.expect("listed");
    assert_eq!(
        names(&collected),
        ["acme/platform/p1", "acme/platform/p2", "acme/platform/p5", "acme/platform/p7"]
    );
    assert_eq!((collected.skipped_forks, collected.skipped_archived), (2, 2));
    assert!(events.iter().any(|e| e.starts_with("GitLab rate limit reached")), "{events:?}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    for req in &requests {
        assert_eq!(req.header("private-token"), Some(secret.as_str()));
        assert!(req.header("authorization").is_none());
    }
    options.include_forks = true;
    options.include_archived = true;
    let (result, events) = run(&options, &tokens);
    let collected = result.expect("listed");
    assert_eq!(collected.repos.len(), 8);
    let p3 = collected.repos.iter().find(|r| r.name.ends_with("/p3")).expect("p3");
    assert!(p3.fork);
    let p2 = collected.repos.iter().find(|r| r.name.ends_with("/p2")).expect("p2");
    assert!(!p2.fork, "forked_from_project: null is not a fork");
    assert!(!format!("{collected:?}{events:?}{tokens:?}").contains(&secret));

    options.gitlab = vec!["missing".into()];
    let (result, _) = run(&options, &tokens);
    assert_eq!(result.expect_err("no such group").to_string(), "GitLab group missing not found");
}

#[test]
fn issue_15_a_link_or_redirect_to_another_host_gets_no_token() {
    let elsewhere = Fake::start(|_, _| Answer::json(&json!([])));
    let other = elsewhere.url();
    let fake = Fake::start(move |req, _| match req.path() {
        "/orgs/acme/repos" => Answer::json(&gh_repos("acme", 1, 2))
            .with("Link", format!("<{other}/orgs/acme/repos?page=2>; rel=\"next\"")),
        "/orgs/moved/repos" => Answer::status(302).with("Location", format!("{other}/steal")),
        _ => Answer::status(404),
    });
    let secret = token("ghp_");
    let tokens =
        Tokens { github: Some(ApiToken::new(secret.clone()).expect("token")), gitlab: None };
    for owner in ["acme", "moved"] {
        let (result, _) = run(&options_for_github(fake.url(), owner), &tokens);
        let err = result.expect_err("another origin");
        let message = err.to_string();
        assert!(message.contains("outside the API's origin"), "{message}");
        assert!(!message.contains(&secret));
    }
    // Nothing at all reached the other server: the token least of all.
    assert!(elsewhere.requests().is_empty(), "{:?}", elsewhere.requests());
    assert_eq!(fake.requests().len(), 2);

    // A token never goes over plain http to a host that is not loopback: refused before any
    // connection is made.
    let options = options_for_github("http://github.example.invalid".into(), "acme");
    let (result, _) = run(&options, &tokens);
    let message = result.expect_err("insecure").to_string();
    assert!(message.contains("over plain http"), "{message}");
}

#[test]
fn issue_15_bad_token_malformed_oversized_and_silent_servers() {
    let fake = Fake::start(|req, _| match req.path() {
        "/orgs/badtoken/repos" => Answer::status(401),
        "/orgs/truncated/repos" => {
            Answer { status: 200, headers: Vec::new(), body: b"[{\"full".to_vec() }
        }
        "/orgs/object/repos" => Answer::json(&json!({"message": "Not an array"})),
        "/orgs/missing-field/repos" => Answer::json(&json!([{"full_name": "a/b"}])),
        "/orgs/huge/repos" => Answer::json(&gh_repos("huge", 1, 500)),
        "/orgs/loop/repos" => Answer::json(&json!([]))
            .with("Link", format!("<{}>; rel=\"next\"", "/orgs/loop/repos?per_page=100&type=all")),
        // Last: the fake serves one connection at a time.
        "/orgs/slow/repos" => {
            thread::sleep(Duration::from_secs(3));
            Answer::json(&json!([]))
        }
        _ => Answer::status(404),
    });
    let secret = token("ghp_");
    let tokens =
        Tokens { github: Some(ApiToken::new(secret.clone()).expect("token")), gitlab: None };
    let error = |owner: &str| {
        let mut options = options_for_github(fake.url(), owner);
        options.api.max_page_bytes = 64 * 1024;
        options.api.timeout = Duration::from_millis(700);
        let (result, _) = run(&options, &tokens);
        let message = result.expect_err(owner).to_string();
        assert!(!message.contains(&secret), "{message}");
        message
    };
    assert_eq!(
        error("badtoken"),
        "GitHub rejected the token (401 Unauthorized): check GITHUB_TOKEN"
    );
    assert!(error("truncated").contains("is not the expected JSON"));
    assert!(error("object").contains("is not the expected JSON"));
    assert!(error("missing-field").contains("missing field `clone_url`"));
    assert!(error("huge").contains("larger than 65536 bytes"));
    assert!(error("loop").contains("did not end"));
    let start = Instant::now();
    assert!(error("slow").contains("failed"));
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(ApiToken::new("two words").is_err());
    assert!(ApiToken::new("").is_err());
    assert_eq!(format!("{:?}", ApiToken::new(secret.clone()).expect("token")), "ApiToken(***)");
}

// ---- directory trees and listing files ----

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).expect("canonical")
}

fn commit_one(repo: &git2::Repository) {
    let sig = git2::Signature::now("t", "t@example.invalid").expect("signature");
    let tree_id = repo.index().expect("index").write_tree().expect("tree");
    let tree = repo.find_tree(tree_id).expect("tree");
    repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[]).expect("commit");
}

/// A generated tree: a working copy with a nested repository and a repository under its
/// `.git`, a bare repository, a mirror, a gitlink working copy, a symbolic link loop and a link
/// to a repository outside the tree.
fn generated_tree(root: &Path, outside: &Path) {
    let work = git2::Repository::init(root.join("team/app")).expect("init");
    commit_one(&work);
    git2::Repository::init(root.join("team/app/vendor/lib")).expect("nested init");
    // A repository inside a .git directory (as git keeps submodules): not to be found.
    git2::Repository::init_bare(root.join("team/app/.git/modules/sub")).expect("init");
    git2::Repository::init_bare(root.join("srv/api.git")).expect("bare");
    // Inside a bare repository: not to be found either.
    git2::Repository::init_bare(root.join("srv/api.git/hooks/inner.git")).expect("bare");
    let mirror = git2::Repository::init_bare(root.join("srv/mirror.git")).expect("bare");
    mirror
        .remote_with_fetch("origin", "https://example.invalid/m.git", "+refs/*:refs/*")
        .expect("remote");
    mirror.config().expect("config").set_bool("remote.origin.mirror", true).expect("mirror");
    fs::create_dir_all(root.join("team/linked")).expect("mkdir");
    fs::write(root.join("team/linked/.git"), "gitdir: ../app/.git/modules/sub\n").expect("gitlink");
    std::os::unix::fs::symlink(root, root.join("team/loop")).expect("symlink loop");
    git2::Repository::init(outside.join("elsewhere")).expect("init");
    std::os::unix::fs::symlink(outside.join("elsewhere"), root.join("team/link-out"))
        .expect("symlink");
    fs::create_dir_all(root.join("empty/dir")).expect("mkdir");
}

#[test]
fn issue_15_directory_trees() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (root, outside) = (tmp.path().join("tree"), tmp.path().join("outside"));
    generated_tree(&root, &outside);
    let root = canonical(&root);
    let options =
        SourceOptions { dirs: vec![tmp.path().join("tree/team/../")], ..SourceOptions::default() };
    let (result, _) = run(&options, &Tokens::default());
    let collected = result.expect("walked");
    let ids: Vec<&str> = collected.repos.iter().map(|r| r.id.as_str()).collect();
    let expect = |rel: &str| root.join(rel).to_string_lossy().into_owned();
    assert_eq!(
        ids,
        [
            expect("srv/api.git"),
            expect("srv/mirror.git"),
            expect("team/app"),
            expect("team/app/vendor/lib"),
            expect("team/linked"),
        ]
    );
    assert_eq!(names(&collected), ["api", "mirror", "app", "lib", "linked"]);
    assert!(collected.problems.is_empty(), "{:?}", collected.problems);
    assert_eq!(collected.repos[2].location, RepoLocation::Local(root.join("team/app")));

    // The root itself a repository; a root that does not exist is an error.
    let options =
        SourceOptions { dirs: vec![root.join("team/app/vendor/lib")], ..SourceOptions::default() };
    assert_eq!(names(&run(&options, &Tokens::default()).0.expect("walked")), ["lib"]);
    let options = SourceOptions { dirs: vec![root.join("nope")], ..SourceOptions::default() };
    let err = run(&options, &Tokens::default()).0.expect_err("missing");
    assert!(err.to_string().starts_with("cannot search"), "{err}");

    // An unreadable directory is a problem, when permissions apply (not to root).
    let locked = root.join("locked");
    fs::create_dir_all(locked.join("x")).expect("mkdir");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
    let readable_anyway = fs::read_dir(&locked).is_ok();
    let options = SourceOptions { dirs: vec![root.clone()], ..SourceOptions::default() };
    let collected = run(&options, &Tokens::default()).0.expect("walked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(collected.repos.len(), 5);
    if readable_anyway {
        eprintln!("running as root: the unreadable-directory check is not possible here");
    } else {
        assert_eq!(collected.problems.len(), 1, "{:?}", collected.problems);
        assert!(collected.problems[0].starts_with("cannot read directory"));
    }
}

#[test]
fn issue_15_listing_files_and_command_line_urls() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("tree");
    generated_tree(&root, &tmp.path().join("outside"));
    let root = canonical(&root);
    let lists = tmp.path().join("lists");
    fs::create_dir_all(&lists).expect("mkdir");
    let password = token("pw");
    let listing = [
        "# the team's repositories".to_owned(),
        String::new(),
        "../tree/team/app".into(),
        format!("  {}  ", root.join("srv/api.git").display()),
        "https://github.example/acme/one.git".into(),
        "   # indented comment".into(),
        "git@github.example:acme/two.git".into(),
        "../tree/empty".into(),
        "../tree/missing".into(),
        "ext::sh -c id".into(),
        "ext::id".into(),
        format!("https://user:{password}@github.example/acme/three"),
        "--upload-pack=touch".into(),
        "https://GITHUB.example/acme/one/".into(),
        "ftp://host/x".into(),
    ]
    .join("\n");
    let list = lists.join("repos.txt");
    fs::write(&list, listing + "\r\n").expect("write");
    let options = SourceOptions {
        lists: vec![list.clone()],
        dirs: vec![root.join("team/app")],
        urls: vec!["ssh://git@github.example/acme/two".into()],
        ..SourceOptions::default()
    };
    let (result, _) = run(&options, &Tokens::default());
    let collected = result.expect("read");
    let ids: Vec<&str> = collected.repos.iter().map(|r| r.id.as_str()).collect();
    let local = |rel: &str| root.join(rel).to_string_lossy().into_owned();
    assert_eq!(
        ids,
        [
            local("srv/api.git"),
            local("team/app"),
            local("team/app/vendor/lib"),
            "https://github.example/acme/one".into(),
            "ssh://github.example/acme/two".into(),
        ]
    );
    let problems = &collected.problems;
    let at = |line: usize| format!("{}:{line}: ", list.display());
    assert_eq!(problems.len(), 7, "{problems:#?}");
    assert!(problems[0].starts_with(&at(8)) && problems[0].contains("not a Git repository"));
    assert!(problems[1].starts_with(&at(9)) && problems[1].contains("No such file"));
    assert!(problems[2].starts_with(&at(10)) && problems[2].contains("control character"));
    assert!(problems[3].starts_with(&at(11)) && problems[3].contains("'ext::'"));
    assert!(problems[4].starts_with(&at(12)) && problems[4].contains("credentials"));
    assert!(problems[5].starts_with(&at(13)) && problems[5].contains("start with '-'"));
    assert!(problems[6].starts_with(&at(15)) && problems[6].contains("'ftp'"));
    assert!(!format!("{collected:?}").contains(&password));

    // On the command line, a refused URL is an error, and it does not repeat credentials.
    let options = SourceOptions {
        urls: vec![format!("https://{password}@github.example/acme/x")],
        ..SourceOptions::default()
    };
    let err = run(&options, &Tokens::default()).0.expect_err("credentials");
    assert!(err.to_string().contains("credentials") && !err.to_string().contains(&password));
    let options = SourceOptions { urls: vec!["ext::sh -c id".into()], ..SourceOptions::default() };
    assert!(run(&options, &Tokens::default()).0.is_err());
    let options = SourceOptions { lists: vec![lists.join("none.txt")], ..SourceOptions::default() };
    let err = run(&options, &Tokens::default()).0.expect_err("no such list");
    assert!(err.to_string().starts_with("cannot read the listing file"));

    // Command-line arguments: a URL, an existing directory, the scp form.
    let mut options = SourceOptions::default();
    options.add_target(root.as_os_str());
    options.add_target("https://h.example/a/b".as_ref());
    options.add_target("git@h.example:a/b".as_ref());
    options.add_target("no/such/dir".as_ref());
    assert_eq!(options.dirs, [root.clone(), PathBuf::from("no/such/dir")]);
    assert_eq!(options.urls, ["https://h.example/a/b", "git@h.example:a/b"]);
}

#[test]
fn issue_15_one_repository_from_several_sources_is_kept_once_with_the_apis_facts() {
    let fake = Fake::start(|req, _| match req.path() {
        "/orgs/acme/repos" => Answer::json(&gh_repos("acme", 3, 1)),
        _ => Answer::status(404),
    });
    let mut options = options_for_github(fake.url(), "acme");
    options.include_forks = true;
    options.urls =
        vec!["https://github.example/acme/r3".into(), "HTTPS://github.example/acme/r3.git/".into()];
    let collected = run(&options, &Tokens::default()).0.expect("listed");
    let expected = RepoSpec {
        id: "https://github.example/acme/r3".into(),
        location: RepoLocation::Remote("https://github.example/acme/r3.git".into()),
        name: "acme/r3".into(),
        fork: true,
        archived: false,
    };
    assert_eq!(collected.repos, [expected]);
}

#[test]
fn issue_15_hostile_clone_urls_from_an_api_are_refused_as_problems() {
    let fake = Fake::start(|req, _| match req.path() {
        "/orgs/acme/repos" => Answer::json(&json!([
            {"full_name": "acme/ok", "clone_url": "https://github.example/acme/ok.git"},
            {"full_name": "acme/cmd", "clone_url": "ext::sh -c 'touch /tmp/x'"},
            {"full_name": "acme/opt", "clone_url": "--upload-pack=touch"},
            {"full_name": "acme/cred", "clone_url": "https://u:p@github.example/acme/cred.git"},
        ])),
        _ => Answer::status(404),
    });
    let mut options = options_for_github(fake.url(), "acme");
    options.api.proxy = Some("http://user:proxy-pass@127.0.0.1:9".into());
    assert!(!format!("{options:?}").contains("proxy-pass"));
    options.api.proxy = None;
    let collected = run(&options, &Tokens::default()).0.expect("listed");
    assert_eq!(names(&collected), ["acme/ok"]);
    assert_eq!(collected.problems.len(), 3, "{:?}", collected.problems);
    assert!(collected.problems.iter().all(|p| p.contains("clone URL is refused")));
}
