//! The device credential lint: the two files a device presents (its certificate and its
//! private key), judged as AWS IoT Core and the device SDKs will judge them. Every finding has
//! a code; key material is never quoted: a key is described by type, size and public-key
//! fingerprint only.

use crate::chain::{self, Cert, Chain, KeyInfo, Validity};
use crate::error::InputError;
use crate::finding::{self, Code, Finding, Subject, Verdict};
use crate::keys::PrivateKey;
use crate::quote::shell_quote;
use crate::quote::{few, FEW};
use crate::source::{self, Format, KeyFormat, Kind, Loaded};
use crate::trust::{AnchorSource, Anchors, KnownRoot};
use crate::verify::budget::MAX_SIGNATURE_CHECKS;
use crate::verify::{device_chain, signature_algorithm_accepted, unreadable, Crls, DeviceChain};
use crate::when::Y2K;

/// What the lint is given: both files read, the key file's mode, the device CA files.
pub struct DeviceInput<'a> {
    pub cert_file: &'a Loaded,
    pub key_file: &'a Loaded,
    pub key_mode: KeyMode,
    /// The device CAs of `--ca`, when given.
    pub anchors: Option<&'a Anchors>,
    /// The thing name the certificate's CN should carry.
    pub thing: Option<&'a str>,
    pub at: i64,
    /// The device certificate expiring within this many days is worth a warning.
    pub warn_days: u32,
    /// The CRLs of `--crl`, judged (none: revocation is not checked).
    pub crls: &'a Crls,
}

/// What the certificate-only checks need: the same for `device` and for each certificate of
/// `fleet`.
pub struct CertificatePolicy<'a> {
    /// The device CAs that should have issued the certificate (`--ca`).
    pub anchors: Option<&'a Anchors>,
    /// The CRLs given, looked up along the path to the device CA.
    pub crls: &'a Crls,
    /// The thing name the certificate's CN should carry.
    pub thing: Option<&'a str>,
    pub at: i64,
    pub warn_days: u32,
}

/// Where the key came from, for the permission check.
#[derive(Clone, Copy, Debug)]
pub enum KeyMode {
    /// A file with this mode (the permission bits).
    File(u32),
    /// A file whose mode is not known on this system.
    Unknown,
    Stdin,
}

/// The lint's judgement.
pub struct DeviceJudgement {
    pub verdict: Verdict,
    /// The certificate file's certificates; None when it holds none.
    pub chain: Option<Chain>,
    pub key: KeyFacts,
    /// Present when device CAs were given.
    pub ca: Option<CaFacts>,
    /// Sorted by severity, in the order found within one severity.
    pub findings: Vec<Finding>,
}

/// What the key file held.
pub struct KeyFacts {
    pub file: String,
    /// None when the file holds no private key.
    pub encoding: Option<KeyEncoding>,
    pub format: Format,
    /// The public half of the key; None when it could not be loaded.
    pub public: Option<KeyInfo>,
    /// The permission bits; None for standard input or a file without a private key.
    pub permissions: Option<u32>,
    /// None when there was nothing to compare.
    pub matches_certificate: Option<bool>,
}

/// How a private key is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyEncoding {
    Plain(KeyFormat),
    Encrypted,
}

/// Whether the device CAs given issued the certificate.
pub struct CaFacts {
    pub files: Vec<String>,
    /// The CN (or subject) of each CA certificate given.
    pub cas: Vec<String>,
    pub chains: bool,
}

/// Lints the device's certificate and key. `Err` only for a certificate that cannot be
/// parsed at all (local input, exit 2).
pub fn lint(input: &DeviceInput<'_>) -> Result<DeviceJudgement, InputError> {
    let mut lints = Lints::default();
    lints.about(Some(Subject::File(input.cert_file.file.clone())));
    let chain = certificate_file(input.cert_file, &mut lints)?;
    lints.about(Some(Subject::File(input.key_file.file.clone())));
    let key = key_file_checks(input.key_file, input.key_mode, chain.as_ref(), &mut lints);

    let mut ca = None;
    let policy = CertificatePolicy {
        anchors: input.anchors,
        crls: input.crls,
        thing: input.thing,
        at: input.at,
        warn_days: input.warn_days,
    };
    match (&chain, &key.public) {
        (Some(chain), _) => {
            ca = judge_certificate_into(chain, &policy, &mut lints);
            if input.anchors.is_none() {
                lints.about(None);
                lints.add(
                    Code::DeviceCaNotChecked,
                    "no --ca given, so whether the certificate chains to its device CA was not checked (only needed when you registered your own CA)".to_string(),
                );
            }
        }
        (None, Some(public)) => {
            lints.about(Some(Subject::File(input.key_file.file.clone())));
            key_type_check(public, &mut lints)
        }
        (None, None) => {}
    }
    for finding in &input.crls.findings {
        lints.findings.push(finding.clone());
    }
    let mut findings = lints.findings;
    finding::sort(&mut findings);
    Ok(DeviceJudgement {
        verdict: Verdict::of(&findings),
        chain,
        key,
        ca,
        findings,
    })
}

