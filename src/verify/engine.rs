//! The one call into rustls-webpki, and the one translation of its errors into problem codes.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet, VecDeque};

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, RevocationCheckDepth,
    RevocationOptionsBuilder, UnknownStatusPolicy,
};

use crate::chain::Cert;
use crate::finding::Code;

/// What the engine decided.
pub struct EngineVerdict {
    /// The chain certificates (by DER) on the path webpki found, leaf excluded, leaf-side first.
    pub path: Result<Vec<Vec<u8>>, webpki::Error>,
    /// The anchor the path ends at (index into the anchors given), when one was found.
    pub anchor: Option<usize>,
}

/// The most candidate intermediates handed to the engine. webpki checks at most 100
/// signatures per verification, so it could never try more than that many anyway; beyond
/// them each of its steps would only parse the rest again.
pub(crate) const MAX_CANDIDATES: usize = 64;

/// Runs webpki's path building for TLS server authentication at `at` (unix seconds); with
/// CRLs, every certificate of the path is looked up in its issuer's list.
pub fn verify_path<A: Borrow<Cert>>(
    leaf: &Cert,
    others: &[&Cert],
    anchors: &[A],
    at: i64,
    crls: &[&CertRevocationList<'_>],
) -> EngineVerdict {
    verify_path_for(leaf, others, anchors, at, KeyUsage::server_auth(), crls)
}

/// The same for TLS client authentication: a device certificate against its device CA.
pub fn verify_client_path<A: Borrow<Cert>>(
    leaf: &Cert,
    others: &[&Cert],
    anchors: &[A],
    at: i64,
    crls: &[&CertRevocationList<'_>],
) -> EngineVerdict {
    verify_path_for(leaf, others, anchors, at, KeyUsage::client_auth(), crls)
}

fn verify_path_for<A: Borrow<Cert>>(
    leaf: &Cert,
    others: &[&Cert],
    anchors: &[A],
    at: i64,
    usage: KeyUsage,
    crls: &[&CertRevocationList<'_>],
) -> EngineVerdict {
    let leaf_der = CertificateDer::from(leaf.der.as_slice());
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => {
            return EngineVerdict {
                path: Err(e),
                anchor: None,
            }
        }
    };
    let anchor_ders: Vec<(usize, CertificateDer<'_>)> = anchors
        .iter()
        .enumerate()
        .map(|(i, a)| (i, CertificateDer::from(a.borrow().der.as_slice())))
        .collect();
    // An anchor webpki cannot read is left out: it could not anchor a path anyway.
    let (anchor_index, trust_anchors): (Vec<usize>, Vec<_>) = anchor_ders
        .iter()
        .filter_map(|(i, d)| webpki::anchor_from_trusted_cert(d).ok().map(|a| (*i, a)))
        .unzip();
    let (candidates, truncated) = candidates(leaf, others);
    let intermediates: Vec<CertificateDer<'_>> = candidates
        .iter()
        .map(|c| CertificateDer::from(c.der.as_slice()))
        .collect();
    let algorithms = rustls::crypto::aws_lc_rs::default_provider()
        .signature_verification_algorithms
        .all;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(at.max(0) as u64));
    // A certificate whose issuer gave no list is not revoked as far as anyone can tell; a
    // list past its nextUpdate still counts (its lateness is a finding of its own).
    let revocation = RevocationOptionsBuilder::new(crls).ok().map(|builder| {
        builder
            .with_depth(RevocationCheckDepth::Chain)
            .with_status_policy(UnknownStatusPolicy::Allow)
            .with_expiration_policy(ExpirationPolicy::Ignore)
            .build()
    });
    let result = end_entity
        .verify_for_usage(
            algorithms,
            &trust_anchors,
            &intermediates,
            time,
            usage,
            revocation,
            None,
        )
        .map(|path| {
            let anchor = trust_anchors
                .iter()
                .position(|a| std::ptr::eq(a, path.anchor()))
                .map(|k| anchor_index[k]);
            let ders = path
                .intermediate_certificates()
                .map(|c| c.der().as_ref().to_vec())
                .collect();
            (ders, anchor)
        });
    match result {
        Ok((ders, anchor)) => EngineVerdict {
            path: Ok(ders),
            anchor,
        },
        // The search was cut short by the candidate limit: an issuer left out may have been
        // the one, so "no issuer" or "bad signature" would be a guess.
        Err(e)
            if truncated
                && matches!(
                    code_of(&e),
                    Code::UnknownIssuer | Code::BadSignature | Code::PathTooComplex
                ) =>
        {
            EngineVerdict {
                path: Err(webpki::Error::MaximumPathBuildCallsExceeded),
                anchor: None,
            }
        }
        Err(e) => EngineVerdict {
            path: Err(e),
            anchor: None,
        },
    }
}

/// The certificates that could be on a path from `leaf`: those reached by following issuer
/// names (as the engine does), nearest first, at most [`MAX_CANDIDATES`], in given order.
/// True when some were left out.
fn candidates<'a>(leaf: &Cert, others: &[&'a Cert]) -> (Vec<&'a Cert>, bool) {
    let mut by_subject: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, cert) in others.iter().enumerate() {
        by_subject
            .entry(cert.subject_der.as_slice())
            .or_default()
            .push(i);
    }
    let mut wanted = vec![false; others.len()];
    let mut count = 0;
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut names: VecDeque<&[u8]> = VecDeque::from([leaf.issuer_der.as_slice()]);
    while let Some(name) = names.pop_front() {
        if !seen.insert(name) {
            continue;
        }
        for &i in by_subject.get(name).into_iter().flatten() {
            if count == MAX_CANDIDATES {
                let kept = others.iter().zip(&wanted).filter(|(_, w)| **w);
                return (kept.map(|(c, _)| *c).collect(), true);
            }
            wanted[i] = true;
            count += 1;
            names.push_back(others[i].issuer_der.as_slice());
        }
    }
    let kept = others.iter().zip(&wanted).filter(|(_, w)| **w);
    (kept.map(|(c, _)| *c).collect(), false)
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

