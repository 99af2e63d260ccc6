//! The ways of showing a verdict beside the full report: `--quiet` (the exit code only) and
//! `--pem` (the certificates on stdout, the verdict on stderr, the exit code unchanged).

use crate::common::*;

/// The SHA-256 of each CERTIFICATE block in `text`, in order; every block must be one.
fn blocks(text: &str) -> Vec<String> {
    ::pem::parse_many(text)
        .expect("stdout is PEM")
        .iter()
        .map(|p| {
            assert_eq!(p.tag(), "CERTIFICATE");
            iotcheck::chain::sha256_hex(p.contents())
        })
        .collect()
}

fn file_blocks(rel: &str) -> Vec<String> {
    blocks(&std::fs::read_to_string(fixture(rel)).expect("fixture"))
}

const AMAZON_ROOT_CA_1: &str = "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e";

#[test]
fn quiet_prints_nothing_and_keeps_the_exit_code() {
    let chain = fixture("aws/eu-central-1-chain.pem");
    let ok = run(&["verify-chain", "-q", "--at", AWS_AT, &chain]);
    assert_eq!(
        (ok.code, ok.stdout.as_str(), ok.stderr.as_str()),
        (0, "", "")
    );
    let expired = run(&["verify-chain", "--quiet", "--at", "2026-09-01", &chain]);
    assert_eq!(
        (
            expired.code,
            expired.stdout.as_str(),
            expired.stderr.as_str()
        ),
        (1, "", "")
    );
    let device = run(&[
        "device",
        "-q",
        "--cert",
        &fixture("device/rsa.pem"),
        "--key",
        &fixture("device/ec.key"),
        "--at",
        AT,
    ]);
    assert_eq!((device.code, device.stdout.as_str()), (1, ""));
    // An error that stops the command still says why, in one line.
    let missing = run(&["verify-chain", "-q", "no-such-file.pem"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stdout.is_empty());
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
}

#[test]
fn output_options_that_contradict_are_usage_errors() {
    let chain = fixture("aws/eu-central-1-chain.pem");
    for args in [
        &["--json", "--brief"][..],
        &["--json", "--quiet"],
        &["--brief", "--quiet"],
        &["--pem", "--json"],
        &["--pem", "--quiet"],
        &["--path"],
    ] {
        let r = run(&[&["verify-chain"], args, &[chain.as_str()]].concat());
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
}

#[test]
fn verify_chain_pem_prints_the_certificates_as_given_and_the_verdict_on_stderr() {
    let r = run(&[
        "verify-chain",
        "--pem",
        "--at",
        AWS_AT,
        &fixture("aws/eu-central-1-chain.pem"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(blocks(&r.stdout), file_blocks("aws/eu-central-1-chain.pem"));
    assert!(r.stderr.starts_with("VALID  "), "{}", r.stderr);
}

#[test]
fn verify_chain_pem_path_ends_with_the_anchor() {
    let r = run(&[
        "verify-chain",
        "--pem",
        "--path",
        "--at",
        AWS_AT,
        &fixture("aws/eu-central-1-chain.pem"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut expected = file_blocks("aws/eu-central-1-chain.pem");
    expected.push(AMAZON_ROOT_CA_1.to_string());
    assert_eq!(blocks(&r.stdout), expected);

    // Without a verified path there is nothing to print, and stderr says so; the exit code
    // is the verdict's.
    let r = run(&[
        "verify-chain",
        "--pem",
        "--path",
        "--at",
        AWS_AT,
        &fixture("aws/iot.eu-central-1_leaf.pem"),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(r.stderr.starts_with("INVALID  "), "{}", r.stderr);
    assert!(r.stderr.contains("no path verified"), "{}", r.stderr);
}

#[test]
fn inspect_pem_prints_certificates_only_and_says_what_it_left_out() {
    let r = run(&[
        "inspect",
        "--pem",
        &fixture("server/rsa-chain.pem"),
        &fixture("device/ec.key"),
        &fixture("device/ec.csr"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(blocks(&r.stdout), file_blocks("server/rsa-chain.pem"));
    assert!(!r.stdout.contains("KEY"), "{}", r.stdout);
    assert!(r.stderr.contains("certificates only"), "{}", r.stderr);
    assert!(r.stderr.contains("a private key"), "{}", r.stderr);
    assert_eq!(run(&["inspect", "--pem", "--json", "x"]).code, 2);
}

/// `endpoint` against the test server, trusting the test roots, without --json.
fn endpoint(port: u16, extra: &[&str]) -> Run {
    run_cmd(&mut endpoint_targets_cmd(
        &[&format!("{ENDPOINT}:{port}")],
        extra,
    ))
}

#[test]
fn endpoint_pem_prints_the_served_chain_and_with_path_the_anchor() {
    let server = rsa_chain_server();
    let r = endpoint(server.port, &["--pem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(blocks(&r.stdout), file_blocks("server/rsa-chain.pem"));
    assert!(r.stderr.starts_with("VALID  "), "{}", r.stderr);

    let r = endpoint(server.port, &["--pem", "--path"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let printed = blocks(&r.stdout);
    assert_eq!(printed[..2], file_blocks("server/rsa-chain.pem")[..]);
    assert_eq!(printed.len(), 3, "leaf, intermediate, root");
    assert!(
        file_blocks("roots/test-roots.pem").contains(&printed[2]),
        "the last block is a trusted root"
    );

    let r = endpoint(server.port, &["--pem", "--sig", "both"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
