//! One parsed certificate: every field a report shows, owned, computed once.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid2sn, oid_registry};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519, OID_SIG_ED448,
};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::when::{days_between, rfc3339};

/// A subject alternative name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct San {
    /// "dns", "ip", "email", "uri" or "other".
    pub kind: &'static str,
    pub value: String,
}

/// The public key, described without its material.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// "RSA", "EC", "Ed25519", "Ed448", "DSA" or the algorithm's OID.
    pub algorithm: String,
    pub bits: u32,
    /// The named curve for EC keys ("P-256", "P-384", "P-521" or the OID).
    pub curve: Option<String>,
    /// SHA-256 over the DER SubjectPublicKeyInfo, lowercase hex.
    pub sha256: String,
    #[serde(skip)]
    pub spki_der: Vec<u8>,
}

impl KeyInfo {
    /// Parses a DER SubjectPublicKeyInfo; returns None if it is not one.
    pub fn from_spki_der(spki_der: &[u8]) -> Option<KeyInfo> {
        let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der).ok()?;
        Some(KeyInfo::from_spki(&spki))
    }

    fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> KeyInfo {
        let oid = &spki.algorithm.algorithm;
        let mut curve = None;
        let (algorithm, bits) = if *oid == OID_PKCS1_RSAENCRYPTION {
            let bits = match spki.parsed() {
                Ok(PublicKey::RSA(rsa)) => significant_bits(rsa.modulus),
                _ => 0,
            };
            ("RSA".to_string(), bits)
        } else if *oid == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let named = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let (name, bits) = match named {
                Some(c) if c == OID_EC_P256 => ("P-256".to_string(), 256),
                Some(c) if c == OID_NIST_EC_P384 => ("P-384".to_string(), 384),
                Some(c) if c == OID_NIST_EC_P521 => ("P-521".to_string(), 521),
                Some(c) => {
                    let bits = match spki.parsed() {
                        Ok(PublicKey::EC(point)) => point.key_size() as u32,
                        _ => 0,
                    };
                    (oid_name(&c), bits)
                }
                None => ("explicit parameters".to_string(), 0),
            };
            curve = Some(name);
            ("EC".to_string(), bits)
        } else if *oid == OID_SIG_ED25519 {
            ("Ed25519".to_string(), 256)
        } else if *oid == OID_SIG_ED448 {
            ("Ed448".to_string(), 456)
        } else {
            let bits = spki.parsed().map(|k| k.key_size() as u32).unwrap_or(0);
            (oid_name(oid), bits)
        };
        KeyInfo {
            algorithm,
            bits,
            curve,
            sha256: sha256_hex(spki.raw),
            spki_der: spki.raw.to_vec(),
        }
    }

    /// "RSA 2048", "EC P-256", "Ed25519".
    pub fn describe(&self) -> String {
        match (&self.curve, self.algorithm.as_str()) {
            (Some(curve), _) => format!("EC {curve}"),
            (None, "RSA" | "DSA") => format!("{} {}", self.algorithm, self.bits),
            (None, _) => self.algorithm.clone(),
        }
    }

    /// Why AWS IoT (and sound practice) would refuse this key, if it would.
    pub fn weakness(&self) -> Option<String> {
        match self.algorithm.as_str() {
            "RSA" if self.bits < 2048 => Some(format!(
                "RSA {} bits is too small: AWS IoT and current TLS stacks require RSA keys of at least 2048 bits",
                self.bits
            )),
            "RSA" | "Ed25519" => None,
            "EC" => match self.curve.as_deref() {
                Some("P-256" | "P-384" | "P-521") => None,
                other => Some(format!(
                    "curve {} is not one AWS IoT accepts (P-256, P-384, P-521)",
                    other.unwrap_or("?")
                )),
            },
            other => Some(format!(
                "{other} keys are not accepted by AWS IoT (RSA >= 2048, ECC P-256/P-384/P-521)"
            )),
        }
    }
}

/// A parsed certificate. Built once from DER; every later step reads these fields.
#[derive(Clone, Debug)]
pub struct Cert {
    pub der: Vec<u8>,
    /// Where it came from: "file", "file#2", "served #1", "embedded", ...
    pub origin: String,
    pub version: u32,
    pub subject: String,
    pub subject_cn: Option<String>,
    pub issuer: String,
    pub issuer_cn: Option<String>,
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
    pub serial: String,
    /// The serial number's DER INTEGER content, as CRLs list it.
    pub serial_raw: Vec<u8>,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub sans: Vec<San>,
    pub key: KeyInfo,
    pub signature_algorithm: String,
    /// The basicConstraints cA flag; None when the extension is absent.
    pub ca: Option<bool>,
    pub path_len: Option<u32>,
    /// None when the extension is absent.
    pub key_usage: Option<Vec<String>>,
    pub key_cert_sign: Option<bool>,
    /// None when the extension is absent (any usage allowed).
    pub extended_key_usage: Option<Vec<String>>,
    pub eku_server_auth: Option<bool>,
    pub eku_client_auth: Option<bool>,
    pub ski: Option<String>,
    pub aki: Option<String>,
    pub has_name_constraints: bool,
    /// OIDs of critical extensions that rustls-webpki does not process.
    pub unsupported_critical: Vec<String>,
    /// An extension that did not parse (x509-parser's words).
    pub extension_error: Option<String>,
    pub sha256: String,
    /// Subject equals issuer and the certificate's own key verifies its signature; checked
    /// on first use, since the signature check is the costliest step of parsing.
    self_signed: std::sync::OnceLock<bool>,
}

