//! The verdict over the judged stages: the first failing stage (the clock ahead of the
//! stages whose failures are only its symptoms) and one sentence of advice, which that
//! stage's file writes from the [`Evidence`]: the facts that tell one cause from another.

use serde::Serialize;

use crate::doctor::config::Client;
use crate::doctor::facts::{CaFiles, Facts, FileFacts, Validity};
use crate::doctor::stages::trust::{chain_end, ChainEnd};
use crate::doctor::stages::{clock, Stage, StageId};
use crate::net::{MqttOutcome, NetError};

/// The verdict over all stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoctorVerdict {
    Ok,
    Failed,
}

/// The verdict, the first failing stage and what to do about it.
pub fn verdict(
    stages: &[Stage],
    evidence: &Evidence,
) -> (DoctorVerdict, Option<StageId>, Option<String>) {
    let clock = stages.iter().find(|s| s.id == StageId::Clock);
    let symptom = |stage: &Stage| clock.is_some_and(|c| clock::explains(c, stage, evidence));
    let Some(first) = stages.iter().find(|s| s.failed() && !symptom(s)) else {
        return (DoctorVerdict::Ok, None, None);
    };
    let mut advice = (first.id.def().advice)(first, evidence);
    if first.id == StageId::Clock {
        let symptoms: Vec<StageId> = stages
            .iter()
            .filter(|s| s.failed() && symptom(s))
            .map(|s| s.id)
            .collect();
        advice.push_str(&clock::symptoms_note(&symptoms));
    }
    (DoctorVerdict::Failed, Some(first.id), Some(advice))
}

/// What the run showed beyond the failing stage's findings, for the advice: the facts that
/// tell one cause from another (where a chain leads, which ports were refused and which
/// dropped, the alert the server sent, the clock against the certificates).
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// The client whose configuration was read, in words ("the AWS IoT Device Client").
    pub client: Option<&'static str>,
    pub endpoint: Option<String>,
    pub client_id: Option<String>,
    /// The device certificate's id in AWS IoT: the SHA-256 of its DER, hex.
    pub certificate_id: Option<String>,
    /// The root CA files as named.
    pub ca_files: Vec<String>,
    /// The catalogue roots the CA files hold, by file name ("AmazonRootCA1.pem").
    pub roots_held: Vec<&'static str>,
    /// Where each served chain leads, each end once.
    pub chain_ends: Vec<ChainEnd>,
    pub files: Vec<FileFacts>,
    /// Each port checked, in the order given.
    pub ports: Vec<PortEvidence>,
    /// The lookup of the name ran out of time (rather than being answered "no such name").
    pub resolve_timed_out: bool,
    pub at: i64,
    /// Each served leaf's validity.
    pub served: Vec<Validity>,
    /// The validity of each certificate the device holds (its own, its CA file's).
    pub held: Vec<Validity>,
    /// The alerts with which the server answered the device's certificate.
    pub alerts: Vec<String>,
    /// The return codes with which the broker refused CONNECT.
    pub mqtt_refusals: Vec<u8>,
    /// The role alias the device asks the credentials provider for, and where it is set
    /// (`iotRoleAlias`, `--role-alias`).
    pub role_alias: Option<(String, String)>,
    /// The account stage's errors: what tells apart the causes of one answer of the
    /// credentials provider (a 400 is a missing role or a trust policy without the service).
    pub account: Vec<crate::finding::Finding>,
    /// How the device's MQTT travels and authenticates (`--transport`).
    pub transport: crate::doctor::facts::DeviceTransport,
}

/// One port as the tcp and tls stages saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortEvidence {
    pub port: u16,
    /// None: not tried (through a proxy, or the name did not resolve).
    pub tcp: Option<TcpState>,
    /// Set when TCP was accepted but no handshake came up.
    pub no_tls: Option<NoTls>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    Open,
    Refused,
    /// No answer within the deadline: a firewall dropping the packets.
    Dropped,
}

impl TcpState {
    pub fn of(result: &Result<std::net::SocketAddr, NetError>) -> TcpState {
        match result {
            Ok(_) => TcpState::Open,
            Err(NetError::Timeout { .. }) => TcpState::Dropped,
            Err(_) => TcpState::Refused,
        }
    }
}

/// How a port that accepted TCP failed to give a TLS session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoTls {
    /// Silence until the deadline.
    Silent,
    /// An answer that is not TLS (HTTP, a banner).
    NotTls,
    /// Closed or reset mid-handshake.
    Closed,
    Other,
}

impl NoTls {
    pub fn of(error: &NetError) -> NoTls {
        match error {
            NetError::Timeout { .. } | NetError::NoTimeLeft { .. } => NoTls::Silent,
            NetError::NotTls { .. } => NoTls::NotTls,
            NetError::Closed { .. } => NoTls::Closed,
            _ => NoTls::Other,
        }
    }
}

