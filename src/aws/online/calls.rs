//! One AWS call's failure, classified; the SDK configuration (timeouts, retries, endpoint,
//! credentials chain); and the one write keysentry makes, with its own retry policy.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{Region, SdkConfig};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;
use aws_sdk_iam::types::StatusType;

/// What went wrong in a call, told apart as the retry policy and the user need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// Rate exceeded: retried with jittered backoff.
    Throttled,
    /// No answer in time: the call may or may not have happened.
    Timeout,
    /// A network failure or a server error (5xx).
    Transient,
    /// The operator lacks a permission.
    Denied,
    /// The entity (key, user) does not exist.
    NotFound,
    /// The key id is not known to AWS, or is inactive (signed with the leaked key).
    InvalidToken,
    /// The (temporary) key has expired.
    Expired,
    /// The secret does not match the key id.
    BadSignature,
    /// Anything else.
    Other,
}

/// A failed call.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
    pub(crate) request_id: Option<String>,
}

impl Failure {
    /// The message a user reads; `action` is the IAM/STS action the call needs.
    pub(crate) fn describe(&self, action: &str) -> String {
        match self.kind {
            FailureKind::Denied => format!(
                "access denied: the operator's credentials need {action} ({})",
                self.message
            ),
            FailureKind::Timeout => format!("{action}: no answer in time ({})", self.message),
            FailureKind::Throttled => format!("{action}: throttled ({})", self.message),
            _ => format!("{action}: {}", self.message),
        }
    }
}

/// Classifies an SDK error. moto's authentication errors are not parsed by the SDK (no
/// `code()`): the HTTP status and the raw body are read too.
pub(crate) fn classify<E>(err: &SdkError<E>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let request_id = err.request_id().map(str::to_owned);
    let (kind, message) = match err {
        SdkError::TimeoutError(_) => (FailureKind::Timeout, "timed out".to_owned()),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            (FailureKind::Timeout, "timed out".to_owned())
        }
        SdkError::DispatchFailure(d) => {
            (FailureKind::Transient, format!("cannot connect: {:?}", d.as_connector_error()))
        }
        SdkError::ConstructionFailure(_) => {
            (FailureKind::Other, format!("cannot build the request: {}", chain(err)))
        }
        _ => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            let body = err
                .raw_response()
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let code = err.code().map(str::to_owned).or_else(|| tag(&body, "Code"));
            let message = err
                .message()
                .map(str::to_owned)
                .or_else(|| tag(&body, "Message"))
                .unwrap_or_else(|| chain(err));
            let kind = match (code.as_deref(), status) {
                (
                    Some(
                        "Throttling"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "TooManyRequestsException",
                    ),
                    _,
                )
                | (_, Some(429)) => FailureKind::Throttled,
                (Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"), _) => {
                    FailureKind::Denied
                }
                (Some("NoSuchEntity"), _) | (None, Some(404)) => FailureKind::NotFound,
                (Some("InvalidClientTokenId"), _) => FailureKind::InvalidToken,
                (Some("ExpiredToken"), _) => FailureKind::Expired,
                (Some("SignatureDoesNotMatch"), _) => FailureKind::BadSignature,
                (Some("ServiceUnavailable" | "InternalFailure" | "InternalError"), _) => {
                    FailureKind::Transient
                }
                (_, Some(s)) if s >= 500 => FailureKind::Transient,
                (None, Some(403)) => FailureKind::Denied,
                _ => FailureKind::Other,
            };
            let message = match code {
                Some(c) => format!("{c}: {message}"),
                None => message,
            };
            (kind, message)
        }
    };
    Failure { kind, message, request_id }
}

fn tag(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&format!("</{name}>"))?;
    Some(body[start..start + len].to_owned())
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        s.push_str(": ");
        s.push_str(&e.to_string());
        cur = e.source();
    }
    s
}

/// How calls are made.
#[derive(Clone, Debug)]
pub struct CallPolicy {
    /// Connecting to an endpoint.
    pub connect_timeout: Duration,
    /// One attempt of a call.
    pub attempt_timeout: Duration,
    /// Attempts of a read call (the SDK retries throttling and transient errors with jitter).
    pub max_attempts: u32,
    /// First backoff of the write retry loop (doubled each time, with full jitter).
    pub backoff: Duration,
}

impl Default for CallPolicy {
    fn default() -> CallPolicy {
        CallPolicy {
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(10),
            max_attempts: 4,
            backoff: Duration::from_millis(200),
        }
    }
}

