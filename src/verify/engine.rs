//! The one call into rustls-webpki, and the one translation of its errors into problem codes.

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::chain::Cert;

/// What the engine decided.
pub struct EngineVerdict {
    /// The chain certificates (by DER) on the path webpki found, leaf excluded, leaf-side first.
    pub path: Result<Vec<Vec<u8>>, webpki::Error>,
}

/// Runs webpki's path building for TLS server authentication at `at` (unix seconds).
pub fn verify_path(leaf: &Cert, others: &[&Cert], anchors: &[Cert], at: i64) -> EngineVerdict {
    verify_path_for(leaf, others, anchors, at, KeyUsage::server_auth())
}

/// The same for TLS client authentication: a device certificate against its device CA.
pub fn verify_client_path(
    leaf: &Cert,
    others: &[&Cert],
    anchors: &[Cert],
    at: i64,
) -> EngineVerdict {
    verify_path_for(leaf, others, anchors, at, KeyUsage::client_auth())
}

fn verify_path_for(
    leaf: &Cert,
    others: &[&Cert],
    anchors: &[Cert],
    at: i64,
    usage: KeyUsage,
) -> EngineVerdict {
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return EngineVerdict { path: Err(e) },
    };
    let anchor_ders: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.der.as_slice()))
        .collect();
    // An anchor webpki cannot read is left out: it could not anchor a path anyway.
    let trust_anchors: Vec<_> = anchor_ders
        .iter()
        .filter_map(|d| webpki::anchor_from_trusted_cert(d).ok())
        .collect();
    let intermediates: Vec<CertificateDer<'_>> = others
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let algorithms = rustls::crypto::aws_lc_rs::default_provider()
        .signature_verification_algorithms
        .all;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(at.max(0) as u64));
    let result = end_entity
        .verify_for_usage(
            algorithms,
            &trust_anchors,
            &intermediates,
            time,
            usage,
            None,
            None,
        )
        .map(|path| {
            path.intermediate_certificates()
                .map(|c| c.der().as_ref().to_vec())
                .collect()
        });
    EngineVerdict { path: result }
}

/// Checks whether webpki can read this certificate at all; Err is its reason.
pub fn parse_check(cert: &Cert) -> Result<(), webpki::Error> {
    let der = CertificateDer::from(cert.der.as_slice());
    EndEntityCert::try_from(&der).map(|_| ())
}

/// webpki's name check of the leaf against a DNS name or IP address.
pub fn name_check(leaf: &Cert, name: &ServerName<'_>) -> Result<(), webpki::Error> {
    let der = CertificateDer::from(leaf.der.as_slice());
    let ee = EndEntityCert::try_from(&der)?;
    ee.verify_is_valid_for_subject_name(name)
}

/// The problem code for a webpki error. The single place engine errors are translated.
pub fn code_of(error: &webpki::Error) -> &'static str {
    use webpki::Error as E;
    #[allow(deprecated)]
    match error {
        E::CertExpired { .. } => "expired",
        E::CertNotValidYet { .. } => "not_yet_valid",
        E::UnknownIssuer => "unknown_issuer",
        E::InvalidSignatureForPublicKey => "bad_signature",
        E::CertNotValidForName(_) => "name_mismatch",
        E::EndEntityUsedAsCa => "not_a_ca",
        E::CaUsedAsEndEntity => "ca_used_as_leaf",
        E::PathLenConstraintViolated => "path_len_exceeded",
        E::NameConstraintViolation
        | E::MalformedNameConstraint
        | E::InvalidNetworkMaskConstraint
        | E::MaximumNameConstraintComparisonsExceeded => "name_constraint_violation",
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            "required_eku_not_found"
        }
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => "unsupported_signature_algorithm",
        E::UnsupportedCriticalExtension => "unsupported_critical_extension",
        E::MaximumPathDepthExceeded
        | E::MaximumSignatureChecksExceeded
        | E::MaximumPathBuildCallsExceeded => "path_too_complex",
        E::CertRevoked => "revoked",
        _ => "malformed",
    }
}

/// webpki's error in plain words, for the `engine` line of a report.
pub fn words_of(error: &webpki::Error) -> String {
    format!("{error:?}")
}
