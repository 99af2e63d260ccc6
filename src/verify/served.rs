//! The one probe-and-verify engine: probe a server as a device would, then judge what it
//! served (the chain, the connection, the endpoint's name). `endpoint` (one target or many),
//! `doctor` and the fuzz targets call it; their reports are built from its judgement, once,
//! after the probe.
//!
//! The served chain is verified as it arrives, inside the handshake, because that decides
//! whether anything of the device (its certificate, a signature with its key, an MQTT
//! CONNECT) may go out. That verification is the judgement kept: it is not done twice, and
//! no report is built until the probe has returned.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::chain::Chain;
use crate::finding::{Code, Finding, Verdict};
use crate::net::{self, NetError, Probe, ProbeSettings, SigFilter};
use crate::trust::Anchors;

use super::{
    classify, connection_findings, endpoint_findings, parse_served, verify, Classification,
    Connection, Judgement, Policy,
};

/// A served chain, judged: the certificates that parsed, arranged, with their judgement (None
/// when none parsed); every finding about it, a `malformed` one for each certificate that did
/// not parse included; and its verdict.
#[derive(Clone, Debug)]
pub struct ServedChain {
    pub judged: Option<(Chain, Judgement)>,
    /// By severity: the judgement's findings, then those of certificates that did not parse.
    pub findings: Vec<Finding>,
    /// Ok only when a path to an anchor verified and every certificate parsed.
    pub verdict: Verdict,
}

impl ServedChain {
    /// The chain verified: a path to an anchor, and no certificate that failed to parse.
    pub fn verified(&self) -> bool {
        self.verdict.passed()
    }

    /// DER bytes of the certificates that parsed.
    pub fn total_bytes(&self) -> usize {
        self.judged
            .as_ref()
            .map(|(chain, _)| chain.total_bytes())
            .unwrap_or(0)
    }
}

/// Verifies a served chain (DER, served order) against `anchors` under `policy`.
pub fn judge_chain(served: &[Vec<u8>], anchors: &Anchors, policy: &Policy) -> ServedChain {
    let (certs, unparsable) = parse_served(served);
    let judged = (!certs.is_empty()).then(|| {
        let chain = Chain::arrange(certs);
        let judgement = verify(&chain, anchors, policy);
        (chain, judgement)
    });
    let mut findings: Vec<Finding> = judged
        .iter()
        .flat_map(|(_, judgement)| judgement.findings.iter().cloned())
        .chain(unparsable)
        .collect();
    crate::finding::sort(&mut findings);
    // With nothing that parsed, nothing verified, whatever the findings say.
    let verdict = match &judged {
        Some(_) => Verdict::of(&findings),
        None => Verdict::Fail,
    };
    ServedChain {
        judged,
        findings,
        verdict,
    }
}

/// One handshake, probed and judged: what the probe saw, its served chain's judgement, what
/// the connection showed beyond the chain (client certificate, MQTT, the chain's size), and
/// the handshake's verdict over both.
#[derive(Clone, Debug)]
pub struct Handshake {
    pub probe: Probe,
    pub chain: ServedChain,
    pub connection: Vec<Finding>,
    /// By severity: the chain's findings, then the connection's.
    pub findings: Vec<Finding>,
    /// Ok only when the chain, the client certificate and MQTT all passed.
    pub verdict: Verdict,
    /// The CA names the server said it accepts for the client certificate, decoded and
    /// written as a certificate's subject is.
    pub acceptable_ca_names: Vec<String>,
    /// Whether the server accepted the device certificate; None when none was sent.
    pub client_cert_accepted: Option<bool>,
}

impl Handshake {
    /// The judgement of a probe whose served chain was judged `chain`, with the connection's
    /// findings `connection`.
    pub fn judged(probe: Probe, chain: ServedChain, connection: Vec<Finding>) -> Handshake {
        let mut findings: Vec<Finding> =
            chain.findings.iter().chain(&connection).cloned().collect();
        crate::finding::sort(&mut findings);
        let verdict = match chain.verdict {
            Verdict::Ok => Verdict::of(&findings),
            Verdict::Fail => Verdict::Fail,
        };
        let auth = &probe.client_auth;
        let acceptable_ca_names = auth
            .acceptable_ca_names
            .iter()
            .map(|der| {
                crate::chain::distinguished_name(der)
                    .unwrap_or_else(|| format!("(unparsable, {} bytes)", der.len()))
            })
            .collect();
        let client_cert_accepted = auth
            .sent
            .then(|| auth.rejection.is_none() && probe.handshake_error.is_none());
        Handshake {
            probe,
            chain,
            connection,
            findings,
            verdict,
            acceptable_ca_names,
            client_cert_accepted,
        }
    }
}

/// Probes with `settings` and judges the capture. The served chain is verified as soon as it
/// arrives; unless it verified (or `insecure`), nothing of the device's identity and no
/// application data goes out. `Err` when no server certificate was seen.
pub fn handshake(
    settings: &ProbeSettings,
    anchors: &Anchors,
    policy: &Policy,
    insecure: bool,
) -> Result<Handshake, NetError> {
    handshake_with(anchors, policy, insecure, |chain_ok| {
        net::probe(settings, chain_ok)
    })
}

