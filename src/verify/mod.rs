//! Verification: rustls-webpki decides whether a valid path exists; this module explains the
//! decision certificate by certificate and link by link, as findings with stable codes.

pub mod account;
mod budget;
mod client;
mod connection;
pub mod crl;
pub mod device;
pub mod domains;
mod engine;
mod hints;
pub mod https;
mod mqtt;
pub mod roles;
pub mod served;
mod websocket;

use std::collections::HashMap;

use rustls::pki_types::ServerName;

use crate::chain::{Cert, Chain, SignatureFailure, Validity};
use crate::finding::{Code, Finding, Verdict};
use crate::trust::{AnchorSource, Anchors};
use crate::when::{rfc3339, Y2K};
use budget::Budget;
pub use crl::{Crls, Revocation};

pub use client::{device_chain, unreadable, DeviceChain};
pub use connection::{
    alert_meaning, classify, connection_findings, endpoint_findings, Classification, Connection,
    EndpointKind,
};
pub use engine::code_of;

/// What to verify for: TLS server authentication at an instant, optionally for a name.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Unix seconds.
    pub at: i64,
    /// A DNS name or IP address to check against the leaf; None: no name check.
    pub host: Option<String>,
    /// When the device's own certificate became valid, if known: a clock earlier than this
    /// is evidently unset.
    pub device_not_before: Option<i64>,
    /// A certificate that expires within this many days of `at` is worth a warning.
    pub warn_days: u32,
}

/// Where a path ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEnd {
    /// At this anchor (index into the anchors).
    Anchor(usize),
    /// Nowhere: the last certificate's issuer is neither given nor trusted.
    DeadEnd,
}

/// The judgement of a chain: the verdict, the path it rests on, and its explanation.
#[derive(Clone, Debug)]
pub struct Judgement {
    pub verdict: Verdict,
    /// Chain indices from the leaf upward: the path found, or when none verifies, the most
    /// plausible candidate.
    pub path: Vec<usize>,
    pub end: PathEnd,
    /// Errors first (the lead, the engine's reason, then the rest in chain order), then
    /// warnings in chain order, then hints.
    pub findings: Vec<Finding>,
    /// Chain indices on no path.
    pub unused: Vec<usize>,
    pub name_checked: bool,
    /// rustls-webpki's reason, in words, when it found no valid path.
    pub engine_error: Option<String>,
}

impl Judgement {
    pub fn anchor(&self) -> Option<usize> {
        match self.end {
            PathEnd::Anchor(i) => Some(i),
            PathEnd::DeadEnd => None,
        }
    }

    pub fn valid(&self) -> bool {
        self.verdict.passed()
    }

    /// Whether an error with this code was found.
    pub fn has_error(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code && f.is_error())
    }

    /// The lead error, if any.
    pub fn lead(&self) -> Option<&Finding> {
        self.findings.first().filter(|f| f.is_error())
    }
}

/// Verifies `chain` against `anchors` under `policy` and explains the result.
pub fn verify(chain: &Chain, anchors: &Anchors, policy: &Policy) -> Judgement {
    verify_with(chain, anchors, policy, &Crls::none())
}

