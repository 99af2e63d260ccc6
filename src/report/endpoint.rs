//! The endpoint report: the chain report of each handshake plus what the connection showed
//! (TLS facts, client authentication, MQTT), and its human rendering.

use std::fmt::Write;

use serde::Serialize;

use super::{human, ChainReport};
use crate::finding::{Finding, Verdict};
use crate::net::{
    MqttOperation, MqttOperationKind, MqttOperationResult, MqttOutcome, MqttReason, MqttVersion,
    NetError, UpgradeOutcome,
};
pub use crate::targets::EndpointSource;
use crate::trust::Anchors;
use crate::verify::served::{self, Served};
use crate::verify::{Classification, Policy};

/// Timings in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct TimingsView {
    pub resolve: f64,
    pub connect: f64,
    pub proxy: Option<f64>,
    pub handshake: f64,
    pub post_handshake: Option<f64>,
    /// The WebSocket upgrade (`--transport wss` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<f64>,
    pub mqtt: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TlsView {
    pub version: String,
    pub cipher_suite: String,
    pub key_exchange_group: Option<String>,
    pub alpn: Option<String>,
    pub sni: Option<String>,
    /// The address connected (the proxy's, when `via_proxy`).
    pub address: String,
    pub via_proxy: bool,
    pub timings_ms: TimingsView,
    /// The TLS layer's words when the session did not come up after the chain was captured.
    pub handshake_error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClientAuthView {
    pub requested: bool,
    pub acceptable_ca_names: Vec<String>,
    pub signature_schemes: Vec<String>,
    pub sent: bool,
    /// The server asked for the device certificate, but it was not sent because the served
    /// chain did not verify (`--insecure` sends it anyway).
    pub withheld: bool,
    /// None when no certificate was sent.
    pub accepted: Option<bool>,
    /// The alert that rejected it, e.g. "unknown_ca".
    pub rejection: Option<String>,
}

/// How the MQTT exchange ended, as the report names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MqttResult {
    Accepted,
    Refused,
    Closed,
    Timeout,
    Unexpected,
    NotSent,
}

