//! The `inspect` report: what each file holds, object by object, without a trust decision.
//! Keys are described by type, size and public-key fingerprint only.

use std::fmt::Write;

use serde::Serialize;

use super::{human, CertView, KeyView};
use crate::chain::{Cert, CrlSummary, Csr, KeyInfo};
use crate::source::{self, Hygiene, KeyFormat, Loaded, Object};
use crate::when::rfc3339;

#[derive(Serialize)]
pub struct InspectReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub files: Vec<FileView>,
}

#[derive(Serialize)]
pub struct FileView {
    pub file: String,
    pub format: &'static str,
    pub hygiene: HygieneView,
    pub objects: Vec<ObjectView>,
}

#[derive(Serialize)]
pub struct HygieneView {
    pub crlf: bool,
    pub bom: bool,
    pub text_outside_blocks: bool,
}

/// One object; exactly one of the optional members is set, matching `kind`.
#[derive(Serialize)]
pub struct ObjectView {
    pub position: usize,
    pub kind: &'static str,
    /// Plain words: "a private key (PKCS#8)".
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csr: Option<CsrView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyObjectView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl: Option<CrlView>,
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
pub struct KeyObjectView {
    /// "pkcs8", "pkcs1", "sec1", "encrypted" or "spki" (a public key).
    pub encoding: &'static str,
    /// The public key; None when the key is encrypted or could not be loaded.
    pub public_key: Option<KeyView>,
    /// Why the key could not be loaded, if it could not.
    pub error: Option<String>,
}

#[derive(Serialize)]
pub struct CrlView {
    pub issuer: String,
    pub this_update: String,
    pub next_update: Option<String>,
    pub revoked: usize,
}

impl FileView {
    /// The view of one file, given the views of its objects in order.
    pub fn of(loaded: &Loaded, objects: Vec<ObjectView>) -> FileView {
        FileView {
            file: loaded.file.clone(),
            format: match loaded.format {
                source::Format::Pem => "pem",
                source::Format::Der => "der",
            },
            hygiene: hygiene_view(&loaded.hygiene),
            objects,
        }
    }
}

fn hygiene_view(h: &Hygiene) -> HygieneView {
    HygieneView {
        crlf: h.crlf,
        bom: h.bom,
        text_outside_blocks: h.text_outside_blocks,
    }
}

/// The views of one object, one for each thing a file can hold, built from what was parsed
/// or loaded of it.
impl ObjectView {
    fn bare(object: &Object) -> ObjectView {
        ObjectView {
            position: object.position,
            kind: object.kind.code(),
            description: object.kind.describe(),
            certificate: None,
            csr: None,
            key: None,
            crl: None,
        }
    }

    pub fn certificate(object: &Object, cert: &Cert, at: i64) -> ObjectView {
        ObjectView {
            certificate: Some(CertView::of(cert, object.position - 1, "certificate", at)),
            ..ObjectView::bare(object)
        }
    }

    /// A CSR; None when it does not parse.
    pub fn csr(object: &Object, csr: Option<&Csr>) -> ObjectView {
        ObjectView {
            csr: csr.map(CsrView::of),
            ..ObjectView::bare(object)
        }
    }

    /// An unencrypted private key: its public half, or why the crypto library refused it.
    pub fn private_key(
        object: &Object,
        format: KeyFormat,
        public: Result<&KeyInfo, &str>,
    ) -> ObjectView {
        let (public_key, error) = match public {
            Ok(key) => (Some(KeyView::of(key)), None),
            Err(e) => (None, Some(e.to_string())),
        };
        ObjectView {
            key: Some(KeyObjectView {
                encoding: format.code(),
                public_key,
                error,
            }),
            ..ObjectView::bare(object)
        }
    }

    pub fn encrypted_private_key(object: &Object) -> ObjectView {
        ObjectView {
            key: Some(KeyObjectView {
                encoding: "encrypted",
                public_key: None,
                error: Some("encrypted: a passphrase is needed to read it".to_string()),
            }),
            ..ObjectView::bare(object)
        }
    }

    /// A bare public key; None when it does not parse.
    pub fn public_key(object: &Object, key: Option<&KeyInfo>) -> ObjectView {
        ObjectView {
            key: Some(KeyObjectView {
                encoding: "spki",
                public_key: key.map(KeyView::of),
                error: None,
            }),
            ..ObjectView::bare(object)
        }
    }

    /// A CRL; None when it does not parse.
    pub fn crl(object: &Object, crl: Option<&CrlSummary>) -> ObjectView {
        ObjectView {
            crl: crl.map(|crl| CrlView {
                issuer: crl.issuer.clone(),
                this_update: rfc3339(crl.this_update),
                next_update: crl.next_update.map(rfc3339),
                revoked: crl.revoked,
            }),
            ..ObjectView::bare(object)
        }
    }

    /// Anything else: described, nothing more.
    pub fn other(object: &Object) -> ObjectView {
        ObjectView::bare(object)
    }
}

impl CsrView {
    pub fn of(csr: &Csr) -> CsrView {
        CsrView {
            subject: csr.subject.clone(),
            subject_cn: csr.subject_cn.clone(),
            public_key: csr.public_key.as_ref().map(KeyView::of),
            signature_algorithm: csr.signature_algorithm.clone(),
            signature_valid: csr.signature_valid,
        }
    }
}

pub fn render(report: &InspectReport) -> String {
    let files = &report.files;
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
