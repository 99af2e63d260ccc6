//! Reading PEM and DER from files or standard input: knows bytes and labels, not X.509 fields.
//! What a DER file holds is told by what parses it (x509-parser, or the crypto library for a
//! private key); the fields themselves are `chain`'s and `keys`' business.

use std::io::Read;
use std::path::PathBuf;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use x509_parser::prelude::FromDer;

use crate::error::InputError;

/// Where bytes come from: a path, or `-` for standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

impl Input {
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }

    /// The name used in messages: the path as given, or `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::Path(p) => crate::quote::path_name(p),
        }
    }
}

/// How an object was encoded in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pem,
    Der,
}

/// The encodings of an unencrypted private key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormat {
    Pkcs8,
    Pkcs1,
    Sec1,
}

impl KeyFormat {
    /// The snake_case name used in JSON: "pkcs8", "pkcs1" or "sec1".
    pub fn code(&self) -> &'static str {
        match self {
            KeyFormat::Pkcs8 => "pkcs8",
            KeyFormat::Pkcs1 => "pkcs1",
            KeyFormat::Sec1 => "sec1",
        }
    }

    /// Which unencrypted private-key encoding these DER bytes are: the first the crypto
    /// library loads them as. None for anything else, a key it refuses included.
    pub fn of_der(der: &[u8]) -> Option<KeyFormat> {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        [KeyFormat::Pkcs8, KeyFormat::Pkcs1, KeyFormat::Sec1]
            .into_iter()
            .find(|format| {
                provider
                    .key_provider
                    .load_private_key(format.der(der))
                    .is_ok()
            })
    }

    /// The DER bytes, labelled with this encoding, in the form the TLS layer takes.
    pub fn der(self, der: &[u8]) -> PrivateKeyDer<'static> {
        match self {
            KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec())),
            KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der.to_vec())),
            KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der.to_vec())),
        }
    }
}

/// What a PEM block or DER file holds, judged by its label or by what parses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Certificate,
    PrivateKey(KeyFormat),
    EncryptedPrivateKey,
    PublicKey,
    CertificateRequest,
    Crl,
    Other(String),
}

impl Kind {
    /// Plain words for messages: "a private key", "a certificate signing request", ...
    pub fn describe(&self) -> String {
        match self {
            Kind::Certificate => "a certificate".into(),
            Kind::PrivateKey(KeyFormat::Pkcs8) => "a private key (PKCS#8)".into(),
            Kind::PrivateKey(KeyFormat::Pkcs1) => "an RSA private key (PKCS#1)".into(),
            Kind::PrivateKey(KeyFormat::Sec1) => "an EC private key (SEC1)".into(),
            Kind::EncryptedPrivateKey => "an encrypted private key".into(),
            Kind::PublicKey => "a public key".into(),
            Kind::CertificateRequest => "a certificate signing request (CSR)".into(),
            Kind::Crl => "a certificate revocation list (CRL)".into(),
            Kind::Other(label) => match label.as_str() {
                "OPENSSH PRIVATE KEY" => "an OpenSSH private key (devices need PEM: ssh-keygen -p -m PEM -f FILE converts it in place)".into(),
                "DSA PRIVATE KEY" => "a DSA private key (AWS IoT accepts RSA and ECC keys only)".into(),
                "PKCS7" => "a PKCS#7 bundle (openssl pkcs7 -print_certs -in FILE extracts its certificates)".into(),
                _ => format!("a PEM block labelled {label:?}"),
            },
        }
    }

    /// The snake_case name used in JSON.
    pub fn code(&self) -> &'static str {
        match self {
            Kind::Certificate => "certificate",
            Kind::PrivateKey(_) => "private_key",
            Kind::EncryptedPrivateKey => "encrypted_private_key",
            Kind::PublicKey => "public_key",
            Kind::CertificateRequest => "certificate_request",
            Kind::Crl => "crl",
            Kind::Other(_) => "other",
        }
    }
}

/// One object read from an input.
#[derive(Clone, Debug)]
pub struct Object {
    pub kind: Kind,
    pub der: Vec<u8>,
    /// The input's name, as in [`Input::name`].
    pub file: String,
    /// 1-based position of the object in its file.
    pub position: usize,
    pub format: Format,
}

impl Object {
    /// "file" for a single-object file, "file#2" for the second block of a bundle.
    pub fn origin(&self, objects_in_file: usize) -> String {
        if objects_in_file > 1 {
            format!("{}#{}", self.file, self.position)
        } else {
            self.file.clone()
        }
    }
}

