//! Crafted bundles: thousands of CA certificates of one name must not make a verification
//! quadratic. Each run has a watchdog far above what it needs, so that a regression fails the
//! test instead of stalling it; the assertions are on the outcome.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    SignatureAlgorithm,
};

use crate::common::{run_within, Run, AT};

/// Generous: the fixed code needs well under a second per thousand certificates.
const WATCHDOG_SECONDS: u64 = 90;

struct Crafted {
    dir: tempfile::TempDir,
    /// The leaf, then `copies` certificates of the CA with broken signatures.
    bundle: String,
    /// The genuine CA alone.
    ca: String,
    leaf_key: String,
    leaf: String,
}

/// A CA ("Crafted CA", self-signed), a leaf it issued, and `copies` copies of the CA whose
/// signatures are altered: the same name, key and key identifier, each a distinct certificate
/// that no signature check accepts. With `foreign_leaf`, another key signs the leaf, so no
/// candidate issued it.
fn crafted(alg: &'static SignatureAlgorithm, copies: usize, foreign_leaf: bool) -> Crafted {
    let ca_key = KeyPair::generate_for(alg).unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Crafted CA");
    ca_params.distinguished_name = name;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();

    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let leaf_params = CertificateParams::new(vec!["device.example.com".to_string()]).unwrap();
    let leaf = if foreign_leaf {
        let other_key = KeyPair::generate_for(alg).unwrap();
        leaf_params
            .signed_by(&leaf_key, &Issuer::new(ca_params.clone(), other_key))
            .unwrap()
    } else {
        leaf_params
            .signed_by(&leaf_key, &Issuer::new(ca_params.clone(), &ca_key))
            .unwrap()
    };

    let mut bundle = leaf.pem();
    let der = ca_cert.der().to_vec();
    let n = der.len();
    for i in 0..copies {
        let mut copy = der.clone();
        // The signature's last bytes: a distinct certificate whose signature cannot verify.
        copy[n - 3] ^= 0x5a ^ (i >> 8) as u8;
        copy[n - 2] ^= i as u8;
        copy[n - 1] ^= 0xa5;
        bundle.push_str(&::pem::encode(&::pem::Pem::new("CERTIFICATE", copy)));
    }
    let dir = tempfile::tempdir().unwrap();
    let write = |file: &str, text: &str| {
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    Crafted {
        bundle: write("bundle.pem", &bundle),
        ca: write("ca.pem", &ca_cert.pem()),
        leaf_key: write("leaf.key", &leaf_key.serialize_pem()),
        leaf: write("leaf.pem", &leaf.pem()),
        dir,
    }
}

fn lead(r: &Run) -> String {
    r.json()["findings"][0]["code"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

#[test]
fn ten_thousand_cas_of_one_name_end_in_path_too_complex() {
    let c = crafted(&rcgen::PKCS_ECDSA_P256_SHA256, 10_000, false);
    let r = run_within(
        &["verify-chain", "--at", AT, "--json", &c.bundle],
        WATCHDOG_SECONDS,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(lead(&r), "path_too_complex");
    // Human output too: the same verdict, every certificate listed.
    let r = run_within(&["verify-chain", "--at", AT, &c.bundle], WATCHDOG_SECONDS);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("lead: path_too_complex"), "{}", r.stderr);
    drop(c.dir);
}

#[test]
fn crafted_cas_with_rsa_and_p521_keys_end_in_path_too_complex() {
    // rustls-webpki refuses ECDSA with SHA-512, so the P-521 leaf fails on that as well; the
    // signature checks of the explanation still run on every candidate it meets.
    for (alg, verifiable) in [
        (&rcgen::PKCS_RSA_SHA256, true),
        (&rcgen::PKCS_ECDSA_P521_SHA512, false),
    ] {
        for foreign_leaf in [false, true] {
            let c = crafted(alg, 3_000, foreign_leaf);
            let r = run_within(
                &["verify-chain", "--at", AT, "--json", &c.bundle],
                WATCHDOG_SECONDS,
            );
            assert_eq!(r.code, 1, "{}", r.stderr);
            assert_eq!(lead(&r), "path_too_complex");
            // The same certificates as anchors: names first, signatures budgeted. An anchor's
            // own signature does not matter, so the copies anchor the genuine leaf.
            let r = run_within(
                &[
                    "verify-chain",
                    "--at",
                    AT,
                    "--json",
                    "--ca",
                    &c.bundle,
                    &c.leaf,
                ],
                WATCHDOG_SECONDS,
            );
            let expected = if verifiable && !foreign_leaf { 0 } else { 1 };
            assert_eq!(r.code, expected, "{}: lead {}", r.stderr, lead(&r));
        }
    }
}

#[test]
fn the_genuine_ca_among_crafted_copies_still_verifies() {
    let c = crafted(&rcgen::PKCS_ECDSA_P256_SHA256, 5_000, false);
    let r = run_within(
        &[
            "verify-chain",
            "--at",
            AT,
            "--json",
            "--ca",
            &c.ca,
            &c.bundle,
        ],
        WATCHDOG_SECONDS,
    );
    assert_eq!(r.code, 0, "{}: lead {}", r.stderr, lead(&r));
    assert_eq!(r.json()["verdict"], "ok");
    let unused = r.json()["unused"].as_array().unwrap().len();
    assert_eq!(unused, 5_000);

    // The device lint walks the same bundle as the device's certificate file.
    let r = run_within(
        &[
            "device",
            "--at",
            AT,
            "--json",
            "--cert",
            &c.bundle,
            "--key",
            &c.leaf_key,
            "--ca",
            &c.ca,
        ],
        WATCHDOG_SECONDS,
    );
    assert_ne!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.json()["device_ca"]["chains"], true);
}
