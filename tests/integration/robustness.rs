//! Hostile bytes: every single-byte corruption of a real chain goes through reading, parsing
//! and verification without a panic.

use iotcheck::chain::{Cert, Chain};
use iotcheck::trust::Anchors;
use iotcheck::verify::{self, Policy};

use crate::common::{fixture, iotcheck, AT};

#[test]
fn corrupted_certificates_never_panic() {
    let pem_text = std::fs::read_to_string(fixture("aws/eu-central-1-chain.pem")).unwrap();
    let blocks = ::pem::parse_many(&pem_text).unwrap();
    let leaf = blocks[0].contents().to_vec();
    let inter = blocks[1].contents().to_vec();
    let anchors = Anchors::embedded();
    let policy = Policy {
        at: 1_772_323_200,
        host: Some("a-ats.iot.eu-central-1.amazonaws.com".into()),
        device_not_before: None,
        warn_days: iotcheck::chain::DEFAULT_WARN_DAYS,
    };
    let (mut parsed, mut valid) = (0, 0);
    for pos in 0..leaf.len() {
        for flip in [0xffu8] {
            let mut bad = leaf.clone();
            bad[pos] ^= flip;
            // Through the same reader the CLI uses, then the model and the verifier.
            let Ok(loaded) = iotcheck::source::parse("corrupt.der", &bad) else {
                continue;
            };
            let Ok(cert) = Cert::from_der(&loaded.objects[0].der, "corrupt") else {
                continue;
            };
            parsed += 1;
            let inter = Cert::from_der(&inter, "inter").unwrap();
            let verdict = verify::verify(&Chain::arrange(vec![cert, inter]), &anchors, &policy);
            valid += usize::from(verdict.valid());
        }
    }
    // Corruptions outside the signed bytes are rare; the signature catches the rest.
    assert!(parsed > 50, "{parsed}");
    assert!(
        valid < parsed / 50,
        "{valid} of {parsed} corrupted certificates verified"
    );
}

#[test]
fn truncations_never_panic() {
    // Every cut of a certificate, DER and PEM, through the binary: a documented exit code
    // (0, 1 or 2), never a panic (101) or a signal, and any error on one line.
    let der = std::fs::read(fixture("server/rsa-leaf.der")).unwrap();
    let pem = std::fs::read(fixture("server/ec-chain.pem")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut");
    let cut_name = cut.to_string_lossy().into_owned();
    let mut runs = 0;
    for (bytes, step) in [(&der, 7), (&pem, 11)] {
        for len in (0..bytes.len()).step_by(step) {
            // The in-process reader sees every length.
            let _ = iotcheck::source::parse("cut", &bytes[..len]);
            std::fs::write(&cut, &bytes[..len]).unwrap();
            let args: Vec<&str> = if runs % 2 == 0 {
                vec!["inspect", &cut_name]
            } else {
                vec!["verify-chain", "--at", AT, &cut_name]
            };
            let command = args[0];
            let status = iotcheck().args(&args).output().unwrap();
            runs += 1;
            let stderr = String::from_utf8_lossy(&status.stderr);
            let code = status.status.code();
            assert!(
                matches!(code, Some(0..=2)),
                "{command} on {len} bytes: exit {code:?} (a signal if None): {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
            if code == Some(2) {
                assert_eq!(stderr.lines().count(), 1, "{len} bytes: {stderr}");
                assert!(stderr.starts_with("iotcheck: "), "{stderr}");
            }
        }
    }
    assert!(runs > 200, "{runs}");
}
