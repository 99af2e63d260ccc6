//! `iotcheck device`: an offline lint of a device's certificate and private key, each finding
//! with a stable code, a severity and what to do. Key material is never shown: a key is
//! described by its type, size and public-key fingerprint only.

use std::fmt::Write;

use serde::Serialize;

use crate::app::Outcome;
use crate::chain::{self, Cert, Chain, KeyInfo, Validity};
use crate::error::{Error, InputError};
use crate::keys::PrivateKey;
use crate::report::json;
use crate::report::{human, CertView, KeyView, Lint, Severity, SCHEMA_VERSION};
use crate::source::{self, Format, Input, KeyFormat, Kind, Loaded};
use crate::trust::{Anchors, KnownRoot};
use crate::verify::{device_chain, unreadable, DeviceChain};
use crate::when::{rfc3339, Y2K};

pub struct Settings {
    pub cert: Input,
    pub key: Input,
    pub ca: Vec<Input>,
    pub thing: Option<String>,
    pub at: i64,
    pub json: bool,
}

#[derive(Serialize)]
struct DeviceJson<'a> {
    schema_version: u32,
    command: &'static str,
    /// "ok" (no error findings) or "errors".
    verdict: &'static str,
    checked_at: String,
    /// The device certificate; None when the certificate file holds none.
    certificate: Option<CertView>,
    key: &'a KeyReport,
    /// Present when `--ca` was given.
    device_ca: Option<&'a CaReport>,
    findings: &'a [Lint],
}

#[derive(Serialize)]
struct KeyReport {
    file: String,
    /// "pkcs8", "pkcs1", "sec1", "encrypted", or None when the file holds no private key.
    encoding: Option<&'static str>,
    /// "pem" or "der".
    format: &'static str,
    /// The public half of the key; None when it could not be loaded.
    public_key: Option<KeyView>,
    /// The file's mode as four octal digits; None for standard input.
    permissions: Option<String>,
    /// None when there was no usable key or certificate to compare.
    matches_certificate: Option<bool>,
}

#[derive(Serialize)]
struct CaReport {
    files: Vec<String>,
    /// The CN (or subject) of each CA certificate given.
    cas: Vec<String>,
    /// The device certificate was issued by one of them.
    chains: bool,
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

    let mut lints = Lints::default();
    let chain = certificate_file(&cert_file, &mut lints)?;
    let key = key_file_checks(&key_file, &settings.key, chain.as_ref(), &mut lints);

    let mut ca_report = None;
    if let Some(chain) = &chain {
        certificate_checks(chain.leaf(), settings, &mut lints);
        ca_report = anchors
            .as_ref()
            .map(|anchors| device_ca_check(chain, anchors, settings.at, &mut lints));
        if anchors.is_none() {
            lints.info(
                "device_ca_not_checked",
                "no --ca given, so whether the certificate chains to its device CA was not checked (only needed when you registered your own CA)".to_string(),
            );
        }
    }
    match (&chain, &key.public) {
        (Some(chain), _) => key_type_check(&chain.leaf().key, &mut lints),
        (None, Some(public)) => key_type_check(public, &mut lints),
        (None, None) => {}
    }

    let findings = lints.sorted();
    let ok = !findings.iter().any(|l| l.severity == Severity::Error);
    let certificate = chain
        .as_ref()
        .map(|c| CertView::of(c.leaf(), c.leaf, "leaf", settings.at));
    let stdout = if settings.json {
        json::to_line(&DeviceJson {
            schema_version: SCHEMA_VERSION,
            command: "device",
            verdict: if ok { "ok" } else { "errors" },
            checked_at: rfc3339(settings.at),
            certificate,
            key: &key.report,
            device_ca: ca_report.as_ref(),
            findings: &findings,
        })
    } else {
        render(
            &cert_file.file,
            certificate.as_ref(),
            &key.report,
            ca_report.as_ref(),
            &findings,
            settings.at,
        )
    };
    Ok(Outcome::new(stdout, ok))
}

/// Findings as they are found; sorted by severity (stable) at the end.
#[derive(Default)]
struct Lints(Vec<Lint>);

impl Lints {
    fn push(&mut self, severity: Severity, code: &'static str, message: String) {
        self.0.push(Lint {
            code,
            severity,
            message,
        });
    }

