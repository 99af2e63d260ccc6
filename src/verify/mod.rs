//! Verification: rustls-webpki decides whether a valid path exists; this module explains the
//! decision certificate by certificate and link by link, as findings with stable codes.

mod budget;
mod client;
mod engine;
mod hints;

use std::collections::HashMap;

use rustls::pki_types::ServerName;

use crate::chain::{Cert, Chain, SignatureFailure, Validity};
use crate::trust::{AnchorSource, Anchors};
use crate::when::{rfc3339, Y2K};
use budget::Budget;

pub use client::{device_chain, unreadable, DeviceChain};
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
}

/// A finding about the chain: a problem (fails the check) or a warning.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub code: &'static str,
    /// Index into the chain as given; None when it concerns no single certificate.
    pub certificate: Option<usize>,
    pub message: String,
}

/// Advice in plain words for a known field failure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Hint {
    pub code: &'static str,
    pub message: String,
}

/// Where a path ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEnd {
    /// At this anchor (index into the anchors).
    Anchor(usize),
    /// Nowhere: the last certificate's issuer is neither given nor trusted.
    DeadEnd,
}

/// The verdict on a chain, with its explanation.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub valid: bool,
    /// Chain indices from the leaf upward: the path found, or when none verifies, the most
    /// plausible candidate.
    pub path: Vec<usize>,
    pub end: PathEnd,
    /// Problems; the first is the lead (the engine's reason), the rest in chain order.
    pub problems: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub hints: Vec<Hint>,
    /// Chain indices on no path.
    pub unused: Vec<usize>,
    pub name_checked: bool,
    /// rustls-webpki's own error, verbatim, when it found no valid path.
    pub engine_error: Option<String>,
}

impl Verdict {
    pub fn anchor(&self) -> Option<usize> {
        match self.end {
            PathEnd::Anchor(i) => Some(i),
            PathEnd::DeadEnd => None,
        }
    }

    pub fn has_problem(&self, code: &str) -> bool {
        self.problems.iter().any(|p| p.code == code)
    }
}

/// Verifies `chain` against `anchors` under `policy` and explains the result.
pub fn verify(chain: &Chain, anchors: &Anchors, policy: &Policy) -> Verdict {
    let leaf = chain.leaf();
    let others = chain.others();
    let engine = engine::verify_path(leaf, &others, &anchors.certs, policy.at);

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
    warnings.sort_by_key(|w| w.certificate.unwrap_or(usize::MAX));

    let unused: Vec<usize> = (0..chain.certs.len())
        .filter(|i| !path.contains(i) && !is_served_anchor(chain, anchors, &end, *i))
        .collect();
    let mut verdict = Verdict {
        valid: problems.is_empty(),
        path,
        end,
        problems,
        warnings,
        hints: Vec::new(),
        unused,
        name_checked,
        engine_error: engine_error.map(engine::words_of),
    };
    verdict.hints = hints::hints(chain, anchors, policy, &verdict);
    verdict
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
    path: &'a [usize],
    end: &'a PathEnd,
    problems: Vec<Finding>,
    warnings: Vec<Finding>,
}

