//! Tests of the probe against real peers on loopback (openssl s_server, mosquitto), for what
//! only the probe's own result shows: the served chain byte for byte, the callback's calls, the
//! SNI actually sent, the end of the TLS 1.3 settle wait. What a user sees of the same peers,
//! hostile ones included, is tested once, through the binary, in the integration tests.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::*;

#[path = "../../tests/support/peers.rs"]
mod support;

const ENDPOINT: &str = "example-ats.iot.eu-west-1.amazonaws.com";
const TIMEOUT: Duration = Duration::from_secs(5);

/// Writes a throw-away PKI into the current directory: an EC root and intermediate that issue
/// an RSA and an ECDSA server leaf, a device CA with a device certificate, and a rogue CA with
/// a device certificate the server does not trust. Validity starts now: the peers check it.
const GENERATE: &str = r#"
set -e
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > ca.ext
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:example-ats.iot.eu-west-1.amazonaws.com,IP:127.0.0.1,IP:::1\n' > server.ext
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > client.ext
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
root() {
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -out "$1.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}
issue() {
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 \
    -extfile "$4" -out "$1.pem"
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}
ec root; root root "Test Root"
ec inter; issue inter "Test Intermediate" root ca.ext
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf-rsa.key
issue leaf-rsa example-ats.iot.eu-west-1.amazonaws.com inter server.ext
ec leaf-ec; issue leaf-ec example-ats.iot.eu-west-1.amazonaws.com inter server.ext
cat leaf-ec.pem inter.pem > ec-chain.pem
ec device-ca; root device-ca "Test Device CA"
ec device; issue device my-thing device-ca client.ext
ec rogue-ca; root rogue-ca "Rogue CA"
ec rogue; issue rogue my-thing rogue-ca client.ext
for name in device rogue; do openssl pkcs8 -topk8 -nocrypt -in "$name.key" -outform DER -out "$name.key.der"; done
"#;

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let output = Command::new("sh")
            .arg("-c")
            .arg(GENERATE)
            .current_dir(dir.path())
            .output()
            .expect("sh runs");
        assert!(
            output.status.success(),
            "generating the test PKI failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn der(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(&format!("{name}.der"))).expect("DER fixture")
    }

    /// "device" or "rogue": a device certificate and its key.
    fn identity(&self, name: &str) -> ClientIdentity {
        let key = std::fs::read(self.path(&format!("{name}.key.der"))).expect("key");
        ClientIdentity {
            chain: vec![CertificateDer::from(self.der(name))],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        }
    }
}

fn settings(port: u16) -> ProbeSettings {
    ProbeSettings {
        host: ENDPOINT.to_string(),
        port,
        connect_to: Some("127.0.0.1".to_string()),
        sni: Some(ENDPOINT.to_string()),
        alpn: Vec::new(),
        timeout: TIMEOUT,
        deadline: None,
        mqtt_turn: None,
        transport: Default::default(),
        https: None,
        proxy: None,
        versions: TlsVersions::Both,
        sig: SigFilter::Any,
        client: None,
        mqtt: None,
    }
}

/// Runs a probe whose chain callback accepts (`true`) or refuses the chain, counting its calls.
fn run(settings: &ProbeSettings, accept: bool) -> (Result<Probe, NetError>, usize) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let result = probe(
        settings,
        Arc::new(move |_chain: &[Vec<u8>]| {
            counter.fetch_add(1, Ordering::SeqCst);
            accept
        }),
    );
    (result, calls.load(Ordering::SeqCst))
}

fn s_server(pki: &Pki, host: &str, args: &[&str]) -> support::Peer {
    support::s_server(pki.dir.path(), host, args)
}

const SERVE_RSA: [&str; 6] = [
    "-cert",
    "leaf-rsa.pem",
    "-key",
    "leaf-rsa.key",
    "-cert_chain",
    "inter.pem",
];
const SERVE_EC_TOO: [&str; 6] = [
    "-dcert",
    "leaf-ec.pem",
    "-dkey",
    "leaf-ec.key",
    "-dcert_chain",
    "inter.pem",
];
const VERIFY_DEVICE: [&str; 5] = [
    "-Verify",
    "1",
    "-CAfile",
    "device-ca.pem",
    "-verify_return_error",
];

fn args<'a>(parts: &[&[&'a str]]) -> Vec<&'a str> {
    parts.concat()
}

