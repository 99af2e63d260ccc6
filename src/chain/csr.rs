//! A certificate signing request, parsed: its subject, public key and signature algorithm, and
//! whether its self-signature verifies.

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;

use super::cert::{common_name, oid_name};
use super::KeyInfo;

/// A parsed CSR. Built once from DER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr {
    pub subject: String,
    pub subject_cn: Option<String>,
    /// None when the public key does not parse.
    pub public_key: Option<KeyInfo>,
    pub signature_algorithm: String,
    /// The self-signature verifies with the CSR's own public key.
    pub signature_valid: bool,
}

impl Csr {
    /// Parses a DER CSR; None when it is not one.
    pub fn from_der(der: &[u8]) -> Option<Csr> {
        let (_, csr) = X509CertificationRequest::from_der(der).ok()?;
        let info = &csr.certification_request_info;
        Some(Csr {
            subject: info.subject.to_string(),
            subject_cn: common_name(&info.subject),
            public_key: KeyInfo::from_spki_der(info.subject_pki.raw),
            signature_algorithm: oid_name(&csr.signature_algorithm.algorithm),
            signature_valid: csr.verify_signature().is_ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSR: &str = include_str!("../../fixtures/device/ec.csr");

    #[test]
    fn a_csr_says_its_subject_key_and_whether_it_signed_itself() {
        let der = ::pem::parse(CSR).expect("fixture PEM").into_contents();
        let csr = Csr::from_der(&der).expect("a CSR");
        assert_eq!(csr.subject_cn.as_deref(), Some("TestThing-ec"));
        assert_eq!(csr.subject, "CN=TestThing-ec");
        assert_eq!(
            csr.public_key.as_ref().map(KeyInfo::describe).as_deref(),
            Some("EC P-256")
        );
        assert!(csr.signature_valid, "{csr:?}");
        // The signature's last byte changed: still a CSR, no longer signed by its key.
        let mut tampered = der.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0x01;
        let tampered = Csr::from_der(&tampered).expect("still a CSR");
        assert!(!tampered.signature_valid);
        assert_eq!(Csr::from_der(b"not a CSR"), None);
    }
}
