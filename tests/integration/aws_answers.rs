//! Integration tests: what `account` and `doctor`'s account stage do with answers the real
//! AWS IoT API never gives, from a loopback fake at `AWS_ENDPOINT_URL` (a misconfigured
//! endpoint, a proxy in between, a hostile server): JSON nested a hundred thousand levels,
//! bodies of a gigabyte or without end, a pagination token handed back again, a 200 that is
//! not JSON or lacks the description. Each ends with exit 3 and one line saying that the
//! answer could not be read, never an abort, a hang, or a conclusion about the account.

use std::process::Command;

use serde_json::Value;

use crate::account::{empty_aws_config, with_aws};
use crate::common::*;
use crate::fake_iot::{self, certificate_description, Answer, Request};

const DEVICE: &str = "device/ec.pem";

/// `iotcheck account --cert DEVICE --json` against the fake answering with `answer`.
fn account(answer: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Run {
    let port = fake_iot::start(answer);
    // The timeout only bounds a hang, were the guard to fail: every case ends long before.
    against(
        port,
        iotcheck().args([
            "account",
            "--cert",
            &fixture(DEVICE),
            "--json",
            "--timeout",
            "60",
        ]),
    )
}

/// Runs `cmd` against the fake on `port`.
fn against(port: u16, cmd: &mut Command) -> Run {
    let config = empty_aws_config();
    with_aws(cmd, &format!("http://127.0.0.1:{port}"), config.path());
    run_cmd(cmd)
}

/// A fake where the device certificate is registered: DescribeCertificate answers with its
/// description; every later request is `rest`'s to answer.
fn registered(
    rest: impl Fn(&Request) -> Answer + Send + Sync + 'static,
) -> impl Fn(&Request) -> Answer + Send + Sync + 'static {
    move |request| {
        if request.path.starts_with("/certificates/") {
            Answer::ok(certificate_description("c0ffee"))
        } else {
            rest(request)
        }
    }
}

/// GetPolicy's answer: the policy P, allowing iot:Connect on any resource, with `sid` as its
/// statement's id when given.
fn connect_policy(sid: Option<String>) -> Answer {
    let mut statement =
        serde_json::json!({"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"});
    if let Some(sid) = sid {
        statement["Sid"] = sid.into();
    }
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    Answer::ok(
        serde_json::json!({"policyName": "P", "policyDocument": document.to_string()}).to_string(),
    )
}

/// Exit 3, nothing on stdout, one line on stderr saying the answer of `action` could not be
/// read and why (`because`).
fn unreadable(r: &Run, action: &str, because: &str) {
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let expected = format!("the answer from {action} could not be read: ");
    assert!(r.stderr.contains(&expected), "{expected:?} in {}", r.stderr);
    assert!(r.stderr.contains(because), "{because:?} in {}", r.stderr);
    assert!(r.stderr.len() < 500, "{}", r.stderr);
}

/// `{"zzz":[[[…]]]}`, `levels` deep.
fn nested(levels: usize) -> String {
    format!(
        "{{\"zzz\":{}{}}}",
        "[".repeat(levels - 1),
        "]".repeat(levels - 1)
    )
}

#[test]
fn deeply_nested_json_is_refused_before_the_sdk_parses_it() {
    // 100,000 levels overflowed the main thread's stack (SIGABRT, exit 134).
    let r = account(|_| Answer::ok(nested(100_000)));
    unreadable(&r, "iot:DescribeCertificate", "nests deeper than 64 levels");
    // The same as an API error's body.
    let r = account(|_| Answer::Json(400, nested(100_000)));
    unreadable(&r, "iot:DescribeCertificate", "nests deeper than 64 levels");
    // Nesting without end, chunked.
    let r = account(|_| Answer::Stream {
        prefix: b"{\"zzz\":".to_vec(),
        piece: vec![b'['; 64 * 1024],
        length: None,
    });
    unreadable(&r, "iot:DescribeCertificate", "nests deeper than 64 levels");
    // Nesting within the bound is the deserializer's to judge: here, a shape it refuses.
    let r = account(|_| Answer::ok(nested(60)));
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("could not be read"), "{}", r.stderr);
}

#[test]
fn a_body_larger_than_any_answer_is_not_read_whole() {
    // A gigabyte, declared: refused before its first byte.
    let r = account(|_| Answer::Stream {
        prefix: Vec::new(),
        piece: vec![b' '; 64 * 1024],
        length: Some(1 << 30),
    });
    unreadable(&r, "iot:DescribeCertificate", "declares 1073741824 bytes");
    // Without end, chunked: reading stops at the bound.
    let r = account(|_| Answer::Stream {
        prefix: b"{\"certificateDescription\":{\"certificateId\":\"".to_vec(),
        piece: vec![b'a'; 64 * 1024],
        length: None,
    });
    unreadable(&r, "iot:DescribeCertificate", "larger than the 1 MiB");
    // The same behind a valid first answer, in a later call.
    let r = account(registered(|_| Answer::Stream {
        prefix: b"{\"things\":[".to_vec(),
        piece: b"\"thing\",".repeat(8 * 1024),
        length: None,
    }));
    unreadable(&r, "iot:ListPrincipalThings", "larger than the 1 MiB");
}

