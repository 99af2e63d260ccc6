//! The endpoint report: the chain report of each handshake plus what the connection showed
//! (TLS facts, client authentication, MQTT), and its human rendering.

use std::fmt::Write;

use serde::Serialize;
use x509_parser::prelude::FromDer;

use super::{human, ChainReport};
use crate::net::{MqttOutcome, Probe};
use crate::verify::{Finding, Hint};

/// What kind of endpoint a host name is.
#[derive(Clone, Debug, Serialize)]
pub struct Classification {
    /// "ats_data", "legacy_data", "credential_provider", "custom_domain" or "ip_literal".
    pub kind: &'static str,
    pub region: Option<String>,
    pub description: String,
}

/// Classifies a host name by the AWS IoT naming rules.
pub fn classify(host: &str) -> Classification {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Classification {
            kind: "ip_literal",
            region: None,
            description: "an IP address: no SNI is sent and no certificate name can match".into(),
        };
    }
    let lower = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let aws = lower.ends_with(".amazonaws.com") || lower.ends_with(".amazonaws.com.cn");
    // <prefix>.iot.<region>.amazonaws.com or <prefix>.credentials.iot.<region>.amazonaws.com
    if aws && labels.len() >= 5 {
        if let Some(iot) = labels.iter().position(|l| *l == "iot") {
            let region = labels.get(iot + 1).map(|r| r.to_string());
            if iot >= 1 && labels[iot - 1] == "credentials" {
                return Classification {
                    kind: "credential_provider",
                    region,
                    description: "AWS IoT credential provider (HTTPS, port 443)".into(),
                };
            }
            // China regions: <prefix>.ats.iot.<region>.amazonaws.com.cn
            let china_ats = iot == 2 && labels[1] == "ats";
            if iot == 1 || china_ats {
                return if china_ats || labels[0].ends_with("-ats") {
                    Classification {
                        kind: "ats_data",
                        region,
                        description: "AWS IoT data endpoint (ATS, Amazon roots)".into(),
                    }
                } else {
                    Classification {
                        kind: "legacy_data",
                        region,
                        description: "legacy iot:Data endpoint (VeriSign root, retired): use the -ats endpoint".into(),
                    }
                };
            }
        }
    }
    Classification {
        kind: "custom_domain",
        region: None,
        description: "not an AWS IoT name: a custom domain, VPC endpoint or other server".into(),
    }
}

/// Timings in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct TimingsView {
    pub resolve: f64,
    pub connect: f64,
    pub proxy: Option<f64>,
    pub handshake: f64,
    pub post_handshake: Option<f64>,
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

#[derive(Clone, Debug, Serialize)]
pub struct MqttView {
    /// The client id sent in CONNECT.
    pub client_id: Option<String>,
    /// "accepted", "refused", "closed", "timeout", "unexpected" or "not_sent".
    pub outcome: &'static str,
    pub return_code: Option<u8>,
    pub reason: Option<String>,
    pub millis: Option<f64>,
    pub session_present: Option<bool>,
}

/// One handshake's report. `verdict` (inside the flattened chain report) covers the chain,
/// the client certificate and MQTT: it is "valid" only when all of them passed.
#[derive(Clone, Debug, Serialize)]
pub struct HandshakeReport {
    /// The signature schemes offered: "any", "rsa" or "ecdsa".
    pub sig: String,
    pub chain_verified: bool,
    #[serde(flatten)]
    pub report: ChainReport,
    pub tls: TlsView,
    pub client_auth: ClientAuthView,
    pub mqtt: Option<MqttView>,
    #[serde(skip)]
    pub served: Vec<Vec<u8>>,
}