impl Explainer<'_> {
    fn problem(&mut self, code: &'static str, certificate: Option<usize>, message: String) {
        self.problems.push(Finding {
            code,
            certificate,
            message,
        });
    }

    fn warning(&mut self, code: &'static str, certificate: Option<usize>, message: String) {
        self.warnings.push(Finding {
            code,
            certificate,
            message,
        });
    }

    /// Checks each certificate on the path on its own.
    fn check_certificates(&mut self) {
        let at = self.policy.at;
        for (position, &i) in self.path.iter().enumerate() {
            let cert = &self.chain.certs[i];
            let name = cert.display_name().to_string();
            if let Err(e) = engine::parse_check(cert) {
                // An unknown critical extension is reported below under its own code.
                if engine::code_of(&e) != "unsupported_critical_extension" {
                    self.problem(
                        "malformed",
                        Some(i),
                        format!("{name}: rustls-webpki cannot read this certificate ({e:?})"),
                    );
                }
            } else if let Some(err) = &cert.extension_error {
                self.problem("malformed", Some(i), format!("{name}: {err}"));
            }
            let code = match cert.validity_at(at) {
                Validity::Expired => Some("expired"),
                Validity::NotYetValid => Some("not_yet_valid"),
                Validity::ExpiresSoon => {
                    let words = cert.validity_words(at);
                    self.warning("expires_soon", Some(i), format!("{name}: {words}"));
                    None
                }
                Validity::Valid => None,
            };
            if let Some(code) = code {
                let words = cert.validity_words(at);
                self.problem(code, Some(i), format!("{name}: {words}"));
            }
            if let Some(why) = cert.key.weakness() {
                self.problem("weak_key", Some(i), format!("{name}: {why}"));
            }
            if !cert.unsupported_critical.is_empty() {
                self.problem(
                    "unsupported_critical_extension",
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
                "required_eku_not_found",
                Some(i),
                format!("{name}: extended key usage is {ekus}, not serverAuth: it may not identify a TLS server"),
            );
        }
        if cert.is_ca() {
            self.problem(
                "ca_used_as_leaf",
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
                "not_a_ca",
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
                    "path_len_exceeded",
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
                    "unsupported_signature_algorithm",
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
                    "unsupported_signature_algorithm",
                    Some(i),
                    format!(
                        "{child_name}: signed with {}, which TLS verifiers no longer accept",
                        child.signature_algorithm
                    ),
                ),
                Err(_) => self.problem(
                    "bad_signature",
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
        self.problem("unknown_issuer", Some(i), message);
    }

    /// Checks the leaf against `--host`; returns whether a check was made.
    fn check_name(&mut self) -> bool {
        let Some(host) = &self.policy.host else {
            return false;
        };
        let leaf = self.chain.leaf;
        let Ok(name) = ServerName::try_from(host.as_str()) else {
            self.problem(
                "name_mismatch",
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
                "name_mismatch",
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
                "wrong_order",
                None,
                format!(
                    "the certificates came in reverse order: the leaf is #{} ({}); servers must send the leaf first",
                    chain.leaf + 1,
                    chain.leaf().display_name()
                ),
            );
        } else if !self.path.windows(2).all(|w| w[1] == w[0] + 1) {
            self.warning(
                "wrong_order",
                None,
                "the intermediates are out of order: each certificate should be followed by its issuer; strict TLS stacks reject this".to_string(),
            );
        }
        if chain.duplicates > 0 {
            self.warning(
                "duplicate_certificate",
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
                        "root_included",
                        Some(i),
                        format!("{}: a root is included; harmless, but it costs {} bytes the device must buffer", cert.display_name(), cert.der.len()),
                    );
                }
            } else if is_served_anchor(chain, self.anchors, self.end, i) {
                self.warning(
                    "root_included",
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
                    "unused_certificate",
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
                "unused_certificate",
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
                    "intermediate_anchor",
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
                    "anchor_outside_validity",
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
                "name_not_checked",
                None,
                "no name was checked: give --host NAME to check the leaf against the endpoint"
                    .to_string(),
            );
        }
        if matches!(self.anchors.source, AnchorSource::Files(_)) && self.anchors.certs.is_empty() {
            self.warning(
                "no_anchors",
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
        "name_mismatch" | "required_eku_not_found" | "ca_used_as_leaf" => Some(chain.leaf),
        "unknown_issuer" => path.last().copied(),
        "name_constraint_violation" => Some(chain.leaf),
        _ => None,
    };
    let message = match code {
        "name_constraint_violation" => {
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
        "path_too_complex" => {
            "path building gave up: too many candidate certificates or too deep a chain".to_string()
        }
        "revoked" => "a certificate on the path is revoked".to_string(),
        _ => format!(
            "rustls-webpki rejected the chain: {}",
            engine::words_of(error)
        ),
    };
    problems.insert(
        0,
        Finding {
            code,
            certificate,
            message,
        },
    );
}

/// Unused certificates beyond this many are reported in one line.
const MAX_UNUSED_LISTED: usize = 5;

/// The certificate signature algorithms rustls-webpki verifies (by x509-parser's short names).
fn signature_algorithm_accepted(name: &str) -> bool {
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