/// Things about a file's text that devices trip over, although parsers here accept them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hygiene {
    pub crlf: bool,
    pub bom: bool,
    /// Non-blank text before the first or after the last PEM block.
    pub text_outside_blocks: bool,
}

/// Everything read from one input.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub file: String,
    pub format: Format,
    pub objects: Vec<Object>,
    pub hygiene: Hygiene,
}

impl Loaded {
    pub fn of_kind<'a>(&'a self, wanted: &'a Kind) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects.iter().filter(move |o| &o.kind == wanted)
    }

    /// A short list of what the file holds, for messages: "a private key (PKCS#8)".
    pub fn contents_described(&self) -> String {
        let mut kinds: Vec<String> = Vec::new();
        for o in &self.objects {
            let d = o.kind.describe();
            if !kinds.contains(&d) {
                kinds.push(d);
            }
        }
        kinds.join(" and ")
    }
}

/// Reads one input whole and splits it into objects. Fails on anything that is not a
/// well-formed PEM or DER object, naming the file and what to do.
pub fn read(input: &Input) -> Result<Loaded, InputError> {
    read_expecting(input, "a certificate")
}

/// Like [`read`], for an input that should hold `expected` ("a private key"): the messages
/// for empty or unrecognisable input name what was expected.
pub fn read_expecting(input: &Input, expected: &str) -> Result<Loaded, InputError> {
    let name = input.name();
    let bytes = read_bytes(input, &name)?;
    parse_expecting(&name, &bytes, expected)
}

/// Like [`read`], but the input must hold at least one certificate; other objects are ignored
/// unless there is no certificate at all, in which case the error says what the file holds.
pub fn read_certificates(input: &Input) -> Result<Vec<Object>, InputError> {
    let loaded = read(input)?;
    let certs: Vec<Object> = loaded.of_kind(&Kind::Certificate).cloned().collect();
    if certs.is_empty() {
        return Err(not_a_certificate(&loaded));
    }
    Ok(certs)
}

/// The error for a file that holds objects but no certificate.
pub fn not_a_certificate(loaded: &Loaded) -> InputError {
    let advice = match loaded.objects.first().map(|o| &o.kind) {
        Some(Kind::PrivateKey(_) | Kind::EncryptedPrivateKey) => {
            "this option takes certificates; a private key belongs only with --key (keyPath) and must stay private"
        }
        Some(Kind::CertificateRequest) => {
            "a CSR is not a certificate yet: get it signed (aws iot create-certificate-from-csr) and pass the result"
        }
        Some(Kind::PublicKey) => "a bare public key cannot be verified: pass the certificate",
        _ => "pass a file with a certificate in PEM or DER",
    };
    InputError::new(
        &loaded.file,
        format!(
            "holds {}, not a certificate: {advice}",
            loaded.contents_described()
        ),
    )
}

/// The most iotcheck reads from one input: far more than any certificate bundle or key (the
/// whole Mozilla root store is about 250 KiB), little enough that a hostile input cannot
/// exhaust memory.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The text of a list (a targets file): UTF-8, at most [`MAX_INPUT_BYTES`], a leading
/// byte-order mark dropped.
pub fn read_text(input: &Input) -> Result<String, InputError> {
    let name = input.name();
    let bytes = read_bytes(input, &name)?;
    text(&name, bytes)
}