    fn error(&mut self, code: &'static str, message: String) {
        self.push(Severity::Error, code, message);
    }

    fn warning(&mut self, code: &'static str, message: String) {
        self.push(Severity::Warning, code, message);
    }

    fn info(&mut self, code: &'static str, message: String) {
        self.push(Severity::Info, code, message);
    }

    fn sorted(mut self) -> Vec<Lint> {
        self.0.sort_by_key(|l| l.severity);
        self.0
    }
}

/// Checks that the certificate file holds a certificate, in PEM; returns the certificates
/// it holds (the device certificate and any chain beside it).
fn certificate_file(loaded: &Loaded, lints: &mut Lints) -> Result<Option<Chain>, InputError> {
    let file = &loaded.file;
    hygiene(loaded, lints);
    let certs: Vec<&source::Object> = loaded.of_kind(&Kind::Certificate).collect();
    if certs.is_empty() {
        let (code, advice) = match loaded.objects.first().map(|o| &o.kind) {
            Some(Kind::PrivateKey(_) | Kind::EncryptedPrivateKey) => (
                "cert_file_holds_key",
                "pass the device certificate (certPath) here and the key as --key (keyPath)",
            ),
            Some(Kind::CertificateRequest) => (
                "cert_file_holds_csr",
                &*format!(
                    "a CSR is not a certificate yet: get it signed (aws iot create-certificate-from-csr --certificate-signing-request {} --set-as-active) and pass the certificate it returns",
                    shell_quote(&format!("file://{file}"))
                ),
            ),
            Some(Kind::PublicKey) => (
                "cert_file_holds_public_key",
                "a bare public key is not a certificate: pass the device certificate AWS IoT issued or registered",
            ),
            _ => (
                "cert_file_not_certificate",
                "pass the device certificate (certPath)",
            ),
        };
        lints.error(
            code,
            format!(
                "{file} holds {}, not a certificate: {advice}",
                loaded.contents_described()
            ),
        );
        return Ok(None);
    }
    if loaded.format == Format::Der {
        lints.error(
            "der_not_pem",
            format!(
                "{file} is DER (binary), and most device SDKs read only PEM: convert it with openssl x509 -inform DER -in {0} -out {0}.pem and pass the .pem file",
                shell_quote(file)
            ),
        );
    }
    if loaded
        .objects
        .iter()
        .any(|o| matches!(o.kind, Kind::PrivateKey(_) | Kind::EncryptedPrivateKey))
    {
        lints.warning(
            "key_in_cert_file",
            format!("{file} also holds a private key: certificate files are shared and readable (0644), so keep the key in its own file with mode 0600"),
        );
    }
    let certs: Vec<crate::source::Object> = certs.into_iter().cloned().collect();
    let chain = Chain::arrange(chain::parse(&certs)?);
    if chain.leaf != 0 {
        // Device TLS stacks present the first certificate of the file as theirs.
        lints.error(
            "cert_order",
            format!(
                "{file} starts with the CA certificate \"{}\"; the device certificate \"{}\" is block {}: TLS stacks send the first certificate as the device's, so put the device certificate first",
                chain.certs[0].display_name(),
                chain.leaf().display_name(),
                chain.leaf + 1
            ),
        );
    }
    Ok(Some(chain))
}

/// What the key file yielded.
struct KeyOutcome {
    report: KeyReport,
    /// The public half of the key used for the checks, when one could be loaded.
    public: Option<KeyInfo>,
}

