//! Integration tests: `iotcheck inspect`.

#[allow(unused_imports)]
use crate::common::*;

fn inspect_json(files: &[&str]) -> Run {
    let paths: Vec<String> = files.iter().map(|f| fixture(f)).collect();
    let mut args = vec!["inspect", "--json"];
    args.extend(paths.iter().map(String::as_str));
    run(&args)
}

#[test]
fn every_certificate_of_a_bundle_is_shown_with_its_fields() {
    let r = inspect_json(&["aws/eu-central-1-chain.pem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["command"], "inspect");
    let objects = j["files"][0]["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2);
    let leaf = &objects[0]["certificate"];
    assert_eq!(leaf["subject_cn"], "*.iot.eu-central-1.amazonaws.com");
    assert_eq!(leaf["public_key"]["algorithm"], "RSA");
    assert_eq!(leaf["public_key"]["bits"], 2048);
    assert_eq!(
        leaf["serial"],
        "03:e5:4b:ec:e3:0a:3d:b8:f6:be:ed:52:e1:2c:71:db"
    );
    assert_eq!(leaf["not_after"], "2026-08-02T23:59:59Z");
    assert_eq!(
        leaf["extended_key_usage"],
        serde_json::json!(["serverAuth", "clientAuth"])
    );
    assert_eq!(
        leaf["sha256"],
        "b2a0aa272f642a51b6df75688aaba3d0ec7dad51f1ba6d944ee6b992667dcb11"
    );
    assert_eq!(objects[1]["certificate"]["is_ca"], true);
    assert_eq!(objects[1]["certificate"]["path_len"], 0);
}

#[test]
fn keys_are_described_never_printed() {
    for file in [
        "device/ec.key",
        "device/rsa-pkcs1.key",
        "device/ec-sec1.key",
        "device/ed25519.key",
    ] {
        for json in [true, false] {
            let path = fixture(file);
            let args: Vec<&str> = if json {
                vec!["inspect", "--json", &path]
            } else {
                vec!["inspect", &path]
            };
            let r = run(&args);
            assert_eq!(r.code, 0, "{file}: {}", r.stderr);
            let key_text = std::fs::read_to_string(&path).unwrap();
            for line in key_text
                .lines()
                .filter(|l| !l.starts_with("-----") && l.len() > 16)
            {
                assert!(!r.stdout.contains(line), "{file}: key material printed");
            }
            assert!(!r.stdout.contains("PRIVATE KEY-----"));
        }
        let j = inspect_json(&[file]).json();
        let key = &j["files"][0]["objects"][0]["key"];
        assert!(
            key["public_key"]["sha256"].as_str().unwrap().len() == 64,
            "{file}: {key}"
        );
    }
}

#[test]
fn csr_public_key_and_encrypted_key_are_recognised() {
    let j = inspect_json(&[
        "device/ec.csr",
        "device/ec-pub.pem",
        "device/ec-encrypted.key",
        "device/ec.key",
    ])
    .json();
    let files = j["files"].as_array().unwrap();
    let csr = &files[0]["objects"][0];
    assert_eq!(csr["kind"], "certificate_request");
    assert_eq!(csr["csr"]["subject_cn"], "TestThing-ec");
    assert_eq!(csr["csr"]["signature_valid"], true);
    assert_eq!(files[1]["objects"][0]["kind"], "public_key");
    assert_eq!(files[2]["objects"][0]["kind"], "encrypted_private_key");
    // The CSR, the public key and the private key are the same key pair.
    let fp = |v: &serde_json::Value| v.as_str().unwrap().to_string();
    let csr_fp = fp(&csr["csr"]["public_key"]["sha256"]);
    assert_eq!(
        csr_fp,
        fp(&files[1]["objects"][0]["key"]["public_key"]["sha256"])
    );
    assert_eq!(
        csr_fp,
        fp(&files[3]["objects"][0]["key"]["public_key"]["sha256"])
    );
}

#[test]
fn pem_hygiene_is_reported() {
    let j = inspect_json(&[
        "device/ec-crlf.pem",
        "device/ec-bom.pem",
        "device/ec-trailing.pem",
    ])
    .json();
    let h = |i: usize, k: &str| j["files"][i]["hygiene"][k].as_bool().unwrap();
    assert!(h(0, "crlf"));
    assert!(h(1, "bom"));
    assert!(h(2, "text_outside_blocks"));
    assert!(!h(0, "bom") && !h(1, "crlf"));
}

#[test]
fn der_files_are_detected_by_content() {
    let j = inspect_json(&["server/rsa-leaf.der", "device/ec.key.der"]).json();
    assert_eq!(j["files"][0]["format"], "der");
    assert_eq!(j["files"][0]["objects"][0]["kind"], "certificate");
    assert_eq!(j["files"][1]["objects"][0]["kind"], "private_key");
}

#[test]
fn hostile_subject_strings_are_escaped_on_a_terminal() {
    // A certificate whose CN carries an ANSI escape: generated on the fly with openssl.
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("k.pem"), dir.path().join("c.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
        ])
        .arg("/CN=evil\u{1b}[2Jname")
        .args(["-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let r = run(&["inspect", "--color", "always", &cert.to_string_lossy()]);
    assert_eq!(r.code, 0);
    assert!(
        !r.stdout.contains("\u{1b}[2J"),
        "raw escape reached the terminal"
    );
    assert!(r.stdout.contains("evil\\u{1b}[2Jname"));
}
