//! AWS arguments turned into validated [`AwsOptions`].

use anyhow::{Context, bail};

use super::args_aws::{AwsAccountArgs, AwsScanArgs};
use keysentry::aws::{AccountId, AwsOptions, Canaries, Include};

/// Options of `scan`.
pub(crate) fn scan_options(args: &AwsScanArgs) -> anyhow::Result<AwsOptions> {
    let mut options = account_options(&args.accounts)?;
    options.identifiers = if args.include_identifiers { Include::Yes } else { Include::No };
    options.examples = if args.include_examples { Include::Yes } else { Include::No };
    Ok(options)
}

/// Own accounts and canaries (`scan` and `aws inspect`).
pub(crate) fn account_options(args: &AwsAccountArgs) -> anyhow::Result<AwsOptions> {
    let mut canaries = Canaries::builtin().context("built-in canary list is broken")?;
    if let Some(path) = &args.aws_canaries {
        let text = read_list(path)?;
        canaries.extend_from_toml(&text).with_context(|| format!("in {}", path.display()))?;
    }
    let mut options = AwsOptions { canaries, ..AwsOptions::default() };
    for a in &args.aws_accounts {
        options.own_accounts.insert(parse_account(a).context("--aws-account")?);
    }
    if let Some(path) = &args.aws_accounts_file {
        let text = read_list(path)?;
        for a in parse_accounts_file(&text).with_context(|| format!("in {}", path.display()))? {
            options.own_accounts.insert(a);
        }
    }
    Ok(options)
}

/// A list file named on the command line: a regular file within the configuration size cap
/// (`--aws-accounts-file /dev/zero` or a FIFO is an error, not a hang).
fn read_list(path: &std::path::Path) -> anyhow::Result<String> {
    use keysentry::files::read::{CONFIG_SIZE_LIMIT, Within, read_text};
    Ok(read_text(path, CONFIG_SIZE_LIMIT, Within::Anywhere)?)
}

/// An online run, validated: how to reach AWS, what to do, where to log it.
#[cfg(feature = "aws")]
#[derive(Debug)]
pub(crate) struct OnlineRun {
    pub(crate) options: keysentry::aws::online::OnlineOptions,
    pub(crate) plan: keysentry::aws::online::Plan,
    pub(crate) leaked: keysentry::aws::online::LeakedCheck,
    pub(crate) audit_log: std::path::PathBuf,
}

/// The default audit log, in the current directory.
#[cfg(feature = "aws")]
pub(crate) const DEFAULT_AUDIT_LOG: &str = "keysentry-aws-audit.jsonl";

/// The online options of a command: connection flags, then the configuration's `[aws]`.
#[cfg(feature = "aws")]
pub(crate) fn online_run(
    conn: &super::args_aws::OnlineArgs,
    aws: &AwsOptions,
    settings: &keysentry::config::AwsOnlineSettings,
    plan: keysentry::aws::online::Plan,
    leaked: keysentry::aws::online::LeakedCheck,
) -> anyhow::Result<OnlineRun> {
    use keysentry::aws::online::{CallPolicy, OnlineOptions};
    let mut roles = std::collections::BTreeMap::new();
    for (account, role) in &settings.roles {
        roles.insert(parse_account(account).context("[aws.roles]")?, role.clone());
    }
    if conn.call_timeout == 0 {
        bail!("--call-timeout must be at least 1 second");
    }
    let options = OnlineOptions {
        region: conn.region.clone().or_else(|| settings.region.clone()),
        endpoint_url: conn.endpoint_url.clone().or_else(|| settings.endpoint_url.clone()),
        own_accounts: aws.own_accounts.clone(),
        role_name: conn.role_name.clone().or_else(|| settings.role_name.clone()),
        roles,
        canaries: aws.canaries.clone(),
        concurrency: conn.concurrency.clamp(1, 64),
        policy: CallPolicy {
            attempt_timeout: std::time::Duration::from_secs(conn.call_timeout),
            ..CallPolicy::default()
        },
    };
    let audit_log = conn
        .audit_log
        .clone()
        .or_else(|| settings.audit_log.clone())
        .unwrap_or_else(|| DEFAULT_AUDIT_LOG.into());
    Ok(OnlineRun { options, plan, leaked, audit_log })
}

/// `scan`'s online run, if any: flags, else `verify = true` in the configuration, unless
/// `--offline`.
#[cfg(feature = "aws")]
pub(crate) fn scan_online(
    args: &AwsScanArgs,
    aws: &AwsOptions,
    settings: &keysentry::config::AwsOnlineSettings,
) -> anyhow::Result<Option<OnlineRun>> {
    let o = &args.online;
    let asked = o.verify || o.verify_leaked || o.deactivate;
    if args.offline {
        if asked {
            bail!("--offline cannot be combined with --verify, --verify-leaked or --deactivate");
        }
        return Ok(None);
    }
    if !asked && !settings.verify {
        return Ok(None);
    }
    let (plan, leaked) = plan(o);
    online_run(&o.conn, aws, settings, plan, leaked).map(Some)
}

/// What `--verify`, `--verify-leaked`, `--deactivate [--yes] [--quarantine]` ask for (`scan`'s
/// and `report --datastore`'s).
#[cfg(feature = "aws")]
pub(crate) fn plan(
    o: &super::args_aws::ScanOnlineArgs,
) -> (keysentry::aws::online::Plan, keysentry::aws::online::LeakedCheck) {
    use keysentry::aws::online::{Apply, LeakedCheck, Plan, Quarantine};
    let plan = if o.deactivate {
        Plan::Deactivate(
            if o.yes { Apply::Yes } else { Apply::DryRun },
            if o.quarantine { Quarantine::Attach } else { Quarantine::No },
        )
    } else {
        Plan::Check
    };
    let leaked = if o.verify_leaked { LeakedCheck::Verify } else { LeakedCheck::Skip };
    (plan, leaked)
}

fn parse_account(s: &str) -> anyhow::Result<AccountId> {
    match AccountId::parse(s) {
        Some(a) => Ok(a),
        None => bail!("{s:?} is not a 12-digit AWS account id"),
    }
}

/// Account ids separated by blanks, commas or line ends; `#` starts a comment.
fn parse_accounts_file(text: &str) -> anyhow::Result<Vec<AccountId>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for word in line.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()) {
            out.push(parse_account(word).with_context(|| format!("line {}", n + 1))?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_files() {
        let got = parse_accounts_file("# ours\n111122223333, 444455556666\n\n777788889999 # x\n")
            .unwrap();
        let got: Vec<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(got, ["111122223333", "444455556666", "777788889999"]);
        let err = parse_accounts_file("111122223333\n12345\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    }
}