/// The text of a list read as bytes: UTF-8, a leading byte-order mark dropped. `name` is the
/// input as named, for messages.
pub fn text(name: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    let text = String::from_utf8(bytes).map_err(|e| {
        InputError::new(
            name,
            format!(
                "is not UTF-8 text (byte {}): save it as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Reads one input whole (at most [`MAX_INPUT_BYTES`], regular files and standard input only),
/// without judging what it holds. `name` is the input as named, for messages.
pub fn read_bytes(input: &Input, name: &str) -> Result<Vec<u8>, InputError> {
    match input {
        Input::Stdin => {
            let stdin = std::io::stdin().lock();
            read_capped(stdin, name)
                .map_err(|e| InputError::new(name, format!("cannot read standard input: {e}")))?
        }
        Input::Path(path) => {
            let file = open_regular(path, name)?;
            read_capped(file, name).map_err(|e| open_error(name, &e))?
        }
    }
}

/// Opens a regular file for reading; anything else (a directory, a FIFO that would wait for a
/// writer, a device that never ends) is refused before it is opened. `name` is the file as
/// the user named it, for messages.
pub fn open_regular(path: &std::path::Path, name: &str) -> Result<std::fs::File, InputError> {
    let metadata = std::fs::metadata(path).map_err(|e| open_error(name, &e))?;
    refuse_unless_regular(name, &metadata)?;
    let file = std::fs::File::open(path).map_err(|e| open_error(name, &e))?;
    // The path may have been replaced between the two calls: judge what was opened.
    let opened = file.metadata().map_err(|e| open_error(name, &e))?;
    refuse_unless_regular(name, &opened)?;
    Ok(file)
}

/// Reads a regular file whole (at most [`MAX_INPUT_BYTES`]), for text inputs that are not PEM
/// or DER, such as a device's configuration file. `name` is the file as the user named it.
pub fn read_regular(path: &std::path::Path, name: &str) -> Result<Vec<u8>, InputError> {
    let file = open_regular(path, name)?;
    read_capped(file, name).map_err(|e| open_error(name, &e))?
}

/// Reads at most [`MAX_INPUT_BYTES`]; more is an error naming the input.
fn read_capped(reader: impl Read, name: &str) -> std::io::Result<Result<Vec<u8>, InputError>> {
    let mut buf = Vec::new();
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        let what = if name == "<stdin>" {
            "standard input"
        } else {
            "the file"
        };
        return Ok(Err(InputError::new(
            name,
            format!(
                "is larger than {} MiB, more than any certificate or key file: check that {what} is the right one",
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        )));
    }
    Ok(Ok(buf))
}

fn refuse_unless_regular(name: &str, metadata: &std::fs::Metadata) -> Result<(), InputError> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return Ok(());
    }
    let what = if file_type.is_dir() {
        return Err(InputError::new(
            name,
            "is a directory: name a file inside it",
        ));
    } else {
        special_file_kind(&file_type)
    };
    Err(InputError::new(
        name,
        format!("is {what}, not a regular file: save its contents to a file and name that, or pipe them to standard input (-)"),
    ))
}

/// What a file that is neither a regular file nor a directory is, in words ("a named pipe
/// (FIFO)", "a device", "a socket"), for messages that refuse it.
#[cfg(unix)]
pub fn special_file_kind(file_type: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
pub fn special_file_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

fn open_error(name: &str, e: &std::io::Error) -> InputError {
    let why = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file: check the path".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: run as a user that can read it".to_string()
        }
        _ => format!("cannot read: {e}"),
    };
    InputError::new(name, why)
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Splits bytes into objects; `name` is used in messages only.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Loaded, InputError> {
    parse_expecting(name, bytes, "a certificate")
}

/// [`parse`], naming `expected` in the messages for empty or unrecognisable input.
pub fn parse_expecting(name: &str, bytes: &[u8], expected: &str) -> Result<Loaded, InputError> {
    let mut hygiene = Hygiene::default();
    let mut body = bytes;
    if let Some(rest) = body.strip_prefix(BOM) {
        hygiene.bom = true;
        body = rest;
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(InputError::new(
            name,
            format!("is empty: expected {expected} in PEM or DER"),
        ));
    }
    if contains(body, b"-----BEGIN ") {
        hygiene.crlf = contains(body, b"\r\n");
        hygiene.text_outside_blocks = text_outside_blocks(body);
        let objects = parse_pem(name, body)?;
        return Ok(Loaded {
            file: name.to_string(),
            format: Format::Pem,
            objects,
            hygiene,
        });
    }
    let object = parse_der(name, body, expected)?;
    Ok(Loaded {
        file: name.to_string(),
        format: Format::Der,
        objects: vec![object],
        hygiene,
    })
}

fn parse_pem(name: &str, body: &[u8]) -> Result<Vec<Object>, InputError> {
    // The pem crate's error text quotes the offending line, which may be key material: it is
    // translated into where and what, never passed on.
    let blocks = ::pem::parse_many(body).map_err(|_| {
        let what = pem_damage(body).unwrap_or_else(|| {
            "a PEM block is damaged: copy the file again from its source".into()
        });
        InputError::new(name, what)
    })?;
    if blocks.is_empty() {
        let what = pem_damage(body).unwrap_or_else(|| {
            "has a BEGIN line but no complete PEM block: the file is cut short or its END line is damaged".into()
        });
        return Err(InputError::new(name, what));
    }
    let mut objects = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.into_iter().enumerate() {
        let position = i + 1;
        let encrypted = block
            .headers()
            .get("Proc-Type")
            .is_some_and(|v| v.contains("ENCRYPTED"));
        let kind = match block.tag() {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => Kind::Certificate,
            "PRIVATE KEY" => Kind::PrivateKey(KeyFormat::Pkcs8),
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" if encrypted => Kind::EncryptedPrivateKey,
            "RSA PRIVATE KEY" => Kind::PrivateKey(KeyFormat::Pkcs1),
            "EC PRIVATE KEY" => Kind::PrivateKey(KeyFormat::Sec1),
            "ENCRYPTED PRIVATE KEY" => Kind::EncryptedPrivateKey,
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Kind::PublicKey,
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Kind::CertificateRequest,
            "X509 CRL" => Kind::Crl,
            other => Kind::Other(other.to_string()),
        };
        let mut der = block.into_contents();
        if kind == Kind::Certificate {
            let len = check_certificate_der(name, position, &der)?;
            // A TRUSTED CERTIFICATE carries OpenSSL's trust settings after the certificate.
            der.truncate(len);
        }
        objects.push(Object {
            kind,
            der,
            file: name.to_string(),
            position,
            format: Format::Pem,
        });
    }
    Ok(objects)
}

/// Says where a PEM text that the pem crate refused is damaged and how, without quoting any
/// of it: block number, line number and, when it is a known one, the label. Each block (from
/// its BEGIN line to the next one) is given to the pem crate alone, so that the first damaged
/// block is found and a block without an END line does not swallow the next.
fn pem_damage(body: &[u8]) -> Option<String> {
    let starts: Vec<usize> = find_all(body, b"-----BEGIN ");
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(body.len());
        let block = &body[start..end];
        let Err(error) = ::pem::parse(block) else {
            continue;
        };
        let line = line_of(body, start);
        let label = known_label(label_after(block, b"-----BEGIN "));
        let which = match label {
            Some(label) => format!("PEM block {} ({label}, line {line})", i + 1),
            None => format!("PEM block {} (line {line})", i + 1),
        };
        let end_line = find_all(block, b"-----END ")
            .first()
            .map(|&at| line_of(body, start + at));
        let what = match error {
            ::pem::PemError::MalformedFraming | ::pem::PemError::MissingEndTag => match end_line {
                Some(end_line) => format!(
                    "has a damaged END line (line {end_line}): make it -----END <label>-----"
                ),
                None => {
                    "has no END line: the file is cut short or its END line is damaged".to_string()
                }
            },
            ::pem::PemError::MissingData => "holds no data".to_string(),
            ::pem::PemError::MissingBeginTag => {
                "has a damaged BEGIN line: make it -----BEGIN <label>-----".to_string()
            }
            ::pem::PemError::MismatchedTags(_, end_label) => {
                let end_line = end_line.unwrap_or(line);
                match known_label(Some(&end_label)) {
                    Some(end_label) => format!(
                        "ends with an END line for another label ({end_label}, line {end_line})"
                    ),
                    None => format!(
                        "ends with an END line whose label differs from its BEGIN line (line {end_line})"
                    ),
                }
            }
            ::pem::PemError::InvalidHeader(_) => header_damage(body, start),
            ::pem::PemError::InvalidData(e) => base64_damage(body, start, &e),
            ::pem::PemError::NotUtf8(_) => {
                let bad = std::str::from_utf8(block)
                    .err()
                    .map_or(start, |e| start + e.valid_up_to());
                format!(
                    "holds bytes that are not text (line {})",
                    line_of(body, bad)
                )
            }
        };
        // Advice of its own (after a colon) comes first; copying again always helps.
        let advice = if what.contains(": ") { ", or" } else { ":" };
        return Some(format!(
            "{which} {what}{advice} copy the file again from its source"
        ));
    }
    None
}

/// The pem crate reads the lines before the first blank line of a block as headers
/// ("Proc-Type: 4,ENCRYPTED"): a blank line inside the base64, or a header line without its
/// colon, lands here. Says which line, not what it holds.
fn header_damage(body: &[u8], start: usize) -> String {
    let begin_line = line_of(body, start);
    let text = String::from_utf8_lossy(&body[start..]);
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let blank = lines.iter().position(|l| l.trim().is_empty());
    let headers = &lines[..blank.unwrap_or(0)];
    // Base64 has no spaces, dashes or colons: a line with them was meant as a header.
    let base64_line = |l: &&str| {
        l.trim()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    };
    let any_header = headers.iter().any(|l| !base64_line(l));
    match (blank, headers.iter().position(|l| !l.contains(':'))) {
        (Some(blank), _) if !any_header => format!(
            "has a blank line inside it (line {}): remove that line",
            begin_line + 1 + blank
        ),
        (_, Some(bad)) => format!(
            "has a damaged header line (line {}): headers read Name: value and end with one blank line",
            begin_line + 1 + bad
        ),
        _ => "has damaged header lines".to_string(),
    }
}

/// Maps the base64 decoder's offset (counted in non-whitespace characters of the block's data,
/// after any headers) to a line of the file.
fn base64_damage(body: &[u8], start: usize, error: &base64::DecodeError) -> String {
    let offset = match error {
        base64::DecodeError::InvalidByte(offset, _) => Some(*offset),
        base64::DecodeError::InvalidLastSymbol { offset, .. } => Some(*offset),
        base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidPadding => None,
    };
    let Some(offset) = offset else {
        return "has base64 text of the wrong length: a line is missing or cut short".to_string();
    };
    // The data starts after the BEGIN line, or after the headers' blank line when there is one.
    let block = &body[start..];
    let payload_end = find_all(block, b"-----END ")
        .first()
        .copied()
        .unwrap_or(block.len());
    let after_begin = block
        .iter()
        .position(|&b| b == b'\n')
        .map_or(payload_end, |n| n + 1);
    let payload = &block[after_begin.min(payload_end)..payload_end];
    let data_start = find_all(payload, b"\n\n")
        .first()
        .map(|&n| n + 2)
        .or_else(|| find_all(payload, b"\r\n\r\n").first().map(|&n| n + 4))
        .unwrap_or(0);
    let mut seen = 0;
    let mut at = payload_end;
    for (i, b) in payload.iter().enumerate().skip(data_start) {
        if !b.is_ascii_whitespace() {
            if seen == offset {
                at = after_begin + i;
                break;
            }
            seen += 1;
        }
    }
    format!(
        "has a character that is not base64 (line {})",
        line_of(body, start + at)
    )
}

/// The text between `marker` and the next "-----" on the same line.
fn label_after<'a>(block: &'a [u8], marker: &[u8]) -> Option<&'a str> {
    let rest = block.strip_prefix(marker)?;
    let line = rest.split(|&b| b == b'\n').next()?;
    let close = find_all(line, b"-----").first().copied()?;
    std::str::from_utf8(&line[..close]).ok()
}