/// Checks that the key file holds exactly one unencrypted private key, in PEM, readable by
/// its owner only, matching the certificate.
fn key_file_checks(
    loaded: &Loaded,
    input: &Input,
    chain: Option<&Chain>,
    lints: &mut Lints,
) -> KeyOutcome {
    let file = &loaded.file;
    hygiene(loaded, lints);
    let mut report = KeyReport {
        file: file.clone(),
        encoding: None,
        format: match loaded.format {
            Format::Pem => "pem",
            Format::Der => "der",
        },
        public_key: None,
        permissions: None,
        matches_certificate: None,
    };
    let cert_key = chain.map(|c| &c.leaf().key);
    let keys: Vec<&source::Object> = loaded
        .objects
        .iter()
        .filter(|o| matches!(o.kind, Kind::PrivateKey(_) | Kind::EncryptedPrivateKey))
        .collect();

    if keys.is_empty() {
        let (code, advice) = match loaded.objects.first().map(|o| &o.kind) {
            Some(Kind::Certificate) => (
                "key_file_holds_certificate",
                "pass the private key (keyPath) here: the file created with the certificate, usually named *-private.pem.key",
            ),
            Some(Kind::PublicKey) => (
                "key_file_holds_public_key",
                "a public key cannot sign: pass the private key created with the certificate (AWS shows it only once, at creation), or create a new key and CSR with iotcheck csr",
            ),
            Some(Kind::CertificateRequest) => (
                "key_file_holds_csr",
                "pass the private key the CSR was created with",
            ),
            _ => ("key_file_not_key", "pass the device's private key (keyPath)"),
        };
        lints.error(
            code,
            format!(
                "{file} holds {}, not a private key: {advice}",
                loaded.contents_described()
            ),
        );
        return KeyOutcome {
            report,
            public: None,
        };
    }

    report.permissions = permissions_check(input, file, lints);
    if loaded.format == Format::Der {
        lints.error(
            "der_not_pem",
            format!(
                "{file} is DER (binary), and most device SDKs read only PEM: convert it with openssl pkey -inform DER -in {0} -out {0}.pem (then chmod 600 it) and pass the .pem file",
                shell_quote(file)
            ),
        );
    }

    // Load every unencrypted key; with several, the one that matches the certificate is
    // the one the rest of the report is about.
    let mut loaded_keys: Vec<(usize, KeyFormat, Result<PrivateKey, String>)> = Vec::new();
    for object in &keys {
        if let Kind::PrivateKey(format) = object.kind {
            loaded_keys.push((
                object.position,
                format,
                PrivateKey::load(format, &object.der),
            ));
        }
    }
    let matching = loaded_keys
        .iter()
        .position(|(_, _, k)| match (k, cert_key) {
            (Ok(k), Some(cert_key)) => k.matches(cert_key),
            _ => false,
        });
    let chosen = matching.or(if loaded_keys.is_empty() {
        None
    } else {
        Some(0)
    });

    if keys.len() > 1 {
        let which = match matching {
            Some(i) => format!(
                "block {} matches the certificate: keep only that one",
                loaded_keys[i].0
            ),
            None => "keep only the key that matches the certificate".to_string(),
        };
        lints.error(
            "several_keys",
            format!(
                "{file} holds {} private keys, and a device reads only the first (or refuses the file): {which}",
                keys.len()
            ),
        );
    }

    let Some(chosen) = chosen else {
        // Only encrypted keys.
        report.encoding = Some("encrypted");
        lints.error(
            "key_encrypted",
            format!(
                "{file} is encrypted with a passphrase, and device SDKs cannot prompt for one: decrypt it once with openssl pkey -in {} -out device.key, chmod 600 device.key and pass that file",
                shell_quote(file)
            ),
        );
        return KeyOutcome {
            report,
            public: None,
        };
    };

    let (_, format, result) = loaded_keys.swap_remove(chosen);
    report.encoding = Some(format.code());
    let key = match result {
        Ok(key) => key,
        Err(why) => {
            let weak_cert = cert_key.is_some_and(|k| k.algorithm == "RSA" && k.bits < 2048);
            if weak_cert {
                lints.info(
                    "key_not_matched",
                    format!("{file} could not be loaded ({why}): the crypto library here refuses RSA keys under 2048 bits, like the certificate's, so the pair was not compared"),
                );
            } else {
                lints.error(
                    "key_unreadable",
                    format!("{file} holds a private key that cannot be loaded ({why}): the file is damaged or the key type is not one TLS libraries accept; use the key created with the certificate"),
                );
            }
            return KeyOutcome {
                report,
                public: None,
            };
        }
    };
    report.public_key = Some(KeyView::of(&key.public));
    if let Some(cert_key) = cert_key {
        let matches = key.matches(cert_key);
        report.matches_certificate = Some(matches);
        if !matches {
            lints.error(
                "key_mismatch",
                format!(
                    "the key does not belong to the certificate (devices log \"key values mismatch\"): the certificate holds {} sha256 {}, {file} holds {} sha256 {}; pass the key created with this certificate",
                    cert_key.describe(),
                    cert_key.sha256,
                    key.public.describe(),
                    key.public.sha256
                ),
            );
        }
    }
    KeyOutcome {
        report,
        public: Some(key.public),
    }
}