impl MqttResult {
    fn words(self) -> &'static str {
        match self {
            MqttResult::Accepted => "accepted",
            MqttResult::Refused => "refused",
            MqttResult::Closed => "closed",
            MqttResult::Timeout => "timeout",
            MqttResult::Unexpected => "unexpected",
            MqttResult::NotSent => "not sent",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct MqttView {
    /// The client id sent in CONNECT.
    pub client_id: Option<String>,
    /// "3.1.1" or "5".
    pub version: &'static str,
    pub outcome: MqttResult,
    /// The CONNACK's return code (3.1.1) or reason code (5), as sent.
    pub return_code: Option<u8>,
    pub reason: Option<String>,
    /// MQTT 5: the CONNACK's reason string, as the broker sent it.
    pub reason_string: Option<String>,
    pub millis: Option<f64>,
    pub session_present: Option<bool>,
    /// The SUBSCRIBEs and PUBLISHes after CONNACK (`--subscribe`, `--publish`), in order.
    pub operations: Vec<MqttOperationView>,
    /// MQTT 5: the broker's DISCONNECT after CONNACK, when it sent one.
    pub disconnect: Option<MqttReasonView>,
}

/// One SUBSCRIBE or PUBLISH and its answer.
#[derive(Clone, Debug, Serialize)]
pub struct MqttOperationView {
    /// "subscribe" or "publish".
    pub kind: &'static str,
    /// The topic filter or topic.
    pub topic: String,
    /// "accepted" or "refused" (a SUBACK or PUBACK with that code), "closed" (the broker
    /// ended the connection instead), "timeout", "unexpected", "not_sent".
    pub outcome: &'static str,
    pub code: Option<u8>,
    pub reason: Option<String>,
    pub reason_string: Option<String>,
    pub millis: Option<f64>,
}

/// A reason code as the broker sent it.
#[derive(Clone, Debug, Serialize)]
pub struct MqttReasonView {
    pub code: u8,
    pub reason: String,
    pub reason_string: Option<String>,
}

/// One handshake's report. `verdict` and `findings` (inside the flattened chain report)
/// cover the chain, the client certificate and MQTT: the verdict is "ok" only when all of
/// them passed.
#[derive(Clone, Debug, Serialize)]
pub struct HandshakeReport {
    /// The signature schemes offered: "any", "rsa" or "ecdsa".
    pub sig: String,
    pub chain_verified: bool,
    /// Why no TLS session came up (with `--sig both`, for a family the server cannot serve).
    pub error: Option<HandshakeError>,
    #[serde(flatten)]
    pub report: ChainReport,
    pub tls: Option<TlsView>,
    pub client_auth: Option<ClientAuthView>,
    /// The WebSocket upgrade's answer (`--transport wss` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub websocket: Option<WebSocketView>,
    pub mqtt: Option<MqttView>,
    /// The HTTP request after the handshake (`--credentials`, `--https-publish`).
    pub https: Option<super::https::HttpsView>,
}

/// The answer to the WebSocket upgrade request.
#[derive(Clone, Debug, Serialize)]
pub struct WebSocketView {
    /// "switched", "refused", "failed", "timeout" or "not_sent".
    pub outcome: &'static str,
    /// The HTTP status (101 when switched).
    pub status: Option<u16>,
    /// The subprotocol the server chose, when switched (`mqtt`).
    pub subprotocol: Option<String>,
    /// AWS's `x-amzn-ErrorType` header, when refused.
    pub error_type: Option<String>,
    /// The start of a refusal's body (at most 8 KiB, secrets removed), or why it failed.
    pub detail: Option<String>,
    pub millis: Option<f64>,
}

impl WebSocketView {
    fn of(outcome: &UpgradeOutcome) -> WebSocketView {
        let base = |outcome| WebSocketView {
            outcome,
            status: None,
            subprotocol: None,
            error_type: None,
            detail: None,
            millis: None,
        };
        match outcome {
            UpgradeOutcome::Switched {
                millis,
                subprotocol,
            } => WebSocketView {
                status: Some(101),
                subprotocol: subprotocol.clone(),
                millis: Some(round(*millis)),
                ..base("switched")
            },
            UpgradeOutcome::Refused {
                status,
                error_type,
                body,
                millis,
                ..
            } => WebSocketView {
                status: Some(*status),
                error_type: error_type.clone(),
                detail: Some(body.clone()),
                millis: Some(round(*millis)),
                ..base("refused")
            },
            UpgradeOutcome::Failed { detail, millis } => WebSocketView {
                detail: Some(detail.clone()),
                millis: Some(round(*millis)),
                ..base("failed")
            },
            UpgradeOutcome::TimedOut { millis } => WebSocketView {
                millis: Some(round(*millis)),
                ..base("timeout")
            },
            UpgradeOutcome::NotSent { reason } => WebSocketView {
                detail: Some(reason.clone()),
                ..base("not_sent")
            },
        }
    }
}

/// A handshake that failed before any certificate was seen.
#[derive(Clone, Debug, Serialize)]
pub struct HandshakeError {
    pub phase: &'static str,
    pub message: String,
}

impl HandshakeError {
    pub fn of(error: &NetError) -> HandshakeError {
        HandshakeError {
            phase: error.phase(),
            message: error.to_string(),
        }
    }
}

impl HandshakeReport {
    /// The report of a handshake probed and judged by [`served::handshake`]: its served
    /// chain's certificates and path, under the handshake's findings and verdict (the chain's
    /// and the connection's); `client_id` is what MQTT CONNECT carried.
    pub fn of(
        sig: &str,
        handshake: &served::Handshake,
        anchors: &Anchors,
        policy: &Policy,
        client_id: Option<&str>,
    ) -> HandshakeReport {
        let report = match &handshake.chain.judged {
            Some((chain, judgement)) => ChainReport::build(chain, anchors, policy, judgement),
            None => ChainReport::empty(anchors, policy),
        }
        .judged(handshake.verdict, handshake.findings.clone());
        let probe = &handshake.probe;
        let ca = &probe.client_auth;
        let client_auth = ClientAuthView {
            requested: ca.requested,
            acceptable_ca_names: handshake.acceptable_ca_names.clone(),
            signature_schemes: ca.signature_schemes.clone(),
            sent: ca.sent,
            withheld: ca.withheld,
            accepted: handshake.client_cert_accepted,
            rejection: ca.rejection.clone(),
        };
        let t = &probe.timings;
        let tls = TlsView {
            version: probe.tls.version.clone(),
            cipher_suite: probe.tls.cipher_suite.clone(),
            key_exchange_group: probe.tls.key_exchange_group.clone(),
            alpn: probe.tls.alpn.clone(),
            sni: probe.tls.sni.clone(),
            address: probe.peer.to_string(),
            via_proxy: probe.via_proxy,
            timings_ms: TimingsView {
                resolve: round(t.resolve),
                connect: round(t.connect),
                proxy: t.proxy.map(round),
                handshake: round(t.handshake),
                post_handshake: t.post_handshake.map(round),
                upgrade: t.upgrade.map(round),
                mqtt: t.mqtt.map(round),
            },
            handshake_error: probe.handshake_error.clone(),
        };
        let mqtt = probe.mqtt.as_ref().map(|m| MqttView {
            client_id: client_id.map(str::to_string),
            ..mqtt_view(m, probe.mqtt_version)
        });
        HandshakeReport {
            sig: sig.to_string(),
            chain_verified: handshake.chain.verified(),
            error: None,
            report,
            tls: Some(tls),
            client_auth: Some(client_auth),
            websocket: probe.upgrade.as_ref().map(WebSocketView::of),
            mqtt,
            https: probe
                .https
                .as_ref()
                .map(|h| super::https::HttpsView::of(h, request_line(h))),
        }
    }

    /// A handshake of `--sig both` that came up with no session: `report` is an empty chain
    /// report, and `finding` says what a device offering only this family meets.
    fn failed(
        sig: &str,
        report: ChainReport,
        error: HandshakeError,
        finding: Finding,
    ) -> HandshakeReport {
        let report = report.judged(Verdict::Fail, vec![finding]);
        HandshakeReport {
            sig: sig.to_string(),
            chain_verified: false,
            error: Some(error),
            report,
            tls: None,
            client_auth: None,
            websocket: None,
            mqtt: None,
            https: None,
        }
    }

    /// Chain, client certificate and MQTT all passed.
    pub fn passed(&self) -> bool {
        self.report.is_valid()
    }
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

fn mqtt_view(outcome: &MqttOutcome, version: MqttVersion) -> MqttView {
    let base = |outcome, millis: Option<f64>| MqttView {
        client_id: None,
        version: version.name(),
        outcome,
        return_code: None,
        reason: None,
        reason_string: None,
        millis: millis.map(round),
        session_present: None,
        operations: Vec::new(),
        disconnect: None,
    };
    match outcome {
        MqttOutcome::Accepted {
            millis,
            session_present,
            session,
        } => MqttView {
            return_code: Some(0),
            session_present: Some(*session_present),
            operations: session.operations.iter().map(operation_view).collect(),
            disconnect: session.disconnect.as_ref().map(reason_view),
            ..base(MqttResult::Accepted, Some(*millis))
        },
        MqttOutcome::Refused {
            code,
            reason,
            reason_string,
            millis,
        } => MqttView {
            return_code: Some(*code),
            reason: Some(reason.clone()),
            reason_string: reason_string.clone(),
            ..base(MqttResult::Refused, Some(*millis))
        },
        MqttOutcome::Closed { millis } => base(MqttResult::Closed, Some(*millis)),
        MqttOutcome::TimedOut { millis } => base(MqttResult::Timeout, Some(*millis)),
        MqttOutcome::Unexpected { detail, millis } => MqttView {
            reason: Some(detail.clone()),
            ..base(MqttResult::Unexpected, Some(*millis))
        },
        MqttOutcome::NotSent { reason } => MqttView {
            reason: Some(reason.clone()),
            ..base(MqttResult::NotSent, None)
        },
    }
}

fn reason_view(reason: &MqttReason) -> MqttReasonView {
    MqttReasonView {
        code: reason.code,
        reason: reason.reason.clone(),
        reason_string: reason.reason_string.clone(),
    }
}

fn operation_view(operation: &MqttOperation) -> MqttOperationView {
    let kind = match operation.kind {
        MqttOperationKind::Subscribe => "subscribe",
        MqttOperationKind::Publish => "publish",
    };
    let view = |outcome| MqttOperationView {
        kind,
        topic: operation.topic.clone(),
        outcome,
        code: None,
        reason: None,
        reason_string: None,
        millis: Some(round(operation.millis)),
    };
    match &operation.result {
        MqttOperationResult::Acked(reason) => MqttOperationView {
            code: Some(reason.code),
            reason: Some(reason.reason.clone()),
            reason_string: reason.reason_string.clone(),
            ..view(if reason.is_failure() {
                "refused"
            } else {
                "accepted"
            })
        },
        MqttOperationResult::Closed => view("closed"),
        MqttOperationResult::TimedOut => view("timeout"),
        MqttOperationResult::Unexpected { detail } => MqttOperationView {
            reason: Some(detail.clone()),
            ..view("unexpected")
        },
        MqttOperationResult::NotSent => MqttOperationView {
            millis: None,
            ..view("not_sent")
        },
    }
}

/// Where the endpoint was and how it was reached.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointView {
    pub source: EndpointSource,
    pub host: String,
    pub port: u16,
    pub verified_name: String,
    pub sni: Option<String>,
    pub alpn_offered: Vec<String>,
    pub classification: Classification,
    /// Files written by --save.
    pub saved: Vec<String>,
}

/// `endpoint`'s report: the same shape for one handshake and for `--sig both`.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointReport {
    pub schema_version: u32,
    pub command: &'static str,
    /// "ok" only when every handshake passed and no endpoint finding is an error.
    pub verdict: Verdict,
    pub endpoint: EndpointView,
    /// Findings about the endpoint's name and addressing (each handshake has its own).
    pub findings: Vec<Finding>,
    pub handshakes: Vec<HandshakeReport>,
}

impl EndpointReport {
    /// The report of a target probed and judged by [`served::check`]: `endpoint` says where
    /// it is and how it was reached, `client_id` what MQTT CONNECT carried.
    pub fn of(
        endpoint: EndpointView,
        served: &Served,
        anchors: &Anchors,
        policy: &Policy,
        client_id: Option<&str>,
    ) -> EndpointReport {
        let handshakes = served
            .families
            .iter()
            .map(|family| match &family.outcome {
                Ok(handshake) => {
                    HandshakeReport::of(family.sig, handshake, anchors, policy, client_id)
                }
                Err(unserved) => HandshakeReport::failed(
                    family.sig,
                    ChainReport::empty(anchors, policy),
                    HandshakeError::of(&unserved.error),
                    unserved.finding.clone(),
                ),
            })
            .collect();
        EndpointReport {
            schema_version: super::SCHEMA_VERSION,
            command: "endpoint",
            verdict: served.verdict,
            endpoint,
            findings: served.findings.clone(),
            handshakes,
        }
    }
}

/// `endpoint --brief`: the verdict line and the findings (with `--sig both`, each handshake's
/// under its own verdict line).
pub fn render_brief(report: &EndpointReport) -> String {
    let mut out = verdict(report);
    human::finding_lines(&mut out, &report.findings);
    let several = report.handshakes.len() > 1;
    for h in &report.handshakes {
        if several {
            human::verdict_line(&mut out, &h.sig, h.passed(), &summary_of(h));
        }
        human::finding_lines(&mut out, &h.report.findings);
    }
    out
}

/// The verdict line: the target and each handshake's summary.
fn verdict(report: &EndpointReport) -> String {
    let mut out = String::new();
    let endpoint = &report.endpoint;
    human::verdict_line(
        &mut out,
        &super::targets::authority(&endpoint.host, endpoint.port),
        report.verdict.passed(),
        &headline(report),
    );
    out
}

/// Each handshake's summary in a few words, as the verdict line shows them.
pub fn headline(report: &EndpointReport) -> String {
    let several = report.handshakes.len() > 1;
    let summary: Vec<String> = report
        .handshakes
        .iter()
        .map(|h| {
            if several {
                format!("{}: {}", h.sig.to_uppercase(), summary_of(h))
            } else {
                summary_of(h)
            }
        })
        .collect();
    summary.join("; ")
}

/// Human text for one or more handshakes.
pub fn render(report: &EndpointReport) -> String {
    let mut out = verdict(report);
    let endpoint = &report.endpoint;
    let handshakes = &report.handshakes;
    let several = handshakes.len() > 1;
    human::field(
        &mut out,
        0,
        "endpoint",
        &human::clean(&format!(
            "{} ({})",
            endpoint.classification.description,
            endpoint.classification.kind.as_str()
        )),
    );
    if let EndpointSource::DescribeEndpoint {
        region,
        endpoint_type,
    } = &endpoint.source
    {
        human::field(
            &mut out,
            0,
            "found by",
            &human::clean(&format!(
                "DescribeEndpoint ({endpoint_type}) in {region}, the account's own endpoint"
            )),
        );
    }
    human::findings(&mut out, &report.findings);
    for h in handshakes {
        if several {
            let _ = writeln!(
                out,
                "\n── handshake offering {} signatures ──",
                h.sig.to_uppercase()
            );
            human::verdict_line(&mut out, &h.sig, h.passed(), &summary_of(h));
        }
        if h.error.is_some() {
            human::findings(&mut out, &h.report.findings);
            continue;
        }
        connection(&mut out, h, endpoint);
        out.push('\n');
        human::chain_report(&mut out, &h.report);
    }
    for file in &endpoint.saved {
        let _ = writeln!(out, "saved         {}", human::clean(file));
    }
    out
}

fn summary_of(h: &HandshakeReport) -> String {
    let Some(auth) = &h.client_auth else {
        return "no TLS session".to_string();
    };
    let mut parts = vec![if h.chain_verified {
        "chain verified".to_string()
    } else {
        format!(
            "chain does not verify ({})",
            h.report.lead().map_or("?", |p| p.code.as_str())
        )
    }];
    match auth.accepted {
        Some(true) => parts.push("client certificate accepted".into()),
        Some(false) => parts.push("client certificate REJECTED".into()),
        None if auth.withheld => {
            parts.push("client certificate withheld (chain not verified)".into())
        }
        None if auth.requested => parts.push("client certificate requested, none sent".into()),
        None => {}
    }
    if let Some(m) = &h.mqtt {
        parts.push(format!("MQTT {}", m.outcome.words()));
    }
    if let Some(x) = &h.https {
        parts.push(format!("HTTP {}", x.words()));
    }
    parts.join(", ")
}

fn connection(out: &mut String, h: &HandshakeReport, endpoint: &EndpointView) {
    let (Some(t), Some(ca)) = (&h.tls, &h.client_auth) else {
        return;
    };
    let via = if t.via_proxy { " (proxy)" } else { "" };
    human::field(out, 0, "connected", &format!("{}{via}", t.address));
    let version = if t.version.is_empty() {
        "?"
    } else {
        &t.version
    };
    let group = t.key_exchange_group.as_deref().unwrap_or("-");
    human::field(
        out,
        0,
        "tls",
        &format!("{version}  {}  {group}", t.cipher_suite),
    );
    human::field(
        out,
        0,
        "sni / alpn",
        &format!(
            "{} / {} (offered {})",
            t.sni.as_deref().unwrap_or("(none sent)"),
            t.alpn.as_deref().unwrap_or("none"),
            if endpoint.alpn_offered.is_empty() {
                "none".to_string()
            } else {
                endpoint.alpn_offered.join(",")
            }
        ),
    );
    let ms = &t.timings_ms;
    let mut timing = format!("resolve {:.1} ms, connect {:.1} ms", ms.resolve, ms.connect);
    if let Some(p) = ms.proxy {
        let _ = write!(timing, ", proxy {p:.1} ms");
    }
    let _ = write!(timing, ", handshake {:.1} ms", ms.handshake);
    if let Some(p) = ms.post_handshake {
        let _ = write!(timing, ", post-handshake read {p:.1} ms");
    }
    if let Some(p) = ms.upgrade {
        let _ = write!(timing, ", websocket upgrade {p:.1} ms");
    }
    if let Some(p) = ms.mqtt {
        let _ = write!(timing, ", mqtt {p:.1} ms");
    }
    human::field(out, 0, "timings", &timing);
    let client = if !ca.requested {
        "not requested by the server".to_string()
    } else {
        let names = if ca.acceptable_ca_names.is_empty() {
            "any CA".to_string()
        } else {
            ca.acceptable_ca_names.join("; ")
        };
        let fate = match (ca.sent, ca.accepted, &ca.rejection) {
            (false, _, _) if ca.withheld => {
                human::warn("withheld: the server's chain did not verify")
            }
            (false, _, _) => human::warn("none sent"),
            (true, Some(true), _) => human::ok("sent, accepted"),
            (true, _, Some(alert)) => human::bad(&format!("sent, rejected ({alert})")),
            (true, _, None) => human::bad("sent, handshake failed"),
        };
        format!("requested (acceptable: {}); {fate}", human::clean(&names))
    };
    human::field(out, 0, "client cert", &client);
    if ca.requested && !ca.signature_schemes.is_empty() {
        human::field(out, 0, "  schemes", &ca.signature_schemes.join(", "));
    }
    if let Some(w) = &h.websocket {
        let detail = human::clean(w.detail.as_deref().unwrap_or(""));
        let text = match w.outcome {
            "switched" => human::ok(&format!(
                "101 Switching Protocols (subprotocol {})",
                w.subprotocol.as_deref().unwrap_or("none")
            )),
            "refused" => human::bad(&format!(
                "{}{}: {detail}",
                w.status.unwrap_or(0),
                w.error_type
                    .as_deref()
                    .map(|kind| format!(" {}", human::clean(kind)))
                    .unwrap_or_default()
            )),
            "not_sent" => human::warn(&format!("not sent: {detail}")),
            "timeout" => human::bad("no answer within the timeout"),
            _ => human::bad(&detail),
        };
        human::field(out, 0, "websocket", &text);
    }
    if let Some(m) = &h.mqtt {
        let text = match m.outcome {
            MqttResult::Accepted => human::ok(&format!(
                "CONNACK 0, accepted in {:.1} ms",
                m.millis.unwrap_or(0.0)
            )),
            MqttResult::Refused if m.version == "5" => human::bad(&format!(
                "CONNACK 0x{:02X}: {}{}",
                m.return_code.unwrap_or(0),
                m.reason.as_deref().unwrap_or(""),
                quoted_reason_string(m.reason_string.as_deref())
            )),
            MqttResult::Refused => human::bad(&format!(
                "CONNACK {}: {}",
                m.return_code.unwrap_or(0),
                m.reason.as_deref().unwrap_or("")
            )),
            MqttResult::Closed => human::bad("closed without CONNACK"),
            MqttResult::Timeout => human::bad("no CONNACK within the timeout"),
            other => human::warn(&format!(
                "{}: {}",
                other.words(),
                m.reason.as_deref().unwrap_or("")
            )),
        };
        human::field(out, 0, "mqtt", &text);
        if m.version == "5" {
            human::field(out, 0, "  version", "MQTT 5");
        }
        for op in &m.operations {
            human::field(
                out,
                0,
                &format!("  {}", op.kind),
                &operation_text(op, m.version),
            );
        }
        if let Some(d) = &m.disconnect {
            human::field(
                out,
                0,
                "  disconnect",
                &human::bad(&format!(
                    "DISCONNECT 0x{:02X}: {}{}",
                    d.code,
                    d.reason,
                    quoted_reason_string(d.reason_string.as_deref())
                )),
            );
        }
    }
    if let Some(x) = &h.https {
        let words = human::clean(&x.words());
        let text = match (x.outcome, x.status) {
            ("answered", Some(200..=299)) if x.detail.is_none() => human::ok(&words),
            _ => human::bad(&words),
        };
        human::field(
            out,
            0,
            x.purpose,
            &format!("{}: {text}", human::clean(&x.request)),
        );
    }
}

/// "GET /role-aliases/A/credentials": the request an exchange made.
fn request_line(https: &crate::net::Https) -> String {
    match &https.purpose {
        crate::net::HttpsPurpose::Credentials { role_alias, .. } => {
            format!("GET /role-aliases/{role_alias}/credentials")
        }
        crate::net::HttpsPurpose::Publish { topic } => format!("POST /topics/{topic}?qos=1"),
    }
}

/// One SUBSCRIBE or PUBLISH as a line: the topic, then its answer.
fn operation_text(op: &MqttOperationView, version: &str) -> String {
    let topic = human::clean(&op.topic);
    let ack = if op.kind == "subscribe" {
        "SUBACK"
    } else {
        "PUBACK"
    };
    let code = match (op.code, version) {
        (Some(code), "5") => format!("0x{code:02X}"),
        (Some(code), _) if op.kind == "subscribe" => format!("0x{code:02X}"),
        _ => String::new(),
    };
    let reason = op.reason.as_deref().unwrap_or("");
    match op.outcome {
        "accepted" => human::ok(&format!(
            "{topic}: {ack} {code} {reason}{}",
            quoted_reason_string(op.reason_string.as_deref())
        )),
        "refused" => human::bad(&format!(
            "{topic}: {ack} {code} {reason}{}",
            quoted_reason_string(op.reason_string.as_deref())
        )),
        "closed" => human::bad(&format!(
            "{topic}: the broker closed the connection instead of a {ack}"
        )),
        "timeout" => human::bad(&format!("{topic}: no {ack} within the timeout")),
        "unexpected" => human::warn(&format!("{topic}: {reason}")),
        _ => human::warn(&format!("{topic}: not sent, the session had ended")),
    }
}

/// An MQTT 5 reason string as the broker sent it, made safe for a terminal.
fn quoted_reason_string(text: Option<&str>) -> String {
    text.map(|t| format!(" (\"{}\")", human::clean(t)))
        .unwrap_or_default()
}