/// `label` when it is one of the labels iotcheck knows (and so cannot be a file's secret).
fn known_label(label: Option<&str>) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "CERTIFICATE",
        "X509 CERTIFICATE",
        "TRUSTED CERTIFICATE",
        "PRIVATE KEY",
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "PUBLIC KEY",
        "RSA PUBLIC KEY",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
        "X509 CRL",
        "OPENSSH PRIVATE KEY",
        "DSA PRIVATE KEY",
        "PKCS7",
    ];
    let label = label?;
    KNOWN.iter().copied().find(|k| *k == label)
}

/// 1-based line number of byte `offset`.
fn line_of(body: &[u8], offset: usize) -> usize {
    1 + body[..offset.min(body.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    if haystack.len() < needle.len() {
        return Vec::new();
    }
    (0..=haystack.len() - needle.len())
        .filter(|&i| haystack[i..].starts_with(needle))
        .collect()
}

/// Checks that `der` starts with a whole certificate; returns its length. Trailing bytes
/// are an error, except after a `TRUSTED CERTIFICATE`'s certificate (its caller truncates).
fn check_certificate_der(name: &str, position: usize, der: &[u8]) -> Result<usize, InputError> {
    match x509_parser::certificate::X509Certificate::from_der(der) {
        Ok((rest, _)) => Ok(der.len() - rest.len()),
        Err(e) => Err(InputError::new(
            name,
            format!(
                "block {position} is labelled CERTIFICATE but is not a valid certificate ({}): copy the file again from its source",
                der_error_words(&e)
            ),
        )),
    }
}

fn parse_der(name: &str, body: &[u8], expected: &str) -> Result<Object, InputError> {
    use x509_parser::certificate::X509Certificate;
    use x509_parser::certification_request::X509CertificationRequest;
    use x509_parser::revocation_list::CertificateRevocationList;
    use x509_parser::x509::SubjectPublicKeyInfo;

    let object = |kind| Object {
        kind,
        der: body.to_vec(),
        file: name.to_string(),
        position: 1,
        format: Format::Der,
    };
    let cert_error = match X509Certificate::from_der(body) {
        Ok(([], _)) => return Ok(object(Kind::Certificate)),
        Ok((rest, _)) => {
            return Err(InputError::new(
                name,
                format!(
                    "holds a DER certificate followed by {} trailing bytes: the file is damaged or two files were joined",
                    rest.len()
                ),
            ))
        }
        Err(e) => e,
    };
    if matches!(X509CertificationRequest::from_der(body), Ok((rest, _)) if rest.is_empty()) {
        return Ok(object(Kind::CertificateRequest));
    }
    if matches!(CertificateRevocationList::from_der(body), Ok((rest, _)) if rest.is_empty()) {
        return Ok(object(Kind::Crl));
    }
    if matches!(SubjectPublicKeyInfo::from_der(body), Ok((rest, _)) if rest.is_empty()) {
        return Ok(object(Kind::PublicKey));
    }
    if let Some(format) = KeyFormat::of_der(body) {
        return Ok(object(Kind::PrivateKey(format)));
    }
    let is_text = body
        .iter()
        .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    let what = if is_text {
        format!(
            "holds text but no PEM block (no -----BEGIN line): expected {expected} in PEM or DER"
        )
    } else if matches!(cert_error, x509_parser::nom::Err::Incomplete(_))
        || (body[0] == 0x30 && declares_more_than(body))
    {
        "is truncated DER: the file is shorter than its own header says; copy it again".to_string()
    } else if body[0] == 0x30 {
        format!(
            "is DER but not a certificate, CSR, key or CRL ({}): check that this is the right file",
            der_error_words(&cert_error)
        )
    } else {
        format!("holds binary data that is neither PEM nor DER: expected {expected}")
    };
    Err(InputError::new(name, what))
}

/// True when the outer DER header promises more bytes than there are.
fn declares_more_than(body: &[u8]) -> bool {
    use x509_parser::asn1_rs::{FromDer as _, Header, Length};
    match Header::from_der(body) {
        Ok((rest, header)) => matches!(header.length(), Length::Definite(n) if n > rest.len()),
        Err(_) => false,
    }
}

fn der_error_words(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> String {
    match e {
        x509_parser::nom::Err::Incomplete(_) => "truncated".to_string(),
        x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e.to_string(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn text_outside_blocks(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    let Some(first) = text.find("-----BEGIN ") else {
        return false;
    };
    let before = &text[..first];
    let after = match text.rfind("-----END ") {
        Some(last) => {
            let tail = &text[last..];
            // Skip the END line itself: its closing dashes come after the label.
            match tail[9..].find("-----") {
                Some(close) => &tail[9 + close + 5..],
                None => "",
            }
        }
        None => "",
    };
    !before.trim().is_empty() || !after.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAF: &str = include_str!("../fixtures/aws/iot.eu-central-1_leaf.pem");

    #[test]
    fn pem_with_text_around_and_crlf_is_read_and_noticed() {
        let text = format!(
            "subject=foo\r\n{}\r\ntrailing words\r\n",
            LEAF.replace('\n', "\r\n")
        );
        let loaded = parse("x.pem", text.as_bytes()).unwrap();
        assert_eq!(loaded.objects.len(), 1);
        assert!(loaded.hygiene.crlf);
        assert!(loaded.hygiene.text_outside_blocks);
    }

    #[test]
    fn bom_is_stripped_and_noticed() {
        let mut bytes = BOM.to_vec();
        bytes.extend_from_slice(LEAF.as_bytes());
        let loaded = parse("x.pem", &bytes).unwrap();
        assert!(loaded.hygiene.bom);
        assert!(!loaded.hygiene.text_outside_blocks);
    }

    #[test]
    fn der_certificate_with_trailing_bytes_is_refused() {
        let mut der = ::pem::parse(LEAF).unwrap().into_contents();
        assert_eq!(
            parse("x.der", &der).unwrap().objects[0].kind,
            Kind::Certificate
        );
        der.extend_from_slice(&[0, 1, 2]);
        let err = parse("x.der", &der).unwrap_err();
        assert!(err.message.contains("3 trailing bytes"), "{err}");
    }

    #[test]
    fn truncated_der_is_named() {
        let der = ::pem::parse(LEAF).unwrap().into_contents();
        let err = parse("x.der", &der[..100]).unwrap_err();
        assert!(err.message.contains("truncated"), "{err}");
    }

    #[test]
    fn empty_and_text_inputs_are_refused() {
        assert!(parse("e", b"").unwrap_err().message.contains("empty"));
        assert!(parse("t", b"hello world\n")
            .unwrap_err()
            .message
            .contains("no PEM block"));
    }
}