impl Cert {
    /// Parses DER; Err carries x509-parser's words. `origin` names the source for messages.
    pub fn from_der(der: &[u8], origin: impl Into<String>) -> Result<Cert, String> {
        let (_, x509) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let tbs = &x509.tbs_certificate;
        let mut cert = Cert {
            der: der.to_vec(),
            origin: origin.into(),
            version: tbs.version.0 + 1,
            subject: tbs.subject.to_string(),
            subject_cn: common_name(&tbs.subject),
            issuer: tbs.issuer.to_string(),
            issuer_cn: common_name(&tbs.issuer),
            subject_der: tbs.subject.as_raw().to_vec(),
            issuer_der: tbs.issuer.as_raw().to_vec(),
            serial: colon_hex(tbs.raw_serial()),
            serial_raw: tbs.raw_serial().to_vec(),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            sans: Vec::new(),
            key: KeyInfo::from_spki(&tbs.subject_pki),
            signature_algorithm: oid_name(&x509.signature_algorithm.algorithm),
            ca: None,
            path_len: None,
            key_usage: None,
            key_cert_sign: None,
            extended_key_usage: None,
            eku_server_auth: None,
            eku_client_auth: None,
            ski: None,
            aki: None,
            has_name_constraints: false,
            unsupported_critical: Vec::new(),
            extension_error: None,
            sha256: sha256_hex(der),
            self_signed: std::sync::OnceLock::new(),
        };
        for ext in tbs.extensions() {
            cert.read_extension(ext);
        }
        Ok(cert)
    }

    fn read_extension(&mut self, ext: &x509_parser::extensions::X509Extension<'_>) {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                self.sans = san.general_names.iter().map(san_of).collect();
            }
            ParsedExtension::BasicConstraints(bc) => {
                self.ca = Some(bc.ca);
                self.path_len = bc.path_len_constraint;
            }
            ParsedExtension::KeyUsage(ku) => {
                self.key_usage = Some(
                    ku.to_string()
                        .split(", ")
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                );
                self.key_cert_sign = Some(ku.key_cert_sign());
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                let mut names = Vec::new();
                for (on, name) in [
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                    (eku.code_signing, "codeSigning"),
                    (eku.email_protection, "emailProtection"),
                    (eku.time_stamping, "timeStamping"),
                    (eku.ocsp_signing, "OCSPSigning"),
                    (eku.any, "anyExtendedKeyUsage"),
                ] {
                    if on {
                        names.push(name.to_string());
                    }
                }
                names.extend(eku.other.iter().map(|o| o.to_id_string()));
                self.extended_key_usage = Some(names);
                self.eku_server_auth = Some(eku.server_auth);
                self.eku_client_auth = Some(eku.client_auth);
            }
            ParsedExtension::SubjectKeyIdentifier(ki) => self.ski = Some(colon_hex(ki.0)),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                self.aki = aki.key_identifier.as_ref().map(|ki| colon_hex(ki.0));
            }
            ParsedExtension::NameConstraints(_) => self.has_name_constraints = true,
            ParsedExtension::ParseError { error } => {
                self.extension_error = Some(format!("extension {}: {error}", oid_name(&ext.oid)));
            }
            _ => {}
        }
        if ext.critical && !webpki_processes(&ext.oid.to_id_string()) {
            self.unsupported_critical.push(ext.oid.to_id_string());
        }
    }

    /// Subject equals issuer and the certificate's own key verifies its signature.
    pub fn self_signed(&self) -> bool {
        *self.self_signed.get_or_init(|| {
            self.subject_der == self.issuer_der
                && X509Certificate::from_der(&self.der)
                    .is_ok_and(|(_, x509)| x509.verify_signature(None).is_ok())
        })
    }

    /// The CN, or the whole subject when there is none.
    pub fn display_name(&self) -> &str {
        self.subject_cn.as_deref().unwrap_or(&self.subject)
    }

    pub fn issuer_display_name(&self) -> &str {
        self.issuer_cn.as_deref().unwrap_or(&self.issuer)
    }

    /// True when `issuer` could have issued `self` by name (and by key id when both exist).
    pub fn names_issuer(&self, issuer: &Cert) -> bool {
        if self.issuer_der != issuer.subject_der {
            return false;
        }
        match (&self.aki, &issuer.ski) {
            (Some(aki), Some(ski)) => aki == ski,
            _ => true,
        }
    }

    /// Checks this certificate's signature with `issuer`'s public key.
    pub fn signature_check(&self, issuer: &Cert) -> Result<(), SignatureFailure> {
        let (_, x509) =
            X509Certificate::from_der(&self.der).map_err(|_| SignatureFailure::Malformed)?;
        let (_, spki) = SubjectPublicKeyInfo::from_der(&issuer.key.spki_der)
            .map_err(|_| SignatureFailure::Malformed)?;
        match x509.verify_signature(Some(&spki)) {
            Ok(()) => Ok(()),
            Err(x509_parser::error::X509Error::SignatureUnsupportedAlgorithm) => {
                Err(SignatureFailure::UnsupportedAlgorithm)
            }
            Err(_) => Err(SignatureFailure::Invalid),
        }
    }

    /// The extended key usages as one line, "-" when the extension is absent.
    pub fn extended_key_usage_text(&self) -> String {
        self.extended_key_usage
            .as_ref()
            .map_or("-".to_string(), |ekus| ekus.join(", "))
    }

    /// True for a certificate that may issue others (basicConstraints cA).
    pub fn is_ca(&self) -> bool {
        self.ca == Some(true)
    }

    pub fn is_valid_at(&self, at: i64) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    /// Where `at` falls in this certificate's validity; within `warn_days` of its end, it
    /// expires soon.
    pub fn validity_at(&self, at: i64, warn_days: u32) -> Validity {
        if at > self.not_after {
            Validity::Expired
        } else if at < self.not_before {
            Validity::NotYetValid
        } else if self.not_after - at < i64::from(warn_days) * 86_400 {
            Validity::ExpiresSoon
        } else {
            Validity::Valid
        }
    }

    /// "expired: checked at T, not after U, 41 days ago", and likewise for the other states.
    pub fn validity_words(&self, at: i64) -> String {
        match self.validity_at(at, 0) {
            Validity::Expired => format!(
                "expired: checked at {}, not after {}, {} days ago",
                rfc3339(at),
                rfc3339(self.not_after),
                days_between(self.not_after, at)
            ),
            Validity::NotYetValid => format!(
                "not yet valid: checked at {}, not before {}, {} days ahead",
                rfc3339(at),
                rfc3339(self.not_before),
                days_between(at, self.not_before)
            ),
            Validity::ExpiresSoon | Validity::Valid => format!(
                "expires {} ({} days left)",
                rfc3339(self.not_after),
                days_between(at, self.not_after)
            ),
        }
    }
}

