//! Judgements about a connection: what kind of endpoint a name is, and what the TLS session
//! and the MQTT exchange showed beyond the chain (a rejected client certificate, a failed
//! handshake, the broker's answer to CONNECT, a chain too large for small devices).

use serde::Serialize;

use crate::finding::{Code, Finding};
use crate::net::Probe;

/// What kind of endpoint a host name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    AtsData,
    LegacyData,
    CredentialProvider,
    CustomDomain,
    IpLiteral,
}

impl EndpointKind {
    /// The serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::AtsData => "ats_data",
            EndpointKind::LegacyData => "legacy_data",
            EndpointKind::CredentialProvider => "credential_provider",
            EndpointKind::CustomDomain => "custom_domain",
            EndpointKind::IpLiteral => "ip_literal",
        }
    }
}

/// A host name classified by the AWS IoT naming rules.
#[derive(Clone, Debug, Serialize)]
pub struct Classification {
    pub kind: EndpointKind,
    pub region: Option<String>,
    pub description: String,
}

/// Classifies a host name. The patterns are those of the AWS IoT Core developer guide
/// ("Connecting devices to AWS IoT": `<prefix>-ats.iot.<region>.amazonaws.com` for
/// iot:Data-ATS, `<prefix>.iot.<region>.amazonaws.com` for the legacy iot:Data,
/// `<prefix>.credentials.iot.<region>.amazonaws.com` for the credential provider, and
/// `<prefix>.ats.iot.<region>.amazonaws.com.cn` in the China regions).
pub fn classify(host: &str) -> Classification {
    let class = |kind, region, description: &str| Classification {
        kind,
        region,
        description: description.to_string(),
    };
    if host.parse::<std::net::IpAddr>().is_ok() {
        return class(
            EndpointKind::IpLiteral,
            None,
            "an IP address: no SNI is sent and no certificate name can match",
        );
    }
    let lower = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let aws = lower.ends_with(".amazonaws.com") || lower.ends_with(".amazonaws.com.cn");
    if aws && labels.len() >= 5 {
        if let Some(iot) = labels.iter().position(|l| *l == "iot") {
            let region = labels.get(iot + 1).map(|r| r.to_string());
            if iot >= 1 && labels[iot - 1] == "credentials" {
                return class(
                    EndpointKind::CredentialProvider,
                    region,
                    "AWS IoT credential provider (HTTPS, port 443)",
                );
            }
            let china_ats = iot == 2 && labels[1] == "ats";
            if iot == 1 || china_ats {
                return if china_ats || labels[0].ends_with("-ats") {
                    class(
                        EndpointKind::AtsData,
                        region,
                        "AWS IoT data endpoint (ATS, Amazon roots)",
                    )
                } else {
                    class(
                        EndpointKind::LegacyData,
                        region,
                        "legacy iot:Data endpoint (VeriSign root, retired): use the -ats endpoint",
                    )
                };
            }
        }
    }
    class(
        EndpointKind::CustomDomain,
        None,
        "not an AWS IoT name: a custom domain, VPC endpoint or other server",
    )
}

/// Findings that depend on the endpoint's name and on how it was addressed, not on one
/// handshake.
pub fn endpoint_findings(classification: &Classification, no_sni: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    match classification.kind {
        EndpointKind::LegacyData => findings.push(Finding::new(
            Code::LegacyEndpoint,
            "this is a legacy iot:Data endpoint (no -ats): AWS retired its VeriSign chain; use `aws iot describe-endpoint --endpoint-type iot:Data-ATS` and the Amazon roots",
        )),
        EndpointKind::IpLiteral => findings.push(Finding::new(
            Code::IpLiteral,
            "connecting by IP address: no SNI is sent and the certificate's names cannot match; use the endpoint name (and --connect for the address)",
        )),
        _ => {}
    }
    if no_sni && classification.kind != EndpointKind::IpLiteral {
        findings.push(Finding::new(
            Code::NoSni,
            "no SNI was sent: AWS IoT needs SNI for configurable endpoints, custom domains, multi-account registration and VPC endpoints",
        ));
    }
    findings
}

/// What one handshake showed beyond its chain.
pub struct Connection<'a> {
    pub probe: &'a Probe,
    /// The served chain verified.
    pub chain_verified: bool,
    /// DER bytes of the served certificates.
    pub served_bytes: usize,
    /// The user allowed application data over an unverified chain.
    pub insecure: bool,
}

