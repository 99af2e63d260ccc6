//! The domain configuration of the endpoint a device connects to, judged against how the
//! device connects: with its X.509 certificate, MQTT on 8883 or on 443 (ALPN
//! `x-amzn-mqtt-ca`), HTTPS on 8443. The rules are the AWS IoT developer guide's
//! "Configurable endpoints" (which authentication types take which application protocols)
//! and "Security policies" (the TLS versions of each policy).

use crate::aws::{DomainConfiguration, DomainFacts, DomainQuery};
use crate::finding::{Code, Finding};

/// How a device on this port talks to AWS IoT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    /// MQTT over TLS (8883, or 443 with ALPN `x-amzn-mqtt-ca`).
    Mqtt,
    /// HTTPS publish (8443, or 443 with ALPN `x-amzn-http-ca`).
    Https,
}

impl Door {
    /// The door a port opens: 8443 is HTTPS, every other port MQTT.
    pub fn of_port(port: u16) -> Door {
        if port == 8443 {
            Door::Https
        } else {
            Door::Mqtt
        }
    }

    fn words(self) -> &'static str {
        match self {
            Door::Mqtt => "MQTT over TLS with its X.509 certificate",
            Door::Https => "HTTPS with its X.509 certificate",
        }
    }
}

/// The findings on the domain configuration, for a device on `port`.
pub fn findings(facts: &DomainFacts, region: &str, port: u16) -> Vec<Finding> {
    let Some(domain) = &facts.configuration else {
        return missing(facts, region).into_iter().collect();
    };
    let door = Door::of_port(port);
    let name = &domain.name;
    let host = domain.domain_name.as_deref().unwrap_or("its domain");
    let mut findings = Vec::new();
    if domain.status.as_deref() == Some("DISABLED") {
        findings.push(Finding::new(
            Code::DomainDisabled,
            format!(
                "the domain configuration {name} is DISABLED: AWS IoT refuses every connection to {host} (aws iot update-domain-configuration --domain-configuration-name {name} --domain-configuration-status ENABLED)"
            ),
        ));
    }
    if let Some(kind @ ("CUSTOM_AUTH" | "AWS_SIGV4")) = domain.authentication_type.as_deref() {
        findings.push(Finding::new(
            Code::DomainAuthMismatch,
            format!(
                "the domain configuration {name} authenticates with {kind}: it does not take a device that connects with {}; use a domain with AWS_X509, CUSTOM_AUTH_X509 or DEFAULT authentication (aws iot update-domain-configuration --domain-configuration-name {name} --authentication-type AWS_X509)",
                door.words()
            ),
        ));
    }
    if let Some(protocol) = domain.application_protocol.as_deref() {
        let fits = matches!(
            (door, protocol),
            (_, "DEFAULT") | (Door::Mqtt, "SECURE_MQTT") | (Door::Https, "HTTPS")
        );
        if !fits {
            let wanted = match door {
                Door::Mqtt => "SECURE_MQTT",
                Door::Https => "HTTPS",
            };
            findings.push(Finding::new(
                Code::DomainProtocolMismatch,
                format!(
                    "the domain configuration {name} serves the application protocol {protocol}: a device on port {port} talks {} and is refused; use a domain for {wanted} or DEFAULT (aws iot update-domain-configuration --domain-configuration-name {name} --application-protocol {wanted})",
                    door.words()
                ),
            ));
        }
    }
    if let Some(service @ ("CREDENTIAL_PROVIDER" | "JOBS")) = domain.service_type.as_deref() {
        findings.push(Finding::new(
            Code::DomainServiceMismatch,
            format!(
                "the domain configuration {name} serves {service}, not the data plane a device on port {port} uses: connect to a domain of service type DATA (the account's iot:Data-ATS endpoint, or a custom domain created with --service-type DATA)"
            ),
        ));
    }
    findings.extend(certificates(domain));
    if let Some(policy) = &domain.tls_policy {
        if policy.contains("TLS13_1_3") {
            findings.push(Finding::new(
                Code::DomainTls13Only,
                format!(
                    "the domain configuration {name} uses the TLS security policy {policy}, which accepts TLS 1.3 only: a device whose TLS stack stops at TLS 1.2 fails in the handshake with a protocol_version alert; use a policy with TLS 1.2 (IoTSecurityPolicy_TLS13_1_2_2022_10) unless every device speaks TLS 1.3"
                ),
            ));
        }
    }
    findings
}

/// No configuration: an error when one was named, or when the host is a custom domain that
/// none serves. AWS's own endpoints need none.
fn missing(facts: &DomainFacts, region: &str) -> Option<Finding> {
    let message = match &facts.query {
        DomainQuery::Named(name) => format!(
            "no domain configuration {name} in this account in region {region}: check the name and region (aws iot list-domain-configurations)"
        ),
        DomainQuery::Host(host) if aws_host(host) => return None,
        DomainQuery::Host(host) => format!(
            "no domain configuration of this account in region {region} serves {host} ({} described): AWS IoT does not answer for it as this account's endpoint; check the device's endpoint and the region, or create one (aws iot create-domain-configuration --domain-configuration-name NAME --domain-name {host} --server-certificate-arns ACM_ARN)",
            facts.described
        ),
    };
    Some(Finding::new(Code::DomainConfigMissing, message))
}