/// Certificates that expire within this many days are worth a warning, unless `--warn-days`
/// says otherwise.
pub const DEFAULT_WARN_DAYS: u32 = 30;

/// Where an instant falls in a certificate's validity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    ExpiresSoon,
    Expired,
    NotYetValid,
}

/// Why a link's signature does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureFailure {
    Invalid,
    UnsupportedAlgorithm,
    Malformed,
}

/// The critical extensions rustls-webpki understands (id-ce 15, 17, 19, 30, 31, 37).
fn webpki_processes(oid: &str) -> bool {
    matches!(
        oid,
        "2.5.29.15" | "2.5.29.17" | "2.5.29.19" | "2.5.29.30" | "2.5.29.31" | "2.5.29.37"
    )
}

/// A distinguished name in DER (a handshake's acceptable CA name, say), written as a
/// certificate's subject is; None when it does not parse.
pub fn distinguished_name(der: &[u8]) -> Option<String> {
    x509_parser::x509::X509Name::from_der(der)
        .ok()
        .map(|(_, name)| name.to_string())
}

pub(super) fn common_name(name: &x509_parser::x509::X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

fn san_of(name: &GeneralName<'_>) -> San {
    let (kind, value) = match name {
        GeneralName::DNSName(d) => ("dns", d.to_string()),
        GeneralName::IPAddress(bytes) => ("ip", ip_text(bytes)),
        GeneralName::RFC822Name(e) => ("email", e.to_string()),
        GeneralName::URI(u) => ("uri", u.to_string()),
        other => ("other", other.to_string()),
    };
    San { kind, value }
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => hex::encode(bytes),
    }
}

pub(super) fn oid_name(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    oid2sn(oid, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| oid.to_id_string())
}

/// Bits in a big-endian unsigned integer, ignoring leading zero bytes and bits.
fn significant_bits(be: &[u8]) -> u32 {
    let trimmed: &[u8] = match be.iter().position(|&b| b != 0) {
        Some(first) => &be[first..],
        None => return 0,
    };
    trimmed.len() as u32 * 8 - trimmed[0].leading_zeros()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_bits_ignores_sign_byte() {
        assert_eq!(significant_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(significant_bits(&[0x01, 0xff]), 9);
        assert_eq!(significant_bits(&[]), 0);
    }
}
