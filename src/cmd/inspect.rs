//! `iotcheck inspect`: shows what files hold, without a trust decision. Never prints key
//! material: keys are described by type, size and public-key fingerprint.

use std::fmt::Write;

use serde::Serialize;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::app::Outcome;
use crate::chain::{Cert, KeyInfo};
use crate::error::{Error, InputError};
use crate::keys::PrivateKey;
use crate::report::json;
use crate::report::{human, CertView, KeyView, SCHEMA_VERSION};
use crate::source::{self, Hygiene, Input, Kind, Object};
use crate::when::rfc3339;

pub struct Settings {
    pub inputs: Vec<Input>,
    /// For days-left figures only.
    pub at: i64,
    pub json: bool,
}

#[derive(Serialize)]
struct InspectJson {
    schema_version: u32,
    command: &'static str,
    files: Vec<FileView>,
}

#[derive(Serialize)]
struct FileView {
    file: String,
    format: &'static str,
    hygiene: HygieneView,
    objects: Vec<ObjectView>,
}

#[derive(Serialize)]
struct HygieneView {
    crlf: bool,
    bom: bool,
    text_outside_blocks: bool,
}

/// One object; exactly one of the optional members is set, matching `kind`.
#[derive(Serialize)]
pub struct ObjectView {
    position: usize,
    kind: &'static str,
    /// Plain words: "a private key (PKCS#8)".
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate: Option<CertView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    csr: Option<CsrView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<KeyObjectView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    crl: Option<CrlView>,
}

#[derive(Serialize)]
pub struct CsrView {
    pub subject: String,
    pub subject_cn: Option<String>,
    pub public_key: Option<KeyView>,
    pub signature_algorithm: String,
    /// The CSR's self-signature verifies with its own public key.
    pub signature_valid: bool,
}

#[derive(Serialize)]
struct KeyObjectView {
    /// "pkcs8", "pkcs1", "sec1", "encrypted" or "spki" (a public key).
    encoding: &'static str,
    /// The public key; None when the key is encrypted or could not be loaded.
    public_key: Option<KeyView>,
    /// Why the key could not be loaded, if it could not.
    error: Option<String>,
}

#[derive(Serialize)]
struct CrlView {
    issuer: String,
    this_update: String,
    next_update: Option<String>,
    revoked: usize,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let mut files = Vec::new();
    for input in &settings.inputs {
        let loaded = source::read(input)?;
        let objects = loaded
            .objects
            .iter()
            .map(|o| object_view(o, loaded.objects.len(), settings.at))
            .collect::<Result<Vec<_>, _>>()?;
        files.push(FileView {
            file: loaded.file.clone(),
            format: match loaded.format {
                source::Format::Pem => "pem",
                source::Format::Der => "der",
            },
            hygiene: hygiene_view(&loaded.hygiene),
            objects,
        });
    }
    let stdout = if settings.json {
        json::to_line(&InspectJson {
            schema_version: SCHEMA_VERSION,
            command: "inspect",
            files,
        })
    } else {
        render(&files)
    };
    Ok(Outcome::new(stdout, true))
}

fn hygiene_view(h: &Hygiene) -> HygieneView {
    HygieneView {
        crlf: h.crlf,
        bom: h.bom,
        text_outside_blocks: h.text_outside_blocks,
    }
}