// ---------------------------------------------------------------- capture and facts

#[test]
fn captures_served_chain_in_order_on_both_versions() {
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &SERVE_RSA);
    for (versions, expected) in [
        (TlsVersions::Tls13, "TLSv1.3"),
        (TlsVersions::Tls12, "TLSv1.2"),
    ] {
        let mut settings = settings(server.port);
        settings.versions = versions;
        let (result, calls) = run(&settings, true);
        let probe = result.expect("probe succeeds");
        assert_eq!(probe.served, vec![pki.der("leaf-rsa"), pki.der("inter")]);
        assert_eq!(calls, 1, "chain_ok is called exactly once");
        assert_eq!(probe.tls.version, expected);
        assert!(!probe.tls.cipher_suite.is_empty());
        assert!(probe.tls.key_exchange_group.is_some());
        assert_eq!(probe.tls.sni.as_deref(), Some(ENDPOINT));
        assert_eq!(probe.peer.to_string(), format!("127.0.0.1:{}", server.port));
        assert!(!probe.via_proxy);
        assert_eq!(probe.client_auth, ClientAuth::default());
        assert_eq!(
            probe.timings.post_handshake, None,
            "no settle without a request"
        );
        assert_eq!(probe.handshake_error, None);
        assert_eq!(probe.mqtt, None);
    }
}

#[test]
fn signature_filter_selects_the_rsa_or_ecdsa_chain() {
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &args(&[&SERVE_RSA, &SERVE_EC_TOO]));
    for versions in [TlsVersions::Tls13, TlsVersions::Tls12] {
        for (sig, leaf) in [(SigFilter::Rsa, "leaf-rsa"), (SigFilter::Ecdsa, "leaf-ec")] {
            let mut settings = settings(server.port);
            settings.versions = versions;
            settings.sig = sig;
            let probe = run(&settings, true).0.expect("probe succeeds");
            assert_eq!(probe.served[0], pki.der(leaf), "{versions:?} {sig:?}");
        }
    }
}

#[test]
fn sni_is_sent_or_withheld() {
    let pki = Pki::new();
    // s_server serves leaf-ec only to clients that name the endpoint in SNI.
    let server = s_server(
        &pki,
        "127.0.0.1",
        &args(&[
            &SERVE_RSA,
            &[
                "-servername",
                ENDPOINT,
                "-cert2",
                "leaf-ec.pem",
                "-key2",
                "leaf-ec.key",
            ],
        ]),
    );
    let named = run(&settings(server.port), true).0.expect("probe with SNI");
    assert_eq!(named.served[0], pki.der("leaf-ec"));
    assert_eq!(named.tls.sni.as_deref(), Some(ENDPOINT));

    let mut settings = settings(server.port);
    settings.sni = None;
    let anonymous = run(&settings, true).0.expect("probe without SNI");
    assert_eq!(anonymous.served[0], pki.der("leaf-rsa"));
    assert_eq!(anonymous.tls.sni, None);
}

#[test]
fn connect_by_name_resolves_localhost() {
    // Resolution through the system resolver, kept on loopback: "localhost" only.
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &SERVE_RSA);
    let mut settings = settings(server.port);
    settings.connect_to = Some("localhost".to_string());
    let probe = run(&settings, true).0.expect("probe succeeds");
    assert_eq!(probe.peer.to_string(), format!("127.0.0.1:{}", server.port));
    assert!(probe.timings.resolve >= 0.0);
}

// ---------------------------------------------------------------- client certificates

#[test]
fn tls13_accepted_client_certificate_ends_the_settle_early() {
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &args(&[&SERVE_RSA, &VERIFY_DEVICE]));
    let mut settings = settings(server.port);
    settings.versions = TlsVersions::Tls13;
    settings.client = Some(pki.identity("device"));
    let probe = run(&settings, true).0.expect("probe succeeds");
    assert!(probe.client_auth.requested);
    assert!(probe.client_auth.sent);
    assert_eq!(probe.client_auth.rejection, None);
    assert_eq!(probe.handshake_error, None);
    assert!(!probe.client_auth.signature_schemes.is_empty());
    // s_server lists the subjects of its -CAfile as acceptable CA names.
    let device_ca = x509_parser::parse_x509_certificate(&pki.der("device-ca"))
        .expect("device CA parses")
        .1
        .subject()
        .as_raw()
        .to_vec();
    assert_eq!(probe.client_auth.acceptable_ca_names, vec![device_ca]);
    // The server's session ticket proves acceptance well before the 1 s bound.
    let settle = probe.timings.post_handshake.expect("settle ran");
    assert!(settle < 900.0, "settle took {settle} ms");
}

