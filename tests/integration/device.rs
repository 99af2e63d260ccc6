//! Integration tests: `iotcheck device`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use crate::common::*;

/// A copy of a fixture in a fresh directory with `mode`: a checkout gives keys whatever mode
/// the umask allows, and permission findings must not depend on it.
fn copy_with_mode(rel: &str, mode: u32) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = Path::new(rel).file_name().expect("fixture has a file name");
    let path = dir.path().join(name);
    std::fs::copy(fixture(rel), &path).expect("copy fixture");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    (dir, path.to_string_lossy().into_owned())
}

/// `iotcheck device --json`, the key given as a 0600 copy, at the fixtures' instant unless
/// `extra` names another.
fn device(cert: &str, key: &str, extra: &[&str]) -> Run {
    let (_dir, key) = copy_with_mode(key, 0o600);
    let cert = fixture(cert);
    let mut args = vec!["device", "--cert", &cert, "--key", &key, "--json"];
    if !extra.contains(&"--at") {
        args.extend(["--at", AT]);
    }
    args.extend_from_slice(extra);
    run(&args)
}

fn device_ca() -> String {
    fixture("device/device-ca.pem")
}

/// (code, severity) of every finding, in report order.
fn findings(json: &serde_json::Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn finding_message<'a>(json: &'a serde_json::Value, code: &str) -> &'a str {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {json}"))["message"]
        .as_str()
        .unwrap()
}

/// Asserts exit 1 with exactly these error codes (warnings and notes aside).
fn assert_errors(run: &Run, expected: &[&str]) {
    let json = run.json();
    let errors: Vec<String> = findings(&json)
        .into_iter()
        .filter(|(_, s)| s == "error")
        .map(|(c, _)| c)
        .collect();
    assert_eq!(errors, expected, "{}", run.stdout);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(json["verdict"], "fail");
}

#[test]
fn matching_pairs_of_every_accepted_type_and_encoding_pass() {
    let ca = device_ca();
    for (cert, key, encoding, algorithm) in [
        ("device/rsa.pem", "device/rsa.key", "pkcs8", "RSA"),
        ("device/rsa.pem", "device/rsa-pkcs1.key", "pkcs1", "RSA"),
        ("device/ec.pem", "device/ec.key", "pkcs8", "EC"),
        ("device/ec.pem", "device/ec-sec1.key", "sec1", "EC"),
        ("device/ec384.pem", "device/ec384.key", "pkcs8", "EC"),
        ("device/ec521.pem", "device/ec521.key", "pkcs8", "EC"),
        ("device/rsa-chain.pem", "device/rsa.key", "pkcs8", "RSA"),
    ] {
        let r = device(cert, key, &["--ca", &ca]);
        assert_eq!(r.code, 0, "{cert} + {key}: {}", r.stdout);
        let json = r.json();
        assert_eq!(json["schema_version"], 2);
        assert_eq!(json["command"], "device");
        assert_eq!(json["verdict"], "ok");
        assert!(findings(&json).is_empty(), "{cert} + {key}: {}", r.stdout);
        let k = &json["key"];
        assert_eq!(k["encoding"], encoding, "{key}");
        assert_eq!(k["format"], "pem");
        assert_eq!(k["permissions"], "0600");
        assert_eq!(k["matches_certificate"], true);
        assert_eq!(k["public_key"]["algorithm"], algorithm);
        assert_eq!(
            k["public_key"]["sha256"],
            json["certificate"]["public_key"]["sha256"]
        );
        assert_eq!(json["device_ca"]["chains"], true);
        assert_eq!(json["certificate"]["role"], "leaf");
    }
}

#[test]
fn mismatched_pairs_name_both_keys() {
    let r = device("device/rsa.pem", "device/ec.key", &[]);
    assert_errors(&r, &["key_mismatch"]);
    let json = r.json();
    assert_eq!(json["key"]["matches_certificate"], false);
    let message = finding_message(&json, "key_mismatch");
    let cert_fp = json["certificate"]["public_key"]["sha256"]
        .as_str()
        .unwrap();
    let key_fp = json["key"]["public_key"]["sha256"].as_str().unwrap();
    assert_ne!(cert_fp, key_fp);
    assert!(
        message.contains(&format!("RSA 2048 sha256 {cert_fp}")),
        "{message}"
    );
    assert!(
        message.contains(&format!("EC P-256 sha256 {key_fp}")),
        "{message}"
    );

    // Same algorithm and curve, another key.
    let r = device("device/ec.pem", "device/ec-other.key", &[]);
    assert_errors(&r, &["key_mismatch"]);
    // Same algorithm, another curve.
    let r = device("device/ec.pem", "device/ec384.key", &[]);
    assert_errors(&r, &["key_mismatch"]);
    assert!(finding_message(&r.json(), "key_mismatch").contains("EC P-384"));
}

