//! `keysentry scan --history`: every reachable blob once, attributed to the commit that
//! introduced it. Repositories are built at run time with the git CLI.

mod common;

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
fn shallow_clones_scan_what_is_there_and_say_so() {
    let env = TestEnv::git_repo();
    env.write("old.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("old");
    env.remove("old.env");
    env.commit_all("drop it");
    env.write("new.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    env.commit_all("new");
    let url = format!("file://{}", env.root().display());
    let clone = env.outside().join("shallow");
    env.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);

    let run = env.scan_json(&["--history", clone.to_str().unwrap()]);
    run.assert_code(1);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);
    let rules: Vec<_> = run.findings().iter().map(|f| rule_id(f).to_owned()).collect();
    assert_eq!(rules, ["aws.access_key_id"]);
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

#[test]
fn a_corrupt_object_is_reported_and_the_scan_goes_on() {
    let env = TestEnv::git_repo();
    env.write("bad.txt", "some content\n");
    env.write("good.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("two files");
    let bad = env.git(&["rev-parse", "HEAD:bad.txt"]);
    let loose = env.path(&format!(".git/objects/{}/{}", &bad[..2], &bad[2..]));
    let mut perms = std::fs::metadata(&loose).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&loose, perms).unwrap();
    std::fs::write(&loose, b"not zlib at all").unwrap();

    let run = env.scan_json(&["--history", "."]);
    // Findings win over errors in the exit status, and both are reported.
    run.assert_code(1);
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
    let errors = doc["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e.as_str().unwrap().contains(&bad)), "{errors:?}");
}
