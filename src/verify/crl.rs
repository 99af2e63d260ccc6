//! Certificate revocation lists (`--crl`): each list judged on its own (readable, signed by a
//! CA given, current at the verification time), and certificates looked up in the lists that
//! passed. rustls-webpki parses the lists, answers the lookups and decides revocation while
//! it builds a path; x509-parser reads what webpki keeps to itself (the issuer's name in
//! words, thisUpdate, nextUpdate) and checks the list's signature against the CAs given.

use rustls::pki_types::UnixTime;
use webpki::{CertRevocationList, OwnedCertRevocationList, RevocationReason};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::chain::Cert;
use crate::error::InputError;
use crate::finding::{Code, Finding};
use crate::source::{self, Input, Kind};
use crate::when::{days_between, rfc3339};

/// The CRLs given, those that can be used and the findings about each.
pub struct Crls {
    /// Every CRL read, usable or not, in the order given.
    pub crls: Vec<Crl>,
    /// What is wrong with the lists themselves (`crl_unreadable`, `crl_not_signed_by_ca`,
    /// `crl_expired`), each about its file.
    pub findings: Vec<Finding>,
}

/// One CRL that webpki could read.
pub struct Crl {
    /// The file, and the block when the file holds several ("crl.pem#2").
    pub origin: String,
    /// The issuer's name (its CN, or the whole name).
    pub issuer: String,
    pub issuer_der: Vec<u8>,
    /// Unix seconds.
    pub this_update: i64,
    pub next_update: i64,
    pub revoked: usize,
    /// The CA whose key verified the list's signature (its CN); None: no CA given did, and
    /// the list is not used.
    pub signed_by: Option<String>,
    list: CertRevocationList<'static>,
}

/// A certificate found on a CRL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// When the CA revoked it (unix seconds).
    pub date: i64,
    /// RFC 5280's name of the reason (`keyCompromise`, ...); None when the CRL gives none.
    pub reason: Option<&'static str>,
    /// The CRL that lists it.
    pub crl: String,
}

impl Revocation {
    /// "on 2026-02-01T00:00:00Z (keyCompromise) by crl.pem".
    pub fn words(&self) -> String {
        let reason = match self.reason {
            Some(reason) => format!(" ({reason})"),
            None => " (no reason given)".to_string(),
        };
        format!(
            "on {}{reason}, according to {}",
            rfc3339(self.date),
            self.crl
        )
    }
}

impl Crls {
    /// Reads the `--crl` files and judges each list against `issuers` (the CAs given, and
    /// for a chain its own certificates) at `at`. A file that cannot be read at all (missing,
    /// a directory, too large) is an error (exit 2); a file that reads but holds no usable
    /// CRL is a finding, `crl_unreadable`.
    pub fn load(inputs: &[Input], issuers: &[&Cert], at: i64) -> Result<Crls, InputError> {
        let mut crls = Crls {
            crls: Vec::new(),
            findings: Vec::new(),
        };
        for input in inputs {
            let name = input.name();
            let bytes = source::read_bytes(input, &name)?;
            crls.add_file(&name, &bytes, issuers, at);
        }
        Ok(crls)
    }

    /// No CRL given.
    pub fn none() -> Crls {
        Crls {
            crls: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Reads one file's bytes (`name` as named, for messages) as [`Crls::load`] does: each
    /// CRL in it judged against `issuers` at `at`, and what cannot be used a finding.
    pub fn add_file(&mut self, name: &str, bytes: &[u8], issuers: &[&Cert], at: i64) {
        let loaded = match source::parse_expecting(name, bytes, "a CRL") {
            Ok(loaded) => loaded,
            Err(e) => {
                self.unreadable(name, &e.message);
                return;
            }
        };
        let blocks: Vec<&source::Object> = loaded.of_kind(&Kind::Crl).collect();
        if blocks.is_empty() {
            let holds = format!("holds {}, not a CRL", loaded.contents_described());
            self.unreadable(name, &holds);
            return;
        }
        let count = blocks.len();
        for object in blocks {
            let origin = object.origin(count);
            match read_crl(&object.der, &origin, issuers) {
                Ok(crl) => self.judge(crl, at),
                Err(why) => self.unreadable(&origin, &why),
            }
        }
    }

    fn unreadable(&mut self, origin: &str, why: &str) {
        self.findings.push(
            Finding::new(
                Code::CrlUnreadable,
                format!("{origin} {why}: it is not used, so revocation was not checked against it; pass the CA's current CRL (PEM or DER, X.509 v2 with nextUpdate)"),
            )
            .on_file(origin),
        );
    }

    fn judge(&mut self, crl: Crl, at: i64) {
        if crl.signed_by.is_none() {
            self.findings.push(
                Finding::new(
                    Code::CrlNotSignedByCa,
                    format!(
                        "{} was issued by \"{}\", and no CA given signed it: it is not used, so revocation was not checked against it; pass the CRL of the CA given, or the CA that signed this CRL",
                        crl.origin, crl.issuer
                    ),
                )
                .on_file(&crl.origin),
            );
        } else if at >= crl.next_update {
            self.findings.push(
                Finding::new(
                    Code::CrlExpired,
                    format!(
                        "{} of \"{}\" was due to be replaced at {} ({} days before {}): it is still used, but certificates revoked since are missing from it; fetch the CA's current CRL",
                        crl.origin,
                        crl.issuer,
                        rfc3339(crl.next_update),
                        days_between(crl.next_update, at),
                        rfc3339(at)
                    ),
                )
                .on_file(&crl.origin),
            );
        }
        self.crls.push(crl);
    }

    /// The lists to use: those a CA given signed.
    pub fn usable(&self) -> impl Iterator<Item = &Crl> {
        self.crls.iter().filter(|c| c.signed_by.is_some())
    }

    /// The lists to hand rustls-webpki's path building for a path through `certs`: the
    /// usable lists when one of them names one of the certificates, else none. webpki checks
    /// a list's signature again at every lookup; the lists here were checked once, when they
    /// were read, so a path with nothing revoked on it is built without them, to the same
    /// outcome (a certificate no list names is not revoked), at half the cost per certificate.
    pub fn engine_lists<'a>(
        &self,
        certs: impl IntoIterator<Item = &'a Cert>,
    ) -> Vec<&CertRevocationList<'static>> {
        if certs.into_iter().any(|c| self.revocation_of(c).is_some()) {
            self.usable().map(|c| &c.list).collect()
        } else {
            Vec::new()
        }
    }

