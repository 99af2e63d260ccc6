//! Integration tests: `iotcheck endpoint --mqtt`, the two-stage verdict, against a real
//! mosquitto broker and small TLS servers that behave like AWS IoT's failure modes.

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;

/// mosquitto with TLS on 127.0.0.1, requiring a device certificate from the test device CA.
/// With `identity_as_username` the certificate's CN is the user name and the device is
/// accepted; without it the client is anonymous, and anonymous clients are refused.
fn mosquitto(identity_as_username: bool) -> (Peer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = format!(
        "listener {port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n\
         require_certificate true\nuse_identity_as_username {identity_as_username}\n\
         allow_anonymous false\npersistence false\n\
         # Started as root, mosquitto would drop privileges and could not read the key.\nuser root\n",
        ca = fixture("device/device-ca.pem"),
        cert = fixture("server/rsa-chain.pem"),
        key = fixture("server/rsa-leaf.key"),
    );
    let path = dir.path().join("mosquitto.conf");
    std::fs::write(&path, conf).unwrap();
    let peer = Peer::start(
        "mosquitto",
        &["-c".into(), path.to_string_lossy().into_owned()],
        port,
    );
    (peer, dir)
}

fn mqtt_probe(port: u16, extra: &[&str]) -> Run {
    let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
    let mut args = vec!["--cert", &cert, "--key", &key, "--mqtt"];
    args.extend_from_slice(extra);
    run_cmd(&mut endpoint_cmd(port, &args))
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
    let human = {
        let target = format!("{ENDPOINT}:{}", broker.port);
        let ca = fixture("roots/test-roots.pem");
        let (cert, key) = (fixture("device/ec.pem"), fixture("device/ec.key"));
        run(&[
            "endpoint",
            &target,
            "--connect",
            "127.0.0.1",
            "--at",
            AT,
            "--ca",
            &ca,
            "--cert",
            &cert,
            "--key",
            &key,
            "--mqtt",
        ])
    };
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

/// A TLS server (rustls, the test server chain) that reads the client's first bytes and then
/// either hangs up or stays silent, like AWS IoT after a CONNECT its policy does not allow.
fn tls_server(hang_up: bool) -> u16 {
    let chain: Vec<_> = ::pem::parse_many(std::fs::read(fixture("server/rsa-chain.pem")).unwrap())
        .unwrap()
        .into_iter()
        .map(|p| rustls::pki_types::CertificateDer::from(p.into_contents()))
        .collect();
    let key_der = ::pem::parse(std::fs::read(fixture("server/rsa-leaf.key")).unwrap()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into_contents().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut buf = [0u8; 512];
                let _ = tls.read(&mut buf); // the CONNECT
                if hang_up {
                    tls.conn.send_close_notify();
                    let _ = tls.conn.complete_io(&mut tls.sock);
                } else {
                    std::thread::sleep(Duration::from_secs(30));
                }
            });
        }
    });
    port
}

#[test]
fn hang_up_after_connect_is_the_aws_policy_failure() {
    let port = tls_server(true);
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
    let port = tls_server(false);
    let start = Instant::now();
    let r = mqtt_probe(port, &["--timeout", "1"]);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
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
