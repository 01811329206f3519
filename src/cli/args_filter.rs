//! Command-line syntax of configuration, allowlists and baselines (flattened into `scan`), and
//! of `keysentry ignore`. Nothing here does work. A leaf module: it imports no other syntax
//! (`keysentry baseline`, which takes all of `scan`'s options, is in `args`).

use std::path::PathBuf;

use clap::Args;
use keysentry::files::names::IGNORED_FINGERPRINTS_FILE;
use keysentry::rules::Builtin;

/// Configuration and suppression options of `scan`.
#[derive(Debug, Default, Args)]
pub(crate) struct FilterArgs {
    /// Configuration file (default: .keysentry.toml, else .gitleaks.toml, in the tree)
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Configuration and baselines",
        long_help = "Configuration file: keysentry's (docs/config.md) or a gitleaks v8 \
                     .gitleaks.toml (docs/gitleaks.md). It may set everything, online AWS \
                     settings included. Without it, .keysentry.toml, then .gitleaks.toml, is \
                     looked for in the scanned directory and upwards to the top of its git \
                     working tree (outside git: in the scanned directory only); a file found \
                     there sets rules, allowlists and baselines only. The operator's own \
                     configuration ($XDG_CONFIG_HOME/keysentry/config.toml, default \
                     ~/.config/keysentry/config.toml) is read in every case."
    )]
    pub(crate) config: Option<PathBuf>,

    /// Use no configuration found in the scanned tree
    #[arg(
        long,
        help_heading = "Configuration and baselines",
        long_help = "Do not look for a configuration in the scanned tree: use --config FILE \
                     and the operator's own configuration only (with neither: the built-in \
                     rules). With --no-ignore-files, CI scans with the operator's policy only."
    )]
    pub(crate) no_config: bool,

    /// Use none of the repository's ignore lists
    #[arg(
        long,
        help_heading = "Configuration and baselines",
        long_help = "Do not read the scanned repository's ignore lists: .gitignore, .ignore \
                     and git excludes (as --no-ignore), .keysentryignore, \
                     .keysentry-ignored-fingerprints and .gitleaksignore, in working-tree and \
                     git scans alike. --baseline files still apply."
    )]
    pub(crate) no_ignore_files: bool,

    /// Report only findings not in this baseline (repeatable)
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Configuration and baselines",
        long_help = "Leave out findings listed in FILE: a keysentry baseline (keysentry \
                     baseline create), a gitleaks JSON report, a .gitleaksignore file, or a \
                     detect-secrets .secrets.baseline. Repeatable."
    )]
    pub(crate) baseline: Vec<PathBuf>,

    /// Report findings on lines with ignore comments too
    #[arg(
        long,
        help_heading = "Configuration and baselines",
        long_help = "Do not honour inline ignore comments (keysentry:allow, gitleaks:allow, \
                     pragma: allowlist secret, pragma: allowlist nextline secret, \
                     trufflehog:ignore, kingfisher:ignore): for audits."
    )]
    pub(crate) no_inline_ignore: bool,

    /// Run only the rules these ids or globs name (repeatable)
    #[arg(
        long = "enable-rule",
        value_name = "ID",
        help_heading = "Configuration and baselines",
        long_help = "Run only the rules these ids or globs name (`aws.*`, `*.token`; \
                     repeatable, as gitleaks' --enable-rule), built-in or the configuration's. \
                     A pattern that names no rule is an error. Every built-in rule runs by \
                     default; `only` in [extend] of .keysentry.toml chooses built-in rules \
                     the same way."
    )]
    pub(crate) enable_rule: Vec<String>,

    /// Does nothing: every built-in rule runs by default (kept for compatibility)
    #[arg(
        long,
        help_heading = "Configuration and baselines",
        long_help = format!(
            "Does nothing, kept so that scripts that pass it keep working (with a warning): \
             every built-in rule runs by default, {} in all, since the prefilter's cost no \
             longer grows with the number of keywords (docs/rules.md). --enable-rule or \
             `only` in [extend] of .keysentry.toml choose fewer.",
            Builtin::All.count()
        )
    )]
    pub(crate) extended_rules: bool,
}

impl FilterArgs {
    /// The built-in rules a scan starts from: all of them.
    pub(crate) fn builtin(&self) -> Builtin {
        Builtin::All
    }

    /// The warning `--extended-rules` earns, if given.
    pub(crate) fn compatibility_warnings(&self) -> Vec<String> {
        if self.extended_rules {
            vec![
                "--extended-rules does nothing now: every built-in rule runs by default (to run \
                 fewer, use --enable-rule or `only` in [extend])"
                    .to_owned(),
            ]
        } else {
            Vec::new()
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct IgnoreArgs {
    /// Fingerprints to ignore (as reports print them)
    #[arg(value_name = "FINGERPRINT", required = true)]
    pub(crate) fingerprints: Vec<String>,

    /// The fingerprint file to append to
    #[arg(long, value_name = "FILE", default_value = IGNORED_FINGERPRINTS_FILE)]
    pub(crate) file: PathBuf,
}
