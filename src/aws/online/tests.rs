//! Error paths moto cannot produce (throttling, a write that times out), against a local fake
//! HTTP server that answers each IAM action from a script.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_iam::types::StatusType;
use aws_sdk_sts::config::Credentials;

use super::calls::{self, CallPolicy, FailureKind};

/// One scripted answer.
#[derive(Clone)]
enum Answer {
    Ok(String),
    Error(u16, &'static str),
    Hang,
}

struct Fake {
    endpoint: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn start(script: Vec<(&'static str, Vec<Answer>)>) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let script: HashMap<&str, VecDeque<Answer>> =
            script.into_iter().map(|(a, v)| (a, v.into())).collect();
        let script = Arc::new(Mutex::new(script));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let script = Arc::clone(&script);
                let seen = Arc::clone(&seen2);
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut len = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    let body = String::from_utf8_lossy(&body).into_owned();
                    let action = body
                        .split('&')
                        .find_map(|p| p.strip_prefix("Action="))
                        .unwrap_or("")
                        .to_owned();
                    seen.lock().unwrap().push(body);
                    let answer = script
                        .lock()
                        .unwrap()
                        .get_mut(action.as_str())
                        .and_then(VecDeque::pop_front)
                        .unwrap_or(Answer::Error(500, "NoScript"));
                    let (status, text) = match answer {
                        Answer::Hang => {
                            std::thread::sleep(Duration::from_secs(3));
                            return;
                        }
                        Answer::Ok(xml) => (200, xml),
                        Answer::Error(status, code) => (
                            status,
                            format!(
                                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                                 <Message>scripted {code}</Message></Error>\
                                 <RequestId>err-1</RequestId></ErrorResponse>"
                            ),
                        ),
                    };
                    // The SDK reads the request id from the header, as AWS sends it.
                    let rid = text
                        .split("<RequestId>")
                        .nth(1)
                        .and_then(|r| r.split('<').next())
                        .unwrap_or("none")
                        .to_owned();
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
                         x-amzn-RequestId: {rid}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    );
                });
            }
        });
        Fake { endpoint, seen }
    }

    fn actions(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .map(|b| b.split('&').find_map(|p| p.strip_prefix("Action=")).unwrap_or("").to_owned())
            .collect()
    }
}

fn policy() -> CallPolicy {
    CallPolicy {
        connect_timeout: Duration::from_secs(1),
        attempt_timeout: Duration::from_millis(500),
        max_attempts: 2,
        backoff: Duration::from_millis(10),
    }
}

fn iam(endpoint: &str) -> aws_sdk_iam::Client {
    let p = policy();
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("AKIDTEST", "test-secret", None, None, "test"))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(p.connect_timeout)
                .operation_attempt_timeout(p.attempt_timeout)
                .build(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(p.max_attempts))
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

fn list_keys(status: &str) -> String {
    format!(
        "<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata><member>\
         <UserName>alice</UserName><AccessKeyId>AKIDKEY1</AccessKeyId><Status>{status}</Status>\
         </member></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>\
         <ResponseMetadata><RequestId>list-1</RequestId></ResponseMetadata>\
         </ListAccessKeysResponse>"
    )
}

const UPDATED: &str = "<UpdateAccessKeyResponse><ResponseMetadata><RequestId>upd-1</RequestId>\
                       </ResponseMetadata></UpdateAccessKeyResponse>";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

#[test]
fn a_throttled_write_is_retried_and_carries_the_user_name() {
    let fake = Fake::start(vec![
        ("UpdateAccessKey", vec![Answer::Error(400, "Throttling"), Answer::Ok(UPDATED.into())]),
        ("ListAccessKeys", vec![Answer::Ok(list_keys("Inactive"))]),
    ]);
    let iam = iam(&fake.endpoint);
    let written =
        block_on(calls::set_status(&iam, "alice", "AKIDKEY1", StatusType::Inactive, &policy()))
            .unwrap();
    assert_eq!(written.request_id.as_deref(), Some("upd-1"));
    assert_eq!(fake.actions(), ["UpdateAccessKey", "UpdateAccessKey", "ListAccessKeys"]);
    let seen = fake.seen.lock().unwrap();
    assert!(seen[0].contains("UserName=alice") && seen[0].contains("Status=Inactive"), "{seen:?}");
}

#[test]
fn a_timed_out_write_is_not_resent_when_the_state_is_already_there() {
    let fake = Fake::start(vec![
        ("UpdateAccessKey", vec![Answer::Hang]),
        ("ListAccessKeys", vec![Answer::Ok(list_keys("Inactive"))]),
    ]);
    let iam = iam(&fake.endpoint);
    let written =
        block_on(calls::set_status(&iam, "alice", "AKIDKEY1", StatusType::Inactive, &policy()))
            .unwrap();
    assert_eq!(written.request_id, None);
    assert_eq!(fake.actions(), ["UpdateAccessKey", "ListAccessKeys"]);
}

#[test]
fn a_timed_out_write_is_resent_after_reading_the_state() {
    let fake = Fake::start(vec![
        ("UpdateAccessKey", vec![Answer::Hang, Answer::Ok(UPDATED.into())]),
        (
            "ListAccessKeys",
            vec![Answer::Ok(list_keys("Active")), Answer::Ok(list_keys("Inactive"))],
        ),
    ]);
    let iam = iam(&fake.endpoint);
    block_on(calls::set_status(&iam, "alice", "AKIDKEY1", StatusType::Inactive, &policy()))
        .unwrap();
    assert_eq!(
        fake.actions(),
        ["UpdateAccessKey", "ListAccessKeys", "UpdateAccessKey", "ListAccessKeys"]
    );
}

#[test]
fn a_denied_call_names_the_permission() {
    let fake = Fake::start(vec![("UpdateAccessKey", vec![Answer::Error(403, "AccessDenied")])]);
    let iam = iam(&fake.endpoint);
    let err =
        block_on(calls::set_status(&iam, "alice", "AKIDKEY1", StatusType::Inactive, &policy()))
            .unwrap_err();
    assert_eq!(err.kind, FailureKind::Denied);
    let text = err.describe("iam:UpdateAccessKey");
    assert!(text.contains("need iam:UpdateAccessKey"), "{text}");
    assert_eq!(fake.actions(), ["UpdateAccessKey"], "a denial is not retried");
}

#[test]
fn partitions_follow_the_region() {
    assert_eq!(calls::partition(Some("us-gov-west-1")), "aws-us-gov");
    assert_eq!(calls::partition(Some("cn-north-1")), "aws-cn");
    assert_eq!(calls::partition(Some("eu-west-1")), "aws");
    let j = calls::jitter(Duration::from_millis(100), 3);
    assert!(j <= Duration::from_millis(400));
}