/// [`verify`], with every certificate of the path looked up in the usable `crls`; the
/// findings about the lists themselves join the chain's.
pub fn verify_with(chain: &Chain, anchors: &Anchors, policy: &Policy, crls: &Crls) -> Judgement {
    let leaf = chain.leaf();
    let others = chain.others();
    let lists = crls.engine_lists(&chain.certs);
    let engine = engine::verify_path(leaf, &others, &anchors.certs, policy.at, &lists);

    let mut budget = Budget::new();
    let (path, end) = match &engine.path {
        Ok(ders) => {
            let mut path = vec![chain.leaf];
            for der in ders {
                if let Some(i) = chain.certs.iter().position(|c| &c.der == der) {
                    path.push(i);
                }
            }
            let top = *path.last().unwrap_or(&chain.leaf);
            let end = engine
                .anchor
                .and_then(|a| (a < anchors.certs.len()).then_some(a))
                .or_else(|| anchor_of(chain, anchors, top, &mut budget))
                .map(PathEnd::Anchor)
                .unwrap_or(PathEnd::DeadEnd);
            (path, end)
        }
        Err(_) => candidate_path(chain, anchors, &mut budget),
    };

    let mut explainer = Explainer {
        chain,
        anchors,
        policy,
        crls,
        path: &path,
        end: &end,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    explainer.check_certificates();
    explainer.check_links();
    let name_checked = explainer.check_name();
    explainer.check_hygiene();
    let Explainer {
        mut problems,
        mut warnings,
        ..
    } = explainer;

    let engine_error = engine.path.as_ref().err();
    if let Some(error) = engine_error {
        lead_with_engine_reason(&mut problems, error, chain, &path);
    }
    warnings.sort_by_key(|w| w.certificate().unwrap_or(usize::MAX));
    for finding in &crls.findings {
        match finding.is_error() {
            true => problems.push(finding.clone()),
            false => warnings.push(finding.clone()),
        }
    }

    let unused: Vec<usize> = (0..chain.certs.len())
        .filter(|i| !path.contains(i) && !is_served_anchor(chain, anchors, &end, *i))
        .collect();
    let mut findings = problems;
    findings.extend(warnings);
    let mut judgement = Judgement {
        verdict: Verdict::of(&findings),
        path,
        end,
        findings,
        unused,
        name_checked,
        engine_error: engine_error.map(engine::words_of),
    };
    let hints = hints::hints(chain, anchors, policy, &judgement);
    judgement.findings.extend(hints);
    judgement
}

/// The anchor that issued `chain.certs[top]`, by name and signature.
fn anchor_of(chain: &Chain, anchors: &Anchors, top: usize, budget: &mut Budget) -> Option<usize> {
    let cert = &chain.certs[top];
    anchors
        .certs
        .iter()
        .position(|a| budget.issued(cert, a) == Some(true))
        .or_else(|| anchors.certs.iter().position(|a| a.sha256 == cert.sha256))
}

/// A served certificate that is itself the path's anchor (a served root): not "unused".
fn is_served_anchor(chain: &Chain, anchors: &Anchors, end: &PathEnd, i: usize) -> bool {
    match end {
        PathEnd::Anchor(a) => anchors.certs[*a].sha256 == chain.certs[i].sha256,
        PathEnd::DeadEnd => false,
    }
}

/// When no path verifies, the most plausible one: from the leaf, follow issuers by name,
/// preferring an anchor, then a given certificate whose signature holds, then one whose name
/// matches but whose signature fails (so that the broken link can be named). Issuers are
/// found by name through an index; signatures are checked only while the budget lasts, so
/// that thousands of certificates of one name cost linear time.
fn candidate_path(chain: &Chain, anchors: &Anchors, budget: &mut Budget) -> (Vec<usize>, PathEnd) {
    let given = by_subject(&chain.certs);
    let trusted = by_subject(&anchors.certs);
    let anchor_by_hash: HashMap<&str, usize> = anchors
        .certs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, a)| (a.sha256.as_str(), i))
        .collect();
    let mut path = vec![chain.leaf];
    loop {
        let current = &chain.certs[*path.last().unwrap_or(&chain.leaf)];
        let named = |index: &HashMap<&[u8], Vec<usize>>, certs: &[Cert]| -> Vec<usize> {
            index
                .get(current.issuer_der.as_slice())
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| current.names_issuer(&certs[i]))
                .collect()
        };
        let named_anchors = named(&trusted, &anchors.certs);
        let anchored = named_anchors
            .iter()
            .copied()
            .find(|&a| budget.issued(current, &anchors.certs[a]) == Some(true));
        if let Some(a) = anchored {
            return (path, PathEnd::Anchor(a));
        }
        if let Some(&a) = anchor_by_hash.get(current.sha256.as_str()) {
            // The served certificate is an anchor itself.
            path.pop();
            if path.is_empty() {
                path.push(chain.leaf);
            }
            return (path, PathEnd::Anchor(a));
        }
        if current.self_signed() || path.len() > 8 {
            return (path, PathEnd::DeadEnd);
        }
        let candidates: Vec<usize> = named(&given, &chain.certs)
            .into_iter()
            .filter(|i| !path.contains(i))
            .collect();
        let next = candidates
            .iter()
            .copied()
            .find(|&i| budget.issued(current, &chain.certs[i]) == Some(true))
            .or_else(|| candidates.first().copied());
        match next {
            Some(i) => path.push(i),
            None => {
                if let Some(&a) = named_anchors.first() {
                    return (path, PathEnd::Anchor(a));
                }
                return (path, PathEnd::DeadEnd);
            }
        }
    }
}