/// The findings of one handshake's connection: client authentication, the handshake's end,
/// the chain's size, `--insecure` and the MQTT exchange.
pub fn connection_findings(c: &Connection<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let auth = &c.probe.client_auth;
    match (&auth.rejection, auth.sent) {
        _ if auth.withheld => findings.push(Finding::new(
            Code::ClientCertWithheld,
            "the server asked for a client certificate; it was withheld and the handshake ended because the server's chain did not verify, as a device does (--insecure sends it anyway)",
        )),
        (Some(alert), true) => findings.push(Finding::new(
            Code::ClientCertRejected,
            format!(
                "the server rejected the device certificate with alert {alert}: {}",
                alert_meaning(alert)
            ),
        )),
        (Some(alert), false) => findings.push(Finding::new(
            Code::ClientCertNotSent,
            format!("the server requires a client certificate and none was sent (alert {alert}); give --cert and --key to test the device's"),
        )),
        (None, false) if auth.requested => findings.push(Finding::new(
            Code::ClientCertNotSent,
            "the server asked for a client certificate and none was sent; give --cert and --key to test the device's",
        )),
        _ => {}
    }
    if let (Some(error), None) = (&c.probe.handshake_error, &auth.rejection) {
        findings.push(Finding::new(
            Code::HandshakeFailed,
            format!("the TLS handshake failed after the server's certificate: {error}"),
        ));
    }
    if c.served_bytes > SMALL_TLS_BUFFER {
        findings.push(Finding::new(
            Code::LargeChain,
            format!(
                "the server sent {} bytes of certificates: a device whose TLS input buffer is {SMALL_TLS_BUFFER} bytes (a common mbedTLS MBEDTLS_SSL_IN_CONTENT_LEN on small devices) cannot receive them",
                c.served_bytes
            ),
        ));
    }
    if !c.chain_verified && c.insecure {
        findings.push(Finding::new(
            Code::Insecure,
            "--insecure: application data was allowed over a connection whose chain did not verify",
        ));
    }
    if let Some(upgrade) = &c.probe.upgrade {
        findings.extend(super::websocket::upgrade_finding(upgrade));
    }
    if let Some(mqtt) = &c.probe.mqtt {
        findings.extend(super::mqtt::findings(
            mqtt,
            c.probe.mqtt_version,
            c.chain_verified,
        ));
    }
    if let Some(https) = &c.probe.https {
        findings.extend(super::https::findings(https));
    }
    findings
}

/// A TLS input buffer size small devices are often built with.
const SMALL_TLS_BUFFER: usize = 4096;

/// What a TLS alert from the server after the client certificate usually means on AWS IoT.
pub fn alert_meaning(alert: &str) -> &'static str {
    crate::alerts::advice(alert, crate::alerts::AlertStage::ClientAuth).unwrap_or(
        "on AWS IoT this usually means the certificate is not registered, inactive or revoked, or belongs to another account or region",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_names_are_classified() {
        let kind = |h: &str| classify(h).kind;
        assert_eq!(
            kind("a1b2c3-ats.iot.eu-west-1.amazonaws.com"),
            EndpointKind::AtsData
        );
        assert_eq!(
            classify("a1b2c3-ats.iot.eu-west-1.amazonaws.com")
                .region
                .as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            kind("a1b2c3.iot.eu-west-1.amazonaws.com"),
            EndpointKind::LegacyData
        );
        assert_eq!(
            kind("c1.credentials.iot.us-east-1.amazonaws.com"),
            EndpointKind::CredentialProvider
        );
        assert_eq!(kind("mqtt.example.com"), EndpointKind::CustomDomain);
        assert_eq!(
            kind("a1b2c3-ats.iot.eu-west-1.amazonaws.com."),
            EndpointKind::AtsData
        );
        assert_eq!(
            kind("a1b2c3.ats.iot.cn-north-1.amazonaws.com.cn"),
            EndpointKind::AtsData
        );
        assert_eq!(kind("127.0.0.1"), EndpointKind::IpLiteral);
        assert_eq!(kind("::1"), EndpointKind::IpLiteral);
    }

    #[test]
    fn kinds_serialise_as_their_names() {
        for kind in [
            EndpointKind::AtsData,
            EndpointKind::LegacyData,
            EndpointKind::CredentialProvider,
            EndpointKind::CustomDomain,
            EndpointKind::IpLiteral,
        ] {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }

    #[test]
    fn every_alert_has_advice() {
        assert!(alert_meaning("unknown_ca").contains("not registered"));
        assert!(alert_meaning("something_else").contains("not registered"));
    }
}