#[test]
fn a_repeated_pagination_token_ends_the_listing_at_once() {
    let r = account(registered(|_| {
        Answer::ok(r#"{"things":["Sensor1"],"nextToken":"again"}"#)
    }));
    unreadable(
        &r,
        "iot:ListPrincipalThings",
        "hands back the pagination token of an earlier page",
    );
    // The policies' listing (marker) too.
    let r = account(registered(|request| {
        if request.path.starts_with("/principals/things") {
            Answer::ok(r#"{"things":[]}"#)
        } else {
            Answer::ok(r#"{"policies":[],"nextMarker":"m"}"#)
        }
    }));
    unreadable(
        &r,
        "iot:ListAttachedPolicies",
        "hands back the pagination token of an earlier page",
    );
}

#[test]
fn an_answer_that_is_not_the_apis_is_no_finding() {
    // A 200 that is not JSON said "failed: unknown: " with nothing after.
    let r = account(|_| Answer::ok("<html>portal login</html>"));
    unreadable(&r, "iot:DescribeCertificate", "HTTP 200 (");
    // A 200 without the description was taken for an unregistered certificate (exit 1).
    let r = account(|_| Answer::ok("{}"));
    unreadable(
        &r,
        "iot:DescribeCertificate",
        "it holds no certificateDescription",
    );
    assert!(!r.stderr.contains("cert_not_registered"));
    // An error page without AWS's error code (a proxy's).
    let r = account(|_| {
        Answer::Raw(
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 9\r\nConnection: close\r\n\r\n<h1>x</h1"
            .to_vec(),
    )
    });
    unreadable(&r, "iot:DescribeCertificate", "HTTP 502");
}

#[test]
fn a_registered_certificate_still_reads_through_the_guard() {
    // The guard passes what the API really sends: a full answer, pages that end.
    let r = account(registered(|request| {
        let path = request.path.as_str();
        if path.starts_with("/principals/things") && path.contains("nextToken=p2") {
            Answer::ok(r#"{"things":["TestThing-ec"]}"#)
        } else if path.starts_with("/principals/things") {
            Answer::ok(r#"{"things":["Other"],"nextToken":"p2"}"#)
        } else if path.starts_with("/things/") {
            Answer::ok(r#"{"thingName":"TestThing-ec","attributes":{"a":"b"}}"#)
        } else if path.starts_with("/attached-policies/") {
            Answer::ok(r#"{"policies":[{"policyName":"P"}]}"#)
        } else if path.starts_with("/policies/") {
            connect_policy(None)
        } else {
            Answer::Json(404, r#"{"message":"no"}"#.into())
        }
    }));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j: Value = r.json();
    let things: Vec<&str> = j["things"]
        .as_array()
        .expect("things")
        .iter()
        .filter_map(|t| t["name"].as_str().or(t.as_str()))
        .collect();
    assert_eq!(things, ["Other", "TestThing-ec"], "{j}");
}

#[test]
fn the_doctors_account_stage_survives_deep_nesting() {
    // 20,000 levels sufficed inside doctor.
    let port = fake_iot::start(|_| Answer::ok(nested(100_000)));
    let r = against(port, &mut doctor_cmd(&[CLOSED_PORT], &["--timeout", "60"]));
    assert!(r.code == 1 || r.code == 3, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let account = j["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|s| s["id"] == "account")
        .expect("the account stage")
        .clone();
    // AWS was asked; its answer could not be read.
    let reason = account["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("AWS was asked, but gave no answer to judge: ")
            && reason.contains("the answer from iot:DescribeCertificate could not be read")
            && reason.contains("nests deeper than 64 levels"),
        "{account}"
    );
}

#[test]
fn long_text_from_the_api_is_clipped_in_every_output() {
    // A statement id, a thing name and an attribute of 500 KB each.
    let long = |c: &str| c.repeat(500_000);
    let answer = registered(move |request: &Request| {
        let path = request.path.as_str();
        if path.starts_with("/principals/things") {
            Answer::ok(serde_json::json!({"things": ["TestThing-ec", long("t")]}).to_string())
        } else if path.starts_with("/things/") {
            Answer::ok(
                serde_json::json!({"thingName": "TestThing-ec", "attributes": {"a": long("v")}})
                    .to_string(),
            )
        } else if path.starts_with("/attached-policies/") {
            Answer::ok(r#"{"policies": [{"policyName": "P"}]}"#)
        } else if path.starts_with("/policies/") {
            connect_policy(Some(long("s")))
        } else {
            Answer::Json(404, r#"{"message":"no"}"#.into())
        }
    });
    let port = fake_iot::start(answer);
    for format in [&["--json"][..], &["--color", "never"][..]] {
        let r = against(
            port,
            iotcheck()
                .args(["account", "--cert", &fixture(DEVICE), "--timeout", "60"])
                .args(format),
        );
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        // 2 MB arrived; a few clipped texts of 4 KB each go out, each marked.
        assert!(
            r.stdout.len() < 100_000,
            "{format:?}: {} bytes",
            r.stdout.len()
        );
        assert!(
            r.stdout.contains("[clipped: 500000 bytes in all]"),
            "{format:?}: {}",
            &r.stdout[..r.stdout.len().min(2000)]
        );
    }
}

#[test]
fn a_value_no_aws_answer_holds_is_not_sent_back() {
    // The SDK panicked building the next request ("valid request: InvalidUri(TooLong)").
    let r = account(registered(|request| {
        if request.path.starts_with("/principals/things") {
            Answer::ok(r#"{"things": []}"#)
        } else {
            Answer::ok(
                serde_json::json!({"policies": [{"policyName": "p".repeat(500_000)}]}).to_string(),
            )
        }
    }));
    unreadable(
        &r,
        "iot:ListAttachedPolicies",
        "gives a policyName of 500000 bytes that no AWS answer holds",
    );
    let r = account(|_| {
        Answer::ok(certificate_description("c0ffee").replace(
            "\"certificateId\"",
            "\"caCertificateId\":\"../x\",\"certificateId\"",
        ))
    });
    unreadable(
        &r,
        "iot:DescribeCertificate",
        "gives a caCertificateId of 4 bytes",
    );
}
