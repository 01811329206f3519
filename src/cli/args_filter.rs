//! Command-line syntax of configuration, allowlists and baselines (flattened into `scan`), and
//! of `keysentry ignore`. Nothing here does work. A leaf module: it imports no other syntax
//! (`keysentry baseline`, which takes all of `scan`'s options, is in `args`).

use std::path::PathBuf;

use clap::Args;
use keysentry::files::names::IGNORED_FINGERPRINTS_FILE;
use keysentry::rules::Builtin;
use keysentry::rules::builtin::EXTENDED_RULES;

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

    // The counts come from the rule files, counted when keysentry is compiled.
    #[arg(
        long,
        help_heading = "Configuration and baselines",
        help = format!("Run the extended built-in rules too ({EXTENDED_RULES} more token formats)"),
        long_help = format!(
            "Run the extended built-in rules as well as the core ones: {EXTENDED_RULES} more \
             token formats, {} rules in all (`keysentry rules list` marks them). The prefilter \
             then looks for four times as many keywords, and text without secrets scans \
             several times slower (docs/rules.md). `extended = true` in [extend] of \
             .keysentry.toml does the same.",
            Builtin::All.count()
        )
    )]
    pub(crate) extended_rules: bool,
}

impl FilterArgs {
    /// The built-in rules asked for.
    pub(crate) fn builtin(&self) -> Builtin {
        if self.extended_rules { Builtin::All } else { Builtin::Core }
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
