//! `iotcheck inspect`: shows what files hold, without a trust decision. Never prints key
//! material: keys are described by type, size and public-key fingerprint.

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::app::Outcome;
use crate::chain::{Cert, KeyInfo};
use crate::error::{Error, InputError};
use crate::keys::PrivateKey;
use crate::report::inspect::{
    self, CrlView, CsrView, FileView, HygieneView, InspectReport, KeyObjectView, ObjectView,
};
use crate::report::{json_line, CertView, KeyView, SCHEMA_VERSION};
use crate::source::{self, Hygiene, Input, Kind, Object};
use crate::when::rfc3339;

pub struct Settings {
    pub inputs: Vec<Input>,
    /// For days-left figures only.
    pub at: i64,
    pub json: bool,
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
    let report = InspectReport {
        schema_version: SCHEMA_VERSION,
        command: "inspect",
        files,
    };
    let stdout = if settings.json {
        json_line(&report)
    } else {
        inspect::render(&report)
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
