//! Issue 15, point 7: the Kubernetes Indexed Job and the GitHub Actions matrix workflow of
//! `examples/audit/` parse, their shard counts agree with their `--shard` arguments, each shard
//! writes the datastore the merge step reads, and they use only flags `keysentry audit` and
//! `keysentry merge` have (the agreed flags always; the binary's own `--help` too once it has
//! those commands).

use std::path::Path;

use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::common::TestEnv;

/// The flags of `keysentry audit` the examples may use.
const AUDIT_FLAGS: &[&str] = &[
    "--datastore",
    "--cache",
    "--shard",
    "--github",
    "--gitlab",
    "--api-url",
    "--list",
    "--list-only",
    "--include-forks",
    "--include-archived",
];

/// The flags of `keysentry merge` the examples may use.
const MERGE_FLAGS: &[&str] = &["-o"];

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/audit").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).expect("valid YAML"))
        .collect()
}

fn get<'v>(value: &'v Value, path: &str) -> &'v Value {
    path.split('.').fold(value, |v, key| match key.parse::<usize>() {
        Ok(i) => &v[i],
        Err(_) => &v[key],
    })
}

fn str_of<'v>(value: &'v Value, path: &str) -> &'v str {
    get(value, path).as_str().unwrap_or_else(|| panic!("{path} is not a string: {value:?}"))
}

/// The value after `flag` in `words`.
fn after<'w>(words: &[&'w str], flag: &str) -> &'w str {
    let at = words.iter().position(|w| *w == flag).unwrap_or_else(|| panic!("no {flag}"));
    words.get(at + 1).unwrap_or_else(|| panic!("{flag} has no value"))
}

/// Every `-x`/`--xyz` word of `words` is one of `known`, and, when `keysentry SUBCOMMAND
/// --help` works, one its help lists.
fn check_flags(subcommand: &str, words: &[&str], known: &[&str]) {
    let help = TestEnv::without_git().run(&[subcommand, "--help"]);
    for flag in words.iter().filter(|w| w.starts_with('-')) {
        assert!(known.contains(flag), "keysentry {subcommand} has no {flag}");
        if help.code == 0 {
            let listed = help.stdout.split(|c: char| !(c.is_alphanumeric() || c == '-'));
            assert!(listed.into_iter().any(|w| w == *flag), "`{subcommand} --help` lacks {flag}");
        }
    }
}

fn shard_count(shard: &str, index: &str) -> usize {
    let (k, n) = shard.split_once('/').unwrap_or_else(|| panic!("--shard {shard}"));
    assert_eq!(k, index, "--shard {shard}");
    n.parse().unwrap_or_else(|_| panic!("--shard {shard}"))
}

