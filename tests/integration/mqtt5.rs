//! Integration tests: MQTT 5 reason codes and `--subscribe` / `--publish` after CONNECT,
//! against real mosquitto 2 (its `acl_file` for PUBACK refusals, its dynamic-security plugin
//! for SUBACK refusals) and small scripted brokers for what mosquitto does not do: AWS IoT's
//! MQTT 3.1.1 hang-up after a forbidden PUBLISH, a SUBACK that never comes, a 50 MB frame,
//! frames after a DISCONNECT.

use std::io::{Read, Write};
use std::path::Path;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4;
use rumqttc::v5::mqttbytes::{v5, QoS};

use crate::common::*;

/// mosquitto with TLS on 127.0.0.1 that accepts the test device (its CN is its user name)
/// and applies `extra` (an `acl_file`, a plugin).
fn mosquitto_with(dir: &Path, extra: &str) -> Peer {
    crate::peers::mosquitto(dir, &crate::mqtt::broker_settings(true, extra))
}

/// The dynamic-security plugin, as the mosquitto package installs it.
fn dynamic_security_plugin() -> String {
    let path = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the mosquitto package (2.0 or later), which ships it"
    );
    path.to_string()
}

fn probe(port: u16, extra: &[&str]) -> Run {
    // Only a hang fails here: every peer answers or is bounded by --timeout.
    run_cmd_within(&mut crate::mqtt::mqtt_probe_cmd(port, extra), 30)
}

/// [`probe`], which must fail (exit 1): its JSON.
fn failing(port: u16, extra: &[&str]) -> serde_json::Value {
    let r = probe(port, extra);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    r.json()
}

/// The message of the first problem.
fn lead_message(j: &serde_json::Value) -> String {
    first(j, "problems")["message"]
        .as_str()
        .unwrap()
        .to_string()
}

fn mqtt(j: &serde_json::Value) -> &serde_json::Value {
    &j["handshakes"][0]["mqtt"]
}