/// The device certificate (`chain.leaf()`, with the rest of `chain` as its own chain) judged
/// on its own: its role, validity, usage, signature algorithm and name; against its device CA
/// with revocation, when CAs are given; and its key type. The findings come in the order the
/// checks ran, each about the certificate; the device CA facts when CAs were given.
pub fn judge_certificate(
    chain: &Chain,
    policy: &CertificatePolicy<'_>,
) -> (Vec<Finding>, Option<CaFacts>) {
    let mut lints = Lints::default();
    let ca = judge_certificate_into(chain, policy, &mut lints);
    (lints.findings, ca)
}

fn judge_certificate_into(
    chain: &Chain,
    policy: &CertificatePolicy<'_>,
    lints: &mut Lints,
) -> Option<CaFacts> {
    lints.about(Some(Subject::Certificate(chain.leaf)));
    certificate_checks(chain.leaf(), policy, lints);
    let ca = policy
        .anchors
        .map(|anchors| device_ca_check(chain, anchors, policy, lints));
    lints.about(Some(Subject::Certificate(chain.leaf)));
    key_type_check(&chain.leaf().key, lints);
    ca
}

/// Findings as they are found, each about the current subject.
#[derive(Default)]
struct Lints {
    findings: Vec<Finding>,
    subject: Option<Subject>,
}

impl Lints {
    fn about(&mut self, subject: Option<Subject>) {
        self.subject = subject;
    }