/// Certificates by subject name (DER), each name's in given order.
fn by_subject(certs: &[Cert]) -> HashMap<&[u8], Vec<usize>> {
    let mut index: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, cert) in certs.iter().enumerate() {
        index
            .entry(cert.subject_der.as_slice())
            .or_default()
            .push(i);
    }
    index
}

struct Explainer<'a> {
    chain: &'a Chain,
    anchors: &'a Anchors,
    policy: &'a Policy,
    crls: &'a Crls,
    path: &'a [usize],
    end: &'a PathEnd,
    problems: Vec<Finding>,
    warnings: Vec<Finding>,
}

impl Explainer<'_> {
    fn problem(&mut self, code: Code, certificate: Option<usize>, message: String) {
        self.problems
            .push(Finding::new(code, message).on_certificate(certificate));
    }

    fn warning(&mut self, code: Code, certificate: Option<usize>, message: String) {
        self.warnings
            .push(Finding::new(code, message).on_certificate(certificate));
    }

    /// Checks each certificate on the path on its own.
    fn check_certificates(&mut self) {
        let at = self.policy.at;
        for (position, &i) in self.path.iter().enumerate() {
            let cert = &self.chain.certs[i];
            let name = cert.display_name().to_string();
            if let Err(e) = engine::parse_check(cert) {
                // An unknown critical extension is reported below under its own code.
                if engine::code_of(&e) != Code::UnsupportedCriticalExtension {
                    self.problem(
                        Code::Malformed,
                        Some(i),
                        format!(
                            "{name}: rustls-webpki cannot read this certificate: {}",
                            engine::words_of(&e)
                        ),
                    );
                }
            } else if let Some(err) = &cert.extension_error {
                self.problem(Code::Malformed, Some(i), format!("{name}: {err}"));
            }
            let code = match cert.validity_at(at, self.policy.warn_days) {
                Validity::Expired => Some(Code::Expired),
                Validity::NotYetValid => Some(Code::NotYetValid),
                Validity::ExpiresSoon => {
                    let words = cert.validity_words(at);
                    self.warning(Code::ExpiresSoon, Some(i), format!("{name}: {words}"));
                    None
                }
                Validity::Valid => None,
            };
            if let Some(code) = code {
                let words = cert.validity_words(at);
                self.problem(code, Some(i), format!("{name}: {words}"));
            }
            if let Some(why) = cert.key.weakness() {
                self.problem(Code::WeakKey, Some(i), format!("{name}: {why}"));
            }
            if let Some(revocation) = self.crls.revocation_of(cert) {
                self.problem(
                    Code::Revoked,
                    Some(i),
                    format!(
                        "{name}: serial {} was revoked {}",
                        cert.serial,
                        revocation.words()
                    ),
                );
            }
            if !cert.unsupported_critical.is_empty() {
                self.problem(
                    Code::UnsupportedCriticalExtension,
                    Some(i),
                    format!(
                        "{name}: critical extension {} is not understood, so no verifier may accept the certificate",
                        cert.unsupported_critical.join(", ")
                    ),
                );
            }
            if position == 0 {
                self.check_leaf_usage(i);
            } else {
                self.check_issuer_role(position, i);
            }
        }
    }

    fn check_leaf_usage(&mut self, i: usize) {
        let cert = &self.chain.certs[i];
        let name = cert.display_name().to_string();
        if cert.eku_server_auth == Some(false) {
            let ekus = cert.extended_key_usage_text();
            self.problem(
                Code::RequiredEkuNotFound,
                Some(i),
                format!("{name}: extended key usage is {ekus}, not serverAuth: it may not identify a TLS server"),
            );
        }
        if cert.is_ca() {
            self.problem(
                Code::CaUsedAsLeaf,
                Some(i),
                format!("{name}: is a CA certificate (basicConstraints cA) used as the server's certificate"),
            );
        }
    }

    /// Checks a certificate that issues the one below it on the path.
    fn check_issuer_role(&mut self, position: usize, i: usize) {
        let cert = &self.chain.certs[i];
        let name = cert.display_name().to_string();
        let child = self.chain.certs[self.path[position - 1]]
            .display_name()
            .to_string();
        if !cert.is_ca() {
            let why = match cert.ca {
                None => "it has no basicConstraints extension",
                Some(_) => "its basicConstraints say cA=false",
            };
            self.problem(
                Code::NotACa,
                Some(i),
                format!("{name}: issued {child}, but is not a CA: {why}"),
            );
        }
        // Intermediates between this one and the leaf, not counting self-issued ones.
        let below = self.path[1..position]
            .iter()
            .filter(|&&j| {
                let c = &self.chain.certs[j];
                c.subject_der != c.issuer_der
            })
            .count() as u32;
        if let Some(limit) = cert.path_len {
            if below > limit {
                self.problem(
                    Code::PathLenExceeded,
                    Some(i),
                    format!(
                        "{name}: pathLenConstraint {limit} allows {limit} intermediate(s) below it, the path has {below}"
                    ),
                );
            }
        }
    }

    /// Checks each link's signature, child → issuer (including the anchor).
    fn check_links(&mut self) {
        for (position, &i) in self.path.iter().enumerate() {
            let child = &self.chain.certs[i];
            let issuer = match self.path.get(position + 1) {
                Some(&j) => &self.chain.certs[j],
                None => match self.end {
                    PathEnd::Anchor(a) => &self.anchors.certs[*a],
                    PathEnd::DeadEnd => {
                        self.dead_end(i);
                        continue;
                    }
                },
            };
            let (child_name, issuer_name) = (
                child.display_name().to_string(),
                issuer.display_name().to_string(),
            );
            if !signature_algorithm_accepted(&child.signature_algorithm) {
                self.problem(
                    Code::UnsupportedSignatureAlgorithm,
                    Some(i),
                    format!(
                        "{child_name}: signed with {}, which TLS verifiers no longer accept",
                        child.signature_algorithm
                    ),
                );
                continue;
            }
            match child.signature_check(issuer) {
                Ok(()) => {}
                Err(SignatureFailure::UnsupportedAlgorithm) => self.problem(
                    Code::UnsupportedSignatureAlgorithm,
                    Some(i),
                    format!(
                        "{child_name}: signed with {}, which TLS verifiers no longer accept",
                        child.signature_algorithm
                    ),
                ),
                Err(_) => self.problem(
                    Code::BadSignature,
                    Some(i),
                    format!("{child_name}: its signature does not verify with the key of {issuer_name}: the certificate was altered, or another CA of the same name issued it"),
                ),
            }
        }
    }

    fn dead_end(&mut self, i: usize) {
        let cert = &self.chain.certs[i];
        let issuer_on_path = self.path.iter().find(|&&j| {
            let c = &self.chain.certs[j];
            j != i && cert.names_issuer(c)
        });
        let message = if cert.self_signed() {
            let what = if cert.is_ca() {
                "self-signed root"
            } else {
                "self-signed certificate"
            };
            format!(
                "{}: {what} is not among the trusted anchors ({})",
                cert.display_name(),
                self.anchors.describe()
            )
        } else if let Some(&j) = issuer_on_path {
            format!(
                "{}: its issuer \"{}\" (#{j}) is already on the path: the certificates issue each other in a loop and lead to no trusted anchor ({})",
                cert.display_name(),
                cert.issuer_display_name(),
                self.anchors.describe()
            )
        } else {
            format!(
                "{}: its issuer \"{}\" is neither given nor among the trusted anchors ({})",
                cert.display_name(),
                cert.issuer_display_name(),
                self.anchors.describe()
            )
        };
        self.problem(Code::UnknownIssuer, Some(i), message);
    }

    /// Checks the leaf against `--host`; returns whether a check was made.
    fn check_name(&mut self) -> bool {
        let Some(host) = &self.policy.host else {
            return false;
        };
        let leaf = self.chain.leaf;
        let Ok(name) = ServerName::try_from(host.as_str()) else {
            self.problem(
                Code::NameMismatch,
                Some(leaf),
                format!("{host:?} is neither a DNS name nor an IP address"),
            );
            return true;
        };
        if engine::parse_check(&self.chain.certs[leaf]).is_err() {
            // Unreadable: reported as such; a name check of it would only repeat that.
            return true;
        }
        if engine::name_check(&self.chain.certs[leaf], &name).is_err() {
            let sans: Vec<String> = self.chain.certs[leaf]
                .sans
                .iter()
                .map(|s| s.value.clone())
                .collect();
            let valid_for = if sans.is_empty() {
                "it has no subject alternative names".to_string()
            } else {
                format!("valid for {}", sans.join(", "))
            };
            self.problem(
                Code::NameMismatch,
                Some(leaf),
                format!("not valid for name {host}; {valid_for}"),
            );
        }
        true
    }

    /// Order, duplicates, served roots, unused certificates, anchors that are not roots.
    fn check_hygiene(&mut self) {
        let chain = self.chain;
        if chain.reversed {
            self.warning(
                Code::WrongOrder,
                None,
                format!(
                    "the certificates came in reverse order: the leaf is #{} ({}); servers must send the leaf first",
                    chain.leaf + 1,
                    chain.leaf().display_name()
                ),
            );
        } else if !self.path.windows(2).all(|w| w[1] == w[0] + 1) {
            self.warning(
                Code::WrongOrder,
                None,
                "the intermediates are out of order: each certificate should be followed by its issuer; strict TLS stacks reject this".to_string(),
            );
        }
        if chain.duplicates > 0 {
            self.warning(
                Code::DuplicateCertificate,
                None,
                format!("{} duplicate certificate(s) ignored", chain.duplicates),
            );
        }
        let mut unused = Vec::new();
        for i in 0..chain.certs.len() {
            let cert = &chain.certs[i];
            if self.path.contains(&i) {
                if cert.self_signed() && i != chain.leaf {
                    self.warning(
                        Code::RootIncluded,
                        Some(i),
                        format!("{}: a root is included; harmless, but it costs {} bytes the device must buffer", cert.display_name(), cert.der.len()),
                    );
                }
            } else if is_served_anchor(chain, self.anchors, self.end, i) {
                self.warning(
                    Code::RootIncluded,
                    Some(i),
                    format!("{}: the trusted root is included; harmless, but it costs {} bytes the device must buffer", cert.display_name(), cert.der.len()),
                );
            } else {
                unused.push(i);
            }
        }
        // A few unused certificates are named one by one; a pile of them in one line.
        if unused.len() <= MAX_UNUSED_LISTED {
            for i in unused {
                let name = chain.certs[i].display_name().to_string();
                self.warning(
                    Code::UnusedCertificate,
                    Some(i),
                    format!("{name}: belongs to no path from the leaf"),
                );
            }
        } else {
            let first: Vec<String> = unused[..MAX_UNUSED_LISTED]
                .iter()
                .map(|i| format!("#{i}"))
                .collect();
            self.warning(
                Code::UnusedCertificate,
                None,
                format!(
                    "{} certificates belong to no path from the leaf ({}, ...)",
                    unused.len(),
                    first.join(", ")
                ),
            );
        }
        if let PathEnd::Anchor(a) = self.end {
            let anchor = &self.anchors.certs[*a];
            if !anchor.self_signed() {
                self.warning(
                    Code::IntermediateAnchor,
                    None,
                    format!(
                        "the anchor {} is an intermediate, trusted only because {} holds it",
                        anchor.display_name(),
                        anchor.origin
                    ),
                );
            }
            if !anchor.is_valid_at(self.policy.at) {
                self.warning(
                    Code::AnchorOutsideValidity,
                    None,
                    format!(
                        "the anchor {} is outside its validity at {} (valid {} to {}); many device TLS stacks reject it",
                        anchor.display_name(),
                        rfc3339(self.policy.at),
                        rfc3339(anchor.not_before),
                        rfc3339(anchor.not_after)
                    ),
                );
            }
        }
        if self.policy.host.is_none() {
            self.warning(
                Code::NameNotChecked,
                None,
                "no name was checked: give --host NAME to check the leaf against the endpoint"
                    .to_string(),
            );
        }
        if matches!(self.anchors.source, AnchorSource::Files(_)) && self.anchors.certs.is_empty() {
            self.warning(
                Code::NoAnchors,
                None,
                "the CA files hold no certificate".to_string(),
            );
        }
    }
}

