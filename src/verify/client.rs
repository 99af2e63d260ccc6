//! Client authentication: whether a device certificate chains to the device CA that should
//! have issued it, decided by the engine and explained with the certificate model.

use super::budget::Budget;
use super::crl::Crls;
use super::engine;
use crate::chain::Cert;
use crate::finding::Code;
use crate::trust::Anchors;

/// How a device certificate relates to the device CA files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceChain {
    /// rustls-webpki found a path for TLS client authentication to a given CA.
    Verified,
    /// The path exists by name and signature, and the engine refused it only for a fault of
    /// the device certificate itself (its validity, its extended key usage, its signature
    /// algorithm, its revocation, or a form the engine cannot read), which the caller reports
    /// on its own.
    IssuedButLeafFaulty,
    /// No given CA (nor a certificate given with the device certificate) issued it.
    NotIssued,
    /// A CA given issued it, but the path is refused for another reason.
    Refused { code: Code, words: String },
    /// More CAs of the issuer's name than the signature budget could tell apart (no key
    /// identifier sets them apart): whether one of them issued it is not known.
    TooComplex { candidates: usize },
}

/// Decides whether `leaf`, with the certificates given beside it, chains to `anchors` for
/// TLS client authentication at `at`, with `crls` looked up along the path.
///
/// The issuer is looked up by key before the engine runs: among the CAs of the issuer's
/// name, those whose subject key identifier is the certificate's authority key identifier
/// first, each confirmed by its signature. The engine is then given that CA alone, so that
/// CAs of the same name before it (a bundle of decoys, a CA file grown over the years) cannot
/// spend its budget; only when the lookup's own budget ends is the answer
/// [`DeviceChain::TooComplex`].
pub fn device_chain(
    leaf: &Cert,
    others: &[&Cert],
    anchors: &Anchors,
    at: i64,
    crls: &Crls,
) -> DeviceChain {
    // A device certificate outside its own validity is reported as such by the caller; the
    // question here is only whether the CA issued it, so look at an instant it is valid.
    let when = at.clamp(leaf.not_before, leaf.not_after);
    let lists = crls.engine_lists(std::iter::once(leaf).chain(others.iter().copied()));
    let search = find_issuer(leaf, others, anchors);
    let verdict = match search {
        Search::Found(anchor) => {
            engine::verify_client_path(leaf, others, &[&anchors.certs[anchor]], when, &lists)
        }
        Search::NotFound | Search::Exhausted { .. } => {
            engine::verify_client_path(leaf, others, &anchors.certs, when, &lists)
        }
    };
    let error = match verdict.path {
        Ok(_) => return DeviceChain::Verified,
        Err(e) => e,
    };
    match search {
        Search::Found(_) => {}
        Search::NotFound => return DeviceChain::NotIssued,
        Search::Exhausted { candidates } => return DeviceChain::TooComplex { candidates },
    }
    // A CA given has the issuer's name and its key verified the signature: whatever the
    // engine refuses, it is not that another CA issued the certificate.
    let code = engine::code_of(&error);
    let leaf_eku = code == Code::RequiredEkuNotFound && leaf.eku_client_auth == Some(false);
    let leaf_algorithm = code == Code::UnsupportedSignatureAlgorithm
        && !super::signature_algorithm_accepted(&leaf.signature_algorithm);
    let leaf_revoked = code == Code::Revoked && crls.revocation_of(leaf).is_some();
    if leaf_eku || leaf_algorithm || leaf_revoked || unreadable(leaf).is_some() {
        return DeviceChain::IssuedButLeafFaulty;
    }
    DeviceChain::Refused {
        code,
        words: engine::words_of(&error),
    }
}

/// What the lookup of the issuing CA found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Search {
    /// The anchor (index into the anchors) a path by name and signature leads to.
    Found(usize),
    /// No anchor: every CA of the issuer's name was checked, and none signed.
    NotFound,
    /// The signature checks ran out among `candidates` CAs of the issuer's name.
    Exhausted { candidates: usize },
}