impl Evidence {
    /// The evidence of a run.
    pub fn of(facts: &Facts) -> Evidence {
        let device = &facts.device;
        let mut evidence = Evidence {
            client: match device.client {
                Client::DeviceClient => Some("the AWS IoT Device Client"),
                Client::Greengrass => Some("the AWS IoT Greengrass nucleus"),
                Client::SdkSample => Some("the AWS IoT Device SDK sample"),
                Client::Flags => None,
            },
            endpoint: device.endpoint.as_ref().map(|e| e.value.clone()),
            client_id: facts.client_id.clone(),
            certificate_id: facts.credentials.device.as_ref().map(|c| c.sha256.clone()),
            ca_files: device
                .ca
                .iter()
                .map(|f| f.path.value.display().to_string())
                .collect(),
            roots_held: match &facts.trust.files {
                CaFiles::Read(roots) => roots.iter().filter_map(|r| r.known).collect(),
                _ => Vec::new(),
            },
            files: facts.files.clone(),
            at: facts.at,
            held: clock::held(facts),
            role_alias: device.credentials_provider.as_ref().map(|p| {
                let key = match &p.role_alias.origin {
                    // `iotRoleAlias`, not the nucleus's whole path to it.
                    crate::doctor::config::Origin::File { key, .. } => {
                        key.rsplit('.').next().unwrap_or(key).to_string()
                    }
                    origin => crate::doctor::config::origin_words(origin),
                };
                (p.role_alias.value.clone(), key)
            }),
            account: match &facts.account {
                crate::doctor::facts::AccountFacts::Asked { findings, .. } => {
                    findings.iter().filter(|f| f.is_error()).cloned().collect()
                }
                _ => Vec::new(),
            },
            transport: facts.transport.clone(),
            ..Evidence::default()
        };
        let Some(network) = &facts.network else {
            return evidence;
        };
        evidence.resolve_timed_out =
            matches!(network.resolved, Some(Err(NetError::Timeout { .. })));
        evidence.served = network.served_validities();
        for port in &network.ports {
            evidence.ports.push(PortEvidence {
                port: port.port,
                tcp: port.tcp.as_ref().map(TcpState::of),
                no_tls: port.no_tls().map(NoTls::of),
            });
            for handshake in port.handshakes() {
                let Ok(served) = &handshake.result else {
                    continue;
                };
                let probe = &served.probe;
                if let Some(end) = chain_end(&probe.served) {
                    if !evidence.chain_ends.contains(&end) {
                        evidence.chain_ends.push(end);
                    }
                }
                if let Some(alert) = &probe.client_auth.rejection {
                    if probe.client_auth.sent && !evidence.alerts.contains(alert) {
                        evidence.alerts.push(alert.clone());
                    }
                }
                if let Some(MqttOutcome::Refused { code, .. }) = &probe.mqtt {
                    evidence.mqtt_refusals.push(*code);
                }
            }
        }
        evidence
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Finding};

    fn failed(id: StageId, code: Code) -> Stage {
        Stage::judged(id, vec![Finding::new(code, "x")], 0.0)
    }

    #[test]
    fn the_first_failing_stage_decides_the_verdict() {
        let stages = vec![
            Stage::judged(StageId::Config, vec![], 0.0),
            failed(StageId::Tcp, Code::TcpRefused),
            Stage::blocked(StageId::Tls, StageId::Tcp, "no port accepted TCP"),
        ];
        let (outcome, first, advice) = verdict(&stages, &Evidence::default());
        assert_eq!(outcome, DoctorVerdict::Failed);
        assert_eq!(first, Some(StageId::Tcp));
        assert!(advice.unwrap().contains("firewall"));
        assert_eq!(
            serde_json::to_value(&stages[2]).unwrap()["depends_on"],
            "tcp"
        );
        let ok = [Stage::judged(StageId::Config, vec![], 0.0)];
        assert_eq!(
            verdict(&ok, &Evidence::default()),
            (DoctorVerdict::Ok, None, None)
        );
    }

    #[test]
    fn an_unset_clock_comes_before_the_certificates_it_makes_look_not_yet_valid() {
        let clock = Stage::judged(
            StageId::Clock,
            vec![
                Finding::new(Code::ClockSkew, "before 2000"),
                Finding::new(Code::ClockUnset, "unset"),
            ],
            0.0,
        );
        let stages = vec![
            failed(StageId::Credentials, Code::NotYetValid),
            clock,
            failed(StageId::Tls, Code::NotYetValid),
        ];
        let unset = Evidence {
            at: 0,
            ..Evidence::default()
        };
        let (_, first, advice) = verdict(&stages, &unset);
        assert_eq!(first, Some(StageId::Clock));
        let advice = advice.unwrap();
        assert!(
            advice.starts_with("Set the device's clock first"),
            "{advice}"
        );
        assert!(
            advice.ends_with(
                "The failures of credentials and tls (certificates not yet valid) follow from it."
            ),
            "{advice}"
        );
        // A failure the clock does not explain stays first.
        let mut stages = stages;
        stages.insert(0, failed(StageId::Files, Code::FileMissing));
        let (_, first, _) = verdict(&stages, &unset);
        assert_eq!(first, Some(StageId::Files));
        // With the clock set, the order is the connection's.
        let set = Evidence {
            at: 1_750_000_000,
            ..Evidence::default()
        };
        let (_, first, _) = verdict(&stages[1..], &set);
        assert_eq!(first, Some(StageId::Credentials));
    }
}