/// Puts the engine's reason first. If the explanation found no problem with that code, the
/// engine's reason is added (attributed where its code says which certificate it concerns).
fn lead_with_engine_reason(
    problems: &mut Vec<Finding>,
    error: &webpki::Error,
    chain: &Chain,
    path: &[usize],
) {
    let code = engine::code_of(error);
    if let Some(pos) = problems.iter().position(|p| p.code == code) {
        let lead = problems.remove(pos);
        problems.insert(0, lead);
        return;
    }
    let certificate = match code {
        Code::NameMismatch
        | Code::RequiredEkuNotFound
        | Code::CaUsedAsLeaf
        | Code::NameConstraintViolation => Some(chain.leaf),
        Code::UnknownIssuer => path.last().copied(),
        _ => None,
    };
    let message = match code {
        Code::NameConstraintViolation => {
            let constraining = path
                .iter()
                .map(|&i| &chain.certs[i])
                .find(|c| c.has_name_constraints)
                .map_or("an issuing CA".to_string(), |c| {
                    format!("\"{}\"", c.display_name())
                });
            format!(
                "{}: a name in it is outside the name constraints of {constraining}",
                chain.leaf().display_name()
            )
        }
        Code::PathTooComplex => {
            "path building gave up: too many candidate certificates or too deep a chain".to_string()
        }
        Code::Revoked => "a certificate on the path is revoked".to_string(),
        _ => format!(
            "rustls-webpki rejected the chain: {}",
            engine::words_of(error)
        ),
    };
    problems.insert(0, Finding::new(code, message).on_certificate(certificate));
}