    /// Whether a usable list of `cert`'s issuer names it.
    pub fn revocation_of(&self, cert: &Cert) -> Option<Revocation> {
        self.usable()
            .filter(|crl| crl.issuer_der == cert.issuer_der)
            .find_map(|crl| {
                // The owned list was fully parsed when it was read: the lookup cannot fail.
                let entry = crl.list.find_serial(&cert.serial_raw).ok().flatten()?;
                Some(Revocation {
                    date: unix(entry.revocation_date),
                    reason: entry.reason_code.map(reason_name),
                    crl: crl.origin.clone(),
                })
            })
    }

    pub fn is_empty(&self) -> bool {
        self.crls.is_empty() && self.findings.is_empty()
    }
}

/// Reads one CRL: webpki must accept it (it refuses v1 lists, lists without nextUpdate,
/// delta and indirect lists); Err says why not, in words.
fn read_crl(der: &[u8], origin: &str, issuers: &[&Cert]) -> Result<Crl, String> {
    let parsed = CertificateRevocationList::from_der(der);
    let list = OwnedCertRevocationList::from_der(der).map_err(|e| {
        // A list that parses but lacks what RFC 5280 requires is named by what it lacks:
        // the engine's own words ("malformed extensions") send the reader looking for a
        // fault in extensions that are not there.
        let lacking = match e {
            webpki::Error::MalformedExtensions => {
                parsed.as_ref().ok().and_then(|(_, p)| missing_extensions(p))
            }
            _ => None,
        };
        match lacking {
            Some(lacking) => format!(
                "holds a CRL without {lacking}, which RFC 5280 (section 5.2) requires in every CRL: rustls-webpki refuses it (OpenSSL accepts it); have the CA issue its CRL with a CRL number and an authority key identifier"
            ),
            None => format!(
                "holds a CRL that rustls-webpki cannot use ({})",
                crl_words(&e)
            ),
        }
    })?;
    let (_, parsed) = parsed.map_err(|e| format!("holds a CRL that does not parse ({e})"))?;
    let issuer_der = parsed.issuer().as_raw().to_vec();
    let issuer = parsed
        .issuer()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| parsed.issuer().to_string());
    // webpki refuses a list without nextUpdate, so it is there.
    let next_update = parsed.next_update().map_or(i64::MAX, |t| t.timestamp());
    let signed_by = issuers
        .iter()
        .filter(|ca| ca.subject_der == issuer_der)
        .find(|ca| {
            SubjectPublicKeyInfo::from_der(&ca.key.spki_der)
                .is_ok_and(|(_, spki)| parsed.verify_signature(&spki).is_ok())
        })
        .map(|ca| ca.display_name().to_string());
    Ok(Crl {
        origin: origin.to_string(),
        issuer,
        issuer_der,
        this_update: parsed.last_update().timestamp(),
        next_update,
        revoked: parsed.iter_revoked_certificates().count(),
        signed_by,
        list: CertRevocationList::Owned(list),
    })
}