#[test]
fn wrong_kinds_of_file_are_named() {
    for (cert, key, code) in [
        ("device/ec.csr", "device/ec.key", "cert_file_holds_csr"),
        ("device/ec.key", "device/ec.key", "cert_file_holds_key"),
        (
            "device/ec-pub.pem",
            "device/ec.key",
            "cert_file_holds_public_key",
        ),
        (
            "device/ec.pem",
            "device/ec-pub.pem",
            "key_file_holds_public_key",
        ),
        (
            "device/ec.pem",
            "device/ec.pem",
            "key_file_holds_certificate",
        ),
        ("device/ec.pem", "device/ec.csr", "key_file_holds_csr"),
    ] {
        let r = device(cert, key, &[]);
        assert_errors(&r, &[code]);
    }
    let json = device("device/ec.csr", "device/ec.key", &[]).json();
    assert!(json["certificate"].is_null());
    assert!(finding_message(&json, "cert_file_holds_csr").contains("create-certificate-from-csr"));
    let json = device("device/ec.pem", "device/ec-pub.pem", &[]).json();
    assert!(json["key"]["public_key"].is_null());
    assert!(json["key"]["matches_certificate"].is_null());
}

#[test]
fn a_ca_certificate_in_place_of_the_device_certificate_is_named() {
    let r = device("device/device-ca.pem", "device/ec.key", &[]);
    let json = r.json();
    assert!(findings(&json).contains(&("cert_is_ca".to_string(), "error".to_string())));
    assert!(findings(&json).contains(&("key_mismatch".to_string(), "error".to_string())));
    assert_eq!(r.code, 1);
}

#[test]
fn encrypted_key_is_an_error_with_the_command_to_decrypt_it() {
    let r = device("device/ec.pem", "device/ec-encrypted.key", &[]);
    assert_errors(&r, &["key_encrypted"]);
    let json = r.json();
    assert_eq!(json["key"]["encoding"], "encrypted");
    assert!(json["key"]["matches_certificate"].is_null());
    assert!(finding_message(&json, "key_encrypted").contains("openssl pkey -in "));
}

#[test]
fn der_files_are_errors_but_still_checked() {
    let r = device("device/ec.pem", "device/ec.key.der", &[]);
    assert_errors(&r, &["der_not_pem"]);
    let json = r.json();
    assert_eq!(json["key"]["format"], "der");
    assert_eq!(json["key"]["matches_certificate"], true);
    assert!(finding_message(&json, "der_not_pem").contains("openssl pkey -inform DER"));

    let r = device("device/ec.der", "device/ec.key", &[]);
    assert_errors(&r, &["der_not_pem"]);
    let json = r.json();
    assert_eq!(json["key"]["matches_certificate"], true);
    assert!(finding_message(&json, "der_not_pem").contains("openssl x509 -inform DER"));
}

#[test]
fn several_keys_in_one_file_says_which_one_matches() {
    let r = device("device/ec.pem", "device/two-keys.key", &[]);
    assert_errors(&r, &["several_keys"]);
    let json = r.json();
    assert!(finding_message(&json, "several_keys").contains("block 1 matches"));
    assert_eq!(json["key"]["matches_certificate"], true);

    // The matching key is found in the second block too.
    let r = device("device/rsa.pem", "device/two-keys.key", &[]);
    assert_errors(&r, &["several_keys"]);
    assert!(finding_message(&r.json(), "several_keys").contains("block 2 matches"));
}

