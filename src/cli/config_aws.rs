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
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        canaries.extend_from_toml(&text).with_context(|| format!("in {}", path.display()))?;
    }
    let mut options = AwsOptions { canaries, ..AwsOptions::default() };
    for a in &args.aws_accounts {
        options.own_accounts.insert(parse_account(a).context("--aws-account")?);
    }
    if let Some(path) = &args.aws_accounts_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for a in parse_accounts_file(&text).with_context(|| format!("in {}", path.display()))? {
            options.own_accounts.insert(a);
        }
    }
    Ok(options)
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
