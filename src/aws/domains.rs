//! Domain configurations (configurable endpoints): DescribeDomainConfiguration for the one
//! named, or the one whose domain name is the endpoint's host (ListDomainConfigurations, then
//! Describe each, bounded). What decides which devices a domain takes: its status, its
//! authentication type, application protocol and service type, its TLS security policy and
//! its server certificates.

/// How the domain configuration is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainQuery {
    /// `--domain-configuration NAME`.
    Named(String),
    /// The one whose domainName is this host.
    Host(String),
}

/// What the account says about the domain configuration asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainFacts {
    pub query: DomainQuery,
    /// None: no configuration by that name, or none serves the host.
    pub configuration: Option<DomainConfiguration>,
    /// With [`DomainQuery::Host`]: how many configurations were described to find it.
    pub described: usize,
}

/// One domain configuration as DescribeDomainConfiguration gives it; a field AWS (or an
/// emulator) leaves out is None. Serialized as `account --json` shows it (the name null when
/// none was found).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DomainConfiguration {
    #[serde(serialize_with = "null_if_empty")]
    pub name: String,
    pub arn: Option<String>,
    pub domain_name: Option<String>,
    /// ENABLED or DISABLED.
    pub status: Option<String>,
    /// DATA, CREDENTIAL_PROVIDER or JOBS.
    pub service_type: Option<String>,
    /// ENDPOINT, AWS_MANAGED or CUSTOMER_MANAGED.
    pub domain_type: Option<String>,
    /// AWS_X509, CUSTOM_AUTH_X509, CUSTOM_AUTH, AWS_SIGV4 or DEFAULT.
    pub authentication_type: Option<String>,
    /// SECURE_MQTT, MQTT_WSS, HTTPS or DEFAULT.
    pub application_protocol: Option<String>,
    /// The TLS security policy, e.g. IoTSecurityPolicy_TLS13_1_2_2022_10.
    pub tls_policy: Option<String>,
    pub server_certificates: Vec<ServerCertificate>,
    /// The default custom authorizer's name, when one is set.
    pub authorizer: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ServerCertificate {
    pub arn: String,
    /// VALID or INVALID.
    pub status: Option<String>,
    pub detail: Option<String>,
}

fn null_if_empty<S: serde::Serializer>(name: &str, serializer: S) -> Result<S::Ok, S::Error> {
    if name.is_empty() {
        serializer.serialize_none()
    } else {
        serializer.serialize_str(name)
    }
}

#[cfg(feature = "aws")]
pub(super) mod sdk {
    use super::{DomainConfiguration, DomainFacts, DomainQuery, ServerCertificate};
    use crate::aws::client::{not_found, server_text, translate, Pages};
    use crate::aws::{AwsError, AwsSettings};

    /// The most configurations described to find the one of a host: an account has a few
    /// (AWS's quota is 10 custom domains per account and region, raisable).
    const MAX_DESCRIBED: usize = 100;

    pub async fn domain(
        iot: &aws_sdk_iot::Client,
        query: &DomainQuery,
        settings: &AwsSettings,
    ) -> Result<DomainFacts, AwsError> {
        let mut facts = DomainFacts {
            query: query.clone(),
            configuration: None,
            described: 0,
        };
        match query {
            DomainQuery::Named(name) => {
                facts.configuration = describe(iot, name, settings).await?;
                facts.described = 1;
            }
            DomainQuery::Host(host) => {
                let mut names = Vec::new();
                let mut marker = None;
                let mut pages = Pages::new("iot:ListDomainConfigurations");
                loop {
                    let out = iot
                        .list_domain_configurations()
                        .set_marker(marker)
                        .send()
                        .await
                        .map_err(|e| translate("iot:ListDomainConfigurations", e, settings))?;
                    names.extend(
                        out.domain_configurations
                            .unwrap_or_default()
                            .into_iter()
                            .filter_map(|d| d.domain_configuration_name),
                    );
                    marker = pages.next(out.next_marker)?;
                    if marker.is_none() || names.len() >= MAX_DESCRIBED {
                        break;
                    }
                }
                for name in names.iter().take(MAX_DESCRIBED) {
                    facts.described += 1;
                    let Some(found) = describe(iot, name, settings).await? else {
                        continue;
                    };
                    let serves = found
                        .domain_name
                        .as_deref()
                        .is_some_and(|d| d.eq_ignore_ascii_case(host));
                    if serves {
                        facts.configuration = Some(found);
                        break;
                    }
                }
            }
        }
        Ok(facts)
    }

    async fn describe(
        iot: &aws_sdk_iot::Client,
        name: &str,
        settings: &AwsSettings,
    ) -> Result<Option<DomainConfiguration>, AwsError> {
        // AWS's names: 1 to 128 of [\w.:-]; a listing's name outside that is no AWS answer.
        if name.is_empty()
            || name.len() > 128
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:-".contains(c))
        {
            return Err(AwsError::Unreadable {
                action: "iot:ListDomainConfigurations",
                detail: format!(
                    "it names a domain configuration of {} bytes that no AWS answer holds",
                    name.len()
                ),
            });
        }
        let out = match iot
            .describe_domain_configuration()
            .domain_configuration_name(name)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(translate("iot:DescribeDomainConfiguration", e, settings)),
        };
        let text = |s: Option<&str>| s.map(server_text);
        Ok(Some(DomainConfiguration {
            name: server_text(out.domain_configuration_name.as_deref().unwrap_or(name)),
            arn: text(out.domain_configuration_arn.as_deref()),
            domain_name: text(out.domain_name.as_deref()),
            status: text(out.domain_configuration_status.as_ref().map(|s| s.as_str())),
            service_type: text(out.service_type.as_ref().map(|s| s.as_str())),
            domain_type: text(out.domain_type.as_ref().map(|s| s.as_str())),
            authentication_type: text(out.authentication_type.as_ref().map(|s| s.as_str())),
            application_protocol: text(out.application_protocol.as_ref().map(|s| s.as_str())),
            tls_policy: text(
                out.tls_config
                    .as_ref()
                    .and_then(|t| t.security_policy.as_deref()),
            ),
            server_certificates: out
                .server_certificates
                .unwrap_or_default()
                .iter()
                .take(32)
                .map(|c| ServerCertificate {
                    arn: server_text(c.server_certificate_arn.as_deref().unwrap_or_default()),
                    status: text(c.server_certificate_status.as_ref().map(|s| s.as_str())),
                    detail: text(c.server_certificate_status_detail.as_deref()),
                })
                .collect(),
            authorizer: text(
                out.authorizer_config
                    .as_ref()
                    .and_then(|a| a.default_authorizer_name.as_deref()),
            ),
        }))
    }
}