#[test]
fn acl_file_refusals_are_puback_reason_codes_under_mqtt_5() {
    let dir = tempfile::tempdir().unwrap();
    let acl = dir.path().join("acl");
    std::fs::write(&acl, "user TestThing-ec\ntopic readwrite allowed/#\n").unwrap();
    let broker = mosquitto_with(dir.path(), &format!("acl_file {}\n", acl.display()));

    let r = probe(
        broker.port,
        &[
            "--mqtt-version",
            "5",
            "--publish",
            "allowed/data",
            "--publish",
            "forbidden/data",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let m = mqtt(&j);
    assert_eq!(m["version"], "5");
    assert_eq!(m["outcome"], "accepted");
    // Allowed, and nobody subscribed: 0x10 no matching subscribers, a success.
    assert_eq!(m["operations"][0]["outcome"], "accepted", "{m}");
    assert_eq!(m["operations"][0]["code"], 0x10);
    assert_eq!(m["operations"][0]["reason"], "no matching subscribers");
    assert_eq!(m["operations"][1]["outcome"], "refused");
    assert_eq!(m["operations"][1]["code"], 0x87);
    assert_eq!(m["operations"][1]["reason"], "not authorized");
    assert_eq!(problems(&j), [("mqtt_publish_refused".to_string(), None)]);
    let message = lead_message(&j);
    assert!(message.contains("PUBACK 0x87"), "{message}");
    assert!(
        message.contains("iot:Publish on topic/forbidden/data"),
        "{message}"
    );

    // The same over MQTT 3.1.1: mosquitto acknowledges the forbidden PUBLISH and drops it
    // (AWS IoT closes the connection instead: see the scripted broker below). A 3.1.1 PUBACK
    // carries no code, so it proves nothing about delivery.
    let r = probe(broker.port, &["--publish", "forbidden/data"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(mqtt(&j)["version"], "3.1.1");
    assert_eq!(mqtt(&j)["operations"][0]["outcome"], "accepted");

    // Human output names the code and the packet.
    let r = run_cmd(&mut human(&crate::mqtt::mqtt_probe_cmd(
        broker.port,
        &["--mqtt-version", "5", "--publish", "forbidden/data"],
    )));
    assert!(
        r.stdout.contains("PUBACK 0x87 not authorized"),
        "{}",
        r.stdout
    );
}

#[test]
fn dynamic_security_refuses_subscribes_with_0x87_under_5_and_0x80_under_3() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dynamic-security.json");
    std::fs::write(
        &config,
        r#"{"defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
             "subscribe": true, "unsubscribe": true},
            "clients": [{"username": "TestThing-ec", "roles": [{"rolename": "device"}]}],
            "groups": [],
            "roles": [{"rolename": "device", "acls": [
              {"acltype": "subscribePattern", "topic": "forbidden/#", "priority": 10, "allow": false}]}]}"#,
    )
    .unwrap();
    let broker = mosquitto_with(
        dir.path(),
        &format!(
            "plugin {}\nplugin_opt_config_file {}\n",
            dynamic_security_plugin(),
            config.display()
        ),
    );
    let subscribes = ["--subscribe", "allowed/#", "--subscribe", "forbidden/x"];

    let mut args = vec!["--mqtt-version", "5"];
    args.extend_from_slice(&subscribes);
    let r = probe(broker.port, &args);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let ops = &mqtt(&j)["operations"];
    assert_eq!(ops[0]["kind"], "subscribe");
    assert_eq!(ops[0]["outcome"], "accepted");
    assert_eq!(ops[0]["code"], 1, "granted QoS 1");
    assert_eq!(ops[1]["outcome"], "refused");
    assert_eq!(ops[1]["code"], 0x87);
    assert_eq!(problems(&j), [("mqtt_subscribe_refused".to_string(), None)]);

    let r = probe(broker.port, &subscribes);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let ops = &mqtt(&j)["operations"];
    assert_eq!(ops[1]["outcome"], "refused");
    assert_eq!(ops[1]["code"], 0x80);
    assert_eq!(ops[1]["reason"], "failure");
    let message = lead_message(&j);
    assert!(message.contains("--mqtt-version 5"), "{message}");
}

/// What a scripted broker does after it accepted the CONNECT.
#[derive(Clone, Copy)]
enum Script {
    /// Like AWS IoT over MQTT 3.1.1: a PUBLISH the policy forbids ends the connection.
    CloseOnPublish,
    /// Takes SUBSCRIBEs and never answers them.
    NoSubAck,
    /// Answers a SUBSCRIBE with the header of a 50 MB PUBLISH, then garbage.
    HugeFrame,
    /// Answers a SUBSCRIBE with DISCONNECT 0x8E and a reason string, then keeps sending
    /// PUBLISHes after it.
    TakenOverThenChatter,
    /// Refuses the CONNECT with CONNACK 0x9F and a reason string.
    RateExceeded,
}

/// A TLS broker on 127.0.0.1 with the test chain that speaks MQTT `version` (rumqttc's
/// codec, like the client) and follows `script`; returns its port.
fn scripted_broker(version: u8, script: Script) -> u16 {
    crate::peers::tls_peer_with(
        Path::new(&fixture("server/rsa-chain.pem")),
        Path::new(&fixture("server/rsa-leaf.key")),
        move |tls| broker_session(tls, version, script),
    )
}

fn broker_session<S: Read + Write>(tls: &mut S, version: u8, script: Script) {
    let mut received = BytesMut::new();
    let mut next = |tls: &mut S| -> Option<&'static str> {
        let mut chunk = [0u8; 4096];
        loop {
            let name = if version == 5 {
                match v5::Packet::read(&mut received, Some(1 << 20)) {
                    Ok(v5::Packet::Connect(..)) => Some("CONNECT"),
                    Ok(v5::Packet::Subscribe(_)) => Some("SUBSCRIBE"),
                    Ok(v5::Packet::Publish(_)) => Some("PUBLISH"),
                    Ok(_) => Some("OTHER"),
                    Err(_) => None,
                }
            } else {
                match v4::Packet::read(&mut received, 1 << 20) {
                    Ok(v4::Packet::Connect(_)) => Some("CONNECT"),
                    Ok(v4::Packet::Subscribe(_)) => Some("SUBSCRIBE"),
                    Ok(v4::Packet::Publish(_)) => Some("PUBLISH"),
                    Ok(_) => Some("OTHER"),
                    Err(_) => None,
                }
            };
            if name.is_some() {
                return name;
            }
            let n = tls.read(&mut chunk).ok().filter(|n| *n > 0)?;
            received.extend_from_slice(&chunk[..n]);
        }
    };
    let mut out = BytesMut::new();
    if next(tls) != Some("CONNECT") {
        return;
    }
    if version == 5 {
        let (code, properties) = match script {
            Script::RateExceeded => (
                v5::ConnectReturnCode::ConnectionRateExceeded,
                Some(v5::ConnAckProperties {
                    session_expiry_interval: None,
                    receive_max: None,
                    max_qos: None,
                    retain_available: None,
                    max_packet_size: None,
                    assigned_client_identifier: None,
                    topic_alias_max: None,
                    reason_string: Some("CONNECT throttled".to_string()),
                    user_properties: Vec::new(),
                    wildcard_subscription_available: None,
                    subscription_identifiers_available: None,
                    shared_subscription_available: None,
                    server_keep_alive: None,
                    response_information: None,
                    server_reference: None,
                    authentication_method: None,
                    authentication_data: None,
                }),
            ),
            _ => (v5::ConnectReturnCode::Success, None),
        };
        let ack = v5::ConnAck {
            session_present: false,
            code,
            properties,
        };
        v5::Packet::ConnAck(ack).write(&mut out, None).unwrap();
    } else {
        let ack = v4::ConnAck::new(v4::ConnectReturnCode::Success, false);
        v4::Packet::ConnAck(ack).write(&mut out, 1 << 20).unwrap();
    }
    if tls.write_all(&out).is_err() || matches!(script, Script::RateExceeded) {
        return;
    }
    out.clear();
    while let Some(packet) = next(tls) {
        match (script, packet) {
            (Script::CloseOnPublish, "PUBLISH") => return,
            (Script::NoSubAck, _) => continue,
            (Script::HugeFrame, "SUBSCRIBE") => {
                // Remaining length 52 428 800, then bytes that never make it whole.
                let _ = tls.write_all(&[0x30, 0x80, 0x80, 0x80, 0x19]);
                let _ = tls.write_all(&[b'x'; 4096]);
            }
            (Script::TakenOverThenChatter, "SUBSCRIBE") => {
                let disconnect = v5::Disconnect {
                    reason_code: v5::DisconnectReasonCode::SessionTakenOver,
                    properties: Some(v5::DisconnectProperties {
                        session_expiry_interval: None,
                        reason_string: Some("another client connected".to_string()),
                        user_properties: Vec::new(),
                        server_reference: None,
                    }),
                };
                v5::Packet::Disconnect(disconnect)
                    .write(&mut out, None)
                    .unwrap();
                let publish = v5::Publish::new("x", QoS::AtMostOnce, vec![b'y'; 100], None);
                v5::Packet::Publish(publish).write(&mut out, None).unwrap();
                // Frames after the close, until the client is gone.
                while tls.write_all(&out).is_ok() {
                    out.clear();
                    let publish = v5::Publish::new("x", QoS::AtMostOnce, vec![b'y'; 100], None);
                    v5::Packet::Publish(publish).write(&mut out, None).unwrap();
                }
                return;
            }
            _ => {}
        }
    }
}

