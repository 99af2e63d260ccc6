//! `mqtt`: over the device's session, on MQTT ports (8883, 443, any other but 8443), CONNECT
//! answered by CONNACK: accepted, refused (with its return code, or MQTT 5 reason code),
//! hang-up or silence; then the SUBSCRIBEs and PUBLISHes asked for, and their answers. Over a
//! WebSocket (`--transport wss`) the upgrade's answer comes first and is this stage's too; with
//! a custom authorizer the CONNACK is the authorizer's answer. The advice follows the transport:
//! a certificate's policy, the IAM policy of SigV4 credentials, or the authorizer's Lambda.

use super::client_auth::{self, before_identity, chain_blocker};
use super::route::{self, Context, Engine};
use super::{Earlier, Gathered, Stage, StageId};
use crate::doctor::facts::{DeviceTransport, Facts};
use crate::doctor::verdict::Evidence;
use crate::finding::{Code, Finding};
use crate::net::MqttOutcome;

pub fn judge(facts: &Facts, earlier: &Earlier) -> Stage {
    let id = StageId::Mqtt;
    let network = match before_identity(id, facts) {
        Ok(network) => network,
        Err(stage) => return stage,
    };
    let mut findings = Gathered::default();
    let (mut ran, mut mqtt_ports) = (false, false);
    let mut blocker = None;
    let mut ms: f64 = 0.0;
    for port in network.reached() {
        mqtt_ports |= port.mqtt;
        let Some(Ok(served)) = port.device.as_ref().map(|h| &h.result) else {
            continue;
        };
        if !served.chain.verified() || served.probe.client_auth.withheld {
            blocker.get_or_insert(chain_blocker(earlier));
            continue;
        }
        let rejected = client_auth::routed(served).any(|f| f.is_error());
        match &served.probe.mqtt {
            None => {}
            Some(MqttOutcome::NotSent { .. }) if rejected => {
                blocker.get_or_insert(StageId::ClientAuth);
            }
            Some(_) => {
                ran = true;
                ms = ms.max(served.probe.timings.mqtt.unwrap_or(0.0));
                let label = format!("port {}", port.port);
                let context = Context::of_chain(&served.chain.findings, true);
                for f in route::routed(&served.connection, Engine::Connection, context, id) {
                    findings.add(f.clone(), &label);
                }
            }
        }
    }
    if ran {
        // Which MQTT the CONNECT spoke, and why: the reasons a broker can give depend on it.
        let over = match &facts.transport {
            DeviceTransport::Tls => String::new(),
            other => format!(" over {}", other.words()),
        };
        let topics = &facts.mqtt.features;
        if !topics.features.is_empty() {
            let published = match topics.not_published.len() {
                0 => String::new(),
                n => format!(
                    "; the {n} topic{} they publish to {} not published (--publish TOPIC publishes: a device's topics may drive real actions)",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "was" } else { "were" }
                ),
            };
            findings.add(
                Finding::new(
                    Code::MqttFeatureTopics,
                    format!(
                        "subscribed to the {} topic filter{} of the configuration's features ({}){published}",
                        topics.subscribed.len(),
                        if topics.subscribed.len() == 1 { "" } else { "s" },
                        topics.features.join(", ")
                    ),
                ),
                "",
            );
        }
        findings.add(
            Finding::new(
                Code::MqttVersion,
                format!(
                    "CONNECT spoke MQTT {}{over} ({})",
                    facts.mqtt.version.name(),
                    facts.mqtt.version_origin
                ),
            ),
            "",
        );
        Stage::judged(id, findings.findings(false), ms)
    } else if !mqtt_ports {
        Stage::skipped(id, "no MQTT port among the ports checked (8443 is HTTPS)")
    } else if let Some(blocker) = blocker {
        let reason = if blocker == StageId::ClientAuth {
            "the device certificate was rejected, so no CONNECT could be sent"
        } else {
            "the served chain did not verify, so no CONNECT was sent"
        };
        Stage::blocked(id, blocker, reason)
    } else {
        Stage::skipped(
            id,
            "no client id: give --client-id or --thing (the certificate has no CN)",
        )
    }
}