/// Loads the operator's configuration: the standard credentials chain (environment, profiles
/// with SSO, web identity, container, then EC2 instance metadata with 1 s timeouts), the region
/// (`region`, else the chain's, else `us-east-1`), and the endpoint override.
pub(crate) async fn load(
    region: Option<&str>,
    endpoint_url: Option<&str>,
    policy: &CallPolicy,
) -> SdkConfig {
    let region = match region {
        Some(r) => Region::new(r.to_owned()),
        None => aws_config::meta::region::RegionProviderChain::default_provider()
            .or_else(Region::from_static("us-east-1"))
            .region()
            .await
            .unwrap_or_else(|| Region::from_static("us-east-1")),
    };
    let imds = aws_config::imds::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(1))
        .build();
    let credentials = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
        .region(region.clone())
        .imds_client(imds)
        .build()
        .await;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(policy.connect_timeout)
                .operation_attempt_timeout(policy.attempt_timeout)
                .operation_timeout(policy.attempt_timeout * policy.max_attempts.max(1))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(policy.max_attempts.max(1)));
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The partition of a region, for ARNs.
pub(crate) fn partition(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        Some(r) if r.starts_with("cn-") => "aws-cn",
        _ => "aws",
    }
}

/// What a status write came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Written {
    /// The request id of the write that took effect (none when a re-read found the state
    /// already there after a timeout).
    pub(crate) request_id: Option<String>,
}

/// Sets a key's status and confirms it with `ListAccessKeys`.
///
/// The SDK's own retries are off for the write: a throttled write is retried here with
/// jittered exponential backoff; a write that timed out or failed in transit is never simply
/// re-sent, the key's status is read first, and the write is repeated only if the status is not
/// yet the wanted one.
pub(crate) async fn set_status(
    iam: &aws_sdk_iam::Client,
    user: &str,
    key_id: &str,
    status: StatusType,
    policy: &CallPolicy,
) -> Result<Written, Failure> {
    const ATTEMPTS: u32 = 5;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let sent = iam
            .update_access_key()
            .user_name(user)
            .access_key_id(key_id)
            .status(status.clone())
            .customize()
            .config_override(
                aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        match sent {
            Ok(out) => {
                let request_id = out.request_id().map(str::to_owned);
                let now = read_status(iam, user, key_id).await?;
                if now.as_ref() == Some(&status) {
                    return Ok(Written { request_id });
                }
                // IAM is eventually consistent: give the write a moment before trying again.
                if attempt >= ATTEMPTS {
                    return Err(Failure {
                        kind: FailureKind::Other,
                        message: format!(
                            "the key's status is still {} after the write",
                            now.as_ref().map_or("unknown", StatusType::as_str)
                        ),
                        request_id,
                    });
                }
                tokio::time::sleep(jitter(policy.backoff, attempt)).await;
            }
            Err(e) => {
                let failure = classify(&e);
                match failure.kind {
                    FailureKind::Throttled if attempt < ATTEMPTS => {
                        tokio::time::sleep(jitter(policy.backoff, attempt)).await;
                    }
                    FailureKind::Timeout | FailureKind::Transient if attempt < ATTEMPTS => {
                        // The write may have happened: look before writing again.
                        if read_status(iam, user, key_id).await?.as_ref() == Some(&status) {
                            return Ok(Written { request_id: None });
                        }
                        tokio::time::sleep(jitter(policy.backoff, attempt)).await;
                    }
                    _ => return Err(failure),
                }
            }
        }
    }
}

/// The key's status as `ListAccessKeys` gives it (`None` when the user has no such key).
pub(crate) async fn read_status(
    iam: &aws_sdk_iam::Client,
    user: &str,
    key_id: &str,
) -> Result<Option<StatusType>, Failure> {
    let out = iam.list_access_keys().user_name(user).send().await.map_err(|e| classify(&e))?;
    Ok(out
        .access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(key_id))
        .and_then(|k| k.status().cloned()))
}

/// Full jitter: a random delay up to `base * 2^(attempt-1)`, capped at 5 s.
pub(crate) fn jitter(base: Duration, attempt: u32) -> Duration {
    let cap = (base * 2u32.saturating_pow(attempt.saturating_sub(1))).min(Duration::from_secs(5));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // A cheap mix of the clock: enough to spread concurrent retries apart.
    let r = u64::from(nanos).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    let frac = (r % 1_000_000) as f64 / 1_000_000.0;
    cap.mul_f64(frac)
}
