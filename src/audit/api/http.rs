//! The requests: one origin, its token, rate-limit waits, retries, redirects and limits.

use std::collections::HashSet;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ureq::Agent;
use ureq::http::HeaderMap;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

use super::{ApiError, ApiEvent, ApiOptions, ApiToken, Provider, printable};
use crate::audit::sources::url::redact;

/// Rate-limit waits and server-error retries allowed for one request.
const MAX_TRIES: u32 = 10;
/// Server-error retries allowed for one request.
const MAX_SERVER_RETRIES: u32 = 2;
/// Redirects followed for one request.
const MAX_REDIRECTS: u32 = 5;
/// The wait after a 429 that says nothing about how long.
const DEFAULT_RATE_WAIT: Duration = Duration::from_secs(60);

/// `scheme://host:port`, lower case, port explicit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Origin(String);

impl Origin {
    /// The origin of an absolute `http(s)` URL; `None` for anything else or a URL with
    /// credentials.
    pub(super) fn of(url: &str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => "443",
            "http" => "80",
            _ => return None,
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = rest[..end].to_ascii_lowercase();
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let has_port = match authority.rfind(':') {
            Some(colon) => !authority[colon..].contains(']'),
            None => false,
        };
        Some(if has_port {
            Self(format!("{scheme}://{authority}"))
        } else {
            Self(format!("{scheme}://{authority}:{default_port}"))
        })
    }

    fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or(self.0.as_str(), |(_, r)| r);
        rest.rsplit_once(':').map_or(rest, |(host, _)| host)
    }

    fn is_loopback(&self) -> bool {
        let host = self.host();
        host == "localhost" || host == "[::1]" || host.starts_with("127.")
    }
}

/// A successful page, or the API's 404.
pub(super) enum Fetched {
    /// 404.
    NotFound,
    /// 2xx: the body and the headers.
    Page { body: Vec<u8>, headers: HeaderMap },
}

/// Requests to one API.
pub(super) struct Client<'a> {
    agent: Agent,
    provider: Provider,
    origin: Origin,
    token: Option<&'a ApiToken>,
    options: &'a ApiOptions,
}

