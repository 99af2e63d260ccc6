//! The account asked about the device certificate (`aws`), its answer judged by the `account`
//! command's checks (`verify::account`): with the role alias the device asks the credentials
//! provider for (Greengrass's `iotRoleAlias`, `--role-alias`) and the domain configuration
//! of the endpoint's host, the same questions `account --role-alias --endpoint` asks.

use std::time::Instant;

use super::{millis, Plan};
use crate::aws::{self, AwsSettings};
use crate::chain::Cert;
use crate::doctor::config::DeviceSettings;
use crate::doctor::facts::AccountFacts;
use crate::verify::account::{judge, Questions};
use crate::verify::classify;

pub(super) fn facts(
    plan: &Plan,
    device: &DeviceSettings,
    certificate: Option<&Cert>,
    client_id: Option<&str>,
) -> AccountFacts {
    if !plan.account {
        return AccountFacts::Off;
    }
    if !cfg!(feature = "aws") {
        return AccountFacts::NotBuilt;
    }
    let Some(cert) = certificate else {
        return AccountFacts::NoCertificate;
    };
    let Some(client_id) = client_id else {
        return AccountFacts::NoClientId;
    };
    let region = device.region.as_ref().map(|r| r.value.clone()).or_else(|| {
        device
            .endpoint
            .as_ref()
            .and_then(|e| classify(&e.value).region)
    });
    let settings = AwsSettings {
        region,
        profile: None,
        timeout: plan.timeout,
    };
    let role_alias = device
        .credentials_provider
        .as_ref()
        .map(|p| p.role_alias.value.clone());
    let more = aws::More {
        role_alias: role_alias.clone(),
        domain: device
            .endpoint
            .as_ref()
            .map(|e| aws::DomainQuery::Host(e.value.clone())),
    };
    // The domain is judged for the port the device's configuration names (its first).
    let port = device.ports.value.first().copied();
    let clock = Instant::now();
    match aws::account_facts_with(&settings, &cert.sha256, client_id, &more) {
        Ok(facts) => {
            let judgement = judge(
                &facts,
                cert,
                &Questions {
                    client_id: client_id.to_string(),
                    thing: device.thing.as_ref().map(|t| t.value.clone()),
                    publish: Vec::new(),
                    subscribe: Vec::new(),
                    features: device.features.clone(),
                    suggest: false,
                    role_alias,
                    port,
                },
            );
            AccountFacts::Asked {
                findings: judgement.findings,
                ms: millis(clock),
            }
        }
        // Without credentials, a region or AWS support no request went out; the rest was asked.
        Err(
            e @ (aws::AwsError::NoCredentials(_)
            | aws::AwsError::NoRegion
            | aws::AwsError::NotBuilt),
        ) => AccountFacts::NotAsked {
            error: e.to_string(),
            ms: millis(clock),
        },
        Err(e) => AccountFacts::NoAnswer {
            error: e.to_string(),
            ms: millis(clock),
        },
    }
}
