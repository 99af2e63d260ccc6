//! Snapshot tests of the human and JSON output of every command: the exact text a user sees,
//! reviewed with `cargo insta review` when it changes on purpose. Verification times are pinned
//! with `--at`; what still varies from run to run (ports, timings, fresh keys, temporary paths,
//! the current date in `inspect`) is replaced by a `[NAME]` placeholder before the comparison.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::*;

/// Runs from the repository root with relative paths, so origins in the output are stable.
fn run_here(args: &[&str]) -> Run {
    run_cmd(
        iotcheck()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args),
    )
}

#[test]
fn human_valid_real_aws_chain() {
    let r = run_here(&[
        "verify-chain",
        "--at",
        AWS_AT,
        "--host",
        "abc123-ats.iot.eu-central-1.amazonaws.com",
        "fixtures/aws/eu-central-1-chain.pem",
    ]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn human_missing_intermediate_with_wrong_root() {
    let r = run_here(&[
        "verify-chain",
        "--at",
        AWS_AT,
        "--ca",
        "fixtures/aws/AmazonRootCA3.pem",
        "fixtures/aws/iot.eu-central-1_leaf.pem",
    ]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn human_path_len_exceeded() {
    let r = run_here(&[
        "verify-chain",
        "--at",
        AT,
        "--ca",
        "fixtures/roots/test-roots.pem",
        "fixtures/fail/path_len_exceeded.pem",
    ]);
    assert_eq!(r.code, 1);
    // The generated fixtures come from fixed keys, serials and dates: the whole report is stable.
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn json_valid_real_aws_chain() {
    let r = run_here(&[
        "verify-chain",
        "--json",
        "--at",
        AWS_AT,
        "fixtures/aws/eu-central-1-chain.pem",
    ]);
    assert_eq!(r.code, 0);
    let pretty = serde_json::to_string_pretty(&r.json()).unwrap();
    insta::assert_snapshot!(pretty);
}

#[test]
fn json_expired_real_aws_chain() {
    let r = run_here(&[
        "verify-chain",
        "--json",
        "--at",
        "2026-09-01",
        "fixtures/aws/eu-central-1-chain.pem",
    ]);
    assert_eq!(r.code, 1);
    let pretty = serde_json::to_string_pretty(&r.json()).unwrap();
    insta::assert_snapshot!(pretty);
}

/// `--brief`: the verdict line and the findings, no certificate detail.
#[test]
fn brief_verify_chain_missing_intermediate_with_wrong_root() {
    let r = run_here(&[
        "verify-chain",
        "--brief",
        "--at",
        AWS_AT,
        "--ca",
        "fixtures/aws/AmazonRootCA3.pem",
        "fixtures/aws/iot.eu-central-1_leaf.pem",
    ]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stdout);
}

// ---------------------------------------------------------------------------------------------
// device

/// Copies a device certificate and key into a fresh directory under the names a device uses,
/// the key with `key_mode`, so that the report names the files the same way on every run.
fn device_files(cert: &str, key: &str, key_mode: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(fixture(cert), dir.path().join("certificate.pem.crt")).expect("copy cert");
    let key_path = dir.path().join("private.pem.key");
    std::fs::copy(fixture(key), &key_path).expect("copy key");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(key_mode)).expect("chmod");
    dir
}

/// `iotcheck device --cert certificate.pem.crt --key private.pem.key --at AT` in `dir`.
fn run_device(dir: &Path, extra: &[&str]) -> Run {
    run_cmd(
        iotcheck()
            .current_dir(dir)
            .args([
                "device",
                "--cert",
                "certificate.pem.crt",
                "--key",
                "private.pem.key",
                "--at",
                AT,
            ])
            .args(extra),
    )
}

#[test]
fn human_device_passing_pair() {
    let dir = device_files("device/ec.pem", "device/ec.key", 0o600);
    std::fs::copy(
        fixture("device/device-ca.pem"),
        dir.path().join("device-ca.pem"),
    )
    .expect("copy CA");
    let r = run_device(
        dir.path(),
        &[
            "--ca",
            "device-ca.pem",
            "--thing",
            "TestThing-ec",
            "--color",
            "never",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn human_device_mismatched_pair_with_open_key() {
    let dir = device_files("device/rsa.pem", "device/ec.key", 0o644);
    let r = run_device(
        dir.path(),
        &["--thing", "TestThing-rsa", "--color", "never"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!(r.stdout);
}

/// The same report in colour: the escape codes are part of the contract with a terminal.
/// ESC is shown as `␛` so that the snapshot can be read.
#[test]
fn human_device_mismatched_pair_in_colour() {
    let dir = device_files("device/rsa.pem", "device/ec.key", 0o644);
    let r = run_device(
        dir.path(),
        &["--thing", "TestThing-rsa", "--color", "always"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains('\u{1b}'),
        "no escape codes:\n{}",
        r.stdout
    );
    insta::assert_snapshot!(r.stdout.replace('\u{1b}', "␛"));
}

#[test]
fn brief_device_mismatched_pair_with_open_key() {
    let dir = device_files("device/rsa.pem", "device/ec.key", 0o644);
    let r = run_device(dir.path(), &["--thing", "TestThing-rsa", "--brief"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn human_device_csr_in_place_of_the_certificate() {
    let dir = device_files("device/ec.csr", "device/ec.key", 0o600);
    let r = run_device(dir.path(), &["--color", "never"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn json_device_mismatched_pair() {
    let dir = device_files("device/rsa.pem", "device/ec.key", 0o644);
    let r = run_device(dir.path(), &["--thing", "TestThing-rsa", "--json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let pretty = serde_json::to_string_pretty(&r.json()).unwrap();
    insta::assert_snapshot!(pretty);
}

// ---------------------------------------------------------------------------------------------
// inspect

#[test]
fn human_inspect_bundle_key_and_csr() {
    let r = run_here(&[
        "inspect",
        "--color",
        "never",
        "fixtures/server/rsa-chain.pem",
        "fixtures/device/ec.key",
        "fixtures/device/ec.csr",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Key material is never printed: no line of the key's base64 body appears.
    let key = std::fs::read_to_string(fixture("device/ec.key")).unwrap();
    for line in key.lines().filter(|l| !l.starts_with("-----")) {
        assert!(
            !r.stdout.contains(line),
            "key material printed:\n{}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains("BEGIN PRIVATE KEY"));
    // inspect has no --at: the days left depend on today.
    insta::assert_snapshot!(redact_days_left(&r.stdout));
}

// ---------------------------------------------------------------------------------------------
// csr

#[test]
fn human_csr() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().to_str().expect("UTF-8 temp path");
    let r = run_cmd(iotcheck().current_dir(dir.path()).args([
        "csr", "--thing", "Sensor1", "--out", out, "--color", "never",
    ]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A fresh key every run, written under a fresh directory.
    insta::assert_snapshot!(redact_sha256(&r.stdout.replace(out, "[DIR]")));
}

// ---------------------------------------------------------------------------------------------
// endpoint, against a real openssl s_server

/// `iotcheck endpoint ENDPOINT:PORT --connect 127.0.0.1 --ca fixtures/roots/test-roots.pem
/// --at AT`, run from the repository root so that the trusted file is named the same way.
fn run_endpoint(port: u16, extra: &[&str]) -> Run {
    run_cmd(
        iotcheck()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "endpoint",
                &format!("{ENDPOINT}:{port}"),
                "--connect",
                "127.0.0.1",
                "--ca",
                "fixtures/roots/test-roots.pem",
                "--at",
                AT,
                "--timeout",
                "5",
            ])
            .args(extra),
    )
}

#[test]
fn human_endpoint_valid_chain() {
    let server = rsa_chain_server();
    let r = run_endpoint(server.port, &["--color", "never"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = r.stdout.replace(&format!(":{}", server.port), ":[PORT]");
    let text: String = text
        .lines()
        .map(|line| {
            let redacted = if line.starts_with("connected ") {
                Some("[ADDRESS]".to_string())
            } else if line.starts_with("timings ") {
                Some("[TIMINGS]".to_string())
            } else if line.starts_with("tls ") {
                // The suite and group follow the client's and the server's preferences, which
                // depend on the CPU (AES instructions) and the OpenSSL version: keep the version.
                let version = line.split_whitespace().nth(1).unwrap_or("");
                Some(format!("{version}  [CIPHER SUITE]  [GROUP]"))
            } else {
                None
            };
            match redacted {
                Some(value) => format!("{:<14}{value}\n", line.split_whitespace().next().unwrap()),
                None => format!("{line}\n"),
            }
        })
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn json_endpoint_valid_chain() {
    let server = rsa_chain_server();
    let r = run_endpoint(server.port, &["--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let mut json = r.json();
    for pointer in [
        "/endpoint/port",
        "/handshakes/0/tls/address",
        "/handshakes/0/tls/cipher_suite",
        "/handshakes/0/tls/key_exchange_group",
    ] {
        let value = json
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer} in {}", r.stdout));
        *value = serde_json::Value::String(format!("[{}]", pointer.rsplit('/').next().unwrap()));
    }
    // Each phase that ran took some time; which phases ran is part of the snapshot.
    let timings = json
        .pointer_mut("/handshakes/0/tls/timings_ms")
        .and_then(|t| t.as_object_mut())
        .unwrap_or_else(|| panic!("timings_ms in {}", r.stdout));
    for millis in timings.values_mut().filter(|v| v.is_number()) {
        *millis = serde_json::Value::String("[ms]".into());
    }
    let pretty = serde_json::to_string_pretty(&json).unwrap();
    assert!(
        !pretty.contains(&server.port.to_string()),
        "the port is left somewhere: {pretty}"
    );
    insta::assert_snapshot!(pretty);
}

/// The served chain trusted through the wrong root: the verdict and findings only.
#[test]
fn brief_endpoint_chain_not_trusted() {
    let server = rsa_chain_server();
    let r = run_cmd(iotcheck().current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "endpoint",
        &format!("{ENDPOINT}:{}", server.port),
        "--connect",
        "127.0.0.1",
        "--ca",
        "fixtures/aws/AmazonRootCA3.pem",
        "--at",
        AT,
        "--timeout",
        "5",
        "--brief",
    ]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!(r.stdout.replace(&format!(":{}", server.port), ":[PORT]"));
}

// ---------------------------------------------------------------------------------------------
// redactions

/// Replaces every run of exactly 64 hexadecimal digits (a SHA-256 fingerprint) by `[SHA256]`.
fn redact_sha256(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 64 { "[SHA256]" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// Replaces the N of every `(N days left)` by `[N]`.
fn redact_days_left(text: &str) -> String {
    text.lines()
        .map(|line| match line.find(" days left)") {
            Some(end) => {
                let start = line[..end].rfind('(').map_or(end, |i| i + 1);
                format!("{}[N]{}\n", &line[..start], &line[end..])
            }
            None => format!("{line}\n"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// doctor

/// `doctor --help`: the options, the stages in order, the examples and the exit codes.
#[test]
fn human_doctor_help() {
    let r = run_here(&["doctor", "--help"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
}