/// The finding code for a webpki error. The single place engine errors are translated (with
/// [`words_of`], which says the same in words).
pub fn code_of(error: &webpki::Error) -> Code {
    use webpki::Error as E;
    #[allow(deprecated)]
    match error {
        E::CertExpired { .. } => Code::Expired,
        E::CertNotValidYet { .. } => Code::NotYetValid,
        E::UnknownIssuer => Code::UnknownIssuer,
        E::InvalidSignatureForPublicKey => Code::BadSignature,
        E::CertNotValidForName(_) => Code::NameMismatch,
        E::EndEntityUsedAsCa => Code::NotACa,
        E::CaUsedAsEndEntity => Code::CaUsedAsLeaf,
        E::PathLenConstraintViolated => Code::PathLenExceeded,
        E::NameConstraintViolation
        | E::MalformedNameConstraint
        | E::InvalidNetworkMaskConstraint
        | E::MaximumNameConstraintComparisonsExceeded => Code::NameConstraintViolation,
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            Code::RequiredEkuNotFound
        }
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => Code::UnsupportedSignatureAlgorithm,
        E::UnsupportedCriticalExtension => Code::UnsupportedCriticalExtension,
        E::MaximumPathDepthExceeded
        | E::MaximumSignatureChecksExceeded
        | E::MaximumPathBuildCallsExceeded => Code::PathTooComplex,
        E::CertRevoked => Code::Revoked,
        _ => Code::Malformed,
    }
}

/// webpki's error in plain words, for messages and the report's `engine_error`.
#[allow(deprecated)]
pub fn words_of(error: &webpki::Error) -> String {
    use webpki::Error as E;
    let at = |t: &UnixTime| crate::when::rfc3339(t.as_secs() as i64);
    let words = match error {
        E::CertExpired { time, not_after } => {
            return format!(
                "a certificate has expired (checked at {}, not after {})",
                at(time),
                at(not_after)
            )
        }
        E::CertNotValidYet { time, not_before } => {
            return format!(
                "a certificate is not valid yet (checked at {}, not before {})",
                at(time),
                at(not_before)
            )
        }
        E::UnknownIssuer => "no path leads to a trusted anchor (unknown issuer)",
        E::InvalidSignatureForPublicKey => "a signature does not verify with its issuer's key",
        E::CertNotValidForName(_) => "the certificate is not valid for the name",
        E::EndEntityUsedAsCa => "a certificate that is not a CA issued another",
        E::CaUsedAsEndEntity => "a CA certificate is used as the end-entity certificate",
        E::PathLenConstraintViolated => "a CA's path length constraint is exceeded",
        E::NameConstraintViolation => "a name is outside an issuer's name constraints",
        E::MalformedNameConstraint | E::InvalidNetworkMaskConstraint => {
            "an issuer's name constraints are malformed"
        }
        E::MaximumNameConstraintComparisonsExceeded => {
            "too many name constraint comparisons (the engine's budget)"
        }
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => {
            "the extended key usage does not allow this use"
        }
        E::EmptyEkuExtension => "the extended key usage extension is empty",
        E::UnsupportedSignatureAlgorithm | E::UnsupportedSignatureAlgorithmContext(_) => {
            "a signature algorithm the engine does not accept"
        }
        E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a signature algorithm that does not fit the issuer's key"
        }
        E::SignatureAlgorithmMismatch => {
            "the signature algorithm inside the certificate differs from the outer one"
        }
        E::UnsupportedCriticalExtension => "a critical extension the engine does not understand",
        E::MaximumPathDepthExceeded => "the path is deeper than the engine allows",
        E::MaximumSignatureChecksExceeded => "too many signature checks (the engine's budget)",
        E::MaximumPathBuildCallsExceeded => "too many path-building steps (the engine's budget)",
        E::CertRevoked => "a certificate is revoked",
        E::BadDer => "the DER encoding is damaged",
        E::BadDerTime => "a time field is not valid DER",
        E::UnsupportedCertVersion => "not an X.509 v3 certificate",
        E::InvalidCertValidity => "the validity period ends before it starts",
        E::InvalidSerialNumber => "the serial number is invalid (zero, negative or over 20 bytes)",
        E::MalformedExtensions => "the extensions are malformed or repeated",
        E::ExtensionValueInvalid => "an extension's value is invalid",
        E::MalformedDnsIdentifier => "a DNS name in the certificate is malformed",
        E::UnsupportedNameType => "a name of a type the engine does not support",
        E::TrailingData(_) => "bytes follow the certificate's encoding",
        E::CertDistrusted => "the certificate is distrusted",
        _ => "the certificate cannot be used (an encoding or revocation error)",
    };
    words.to_string()
}
