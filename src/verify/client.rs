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
}

/// Decides whether `leaf`, with the certificates given beside it, chains to `anchors` for
/// TLS client authentication at `at`.
/// TLS client authentication at `at`, with `crls` looked up along the path.
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
    let error = match engine::verify_client_path(leaf, others, &anchors.certs, when, &lists).path {
        Ok(_) => return DeviceChain::Verified,
        Err(e) => e,
    };
    let code = engine::code_of(&error);
    if matches!(code, Code::UnknownIssuer | Code::BadSignature) || !issued_by(leaf, others, anchors)
    {
        return DeviceChain::NotIssued;
    }
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

/// Why the engine cannot read this certificate at all (an X.509 v1 certificate, an unknown
/// critical extension, ...), in its own words; None when it can.
pub fn unreadable(cert: &Cert) -> Option<String> {
    engine::parse_check(cert)
        .err()
        .map(|e| engine::words_of(&e))
}

/// True when, by name and signature alone, a path leads from `leaf` through `others` to one
/// of the anchors. Used where the engine stops before it looks at issuers.
fn issued_by(leaf: &Cert, others: &[&Cert], anchors: &Anchors) -> bool {
    let mut current = leaf;
    // Names are compared before any signature is checked, and the checks are budgeted, so
    // that many certificates of one name cannot make this quadratic.
    let mut budget = Budget::new();
    // The depth bound keeps a loop of cross-signed certificates from running forever.
    for _ in 0..8 {
        let mut signed = |issuer: &Cert| budget.issued(current, issuer) == Some(true);
        if anchors.certs.iter().any(&mut signed) {
            return true;
        }
        match others
            .iter()
            .copied()
            .find(|&c| c.sha256 != current.sha256 && signed(c))
        {
            Some(next) => current = next,
            None => return false,
        }
    }
    false
}