#[test]
fn issue_15_kubernetes_indexed_job_agrees_with_itself_and_the_cli() {
    let docs = documents(&example("k8s-indexed-job.yaml"));
    let kind = |k: &'static str| docs.iter().filter(move |d| d["kind"].as_str() == Some(k));
    let claim = kind("PersistentVolumeClaim").next().expect("a claim");
    let jobs: Vec<&Value> = kind("Job").collect();
    assert_eq!(jobs.len(), 2, "the audit Job and the merge Job");
    let audit = jobs.iter().find(|j| j["spec"]["completionMode"] == "Indexed").expect("indexed");
    let merge = jobs.iter().find(|j| j["spec"]["completionMode"].is_null()).expect("merge job");
    for doc in &docs {
        assert!(doc["metadata"]["labels"]["keysentry.dev/step"].is_string(), "{doc:?}");
    }

    let completions = get(audit, "spec.completions").as_u64().expect("completions");
    assert_eq!(get(audit, "spec.parallelism").as_u64(), Some(completions));
    let pod = get(audit, "spec.template.spec");
    assert_eq!(str_of(pod, "restartPolicy"), "Never");
    let container = get(pod, "containers.0");
    let words: Vec<&str> = get(container, "command")
        .as_sequence()
        .expect("command")
        .iter()
        .map(|w| w.as_str().expect("a string"))
        .collect();
    assert_eq!(words[..2], ["keysentry", "audit"]);
    assert_eq!(shard_count(after(&words, "--shard"), "auto"), completions as usize);
    let datastore = after(&words, "--datastore");
    assert!(datastore.contains("$(JOB_COMPLETION_INDEX)"), "{datastore}");
    check_flags("audit", &words[2..], AUDIT_FLAGS);
    let env = get(container, "env").as_sequence().expect("env");
    let index = env.iter().find(|e| e["name"] == "JOB_COMPLETION_INDEX").expect("the index");
    assert_eq!(
        str_of(index, "valueFrom.fieldRef.fieldPath"),
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    let token = env.iter().find(|e| e["name"] == "GITHUB_TOKEN").expect("the token");
    assert!(get(token, "valueFrom.secretKeyRef").is_mapping(), "the token comes from a Secret");

    // The merge reads what the shards write, on the same claim.
    let merge_pod = get(merge, "spec.template.spec");
    let script = get(merge_pod, "containers.0.command");
    assert_eq!(script[0], "sh");
    assert_eq!(script[1], "-c");
    let merge_words: Vec<&str> = script[2].as_str().expect("a script").split_whitespace().collect();
    assert_eq!(merge_words[..2], ["keysentry", "merge"]);
    assert_eq!(merge_words[2], datastore.replace("$(JOB_COMPLETION_INDEX)", "*"));
    assert!(after(&merge_words, "-o").ends_with(".db"));
    check_flags("merge", &merge_words[2..], MERGE_FLAGS);
    for spec in [pod, merge_pod] {
        let volumes = get(spec, "volumes").as_sequence().expect("volumes");
        for mount in get(spec, "containers.0.volumeMounts").as_sequence().expect("mounts") {
            assert!(volumes.iter().any(|v| v["name"] == mount["name"]), "{mount:?}");
        }
        let out = volumes.iter().find(|v| v["name"] == "out").expect("out");
        assert_eq!(out["persistentVolumeClaim"]["claimName"], claim["metadata"]["name"]);
        let mount = &get(spec, "containers.0.volumeMounts").as_sequence().expect("mounts")[0];
        assert_eq!(mount["name"], "out");
        assert!(datastore.starts_with(str_of(mount, "mountPath")));
    }
}

#[test]
fn issue_15_github_actions_matrix_agrees_with_itself_and_the_cli() {
    let workflow = documents(&example("github-actions.yml")).remove(0);
    let jobs = &workflow["jobs"];
    let audit = &jobs["audit"];
    let shards: Vec<u64> = get(audit, "strategy.matrix.shard")
        .as_sequence()
        .expect("matrix.shard")
        .iter()
        .map(|s| s.as_u64().expect("a number"))
        .collect();
    assert_eq!(shards, (0..shards.len() as u64).collect::<Vec<_>>(), "shards 0 to N-1");
    assert_eq!(audit["strategy"]["fail-fast"], false, "one failed shard does not cancel the rest");

    // The matrix value as a word: `--shard K/N`, `shard-K.db`.
    let k = |text: &str| text.replace("${{ matrix.shard }}", "K");
    let steps = audit["steps"].as_sequence().expect("steps");
    let run = steps.iter().find_map(|s| s["run"].as_str()).expect("a run step");
    let line = k(run.lines().find(|l| l.contains("keysentry audit")).expect("keysentry audit"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "audit").expect("audit");
    assert_eq!(shard_count(after(&words, "--shard"), "K"), shards.len());
    check_flags("audit", &words[at + 1..], AUDIT_FLAGS);
    let datastore = after(&words, "--datastore");
    assert_eq!(datastore, "shard-K.db");
    let upload = steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .expect("an upload");
    assert_eq!(k(str_of(upload, "with.path")), datastore);
    assert_eq!(k(str_of(upload, "with.name")), "shard-K");
    assert_eq!(str_of(upload, "if"), "${{ !cancelled() }}", "a failed shard's datastore is kept");

    let merge = &jobs["merge"];
    assert_eq!(merge["needs"], "audit");
    let merge_steps = merge["steps"].as_sequence().expect("steps");
    let download = merge_steps
        .iter()
        .find(|s| s["with"]["pattern"].is_string())
        .expect("a download of the shards");
    assert_eq!(str_of(download, "with.pattern"), "shard-*");
    let run = merge_steps.iter().find_map(|s| s["run"].as_str()).expect("a run step");
    let line = run.lines().find(|l| l.contains("keysentry merge")).expect("keysentry merge");
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "merge").expect("merge");
    assert_eq!(words[at + 1], datastore.replace('K', "*"));
    assert_eq!(after(&words, "-o"), "all.db");
    check_flags("merge", &words[at + 1..], MERGE_FLAGS);
}