#[test]
fn refused_chain_keeps_the_client_certificate_back() {
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &args(&[&SERVE_RSA, &VERIFY_DEVICE]));
    for versions in [TlsVersions::Tls13, TlsVersions::Tls12] {
        let mut settings = settings(server.port);
        settings.versions = versions;
        settings.client = Some(pki.identity("device"));
        settings.mqtt = Some(MqttSettings::new("my-thing", 30));
        let (result, calls) = run(&settings, false);
        let probe = result.expect("a withheld certificate is a result");
        assert_eq!(calls, 1, "{versions:?}");
        assert_eq!(probe.served, vec![pki.der("leaf-rsa"), pki.der("inter")]);
        assert!(probe.client_auth.requested && probe.client_auth.withheld);
        assert!(!probe.client_auth.sent);
        assert_eq!(
            probe.client_auth.rejection, None,
            "the server rejected nothing"
        );
        assert_eq!(probe.handshake_error, None);
        assert!(
            matches!(probe.mqtt, Some(MqttOutcome::NotSent { .. })),
            "{:?}",
            probe.mqtt
        );
    }
}

// ---------------------------------------------------------------- MQTT with mosquitto

/// mosquitto with TLS on 127.0.0.1, requiring a device certificate from the device CA; the
/// certificate's CN becomes the user name.
fn mosquitto(pki: &Pki) -> support::Peer {
    let settings = format!(
        "cafile {ca}\ncertfile {cert}\nkeyfile {key}\n\
         require_certificate true\nuse_identity_as_username true\n\
         allow_anonymous false\npersistence false\nuser root\n",
        ca = pki.path("device-ca.pem").display(),
        cert = pki.path("ec-chain.pem").display(),
        key = pki.path("leaf-ec.key").display(),
    );
    support::mosquitto(pki.dir.path(), &settings)
}

fn mqtt_settings(pki: &Pki, port: u16, device: &str) -> ProbeSettings {
    let mut settings = settings(port);
    settings.client = Some(pki.identity(device));
    settings.mqtt = Some(MqttSettings::new("my-thing", 30));
    settings
}

#[test]
fn mqtt_broker_rejecting_the_device_certificate() {
    let pki = Pki::new();
    let broker = mosquitto(&pki);
    let mut settings = mqtt_settings(&pki, broker.port, "rogue");
    settings.versions = TlsVersions::Tls13;
    let probe = run(&settings, true).0.expect("a rejection is a result");
    assert_eq!(probe.client_auth.rejection.as_deref(), Some("unknown_ca"));
    assert!(
        matches!(probe.mqtt, Some(MqttOutcome::NotSent { .. })),
        "{:?}",
        probe.mqtt
    );
}

#[test]
fn a_shared_deadline_already_over_is_said_so() {
    let mut settings = settings(support::CLOSED_PORT);
    settings.deadline = Some(std::time::Instant::now());
    let error = run(&settings, true).0.expect_err("no time left");
    assert_eq!(
        error.to_string(),
        format!(
            "no time left to probe {ENDPOINT}:{}: earlier probes of it used up the 5 s of \
             --timeout; give a longer --timeout",
            support::CLOSED_PORT
        )
    );
}

#[test]
fn error_messages_name_phase_and_next_step() {
    let timeout = NetError::Timeout {
        phase: Phase::TlsHandshake,
        target: "127.0.0.1:8443".to_string(),
        after: Duration::from_secs(10),
    };
    assert_eq!(
        timeout.to_string(),
        "tls handshake with 127.0.0.1:8443 timed out after 10 s: the server accepted TCP but \
         did not complete the handshake in time; AWS IoT on port 443 stays silent without ALPN \
         x-amzn-mqtt-ca (MQTT) or x-amzn-http-ca (HTTPS), elsewhere a firewall or middlebox may \
         hold the connection"
    );
    let half = NetError::Timeout {
        phase: Phase::Connect,
        target: "a:1".to_string(),
        after: Duration::from_millis(1500),
    };
    assert!(half
        .to_string()
        .starts_with("tcp connect to a:1 timed out after 1.5 s"));
}
