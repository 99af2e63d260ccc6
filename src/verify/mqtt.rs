//! The MQTT exchange judged: the broker's answers to CONNECT, SUBSCRIBE and PUBLISH, and its
//! DISCONNECT, as findings that say what the code means on AWS IoT and what to do.
//!
//! Reason codes are reported as the broker sent them (with its reason string); the meaning
//! on AWS IoT follows the AWS IoT Core developer guide, "MQTT" → "MQTT reason codes" and
//! "AWS IoT differences from MQTT specifications"
//! (<https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html>).

use crate::finding::{Code, Finding};
use crate::net::{
    MqttOperation, MqttOperationKind, MqttOperationResult, MqttOutcome, MqttReason, MqttVersion,
};

/// The findings of one MQTT exchange; none when everything asked for was accepted.
pub fn findings(outcome: &MqttOutcome, version: MqttVersion, chain_verified: bool) -> Vec<Finding> {
    let finding = match outcome {
        MqttOutcome::Accepted { session, .. } => {
            // An operation cut short by the broker's DISCONNECT is told by the DISCONNECT.
            let ended_by_disconnect = |operation: &&MqttOperation| {
                session.disconnect.is_some()
                    && operation.result == MqttOperationResult::Closed
            };
            let mut findings: Vec<Finding> = session
                .operations
                .iter()
                .filter(|operation| !ended_by_disconnect(operation))
                .filter_map(|operation| operation_finding(operation, version))
                .collect();
            if let Some(reason) = &session.disconnect {
                findings.push(disconnect_finding(reason));
            }
            return findings;
        }
        MqttOutcome::Refused {
            code,
            reason,
            reason_string,
            ..
        } => match version {
            MqttVersion::V311 => Finding::new(
                Code::MqttRefused,
                format!("the broker refused CONNECT with return code {code} ({reason})"),
            ),
            MqttVersion::V5 => connack_finding(&MqttReason {
                code: *code,
                reason: reason.clone(),
                reason_string: reason_string.clone(),
            }),
        },
        MqttOutcome::Closed { .. } => Finding::new(
            Code::MqttClosed,
            "the broker closed the connection without CONNACK: on AWS IoT the certificate is known, but no policy allows iot:Connect for this client id, or another connection uses the same client id",
        ),
        MqttOutcome::TimedOut { .. } => Finding::new(
            Code::MqttTimeout,
            "no CONNACK within the timeout: the server took the CONNECT but did not answer it (an MQTT broker answers at once; on 443 AWS IoT expects ALPN x-amzn-mqtt-ca for MQTT)",
        ),
        MqttOutcome::Unexpected { detail, .. } => Finding::new(
            Code::MqttUnexpected,
            format!("the broker did not answer CONNECT with a CONNACK: {detail}"),
        ),
        MqttOutcome::NotSent { .. } if !chain_verified => Finding::new(
            Code::MqttNotSent,
            "MQTT CONNECT was not sent because the server chain did not verify (--insecure overrides)",
        ),
        MqttOutcome::NotSent { reason } => {
            Finding::new(Code::MqttNotSent, format!("MQTT CONNECT was not sent: {reason}"))
        }
    };
    vec![finding]
}

/// "0x87 not authorized" and the broker's reason string, quoted, when it sent one.
fn as_sent(packet: &str, reason: &MqttReason) -> String {
    let text = reason
        .reason_string
        .as_deref()
        .map(|s| format!(", reason string \"{}\"", crate::quote::clip_server(s)))
        .unwrap_or_default();
    format!("{packet} 0x{:02X} ({}{text})", reason.code, reason.reason)
}

/// An MQTT 5 CONNACK that refused the connection.
fn connack_finding(reason: &MqttReason) -> Finding {
    let sent = as_sent("CONNACK", reason);
    match reason.code {
        0x87 => Finding::new(
            Code::MqttNotAuthorized,
            format!("the broker refused CONNECT: {sent}. On AWS IoT the certificate (or the custom authorizer) is accepted, but no attached policy allows iot:Connect on client/<client id> for this client id: attach a policy that does, or connect with the client id it allows"),
        ),
        0x86 | 0x8C => Finding::new(
            Code::MqttBadCredentials,
            format!("the broker refused CONNECT: {sent}. On AWS IoT this is the custom authorizer's answer: its Lambda denied the token or returned an invalid response, or the token signature did not verify"),
        ),
        0x85 => Finding::new(
            Code::MqttClientIdInvalid,
            format!("the broker refused CONNECT: {sent}. AWS IoT takes client ids of 1 to 128 characters; one starting with $ is reserved"),
        ),
        0x89 | 0x96 | 0x97 | 0x9F => Finding::new(
            Code::MqttThrottled,
            format!("the broker refused CONNECT: {sent}. {THROTTLED}"),
        ),
        0x01 | 0x84 => Finding::new(
            Code::MqttRefused,
            format!("the broker refused CONNECT: {sent}. The broker does not speak MQTT 5: try --mqtt-version 3 (AWS IoT Core speaks both)"),
        ),
        _ => Finding::new(
            Code::MqttRefused,
            format!("the broker refused CONNECT: {sent}"),
        ),
    }
}