impl<'a> Client<'a> {
    /// A client of the API at `api` (validated here).
    pub(super) fn new(
        provider: Provider,
        api: &str,
        token: Option<&'a ApiToken>,
        options: &'a ApiOptions,
    ) -> Result<(Self, String), ApiError> {
        let bad = |reason| ApiError::ApiUrl { provider, url: printable(&redact(api)), reason };
        let base = api.trim().trim_end_matches('/');
        if base.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad("it holds white space or control characters"));
        }
        if base.contains(['?', '#']) {
            return Err(bad("it may not have a query or fragment"));
        }
        if let Some((_, rest)) = base.split_once("://")
            && rest[..rest.find('/').unwrap_or(rest.len())].contains('@')
        {
            return Err(bad("it may not hold credentials (give the token instead)"));
        }
        let origin = Origin::of(base).ok_or_else(|| bad("it is not an http:// or https:// URL"))?;
        if token.is_some() && origin.0.starts_with("http://") && !origin.is_loopback() {
            return Err(ApiError::InsecureToken { provider, host: origin.host().to_owned() });
        }
        let tls = TlsConfig::builder()
            .provider(TlsProvider::NativeTls)
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let proxy = match &options.proxy {
            Some(proxy) => Some(ureq::Proxy::new(proxy).map_err(|_| ApiError::Proxy)?),
            None => None,
        };
        let agent = Agent::config_builder()
            .tls_config(tls)
            .proxy(proxy)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(options.timeout))
            .user_agent(concat!("keysentry/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok((Self { agent, provider, origin, token, options }, base.to_owned()))
    }

    /// Text from the server or a URL, safe to show: no token, no control characters.
    fn scrub(&self, text: &str) -> String {
        let text = match self.token {
            Some(token) => text.replace(token.expose(), "***"),
            None => text.to_owned(),
        };
        printable(&redact(&text))
    }

    /// Refuses `url` unless it is on the API's origin.
    pub(super) fn check_origin(&self, url: &str, via: &'static str) -> Result<(), ApiError> {
        if Origin::of(url).as_ref() == Some(&self.origin) {
            return Ok(());
        }
        Err(ApiError::ForeignOrigin {
            provider: self.provider,
            via,
            url: self.scrub(url),
            origin: self.origin.0.clone(),
        })
    }

    /// GETs `url` (on the API's origin), waiting out rate limits and retrying server errors.
    pub(super) fn get(
        &self,
        url: &str,
        log: &mut dyn FnMut(&ApiEvent),
    ) -> Result<Fetched, ApiError> {
        let provider = self.provider;
        let mut url = url.to_owned();
        let mut tries = 0u32;
        let mut server_retries = 0u32;
        let mut redirects = 0u32;
        loop {
            self.check_origin(&url, "redirect")?;
            tries += 1;
            let mut request = self.agent.get(&url);
            request = match provider {
                Provider::GitHub => request
                    .header("Accept", "application/vnd.github+json")
                    .header("X-GitHub-Api-Version", "2022-11-28"),
                Provider::GitLab => request.header("Accept", "application/json"),
            };
            if let Some(token) = self.token {
                request = match provider {
                    Provider::GitHub => {
                        request.header("Authorization", format!("Bearer {}", token.expose()))
                    }
                    Provider::GitLab => request.header("PRIVATE-TOKEN", token.expose()),
                };
            }
            let mut response = request.call().map_err(|e| ApiError::Transport {
                provider,
                url: self.scrub(&url),
                message: self.scrub(&e.to_string()),
            })?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let give_up =
                || ApiError::TooManyTries { provider, status, url: self.scrub(&url), tries };
            match status {
                200..=299 => {
                    let body = response
                        .body_mut()
                        .with_config()
                        .limit(self.options.max_page_bytes)
                        .read_to_vec()
                        .map_err(|e| match e {
                            ureq::Error::BodyExceedsLimit(_) => ApiError::TooLarge {
                                provider,
                                url: self.scrub(&url),
                                limit: self.options.max_page_bytes,
                            },
                            e => ApiError::Transport {
                                provider,
                                url: self.scrub(&url),
                                message: self.scrub(&e.to_string()),
                            },
                        })?;
                    return Ok(Fetched::Page { body, headers });
                }
                301 | 302 | 303 | 307 | 308 => {
                    redirects += 1;
                    let location = header(&headers, "location").unwrap_or_default();
                    if redirects > MAX_REDIRECTS || location.is_empty() {
                        return Err(ApiError::Status { provider, status, url: self.scrub(&url) });
                    }
                    url = resolve(&url, location);
                }
                404 => return Ok(Fetched::NotFound),
                401 => {
                    return Err(ApiError::Unauthorized {
                        provider,
                        with_token: self.token.is_some(),
                    });
                }
                403 | 429 => {
                    let Some(wait) = rate_limit_wait(provider, status, &headers) else {
                        return Err(ApiError::Forbidden { provider, url: self.scrub(&url) });
                    };
                    let until = jiff::Timestamp::now()
                        .checked_add(jiff::SignedDuration::try_from(wait).unwrap_or_default())
                        .unwrap_or(jiff::Timestamp::MAX);
                    if wait > self.options.max_rate_limit_wait {
                        return Err(ApiError::RateLimitTooLong {
                            provider,
                            wait,
                            until,
                            max: self.options.max_rate_limit_wait,
                        });
                    }
                    if tries >= MAX_TRIES {
                        return Err(give_up());
                    }
                    log(&ApiEvent::RateLimited { provider, wait, until });
                    thread::sleep(wait);
                }
                500 | 502 | 503 | 504 if server_retries < MAX_SERVER_RETRIES => {
                    server_retries += 1;
                    let wait = Duration::from_secs(u64::from(server_retries));
                    log(&ApiEvent::Retrying { provider, status, wait });
                    thread::sleep(wait);
                }
                500 | 502 | 503 | 504 => return Err(give_up()),
                _ => return Err(ApiError::Status { provider, status, url: self.scrub(&url) }),
            }
        }
    }

    /// Follows pages from `first` to the last, handing each body to `page`.
    pub(super) fn pages(
        &self,
        first: &str,
        owner: &str,
        log: &mut dyn FnMut(&ApiEvent),
        mut page: impl FnMut(&[u8], &str) -> Result<usize, ApiError>,
    ) -> Result<bool, ApiError> {
        let provider = self.provider;
        let mut seen = HashSet::new();
        let mut url = first.to_owned();
        let mut number = 0usize;
        loop {
            number += 1;
            if number > self.options.max_pages {
                return Err(ApiError::Endless {
                    provider,
                    name: printable(owner),
                    reason: format!("more than {} pages", self.options.max_pages),
                });
            }
            seen.insert(url.clone());
            let (body, headers) = match self.get(&url, log)? {
                Fetched::NotFound if number == 1 => return Ok(false),
                Fetched::NotFound => {
                    return Err(ApiError::Status { provider, status: 404, url: self.scrub(&url) });
                }
                Fetched::Page { body, headers } => (body, headers),
            };
            let repos = page(&body, &self.scrub(&url))?;
            log(&ApiEvent::Page { provider, owner: printable(owner), page: number, repos });
            let next = match next_link(&headers) {
                Some(next) => Some(resolve(&url, &next)),
                None => next_page_number(&headers).map(|n| with_page(&url, n)),
            };
            let Some(next) = next else { return Ok(true) };
            self.check_origin(&next, "next-page link")?;
            if seen.contains(&next) {
                return Err(ApiError::Endless {
                    provider,
                    name: printable(owner),
                    reason: format!("page {} links back to a page already read", number),
                });
            }
            url = next;
        }
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn now_secs() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// The wait a 403/429 asks for, `None` when it is not a rate limit.
fn rate_limit_wait(provider: Provider, status: u16, headers: &HeaderMap) -> Option<Duration> {
    let retry_after = header(headers, "retry-after").and_then(parse_retry_after);
    let until_reset = |name: &str| {
        let reset: f64 = header(headers, name)?.parse::<u64>().ok()? as f64;
        Some(Duration::from_secs_f64((reset - now_secs()).max(0.0) + 0.05))
    };
    match provider {
        Provider::GitHub => {
            let exhausted = header(headers, "x-ratelimit-remaining") == Some("0");
            retry_after
                .or_else(|| if exhausted { until_reset("x-ratelimit-reset") } else { None })
                .or((status == 429).then_some(DEFAULT_RATE_WAIT))
        }
        Provider::GitLab if status == 429 => Some(
            retry_after.or_else(|| until_reset("ratelimit-reset")).unwrap_or(DEFAULT_RATE_WAIT),
        ),
        Provider::GitLab => None,
    }
}

/// `Retry-After`: seconds, or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let secs = at.as_second() as f64 - now_secs();
    Some(Duration::from_secs_f64(secs.max(0.0)))
}

/// The `rel="next"` URL of the `Link` headers.
fn next_link(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all("link") {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let Some(target) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
                continue;
            };
            let is_next = pieces.any(|param| {
                let param = param.trim();
                param.strip_prefix("rel=").is_some_and(|rel| {
                    rel.trim_matches('"').split_ascii_whitespace().any(|r| r == "next")
                })
            });
            if is_next {
                return Some(target.to_owned());
            }
        }
    }
    None
}