/// The anchor a path from `leaf` (through `others`, the certificates given with it) leads
/// to, by name, key identifier and signature. Names and key identifiers are compared first,
/// which is free; signatures are checked while the budget lasts, the CAs whose key
/// identifier matches first, so that many CAs of one name cannot hide the right one.
fn find_issuer(leaf: &Cert, others: &[&Cert], anchors: &Anchors) -> Search {
    let mut current = leaf;
    let mut budget = Budget::new();
    // The depth bound keeps a loop of cross-signed certificates from running forever.
    for _ in 0..8 {
        let mut named: Vec<(usize, &Cert)> = anchors
            .certs
            .iter()
            .enumerate()
            .filter(|(_, ca)| current.names_issuer(ca))
            .collect();
        // Stable: in the order given within each tier.
        named.sort_by_key(|(_, ca)| !key_identifier_matches(current, ca));
        let candidates = named.len();
        for (i, ca) in named {
            match budget.issued(current, ca) {
                Some(true) => return Search::Found(i),
                Some(false) => {}
                None => return Search::Exhausted { candidates },
            }
        }
        let next = others
            .iter()
            .copied()
            .find(|&c| c.sha256 != current.sha256 && budget.issued(current, c) == Some(true));
        match next {
            Some(next) => current = next,
            None if budget.exhausted => {
                return Search::Exhausted {
                    candidates: others.len(),
                }
            }
            None => return Search::NotFound,
        }
    }
    Search::NotFound
}

/// Whether `issuer`'s subject key identifier is `child`'s authority key identifier.
fn key_identifier_matches(child: &Cert, issuer: &Cert) -> bool {
    matches!((&child.aki, &issuer.ski), (Some(aki), Some(ski)) if aki == ski)
}

/// Why the engine cannot read this certificate at all (an X.509 v1 certificate, an unknown
/// critical extension, ...), in its own words; None when it can.
pub fn unreadable(cert: &Cert) -> Option<String> {
    engine::parse_check(cert)
        .err()
        .map(|e| engine::words_of(&e))
}

#[cfg(test)]
mod tests {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PKCS_ECDSA_P256_SHA256,
    };

    use super::*;
    use crate::trust::AnchorSource;

    /// 2026-06-01: inside every certificate below.
    const AT: i64 = 1_780_272_000;

    fn ca_params() -> CertificateParams {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "Fleet Device CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        params
    }

    fn cert(der: &[u8]) -> Cert {
        Cert::from_der(der, "test.pem").expect("parses")
    }

    /// The real device CA, `decoys` CAs of the same name (keys of their own) before it, and a
    /// device certificate it issued, with or without an authority key identifier.
    fn bundle(decoys: usize, authority_key_id: bool) -> (Anchors, Cert) {
        let mut certs = Vec::new();
        for _ in 0..decoys {
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
            certs.push(cert(ca_params().self_signed(&key).expect("decoy").der()));
        }
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let params = ca_params();
        certs.push(cert(params.self_signed(&key).expect("real CA").der()));
        let issuer = Issuer::new(params, key);
        let mut device = CertificateParams::new(Vec::<String>::new()).expect("params");
        device
            .distinguished_name
            .push(DnType::CommonName, "Thing-1");
        device.use_authority_key_identifier_extension = authority_key_id;
        device.not_before = rcgen::date_time_ymd(2025, 6, 1);
        device.not_after = rcgen::date_time_ymd(2027, 6, 1);
        let device_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let leaf = cert(
            device
                .signed_by(&device_key, &issuer)
                .expect("issued")
                .der(),
        );
        let anchors = Anchors {
            certs,
            source: AnchorSource::Files(vec!["bundle.pem".into()]),
        };
        (anchors, leaf)
    }

    #[test]
    fn the_issuer_is_found_by_key_behind_same_name_decoys() {
        // 100 decoys spent the engine's budget of 100 signatures before the real CA.
        let (anchors, leaf) = bundle(100, true);
        assert!(anchors.certs.iter().all(|c| c.ski.is_some()));
        assert_eq!(
            device_chain(&leaf, &[], &anchors, AT, &Crls::none()),
            DeviceChain::Verified
        );
        // Without the real CA, none issued it: the decoys' key identifiers say so for free.
        let only_decoys = Anchors {
            certs: anchors.certs[..100].to_vec(),
            source: AnchorSource::Files(vec!["decoys.pem".into()]),
        };
        assert_eq!(
            device_chain(&leaf, &[], &only_decoys, AT, &Crls::none()),
            DeviceChain::NotIssued
        );
    }

    #[test]
    fn without_key_identifiers_the_budget_decides_and_says_so() {
        // Within the budget, signatures find the real CA among CAs of one name.
        let (anchors, leaf) = bundle(50, false);
        assert_eq!(
            device_chain(&leaf, &[], &anchors, AT, &Crls::none()),
            DeviceChain::Verified
        );
        // Past it, the answer is that nobody can tell, not that another CA issued it.
        let (anchors, leaf) = bundle(100, false);
        assert_eq!(
            device_chain(&leaf, &[], &anchors, AT, &Crls::none()),
            DeviceChain::TooComplex { candidates: 101 }
        );
    }
}
