//! Hostile bytes: every single-byte corruption of a real chain goes through reading, parsing
//! and verification without a panic.

use iotcheck::chain::{Cert, Chain};
use iotcheck::trust::Anchors;
use iotcheck::verify::{self, Policy};

use crate::common::fixture;

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
    let der = std::fs::read(fixture("server/rsa-leaf.der")).unwrap();
    for len in 0..der.len() {
        let _ = iotcheck::source::parse("cut.der", &der[..len]);
    }
}
