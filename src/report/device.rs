//! The `device` report: the certificate, the key (never its material) and the device CA,
//! with the lint's findings; serialised as JSON as it is, and drawn as text.

use std::fmt::Write;

use serde::{Serialize, Serializer};

use super::{human, CertView, KeyView, SCHEMA_VERSION};
use crate::finding::{Finding, Severity, Verdict};
use crate::source::{Format, KeyFormat};
use crate::verify::device::{DeviceJudgement, KeyEncoding};
use crate::when::rfc3339;

/// `device --json`, and what the text shows.
#[derive(Serialize)]
pub struct DeviceReport {
    pub schema_version: u32,
    pub command: &'static str,
    pub verdict: Verdict,
    pub checked_at: String,
    /// The device certificate; None when the certificate file holds none.
    pub certificate: Option<CertView>,
    pub key: KeyReport,
    /// Present when `--ca` was given.
    pub device_ca: Option<CaReport>,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub cert_file: String,
}

#[derive(Serialize)]
pub struct KeyReport {
    pub file: String,
    /// "pkcs8", "pkcs1", "sec1", "encrypted", or None when the file holds no private key.
    #[serde(serialize_with = "encoding_code")]
    pub encoding: Option<KeyEncoding>,
    /// "pem" or "der".
    pub format: &'static str,
    /// The public half of the key; None when it could not be loaded.
    pub public_key: Option<KeyView>,
    /// The file's mode as four octal digits; None for standard input.
    pub permissions: Option<String>,
    /// None when there was no usable key or certificate to compare.
    pub matches_certificate: Option<bool>,
}

#[derive(Serialize)]
pub struct CaReport {
    pub files: Vec<String>,
    /// The CN (or subject) of each CA certificate given.
    pub cas: Vec<String>,
    /// The device certificate was issued by one of them.
    pub chains: bool,
}

impl DeviceReport {
    pub fn build(judgement: DeviceJudgement, cert_file: &str, at: i64) -> DeviceReport {
        let key = &judgement.key;
        DeviceReport {
            schema_version: SCHEMA_VERSION,
            command: "device",
            verdict: judgement.verdict,
            checked_at: rfc3339(at),
            certificate: judgement
                .chain
                .as_ref()
                .map(|c| CertView::of(c.leaf(), c.leaf, "leaf", at)),
            key: KeyReport {
                file: key.file.clone(),
                encoding: key.encoding,
                format: match key.format {
                    Format::Pem => "pem",
                    Format::Der => "der",
                },
                public_key: key.public.as_ref().map(KeyView::of),
                permissions: key.permissions.map(|m| format!("{m:04o}")),
                matches_certificate: key.matches_certificate,
            },
            device_ca: judgement.ca.map(|ca| CaReport {
                files: ca.files,
                cas: ca.cas,
                chains: ca.chains,
            }),
            findings: judgement.findings,
            cert_file: cert_file.to_string(),
        }
    }
}

fn encoding_code<S: Serializer>(
    encoding: &Option<KeyEncoding>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let code = encoding.map(|e| match e {
        KeyEncoding::Plain(format) => format.code(),
        KeyEncoding::Encrypted => "encrypted",
    });
    code.serialize(serializer)
}

/// The key encodings in words.
fn encoding_words(encoding: Option<KeyEncoding>) -> &'static str {
    match encoding {
        Some(KeyEncoding::Plain(KeyFormat::Pkcs8)) => "PKCS#8",
        Some(KeyEncoding::Plain(KeyFormat::Pkcs1)) => "PKCS#1",
        Some(KeyEncoding::Plain(KeyFormat::Sec1)) => "SEC1",
        Some(KeyEncoding::Encrypted) => "encrypted",
        None => "no private key",
    }
}

/// `device --brief`: the verdict line and the findings.
pub fn render_brief(report: &DeviceReport) -> String {
    let mut out = verdict(report);
    human::finding_lines(&mut out, &report.findings);
    out
}

/// The verdict line: OK or ERRORS, the certificate's name, the counts and the lead.
fn verdict(report: &DeviceReport) -> String {
    let (cert_file, certificate, findings) = (
        &report.cert_file,
        report.certificate.as_ref(),
        &report.findings,
    );
    let mut out = String::new();
    let errors = findings
        .iter()
        .filter(|l| l.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|l| l.severity == Severity::Warning)
        .count();
    let title = certificate
        .map(|c| c.subject_cn.as_deref().unwrap_or(&c.subject))
        .unwrap_or(cert_file);
    // Findings are sorted by severity: with an error, the first finding is the lead error.
    let (word, detail) = match findings.first() {
        Some(lead) if errors > 0 => (
            human::bad("ERRORS"),
            format!(
                "{errors} error(s), {warnings} warning(s), lead: {}",
                lead.code
            ),
        ),
        _ => (human::ok("OK"), format!("no errors, {warnings} warning(s)")),
    };
    let _ = writeln!(
        out,
        "{word}  {}  {}",
        human::clean(title),
        human::dim(&detail)
    );
    out
}

pub fn render(report: &DeviceReport) -> String {
    let (cert_file, certificate, key, ca, findings) = (
        &report.cert_file,
        report.certificate.as_ref(),
        &report.key,
        report.device_ca.as_ref(),
        &report.findings,
    );
    let mut out = verdict(report);
    human::field(&mut out, 0, "checked at", &report.checked_at);
    out.push('\n');

    match certificate {
        Some(cert) => {
            human::field(&mut out, 0, "certificate", &human::clean(&cert.origin));
            human::cert_fields(&mut out, cert);
        }
        None => human::field(
            &mut out,
            0,
            "certificate",
            &format!(
                "{}  {}",
                human::clean(cert_file),
                human::bad("no certificate")
            ),
        ),
    }

    let encoding = encoding_words(key.encoding);
    human::field(
        &mut out,
        0,
        "key",
        &format!(
            "{}  ({}, {encoding})",
            human::clean(&key.file),
            key.format.to_uppercase()
        ),
    );
    if let Some(public) = &key.public_key {
        human::field(
            &mut out,
            3,
            "public key",
            &format!("{}  sha256 {}", public.describe(), public.sha256),
        );
    }
    match key.matches_certificate {
        Some(true) => human::field(&mut out, 3, "matches", &human::ok("the certificate's key")),
        Some(false) => human::field(
            &mut out,
            3,
            "matches",
            &human::bad("NOT the certificate's key"),
        ),
        None => human::field(&mut out, 3, "matches", "not compared"),
    }
    let mode = match &key.permissions {
        Some(mode) if u32::from_str_radix(mode, 8).is_ok_and(|m| m & 0o077 == 0) => human::ok(mode),
        Some(mode) => human::warn(mode),
        None => "unknown".to_string(),
    };
    human::field(&mut out, 3, "permissions", &mode);
    if key.encoding.is_some() {
        human::field(&mut out, 3, "secret", "private key material is never shown");
    }

    if let Some(ca) = ca {
        let state = if ca.chains {
            human::ok("issued the certificate")
        } else {
            human::bad("did NOT issue the certificate")
        };
        let names = crate::quote::few(&ca.cas, crate::quote::FEW, ", ");
        human::field(
            &mut out,
            0,
            "device CA",
            &format!("{}  {state}", human::clean(&names)),
        );
    }
    human::findings(&mut out, findings);
    out
}
