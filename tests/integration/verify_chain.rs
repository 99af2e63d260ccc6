//! Integration tests: `iotcheck verify-chain`.

#[allow(unused_imports)]
use crate::common::*;

/// Runs verify-chain with the test roots at the fixture instant, as JSON.
fn verify_test_chain(files: &[&str], extra: &[&str]) -> Run {
    let ca = fixture("roots/test-roots.pem");
    let mut args = vec!["verify-chain", "--json", "--ca", &ca];
    if !extra.contains(&"--at") {
        args.extend(["--at", AT]);
    }
    args.extend_from_slice(extra);
    let paths: Vec<String> = files.iter().map(|f| fixture(f)).collect();
    args.extend(paths.iter().map(String::as_str));
    run(&args)
}

#[test]
fn real_aws_chain_verifies_against_embedded_roots() {
    let leaf = fixture("aws/eu-central-1-chain.pem");
    let r = run(&[
        "verify-chain",
        "--json",
        "--at",
        AWS_AT,
        "--host",
        "abc123-ats.iot.eu-central-1.amazonaws.com",
        &leaf,
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["schema_version"], 2);
    assert_eq!(j["verdict"], "ok");
    assert_eq!(j["path"], serde_json::json!([0, 1]));
    assert_eq!(j["anchor"]["subject_cn"], "Amazon Root CA 1");
    assert_eq!(
        j["anchor"]["sha256"],
        "8ecde6884f3d87b1125ba31ac3fcb13d7016de7f57cc904fe1cb97c6ae98196e"
    );
    assert_eq!(j["name_checked"], true);
    assert_eq!(
        j["chain"][0]["subject_cn"],
        "*.iot.eu-central-1.amazonaws.com"
    );
    assert_eq!(j["chain"][1]["subject_cn"], "Amazon RSA 2048 M04");
    assert!(problems(&j).is_empty());
}

#[test]
fn real_aws_chain_after_its_expiry_is_expired() {
    let leaf = fixture("aws/eu-central-1-chain.pem");
    let r = run(&["verify-chain", "--json", "--at", "2026-09-01", &leaf]);
    assert_eq!(r.code, 1);
    assert_eq!(problems(&r.json())[0], ("expired".to_string(), Some(0)));
}

/// `--warn-days` moves the expires_soon window for every certificate of the chain: the leaf
/// has 154 days left at AWS_AT and the intermediate 1636.
#[test]
fn warn_days_sets_the_expiry_window_for_every_certificate() {
    let leaf = fixture("aws/eu-central-1-chain.pem");
    let soon = |days: &str| -> Vec<Option<u64>> {
        let r = run(&[
            "verify-chain",
            "--json",
            "--at",
            AWS_AT,
            "--warn-days",
            days,
            &leaf,
        ]);
        assert_eq!(
            r.code, 0,
            "a warning does not fail: {}{}",
            r.stdout, r.stderr
        );
        all_findings(&r.json())
            .iter()
            .filter(|f| f["code"] == "expires_soon")
            .map(|f| f["subject"]["certificate"].as_u64())
            .collect()
    };
    assert_eq!(soon("30"), Vec::<Option<u64>>::new());
    assert_eq!(soon("154"), Vec::<Option<u64>>::new());
    assert_eq!(soon("155"), vec![Some(0)]);
    assert_eq!(soon("2000"), vec![Some(0), Some(1)]);
    let bad = run(&["verify-chain", "--warn-days", "-1", &leaf]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn good_rsa_and_ecdsa_chains_are_valid() {
    for chain in ["server/rsa-chain.pem", "server/ec-chain.pem"] {
        let r = verify_test_chain(&[chain], &["--host", "dev-ats.iot.eu-west-1.amazonaws.com"]);
        assert_eq!(r.code, 0, "{chain}: {}", r.stdout);
        let j = r.json();
        assert_eq!(j["verdict"], "ok");
        assert_eq!(j["path"], serde_json::json!([0, 1]));
        assert!(
            codes(&j, "warnings").is_empty(),
            "{chain}: {:?}",
            codes(&j, "warnings")
        );
    }
}

#[test]
fn each_failure_fixture_yields_its_code_and_certificate() {
    let cases: &[(&str, &str, Option<u64>)] = &[
        ("expired", "expired", Some(0)),
        ("not_yet_valid", "not_yet_valid", Some(0)),
        ("unknown_issuer", "unknown_issuer", Some(1)),
        ("bad_signature", "bad_signature", Some(0)),
        ("not_a_ca", "not_a_ca", Some(1)),
        ("path_len_exceeded", "path_len_exceeded", Some(2)),
        (
            "name_constraint_violation",
            "name_constraint_violation",
            Some(0),
        ),
        ("required_eku_not_found", "required_eku_not_found", Some(0)),
        (
            "unsupported_signature_algorithm",
            "unsupported_signature_algorithm",
            Some(0),
        ),
        ("weak_key", "weak_key", Some(0)),
        (
            "unsupported_critical_extension",
            "unsupported_critical_extension",
            Some(0),
        ),
        ("malformed", "malformed", Some(0)),
        ("name_mismatch", "name_mismatch", Some(0)),
        ("missing_intermediate", "unknown_issuer", Some(0)),
    ];
    for (file, code, index) in cases {
        let r = verify_test_chain(
            &[&format!("fail/{file}.pem")],
            &["--host", "dev-ats.iot.eu-west-1.amazonaws.com"],
        );
        assert_eq!(r.code, 1, "{file}: exit code; {}", r.stdout);
        let j = r.json();
        assert_eq!(j["verdict"], "fail", "{file}");
        let found = problems(&j);
        assert_eq!(
            found[0],
            (code.to_string(), *index),
            "{file}: lead problem; all: {found:?}"
        );
        assert_eq!(
            found.len(),
            1,
            "{file}: exactly one problem; all: {found:?}"
        );
    }
}

#[test]
fn missing_intermediate_is_hinted() {
    let r = verify_test_chain(&["fail/missing_intermediate.pem"], &[]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(codes(&j, "hints"), ["missing_intermediate"]);
    assert!(first(&j, "hints")["message"]
        .as_str()
        .unwrap()
        .contains("iotcheck Test RSA 2048 M01"));
}

#[test]
fn bundle_split_over_files_and_der_input_verify() {
    let r = verify_test_chain(&["server/rsa-leaf.der", "server/rsa-int.pem"], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = verify_test_chain(&["server/rsa-chain-crlf.pem"], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn reversed_bundle_finds_the_leaf_and_warns() {
    let r = verify_test_chain(&["server/rsa-chain-reversed.pem"], &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["leaf"], 1);
    assert_eq!(j["path"], serde_json::json!([1, 0]));
    assert!(codes(&j, "warnings").contains(&"wrong_order".to_string()));
}

#[test]
fn served_root_duplicates_and_unused_certificates_are_reported() {
    let r = verify_test_chain(
        &[
            "server/rsa-fullchain.pem",
            "server/rsa-int.pem",
            "server/ec-int.pem",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let j = r.json();
    let warnings = codes(&j, "warnings");
    for code in [
        "root_included",
        "duplicate_certificate",
        "unused_certificate",
    ] {
        assert!(
            warnings.contains(&code.to_string()),
            "{code} in {warnings:?}"
        );
    }
    assert_eq!(j["unused"], serde_json::json!([3]));
}

#[test]
fn ca_file_replaces_the_defaults_and_an_intermediate_can_anchor() {
    // Only the intermediate is trusted: the path ends at it, and the report says so.
    let int = fixture("server/rsa-int.pem");
    let leaf = fixture("server/rsa-leaf.pem");
    let r = run(&["verify-chain", "--json", "--at", AT, "--ca", &int, &leaf]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let j = r.json();
    assert_eq!(j["anchor"]["self_signed"], false);
    assert!(codes(&j, "warnings").contains(&"intermediate_anchor".to_string()));
    // The embedded Amazon roots do not trust the test chain.
    let chain = fixture("server/rsa-chain.pem");
    let r = run(&["verify-chain", "--json", "--at", AT, &chain]);
    assert_eq!(r.code, 1);
    assert_eq!(problems(&r.json())[0].0, "unknown_issuer");
}

#[test]
fn wrong_amazon_root_in_ca_file_is_named() {
    let chain = fixture("aws/eu-central-1-chain.pem");
    let ca3 = fixture("aws/AmazonRootCA3.pem");
    let r = run(&[
        "verify-chain",
        "--json",
        "--at",
        AWS_AT,
        "--ca",
        &ca3,
        &chain,
    ]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(codes(&j, "hints"), ["missing_root"]);
    let hint = first(&j, "hints");
    let msg = hint["message"].as_str().unwrap();
    assert!(
        msg.contains("Amazon Root CA 1") && msg.contains("add AmazonRootCA1.pem"),
        "{msg}"
    );
    assert!(msg.contains("only Amazon Root CA 3"), "{msg}");
}

#[test]
fn legacy_verisign_root_in_ca_file_is_recognised() {
    let chain = fixture("aws/eu-central-1-chain.pem");
    let verisign = fixture("aws/VeriSign_Class3_G5.pem");
    let r = run(&[
        "verify-chain",
        "--json",
        "--at",
        AWS_AT,
        "--ca",
        &verisign,
        &chain,
    ]);
    assert_eq!(r.code, 1);
    let hints = codes(&r.json(), "hints");
    assert!(hints.contains(&"legacy_root".to_string()), "{hints:?}");
}

#[test]
fn unset_device_clock_is_hinted() {
    let r = verify_test_chain(&["server/rsa-chain.pem"], &["--at", "@0"]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(problems(&j)[0].0, "not_yet_valid");
    assert!(codes(&j, "hints").contains(&"clock_unset".to_string()));
}

#[test]
fn at_accepts_three_forms() {
    for at in ["2026-06-01T00:00:00Z", "2026-06-01", "@1780272000"] {
        let r = verify_test_chain(&["server/rsa-chain.pem"], &["--at", at]);
        assert_eq!(r.code, 0, "{at}");
        assert_eq!(r.json()["verified_at"], "2026-06-01T00:00:00Z");
    }
    let r = verify_test_chain(&["server/rsa-chain.pem"], &["--at", "soon"]);
    assert_eq!(r.code, 2);
}

#[test]
fn name_check_covers_wildcards_and_ips_and_says_when_skipped() {
    let ok = verify_test_chain(&["server/rsa-chain.pem"], &["--host", "localhost"]);
    assert_eq!(ok.code, 0);
    let deep = verify_test_chain(
        &["server/rsa-chain.pem"],
        &["--host", "a.b.iot.eu-west-1.amazonaws.com"],
    );
    assert_eq!(problems(&deep.json())[0].0, "name_mismatch");
    let ip = verify_test_chain(&["server/rsa-chain.pem"], &["--host", "127.0.0.1"]);
    let j = ip.json();
    assert_eq!(problems(&j)[0].0, "name_mismatch");
    assert!(codes(&j, "warnings").contains(&"ip_literal".to_string()));
    let none = verify_test_chain(&["server/rsa-chain.pem"], &[]);
    assert_eq!(none.json()["name_checked"], false);
    assert!(codes(&none.json(), "warnings").contains(&"name_not_checked".to_string()));
}

#[test]
fn stdin_is_read_with_dash() {
    use std::io::Write;
    use std::process::Stdio;
    let pem = std::fs::read(fixture("server/rsa-chain.pem")).unwrap();
    let ca = fixture("roots/test-roots.pem");
    let mut child = iotcheck()
        .args(["verify-chain", "--json", "--at", AT, "--ca", &ca, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&pem).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn bad_inputs_exit_2_with_one_line_naming_the_file() {
    let cases = [
        ("bad/empty.pem", "is empty:"),
        ("bad/random.bin", "neither PEM nor DER"),
        ("bad/broken-base64.pem", "not base64 (line 2)"),
        ("bad/truncated.der", "truncated DER"),
        ("bad/trailing.der", "5 trailing bytes"),
        ("bad/text.txt", "no PEM block"),
        ("device/ec.key", "holds a private key"),
        ("device/ec.csr", "certificate signing request"),
        ("device/ec-pub.pem", "public key"),
        ("no/such/file.pem", "no such file"),
        ("device", "is a directory"),
    ];
    for (file, words) in cases {
        for json in [false, true] {
            let path = fixture(file);
            let mut args = vec!["verify-chain"];
            if json {
                args.push("--json");
            }
            args.push(&path);
            let r = run(&args);
            assert_eq!(r.code, 2, "{file}");
            assert!(r.stdout.is_empty(), "{file}: nothing on stdout");
            assert_eq!(
                r.stderr.lines().count(),
                1,
                "{file}: one line: {}",
                r.stderr
            );
            assert!(
                r.stderr.contains(&path),
                "{file}: names the file: {}",
                r.stderr
            );
            assert!(
                r.stderr.contains(words),
                "{file}: says {words:?}: {}",
                r.stderr
            );
            assert!(!r.stderr.contains("panicked"));
        }
    }
}

#[test]
fn human_output_is_plain_when_piped_and_colored_on_request() {
    let chain = fixture("fail/expired.pem");
    let ca = fixture("roots/test-roots.pem");
    let plain = run(&["verify-chain", "--at", AT, "--ca", &ca, &chain]);
    assert_eq!(plain.code, 1);
    assert!(!plain.stdout.contains('\x1b'));
    assert!(plain.stdout.starts_with("INVALID"));
    let colored = run(&[
        "verify-chain",
        "--color",
        "always",
        "--at",
        AT,
        "--ca",
        &ca,
        &chain,
    ]);
    assert!(colored.stdout.contains("\x1b[31m") || colored.stdout.contains("\x1b[1;31m"));
    let no_color = run_cmd(iotcheck().env("NO_COLOR", "1").args([
        "verify-chain",
        "--at",
        AT,
        "--ca",
        &ca,
        &chain,
    ]));
    assert!(!no_color.stdout.contains('\x1b'));
    let json = run(&[
        "verify-chain",
        "--json",
        "--color",
        "always",
        "--at",
        AT,
        "--ca",
        &ca,
        &chain,
    ]);
    assert!(!json.stdout.contains('\x1b'), "JSON never has escapes");
}

#[test]
fn stdin_twice_and_hostile_file_names_are_refused_on_one_line() {
    let r = run(&["verify-chain", "-", "-"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("one input only"), "{}", r.stderr);
    let r = run(&["verify-chain", "x\u{1b}[31mred\nline2.pem"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!r.stderr.contains('\u{1b}'), "{}", r.stderr);
}

#[test]
fn a_loop_of_certificates_is_named_as_a_loop() {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
        KeyUsagePurpose,
    };
    // Two CAs that issued each other, made on the fly with rcgen's fixed validity
    // (1975-4096), so that the verification instant can be pinned.
    let ca = |cn: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, cn);
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        params
    };
    let key_a = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let key_b = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    // B certified by A, then A certified again by B: A → B → A.
    let b = ca("LoopB")
        .signed_by(&key_b, &Issuer::new(ca("LoopA"), &key_a))
        .unwrap();
    let a = ca("LoopA")
        .signed_by(&key_a, &Issuer::new(ca("LoopB"), &key_b))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("loop.pem").to_string_lossy().into_owned();
    std::fs::write(&bundle, a.pem() + &b.pem()).unwrap();
    let r = run(&["verify-chain", "--json", "--at", AT, &bundle]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j = r.json();
    let unknown = all_findings(&j)
        .into_iter()
        .find(|p| p["code"] == "unknown_issuer")
        .expect("unknown_issuer");
    let msg = unknown["message"].as_str().unwrap();
    assert!(msg.contains("loop"), "{msg}");
}
