//! The fleet: every certificate file under the paths given, each judged as a device
//! certificate by the same checks as `device` (`verify::device::judge_certificate`), plus what
//! only the whole fleet shows (repeated keys and serials, CNs outside a naming pattern), and
//! the running summary. Files are judged in parallel and come back in path order; only the
//! indexes and the summary's counters outlive a file.

pub mod index;
pub mod summary;
pub mod walk;

use rayon::prelude::*;
use regex::Regex;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::chain::{Cert, Chain};
use crate::finding::{self, Code, Finding, Verdict};
use crate::source::{self, Input, Kind};
use crate::trust::Anchors;
use crate::verify::device::{judge_certificate, CertificatePolicy};
use crate::verify::Crls;
pub use index::{FleetIndex, IndexKeys};
pub use summary::Summary;
pub use walk::{walk, Entry, Walked};

/// What every file is judged against.
pub struct FleetPolicy<'a> {
    pub anchors: &'a Anchors,
    pub crls: &'a Crls,
    pub at: i64,
    pub warn_days: u32,
    /// The whole CN must match it.
    pub thing_pattern: Option<&'a Regex>,
}

/// One file's judgement: what its line shows, and what it leaves in the indexes.
#[derive(Clone, Debug)]
pub struct FileVerdict {
    /// The path as shown.
    pub file: String,
    /// The device certificate; None when the file holds none that parses.
    pub certificate: Option<CertFacts>,
    pub verdict: Verdict,
    /// Sorted by severity, in the order found within one.
    pub findings: Vec<Finding>,
    /// None without a certificate.
    pub index: Option<IndexKeys>,
}

/// The few facts of a device certificate a fleet report shows.
#[derive(Clone, Debug)]
pub struct CertFacts {
    pub cn: Option<String>,
    /// Colon hex.
    pub serial: String,
    /// SHA-256 of the DER certificate, lowercase hex.
    pub sha256: String,
    /// Unix seconds.
    pub not_after: i64,
    /// The issuer's CN (or whole name): the CA a fleet's counts are kept by.
    pub issuer: String,
    /// "EC P-256", "RSA 2048".
    pub key: String,
}

impl FileVerdict {
    /// Adds findings made after the file's own (the fleet-wide ones) and settles the verdict.
    pub fn add(&mut self, findings: Vec<Finding>) {
        if findings.is_empty() {
            return;
        }
        self.findings.extend(findings);
        finding::sort(&mut self.findings);
        self.verdict = Verdict::of(&self.findings);
    }

    fn without_certificate(file: String, code: Code, message: String) -> FileVerdict {
        let findings = vec![Finding::new(code, message).on_file(&file)];
        FileVerdict {
            verdict: Verdict::of(&findings),
            file,
            certificate: None,
            findings,
            index: None,
        }
    }
}

/// Files judged in parallel at a time: enough to keep every core busy, few enough that
/// their results are a small, fixed amount of memory.
const CHUNK: usize = 1024;