/// Unused certificates beyond this many are reported in one line.
const MAX_UNUSED_LISTED: usize = 5;

/// The certificate signature algorithms rustls-webpki verifies (by x509-parser's short names).
pub(crate) fn signature_algorithm_accepted(name: &str) -> bool {
    matches!(
        name,
        "sha256WithRSAEncryption"
            | "sha384WithRSAEncryption"
            | "sha512WithRSAEncryption"
            | "rsassa-pss"
            | "ecdsa-with-SHA256"
            | "ecdsa-with-SHA384"
            | "ecdsa-with-SHA512"
            | "ed25519"
    )
}

/// A clock before 2000, or before the device's own certificate existed, is evidently unset.
pub(crate) fn clock_looks_unset(policy: &Policy) -> bool {
    policy.at < Y2K || policy.device_not_before.is_some_and(|nb| policy.at < nb)
}

/// Parses a served chain (DER, served order). A certificate that does not parse is a
/// `malformed` finding of its own; the rest are returned for verification.
pub fn parse_served(served: &[Vec<u8>]) -> (Vec<crate::chain::Cert>, Vec<Finding>) {
    let mut certs = Vec::new();
    let mut unparsable = Vec::new();
    for (i, der) in served.iter().enumerate() {
        match crate::chain::Cert::from_der(der, format!("served #{}", i + 1)) {
            Ok(cert) => certs.push(cert),
            Err(e) => unparsable.push(Finding::new(
                Code::Malformed,
                format!("served certificate #{} does not parse: {e}", i + 1),
            )),
        }
    }
    (certs, unparsable)
}