const THROTTLED: &str = "AWS IoT throttles connects per client id (one a second) and per account, and messages per connection and per account: look for a reconnect loop or another device with the same client id, slow down, or ask for a higher quota (Service Quotas, AWS IoT Core message broker)";

/// The broker's DISCONNECT after CONNACK (MQTT 5).
fn disconnect_finding(reason: &MqttReason) -> Finding {
    let sent = as_sent("DISCONNECT", reason);
    match reason.code {
        0x8E => Finding::new(
            Code::MqttSessionTakenOver,
            format!("the broker ended the session: {sent}. Another connection with the same client id connected: on AWS IoT the newer one wins, so two devices (or two processes) share this client id; give each its own"),
        ),
        0x87 => Finding::new(
            Code::MqttNotAuthorized,
            format!("the broker ended the session: {sent}. On AWS IoT a policy does not allow what the session did (iot:Publish, iot:Subscribe or iot:Receive on its topic)"),
        ),
        0x89 | 0x96 | 0x97 | 0x9F => Finding::new(
            Code::MqttThrottled,
            format!("the broker ended the session: {sent}. {THROTTLED}"),
        ),
        _ => Finding::new(
            Code::MqttDisconnected,
            format!("the broker ended the session: {sent}"),
        ),
    }
}

fn operation_finding(operation: &MqttOperation, version: MqttVersion) -> Option<Finding> {
    let topic = &operation.topic;
    let (verb, action, ack) = match operation.kind {
        MqttOperationKind::Subscribe => ("SUBSCRIBE to", "iot:Subscribe on topicfilter/", "SUBACK"),
        MqttOperationKind::Publish => ("PUBLISH to", "iot:Publish on topic/", "PUBACK"),
    };
    let finding = match &operation.result {
        MqttOperationResult::Acked(reason) if !reason.is_failure() => return None,
        MqttOperationResult::Acked(reason) => {
            let sent = as_sent(ack, reason);
            let code = match operation.kind {
                MqttOperationKind::Subscribe => Code::MqttSubscribeRefused,
                MqttOperationKind::Publish => Code::MqttPublishRefused,
            };
            let advice = match reason.code {
                0x87 => format!(": no policy allows {action}{topic} for this client; add it to the policy attached to the certificate"),
                0x80 if version == MqttVersion::V311 => format!(": MQTT 3.1.1's only failure code; on AWS IoT usually a policy that does not allow {action}{topic}. --mqtt-version 5 gets the broker's reason code"),
                0x8F | 0x90 => ": the topic is not valid on AWS IoT (at most 7 levels and 256 bytes; topics starting with $ are reserved, except the $aws/things/... ones)".to_string(),
                0x97 => format!(". {THROTTLED}"),
                _ => String::new(),
            };
            Finding::new(code, format!("{verb} {topic} refused: {sent}{advice}"))
        }
        MqttOperationResult::Closed => {
            let hint = match version {
                MqttVersion::V311 => format!(
                    " With MQTT 3.1.1 this is AWS IoT's only signal that a policy does not allow {action}{topic}; --mqtt-version 5 gets a {ack} with the reason code instead"
                ),
                MqttVersion::V5 => String::new(),
            };
            Finding::new(
                Code::MqttOperationClosed,
                format!("the broker closed the connection after the {verb} {topic}, without a {ack}.{hint}"),
            )
        }
        MqttOperationResult::TimedOut => Finding::new(
            Code::MqttAckTimeout,
            format!("no {ack} for the {verb} {topic} within the timeout"),
        ),
        MqttOperationResult::Unexpected { detail } => Finding::new(
            Code::MqttAckUnexpected,
            format!("the {verb} {topic} was not answered with a {ack}: {detail}"),
        ),
        MqttOperationResult::NotSent => return None,
    };
    Some(finding)
}
