//! Every environment variable keysentry reads. The environment is read once, at start-up.

/// Disables colours in `--color auto` mode when set to a non-empty value (<https://no-color.org>).
pub(crate) const NO_COLOR: &str = "NO_COLOR";

/// The environment variables keysentry reads, captured once.
#[derive(Clone, Debug, Default)]
pub(crate) struct Env {
    /// `NO_COLOR` is set and non-empty.
    pub(crate) no_color: bool,
}

impl Env {
    pub(crate) fn capture() -> Env {
        Env { no_color: std::env::var_os(NO_COLOR).is_some_and(|v| !v.is_empty()) }
    }
}
