//! Integration tests: `iotcheck endpoint --mqtt`, the two-stage verdict, against a real
//! mosquitto broker and small TLS servers that behave like AWS IoT's failure modes.

use std::process::Command;

use crate::common::*;

/// mosquitto with TLS on 127.0.0.1, requiring a device certificate from the test device CA.
/// With `identity_as_username` the certificate's CN is the user name and the device is
/// accepted; without it the client is anonymous, and anonymous clients are refused.
pub(crate) fn mosquitto(identity_as_username: bool) -> (Peer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let peer = crate::peers::mosquitto(dir.path(), &broker_settings(identity_as_username, ""));
    (peer, dir)
}

/// The settings of that mosquitto, then `extra` (an `acl_file`, a plugin).
pub(crate) fn broker_settings(identity_as_username: bool, extra: &str) -> String {
    format!(
        "cafile {ca}\ncertfile {cert}\nkeyfile {key}\n\
         require_certificate true\nuse_identity_as_username {identity_as_username}\n\
         allow_anonymous false\npersistence false\n\
         # Started as root, mosquitto would drop privileges and could not read the key.\nuser root\n{extra}",
        ca = fixture("device/device-ca.pem"),
        cert = fixture("server/rsa-chain.pem"),
        key = fixture("server/rsa-leaf.key"),
    )
}

fn mqtt_probe(port: u16, extra: &[&str]) -> Run {
    run_cmd(&mut mqtt_probe_cmd(port, extra))
}

/// [`mqtt_probe`], failing the test if it still runs after `seconds` (a hang).
fn mqtt_probe_within(port: u16, extra: &[&str], seconds: u64) -> Run {
    run_cmd_within(&mut mqtt_probe_cmd(port, extra), seconds)
}

/// `endpoint --mqtt` (JSON) as the test device, to ENDPOINT on `port`, plus `extra`.
pub(crate) fn mqtt_probe_cmd(port: u16, extra: &[&str]) -> Command {
    let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
    let mut args = vec!["--cert", &cert, "--key", &key, "--mqtt"];
    args.extend_from_slice(extra);
    endpoint_cmd(port, &args)
}

#[test]
fn broker_accepts_the_device() {
    let (broker, _dir) = mosquitto(true);
    let r = mqtt_probe(broker.port, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["verdict"], "ok");
    assert_eq!(j["handshakes"][0]["client_auth"]["accepted"], true);
    assert_eq!(j["handshakes"][0]["mqtt"]["outcome"], "accepted");
    assert_eq!(j["handshakes"][0]["mqtt"]["return_code"], 0);
    assert!(j["handshakes"][0]["mqtt"]["millis"].as_f64().unwrap() > 0.0);
}

#[test]
fn broker_refusal_is_named_with_its_return_code() {
    let (broker, _dir) = mosquitto(false);
    let r = mqtt_probe(broker.port, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["chain_verified"], true);
    assert_eq!(j["handshakes"][0]["mqtt"]["outcome"], "refused");
    assert_eq!(j["handshakes"][0]["mqtt"]["return_code"], 5);
    assert_eq!(problems(&j), [("mqtt_refused".to_string(), None)]);
    let human = run_cmd(&mut human(&mqtt_probe_cmd(broker.port, &[])));
    assert!(human.stdout.contains("CONNACK 5"), "{}", human.stdout);
}

#[test]
fn no_connect_is_sent_over_an_unverified_chain() {
    let (broker, _dir) = mosquitto(true);
    // The embedded Amazon roots do not trust the test broker's chain.
    let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
    let target = format!("{ENDPOINT}:{}", broker.port);
    let mqtt_with_embedded_roots = |extra: &[&str]| {
        let mut args = vec![
            "endpoint",
            &target,
            "--connect",
            "127.0.0.1",
            "--json",
            "--at",
            AT,
            "--cert",
            &cert,
            "--key",
            &key,
            "--mqtt",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let r = mqtt_with_embedded_roots(&[]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["mqtt"]["outcome"], "not_sent");
    assert_eq!(problems(&j)[0].0, "unknown_issuer");
    // --insecure sends it anyway, and says so.
    let r = mqtt_with_embedded_roots(&["--insecure"]);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["mqtt"]["outcome"], "accepted");
    assert!(codes(&j, "warnings").contains(&"insecure".to_string()));
    assert_eq!(r.code, 1, "the chain still did not verify");
}

#[test]
fn hang_up_after_connect_is_the_aws_policy_failure() {
    // Like AWS IoT after a CONNECT its policy does not allow: close_notify, no CONNACK.
    let port = tls_peer_with_test_chain(Behaviour::Close);
    let r = mqtt_probe(port, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["chain_verified"], true);
    assert_eq!(j["handshakes"][0]["mqtt"]["outcome"], "closed");
    let p = &first(&j, "problems");
    assert_eq!(p["code"], "mqtt_closed");
    assert!(p["message"].as_str().unwrap().contains("iot:Connect"));
}

#[test]
fn silent_broker_times_out_within_the_timeout() {
    let port = tls_peer_with_test_chain(Behaviour::Silent);
    // Only a hang fails here: the bound is 10× the timeout. How close to the timeout it
    // ends is a measurement: benches/timeouts.sh.
    let r = mqtt_probe_within(port, &["--timeout", "1"], 10);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["handshakes"][0]["mqtt"]["outcome"], "timeout");
    assert_eq!(problems(&j)[0].0, "mqtt_timeout");
}

#[test]
fn client_id_defaults_to_the_certificate_cn() {
    // mosquitto with use_identity_as_username accepts any client id; the report shows ours.
    let (broker, _dir) = mosquitto(true);
    let r = mqtt_probe(broker.port, &[]);
    assert_eq!(
        r.json()["handshakes"][0]["mqtt"]["client_id"],
        "TestThing-ec"
    );
    let r = mqtt_probe(broker.port, &["--client-id", "custom-id"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["handshakes"][0]["mqtt"]["client_id"], "custom-id");
}
/// A PUBLISH of 60 004 bytes: something a broker must not send before its CONNACK.
fn large_publish() -> Vec<u8> {
    let remaining = 60_000usize;
    let mut packet = vec![0x30];
    let mut length = remaining;
    loop {
        let mut byte = (length % 128) as u8;
        length /= 128;
        if length > 0 {
            byte |= 0x80;
        }
        packet.push(byte);
        if length == 0 {
            break;
        }
    }
    packet.extend([0x00, 0x01, b't']);
    packet.resize(packet.len() + remaining - 3, b'x');
    packet
}

#[test]
fn a_flooding_peer_is_unexpected_never_a_policy_refusal() {
    let packet = large_publish();
    for (what, behaviour) in [
        ("sent once", Behaviour::send(&packet)),
        ("flooded", Behaviour::Flood(packet.clone())),
    ] {
        let port = tls_peer_with_test_chain(behaviour);
        // Only a hang fails here: the bound is 10× the timeout.
        let r = mqtt_probe_within(port, &["--timeout", "3"], 30);
        assert_eq!(r.code, 1, "{what}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        assert_eq!(
            j["handshakes"][0]["mqtt"]["outcome"], "unexpected",
            "{what}: {}",
            r.stdout
        );
        assert_eq!(
            problems(&j),
            [("mqtt_unexpected".to_string(), None)],
            "{what}"
        );
        let lead = first(&j, "problems");
        let message = lead["message"].as_str().unwrap();
        assert!(!message.contains("iot:Connect"), "{what}: {message}");
        assert!(
            message.len() < 300,
            "{what}: the packet is named, not dumped: {message}"
        );
    }
}