/// [`handshake`] over any probe: `probe` runs it with the check to ask about the served chain
/// (the fuzz targets replay a server's bytes in memory this way).
pub fn handshake_with(
    anchors: &Anchors,
    policy: &Policy,
    insecure: bool,
    probe: impl FnOnce(Arc<net::ChainCheck>) -> Result<Probe, NetError>,
) -> Result<Handshake, NetError> {
    let kept: Arc<Mutex<Option<ServedChain>>> = Arc::default();
    let chain_ok: Arc<net::ChainCheck> = {
        let (kept, anchors, policy) = (Arc::clone(&kept), anchors.clone(), policy.clone());
        Arc::new(move |served: &[Vec<u8>]| -> bool {
            let chain = judge_chain(served, &anchors, &policy);
            let verified = chain.verified();
            if let Ok(mut slot) = kept.lock() {
                *slot = Some(chain);
            }
            verified || insecure
        })
    };
    let probe = probe(chain_ok)?;
    // The probe asks as soon as the chain arrives; judge the capture if it never did.
    let earlier = kept.lock().ok().and_then(|mut slot| slot.take());
    let chain = earlier.unwrap_or_else(|| judge_chain(&probe.served, anchors, policy));
    let connection = connection_findings(&Connection {
        probe: &probe,
        chain_verified: chain.verified(),
        served_bytes: chain.total_bytes(),
        insecure,
    });
    Ok(Handshake::judged(probe, chain, connection))
}

/// The chains to ask a target for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Families {
    /// One handshake, offering the probe settings' signature schemes.
    One,
    /// Two handshakes, one offering only RSA schemes, one only ECDSA (`--sig both`).
    Both,
}

/// One handshake of a target: the signature schemes offered ("any", "rsa" or "ecdsa"), and
/// the handshake, or why none came up.
#[derive(Debug)]
pub struct Family {
    pub sig: &'static str,
    pub outcome: Result<Handshake, Unserved>,
}

/// With [`Families::Both`], a family the server completed no handshake for: a finding of its
/// own, since a device that offers only that family fails the same way.
#[derive(Debug)]
pub struct Unserved {
    pub error: NetError,
    pub finding: Finding,
}

/// A target probed and judged: what its name is, findings about its name and addressing,
/// each handshake's judgement, and the target's verdict.
#[derive(Debug)]
pub struct Served {
    pub classification: Classification,
    pub findings: Vec<Finding>,
    pub families: Vec<Family>,
    /// Ok only when every handshake came up and passed, and no finding about the name is an
    /// error.
    pub verdict: Verdict,
}

impl Served {
    /// The judgement of the target `host` from its handshakes; `sni_sent` says whether the
    /// probe named it in the handshake.
    pub fn new(host: &str, sni_sent: bool, families: Vec<Family>) -> Served {
        let classification = classify(host);
        let findings = endpoint_findings(&classification, !sni_sent);
        let every_handshake_passed = families.iter().all(|family| match &family.outcome {
            Ok(handshake) => handshake.verdict.passed(),
            Err(_) => false,
        });
        let verdict = match Verdict::of(&findings) {
            Verdict::Ok if every_handshake_passed => Verdict::Ok,
            _ => Verdict::Fail,
        };
        Served {
            classification,
            findings,
            families,
            verdict,
        }
    }

    /// The served chains (DER, served order), one per handshake that came up.
    pub fn chains(&self) -> impl Iterator<Item = (&'static str, &[Vec<u8>])> {
        self.families.iter().filter_map(|f| match &f.outcome {
            Ok(h) => Some((f.sig, h.probe.served.as_slice())),
            Err(_) => None,
        })
    }
}

/// Probes a target and judges it: each family's handshake, all within one `settings.timeout`
/// budget that starts now. `Err` when no handshake saw a certificate.
pub fn check(
    settings: &ProbeSettings,
    families: Families,
    anchors: &Anchors,
    policy: &Policy,
    insecure: bool,
) -> Result<Served, NetError> {
    let asked: &[(SigFilter, &'static str)] = match families {
        Families::Both => &[(SigFilter::Rsa, "rsa"), (SigFilter::Ecdsa, "ecdsa")],
        Families::One => &[(settings.sig, sig_name(settings.sig))],
    };
    // --timeout is one budget for the target: both handshakes of --sig both share it.
    let deadline = Instant::now() + settings.timeout;
    let mut done = Vec::with_capacity(asked.len());
    for &(sig, name) in asked {
        let mut probe = settings.clone();
        probe.sig = sig;
        probe.deadline = Some(deadline);
        match handshake(&probe, anchors, policy, insecure) {
            Ok(handshake) => done.push(Family {
                sig: name,
                outcome: Ok(handshake),
            }),
            Err(error) if families == Families::Both => {
                let finding = unserved(name, &error);
                done.push(Family {
                    sig: name,
                    outcome: Err(Unserved { error, finding }),
                });
            }
            Err(error) => return Err(error),
        }
    }
    if done.iter().all(|f| f.outcome.is_err()) {
        if let Some(Family {
            outcome: Err(unserved),
            ..
        }) = done.into_iter().next()
        {
            return Err(unserved.error);
        }
        return Err(NetError::Settings("no handshake was asked for".into()));
    }
    Ok(Served::new(&settings.host, settings.sni.is_some(), done))
}

/// The finding of a family the server completed no handshake for.
fn unserved(sig: &str, error: &NetError) -> Finding {
    Finding::new(
        Code::NoChainForSignature,
        format!(
            "the server completed no handshake when offered only {} signature schemes ({}): a device that offers only these fails; {}",
            sig.to_uppercase(),
            error.phase(),
            error
        ),
    )
}

fn sig_name(sig: SigFilter) -> &'static str {
    match sig {
        SigFilter::Any => "any",
        SigFilter::Rsa => "rsa",
        SigFilter::Ecdsa => "ecdsa",
    }
}