fn object_view(object: &Object, in_file: usize, at: i64) -> Result<ObjectView, InputError> {
    let mut view = ObjectView {
        position: object.position,
        kind: object.kind.code(),
        description: object.kind.describe(),
        certificate: None,
        csr: None,
        key: None,
        crl: None,
    };
    let origin = object.origin(in_file);
    match &object.kind {
        Kind::Certificate => {
            let cert = Cert::from_der(&object.der, origin.clone())
                .map_err(|e| InputError::new(origin, format!("not a valid certificate ({e})")))?;
            view.certificate = Some(CertView::of(&cert, object.position - 1, "certificate", at));
        }
        Kind::CertificateRequest => view.csr = csr_view(&object.der),
        Kind::PrivateKey(format) => {
            let (public_key, error) = match PrivateKey::load(*format, &object.der) {
                Ok(key) => (Some(KeyView::of(&key.public)), None),
                Err(e) => (None, Some(e)),
            };
            view.key = Some(KeyObjectView {
                encoding: match format {
                    source::KeyFormat::Pkcs8 => "pkcs8",
                    source::KeyFormat::Pkcs1 => "pkcs1",
                    source::KeyFormat::Sec1 => "sec1",
                },
                public_key,
                error,
            });
        }
        Kind::EncryptedPrivateKey => {
            view.key = Some(KeyObjectView {
                encoding: "encrypted",
                public_key: None,
                error: Some("encrypted: a passphrase is needed to read it".to_string()),
            })
        }
        Kind::PublicKey => {
            view.key = Some(KeyObjectView {
                encoding: "spki",
                public_key: KeyInfo::from_spki_der(&object.der).map(|k| KeyView::of(&k)),
                error: None,
            })
        }
        Kind::Crl => {
            if let Ok((_, crl)) = CertificateRevocationList::from_der(&object.der) {
                view.crl = Some(CrlView {
                    issuer: crl.issuer().to_string(),
                    this_update: rfc3339(crl.last_update().timestamp()),
                    next_update: crl.next_update().map(|t| rfc3339(t.timestamp())),
                    revoked: crl.iter_revoked_certificates().count(),
                });
            }
        }
        Kind::Other(_) => {}
    }
    Ok(view)
}

/// Parses a CSR and checks its self-signature.
pub fn csr_view(der: &[u8]) -> Option<CsrView> {
    let (_, csr) = X509CertificationRequest::from_der(der).ok()?;
    let info = &csr.certification_request_info;
    let public_key = KeyInfo::from_spki_der(info.subject_pki.raw).map(|k| KeyView::of(&k));
    let subject_cn = info
        .subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    Some(CsrView {
        subject: info.subject.to_string(),
        subject_cn,
        public_key,
        signature_algorithm: x509_parser::objects::oid2sn(
            &csr.signature_algorithm.algorithm,
            x509_parser::objects::oid_registry(),
        )
        .map(str::to_string)
        .unwrap_or_else(|_| csr.signature_algorithm.algorithm.to_id_string()),
        signature_valid: csr.verify_signature().is_ok(),
    })
}

fn render(files: &[FileView]) -> String {
    let mut out = String::new();
    for file in files {
        let _ = writeln!(
            out,
            "{}  ({}, {} object(s))",
            human::clean(&file.file),
            file.format,
            file.objects.len()
        );
        let h = &file.hygiene;
        for (on, what) in [
            (h.bom, "starts with a UTF-8 byte-order mark"),
            (h.crlf, "has CRLF line endings"),
            (h.text_outside_blocks, "has text outside the PEM blocks"),
        ] {
            if on {
                let _ = writeln!(out, "  {} {what}", human::warn("!"));
            }
        }
        for object in &file.objects {
            let _ = writeln!(out, "\n  [{}] {}", object.position, object.description);
            if let Some(cert) = &object.certificate {
                human::cert_fields(&mut out, cert);
            }
            if let Some(csr) = &object.csr {
                human::field(&mut out, 3, "subject", &human::clean(&csr.subject));
                if let Some(k) = &csr.public_key {
                    human::field(
                        &mut out,
                        3,
                        "key",
                        &format!("{}  sha256 {}", k.describe(), k.sha256),
                    );
                }
                let sig = if csr.signature_valid {
                    human::ok("verifies")
                } else {
                    human::bad("does NOT verify")
                };
                human::field(
                    &mut out,
                    3,
                    "signature",
                    &format!("{} {sig}", csr.signature_algorithm),
                );
            }
            if let Some(key) = &object.key {
                match (&key.public_key, &key.error) {
                    (Some(k), _) => human::field(
                        &mut out,
                        3,
                        "public key",
                        &format!("{}  sha256 {}", k.describe(), k.sha256),
                    ),
                    (None, Some(e)) => human::field(&mut out, 3, "note", &human::clean(e)),
                    (None, None) => {}
                }
                if key.encoding != "spki" {
                    human::field(&mut out, 3, "secret", "private key material is never shown");
                }
            }
            if let Some(crl) = &object.crl {
                human::field(&mut out, 3, "issuer", &human::clean(&crl.issuer));
                human::field(
                    &mut out,
                    3,
                    "updates",
                    &format!(
                        "{} → {}",
                        crl.this_update,
                        crl.next_update.as_deref().unwrap_or("-")
                    ),
                );
                human::field(&mut out, 3, "revoked", &crl.revoked.to_string());
            }
        }
        out.push('\n');
    }
    out
}
