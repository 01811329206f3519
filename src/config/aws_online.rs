//! What a configuration's `[aws]` says about online work.

use std::path::PathBuf;

/// What `[aws]` says about online checks; used only with the `aws` cargo feature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsOnlineSettings {
    /// `scan` checks AWS keys owner-side as if `--verify` were given (`--offline` overrides).
    pub verify: bool,
    /// The role assumed in own accounts other than the operator's.
    pub role_name: Option<String>,
    /// Per-account role names: (account, role).
    pub roles: Vec<(String, String)>,
    /// Where the audit log is written.
    pub audit_log: Option<PathBuf>,
    /// The AWS region calls go to (as `--region`).
    pub region: Option<String>,
    /// The endpoint URL for STS and IAM (as `--endpoint-url`).
    pub endpoint_url: Option<String>,
}

impl AwsOnlineSettings {
    /// The `[aws]` keys these settings give a value.
    pub fn keys_set(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.verify {
            keys.push("verify");
        }
        if self.role_name.is_some() {
            keys.push("role_name");
        }
        if !self.roles.is_empty() {
            keys.push("roles");
        }
        if self.audit_log.is_some() {
            keys.push("audit_log");
        }
        if self.region.is_some() {
            keys.push("region");
        }
        if self.endpoint_url.is_some() {
            keys.push("endpoint_url");
        }
        keys
    }

    /// These settings, each unset one taken from `defaults`.
    pub fn or(self, defaults: &AwsOnlineSettings) -> AwsOnlineSettings {
        let d = defaults.clone();
        AwsOnlineSettings {
            verify: self.verify || d.verify,
            role_name: self.role_name.or(d.role_name),
            roles: if self.roles.is_empty() { d.roles } else { self.roles },
            audit_log: self.audit_log.or(d.audit_log),
            region: self.region.or(d.region),
            endpoint_url: self.endpoint_url.or(d.endpoint_url),
        }
    }
}
