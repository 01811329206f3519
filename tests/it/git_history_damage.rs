//! `keysentry scan --history` over repositories that are not whole: shallow clones, corrupt,
//! damaged or missing objects. What is there is scanned; what is not is an error or a gap in
//! the report, never silence. Repositories are built at run time with the git CLI.

use crate::common;

use common::{TestEnv, rule_id, secrets};

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

/// Issue 12: a shallow clone's history is incomplete: the scan says so in the report
/// (`skipped`, reason `shallow_history`) and exits 2 unless findings were made, with `-q` too.
#[test]
fn issue_12_a_shallow_history_is_a_gap() {
    let env = TestEnv::git_repo();
    env.write("old.env", format!("TOKEN={}\n", secrets::github_pat()));
    env.commit_all("old");
    env.remove("old.env");
    env.commit_all("drop it");
    env.write("README.md", "clean\n");
    env.commit_all("clean");
    let url = format!("file://{}", env.root().display());
    let clone = env.outside().join("shallow");
    env.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let clone = clone.to_str().unwrap();

    let run = env.scan_json(&["--history", clone]);
    run.assert_code(2);
    let skipped = run.json()["skipped"].as_array().unwrap().clone();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["reason"], "shallow_history");
    assert_eq!(skipped[0]["origin"]["kind"], "commit");
    assert_eq!(run.json()["incomplete"], true, "{}", run.stdout);
    let quiet = env.run(&["-q", "scan", "--history", clone]);
    quiet.assert_code(2);
    assert!(quiet.stderr.contains("shallow clone"), "{}", quiet.stderr);
    // The full clone is complete.
    env.run(&["-q", "scan", "--history", "."]).assert_code(1);
}

/// Overwrites loose object `id` with `bytes`.
fn overwrite_object(env: &TestEnv, id: &str, bytes: &[u8]) {
    let loose = env.path(&format!(".git/objects/{}/{}", &id[..2], &id[2..]));
    let mut perms = std::fs::metadata(&loose).expect("the loose object").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&loose, perms).expect("make the object writable");
    std::fs::write(&loose, bytes).expect("overwrite the object");
}

/// A zlib stream (stored, uncompressed blocks) of `data`.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> =
        if data.is_empty() { vec![&[][..]] } else { data.chunks(65535).collect() };
    for (i, c) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = c.len() as u16;
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend(((b << 16) | a).to_be_bytes());
    out
}

/// Issue 12: a damaged loose object that still inflates (another zlib stream, here a binary
/// one) was counted as "binary" and the scan exited 0. It is an error now (exit 2), in
/// history, range and staged scans, and the hook blocks; a missing object too.
#[test]
fn issue_12_a_damaged_or_missing_object_is_an_error_never_binary() {
    let env = TestEnv::git_repo();
    env.write("README.md", "hello\n");
    env.commit_all("base");
    env.write("app.env", format!("AWS_ACCESS_KEY_ID={}\n", secrets::aws_key_id()));
    env.commit_all("key");
    let id = env.git(&["rev-parse", "HEAD:app.env"]);
    overwrite_object(&env, &id, &zlib(b"blob 12\0\0\0\0binary\0\0\0"));
    for args in [
        &["scan", "--history", "--format", "json", "."][..],
        &["scan", "--range", "HEAD~1..HEAD", "--format", "json", "."],
    ] {
        let run = env.run(args);
        run.assert_code(2);
        let doc = run.json();
        assert_eq!(doc["stats"]["skipped_binary"], 0, "{args:?}: {doc}");
        let errors = doc["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e.as_str().unwrap().contains(&id)), "{args:?}: {errors:?}");
    }
    // Staged: the hook blocks with exit 2.
    env.write("new.env", "A=1\n");
    env.git(&["add", "new.env"]);
    let staged = env.git(&["rev-parse", ":new.env"]);
    overwrite_object(&env, &staged, &zlib(b"blob 3\0\0\0\0"));
    let run = env.run(&["hook"]);
    run.assert_code(2);
    assert!(run.stderr.contains(&staged), "{}", run.stderr);
    // Missing: the object file is gone.
    std::fs::remove_file(env.path(&format!(".git/objects/{}/{}", &staged[..2], &staged[2..])))
        .unwrap();
    env.run(&["hook"]).assert_code(2);
    let loose = env.path(&format!(".git/objects/{}/{}", &id[..2], &id[2..]));
    std::fs::remove_file(loose).unwrap();
    let run = env.scan_json(&["--history", "."]);
    run.assert_code(2);
    assert_eq!(run.json()["stats"]["skipped_binary"], 0);
}