#[test]
fn loose_key_permissions_warn_with_the_chmod_to_run() {
    let cert = fixture("device/ec.pem");
    let (_dir, key) = copy_with_mode("device/ec.key", 0o644);
    let r = run(&[
        "device", "--cert", &cert, "--key", &key, "--at", AT, "--json",
    ]);
    assert_eq!(r.code, 0, "a warning does not fail the check: {}", r.stdout);
    let json = r.json();
    assert_eq!(json["verdict"], "ok");
    assert_eq!(json["key"]["permissions"], "0644");
    assert!(findings(&json).contains(&("key_permissions".to_string(), "warning".to_string())));
    let message = finding_message(&json, "key_permissions");
    assert!(message.contains(&format!("chmod 600 {key}")), "{message}");
    assert!(message.contains("0644"), "{message}");

    let r = run(&["device", "--cert", &cert, "--key", &key, "--at", AT]);
    assert!(
        r.stdout.contains(&format!("chmod 600 {key}")),
        "{}",
        r.stdout
    );

    for mode in [0o600, 0o400] {
        let (_dir, key) = copy_with_mode("device/ec.key", mode);
        let r = run(&[
            "device", "--cert", &cert, "--key", &key, "--at", AT, "--json",
        ]);
        let json = r.json();
        assert_eq!(json["key"]["permissions"], format!("{mode:04o}"));
        assert!(!findings(&json).iter().any(|(c, _)| c == "key_permissions"));
    }
}

