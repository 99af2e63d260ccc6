//! The view model every command renders: built from the chain and its verdict, serialised as
//! JSON as it is, and drawn as text by [`human`]. JSON keys are stable snake_case.

pub mod account;
pub mod csr;
pub mod device;
pub mod doctor;
pub mod endpoint;
pub mod explain;
pub mod fleet;
pub mod https;
pub mod human;
pub mod inspect;
pub mod json;
pub mod pem;
pub mod prometheus;
pub mod targets;
pub mod version;

use serde::Serialize;

use crate::chain::{Cert, Chain, San};
use crate::finding::{Finding, Verdict};
use crate::trust::{AnchorSource, Anchors};
use crate::verify::{Judgement, PathEnd, Policy};
use crate::when::{days_between, rfc3339};

/// The JSON schema version; bumped only for incompatible changes.
pub const SCHEMA_VERSION: u32 = 2;

/// How a command that gives a verdict shows its report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The whole human report.
    Text,
    /// The verdict line and the findings only.
    Brief,
    /// Nothing: the exit code is the answer.
    Quiet,
    /// One JSON object.
    Json,
    /// The certificates as PEM on stdout, the brief report on stderr.
    Pem,
    /// The verified path, anchor included, as PEM on stdout; the brief report on stderr.
    PemPath,
}

/// One certificate with every field a report shows.
#[derive(Clone, Debug, Serialize)]
pub struct CertView {
    pub index: usize,
    pub origin: String,
    /// "leaf", "intermediate", "root" (a self-signed certificate on the path) or "unused".
    pub role: &'static str,
    pub subject: String,
    pub subject_cn: Option<String>,
    pub issuer: String,
    pub issuer_cn: Option<String>,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Days from the verification time to notAfter; negative once expired.
    pub days_left: i64,
    pub sans: Vec<San>,
    pub public_key: KeyView,
    pub signature_algorithm: String,
    pub is_ca: bool,
    pub path_len: Option<u32>,
    pub key_usage: Option<Vec<String>>,
    pub extended_key_usage: Option<Vec<String>>,
    pub ski: Option<String>,
    pub aki: Option<String>,
    pub sha256: String,
    pub self_signed: bool,
    pub der_bytes: usize,
    /// The certificate itself, for `--pem`.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// A public key, described without its material.
#[derive(Clone, Debug, Serialize)]
pub struct KeyView {
    pub algorithm: String,
    pub bits: u32,
    pub curve: Option<String>,
    /// SHA-256 of the DER SubjectPublicKeyInfo.
    pub sha256: String,
}

impl KeyView {
    pub fn of(key: &crate::chain::KeyInfo) -> KeyView {
        KeyView {
            algorithm: key.algorithm.clone(),
            bits: key.bits,
            curve: key.curve.clone(),
            sha256: key.sha256.clone(),
        }
    }

    pub fn describe(&self) -> String {
        match &self.curve {
            Some(c) => format!("EC {c}"),
            None if self.algorithm == "RSA" => format!("RSA {}", self.bits),
            None => self.algorithm.clone(),
        }
    }
}

impl CertView {
    pub fn of(cert: &Cert, index: usize, role: &'static str, at: i64) -> CertView {
        CertView {
            index,
            origin: cert.origin.clone(),
            role,
            subject: cert.subject.clone(),
            subject_cn: cert.subject_cn.clone(),
            issuer: cert.issuer.clone(),
            issuer_cn: cert.issuer_cn.clone(),
            serial: cert.serial.clone(),
            not_before: rfc3339(cert.not_before),
            not_after: rfc3339(cert.not_after),
            days_left: days_between(at, cert.not_after),
            sans: cert.sans.clone(),
            public_key: KeyView::of(&cert.key),
            signature_algorithm: cert.signature_algorithm.clone(),
            is_ca: cert.is_ca(),
            path_len: cert.path_len,
            key_usage: cert.key_usage.clone(),
            extended_key_usage: cert.extended_key_usage.clone(),
            ski: cert.ski.clone(),
            aki: cert.aki.clone(),
            sha256: cert.sha256.clone(),
            self_signed: cert.self_signed(),
            der_bytes: cert.der.len(),
            der: cert.der.clone(),
        }
    }
}

/// The anchor a path ends at.
#[derive(Clone, Debug, Serialize)]
pub struct AnchorView {
    pub subject: String,
    pub subject_cn: Option<String>,
    pub sha256: String,
    /// "embedded AmazonRootCA1.pem" or the CA file (and block) it came from.
    pub source: String,
    /// False for an intermediate trusted as an anchor (given with --ca).
    pub self_signed: bool,
    pub not_after: String,
    /// The anchor itself, for `--pem --path`.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// Where the trusted anchors came from.
#[derive(Clone, Debug, Serialize)]
pub struct TrustView {
    /// "embedded" or "ca_files".
    pub source: &'static str,
    pub files: Vec<String>,
    pub anchors: Vec<String>,
}

impl TrustView {
    pub fn of(anchors: &Anchors) -> TrustView {
        let (source, files) = match &anchors.source {
            AnchorSource::Embedded => ("embedded", Vec::new()),
            AnchorSource::Files(files) => ("ca_files", files.clone()),
        };
        TrustView {
            source,
            files,
            anchors: anchors
                .certs
                .iter()
                .map(|c| c.display_name().to_string())
                .collect(),
        }
    }
}

/// The report of a chain verification: `verify-chain`'s output and the core of `endpoint`'s.
#[derive(Clone, Debug, Serialize)]
pub struct ChainReport {
    pub verdict: Verdict,
    pub verified_at: String,
    pub host: Option<String>,
    pub name_checked: bool,
    pub trust: TrustView,
    pub chain: Vec<CertView>,
    pub leaf: usize,
    pub path: Vec<usize>,
    pub anchor: Option<AnchorView>,
    /// Errors (the lead first), warnings, hints, notes.
    pub findings: Vec<Finding>,
    pub unused: Vec<usize>,
    /// DER bytes of all certificates given (or served).
    pub total_bytes: usize,
    /// rustls-webpki's reason, in words, when it found no valid path.
    pub engine_error: Option<String>,
}

impl ChainReport {
    pub fn build(
        chain: &Chain,
        anchors: &Anchors,
        policy: &Policy,
        judgement: &Judgement,
    ) -> ChainReport {
        let chain_views = chain
            .certs
            .iter()
            .enumerate()
            .map(|(i, cert)| {
                let role = if i == chain.leaf {
                    "leaf"
                } else if judgement.path.contains(&i) || !judgement.unused.contains(&i) {
                    if cert.self_signed() {
                        "root"
                    } else {
                        "intermediate"
                    }
                } else {
                    "unused"
                };
                CertView::of(cert, i, role, policy.at)
            })
            .collect();
        let anchor = match judgement.end {
            PathEnd::Anchor(a) => {
                let cert = &anchors.certs[a];
                Some(AnchorView {
                    subject: cert.subject.clone(),
                    subject_cn: cert.subject_cn.clone(),
                    sha256: cert.sha256.clone(),
                    source: cert.origin.clone(),
                    self_signed: cert.self_signed(),
                    not_after: rfc3339(cert.not_after),
                    der: cert.der.clone(),
                })
            }
            PathEnd::DeadEnd => None,
        };
        ChainReport {
            verdict: judgement.verdict,
            verified_at: rfc3339(policy.at),
            host: policy.host.clone(),
            name_checked: judgement.name_checked,
            trust: TrustView::of(anchors),
            chain: chain_views,
            leaf: chain.leaf,
            path: judgement.path.clone(),
            anchor,
            findings: judgement.findings.clone(),
            unused: judgement.unused.clone(),
            total_bytes: chain.total_bytes(),
            engine_error: judgement.engine_error.clone(),
        }
    }