pub fn advice(stage: &Stage, evidence: &Evidence) -> String {
    match &evidence.transport {
        DeviceTransport::Tls => {}
        DeviceTransport::WssSigv4 { region } => {
            if let Some(advice) = sigv4_advice(stage, evidence, region) {
                return advice;
            }
        }
        DeviceTransport::WssAuthorizer { authorizer }
        | DeviceTransport::CustomAuth { authorizer } => {
            if let Some(advice) = authorizer_advice(stage, evidence, authorizer) {
                return advice;
            }
        }
    }
    let id = evidence
        .client_id
        .as_deref()
        .unwrap_or("the device's client id");
    let policy = format!("the certificate's policy must allow iot:Connect on arn:aws:iot:<region>:<account>:client/{id}");
    match (stage.lead(), evidence.mqtt_refusals.first()) {
        (Some(Code::MqttRefused), Some(2)) => format!("The broker rejected the client id {id} (return code 2): use the id the policy allows, at most 128 characters, unique among the account's devices."),
        (Some(Code::MqttRefused), Some(4 | 5)) => format!("The broker refused CONNECT as not authorized: {policy}, attached to the certificate."),
        (Some(Code::MqttRefused), Some(3)) => "The broker is unavailable (return code 3): try again later, and check the AWS Health Dashboard for the region.".into(),
        (Some(Code::MqttRefused), _) => format!("The broker refused CONNECT: {policy}, and the client id must be the one it names."),
        (Some(Code::MqttClosed), _) => format!("The broker closed the connection after CONNECT: on AWS IoT {policy}, or another connection already uses the client id {id} (each device needs its own)."),
        (Some(Code::MqttTimeout), _) => "The broker took CONNECT but never answered: on 443 AWS IoT needs ALPN x-amzn-mqtt-ca for MQTT; elsewhere check that the endpoint is AWS IoT's data endpoint.".into(),
        (Some(Code::MqttNotAuthorized), _) => format!("The broker said not authorized (MQTT 5 reason code 0x87): {policy}, and allow iot:Publish, iot:Subscribe and iot:Receive on the topics the device uses."),
        (Some(Code::MqttBadCredentials), _) => "The custom authorizer refused the credentials: check the token, its signature and the authorizer's Lambda (its CloudWatch logs say why).".into(),
        (Some(Code::MqttClientIdInvalid), _) => format!("The broker refused the client id {id}: use 1 to 128 characters, not starting with $."),
        (Some(Code::MqttThrottled), _) => "AWS IoT throttled the client: look for a reconnect loop or another device with the same client id, slow down, or ask for a higher quota in Service Quotas.".into(),
        (Some(Code::MqttSessionTakenOver), _) => format!("Another connection took over the session of {id}: give each device (and each process) its own client id."),
        (Some(Code::MqttSubscribeRefused | Code::MqttPublishRefused | Code::MqttOperationClosed), _) => "The policy attached to the certificate must allow iot:Subscribe on topicfilter/<filter>, iot:Receive on topic/<topic>, and iot:Publish on topic/<topic> for the topics the device uses (with MQTT 3.1.1 a denied PUBLISH only closes the connection: --mqtt-version 5 names the reason).".into(),
        (Some(Code::MqttAckTimeout | Code::MqttAckUnexpected | Code::MqttDisconnected), _) => "The broker did not answer a SUBSCRIBE or PUBLISH as an MQTT broker does: check the endpoint and port, and run again with --mqtt-version 5 for its reason codes.".into(),
        (Some(Code::MqttUnexpected), _) => "What answered CONNECT is not an MQTT broker: check the endpoint and port (8443 is HTTPS; MQTT is 8883, or 443 with ALPN x-amzn-mqtt-ca).".into(),
        _ => format!("Attach a policy to the certificate that allows iot:Connect for the client id {id}, and make sure no other connection uses the same client id."),
    }
}