/// Audits a walked fleet: indexes every file's key and serial (a first, lighter pass, so that
/// every holder of a shared key is flagged, the first too), judges the files in parallel
/// chunks, adds what the index shows, counts each into `summary` and hands it to `each` in
/// path order; `each` returns false to stop. A fleet in which no device certificate was found
/// gets a `no_certificates` finding (`paths` name it). Returns false when `each` stopped it.
/// `fleet` and `serve` both run their audits here.
pub fn audit(
    walked: &Walked,
    paths: &[std::path::PathBuf],
    policy: &FleetPolicy<'_>,
    summary: &mut Summary,
    mut each: impl FnMut(&FileVerdict) -> bool,
) -> bool {
    let entries = &walked.entries;
    // The whole fleet's fingerprints before any file is handed over: a line cannot be taken
    // back.
    let index = FleetIndex::build(
        entries
            .par_iter()
            .enumerate()
            .filter_map(|(i, entry)| Some((i as u32, index_entry(entry)?)))
            .collect::<Vec<_>>(),
    );
    for (c, chunk) in entries.chunks(CHUNK).enumerate() {
        let judged: Vec<FileVerdict> = chunk.par_iter().map(|entry| judge(entry, policy)).collect();
        for (k, mut file) in judged.into_iter().enumerate() {
            let position = (c * CHUNK + k) as u32;
            if let Some(keys) = &file.index {
                let shared = index.findings(position, keys.certificate, |other| {
                    entries[other as usize].name()
                });
                file.add(shared);
            }
            summary.add(&file);
            if !each(&file) {
                return false;
            }
        }
    }
    // A run that judged nothing must not pass: a store that is not mounted, or the wrong
    // directory, would otherwise report ok forever.
    if summary.certificates == 0 {
        summary.findings.push(Finding::new(
            Code::NoCertificates,
            format!(
                "no device certificate under {}: check the path (a store that is not mounted, the wrong directory)",
                paths
                    .iter()
                    .map(|p| crate::quote::path_name(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    true
}

/// Judges one entry of the walk. Never fails: a file that cannot be read, or holds no
/// certificate, is a finding on its line.
pub fn judge(entry: &Entry, policy: &FleetPolicy<'_>) -> FileVerdict {
    let file = entry.name();
    let path = match entry {
        Entry::File(path) => path,
        Entry::Special(_, why) => {
            let message = format!("{file} {why}: skipped");
            return FileVerdict::without_certificate(file, Code::FileNotCertificate, message);
        }
        Entry::Unreadable(_, why) => {
            let message = format!("{file} {why}: {INCOMPLETE}");
            return FileVerdict::without_certificate(file, Code::PathUnreadable, message);
        }
    };
    match source::read_bytes(&Input::Path(path.clone()), &file) {
        Ok(bytes) => judge_bytes(file, &bytes, policy),
        // A file that cannot be opened may hold a certificate: not judging it leaves the
        // audit incomplete. One that opens but is too large is no certificate file.
        Err(e) if std::fs::File::open(path).is_err() => {
            let message = format!("{e}: {INCOMPLETE}");
            FileVerdict::without_certificate(file, Code::PathUnreadable, message)
        }
        Err(e) => {
            let message = format!("{e}: skipped");
            FileVerdict::without_certificate(file, Code::FileNotCertificate, message)
        }
    }
}

/// What an unreadable path means for the run.
const INCOMPLETE: &str =
    "what it holds was not judged, so the audit is incomplete; run as a user that can read it";

/// What the file of `entry` leaves in the fleet-wide index: its device certificate's
/// fingerprints, read as [`judge`] reads it (the first certificate of a file, with the rest
/// as its chain); None when it holds none that parses.
pub fn index_entry(entry: &Entry) -> Option<IndexKeys> {
    let Entry::File(path) = entry else {
        return None;
    };
    let file = entry.name();
    let bytes = source::read_bytes(&Input::Path(path.clone()), &file).ok()?;
    // A file of one certificate (the common case) needs only the three fields; a file with
    // a chain is arranged as `judge` arranges it, to index the same device certificate.
    let loaded = source::parse(&file, &bytes).ok()?;
    let mut objects = loaded.of_kind(&Kind::Certificate);
    let first = objects.next()?;
    if objects.next().is_none() {
        let (_, x509) = X509Certificate::from_der(&first.der).ok()?;
        let tbs = &x509.tbs_certificate;
        return Some(fingerprints(
            tbs.subject_pki.raw,
            tbs.issuer.as_raw(),
            tbs.raw_serial(),
            &first.der,
        ));
    }
    let (_, chain) = device_chain(file, &bytes).ok()?;
    Some(index_keys(chain.leaf()))
}

/// Judges one file's bytes; `file` is its path as shown.
pub fn judge_bytes(file: String, bytes: &[u8], policy: &FleetPolicy<'_>) -> FileVerdict {
    let (file, chain) = match device_chain(file, bytes) {
        Ok(found) => found,
        Err(verdict) => return *verdict,
    };
    let (mut findings, _) = judge_certificate(
        &chain,
        &CertificatePolicy {
            anchors: Some(policy.anchors),
            crls: policy.crls,
            thing: None,
            at: policy.at,
            warn_days: policy.warn_days,
        },
    );
    let leaf = chain.leaf();
    if let Some(pattern) = policy.thing_pattern {
        let matched = leaf
            .subject_cn
            .as_deref()
            .is_some_and(|cn| pattern.is_match(cn));
        if !matched {
            let cn = match &leaf.subject_cn {
                Some(cn) => format!("the CN \"{cn}\""),
                None => format!("the subject {} has no CN and", leaf.subject),
            };
            findings.push(
                Finding::new(
                    Code::ThingPatternMismatch,
                    format!(
                        "{cn} does not match --thing-pattern {}: a thing name outside the fleet's naming scheme",
                        pattern_text(pattern)
                    ),
                )
                .on_certificate(Some(chain.leaf)),
            );
        }
    }
    finding::sort(&mut findings);
    FileVerdict {
        verdict: Verdict::of(&findings),
        file,
        certificate: Some(CertFacts {
            cn: leaf.subject_cn.clone(),
            serial: leaf.serial.clone(),
            sha256: leaf.sha256.clone(),
            not_after: leaf.not_after,
            issuer: leaf.issuer_display_name().to_string(),
            key: leaf.key.describe(),
        }),
        findings,
        index: Some(index_keys(leaf)),
    }
}

/// The device certificate of a file and its chain; Err is the file's verdict when it holds
/// none (not a certificate file, or a damaged certificate).
fn device_chain(file: String, bytes: &[u8]) -> Result<(String, Chain), Box<FileVerdict>> {
    let fail = |file: String, code: Code, message: String| -> Result<(String, Chain), _> {
        Err(Box::new(FileVerdict::without_certificate(
            file, code, message,
        )))
    };
    let loaded = match source::parse(&file, bytes) {
        Ok(loaded) => loaded,
        // A damaged certificate is a broken certificate, not a stray file.
        Err(e) if memchr::memmem::find(bytes, b"-----BEGIN CERTIFICATE").is_some() => {
            let message = format!("{e}");
            return fail(file, Code::Malformed, message);
        }
        Err(e) => {
            let message = format!("{e}: skipped");
            return fail(file, Code::FileNotCertificate, message);
        }
    };
    let objects: Vec<&source::Object> = loaded.of_kind(&Kind::Certificate).collect();
    if objects.is_empty() {
        let message = format!(
            "{file} holds {}, not a certificate: skipped",
            loaded.contents_described()
        );
        return fail(file, Code::FileNotCertificate, message);
    }
    let count = objects.len();
    let mut certs = Vec::with_capacity(count);
    for object in objects {
        let origin = object.origin(count);
        match Cert::from_der(&object.der, origin.clone()) {
            Ok(cert) => certs.push(cert),
            Err(e) => {
                let message = format!("{origin}: not a valid certificate ({e})");
                return fail(file, Code::Malformed, message);
            }
        }
    }
    // The first certificate is the device's and the rest its chain, as for `device`.
    Ok((file, Chain::arrange(certs)))
}

/// The pattern as the user gave it (without the anchors added around it).
fn pattern_text(pattern: &Regex) -> String {
    let text = pattern.as_str();
    text.strip_prefix("^(?:")
        .and_then(|t| t.strip_suffix(")$"))
        .unwrap_or(text)
        .to_string()
}

/// The anchored form of a `--thing-pattern`: the whole CN must match. The compiled size is
/// bounded, so that a pattern cannot take the memory of the run.
pub fn thing_pattern(pattern: &str) -> Result<Regex, String> {
    // The pattern is first checked on its own, so that a syntax error quotes it as written
    // (one line), not the anchored form the match uses.
    let limits = |p: &str| {
        regex::RegexBuilder::new(p)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
    };
    let words = |e: regex::Error| match e {
        regex::Error::CompiledTooBig(_) => {
            "--thing-pattern is too large once compiled: simplify it".to_string()
        }
        other => {
            let text = other.to_string();
            let last = text.lines().rev().find(|l| !l.trim().is_empty());
            let why = last
                .unwrap_or("syntax error")
                .trim()
                .trim_start_matches("error: ");
            format!("--thing-pattern is not a valid regular expression ({why}): {pattern:?}")
        }
    };
    limits(pattern).map_err(words)?;
    limits(&format!("^(?:{pattern})$")).map_err(words)
}

fn index_keys(cert: &Cert) -> IndexKeys {
    fingerprints(
        &cert.key.spki_der,
        &cert.issuer_der,
        &cert.serial_raw,
        &cert.der,
    )
}

/// The index's fingerprints of a certificate from its raw parts: the SubjectPublicKeyInfo,
/// the issuer's name and the serial number (DER content), and the whole certificate.
fn fingerprints(spki: &[u8], issuer: &[u8], serial: &[u8], der: &[u8]) -> IndexKeys {
    let digest = |bytes: &[&[u8]]| {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for b in bytes {
            context.update(b);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(context.finish().as_ref());
        out
    };
    let mut certificate = [0u8; 8];
    certificate.copy_from_slice(&digest(&[der])[..8]);
    // The issuer's name is length-prefixed so that name and serial cannot run into each other.
    let length = (issuer.len() as u64).to_be_bytes();
    IndexKeys {
        key: digest(&[spki]),
        issuer_serial: digest(&[&length, issuer, serial]),
        certificate: u64::from_be_bytes(certificate),
    }
}