    /// The report when nothing usable was served: invalid, no chain.
    pub fn empty(anchors: &Anchors, policy: &Policy) -> ChainReport {
        ChainReport {
            verdict: Verdict::Fail,
            verified_at: rfc3339(policy.at),
            host: policy.host.clone(),
            name_checked: false,
            trust: TrustView::of(anchors),
            chain: Vec::new(),
            leaf: 0,
            path: Vec::new(),
            anchor: None,
            findings: Vec::new(),
            unused: Vec::new(),
            total_bytes: 0,
            engine_error: None,
        }
    }

    pub fn is_valid(&self) -> bool {
        self.verdict.passed()
    }

    /// The report under a judgement that took in this chain's and more (a handshake's: the
    /// served chain's findings and the connection's): its verdict and findings, as judged.
    pub fn judged(self, verdict: Verdict, findings: Vec<Finding>) -> ChainReport {
        ChainReport {
            verdict,
            findings,
            ..self
        }
    }

    /// The lead error, if any.
    pub fn lead(&self) -> Option<&Finding> {
        self.findings.first().filter(|f| f.is_error())
    }

    /// The path rustls-webpki verified, leaf first, with the anchor it ends at; None when no
    /// path verified.
    pub fn verified_path(&self) -> Option<(Vec<&CertView>, &AnchorView)> {
        let anchor = self
            .anchor
            .as_ref()
            .filter(|_| self.engine_error.is_none())?;
        let path = self
            .path
            .iter()
            .filter_map(|&i| self.chain.iter().find(|c| c.index == i))
            .collect();
        Some((path, anchor))
    }
}

/// `verify-chain --json`.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyChainJson<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    #[serde(flatten)]
    pub report: &'a ChainReport,
}

/// The renderings of one verdict report, each made only when `output` asks for it.
pub struct Renderings<T, B, J, P> {
    pub text: T,
    pub brief: B,
    pub json: J,
    /// The certificates as PEM: all of them (false) or the verified path (true); None when
    /// the path was asked for and none verified.
    pub pem: P,
}

/// What a verdict report prints in `output`: (stdout, stderr). With `--pem`, the certificates
/// go to stdout and the brief report to stderr.
pub fn shown<T, B, J, P>(output: Output, renderings: Renderings<T, B, J, P>) -> (String, String)
where
    T: FnOnce() -> String,
    B: FnOnce() -> String,
    J: FnOnce() -> String,
    P: FnOnce(bool) -> Option<String>,
{
    let Renderings {
        text,
        brief,
        json,
        pem,
    } = renderings;
    match output {
        Output::Text => (text(), String::new()),
        Output::Brief => (brief(), String::new()),
        Output::Quiet => (String::new(), String::new()),
        Output::Json => (json(), String::new()),
        Output::Pem | Output::PemPath => match pem(output == Output::PemPath) {
            Some(certificates) => (certificates, brief()),
            None => (String::new(), brief() + &pem::no_path_note()),
        },
    }
}
