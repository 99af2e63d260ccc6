//! One `/probe`: a target probed and judged as `endpoint` would with the module's settings,
//! through the one probe-and-verify engine (`verify::served`), and the facts its metrics show.
//! Blocking: the HTTP edge runs it on a blocking thread, within the scrape's budget.

use std::time::{Duration, Instant};

use crate::finding::{Code, Finding, Severity};
use crate::net::{MqttOutcome, NetError, ProbeSettings};
use crate::report::endpoint::{EndpointReport, EndpointView};
use crate::targets::{self, EndpointSource, TargetAddress};
use crate::verify::served::{self, Families};
use crate::verify::{Classification, Policy};

use super::config::Module;

/// What a probe showed, in the terms its metrics use. Label values come from fixed
/// vocabularies (finding codes, phases, alert names), never from the server's words.
#[derive(Debug, Clone, Default)]
pub struct ProbeFacts {
    pub success: bool,
    pub duration: Duration,
    /// The budget the probe had.
    pub timeout: Duration,
    /// Why it failed: the phase, the finding code and the kind of failure.
    pub failure: Option<Failure>,
    /// Every finding's code, with its severity, counted.
    pub findings: Vec<(Code, Severity, usize)>,
    pub handshakes: Vec<HandshakeFacts>,
    /// The device certificate's notAfter, unix seconds (a module with a certificate).
    pub client_not_after: Option<i64>,
    /// MQTT was asked for.
    pub mqtt_asked: bool,
}

/// Why a probe failed. `phase` and `reason` are from short fixed lists; `code` is a finding
/// code, or "none" for a failure of the exporter's own (no descriptor left, busy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub phase: &'static str,
    pub code: &'static str,
    pub reason: &'static str,
}