    fn add(&mut self, code: Code, message: String) {
        let mut finding = Finding::new(code, message);
        finding.subject = self.subject.clone();
        self.findings.push(finding);
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
                Code::CertFileHoldsKey,
                "pass the device certificate (certPath) here and the key as --key (keyPath)",
            ),
            Some(Kind::CertificateRequest) => (
                Code::CertFileHoldsCsr,
                &*format!(
                    "a CSR is not a certificate yet: get it signed (aws iot create-certificate-from-csr --certificate-signing-request {} --set-as-active) and pass the certificate it returns",
                    shell_quote(&format!("file://{file}"))
                ),
            ),
            Some(Kind::PublicKey) => (
                Code::CertFileHoldsPublicKey,
                "a bare public key is not a certificate: pass the device certificate AWS IoT issued or registered",
            ),
            _ => (
                Code::CertFileNotCertificate,
                "pass the device certificate (certPath)",
            ),
        };
        lints.add(
            code,
            format!(
                "{file} holds {}, not a certificate: {advice}",
                loaded.contents_described()
            ),
        );
        return Ok(None);
    }
    if loaded.format == Format::Der {
        lints.add(
            Code::DerNotPem,
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
        lints.add(
            Code::KeyInCertFile,
            format!("{file} also holds a private key: certificate files are shared and readable (0644), so keep the key in its own file with mode 0600"),
        );
    }
    let certs: Vec<crate::source::Object> = certs.into_iter().cloned().collect();
    let chain = Chain::arrange(chain::parse(&certs)?);
    if chain.leaf != 0 {
        // Device TLS stacks present the first certificate of the file as theirs.
        lints.add(
            Code::CertOrder,
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

/// Checks that the key file holds exactly one unencrypted private key, in PEM, readable by
/// its owner only, matching the certificate.
fn key_file_checks(
    loaded: &Loaded,
    mode: KeyMode,
    chain: Option<&Chain>,
    lints: &mut Lints,
) -> KeyFacts {
    let file = &loaded.file;
    hygiene(loaded, lints);
    let mut report = KeyFacts {
        file: file.clone(),
        encoding: None,
        format: loaded.format,
        public: None,
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
                Code::KeyFileHoldsCertificate,
                "pass the private key (keyPath) here: the file created with the certificate, usually named *-private.pem.key",
            ),
            Some(Kind::PublicKey) => (
                Code::KeyFileHoldsPublicKey,
                "a public key cannot sign: pass the private key created with the certificate (AWS shows it only once, at creation), or create a new key and CSR with iotcheck csr",
            ),
            Some(Kind::CertificateRequest) => (
                Code::KeyFileHoldsCsr,
                "pass the private key the CSR was created with",
            ),
            _ => (Code::KeyFileNotKey, "pass the device's private key (keyPath)"),
        };
        lints.add(
            code,
            format!(
                "{file} holds {}, not a private key: {advice}",
                loaded.contents_described()
            ),
        );
        return report;
    }

    report.permissions = permissions_check(mode, file, lints);
    if loaded.format == Format::Der {
        lints.add(
            Code::DerNotPem,
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
        lints.add(
            Code::SeveralKeys,
            format!(
                "{file} holds {} private keys, and a device reads only the first (or refuses the file): {which}",
                keys.len()
            ),
        );
    }

    let Some(chosen) = chosen else {
        // Only encrypted keys.
        report.encoding = Some(KeyEncoding::Encrypted);
        lints.add(
            Code::KeyEncrypted,
            format!(
                "{file} is encrypted with a passphrase, and device SDKs cannot prompt for one: decrypt it once with openssl pkey -in {} -out device.key, chmod 600 device.key and pass that file",
                shell_quote(file)
            ),
        );
        return report;
    };

    let (_, format, result) = loaded_keys.swap_remove(chosen);
    report.encoding = Some(KeyEncoding::Plain(format));
    let key = match result {
        Ok(key) => key,
        Err(why) => {
            let weak_cert = cert_key.is_some_and(|k| k.algorithm == "RSA" && k.bits < 2048);
            if weak_cert {
                lints.add(
                    Code::KeyNotMatched,
                    format!("{file} could not be loaded ({why}): the crypto library here refuses RSA keys under 2048 bits, like the certificate's, so the pair was not compared"),
                );
            } else {
                lints.add(
                    Code::KeyUnreadable,
                    format!("{file} holds a private key that cannot be loaded ({why}): the file is damaged or the key type is not one TLS libraries accept; use the key created with the certificate"),
                );
            }
            return report;
        }
    };
    report.public = Some(key.public.clone());
    if let Some(cert_key) = cert_key {
        let matches = key.matches(cert_key);
        report.matches_certificate = Some(matches);
        if !matches {
            lints.add(
                Code::KeyMismatch,
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
    report
}

/// The key file's mode; warns when other users may read it. None for standard input.
fn permissions_check(mode: KeyMode, file: &str, lints: &mut Lints) -> Option<u32> {
    let mode = match mode {
        KeyMode::File(mode) => mode,
        KeyMode::Unknown => return None,
        KeyMode::Stdin => {
            lints.add(
                Code::KeyPermissionsUnknown,
                "the key came from standard input, so its file permissions were not checked: the key file should be mode 0600 or 0400".to_string(),
            );
            return None;
        }
    };
    if mode & 0o077 != 0 {
        let who = match (mode & 0o070 != 0, mode & 0o007 != 0) {
            (true, true) => "its group and all other users",
            (true, false) => "its group",
            _ => "all other users",
        };
        lints.add(
            Code::KeyPermissions,
            format!(
                "{file} (mode {mode:04o}) is open to {who}, and the AWS IoT Device Client refuses such keys: run chmod 600 {}",
                shell_quote(file)
            ),
        );
    }
    Some(mode)
}

/// PEM text that device parsers trip over.
fn hygiene(loaded: &Loaded, lints: &mut Lints) {
    let file = &loaded.file;
    let quoted = shell_quote(file);
    if loaded.hygiene.bom {
        lints.add(
            Code::PemBom,
            format!("{file} starts with a UTF-8 byte-order mark, which many device PEM parsers reject (\"no start line\"): remove it with sed -i '1s/^\\xEF\\xBB\\xBF//' {quoted}"),
        );
    }
    if loaded.hygiene.crlf {
        lints.add(
            Code::PemCrlf,
            format!("{file} has Windows (CRLF) line endings, which some device PEM parsers reject: convert it with sed -i 's/\\r$//' {quoted}"),
        );
    }
    if loaded.hygiene.text_outside_blocks {
        lints.add(
            Code::PemTrailingText,
            format!("{file} has text outside its -----BEGIN/-----END blocks, which some device parsers reject or misread: keep only the PEM blocks"),
        );
    }
}

/// The device certificate on its own: its role, validity, usage, signature algorithm,
/// revocation and name.
fn certificate_checks(cert: &Cert, input: &CertificatePolicy<'_>, lints: &mut Lints) {
    let at = input.at;
    if cert.is_ca() {
        let what = match KnownRoot::find(cert) {
            Some(root) => format!("{}, the server's root (caPath)", root.label),
            None => format!("the CA certificate \"{}\"", cert.display_name()),
        };
        lints.add(
            Code::CertIsCa,
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
        lints.add(
            Code::Malformed,
            format!("rustls-webpki cannot read the certificate ({why}):{version} strict TLS verifiers will refuse it; issue a standard X.509 v3 device certificate"),
        );
    }
    let words = cert.validity_words(at);
    match cert.validity_at(at, input.warn_days) {
        Validity::Expired => lints.add(
            Code::Expired,
            format!("the certificate {words}; issue a new certificate for the device"),
        ),
        Validity::NotYetValid => {
            let clock = if at < Y2K {
                "; the device clock looks unset: set it (SNTP) before connecting"
            } else {
                ""
            };
            lints.add(
                Code::NotYetValid,
                format!("the certificate is {words}{clock}"),
            );
        }
        Validity::ExpiresSoon => lints.add(
            Code::ExpiresSoon,
            format!("the certificate {words}: issue its successor and register it before then"),
        ),
        Validity::Valid => {}
    }
    if cert.eku_client_auth == Some(false) {
        let ekus = cert.extended_key_usage_text();
        lints.add(
            Code::ClientAuthNotAllowed,
            format!("the certificate's extended key usage is {ekus}, without clientAuth, so it may not identify a TLS client: issue a device certificate with clientAuth (or no extended key usage)"),
        );
    }
    if !signature_algorithm_accepted(&cert.signature_algorithm) {
        lints.add(
            Code::UnsupportedSignatureAlgorithm,
            format!(
                "the certificate is signed with {}, which TLS verifiers no longer accept: have the CA issue it again with SHA-256 or better",
                cert.signature_algorithm
            ),
        );
    }
    if let Some(revocation) = input.crls.revocation_of(cert) {
        lints.add(
            Code::Revoked,
            format!(
                "the certificate (serial {}) was revoked {}: its CA no longer vouches for it; issue the device a new certificate",
                cert.serial,
                revocation.words()
            ),
        );
    }
    if let Some(thing) = input.thing {
        match &cert.subject_cn {
            Some(cn) if cn == thing => {}
            Some(cn) => lints.add(
                Code::ThingMismatch,
                format!("the certificate's CN is \"{cn}\", not the thing name \"{thing}\": policies that use the thing name (iot:Connection.Thing.ThingName) or a client id equal to it will refuse this device"),
            ),
            None => lints.add(
                Code::ThingMismatch,
                format!(
                    "the certificate's subject ({}) has no CN, so it cannot carry the thing name \"{thing}\"",
                    cert.subject
                ),
            ),
        }
    }
}

/// Whether the device certificate chains to the device CA given with `--ca`.
fn device_ca_check(
    chain: &Chain,
    anchors: &Anchors,
    policy: &CertificatePolicy<'_>,
    lints: &mut Lints,
) -> CaFacts {
    let leaf = chain.leaf();
    let others = chain.others();
    let cas: Vec<String> = anchors
        .certs
        .iter()
        .map(|c| c.display_name().to_string())
        .collect();
    let verdict = device_chain(leaf, &others, anchors, policy.at, policy.crls);
    let chains = match verdict {
        DeviceChain::Verified | DeviceChain::IssuedButLeafFaulty => true,
        DeviceChain::NotIssued => {
            let given = if cas.is_empty() {
                format!("{} holds no certificate", anchors.describe())
            } else {
                let quoted: Vec<String> = cas.iter().map(|name| format!("\"{name}\"")).collect();
                let what = if cas.len() == 1 {
                    "the CA given is"
                } else {
                    "the CAs given are"
                };
                format!(
                    "{what} {} ({})",
                    few(&quoted, FEW, ", "),
                    anchors.describe()
                )
            };
            lints.add(
                Code::DeviceCaMismatch,
                format!(
                    "the certificate was issued by \"{}\", but {given}: pass the CA that issued it, or register this certificate under that CA",
                    leaf.issuer_display_name()
                ),
            );
            false
        }
        DeviceChain::TooComplex { candidates } => {
            lints.add(
                Code::PathTooComplex,
                format!(
                    "{candidates} CAs given carry the issuer's name \"{}\" and no key identifier tells them apart (the certificate has no authority key identifier, or they share one); none of the first {MAX_SIGNATURE_CHECKS} checked signed it and the search stopped there, so whether a CA given issued it is not known: pass only the device CA that issued it",
                    leaf.issuer_display_name()
                ),
            );
            false
        }
        DeviceChain::Refused { code, words } => {
            lints.add(
                Code::DeviceCaRejected,
                format!("the certificate names the CA given as its issuer, but the path is not valid for TLS client authentication ({code}: {words}): check the CA certificate's validity and constraints"),
            );
            false
        }
    };
    CaFacts {
        files: match &anchors.source {
            AnchorSource::Files(files) => files.clone(),
            AnchorSource::Embedded => Vec::new(),
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
        ("RSA", _) if key.bits < 2048 => lints.add(
            Code::WeakKey,
            format!(
                "the device key is RSA {} bits, and AWS IoT accepts RSA keys of 2048 bits or more: {advice}",
                key.bits
            ),
        ),
        ("RSA", _) | ("EC", Some("P-256" | "P-384" | "P-521")) => {}
        _ => lints.add(
            Code::UnsupportedKeyType,
            format!(
                "the device key is {}, which AWS IoT does not accept for device certificates (RSA 2048 or more, ECC P-256, P-384, P-521): {advice}",
                key.describe()
            ),
        ),
    }
}
