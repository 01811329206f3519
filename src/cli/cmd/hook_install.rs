//! `keysentry hook install | uninstall`: put keysentry's pre-commit or pre-push hook where git
//! runs hooks, chaining (or, with `--force`, replacing) the hook that was there, and take it
//! out again, restoring that hook.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Which hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookKind {
    PreCommit,
    PrePush,
}

impl HookKind {
    pub(crate) fn of(pre_push: bool) -> HookKind {
        if pre_push { HookKind::PrePush } else { HookKind::PreCommit }
    }

    fn name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
        }
    }
}

/// The marker that tells keysentry's hooks from others.
const MARKER: &str = "# keysentry-hook:";
/// An existing hook that keysentry's hook runs after its own check.
const CHAINED: &str = "keysentry-chained";
/// An existing hook replaced with --force (kept for uninstall).
const REPLACED: &str = "keysentry-replaced";

/// The directory git runs hooks from: `core.hooksPath` (relative to the working tree's top),
/// or `hooks` in the common git directory.
pub(crate) fn hooks_dir(
    path: &Path,
    env: &keysentry::source::git::GitEnv,
) -> anyhow::Result<PathBuf> {
    let repo = keysentry::source::git::open(path, env)?;
    let configured = repo.config().ok().and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    })
}

fn sidecar(hook: &Path, what: &str) -> PathBuf {
    let mut name = hook.as_os_str().to_owned();
    name.push(".");
    name.push(what);
    PathBuf::from(name)
}

fn is_ours(hook: &Path) -> bool {
    std::fs::read_to_string(hook).is_ok_and(|s| s.contains(MARKER))
}

/// Installs the hook; returns what was done, for people.
pub(crate) fn install(
    dir: &Path,
    kind: HookKind,
    force: bool,
    exe: Option<&Path>,
    max_file_size: Option<u64>,
) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let hook = dir.join(kind.name());
    let mut note = String::new();
    if hook.exists() && !is_ours(&hook) {
        let keep = sidecar(&hook, if force { REPLACED } else { CHAINED });
        if sidecar(&hook, CHAINED).exists() || sidecar(&hook, REPLACED).exists() {
            bail!(
                "{} is not keysentry's, and an earlier hook is already kept beside it; \
                 move one of them away first",
                hook.display()
            );
        }
        std::fs::rename(&hook, &keep)
            .with_context(|| format!("cannot move {} aside", hook.display()))?;
        note = if force {
            format!("; the previous hook was replaced and kept as {}", keep.display())
        } else {
            format!("; the previous hook runs after it (kept as {})", keep.display())
        };
    }
    let script = script(kind, exe, max_file_size);
    std::fs::write(&hook, script).with_context(|| format!("cannot write {}", hook.display()))?;
    make_executable(&hook)?;
    Ok(format!("installed keysentry's {} hook in {}{note}", kind.name(), hook.display()))
}

/// Removes keysentry's hook and restores the one that was there before.
pub(crate) fn uninstall(dir: &Path, kind: HookKind) -> anyhow::Result<String> {
    let hook = dir.join(kind.name());
    if hook.exists() {
        if !is_ours(&hook) {
            bail!("{} is not keysentry's hook; leaving it alone", hook.display());
        }
        std::fs::remove_file(&hook).with_context(|| format!("cannot remove {}", hook.display()))?;
    }
    for kept in [CHAINED, REPLACED] {
        let kept = sidecar(&hook, kept);
        if kept.exists() {
            std::fs::rename(&kept, &hook)
                .with_context(|| format!("cannot restore {}", kept.display()))?;
            return Ok(format!(
                "removed keysentry's {} hook; restored the previous one",
                kind.name()
            ));
        }
    }
    Ok(format!("removed keysentry's {} hook", kind.name()))
}

/// The hook script: run keysentry (the binary that installed it, else the one on PATH), then
/// the chained hook if there is one.
fn script(kind: HookKind, exe: Option<&Path>, max_file_size: Option<u64>) -> String {
    let exe = exe.map(|p| shell_quote(&p.to_string_lossy())).unwrap_or_else(|| "keysentry".into());
    let name = kind.name();
    let flags = max_file_size.map(|n| format!(" --max-file-size {n}")).unwrap_or_default();
    let header = format!(
        "#!/bin/sh\n{MARKER} {name}\n# Installed by `keysentry hook install`; `keysentry hook uninstall` removes it\n\
         # and restores the hook that was here before.\n\
         keysentry={exe}\n\
         [ -x \"$keysentry\" ] || keysentry=keysentry\n\
         chained=\"$0.{CHAINED}\"\n"
    );
    let body = match kind {
        HookKind::PreCommit => format!(
            "\"$keysentry\" hook{flags} || exit $?\n\
             if [ -x \"$chained\" ]; then exec \"$chained\" \"$@\"; fi\n"
        ),
        HookKind::PrePush => format!(
            "input=$(cat)\n\
             printf '%s\\n' \"$input\" | \"$keysentry\" hook{flags} pre-push \"$@\" || exit $?\n\
             if [ -x \"$chained\" ]; then printf '%s\\n' \"$input\" | \"$chained\" \"$@\"; exit $?; fi\n"
        ),
    };
    header + &body
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_chains_and_uninstall_restores() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join("pre-commit");
        std::fs::write(&hook, "#!/bin/sh\necho theirs\n").unwrap();
        install(dir.path(), HookKind::PreCommit, false, None, None).unwrap();
        assert!(is_ours(&hook));
        assert_eq!(
            std::fs::read_to_string(sidecar(&hook, CHAINED)).unwrap(),
            "#!/bin/sh\necho theirs\n"
        );
        // Installing again updates keysentry's hook and keeps the chained one.
        install(dir.path(), HookKind::PreCommit, false, Some(Path::new("/opt/it's/ks")), None)
            .unwrap();
        assert!(std::fs::read_to_string(&hook).unwrap().contains("keysentry='/opt/it'\\''s/ks'"));
        assert!(sidecar(&hook, CHAINED).exists());
        uninstall(dir.path(), HookKind::PreCommit).unwrap();
        assert_eq!(std::fs::read_to_string(&hook).unwrap(), "#!/bin/sh\necho theirs\n");
        assert!(!sidecar(&hook, CHAINED).exists());
    }

    #[test]
    fn force_replaces_but_keeps_for_uninstall() {
        let dir = tempfile::tempdir().unwrap();
        let hook = dir.path().join("pre-push");
        std::fs::write(&hook, "theirs").unwrap();
        install(dir.path(), HookKind::PrePush, true, None, Some(100 << 20)).unwrap();
        let ours = std::fs::read_to_string(&hook).unwrap();
        assert!(ours.contains("hook --max-file-size 104857600 pre-push"), "{ours}");
        assert!(sidecar(&hook, REPLACED).exists() && !sidecar(&hook, CHAINED).exists());
        uninstall(dir.path(), HookKind::PrePush).unwrap();
        assert_eq!(std::fs::read_to_string(&hook).unwrap(), "theirs");
    }

    #[test]
    fn uninstall_leaves_foreign_hooks_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pre-commit"), "theirs").unwrap();
        assert!(uninstall(dir.path(), HookKind::PreCommit).is_err());
        assert!(dir.path().join("pre-commit").exists());
    }
}