/// An endpoint of AWS's own domain (`…iot.REGION.amazonaws.com` and the China partition's
/// `….com.cn`): served by the account's AWS-managed configuration.
pub fn aws_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")
}

/// Server certificates AWS IoT cannot serve.
fn certificates(domain: &DomainConfiguration) -> Option<Finding> {
    let invalid: Vec<String> = domain
        .server_certificates
        .iter()
        .filter(|c| c.status.as_deref() == Some("INVALID"))
        .map(|c| match &c.detail {
            Some(detail) => format!("{} ({detail})", c.arn),
            None => c.arn.clone(),
        })
        .collect();
    let valid = domain
        .server_certificates
        .iter()
        .any(|c| c.status.as_deref() == Some("VALID"));
    if invalid.is_empty() || valid {
        return None;
    }
    Some(Finding::new(
        Code::DomainCertInvalid,
        format!(
            "the domain configuration {} has no VALID server certificate: AWS IoT marks {} INVALID, so it cannot serve its domain; import a certificate for the domain into ACM in this region (with its chain, not expired) and update the configuration",
            domain.name,
            invalid.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ServerCertificate;

    fn facts(configure: impl FnOnce(&mut DomainConfiguration)) -> DomainFacts {
        let mut domain = DomainConfiguration {
            name: "devices".into(),
            domain_name: Some("iot.example.com".into()),
            status: Some("ENABLED".into()),
            service_type: Some("DATA".into()),
            authentication_type: Some("AWS_X509".into()),
            application_protocol: Some("SECURE_MQTT".into()),
            tls_policy: Some("IoTSecurityPolicy_TLS13_1_2_2022_10".into()),
            server_certificates: vec![ServerCertificate {
                arn: "arn:aws:acm:eu-west-1:123456789012:certificate/1".into(),
                status: Some("VALID".into()),
                detail: None,
            }],
            ..DomainConfiguration::default()
        };
        configure(&mut domain);
        DomainFacts {
            query: DomainQuery::Host("iot.example.com".into()),
            configuration: Some(domain),
            described: 1,
        }
    }

    fn codes(facts: &DomainFacts, port: u16) -> Vec<Code> {
        findings(facts, "eu-west-1", port)
            .iter()
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn each_mismatch_has_its_code() {
        assert!(codes(&facts(|_| {}), 8883).is_empty());
        assert!(codes(&facts(|_| {}), 443).is_empty());
        assert_eq!(codes(&facts(|_| {}), 8443), [Code::DomainProtocolMismatch]);
        assert!(codes(
            &facts(|d| d.application_protocol = Some("HTTPS".into())),
            8443
        )
        .is_empty());
        for (change, code) in [
            (
                (|d: &mut DomainConfiguration| d.status = Some("DISABLED".into()))
                    as fn(&mut DomainConfiguration),
                Code::DomainDisabled,
            ),
            (
                |d| d.authentication_type = Some("AWS_SIGV4".into()),
                Code::DomainAuthMismatch,
            ),
            (
                |d| d.authentication_type = Some("CUSTOM_AUTH".into()),
                Code::DomainAuthMismatch,
            ),
            (
                |d| d.application_protocol = Some("MQTT_WSS".into()),
                Code::DomainProtocolMismatch,
            ),
            (
                |d| d.service_type = Some("CREDENTIAL_PROVIDER".into()),
                Code::DomainServiceMismatch,
            ),
            (
                |d| d.server_certificates[0].status = Some("INVALID".into()),
                Code::DomainCertInvalid,
            ),
            (
                |d| d.tls_policy = Some("IoTSecurityPolicy_TLS13_1_3_2022_10".into()),
                Code::DomainTls13Only,
            ),
        ] {
            assert_eq!(codes(&facts(change), 8883), [code]);
        }
        // What an emulator leaves out is not judged.
        let bare = facts(|d| {
            d.authentication_type = None;
            d.application_protocol = None;
            d.tls_policy = None;
        });
        assert!(codes(&bare, 8443).is_empty());
    }

    #[test]
    fn a_missing_configuration_fails_a_custom_domain_only() {
        let mut none = facts(|_| {});
        none.configuration = None;
        assert_eq!(codes(&none, 8883), [Code::DomainConfigMissing]);
        none.query = DomainQuery::Host("abc-ats.iot.eu-west-1.amazonaws.com".into());
        assert!(codes(&none, 8883).is_empty());
        none.query = DomainQuery::Named("devices".into());
        assert_eq!(codes(&none, 8883), [Code::DomainConfigMissing]);
    }
}
