//! `config`: the configuration readable and complete, and which client it is for. Its
//! findings are the configuration reader's; without a file, the values the flags left out.

use super::{Earlier, Stage, StageId};
use crate::doctor::config::{Client, DeviceSettings};
use crate::doctor::facts::{DeviceTransport, Facts};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};

pub fn judge(facts: &Facts, _earlier: &Earlier) -> Stage {
    let certificate = facts.transport == DeviceTransport::Tls;
    checked(&facts.device, facts.millis.config, certificate)
}

/// The stage from the settings alone (the fuzzing entry judges configurations this way).
pub fn of(settings: &DeviceSettings, duration_ms: f64) -> Stage {
    checked(settings, duration_ms, true)
}

/// With flags alone: the endpoint, and the certificate and key a device on TLS presents (over
/// a WebSocket or with a custom authorizer the client id instead: no certificate names it).
fn checked(settings: &DeviceSettings, duration_ms: f64, certificate: bool) -> Stage {
    let mut findings = settings.findings.clone();
    if settings.client == Client::Flags {
        let missing: Vec<&str> = [
            (settings.endpoint.is_none(), "--endpoint"),
            (certificate && settings.cert.is_none(), "--cert"),
            (certificate && settings.key.is_none(), "--key"),
            (!certificate && settings.client_id.is_none(), "--client-id"),
        ]
        .into_iter()
        .filter_map(|(missing, flag)| missing.then_some(flag))
        .collect();
        if !missing.is_empty() {
            findings.push(Finding::new(
                Code::ConfigMissingValue,
                format!(
                    "no configuration file, and {} not given: give them, or the device's configuration file with --config",
                    missing.join(", ")
                ),
            ));
        }
    }
    Stage::judged(StageId::Config, findings, duration_ms)
}

pub fn advice(stage: &Stage, evidence: &Evidence) -> String {
    match stage.lead() {
        Some(Code::ConfigMissingValue) if evidence.transport != DeviceTransport::Tls => format!("Give the endpoint and the MQTT client id (--endpoint, --client-id): the device connects over {}, so no certificate names it.", evidence.transport.words()),
        Some(Code::ConfigMissingValue) => "Give the endpoint, the device certificate and its key (--endpoint, --cert, --key), or the device's configuration file (--config).".into(),
        Some(Code::EndpointNotData) => "Put the device data endpoint in the configuration (aws iot describe-endpoint --endpoint-type iot:Data-ATS gives <prefix>-ats.iot.<region>.amazonaws.com).".into(),
        _ => "Fix the device's configuration file as the config findings say, then run doctor again.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{facts, failed};
    use crate::doctor::stages::Status;

    #[test]
    fn flags_alone_need_the_endpoint_and_the_pair() {
        let stage = judge(&facts(), &Earlier(&[]));
        assert_eq!(stage.status, Status::Fail);
        assert_eq!(stage.findings[0].code, Code::ConfigMissingValue);
        assert!(stage.findings[0]
            .message
            .contains("--endpoint, --cert, --key not given"));
    }

    #[test]
    fn the_advice_follows_the_lead_finding() {
        let none = Evidence::default();
        for (code, words) in [
            (Code::ConfigMissingValue, "--endpoint, --cert, --key"),
            (Code::EndpointNotData, "iot:Data-ATS"),
            (Code::ConfigRefused, "as the config findings say"),
        ] {
            let text = advice(&failed(StageId::Config, code), &none);
            assert!(text.contains(words), "{code}: {text}");
        }
    }
}
