//! The programs and data that `scripts/test` provides: the pre-commit framework, Python with
//! `jsonschema`, the moto AWS emulator and the real-code corpus.
//!
//! A plain `cargo test` (or `cargo nextest run`) may have none of them: a test that needs one
//! says so on stderr and skips what needs it (the whole test, or one check of it).
//! `scripts/test`, and so CI, sets [`REQUIRE_ALL`]; then a missing tool fails the test, so that
//! nothing is skipped unseen.

use std::path::{Path, PathBuf};

/// When set (to anything but `0` or nothing), a missing tool is a failure, not a skip.
pub(crate) const REQUIRE_ALL: &str = "KEYSENTRY_TEST_REQUIRE_ALL";

/// A program that `scripts/test` installs into `.venv` and names in an environment variable.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tool {
    /// The variable `scripts/test` sets to the program's path.
    pub(crate) var: &'static str,
    /// Where the program is in this repository's `.venv`, when the variable is not set.
    pub(crate) venv: &'static str,
    /// What the program is, for the message.
    pub(crate) what: &'static str,
}

/// The pre-commit framework.
pub(crate) const PRE_COMMIT: Tool = Tool {
    var: "KEYSENTRY_TEST_PRE_COMMIT",
    venv: "bin/pre-commit",
    what: "the pre-commit framework",
};

/// Python with the `jsonschema` package.
pub(crate) const PYTHON: Tool =
    Tool { var: "KEYSENTRY_TEST_PYTHON", venv: "bin/python", what: "Python with jsonschema" };

/// moto's server, an IAM and STS emulator.
#[cfg(feature = "aws")]
pub(crate) const MOTO_SERVER: Tool = Tool {
    var: "KEYSENTRY_TEST_MOTO_SERVER",
    venv: "bin/moto_server",
    what: "the moto AWS emulator (moto_server)",
};

/// Whether missing tools fail the tests ([`REQUIRE_ALL`]).
pub(crate) fn required() -> bool {
    std::env::var_os(REQUIRE_ALL).is_some_and(|v| !v.is_empty() && v != "0")
}

impl Tool {
    /// The program's path: the variable's value if it is set (then it must exist), else the
    /// program in this repository's `.venv` (left by an earlier `scripts/test`); `None`, after
    /// saying so (see [`missing`]), when there is none.
    #[track_caller]
    pub(crate) fn find(self) -> Option<PathBuf> {
        let path = match std::env::var_os(self.var) {
            Some(named) => PathBuf::from(named),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv").join(self.venv),
        };
        if path.exists() {
            return Some(path);
        }
        missing(&format!("{} ({} or {})", self.what, self.var, path.display()))
    }
}

/// Reports that `what` is missing: panics under [`REQUIRE_ALL`], else says on stderr that the
/// calling test skips what needs it (all of the test, or one check) and returns `None`.
#[track_caller]
// The skip message is for the person running the tests: stderr is where libtest shows it.
#[allow(clippy::print_stderr)]
pub(crate) fn missing<T>(what: &str) -> Option<T> {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    if required() {
        panic!("{test}: {what} is missing, and {REQUIRE_ALL} is set: run scripts/test");
    }
    eprintln!("{test}: skipping what needs {what}: it is missing; scripts/test provides it");
    None
}