/// One handshake: "any", or "rsa" and "ecdsa" with `sig = "both"`.
#[derive(Debug, Clone, Default)]
pub struct HandshakeFacts {
    pub sig: &'static str,
    /// The handshake came up far enough to show a certificate.
    pub served: bool,
    pub tls_version: Option<&'static str>,
    /// Seconds per phase, in the order they ran.
    pub phases: Vec<(&'static str, f64)>,
    /// notAfter of each served certificate, in served order, unix seconds.
    pub not_after: Vec<i64>,
    pub chain_verified: bool,
    /// None when no client certificate was sent.
    pub client_cert_accepted: Option<bool>,
    pub mqtt: Option<&'static str>,
}

/// The MQTT outcomes, as the metrics name them.
pub const MQTT_OUTCOMES: [&str; 6] = [
    "accepted",
    "refused",
    "closed",
    "timeout",
    "unexpected",
    "not_sent",
];

/// The probe's settings for `address`: the module's, within `timeout`.
fn settings(module: &Module, address: &TargetAddress, timeout: Duration) -> ProbeSettings {
    // New probe options of a module (MQTT 5, transports) are passed on here.
    ProbeSettings {
        host: address.host.clone(),
        port: address.port,
        connect_to: module.options.connect.clone(),
        sni: address.sni.clone(),
        alpn: address.alpn.clone(),
        timeout,
        deadline: None,
        proxy: address.proxy.clone(),
        versions: module.versions,
        sig: module.sig,
        client: module.client.clone(),
        mqtt: module.mqtt.clone(),
        mqtt_turn: None,
        transport: Default::default(),
        https: None,
    }
}

/// The target resolved with the module's options (port, server name, ALPN, proxy).
pub fn address(module: &Module, target: &str) -> Result<TargetAddress, String> {
    targets::resolve(target, EndpointSource::Given, &module.options).map_err(|e| e.to_string())
}

/// Probes `address` with `module` within `timeout`, judged at `at`.
pub fn run(module: &Module, address: &TargetAddress, timeout: Duration, at: i64) -> ProbeFacts {
    let started = Instant::now();
    let probe = settings(module, address, timeout);
    let policy = Policy {
        at,
        host: Some(address.verified_name.clone()),
        device_not_before: module.device.as_ref().map(|d| d.not_before),
        warn_days: module.warn_days,
    };
    let families = if module.both {
        Families::Both
    } else {
        Families::One
    };
    let mut facts = ProbeFacts {
        timeout,
        client_not_after: module.device.as_ref().map(|d| d.not_after),
        mqtt_asked: module.mqtt.is_some(),
        ..ProbeFacts::default()
    };
    match served::check(&probe, families, &module.anchors, &policy, module.insecure) {
        Ok(served) => {
            let view = EndpointView {
                source: address.source.clone(),
                host: address.host.clone(),
                port: address.port,
                verified_name: address.verified_name.clone(),
                sni: address.sni.clone(),
                alpn_offered: Vec::new(),
                classification: Classification::clone(&served.classification),
                saved: Vec::new(),
            };
            let client_id = module.mqtt.as_ref().map(|m| m.client_id.as_str());
            let report = EndpointReport::of(view, &served, &module.anchors, &policy, client_id);
            judged(&mut facts, &served, &report);
        }
        Err(error) => {
            facts.failure = Some(net_failure(&error));
        }
    }
    facts.duration = started.elapsed();
    facts
}

/// The facts of a probe that saw a certificate: its handshakes, findings and verdict.
fn judged(facts: &mut ProbeFacts, served: &served::Served, report: &EndpointReport) {
    let mut all: Vec<&Finding> = report.findings.iter().collect();
    for (family, handshake) in served.families.iter().zip(&report.handshakes) {
        all.extend(&handshake.report.findings);
        let mut one = HandshakeFacts {
            sig: family.sig,
            chain_verified: handshake.chain_verified,
            ..HandshakeFacts::default()
        };
        if let Ok(h) = &family.outcome {
            one.served = true;
            one.tls_version = tls_version(&h.probe.tls.version);
            let t = &h.probe.timings;
            let ms = |v: f64| v / 1000.0;
            one.phases.push(("resolve", ms(t.resolve)));
            one.phases.push(("connect", ms(t.connect)));
            if let Some(p) = t.proxy {
                one.phases.push(("proxy", ms(p)));
            }
            one.phases.push(("tls_handshake", ms(t.handshake)));
            if let Some(p) = t.post_handshake {
                one.phases.push(("post_handshake", ms(p)));
            }
            if let Some(p) = t.mqtt {
                one.phases.push(("mqtt", ms(p)));
            }
            if let Some((chain, _)) = &h.chain.judged {
                one.not_after = chain.certs.iter().map(|c| c.not_after).collect();
            }
            one.client_cert_accepted = handshake.client_auth.as_ref().and_then(|c| c.accepted);
            one.mqtt = h.probe.mqtt.as_ref().map(mqtt_outcome);
        }
        facts.handshakes.push(one);
    }
    let mut counts: Vec<(Code, Severity, usize)> = Vec::new();
    for finding in &all {
        match counts.iter_mut().find(|(code, _, _)| *code == finding.code) {
            Some(entry) => entry.2 += 1,
            None => counts.push((finding.code, finding.severity, 1)),
        }
    }
    counts.sort_by_key(|(code, _, _)| code.as_str());
    facts.findings = counts;
    facts.success = report.verdict.passed();
    if !facts.success {
        // The lead error: findings are sorted with errors first.
        let lead = all.iter().find(|f| f.is_error());
        facts.failure = Some(match lead {
            Some(f) => finding_failure(f, served),
            None => Failure {
                phase: "chain",
                code: "none",
                reason: "finding",
            },
        });
    }
}

/// A failure before any certificate was seen, by phase and kind.
pub fn net_failure(error: &NetError) -> Failure {
    let phase = error.phase();
    let (code, reason) = match error {
        NetError::Settings(_) | NetError::ClientKey(_) => ("none", "settings"),
        NetError::Descriptors { .. } => ("none", "descriptors"),
        NetError::NoTimeLeft { .. } => ("none", "no_time_left"),
        NetError::Resolve { .. } => (Code::DnsFailed.as_str(), "no_address"),
        NetError::Connect { source, .. } => match source.kind() {
            std::io::ErrorKind::ConnectionRefused => (Code::TcpRefused.as_str(), "refused"),
            _ => (Code::TcpRefused.as_str(), "unreachable"),
        },
        NetError::Proxy { .. } => (Code::NoTlsSession.as_str(), "proxy_refused"),
        NetError::Timeout { phase, .. } => match phase.as_str() {
            "resolve" => (Code::DnsFailed.as_str(), "timeout"),
            "connect" => (Code::TcpTimeout.as_str(), "timeout"),
            _ => (Code::NoTlsSession.as_str(), "timeout"),
        },
        NetError::NotTls { .. } => (Code::NoTlsSession.as_str(), "not_tls"),
        NetError::Handshake { alert, .. } => (
            Code::NoTlsSession.as_str(),
            if alert.is_some() {
                "alert"
            } else {
                "handshake"
            },
        ),
        NetError::Closed { .. } => (Code::NoTlsSession.as_str(), "closed"),
        NetError::Io { .. } => (Code::NoTlsSession.as_str(), "io"),
    };
    Failure {
        phase,
        code,
        reason,
    }
}

/// A failure found after a certificate was seen: its phase by the code's kind.
fn finding_failure(finding: &Finding, served: &served::Served) -> Failure {
    let code = finding.code;
    let phase = match code {
        Code::ClientCertRejected | Code::ClientCertWithheld | Code::ClientCertNotSent => {
            "client_auth"
        }
        Code::MqttRefused
        | Code::MqttClosed
        | Code::MqttTimeout
        | Code::MqttUnexpected
        | Code::MqttNotSent => "mqtt",
        Code::HandshakeFailed | Code::NoChainForSignature => "tls_handshake",
        _ => "chain",
    };
    let reason = match code {
        Code::ClientCertRejected => served
            .families
            .iter()
            .filter_map(|f| f.outcome.as_ref().ok())
            .find_map(|h| h.probe.client_auth.rejection.as_deref())
            .and_then(alert_name)
            .unwrap_or("alert"),
        _ => "finding",
    };
    Failure {
        phase,
        code: code.as_str(),
        reason,
    }
}

/// The alerts a server ends a client certificate with, as label values; any other is "alert".
fn alert_name(alert: &str) -> Option<&'static str> {
    const KNOWN: [&str; 10] = [
        "bad_certificate",
        "unsupported_certificate",
        "certificate_revoked",
        "certificate_expired",
        "certificate_unknown",
        "unknown_ca",
        "access_denied",
        "certificate_required",
        "handshake_failure",
        "decrypt_error",
    ];
    KNOWN.iter().copied().find(|k| *k == alert)
}

fn tls_version(version: &str) -> Option<&'static str> {
    match version {
        "TLSv1.2" => Some("TLS 1.2"),
        "TLSv1.3" => Some("TLS 1.3"),
        _ => None,
    }
}

fn mqtt_outcome(outcome: &MqttOutcome) -> &'static str {
    match outcome {
        MqttOutcome::Accepted { .. } => "accepted",
        MqttOutcome::Refused { .. } => "refused",
        MqttOutcome::Closed { .. } => "closed",
        MqttOutcome::TimedOut { .. } => "timeout",
        MqttOutcome::Unexpected { .. } => "unexpected",
        MqttOutcome::NotSent { .. } => "not_sent",
    }
}

/// A probe that never ran: the exporter had no free slot within the scrape's budget.
pub fn busy(timeout: Duration, waited: Duration) -> ProbeFacts {
    ProbeFacts {
        success: false,
        duration: waited,
        timeout,
        failure: Some(Failure {
            phase: "setup",
            code: "none",
            reason: "busy",
        }),
        ..ProbeFacts::default()
    }
}