#[test]
fn a_key_from_standard_input_has_unknown_permissions() {
    let key = std::fs::File::open(fixture("device/ec.key")).expect("key fixture");
    let r = run_cmd(
        iotcheck()
            .args(["device", "--cert", &fixture("device/ec.pem"), "--key", "-"])
            .args(["--at", AT, "--json"])
            .stdin(Stdio::from(key)),
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let json = r.json();
    assert!(json["key"]["permissions"].is_null());
    assert_eq!(json["key"]["file"], "<stdin>");
    assert!(findings(&json).contains(&("key_permissions_unknown".to_string(), "info".to_string())));
}

#[test]
fn validity_is_checked_at_the_given_instant() {
    let r = device("device/expired.pem", "device/expired.key", &[]);
    assert_errors(&r, &["expired"]);
    let json = r.json();
    assert!(json["certificate"]["days_left"].as_i64().unwrap() < 0);
    assert!(finding_message(&json, "expired").contains("2021-01-01T00:00:00Z"));

    let r = device(
        "device/ec.pem",
        "device/ec.key",
        &["--at", "2034-12-20T00:00:00Z"],
    );
    assert_eq!(r.code, 0);
    let json = r.json();
    assert_eq!(
        findings(&json)[0],
        ("expires_soon".to_string(), "warning".to_string())
    );
    assert!(finding_message(&json, "expires_soon").contains("12 days left"));

    let r = device("device/ec.pem", "device/ec.key", &["--at", "2024-06-01"]);
    assert_errors(&r, &["not_yet_valid"]);

    let r = device("device/ec.pem", "device/ec.key", &["--at", "@0"]);
    assert_errors(&r, &["not_yet_valid"]);
    assert!(finding_message(&r.json(), "not_yet_valid").contains("clock looks unset"));
}

#[test]
fn the_device_ca_is_checked_when_given() {
    let other = fixture("device/other-device-ca.pem");
    let r = device("device/ec.pem", "device/ec.key", &["--ca", &other]);
    assert_errors(&r, &["device_ca_mismatch"]);
    let json = r.json();
    assert_eq!(json["device_ca"]["chains"], false);
    let message = finding_message(&json, "device_ca_mismatch");
    assert!(message.contains("\"iotcheck Test Device CA\""), "{message}");
    assert!(
        message.contains("\"iotcheck Other Device CA\""),
        "{message}"
    );

    let r = device(
        "device/untrusted.pem",
        "device/untrusted.key",
        &["--ca", &other],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = device(
        "device/untrusted.pem",
        "device/untrusted.key",
        &["--ca", &device_ca()],
    );
    assert_errors(&r, &["device_ca_mismatch"]);

    // Both CAs in one run, as two files: the right one is among them.
    let r = device(
        "device/ec.pem",
        "device/ec.key",
        &["--ca", &other, "--ca", &device_ca()],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);

    // Without --ca the chain is not judged, and the report says so.
    let json = device("device/ec.pem", "device/ec.key", &[]).json();
    assert!(json["device_ca"].is_null());
    assert_eq!(
        findings(&json),
        [("device_ca_not_checked".to_string(), "info".to_string())]
    );
}

#[test]
fn faults_of_the_leaf_itself_are_not_blamed_on_the_ca() {
    let ca = device_ca();
    let r = device("device/expired.pem", "device/expired.key", &["--ca", &ca]);
    assert_errors(&r, &["expired"]);
    assert_eq!(r.json()["device_ca"]["chains"], true);

    let r = device(
        "device/server-eku.pem",
        "device/server-eku.key",
        &["--ca", &ca],
    );
    assert_errors(&r, &["client_auth_not_allowed"]);
    assert_eq!(r.json()["device_ca"]["chains"], true);
    assert!(finding_message(&r.json(), "client_auth_not_allowed").contains("serverAuth"));
}

#[test]
fn the_thing_name_is_compared_with_the_cn() {
    let r = device("device/ec.pem", "device/ec.key", &["--thing", "Sensor1"]);
    assert_errors(&r, &["thing_mismatch"]);
    let message = finding_message(&r.json(), "thing_mismatch").to_string();
    assert!(
        message.contains("\"TestThing-ec\"") && message.contains("\"Sensor1\""),
        "{message}"
    );

    let r = device(
        "device/ec.pem",
        "device/ec.key",
        &["--thing", "TestThing-ec"],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn key_types_aws_iot_refuses_are_errors() {
    // rustls refuses to load RSA keys under 2048 bits: the certificate still tells.
    let r = device("device/rsa1024.pem", "device/rsa1024.key", &[]);
    assert_errors(&r, &["weak_key"]);
    let json = r.json();
    assert!(finding_message(&json, "weak_key").contains("RSA 1024"));
    assert!(findings(&json).contains(&("key_not_matched".to_string(), "info".to_string())));
    assert!(json["key"]["matches_certificate"].is_null());

    let r = device("device/ed25519.pem", "device/ed25519.key", &[]);
    assert_errors(&r, &["unsupported_key_type"]);
    assert_eq!(r.json()["key"]["matches_certificate"], true);
}

#[test]
fn a_certificate_the_engine_cannot_read_is_malformed() {
    // An X.509 v1 certificate (no extensions), signed by a test CA that is not a device CA.
    let r = device("fail/malformed-leaf.pem", "fail/malformed.key", &[]);
    assert_errors(&r, &["malformed"]);
    let json = r.json();
    assert!(finding_message(&json, "malformed").contains("X.509 v1"));
    assert_eq!(json["key"]["matches_certificate"], true);
}

#[test]
fn pem_hygiene_is_warned_about() {
    for (cert, code) in [
        ("device/ec-crlf.pem", "pem_crlf"),
        ("device/ec-bom.pem", "pem_bom"),
        ("device/ec-trailing.pem", "pem_trailing_text"),
    ] {
        let r = device(cert, "device/ec.key", &["--ca", &device_ca()]);
        assert_eq!(r.code, 0, "{cert}: {}", r.stdout);
        assert_eq!(
            findings(&r.json()),
            [(code.to_string(), "warning".to_string())],
            "{cert}"
        );
        assert!(finding_message(&r.json(), code).contains(&fixture(cert)));
    }
}

#[test]
fn findings_are_sorted_by_severity() {
    let (_dir, key) = copy_with_mode("device/ec.key", 0o644);
    let cert = fixture("device/ec-crlf.pem");
    let r = run(&[
        "device", "--cert", &cert, "--key", &key, "--at", AT, "--json", "--thing", "x",
    ]);
    let severities: Vec<String> = findings(&r.json()).into_iter().map(|(_, s)| s).collect();
    assert_eq!(severities, ["error", "warning", "warning", "info"]);
}

#[test]
fn human_output_has_a_verdict_fields_and_findings() {
    let (_dir, key) = copy_with_mode("device/ec-other.key", 0o600);
    let cert = fixture("device/ec.pem");
    let r = run(&["device", "--cert", &cert, "--key", &key, "--at", AT]);
    assert_eq!(r.code, 1);
    let first = r.stdout.lines().next().unwrap();
    assert!(first.starts_with("ERRORS  TestThing-ec"), "{first}");
    assert!(first.contains("lead: key_mismatch"), "{first}");
    assert!(r.stdout.contains("\n✗ key_mismatch "), "{}", r.stdout);
    assert!(
        r.stdout.contains("NOT the certificate's key"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains('\x1b'),
        "no color when stdout is not a terminal"
    );

    let (_dir, key) = copy_with_mode("device/ec.key", 0o600);
    let r = run(&["device", "--cert", &cert, "--key", &key, "--at", AT]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("OK  TestThing-ec"), "{}", r.stdout);
    assert!(r.stdout.contains("permissions   0600"), "{}", r.stdout);
}

#[test]
fn unreadable_input_exits_2() {
    let cert = fixture("device/ec.pem");
    let key = fixture("device/ec.key");
    for (c, k, words) in [
        (fixture("device/missing.pem"), key.clone(), "no such file"),
        (cert.clone(), fixture("device/missing.key"), "no such file"),
        (
            fixture("bad/empty.pem"),
            key.clone(),
            "is empty: expected a device certificate",
        ),
        (
            cert.clone(),
            fixture("bad/empty.pem"),
            "is empty: expected a private key",
        ),
        (
            cert.clone(),
            fixture("bad/random.bin"),
            "expected a private key",
        ),
        (
            fixture("bad/broken-base64.pem"),
            key.clone(),
            "not base64 (line 2)",
        ),
    ] {
        let r = run(&["device", "--cert", &c, "--key", &k, "--at", AT]);
        assert_eq!(r.code, 2, "{c} {k}: {}", r.stdout);
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains(words), "{}", r.stderr);
    }
    let missing_ca = fixture("device/missing-ca.pem");
    let r = run(&[
        "device",
        "--cert",
        &cert,
        "--key",
        &key,
        "--ca",
        &missing_ca,
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// The base64 lines of every private key fixture: none may appear in any output.
fn key_material() -> Vec<String> {
    let mut lines = Vec::new();
    for rel in [
        "device/ec.key",
        "device/ec-sec1.key",
        "device/rsa.key",
        "device/rsa-pkcs1.key",
        "device/rsa1024.key",
        "device/ec-other.key",
        "device/ec-encrypted.key",
        "device/two-keys.key",
        "device/ed25519.key",
    ] {
        let text = std::fs::read_to_string(fixture(rel)).expect("key fixture");
        lines.extend(
            text.lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                .map(str::to_string),
        );
    }
    lines
}

#[test]
fn key_material_never_appears_in_any_output() {
    let secrets = key_material();
    assert!(secrets.len() > 50);
    let ca = device_ca();
    let cases: [(&str, &str); 12] = [
        ("device/ec.pem", "device/ec.key"),
        ("device/ec.pem", "device/ec-sec1.key"),
        ("device/rsa.pem", "device/rsa-pkcs1.key"),
        ("device/rsa.pem", "device/ec.key"),
        ("device/rsa1024.pem", "device/rsa1024.key"),
        ("device/ec.pem", "device/ec-encrypted.key"),
        ("device/ec.pem", "device/two-keys.key"),
        ("device/ec.pem", "device/ec.key.der"),
        ("device/ec.key", "device/ec.key"),
        ("device/two-keys.key", "device/ec.pem"),
        ("device/ed25519.pem", "device/ed25519.key"),
        ("device/ec.pem", "device/ec-other.key"),
    ];
    for (cert, key) in cases {
        let (cert, key) = (fixture(cert), fixture(key));
        for json in [true, false] {
            let mut args = vec!["device", "--cert", &cert, "--key", &key, "--at", AT];
            args.extend(["--ca", &ca, "--thing", "x"]);
            if json {
                args.push("--json");
            }
            let r = run(&args);
            let all = format!("{}{}", r.stdout, r.stderr);
            assert!(!all.contains("PRIVATE KEY"), "{cert} {key}: {all}");
            for secret in &secrets {
                assert!(
                    !all.contains(secret.as_str()),
                    "{cert} {key}: key material shown"
                );
            }
        }
    }
}

#[test]
fn device_certificate_after_its_ca_is_an_order_error() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("reversed.pem");
    let ca = std::fs::read_to_string(fixture("device/device-ca.pem")).unwrap();
    let cert = std::fs::read_to_string(fixture("device/ec.pem")).unwrap();
    std::fs::write(&bundle, format!("{ca}{cert}")).unwrap();
    let key = fixture("device/ec.key");
    let r = run(&[
        "device",
        "--json",
        "--at",
        AT,
        "--cert",
        &bundle.to_string_lossy(),
        "--key",
        &key,
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let j = r.json();
    let codes: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"cert_order"), "{codes:?}");
}

/// `--warn-days` on the device certificate: 3135 days left at AT (2035-01-01).
#[test]
fn warn_days_warns_before_the_device_certificate_expires() {
    let warned = |days: &str| {
        let r = device("device/ec.pem", "device/ec.key", &["--warn-days", days]);
        assert_eq!(
            r.code, 0,
            "a warning does not fail: {}{}",
            r.stdout, r.stderr
        );
        findings(&r.json()).contains(&("expires_soon".to_string(), "warning".to_string()))
    };
    assert!(!warned("30"));
    assert!(warned("4000"));
}