/// Over a SigV4-signed WebSocket: the upgrade's refusal, or AWS IoT's answer to credentials
/// it authorizes with their IAM policy (not a certificate's policy). None: as on TLS.
fn sigv4_advice(stage: &Stage, evidence: &Evidence, region: &str) -> Option<String> {
    let id = evidence.client_id.as_deref().unwrap_or("<client id>");
    let iam = format!("the IAM policy of the credentials (the user's or role's, or the Cognito identity's) must allow iot:Connect on arn:aws:iot:{region}:<account>:client/{id}");
    Some(match stage.lead()? {
        Code::WsSignatureMismatch => format!("AWS rejected the URL's signature: sign with the secret key that belongs to the access key, for the service iotdevicegateway and the region {region} (the endpoint's; --signing-region or the SDK's signing_region sets it), and append X-Amz-Security-Token after signing, never inside the signed query."),
        Code::WsSignatureExpired => "AWS refused the signature's time: the device's clock is off by more than AWS's five minutes (set it with NTP; the clock stage compares it with the served certificates), or the URL was signed long before it was used.".into(),
        Code::WsSecurityToken => "The credentials are temporary but their session token is missing, invalid or expired: pass AWS_SESSION_TOKEN with the keys (the SDKs append it as X-Amz-Security-Token), and refresh the credentials before they expire.".into(),
        Code::WsForbidden => format!("AWS refused the credentials: they must belong to the endpoint's account, be active, and {iam}."),
        Code::WsUpgradeRefused | Code::WsUpgradeFailed | Code::WsUpgradeTimeout => "What answered the WebSocket upgrade is not AWS IoT's WebSocket endpoint: connect on 443 with ALPN http/1.1 (or none) to the endpoint's name, path /mqtt; a proxy in the way must pass WebSocket upgrades.".into(),
        Code::MqttClosed | Code::MqttNotAuthorized | Code::MqttRefused => format!("The upgrade succeeded but AWS IoT refused the MQTT session: {iam}, and the client id must be unique."),
        _ => return None,
    })
}

