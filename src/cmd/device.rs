//! `iotcheck device`: an offline lint of a device's certificate and private key: read both
//! files, judge them (`verify::device`), report.

use crate::chain::{self, Cert};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::report::device::{self, DeviceReport};
use crate::report::{json, Output};
use crate::source::{self, Input};
use crate::trust::Anchors;
use crate::verify::device::{lint, DeviceInput, KeyMode};
use crate::verify::Crls;

pub struct Settings {
    pub cert: Input,
    pub key: Input,
    pub ca: Vec<Input>,
    /// The CRLs of `--crl`.
    pub crl: Vec<Input>,
    pub thing: Option<String>,
    pub at: i64,
    pub warn_days: u32,
    /// Text, Brief, Quiet or Json (device has no certificates to print as PEM).
    pub output: Output,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    // Everything is read first, so that unreadable input (exit 2) wins over any finding.
    let cert_file = source::read_expecting(&settings.cert, "a device certificate")?;
    let key_file = source::read_expecting(&settings.key, "a private key")?;
    let anchors = if settings.ca.is_empty() {
        None
    } else {
        Some(Anchors::from_files(&settings.ca)?)
    };
    // A CRL is signed by the device CA given, or by a CA the certificate file carries.
    let carried: Vec<Cert> = cert_file
        .of_kind(&source::Kind::Certificate)
        .filter_map(|o| chain::parse(std::slice::from_ref(o)).ok())
        .flatten()
        .collect();
    let issuers: Vec<&Cert> = anchors
        .iter()
        .flat_map(|a| a.certs.iter())
        .chain(&carried)
        .collect();
    let crls = Crls::load(&settings.crl, &issuers, settings.at)?;
    let judgement = lint(&DeviceInput {
        cert_file: &cert_file,
        key_file: &key_file,
        key_mode: key_mode(&settings.key),
        anchors: anchors.as_ref(),
        thing: settings.thing.as_deref(),
        at: settings.at,
        warn_days: settings.warn_days,
        crls: &crls,
    })?;
    let ok = judgement.verdict.passed();
    let report = DeviceReport::build(judgement, &cert_file.file, settings.at);
    let stdout = match settings.output {
        Output::Json => json::to_line(&report),
        Output::Brief => device::render_brief(&report),
        Output::Quiet => String::new(),
        Output::Text | Output::Pem | Output::PemPath => device::render(&report),
    };
    Ok(Outcome::new(stdout, ok))
}

/// The key file's permission bits, for the lint.
fn key_mode(input: &Input) -> KeyMode {
    match input {
        Input::Stdin => KeyMode::Stdin,
        Input::Path(path) => file_mode(path).map_or(KeyMode::Unknown, KeyMode::File),
    }
}

#[cfg(unix)]
fn file_mode(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_path: &std::path::Path) -> Option<u32> {
    None
}