#[test]
fn a_forbidden_publish_over_3_1_1_is_told_by_the_brokers_hang_up() {
    let port = scripted_broker(4, Script::CloseOnPublish);
    let j = failing(
        port,
        &["--publish", "forbidden/data", "--publish", "second/data"],
    );
    let ops = &mqtt(&j)["operations"];
    assert_eq!(ops[0]["outcome"], "closed");
    assert_eq!(
        ops[1]["outcome"], "not_sent",
        "nothing is sent after the hang-up"
    );
    assert_eq!(problems(&j), [("mqtt_operation_closed".to_string(), None)]);
    let message = lead_message(&j);
    assert!(message.contains("MQTT 3.1.1"), "{message}");
    assert!(message.contains("--mqtt-version 5"), "{message}");
}

#[test]
fn hostile_brokers_end_with_a_finding_within_the_timeout() {
    // A SUBACK that never comes: bounded by --timeout.
    let port = scripted_broker(5, Script::NoSubAck);
    let j = failing(
        port,
        &[
            "--mqtt-version",
            "5",
            "--subscribe",
            "a/#",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(mqtt(&j)["operations"][0]["outcome"], "timeout");
    assert_eq!(problems(&j), [("mqtt_ack_timeout".to_string(), None)]);

    // A 50 MB frame announced: refused unread.
    let port = scripted_broker(4, Script::HugeFrame);
    let j = failing(port, &["--subscribe", "a/#", "--timeout", "5"]);
    let op = &mqtt(&j)["operations"][0];
    assert_eq!(op["outcome"], "unexpected", "{op}");
    assert!(op["reason"].as_str().unwrap().contains("52428800"), "{op}");
    assert_eq!(problems(&j), [("mqtt_ack_unexpected".to_string(), None)]);

    // DISCONNECT 0x8E with its reason string, then frames after it: the session is over.
    let port = scripted_broker(5, Script::TakenOverThenChatter);
    let j = failing(
        port,
        &[
            "--mqtt-version",
            "5",
            "--subscribe",
            "a/#",
            "--publish",
            "b",
            "--timeout",
            "5",
        ],
    );
    let m = mqtt(&j);
    assert_eq!(m["disconnect"]["code"], 0x8E);
    assert_eq!(m["disconnect"]["reason"], "session taken over");
    assert_eq!(m["disconnect"]["reason_string"], "another client connected");
    assert_eq!(m["operations"][0]["outcome"], "closed");
    assert_eq!(m["operations"][1]["outcome"], "not_sent");
    assert_eq!(
        problems(&j),
        [("mqtt_session_taken_over".to_string(), None)]
    );
}

#[test]
fn a_connack_reason_code_and_string_are_reported_as_sent() {
    let port = scripted_broker(5, Script::RateExceeded);
    let j = failing(port, &["--mqtt-version", "5"]);
    let m = mqtt(&j);
    assert_eq!(m["outcome"], "refused");
    assert_eq!(m["return_code"], 0x9F);
    assert_eq!(m["reason"], "connection rate exceeded");
    assert_eq!(m["reason_string"], "CONNECT throttled");
    assert_eq!(problems(&j), [("mqtt_throttled".to_string(), None)]);
    let message = lead_message(&j);
    assert!(message.contains("CONNACK 0x9F"), "{message}");
    assert!(message.contains("CONNECT throttled"), "{message}");
}

#[test]
fn publish_and_subscribe_need_mqtt() {
    let r = run(&["endpoint", "example.com", "--publish", "a"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&["endpoint", "example.com", "--mqtt-version", "4"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