/// With a custom authorizer (in the user name on 443 with ALPN mqtt, or in WebSocket headers):
/// AWS IoT closes the connection (or answers not authorized) when the authorizer's Lambda
/// denies, fails, or the token's signature does not verify. None: as on TLS.
fn authorizer_advice(stage: &Stage, evidence: &Evidence, authorizer: &str) -> Option<String> {
    let id = evidence.client_id.as_deref().unwrap_or("<client id>");
    let check = format!("check that the authorizer {authorizer} is ACTIVE, that the token key name and the token are the ones it expects, and its signature (x-amz-customauthorizer-signature) when token signing is on; aws iot test-invoke-authorizer --authorizer-name {authorizer} shows what its Lambda returns, and the Lambda's CloudWatch logs say why");
    Some(match stage.lead()? {
        Code::MqttBadCredentials | Code::WsForbidden => format!("The custom authorizer refused the credentials: {check}."),
        Code::MqttClosed | Code::MqttRefused | Code::MqttNotAuthorized => format!("AWS IoT refused the connection after the custom authorizer's answer: {check}; the policy documents the Lambda returns must allow iot:Connect on client/{id}."),
        Code::MqttTimeout => "The broker took CONNECT but never answered: custom authentication on 443 needs ALPN mqtt (the SDKs set it), and the endpoint must be AWS IoT's data endpoint.".into(),
        Code::WsUpgradeRefused | Code::WsUpgradeFailed | Code::WsUpgradeTimeout => "What answered the WebSocket upgrade is not AWS IoT's WebSocket endpoint: connect on 443 to the endpoint's name, path /mqtt, with the authorizer's headers.".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::stages::testing::{facts, failed, identity, port, served_ok};
    use crate::doctor::stages::Status;

    fn with_mqtt(outcome: Option<MqttOutcome>, connection: Vec<Code>, requested: bool) -> Stage {
        let mut device = served_ok(
            vec![],
            connection.iter().map(|c| Finding::new(*c, "x")).collect(),
        );
        if let Ok(s) = &mut device.result {
            s.probe.mqtt = outcome;
            s.probe.client_auth.requested = requested;
        }
        let mut f = facts();
        f.credentials.identity = Some(identity());
        let mut network = port(8883, vec![served_ok(vec![], vec![])]);
        network.ports[0].device = Some(device);
        f.network = Some(network);
        judge(&f, &Earlier(&[]))
    }

    #[test]
    fn the_stage_follows_the_brokers_answer() {
        let accepted = MqttOutcome::Accepted {
            millis: 1.0,
            session_present: false,
            session: Default::default(),
        };
        let stage = with_mqtt(Some(accepted), vec![], true);
        assert_eq!(stage.status, Status::Ok);
        let refused = MqttOutcome::Refused {
            code: 5,
            reason: "not authorized".into(),
            reason_string: None,
            millis: 1.0,
        };
        let stage = with_mqtt(Some(refused), vec![Code::MqttRefused], true);
        assert_eq!(stage.findings[0].code, Code::MqttRefused);
        // Not sent because the certificate was rejected: blocked by client_auth.
        let not_sent = || MqttOutcome::NotSent {
            reason: "the tls handshake did not complete".into(),
        };
        let stage = with_mqtt(
            Some(not_sent()),
            vec![Code::ClientCertRejected, Code::MqttNotSent],
            true,
        );
        assert_eq!(stage.depends_on, Some(StageId::ClientAuth));
        // Not sent for another reason: this stage's warning.
        let stage = with_mqtt(Some(not_sent()), vec![Code::MqttNotSent], true);
        assert_eq!(stage.status, Status::Warn);
        assert_eq!(stage.findings[0].code, Code::MqttNotSent);
        // No CONNECT asked for (no client id).
        let stage = with_mqtt(None, vec![], true);
        assert!(stage.reason.unwrap().contains("no client id"));
    }

    #[test]
    fn the_advice_follows_the_brokers_answer() {
        let evidence = |codes: Vec<u8>| Evidence {
            client_id: Some("TestThing-ec".into()),
            mqtt_refusals: codes,
            ..Evidence::default()
        };
        let closed = advice(&failed(StageId::Mqtt, Code::MqttClosed), &evidence(vec![]));
        assert!(closed.contains("client/TestThing-ec"), "{closed}");
        assert!(
            closed.contains("another connection already uses"),
            "{closed}"
        );
        let refused = advice(
            &failed(StageId::Mqtt, Code::MqttRefused),
            &evidence(vec![5]),
        );
        assert!(refused.contains("not authorized"), "{refused}");
        let id = advice(
            &failed(StageId::Mqtt, Code::MqttRefused),
            &evidence(vec![2]),
        );
        assert!(id.contains("rejected the client id TestThing-ec"), "{id}");
        let silent = advice(&failed(StageId::Mqtt, Code::MqttTimeout), &evidence(vec![]));
        assert!(silent.contains("never answered"), "{silent}");
    }

    #[test]
    fn the_advice_follows_the_transport() {
        let over = |transport: DeviceTransport| Evidence {
            client_id: Some("browser-1".into()),
            transport,
            ..Evidence::default()
        };
        let sigv4 = over(DeviceTransport::WssSigv4 {
            region: "eu-west-1".into(),
        });
        let mismatch = advice(&failed(StageId::Mqtt, Code::WsSignatureMismatch), &sigv4);
        assert!(mismatch.contains("iotdevicegateway") && mismatch.contains("eu-west-1"));
        let expired = advice(&failed(StageId::Mqtt, Code::WsSignatureExpired), &sigv4);
        assert!(expired.contains("clock"), "{expired}");
        // Over SigV4 the IAM policy of the credentials authorizes, not a certificate's.
        let closed = advice(&failed(StageId::Mqtt, Code::MqttClosed), &sigv4);
        assert!(closed.contains("IAM policy") && closed.contains("client/browser-1"));
        let custom = over(DeviceTransport::CustomAuth {
            authorizer: "DeviceAuthorizer".into(),
        });
        for code in [
            Code::MqttClosed,
            Code::MqttBadCredentials,
            Code::MqttRefused,
        ] {
            let text = advice(&failed(StageId::Mqtt, code), &custom);
            assert!(text.contains("test-invoke-authorizer --authorizer-name DeviceAuthorizer"));
        }
        // A finding the transport does not change: the advice of MQTT on TLS.
        let throttled = advice(&failed(StageId::Mqtt, Code::MqttThrottled), &custom);
        assert!(throttled.contains("throttled"), "{throttled}");
    }
}