impl HandshakeReport {
    pub fn new(sig: &str, report: ChainReport, probe: Probe, insecure: bool) -> HandshakeReport {
        let chain_verified = report.is_valid();
        let ca = &probe.client_auth;
        let client_auth = ClientAuthView {
            requested: ca.requested,
            acceptable_ca_names: ca
                .acceptable_ca_names
                .iter()
                .map(|der| {
                    x509_parser::x509::X509Name::from_der(der)
                        .map(|(_, n)| n.to_string())
                        .unwrap_or_else(|_| format!("(unparsable, {} bytes)", der.len()))
                })
                .collect(),
            signature_schemes: ca.signature_schemes.clone(),
            sent: ca.sent,
            withheld: ca.withheld,
            accepted: if ca.sent {
                Some(ca.rejection.is_none() && probe.handshake_error.is_none())
            } else {
                None
            },
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
                mqtt: t.mqtt.map(round),
            },
            handshake_error: probe.handshake_error.clone(),
        };
        let mqtt = probe.mqtt.as_ref().map(mqtt_view);
        let mut this = HandshakeReport {
            sig: sig.to_string(),
            chain_verified,
            report,
            tls,
            client_auth,
            mqtt,
            served: probe.served,
        };
        this.add_connection_findings(insecure);
        this
    }

    /// Exit 0 material: chain, client certificate and MQTT all passed.
    pub fn passed(&self) -> bool {
        self.report.is_valid()
    }

    fn problem(&mut self, code: &'static str, message: String) {
        self.report.problems.push(Finding {
            code,
            certificate: None,
            message,
        });
        self.report.verdict = "invalid";
    }

    fn warning(&mut self, code: &'static str, message: String) {
        self.report.warnings.push(Finding {
            code,
            certificate: None,
            message,
        });
    }

    fn hint(&mut self, code: &'static str, message: String) {
        self.report.hints.push(Hint { code, message });
    }

    fn add_connection_findings(&mut self, insecure: bool) {
        let ca = self.client_auth.clone();
        match (&ca.rejection, ca.sent) {
            _ if ca.withheld => self.warning(
                "client_cert_withheld",
                "the server asked for a client certificate; it was withheld and the handshake ended because the server's chain did not verify, as a device does (--insecure sends it anyway)".to_string(),
            ),
            (Some(alert), true) => self.problem(
                "client_cert_rejected",
                format!("the server rejected the device certificate with alert {alert}: {}", alert_meaning(alert)),
            ),
            (Some(alert), false) => self.warning(
                "client_cert_not_sent",
                format!("the server requires a client certificate and none was sent (alert {alert}); give --cert and --key to test the device's"),
            ),
            (None, false) if ca.requested => self.warning(
                "client_cert_not_sent",
                "the server asked for a client certificate and none was sent; give --cert and --key to test the device's".to_string(),
            ),
            _ => {}
        }
        if let (Some(error), None) = (&self.tls.handshake_error.clone(), &ca.rejection) {
            self.problem(
                "handshake_failed",
                format!("the TLS handshake failed after the server's certificate: {error}"),
            );
        }
        if self.report.total_bytes > SMALL_TLS_BUFFER {
            self.warning(
                "large_chain",
                format!(
                    "the server sent {} bytes of certificates: a device whose TLS input buffer is {} bytes (a common mbedTLS MBEDTLS_SSL_IN_CONTENT_LEN on small devices) cannot receive them",
                    self.report.total_bytes, SMALL_TLS_BUFFER
                ),
            );
        }
        if !self.chain_verified && insecure {
            self.warning(
                "insecure",
                "--insecure: application data was allowed over a connection whose chain did not verify".to_string(),
            );
        }
        let mqtt = self.mqtt.clone();
        if let Some(m) = mqtt {
            match m.outcome {
                "accepted" => {}
                "refused" => self.problem(
                    "mqtt_refused",
                    format!(
                        "the broker refused CONNECT with return code {} ({})",
                        m.return_code.unwrap_or(0),
                        m.reason.clone().unwrap_or_default()
                    ),
                ),
                "closed" => self.problem(
                    "mqtt_closed",
                    "the broker closed the connection without CONNACK: on AWS IoT the certificate is known, but no policy allows iot:Connect for this client id, or another connection uses the same client id".to_string(),
                ),
                "timeout" => self.problem(
                    "mqtt_timeout",
                    "no CONNACK within the timeout: the server took the CONNECT but did not answer it (an MQTT broker answers at once; on 443 AWS IoT expects ALPN x-amzn-mqtt-ca for MQTT)".to_string(),
                ),
                "unexpected" => self.problem(
                    "mqtt_unexpected",
                    format!("the broker did not answer CONNECT with a CONNACK: {}", m.reason.clone().unwrap_or_default()),
                ),
                _ => {
                    if self.chain_verified {
                        self.problem(
                            "mqtt_not_sent",
                            format!("MQTT CONNECT was not sent: {}", m.reason.clone().unwrap_or_default()),
                        );
                    } else {
                        self.warning(
                            "mqtt_not_sent",
                            "MQTT CONNECT was not sent because the server chain did not verify (--insecure overrides)".to_string(),
                        );
                    }
                }
            }
        }
    }

    /// Findings that depend on the endpoint rather than the connection.
    pub fn add_endpoint_findings(&mut self, classification: &Classification, no_sni: bool) {
        match classification.kind {
            "legacy_data" => self.hint(
                "legacy_endpoint",
                "this is a legacy iot:Data endpoint (no -ats): AWS retired its VeriSign chain; use `aws iot describe-endpoint --endpoint-type iot:Data-ATS` and the Amazon roots".to_string(),
            ),
            "ip_literal" => self.warning(
                "ip_literal",
                "connecting by IP address: no SNI is sent and the certificate's names cannot match; use the endpoint name (and --connect for the address)".to_string(),
            ),
            _ => {}
        }
        if no_sni && classification.kind != "ip_literal" {
            self.warning(
                "no_sni",
                "no SNI was sent: AWS IoT needs SNI for configurable endpoints, custom domains, multi-account registration and VPC endpoints".to_string(),
            );
        }
    }
}