/// GitLab's `x-next-page`: the next page's number, absent or empty on the last.
fn next_page_number(headers: &HeaderMap) -> Option<u64> {
    header(headers, "x-next-page").filter(|v| !v.is_empty())?.parse().ok()
}

/// `url` with its `page` parameter set to `n`.
fn with_page(url: &str, n: u64) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .map(String::from)
        .collect();
    params.push(format!("page={n}"));
    format!("{base}?{}", params.join("&"))
}

/// A `Location` or link target resolved against the URL it came from.
fn resolve(base: &str, target: &str) -> String {
    if target.contains("://") {
        return target.to_owned();
    }
    let Some((scheme, rest)) = base.split_once("://") else { return target.to_owned() };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    if let Some(net_path) = target.strip_prefix("//") {
        return format!("{scheme}://{net_path}");
    }
    if target.starts_with('/') {
        return format!("{scheme}://{authority}{target}");
    }
    // Relative to the base's directory: rare in API answers.
    let path = &rest[authority.len()..];
    let path = path.split('?').next().unwrap_or_default();
    let dir = path.rfind('/').map_or("", |slash| &path[..slash]);
    format!("{scheme}://{authority}{dir}/{target}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    #[test]
    fn origins() {
        let o = |u| Origin::of(u).map(|o| o.0);
        assert_eq!(o("https://API.github.com/orgs"), Some("https://api.github.com:443".into()));
        assert_eq!(o("https://api.github.com:443/x"), Some("https://api.github.com:443".into()));
        assert_eq!(o("http://127.0.0.1:8080?x"), Some("http://127.0.0.1:8080".into()));
        assert_eq!(o("http://[::1]/x"), Some("http://[::1]:80".into()));
        assert_eq!(o("http://u@host/x"), None);
        assert_eq!(o("ftp://host/x"), None);
        assert!(Origin::of("http://127.0.0.1:1").is_some_and(|o| o.is_loopback()));
        assert!(Origin::of("http://[::1]:1").is_some_and(|o| o.is_loopback()));
        assert!(!Origin::of("http://example.org").is_some_and(|o| o.is_loopback()));
    }

    #[test]
    fn links() {
        let h = headers(&[(
            "link",
            r#"<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next", <https://h/x?page=9>; rel="last""#,
        )]);
        assert_eq!(next_link(&h).as_deref(), Some("https://h/x?page=3"));
        assert_eq!(next_link(&headers(&[("link", r#"<https://h/x>; rel="last""#)])), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
        assert_eq!(next_page_number(&headers(&[("x-next-page", "")])), None);
        assert_eq!(next_page_number(&headers(&[("x-next-page", "4")])), Some(4));
        assert_eq!(
            with_page("https://h/p?per_page=100&page=2", 3),
            "https://h/p?per_page=100&page=3"
        );
        assert_eq!(resolve("https://h:1/a/b?x", "/c?d"), "https://h:1/c?d");
        assert_eq!(resolve("https://h/a/b", "https://o/c"), "https://o/c");
        assert_eq!(resolve("https://h/a/b", "//o/c"), "https://o/c");
        assert_eq!(resolve("https://h/a/b?q", "c"), "https://h/a/c");
    }

    #[test]
    fn rate_limits() {
        let later = (now_secs() as u64 + 30).to_string();
        fn gh(pairs: &[(&'static str, &str)], status: u16) -> Option<Duration> {
            rate_limit_wait(Provider::GitHub, status, &headers(pairs))
        }
        fn gl(pairs: &[(&'static str, &str)], status: u16) -> Option<Duration> {
            rate_limit_wait(Provider::GitLab, status, &headers(pairs))
        }
        let exhausted = [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", later.as_str())];
        let wait = gh(&exhausted, 403).expect("a rate limit");
        assert!(wait > Duration::from_secs(28) && wait < Duration::from_secs(32), "{wait:?}");
        assert_eq!(gh(&[("retry-after", "7")], 403), Some(Duration::from_secs(7)));
        assert_eq!(gh(&[("x-ratelimit-remaining", "12")], 403), None);
        assert_eq!(gh(&[], 403), None);
        assert_eq!(gh(&[], 429), Some(DEFAULT_RATE_WAIT));
        assert_eq!(gl(&[("retry-after", "3")], 429), Some(Duration::from_secs(3)));
        assert!(
            gl(&[("ratelimit-reset", later.as_str())], 429)
                .is_some_and(|w| w > Duration::from_secs(28))
        );
        assert_eq!(gl(&[("retry-after", "3")], 403), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
    }
}
