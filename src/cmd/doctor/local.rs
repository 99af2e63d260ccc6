//! What `doctor` learns on the device itself: the files as the file system shows them, the
//! credentials linted, the trust the CA files give (before any network).

use super::*;

// ------------------------------------------------------------------------------------------
// files

/// Each file the settings name, as the file system shows it to this user.
pub(super) fn file_facts(device: &DeviceSettings) -> Vec<FileFacts> {
    let named = device
        .cert
        .iter()
        .map(|f| (FileRole::Certificate, f))
        .chain(device.key.iter().map(|f| (FileRole::Key, f)))
        .chain(device.ca.iter().map(|f| (FileRole::RootCa, f)))
        .chain(device.config_files.iter().map(|f| (FileRole::Config, f)));
    named
        .map(|(role, file)| {
            let mut facts = FileFacts::new(role, file);
            let path = &file.path.value;
            match std::fs::metadata(path) {
                Err(e) => facts.problem = Some(io_words(&e)),
                Ok(meta) if !meta.is_file() => {
                    let what = if meta.is_dir() {
                        "a directory"
                    } else {
                        source::special_file_kind(&meta.file_type())
                    };
                    facts.problem = Some(format!("is {what}, not a regular file"))
                }
                Ok(meta) => {
                    facts.mode = mode_of(&meta);
                    if let Err(e) = std::fs::File::open(path) {
                        facts.problem = Some(io_words(&e));
                    }
                }
            }
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            facts.dir_mode = std::fs::metadata(dir).ok().and_then(|m| mode_of(&m));
            facts
        })
        .collect()
}

pub(super) fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot be read by this user (permission denied): run doctor as the device's user"
                .to_string()
        }
        _ => format!("cannot be read ({e})"),
    }
}

#[cfg(unix)]
pub(super) fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
pub(super) fn mode_of(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

pub(super) fn file_unusable(files: &[FileFacts], role: FileRole) -> bool {
    files.iter().any(|f| f.role == role && f.problem.is_some())
}

// ------------------------------------------------------------------------------------------
// credentials

/// The `credentials` stage and what it loaded for the later ones.
pub(super) struct Credentials {
    pub(super) stage: Stage,
    /// The device certificate, when the certificate file held one.
    pub(super) device: Option<Cert>,
    /// The certificate file's certificates (DER), for the support report.
    pub(super) certificates: Vec<Vec<u8>>,
    /// The identity the device presents; None when the pair cannot be used.
    pub(super) identity: Option<ClientIdentity>,
}

pub(super) fn credentials(
    device: &DeviceSettings,
    files: &[FileFacts],
    at: i64,
    warn_days: u32,
) -> Credentials {
    let blocked = |stage| Credentials {
        stage,
        device: None,
        certificates: Vec::new(),
        identity: None,
    };
    if device
        .findings
        .iter()
        .any(|f| f.code == Code::CredentialInToken)
    {
        return blocked(Stage::skipped(
            StageId::Credentials,
            "the key or certificate is in a PKCS#11 token: doctor cannot read it, nor present it",
        ));
    }
    let (Some(cert), Some(key)) = (&device.cert, &device.key) else {
        return blocked(Stage::blocked(
            StageId::Credentials,
            StageId::Config,
            "no device certificate or key is named",
        ));
    };
    if file_unusable(files, FileRole::Certificate) || file_unusable(files, FileRole::Key) {
        return blocked(Stage::blocked(
            StageId::Credentials,
            StageId::Files,
            "the device certificate or key cannot be read",
        ));
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
            return blocked(Stage::judged(StageId::Credentials, findings, 0.0));
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
        Err(e) => blocked(Stage::judged(
            StageId::Credentials,
            vec![Finding::new(Code::CertFileNotCertificate, e.to_string())
                .on_file(&cert_input.name())],
            0.0,
        )),
        Ok(judgement) => {
            let findings: Vec<Finding> = judgement
                .findings
                .into_iter()
                .filter(|f| !stages::owned_by_files_stage(f.code))
                .collect();
            let stage = Stage::judged(StageId::Credentials, findings, 0.0);
            let identity = if stage.failed() {
                None
            } else {
                load_identity(&cert_input, &key_input)
                    .ok()
                    .map(|(id, _)| id)
            };
            Credentials {
                stage,
                device: judgement.chain.map(|c| c.leaf().clone()),
                certificates,
                identity,
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// trust, offline

/// The anchors the served chains are verified against, and what the CA file alone shows.
pub(super) struct Trust {
    pub(super) anchors: Anchors,
    /// Set when the CA file cannot be used at all: the stage cannot run.
    pub(super) blocked: Option<Stage>,
    pub(super) findings: Vec<Finding>,
}

pub(super) fn anchors(device: &DeviceSettings, files: &[FileFacts], at: i64) -> Trust {
    if device.ca.is_empty() {
        return Trust {
            anchors: Anchors::embedded(),
            blocked: None,
            findings: vec![Finding::new(
                Code::CaNotGiven,
                "no root CA file is named: the served chains are verified against the embedded Amazon roots; the device's TLS stack decides what it trusts",
            )],
        };
    }
    let empty = Anchors {
        certs: Vec::new(),
        source: crate::trust::AnchorSource::Files(
            device
                .ca
                .iter()
                .map(|f| f.path.value.display().to_string())
                .collect(),
        ),
    };
    if file_unusable(files, FileRole::RootCa) {
        return Trust {
            anchors: empty,
            blocked: Some(Stage::blocked(
                StageId::Trust,
                StageId::Files,
                "the root CA file cannot be read",
            )),
            findings: Vec::new(),
        };
    }
    let inputs: Vec<Input> = device
        .ca
        .iter()
        .map(|f| Input::Path(f.path.value.clone()))
        .collect();
    let anchors = match Anchors::from_files(&inputs) {
        Ok(anchors) => anchors,
        Err(e) => {
            return Trust {
                anchors: empty,
                blocked: None,
                findings: vec![Finding::new(Code::NoAnchors, e.to_string()).on_file(&e.file)],
            }
        }
    };
    let mut findings = Vec::new();
    for cert in &anchors.certs {
        let name = cert.display_name();
        if !cert.is_valid_at(at) && at > cert.not_after {
            findings.push(Finding::new(
                Code::Expired,
                format!(
                    "the root CA file holds {name}, expired on {}: remove it and add the root the endpoint needs",
                    crate::when::rfc3339(cert.not_after)
                ),
            ));
        } else if cert.not_after - at < 30 * 86_400 && cert.not_after > at {
            findings.push(Finding::new(
                Code::ExpiresSoon,
                format!(
                    "the root CA file holds {name}, which expires on {}: add its successor now",
                    crate::when::rfc3339(cert.not_after)
                ),
            ));
        }
        if KnownRoot::find(cert).is_some_and(|k| k.file == LEGACY_VERISIGN) {
            findings.push(Finding::new(
                Code::LegacyRoot,
                "the root CA file holds the VeriSign Class 3 G5 root of the retired iot:Data endpoints; ATS endpoints need Amazon Root CA 1 (RSA) and 3 (ECC)",
            ));
        }
    }
    Trust {
        anchors,
        blocked: None,
        findings,
    }
}

pub(super) fn trust_offline_stage(trust: &Trust, ms: f64) -> Stage {
    match &trust.blocked {
        Some(stage) => stage.clone(),
        None => Stage::judged(StageId::Trust, trust.findings.clone(), ms),
    }
}
