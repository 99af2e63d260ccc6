//! The device certificate and key read and linted (`verify::device`), and the identity the
//! device presents loaded when the lint found no error.

use crate::doctor::config::DeviceSettings;
use crate::doctor::facts::{file_unusable, CredentialFacts, Credentials, FileFacts, FileRole};
use crate::finding::{Code, Finding};
use crate::source::{self, Input, Loaded};
use crate::verify::crl::Crls;
use crate::verify::device::{lint, DeviceInput, KeyMode};

pub(super) fn facts(
    device: &DeviceSettings,
    files: &[FileFacts],
    at: i64,
    warn_days: u32,
) -> CredentialFacts {
    if device
        .findings
        .iter()
        .any(|f| f.code == Code::CredentialInToken)
    {
        return CredentialFacts::without(Credentials::InToken);
    }
    let (Some(cert), Some(key)) = (&device.cert, &device.key) else {
        return CredentialFacts::without(Credentials::NotNamed);
    };
    if file_unusable(files, FileRole::Certificate) || file_unusable(files, FileRole::Key) {
        return CredentialFacts::without(Credentials::Unreadable);
    }
    let cert_input = Input::Path(cert.path.value.clone());
    let key_input = Input::Path(key.path.value.clone());
    let read = |input: &Input, what: &str, code: Code| -> Result<Loaded, Finding> {
        source::read_expecting(input, what)
            .map_err(|e| Finding::new(code, e.to_string()).on_file(&input.name()))
    };
    let (cert_file, key_file) = match (
        read(
            &cert_input,
            "a device certificate",
            Code::CertFileNotCertificate,
        ),
        read(&key_input, "a private key", Code::KeyFileNotKey),
    ) {
        (Ok(c), Ok(k)) => (c, k),
        (c, k) => {
            let findings = [c.err(), k.err()].into_iter().flatten().collect();
            return CredentialFacts::without(Credentials::NotLoaded(findings));
        }
    };
    let key_mode = files
        .iter()
        .find(|f| f.role == FileRole::Key)
        .and_then(|f| f.mode)
        .map_or(KeyMode::Unknown, KeyMode::File);
    let judgement = lint(&DeviceInput {
        cert_file: &cert_file,
        key_file: &key_file,
        key_mode,
        anchors: None,
        thing: device.thing.as_ref().map(|t| t.value.as_str()),
        at,
        warn_days,
        crls: &Crls::none(),
    });
    let certificates = cert_file
        .of_kind(&source::Kind::Certificate)
        .map(|o| o.der.clone())
        .collect();
    match judgement {
        Err(e) => CredentialFacts {
            certificates,
            ..CredentialFacts::without(Credentials::NotLoaded(vec![Finding::new(
                Code::CertFileNotCertificate,
                e.to_string(),
            )
            .on_file(&cert_input.name())]))
        },
        Ok(judgement) => {
            // A device with a broken pair fails its handshakes for that reason: the pair is
            // presented only when the lint found no error.
            let identity = if judgement.findings.iter().any(Finding::is_error) {
                None
            } else {
                super::probe::identity(&cert_input, &key_input)
            };
            CredentialFacts {
                state: Credentials::Linted(judgement.findings),
                device: judgement.chain.map(|c| c.leaf().clone()),
                certificates,
                identity,
            }
        }
    }
}
