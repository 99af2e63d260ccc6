//! Snapshot tests of the human and JSON output: the exact text a user sees, reviewed with
//! `cargo insta review` when it changes on purpose.

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
    // Generated fixtures carry random keys and serials: snapshot the findings only.
    let findings: String = r
        .stdout
        .lines()
        .filter(|l| l.starts_with(['✗', '!', '→']) || l.starts_with("INVALID"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(findings);
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