/// Why webpki refuses a CRL, in words; the engine's translation for what is not particular
/// to CRLs.
fn crl_words(error: &webpki::Error) -> String {
    use webpki::Error as E;
    let words = match error {
        E::UnsupportedCrlVersion => "it is not an X.509 v2 CRL",
        E::UnsupportedDeltaCrl => "it is a delta CRL, and only complete CRLs are used",
        E::UnsupportedIndirectCrl => "it is an indirect CRL, issued for another CA",
        E::InvalidCrlNumber => "its CRL number is not a non-negative integer of at most 20 bytes",
        E::UnsupportedCrlIssuingDistributionPoint => {
            "its issuing distribution point is of a kind not supported"
        }
        E::UnsupportedRevocationReason => "an entry gives a revocation reason not defined",
        E::UnsupportedRevocationReasonsPartitioning => {
            "it covers only some revocation reasons (a partitioned CRL)"
        }
        _ => return super::engine::words_of(error),
    };
    words.to_string()
}

/// The extensions RFC 5280 section 5.2 requires of every CRL that `crl` lacks, in words;
/// None when it has both.
fn missing_extensions(crl: &CertificateRevocationList<'_>) -> Option<String> {
    use x509_parser::oid_registry::{
        OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_CRL_NUMBER,
    };
    let extensions = crl.extensions();
    let has = |oid| extensions.iter().any(|e| e.oid == oid);
    let number = has(OID_X509_EXT_CRL_NUMBER);
    let authority = has(OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER);
    let none = if extensions.is_empty() {
        "any extension: "
    } else {
        ""
    };
    match (number, authority) {
        (true, true) => None,
        (false, false) => Some(format!(
            "{none}no CRL number and no authority key identifier"
        )),
        (false, true) => Some("a CRL number".to_string()),
        (true, false) => Some("an authority key identifier".to_string()),
    }
}

fn unix(t: UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}

/// RFC 5280's name of a revocation reason (section 5.3.1).
fn reason_name(reason: RevocationReason) -> &'static str {
    match reason {
        RevocationReason::Unspecified => "unspecified",
        RevocationReason::KeyCompromise => "keyCompromise",
        RevocationReason::CaCompromise => "cACompromise",
        RevocationReason::AffiliationChanged => "affiliationChanged",
        RevocationReason::Superseded => "superseded",
        RevocationReason::CessationOfOperation => "cessationOfOperation",
        RevocationReason::CertificateHold => "certificateHold",
        RevocationReason::RemoveFromCrl => "removeFromCRL",
        RevocationReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        RevocationReason::AaCompromise => "aACompromise",
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SigningKey,
        PKCS_ECDSA_P256_SHA256,
    };

    use super::*;

    /// A DER element: tag, definite length, content.
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let length = content.len();
        if length < 0x80 {
            out.push(length as u8);
        } else {
            let bytes: Vec<u8> = length
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }

    /// A v2 CRL by `key` for the CA named `issuer` (DER), nothing revoked, with the
    /// extensions block `extensions` (DER, [0] included) or none at all.
    fn crl(issuer: &[u8], key: &KeyPair, extensions: Option<Vec<u8>>) -> Vec<u8> {
        // ecdsa-with-SHA256
        let algorithm = der(
            0x30,
            &der(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]),
        );
        let mut tbs = [
            der(0x02, &[1]),
            algorithm.clone(),
            issuer.to_vec(),
            der(0x17, b"260101000000Z"),
            der(0x17, b"270101000000Z"),
        ]
        .concat();
        tbs.extend(extensions.unwrap_or_default());
        let tbs = der(0x30, &tbs);
        let mut bits = vec![0];
        bits.extend(key.sign(&tbs).expect("signs"));
        der(0x30, &[tbs, algorithm, der(0x03, &bits)].concat())
    }

    fn ca() -> (Cert, KeyPair) {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "CRL Test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("self-signed");
        (Cert::from_der(cert.der(), "ca.pem").expect("parses"), key)
    }

    #[test]
    fn a_crl_without_extensions_is_named_by_what_it_lacks() {
        let (ca, key) = ca();
        let at = 1_780_000_000; // 2026-05-28, inside the lists' validity
        let mut crls = Crls::none();
        crls.add_file("bare.crl", &crl(&ca.subject_der, &key, None), &[&ca], at);
        assert_eq!(crls.findings.len(), 1);
        let finding = &crls.findings[0];
        assert_eq!(finding.code, Code::CrlUnreadable);
        for words in [
            "bare.crl holds a CRL without any extension: no CRL number and no authority key identifier",
            "RFC 5280 (section 5.2) requires",
            "OpenSSL accepts it",
        ] {
            assert!(finding.message.contains(words), "{words:?} in {}", finding.message);
        }
        assert!(
            !finding.message.contains("malformed"),
            "{}",
            finding.message
        );

        // The same list with a CRL number is used: the builder above makes valid lists.
        let number = der(
            0x30,
            &[der(0x06, &[0x55, 0x1d, 0x14]), der(0x04, &der(0x02, &[7]))].concat(),
        );
        let extensions = der(0xa0, &der(0x30, &number));
        let mut crls = Crls::none();
        let bytes = crl(&ca.subject_der, &key, Some(extensions));
        crls.add_file("numbered.crl", &bytes, &[&ca], at);
        assert!(crls.findings.is_empty(), "{:?}", crls.findings);
        assert_eq!(crls.usable().count(), 1);
    }
}
