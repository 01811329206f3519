//! Resource limits (issue 14, point 6): what a scan may ask of the machine.

use crate::common;

use common::{TestEnv, secrets};

/// `-j 10000` ran ten thousand threads for one file; the sources now run at most a few per
/// core, and say so.
#[test]
fn issue_14_threads_are_clamped_to_a_few_per_core() {
    let env = TestEnv::new();
    env.write("a.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
    for mode in [&[][..], &["--history"][..]] {
        let git = TestEnv::git_repo();
        git.write("a.env", format!("aws_access_key_id = {}\n", secrets::aws_key_id()));
        git.commit_all("add a key");
        let (tree, args): (&TestEnv, Vec<&str>) = if mode.is_empty() {
            (&env, vec!["scan", "-j", "10000", "--format", "json", "."])
        } else {
            (&git, vec!["scan", "--history", "-j", "10000", "--format", "json", "."])
        };
        let run = tree.run(&args);
        run.assert_code(1);
        assert_eq!(run.findings().len(), 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("--threads 10000: running ") && run.stderr.contains("per core"),
            "{}",
            run.stderr
        );
    }
}
