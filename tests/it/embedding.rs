//! The library runs the whole scan: a program that embeds it gets exactly the findings that
//! `keysentry scan` reports on the same tree, configuration and baseline.

use crate::common;

use std::collections::BTreeSet;

use common::{TestEnv, secrets};
use keysentry::aws::AwsOptions;
use keysentry::config::SetupOptions;
use keysentry::rules::RuleSet;
use keysentry::sink::Collect;
use keysentry::source::worktree::{
    DEFAULT_MAX_FILE_SIZE, IgnoreFiles, MMAP_THRESHOLD, Symlinks, Worktree, WorktreeOptions,
};
use keysentry::{Scan, ScanOptions};

type Seen = BTreeSet<(String, u64, u64, String, String)>;

#[test]
fn issue_13_the_embedded_library_finds_what_keysentry_scan_reports() {
    let env = TestEnv::new();
    let (id, key, pat) = (secrets::aws_key_id(), secrets::aws_secret_key(), secrets::github_pat());
    env.write(
        ".keysentry.toml",
        "[extend]\nuseDefault = true\n\n[[allowlists]]\ndescription = \"vendored\"\npaths = ['''^vendor/''']\n",
    );
    env.write("app.env", format!("aws_access_key_id = {id}\naws_secret_access_key = {key}\n"));
    env.write("vendor/lib.env", format!("TOKEN={pat}\n"));
    env.write("old/notes.txt", format!("token: {pat}\n"));
    env.write("inline.txt", format!("token = {pat} # keysentry:allow\n"));
    // What is known today goes into the baseline; a secret added after it is new.
    env.run(&["baseline", "create", "."]).assert_code(0);
    env.write("new.env", format!("GITHUB_TOKEN={pat}\nid = {}\n", secrets::aws_key_id_2()));
    let root = env.root().to_path_buf();
    let root_arg = root.to_str().expect("a UTF-8 temporary path");
    let baseline = env.path(".keysentry-baseline.json");

    let run = env.scan_json(&["--baseline", baseline.to_str().expect("UTF-8"), root_arg]);
    run.assert_code(1);
    let cli: Seen = run
        .findings()
        .iter()
        .map(|f| {
            let (line, column) = common::line_col(f);
            let fp = f["fingerprint"].as_str().expect("fingerprint").to_owned();
            (common::finding_path(f).to_owned(), line, column, common::rule_id(f).to_owned(), fp)
        })
        .collect();

    // The same scan through the library: configuration, baseline, scan, sink.
    let setup = SetupOptions {
        inline_ignore: true,
        baselines: vec![baseline.clone()],
        with_baselines: true,
        ..SetupOptions::default()
    };
    let mut suppression = keysentry::config::setup(&setup, &root).expect("the configuration loads");
    assert!(suppression.settings.file.is_some(), "the tree's configuration is found");
    let options = ScanOptions::configured(&mut suppression, AwsOptions::with_builtin_canaries());
    let rules = RuleSet::compile(suppression.settings.rules).expect("rules compile");
    let scan = Scan::new(rules, options);
    let source = Worktree::new(WorktreeOptions {
        paths: vec![root.clone()],
        ignore: IgnoreFiles::Respect,
        symlinks: Symlinks::Skip,
        max_file_size: DEFAULT_MAX_FILE_SIZE,
        mmap_threshold: MMAP_THRESHOLD,
        threads: 0,
    });
    let mut sink = Collect::new();
    let summary = scan.run(&source, &mut sink).expect("collected");
    let library: Seen = sink
        .into_outcome()
        .findings
        .iter()
        .map(|f| {
            let keysentry::finding::Origin::File { path } = &f.origin else {
                panic!("a worktree finding outside a file: {:?}", f.origin)
            };
            let (line, column) = (f.location.line as u64, f.location.column as u64);
            let path = path.to_string_lossy().into_owned();
            (path, line, column, f.rule_id.clone(), f.fingerprint.to_string())
        })
        .collect();

    assert_eq!(library, cli);
    let paths: BTreeSet<_> = cli.iter().map(|f| f.0.rsplit('/').next().unwrap_or("")).collect();
    assert_eq!(paths, BTreeSet::from(["new.env"]), "only the new file's findings: {cli:?}");
    assert!(summary.left_out >= 3, "allowlisted and baselined findings: {}", summary.left_out);
}