/// A TLS input buffer size small devices are often built with.
const SMALL_TLS_BUFFER: usize = 4096;

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

fn mqtt_view(outcome: &MqttOutcome) -> MqttView {
    let base = |outcome, millis| MqttView {
        client_id: None,
        outcome,
        return_code: None,
        reason: None,
        millis: Some(round(millis)),
        session_present: None,
    };
    match outcome {
        MqttOutcome::Accepted {
            millis,
            session_present,
        } => MqttView {
            return_code: Some(0),
            session_present: Some(*session_present),
            ..base("accepted", *millis)
        },
        MqttOutcome::Refused {
            code,
            reason,
            millis,
        } => MqttView {
            return_code: Some(*code),
            reason: Some(reason.clone()),
            ..base("refused", *millis)
        },
        MqttOutcome::Closed { millis } => base("closed", *millis),
        MqttOutcome::TimedOut { millis } => base("timeout", *millis),
        MqttOutcome::Unexpected { detail, millis } => MqttView {
            reason: Some(detail.clone()),
            ..base("unexpected", *millis)
        },
        MqttOutcome::NotSent { reason } => MqttView {
            client_id: None,
            outcome: "not_sent",
            return_code: None,
            reason: Some(reason.clone()),
            millis: None,
            session_present: None,
        },
    }
}

/// What a TLS alert after the client certificate usually means on AWS IoT.
fn alert_meaning(alert: &str) -> &'static str {
    match alert {
        "unknown_ca" => "the certificate's issuer is not registered in this account and region (bring-your-own-CA not registered, or wrong account/region)",
        "bad_certificate" | "certificate_unknown" => "the certificate is not registered in this account and region, or is inactive",
        "certificate_revoked" => "the certificate is revoked",
        "certificate_expired" => "the device certificate has expired (or the server's clock and the certificate disagree)",
        "certificate_required" => "the server requires a client certificate",
        "access_denied" => "the certificate is known but not allowed",
        "decrypt_error" => "the CertificateVerify signature did not verify: the key may not match the certificate",
        _ => "on AWS IoT this usually means the certificate is not registered, inactive or revoked, or belongs to another account or region",
    }
}

/// Where the endpoint was and how it was reached.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointView {
    pub host: String,
    pub port: u16,
    pub verified_name: String,
    pub sni: Option<String>,
    pub alpn_offered: Vec<String>,
    pub classification: Classification,
    /// Files written by --save.
    pub saved: Vec<String>,
}

/// A handshake of `--sig both` that failed before any certificate: the server has no chain
/// for that signature family (or refused it for another reason, named in `message`).
#[derive(Clone, Debug, Serialize)]
pub struct FailedHandshake {
    pub sig: String,
    pub phase: &'static str,
    pub message: String,
}

/// `endpoint --json`: one handshake's report at the top level, or with `--sig both` a
/// combined verdict, `handshakes` and `failed_handshakes`.
#[derive(Serialize)]
pub struct EndpointJson {
    schema_version: u32,
    command: &'static str,
    endpoint: EndpointView,
    #[serde(flatten)]
    single: Option<HandshakeReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handshakes: Option<Vec<HandshakeReport>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_handshakes: Option<Vec<FailedHandshake>>,
}

impl EndpointJson {
    pub fn new(
        schema_version: u32,
        endpoint: EndpointView,
        mut handshakes: Vec<HandshakeReport>,
        failed: Vec<FailedHandshake>,
        both: bool,
    ) -> EndpointJson {
        if both {
            let ok = failed.is_empty() && handshakes.iter().all(HandshakeReport::passed);
            EndpointJson {
                schema_version,
                command: "endpoint",
                endpoint,
                single: None,
                verdict: Some(if ok { "valid" } else { "invalid" }),
                handshakes: Some(handshakes),
                failed_handshakes: Some(failed),
            }
        } else {
            EndpointJson {
                schema_version,
                command: "endpoint",
                endpoint,
                single: handshakes.pop(),
                verdict: None,
                handshakes: None,
                failed_handshakes: None,
            }
        }
    }
}

