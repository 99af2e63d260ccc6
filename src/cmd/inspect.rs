//! `iotcheck inspect`: shows what files hold, without a trust decision. Never prints key
//! material: keys are described by type, size and public-key fingerprint, and `--pem` prints
//! certificates only.

use crate::chain::{Cert, CrlSummary, Csr, KeyInfo};
use crate::error::{Error, InputError};
use crate::keys::PrivateKey;
use crate::outcome::Outcome;
use crate::report::inspect::{self, FileView, InspectReport, ObjectView};
use crate::report::{json, pem, SCHEMA_VERSION};
use crate::source::{self, Input, Kind, Object};

pub struct Settings {
    pub inputs: Vec<Input>,
    /// For days-left figures only.
    pub at: i64,
    pub json: bool,
    /// Print the certificates as PEM (nothing else, ever).
    pub pem: bool,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let mut files = Vec::new();
    let mut certificates: Vec<Vec<u8>> = Vec::new();
    let mut left_out: Vec<String> = Vec::new();
    for input in &settings.inputs {
        let loaded = source::read(input)?;
        let count = loaded.objects.len();
        let objects = loaded
            .objects
            .iter()
            .map(|object| object_view(object, count, settings.at))
            .collect::<Result<Vec<_>, _>>()?;
        files.push(FileView::of(&loaded, objects));
        for object in loaded.objects {
            if object.kind == Kind::Certificate {
                certificates.push(object.der);
            } else {
                left_out.push(format!(
                    "{} ({})",
                    object.kind.describe(),
                    object.origin(count)
                ));
            }
        }
    }
    if settings.pem {
        let stdout = pem::certificates(certificates.iter().map(Vec::as_slice));
        let stderr = pem::inspect_note(certificates.len(), &left_out);
        return Ok(Outcome::new(stdout, true).with_stderr(stderr));
    }
    let report = InspectReport {
        schema_version: SCHEMA_VERSION,
        command: "inspect",
        files,
    };
    let stdout = if settings.json {
        json::to_line(&report)
    } else {
        inspect::render(&report)
    };
    Ok(Outcome::new(stdout, true))
}

/// One object, parsed (certificates, CSRs, CRLs, public keys) or loaded (private keys, whose
/// public half only is kept), and its view. A certificate that does not parse is local input
/// that cannot be used.
fn object_view(object: &Object, in_file: usize, at: i64) -> Result<ObjectView, InputError> {
    Ok(match &object.kind {
        Kind::Certificate => {
            let origin = object.origin(in_file);
            let cert = Cert::from_der(&object.der, origin.clone())
                .map_err(|e| InputError::new(origin, format!("not a valid certificate ({e})")))?;
            ObjectView::certificate(object, &cert, at)
        }
        Kind::CertificateRequest => ObjectView::csr(object, Csr::from_der(&object.der).as_ref()),
        Kind::PrivateKey(format) => {
            let key = PrivateKey::load(*format, &object.der);
            ObjectView::private_key(
                object,
                *format,
                key.as_ref().map(|k| &k.public).map_err(String::as_str),
            )
        }
        Kind::EncryptedPrivateKey => ObjectView::encrypted_private_key(object),
        Kind::PublicKey => {
            ObjectView::public_key(object, KeyInfo::from_spki_der(&object.der).as_ref())
        }
        Kind::Crl => ObjectView::crl(object, CrlSummary::from_der(&object.der).as_ref()),
        Kind::Other(_) => ObjectView::other(object),
    })
}
