//! `keysentry scan --history`: every reachable blob once, attributed to the commit that
//! introduced it; what is skipped and what limits the walk. Repositories that are not whole
//! (shallow, damaged) are `git_history_damage`. Repositories are built at run time with the git
//! CLI.

use crate::common;

use common::{TestEnv, finding_path, rule_id, secrets};
use serde_json::Value;

fn history(env: &TestEnv, extra: &[&str]) -> (Vec<Value>, Value) {
    let mut args = vec!["--history", "."];
    args.extend_from_slice(extra);
    let run = env.scan_json(&args);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    let doc = run.json();
    (doc["findings"].as_array().expect("findings").clone(), doc["stats"].clone())
}

fn commit_id(f: &Value) -> &str {
    f["origin"]["commit"]["id"].as_str().expect("origin.commit.id")
}

#[test]
fn secret_added_then_deleted_names_the_commit_that_added_it() {
    let env = TestEnv::git_repo();
    env.write("README.md", "hello\n");
    env.commit_all("first");
    env.write("config/app.env", format!("GITHUB_TOKEN={}\n", secrets::github_pat()));
    let added = env.commit_all("add app config");
    env.remove("config/app.env");
    env.commit_all("remove the token");
    env.write("README.md", "hello again\n");
    env.commit_all("later");

    let (findings, _) = history(&env, &[]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(rule_id(f), "github.pat_classic");
    assert_eq!(f["origin"]["kind"], "commit");
    assert_eq!(finding_path(f), "config/app.env");
    assert_eq!(commit_id(f), added);
    let c = &f["origin"]["commit"];
    assert_eq!(c["author"], "Ada Tester");
    assert_eq!(c["email"], "ada@example.test");
    assert_eq!(c["summary"], "add app config");
    assert!(c["date"].as_str().unwrap().contains('T'));

    // The working-tree scan no longer sees it; the human report names the commit.
    env.run(&["scan", "."]).assert_code(0);
    let human = env.run(&["scan", "--history", "."]);
    human.assert_code(1);
    assert!(
        human.stdout.contains(&format!("config/app.env @ {}", &added[..10])),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("Ada Tester <ada@example.test>"), "{}", human.stdout);
}

#[test]
fn one_blob_in_two_paths_and_commits_is_scanned_once() {
    let env = TestEnv::git_repo();
    let body = format!("token: {}\n", secrets::github_pat());
    env.write("a/creds.yml", &body);
    let first = env.commit_all("one");
    env.write("b/copy.yml", &body);
    let second = env.commit_all("two");

    let (findings, stats) = history(&env, &[]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(finding_path(&findings[0]), "a/creds.yml");
    assert_eq!(commit_id(&findings[0]), first);
    // One blob and two commit messages.
    assert_eq!(stats["scanned"], 3, "{stats}");

    let (all, _) = history(&env, &["--all-occurrences"]);
    let mut places: Vec<(&str, &str)> =
        all.iter().map(|f| (finding_path(f), commit_id(f))).collect();
    places.sort();
    assert_eq!(places, [("a/creds.yml", first.as_str()), ("b/copy.yml", second.as_str())]);
    assert!(all.iter().all(|f| f["fingerprint"] == all[0]["fingerprint"]));
}

#[test]
fn secrets_only_on_a_side_branch_in_a_tag_a_message_or_a_stash() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    env.commit_all("base");

    // A branch that was never merged.
    env.git(&["checkout", "-q", "-b", "side"]);
    env.write("side.txt", format!("key = {}\n", secrets::github_pat()));
    let side = env.commit_all("side work");
    env.git(&["checkout", "-q", "main"]);

    // A commit reachable only from an annotated tag whose message also holds a secret.
    env.git(&["checkout", "-q", "--detach"]);
    env.write("tagged.pem", secrets::pem_private_key());
    let tagged = env.commit_all("release artefacts");
    let tag_message = format!("release notes\n\naws_access_key_id = {}\n", secrets::aws_key_id_2());
    env.git(&["tag", "-a", "v1.0", "-m", &tag_message]);
    env.git(&["checkout", "-q", "main"]);

    // A secret only in a commit message.
    let message =
        format!("rotate credentials\n\nold password = \"{}\"\n", secrets::password_value());
    env.git(&["commit", "-q", "--allow-empty", "-m", &message]);
    let in_message = env.git(&["rev-parse", "HEAD"]);

    // A secret only in a stash.
    env.write("README.md", format!("base\naws_access_key_id = {}\n", secrets::aws_key_id()));
    env.git(&["stash", "-q"]);
    assert_eq!(std::fs::read_to_string(env.path("README.md")).unwrap(), "base\n");

    let (findings, _) = history(&env, &[]);
    let found = |rule: &str| findings.iter().filter(|f| rule_id(f) == rule).collect::<Vec<_>>();

    let gh = found("github.pat_classic");
    assert_eq!(gh.len(), 1, "{findings:#?}");
    assert_eq!(commit_id(gh[0]), side);

    let pem = found("private_key.pem");
    assert_eq!(pem.len(), 1, "{findings:#?}");
    assert_eq!(commit_id(pem[0]), tagged);

    let msg = found("generic.secret");
    assert_eq!(msg.len(), 1, "{findings:#?}");
    assert_eq!(msg[0]["origin"]["kind"], "commit_message");
    assert_eq!(commit_id(msg[0]), in_message);
    assert_eq!(msg[0]["origin"]["commit"]["summary"], "rotate credentials");

    let aws = found("aws.access_key_id");
    let kinds: Vec<&str> = aws.iter().map(|f| f["origin"]["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"tag_message"), "{findings:#?}");
    let stashed = aws.iter().find(|f| f["origin"]["kind"] == "commit").expect("stash finding");
    assert_eq!(finding_path(stashed), "README.md");
    let tag = aws.iter().find(|f| f["origin"]["kind"] == "tag_message").unwrap();
    assert_eq!(tag["origin"]["tag"], "v1.0");
}

#[test]
fn unreachable_objects_are_not_reported() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    env.commit_all("base");
    // A dangling blob written straight to the object database.
    env.write("loose.txt", format!("token {}\n", secrets::github_pat()));
    env.git(&["hash-object", "-w", "loose.txt"]);
    env.remove("loose.txt");
    // A commit amended away: only the reflog still names it, and reflogs are not history.
    env.write("oops.txt", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    env.commit_all("oops");
    env.remove("oops.txt");
    env.git(&["add", "-A"]);
    env.git(&["commit", "-q", "--amend", "--allow-empty", "-m", "fixed"]);

    let (findings, _) = history(&env, &[]);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn a_merged_secret_is_attributed_to_its_branch_commit_once() {
    let env = TestEnv::git_repo();
    env.write("README.md", "base\n");
    env.commit_all("base");
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.write("feature.env", format!("TOKEN={}\n", secrets::github_pat()));
    let feature = env.commit_all("feature");
    env.git(&["checkout", "-q", "main"]);
    env.write("main.txt", "main work\n");
    env.commit_all("main work");
    env.git(&["merge", "-q", "--no-edit", "--no-ff", "feature"]);

    let (findings, _) = history(&env, &["--all-occurrences"]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(commit_id(&findings[0]), feature);
}

#[test]
fn a_rename_keeps_the_original_commit_and_adds_an_occurrence() {
    let env = TestEnv::git_repo();
    env.write("old/name.env", format!("TOKEN={}\n", secrets::github_pat()));
    let first = env.commit_all("add");
    env.mkdir("new");
    env.git(&["mv", "old/name.env", "new/name.env"]);
    let renamed = env.commit_all("rename");

    let (findings, _) = history(&env, &[]);
    assert_eq!(findings.len(), 1);
    assert_eq!((finding_path(&findings[0]), commit_id(&findings[0])), ("old/name.env", &*first));
    let (all, _) = history(&env, &["--all-occurrences"]);
    let places: Vec<_> = all.iter().map(|f| (finding_path(f), commit_id(f))).collect();
    assert!(places.contains(&("new/name.env", &*renamed)), "{places:?}");
}

#[test]
fn binary_blobs_lfs_pointers_and_submodules_are_skipped() {
    let env = TestEnv::git_repo();
    let mut binary = b"\x89PNG\r\n\x1a\n\0\0\0".to_vec();
    binary.extend(format!("token {}\n", secrets::github_pat()).as_bytes());
    // One binary by its name, one by its content.
    env.write("image.png", &binary);
    binary.push(b'\n');
    env.write("table.dat", &binary);
    env.write(
        "model.onnx",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4665a5ea423c2713d436b5ee50593a9640e0018c1550b5a0002f74190d6caea8\nsize 1024\n",
    );
    env.commit_all("assets");
    // A gitlink (submodule entry) pointing at a commit this repository does not have.
    let gitlink = "160000,1111111111111111111111111111111111111111,vendor/lib";
    env.git(&["update-index", "--add", "--cacheinfo", gitlink]);
    env.git(&["commit", "-q", "-m", "add submodule"]);

    let (findings, stats) = history(&env, &[]);
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(stats["skipped_binary"], 2, "{stats}");
    assert_eq!(stats["skipped_lfs"], 1, "{stats}");
    assert_eq!(stats["errors"], 0, "{stats}");
}

#[test]
fn bare_repositories_and_mirrors() {
    let env = TestEnv::git_repo();
    env.write("creds.txt", format!("TOKEN={}\n", secrets::github_pat()));
    let added = env.commit_all("add");
    let mirror = env.outside().join("mirror.git");
    env.git(&["clone", "-q", "--mirror", ".", mirror.to_str().unwrap()]);
    let run = env.scan_json(&["--history", mirror.to_str().unwrap()]);
    run.assert_code(1);
    let findings = run.findings();
    assert_eq!(findings.len(), 1);
    assert_eq!(commit_id(&findings[0]), added);
}

#[test]
fn since_and_max_commits_limit_the_walk() {
    let env = TestEnv::git_repo();
    env.write("one.env", format!("TOKEN={}\n", secrets::github_pat()));
    let first = env.commit_all("one");
    env.write("two.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    env.commit_all("two");

    let (all, _) = history(&env, &[]);
    assert_eq!(all.len(), 2);
    for limit in [vec!["--since", first.as_str()], vec!["--max-commits", "1"]] {
        let (found, _) = history(&env, &limit);
        let rules: Vec<_> = found.iter().map(rule_id).collect();
        assert_eq!(rules, ["aws.access_key_id"], "{limit:?}");
    }
    let bad = env.run(&["scan", "--history", "--since", "no-such-rev", "."]);
    bad.assert_code(2);
    assert!(bad.stderr.contains("no-such-rev"), "{}", bad.stderr);
}

#[test]
fn keysentryignore_applies_to_history() {
    let env = TestEnv::git_repo();
    env.write(".keysentryignore", "/fixtures/\n");
    env.write("fixtures/sample.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("fixtures");
    let (findings, _) = history(&env, &[]);
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn not_a_repository_is_a_usage_error() {
    let env = TestEnv::without_git();
    let run = env.run(&["scan", "--history", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("not a git repository"), "{}", run.stderr);
    // One repository only.
    env.run(&["scan", "--history", ".", "."]).assert_code(2);
}

#[test]
fn an_empty_repository_is_clean() {
    let env = TestEnv::git_repo();
    env.run(&["scan", "--history", "."]).assert_code(0);
}

/// Writes `content` as a blob with git and returns its id.
fn hash_object(env: &TestEnv, content: &str) -> String {
    let file = env.write_outside("blob-content", content);
    env.git(&["hash-object", "-w", file.to_str().expect("a UTF-8 temporary path")])
}

/// Issue 12: `--history` missed blobs and trees reached only through a tag. Every shape: a
/// lightweight tag of a blob and of a tree, annotated tags of a blob, a tree and a commit, a
/// tag of a tag (of a blob), and a ref outside refs/tags; each secret is found once.
#[test]
fn issue_12_history_scans_everything_a_ref_reaches() {
    let env = TestEnv::git_repo();
    env.write("README.md", "hello\n");
    env.commit_all("first");
    let key = |seed: u64| {
        format!("AWS_ACCESS_KEY_ID={}\n", common::aws::key_id("AKIA", 123456789012, seed))
    };
    let blob = hash_object(&env, &key(1));
    env.git(&["tag", "keyblob", &blob]);
    let annotated = hash_object(&env, &key(2));
    env.git(&["tag", "-a", "-m", "a blob", "keyblob-annotated", &annotated]);
    let chained = hash_object(&env, &key(3));
    env.git(&["tag", "-a", "-m", "inner", "inner", &chained]);
    env.git(&["tag", "-d", "inner"]);
    // The inner tag object is reachable only through the outer tag.
    let inner = env.git(&["rev-parse", "--verify", &format!("{chained}^{{blob}}")]);
    assert_eq!(inner, chained);
    let inner_tag = {
        let file = env.write_outside(
            "tag-object",
            format!(
                "object {chained}\ntype blob\ntag inner\ntagger T <t@example.test> 0 +0000\n\n\
                 inner\n"
            ),
        );
        env.git(&["hash-object", "-t", "tag", "-w", file.to_str().unwrap()])
    };
    env.git(&["tag", "-a", "-m", "outer", "outer", &inner_tag]);
    // Trees: a lightweight and an annotated tag, each of a tree holding a key.
    let tree_blob = hash_object(&env, &key(4));
    let tree = |kind: &str, name: &str, id: &str| {
        let mode = if kind == "tree" { "040000" } else { "100644" };
        let file = env.write_outside("mktree-input", format!("{mode} {kind} {id}\t{name}\n"));
        let out = env
            .git_command_in(env.root())
            .arg("mktree")
            .stdin(std::fs::File::open(file).unwrap())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let conf = tree("blob", "a.env", &tree_blob);
    env.git(&["tag", "keytree", &tree("tree", "conf", &conf)]);
    let tree_blob2 = hash_object(&env, &key(5));
    env.git(&[
        "tag",
        "-a",
        "-m",
        "a tree",
        "keytree-annotated",
        &tree("blob", "b.env", &tree_blob2),
    ]);
    // A ref outside refs/tags naming a blob.
    let other = hash_object(&env, &key(6));
    env.git(&["update-ref", "refs/keysentry-test/blob", &other]);
    // An annotated tag of a commit that no branch has.
    env.git(&["checkout", "-q", "--orphan", "side"]);
    env.write("side.env", key(7));
    env.commit_all("side");
    env.git(&["tag", "-a", "-m", "side", "side-tag"]);
    env.git(&["checkout", "-q", "main"]);
    env.git(&["branch", "-D", "side"]);
    // A blob that is also in a commit is that commit's, not the tag's.
    env.write("committed.env", key(8));
    env.commit_all("committed");
    let committed = env.git(&["rev-parse", "HEAD:committed.env"]);
    env.git(&["tag", "committed-blob", &committed]);

    let run = env.scan_json(&["--history", "."]);
    run.assert_code(1);
    let findings = run.findings();
    let mut places: Vec<String> = findings
        .iter()
        .filter(|f| rule_id(f) == "aws.access_key_id")
        .map(|f| {
            let o = &f["origin"];
            match o["kind"].as_str().unwrap() {
                "ref" => {
                    format!("ref {} {}", o["name"].as_str().unwrap(), o["path"].as_str().unwrap())
                }
                "commit" => format!("commit {}", finding_path(f)),
                k => k.to_owned(),
            }
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            "commit committed.env",
            "commit side.env",
            "ref keyblob ",
            "ref keyblob-annotated ",
            "ref keysentry-test/blob ",
            "ref keytree conf/a.env",
            "ref keytree-annotated b.env",
            "ref outer ",
        ],
        "{findings:#?}"
    );
    assert_eq!(run.json()["errors"].as_array().unwrap().len(), 0);
}

/// Issue 12: `--max-commits 0` scanned everything; it is refused now (at least 1).
#[test]
fn issue_12_max_commits_zero_is_refused() {
    let env = TestEnv::git_repo();
    env.write("one.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("one");
    let run = env.run(&["scan", "--history", "--max-commits", "0", "."]);
    run.assert_code(2);
    assert!(run.stderr.contains("--max-commits") && run.stderr.contains('1'), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// Issue 12: a blob that merely starts like a Git LFS pointer was skipped by every git scan.
/// Only the pointer grammar, exactly, is skipped now: history, range and the hook find the
/// key in a fake pointer; a real pointer is still skipped.
#[test]
fn issue_12_a_fake_lfs_pointer_is_scanned() {
    let env = TestEnv::git_repo();
    env.write("README.md", "hello\n");
    env.commit_all("base");
    let oid = format!("oid sha256:{}", "4665a5ea".repeat(8));
    let real = format!("version https://git-lfs.github.com/spec/v1\n{oid}\nsize 1024\n");
    let fake = format!(
        "version https://git-lfs.github.com/spec/v1\n{oid}\nsize 1024\nAWS_ACCESS_KEY_ID={}\n",
        secrets::aws_key_id()
    );
    env.write("model.bin.lfs", &real);
    env.write("weights.lfs", &fake);
    env.git(&["add", "-A"]);
    let hook = env.run(&["hook"]);
    hook.assert_code(1);
    assert!(hook.stdout.contains("weights.lfs:4:19  aws.access_key_id"), "{}", hook.stdout);
    env.git(&["commit", "-q", "-m", "pointers"]);

    let (findings, stats) = history(&env, &[]);
    assert_eq!(findings.iter().map(finding_path).collect::<Vec<_>>(), ["weights.lfs"]);
    assert_eq!(stats["skipped_lfs"], 1, "{stats}");
    let range = env.scan_json(&["--range", "HEAD~1..HEAD", "."]);
    range.assert_code(1);
    assert_eq!(range.findings().len(), 1);
}

/// An audit's history passes over blobs scanned already: recorded where they were introduced,
/// never read, their findings not made again.
#[test]
fn issue_15_a_history_passes_over_known_blobs_and_says_where_they_were() {
    use keysentry::finding::BlobId;
    use keysentry::source::history::{History, HistoryOptions, KnownBlobs};
    use std::sync::Arc;

    struct Set(Vec<BlobId>);
    impl KnownBlobs for Set {
        fn known(&self, blob: &BlobId) -> bool {
            self.0.contains(blob)
        }
    }
    let env = TestEnv::git_repo();
    let known_text = format!("GITHUB_TOKEN={}\n", secrets::github_pat());
    let new_text = format!("aws_secret_access_key = {}\n", secrets::aws_secret_key());
    env.write("old/a.env", &known_text);
    let first = env.commit_all("first");
    env.write("copy/b.env", &known_text);
    env.write("new.env", &new_text);
    let second = env.commit_all("second");
    let known = BlobId::of(known_text.as_bytes());
    let options = HistoryOptions {
        repo: env.root().to_path_buf(),
        since: None,
        max_commits: None,
        all_occurrences: true,
        max_file_size: 1 << 20,
        threads: 2,
        git_env: Default::default(),
    };
    let history = History::open(options).expect("open").passing_over(Arc::new(Set(vec![known])));
    let rules = keysentry::rules::RuleSet::builtin().expect("rules");
    let scan = keysentry::Scan::new(rules, keysentry::ScanOptions::default());
    let mut sink = keysentry::Collect::new();
    scan.run(&history, &mut sink).expect("scan");
    let findings = sink.into_outcome().findings;
    assert!(findings.iter().all(|f| f.blob_id != known), "a known blob was scanned");
    assert!(findings.iter().any(|f| f.blob_id == BlobId::of(new_text.as_bytes())));
    let blobs = history.blobs();
    assert_eq!(blobs.iter().filter(|(_, passed)| *passed).count(), 1, "{blobs:?}");
    assert!(blobs.contains(&(known, true)));
    assert_eq!(blobs.len(), 2);
    let places: Vec<(String, String)> = history
        .occurrences(&known)
        .into_iter()
        .map(|(path, commit)| (path, commit.id.clone()))
        .collect();
    assert_eq!(places, [("old/a.env".to_owned(), first), ("copy/b.env".to_owned(), second)]);
}