/// Human text for one or more handshakes.
pub fn render(
    endpoint: &EndpointView,
    handshakes: &[HandshakeReport],
    failed: &[FailedHandshake],
) -> String {
    let mut out = String::new();
    let target = if endpoint.host.contains(':') {
        format!("[{}]:{}", endpoint.host, endpoint.port)
    } else {
        format!("{}:{}", endpoint.host, endpoint.port)
    };
    let all_ok = failed.is_empty() && handshakes.iter().all(HandshakeReport::passed);
    let several = handshakes.len() + failed.len() > 1;
    let mut summary: Vec<String> = handshakes
        .iter()
        .map(|h| {
            if several {
                format!("{}: {}", h.sig.to_uppercase(), summary_of(h))
            } else {
                summary_of(h)
            }
        })
        .collect();
    summary.extend(
        failed
            .iter()
            .map(|f| format!("{}: no handshake", f.sig.to_uppercase())),
    );
    human::verdict_line(&mut out, &target, all_ok, &summary.join("; "));
    human::field(
        &mut out,
        0,
        "endpoint",
        &human::clean(&format!(
            "{} ({})",
            endpoint.classification.description, endpoint.classification.kind
        )),
    );
    for h in handshakes {
        if handshakes.len() > 1 {
            let _ = writeln!(
                out,
                "\n── handshake offering {} signatures ──",
                h.sig.to_uppercase()
            );
            human::verdict_line(&mut out, &h.sig, h.passed(), &summary_of(h));
        }
        connection(&mut out, h, endpoint);
        out.push('\n');
        human::chain_report(&mut out, &h.report);
    }
    for f in failed {
        let _ = writeln!(
            out,
            "\n── handshake offering {} signatures ──",
            f.sig.to_uppercase()
        );
        human::verdict_line(&mut out, &f.sig, false, "no TLS session");
        let message = format!(
            "the server completed no handshake when offered only {} signature schemes ({}): a device that offers only these fails; {}",
            f.sig.to_uppercase(),
            f.phase,
            f.message
        );
        human::findings(
            &mut out,
            &[Finding {
                code: "no_chain_for_signature",
                certificate: None,
                message,
            }],
            &[],
            &[],
        );
    }
    for file in &endpoint.saved {
        let _ = writeln!(out, "saved         {}", human::clean(file));
    }
    out
}

fn summary_of(h: &HandshakeReport) -> String {
    let mut parts = vec![if h.chain_verified {
        "chain verified".to_string()
    } else {
        format!(
            "chain does not verify ({})",
            h.report.problems.first().map_or("?", |p| p.code)
        )
    }];
    match h.client_auth.accepted {
        Some(true) => parts.push("client certificate accepted".into()),
        Some(false) => parts.push("client certificate REJECTED".into()),
        None if h.client_auth.withheld => {
            parts.push("client certificate withheld (chain not verified)".into())
        }
        None if h.client_auth.requested => {
            parts.push("client certificate requested, none sent".into())
        }
        None => {}
    }
    if let Some(m) = &h.mqtt {
        parts.push(format!("MQTT {}", m.outcome.replace('_', " ")));
    }
    parts.join(", ")
}

fn connection(out: &mut String, h: &HandshakeReport, endpoint: &EndpointView) {
    let t = &h.tls;
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
    if let Some(p) = ms.mqtt {
        let _ = write!(timing, ", mqtt {p:.1} ms");
    }
    human::field(out, 0, "timings", &timing);
    let ca = &h.client_auth;
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
    if let Some(m) = &h.mqtt {
        let text = match m.outcome {
            "accepted" => human::ok(&format!(
                "CONNACK 0, accepted in {:.1} ms",
                m.millis.unwrap_or(0.0)
            )),
            "refused" => human::bad(&format!(
                "CONNACK {}: {}",
                m.return_code.unwrap_or(0),
                m.reason.as_deref().unwrap_or("")
            )),
            "closed" => human::bad("closed without CONNACK"),
            "timeout" => human::bad("no CONNACK within the timeout"),
            other => human::warn(&format!("{other}: {}", m.reason.as_deref().unwrap_or(""))),
        };
        human::field(out, 0, "mqtt", &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_are_classified() {
        let kind = |h: &str| classify(h).kind;
        assert_eq!(kind("a1b2c3-ats.iot.eu-west-1.amazonaws.com"), "ats_data");
        assert_eq!(
            classify("a1b2c3-ats.iot.eu-west-1.amazonaws.com")
                .region
                .as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(kind("a1b2c3.iot.eu-west-1.amazonaws.com"), "legacy_data");
        assert_eq!(
            kind("c1.credentials.iot.us-east-1.amazonaws.com"),
            "credential_provider"
        );
        assert_eq!(kind("mqtt.example.com"), "custom_domain");
        assert_eq!(kind("a1b2c3-ats.iot.eu-west-1.amazonaws.com."), "ats_data");
        assert_eq!(
            kind("a1b2c3.ats.iot.cn-north-1.amazonaws.com.cn"),
            "ats_data"
        );
        assert_eq!(kind("127.0.0.1"), "ip_literal");
        assert_eq!(kind("::1"), "ip_literal");
    }
}