/// The key file's mode; warns when other users may read it. None for standard input.
fn permissions_check(input: &Input, file: &str, lints: &mut Lints) -> Option<String> {
    let path = match input {
        Input::Path(path) => path,
        Input::Stdin => {
            lints.info(
                "key_permissions_unknown",
                "the key came from standard input, so its file permissions were not checked: the key file should be mode 0600 or 0400".to_string(),
            );
            return None;
        }
    };
    let mode = file_mode(path)?;
    if mode & 0o077 != 0 {
        let who = match (mode & 0o070 != 0, mode & 0o007 != 0) {
            (true, true) => "its group and all other users",
            (true, false) => "its group",
            _ => "all other users",
        };
        lints.warning(
            "key_permissions",
            format!(
                "{file} (mode {mode:04o}) is open to {who}, and the AWS IoT Device Client refuses such keys: run chmod 600 {}",
                shell_quote(file)
            ),
        );
    }
    Some(format!("{mode:04o}"))
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

/// PEM text that device parsers trip over.
fn hygiene(loaded: &Loaded, lints: &mut Lints) {
    let file = &loaded.file;
    let quoted = shell_quote(file);
    if loaded.hygiene.bom {
        lints.warning(
            "pem_bom",
            format!("{file} starts with a UTF-8 byte-order mark, which many device PEM parsers reject (\"no start line\"): remove it with sed -i '1s/^\\xEF\\xBB\\xBF//' {quoted}"),
        );
    }
    if loaded.hygiene.crlf {
        lints.warning(
            "pem_crlf",
            format!("{file} has Windows (CRLF) line endings, which some device PEM parsers reject: convert it with sed -i 's/\\r$//' {quoted}"),
        );
    }
    if loaded.hygiene.text_outside_blocks {
        lints.warning(
            "pem_trailing_text",
            format!("{file} has text outside its -----BEGIN/-----END blocks, which some device parsers reject or misread: keep only the PEM blocks"),
        );
    }
}

/// The device certificate on its own: its role, validity, usage and name.
fn certificate_checks(cert: &Cert, settings: &Settings, lints: &mut Lints) {
    let at = settings.at;
    if cert.is_ca() {
        let what = match KnownRoot::find(cert) {
            Some(root) => format!("{}, the server's root (caPath)", root.label),
            None => format!("the CA certificate \"{}\"", cert.display_name()),
        };
        lints.error(
            "cert_is_ca",
            format!("the certificate file holds {what}, not a device certificate: pass the device certificate (certPath)"),
        );
    }
    if let Some(why) = unreadable(cert) {
        let version = if cert.version < 3 {
            format!(
                " it is an X.509 v{} certificate, and AWS IoT issues v3;",
                cert.version
            )
        } else {
            String::new()
        };
        lints.error(
            "malformed",
            format!("rustls-webpki cannot read the certificate ({why}):{version} strict TLS verifiers will refuse it; issue a standard X.509 v3 device certificate"),
        );
    }
    let words = cert.validity_words(at);
    match cert.validity_at(at) {
        Validity::Expired => lints.error(
            "expired",
            format!("the certificate {words}; issue a new certificate for the device"),
        ),
        Validity::NotYetValid => {
            let clock = if at < Y2K {
                "; the device clock looks unset: set it (SNTP) before connecting"
            } else {
                ""
            };
            lints.error(
                "not_yet_valid",
                format!("the certificate is {words}{clock}"),
            );
        }
        Validity::ExpiresSoon => lints.warning(
            "expires_soon",
            format!("the certificate {words}: issue its successor and register it before then"),
        ),
        Validity::Valid => {}
    }
    if cert.eku_client_auth == Some(false) {
        let ekus = cert.extended_key_usage_text();
        lints.error(
            "client_auth_not_allowed",
            format!("the certificate's extended key usage is {ekus}, without clientAuth, so it may not identify a TLS client: issue a device certificate with clientAuth (or no extended key usage)"),
        );
    }
    if let Some(thing) = &settings.thing {
        match &cert.subject_cn {
            Some(cn) if cn == thing => {}
            Some(cn) => lints.error(
                "thing_mismatch",
                format!("the certificate's CN is \"{cn}\", not the thing name \"{thing}\": policies that use the thing name (iot:Connection.Thing.ThingName) or a client id equal to it will refuse this device"),
            ),
            None => lints.error(
                "thing_mismatch",
                format!(
                    "the certificate's subject ({}) has no CN, so it cannot carry the thing name \"{thing}\"",
                    cert.subject
                ),
            ),
        }
    }
}

/// Whether the device certificate chains to the device CA given with `--ca`.
fn device_ca_check(chain: &Chain, anchors: &Anchors, at: i64, lints: &mut Lints) -> CaReport {
    let leaf = chain.leaf();
    let others = chain.others();
    let cas: Vec<String> = anchors
        .certs
        .iter()
        .map(|c| c.display_name().to_string())
        .collect();
    let verdict = device_chain(leaf, &others, anchors, at);
    let chains = match verdict {
        DeviceChain::Verified | DeviceChain::IssuedButLeafFaulty => true,
        DeviceChain::NotIssued => {
            let given = if cas.is_empty() {
                format!("{} holds no certificate", anchors.describe())
            } else {
                format!(
                    "the CA given is \"{}\" ({})",
                    cas.join("\", \""),
                    anchors.describe()
                )
            };
            lints.error(
                "device_ca_mismatch",
                format!(
                    "the certificate was issued by \"{}\", but {given}: pass the CA that issued it, or register this certificate under that CA",
                    leaf.issuer_display_name()
                ),
            );
            false
        }
        DeviceChain::Refused { code, words } => {
            lints.error(
                "device_ca_rejected",
                format!("the certificate names the CA given as its issuer, but the path is not valid for TLS client authentication ({code}: {words}): check the CA certificate's validity and constraints"),
            );
            false
        }
    };
    CaReport {
        files: match &anchors.source {
            crate::trust::AnchorSource::Files(files) => files.clone(),
            crate::trust::AnchorSource::Embedded => Vec::new(),
        },
        cas,
        chains,
    }
}

/// Key types AWS IoT accepts for device certificates: RSA of 2048 bits or more, ECC P-256,
/// P-384 and P-521. Ed25519 is refused too: AWS IoT does not list it for device certificates.
fn key_type_check(key: &KeyInfo, lints: &mut Lints) {
    let advice = "create a P-256 key and a CSR with iotcheck csr --thing NAME";
    match (key.algorithm.as_str(), key.curve.as_deref()) {
        ("RSA", _) if key.bits < 2048 => lints.error(
            "weak_key",
            format!(
                "the device key is RSA {} bits, and AWS IoT accepts RSA keys of 2048 bits or more: {advice}",
                key.bits
            ),
        ),
        ("RSA", _) | ("EC", Some("P-256" | "P-384" | "P-521")) => {}
        _ => lints.error(
            "unsupported_key_type",
            format!(
                "the device key is {}, which AWS IoT does not accept for device certificates (RSA 2048 or more, ECC P-256, P-384, P-521): {advice}",
                key.describe()
            ),
        ),
    }
}

/// A path as a shell word, so that a printed command can be pasted as it is.
pub(crate) fn shell_quote(path: &str) -> String {
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,=".contains(c));
    if plain {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    }
}

fn render(
    cert_file: &str,
    certificate: Option<&CertView>,
    key: &KeyReport,
    ca: Option<&CaReport>,
    findings: &[Lint],
    at: i64,
) -> String {
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
    let (word, detail) = if errors == 0 {
        (human::ok("OK"), format!("no errors, {warnings} warning(s)"))
    } else {
        let lead = findings.first().map_or("", |l| l.code);
        (
            human::bad("ERRORS"),
            format!("{errors} error(s), {warnings} warning(s), lead: {lead}"),
        )
    };
    let _ = writeln!(
        out,
        "{word}  {}  {}",
        human::clean(title),
        human::dim(&detail)
    );
    human::field(&mut out, 0, "checked at", &rfc3339(at));
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

    let encoding = match key.encoding {
        Some("pkcs8") => "PKCS#8",
        Some("pkcs1") => "PKCS#1",
        Some("sec1") => "SEC1",
        Some("encrypted") => "encrypted",
        _ => "no private key",
    };
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
        let names = ca.cas.join(", ");
        human::field(
            &mut out,
            0,
            "device CA",
            &format!("{}  {state}", human::clean(&names)),
        );
    }
    human::lints(&mut out, findings);
    out
}
