//! Tests against real peers on 127.0.0.1: openssl s_server, mosquitto, an HTTP CONNECT proxy,
//! and hostile sockets (silent, HTTP, closing, endless garbage).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::*;

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
        proxy: None,
        versions: TlsVersions::Both,
        sig: SigFilter::Any,
        client: None,
        mqtt: None,
    }
}

/// Runs a probe whose chain callback accepts (`true`) or refuses the chain, counting its calls.
fn run(settings: &ProbeSettings, accept: bool) -> (Result<Probe, NetError>, usize) {
    let mut calls = 0;
    let result = probe(settings, &mut |_chain: &[Vec<u8>]| {
        calls += 1;
        accept
    });
    (result, calls)
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// A child process killed when the test ends, however it ends.
struct Peer {
    child: Child,
    port: u16,
    _stdin: Option<ChildStdin>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl s_server` on 127.0.0.1 (or `[::1]`), ready once it printed ACCEPT.
fn s_server(pki: &Pki, host: &str, args: &[&str]) -> Peer {
    for _attempt in 0..5 {
        let port = free_port();
        let mut child = Command::new("openssl")
            .arg("s_server")
            .arg("-accept")
            .arg(format!("{host}:{port}"))
            .args(args)
            .current_dir(pki.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (ready, is_ready) = mpsc::channel();
        // Keeps draining s_server's output so it never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("ACCEPT") {
                    let _ = ready.send(());
                }
            }
        });
        let mut peer = Peer {
            child,
            port,
            _stdin: stdin,
        };
        if is_ready.recv_timeout(Duration::from_secs(10)).is_ok() {
            return peer;
        }
        // Most likely the port was taken between free_port and bind: try another.
        let _ = peer.child.kill();
    }
    panic!("openssl s_server did not start");
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
fn reports_the_alpn_protocol_the_server_chose() {
    let pki = Pki::new();
    let server = s_server(
        &pki,
        "127.0.0.1",
        &args(&[&SERVE_RSA, &["-alpn", "x-amzn-mqtt-ca"]]),
    );
    let mut settings = settings(server.port);
    settings.alpn = vec![b"x-amzn-mqtt-ca".to_vec()];
    let probe = run(&settings, true).0.expect("probe succeeds");
    assert_eq!(probe.tls.alpn.as_deref(), Some("x-amzn-mqtt-ca"));
}

#[test]
fn connects_over_ipv6_with_the_endpoint_as_sni() {
    // Fail loudly rather than skip silently when the machine has no IPv6 loopback.
    assert!(
        TcpListener::bind("[::1]:0").is_ok(),
        "IPv6 loopback is not available on this machine"
    );
    let pki = Pki::new();
    let server = s_server(&pki, "[::1]", &SERVE_RSA);
    let mut settings = settings(server.port);
    settings.connect_to = Some(format!("[::1]:{}", server.port));
    settings.port = 1; // --connect's port wins
    let probe = run(&settings, true).0.expect("probe succeeds");
    assert_eq!(probe.peer.to_string(), format!("[::1]:{}", server.port));
    assert_eq!(probe.tls.sni.as_deref(), Some(ENDPOINT));
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
fn tls13_rejection_arrives_after_the_handshake() {
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &args(&[&SERVE_RSA, &VERIFY_DEVICE]));
    for (client, alert) in [
        (Some(pki.identity("rogue")), "unknown_ca"),
        (None, "certificate_required"),
    ] {
        let mut settings = settings(server.port);
        settings.versions = TlsVersions::Tls13;
        let sent = client.is_some();
        settings.client = client;
        let probe = run(&settings, true).0.expect("a rejection is a result");
        assert_eq!(probe.served.len(), 2);
        assert!(probe.client_auth.requested);
        assert_eq!(probe.client_auth.sent, sent);
        assert_eq!(probe.client_auth.rejection.as_deref(), Some(alert));
        assert!(probe.handshake_error.is_some());
        assert_eq!(probe.tls.version, "TLSv1.3");
    }
}

#[test]
fn tls12_rejection_fails_the_handshake_but_keeps_the_chain() {
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &args(&[&SERVE_RSA, &VERIFY_DEVICE]));
    for (client, alert) in [
        (Some(pki.identity("rogue")), "unknown_ca"),
        (None, "handshake_failure"),
    ] {
        let mut settings = settings(server.port);
        settings.versions = TlsVersions::Tls12;
        settings.client = client;
        settings.mqtt = Some(MqttSettings {
            client_id: "my-thing".to_string(),
            keep_alive_secs: 30,
        });
        let (result, calls) = run(&settings, true);
        let probe = result.expect("a rejection is a result");
        assert_eq!(calls, 0, "no verdict asked for a handshake that failed");
        assert_eq!(probe.served, vec![pki.der("leaf-rsa"), pki.der("inter")]);
        assert_eq!(probe.tls.version, "TLSv1.2");
        assert!(probe.client_auth.requested);
        assert_eq!(probe.client_auth.rejection.as_deref(), Some(alert));
        let error = probe.handshake_error.expect("handshake error recorded");
        assert!(error.contains(alert), "{error}");
        assert!(matches!(probe.mqtt, Some(MqttOutcome::NotSent { .. })));
    }
}

// ---------------------------------------------------------------- hostile peers

/// A one-connection TCP server running `behave` on the accepted socket in a thread.
fn hostile(behave: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    thread::spawn(move || {
        if let Ok((socket, _)) = listener.accept() {
            behave(socket);
        }
    });
    port
}

fn read_client_hello(socket: &mut TcpStream) {
    let mut buffer = [0u8; 4096];
    let _ = socket.read(&mut buffer);
}

fn quick(port: u16) -> ProbeSettings {
    let mut settings = settings(port);
    settings.timeout = Duration::from_secs(1);
    settings
}

#[test]
fn nothing_listening_is_a_connect_error() {
    let port = free_port();
    let error = run(&quick(port), true).0.expect_err("nothing listens");
    assert!(matches!(error, NetError::Connect { .. }), "{error:?}");
    assert_eq!(error.phase(), "connect");
    assert!(error.to_string().contains("nothing listens"), "{error}");
}

#[test]
fn silent_server_times_out_in_the_handshake() {
    let port = hostile(|mut socket| {
        read_client_hello(&mut socket);
        thread::sleep(Duration::from_secs(4));
    });
    let started = Instant::now();
    let error = run(&quick(port), true).0.expect_err("silence");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            error,
            NetError::Timeout {
                phase: Phase::TlsHandshake,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.phase(), "tls_handshake");
    let message = error.to_string();
    assert!(message.contains("timed out after 1 s"), "{message}");
    assert!(message.contains("x-amzn-mqtt-ca"), "{message}");
}

#[test]
fn http_answer_is_not_tls() {
    let port = hostile(|mut socket| {
        read_client_hello(&mut socket);
        let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let error = run(&quick(port), true).0.expect_err("HTTP is not TLS");
    match &error {
        NetError::NotTls { preview, .. } => assert_eq!(preview, "HTTP/1.1 400 Bad Request"),
        other => panic!("expected NotTls, got {other:?}"),
    }
    assert!(error.to_string().contains("HTTP server"), "{error}");
}

#[test]
fn close_mid_handshake_is_closed() {
    let port = hostile(|mut socket| {
        read_client_hello(&mut socket);
        let _ = socket.shutdown(Shutdown::Both);
    });
    let error = run(&quick(port), true).0.expect_err("closed");
    assert!(matches!(error, NetError::Closed { .. }), "{error:?}");
    assert_eq!(error.phase(), "tls_handshake");
}

/// Writes `record` again and again until the client goes away.
fn endless(record: Vec<u8>) -> u16 {
    hostile(move |mut socket| {
        read_client_hello(&mut socket);
        while socket.write_all(&record).is_ok() {}
    })
}

#[test]
fn endless_garbage_in_handshake_records_fails_cleanly() {
    // Handshake records (type 22, TLS 1.2) full of 0xff bytes.
    let mut record = vec![22, 3, 3, 0x40, 0x00];
    record.resize(5 + 0x4000, 0xff);
    let started = Instant::now();
    let error = run(&quick(endless(record)), true).0.expect_err("garbage");
    assert!(matches!(error, NetError::Handshake { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn endless_handshake_message_fails_cleanly() {
    // A ServerHello claiming 16 MiB, followed by endless fragments of it: a huge "chain".
    let mut first = vec![22, 3, 3, 0x40, 0x00, 2, 0xff, 0xff, 0xff];
    first.resize(5 + 0x4000, 0);
    let port = hostile(move |mut socket| {
        read_client_hello(&mut socket);
        let mut more = vec![22, 3, 3, 0x40, 0x00];
        more.resize(5 + 0x4000, 0);
        if socket.write_all(&first).is_ok() {
            while socket.write_all(&more).is_ok() {}
        }
    });
    let started = Instant::now();
    let error = run(&quick(port), true).0.expect_err("oversized message");
    assert!(matches!(error, NetError::Handshake { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn unresolvable_name_is_a_resolve_error() {
    let mut settings = quick(8883);
    settings.connect_to = Some("name.invalid".to_string());
    let error = run(&settings, true).0.expect_err("no such name");
    assert!(
        matches!(
            error,
            NetError::Resolve { .. }
                | NetError::Timeout {
                    phase: Phase::Resolve,
                    ..
                }
        ),
        "{error:?}"
    );
    assert_eq!(error.phase(), "resolve");
}

// ---------------------------------------------------------------- proxy

/// A one-connection HTTP CONNECT proxy; with `password`, it demands Basic credentials.
/// Sends the request line it received back through `requests`.
fn connect_proxy(password: Option<&'static str>, requests: mpsc::Sender<String>) -> u16 {
    hostile(move |mut client| {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).is_ok_and(|n| n == 1) {
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let _ = requests.send(head.clone());
        let authorized = match password {
            None => true,
            Some(expected) => head.contains(&format!("Proxy-Authorization: Basic {expected}")),
        };
        if !authorized {
            let _ = client.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n",
            );
            return;
        }
        let target = head
            .split_whitespace()
            .nth(1)
            .expect("CONNECT target")
            .to_string();
        let Ok(mut server) = TcpStream::connect(target) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
            return;
        };
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        let (mut client_read, mut server_write) = (
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
        );
        thread::spawn(move || {
            let _ = std::io::copy(&mut client_read, &mut server_write);
        });
        let _ = std::io::copy(&mut server, &mut client);
    })
}

#[test]
fn probes_through_a_connect_proxy() {
    let pki = Pki::new();
    let server = s_server(&pki, "127.0.0.1", &SERVE_RSA);
    let (requests, received) = mpsc::channel();
    // base64("user:secret")
    let proxy_port = connect_proxy(Some("dXNlcjpzZWNyZXQ="), requests);
    let mut settings = settings(server.port);
    settings.proxy = Some(Proxy {
        host: "127.0.0.1".to_string(),
        port: proxy_port,
        credentials: Some(("user".to_string(), "secret".to_string())),
    });
    let probe = run(&settings, true).0.expect("probe through the proxy");
    assert!(probe.via_proxy);
    assert_eq!(probe.peer.port(), proxy_port);
    assert!(probe.timings.proxy.is_some());
    assert_eq!(probe.served[0], pki.der("leaf-rsa"));
    let request = received.recv().expect("proxy saw a request");
    assert!(
        request.starts_with(&format!("CONNECT 127.0.0.1:{} HTTP/1.1\r\n", server.port)),
        "{request}"
    );
}

#[test]
fn proxy_demanding_credentials_is_a_proxy_error() {
    let (requests, _received) = mpsc::channel();
    let proxy_port = connect_proxy(Some("dXNlcjpzZWNyZXQ="), requests);
    let mut settings = quick(8883);
    settings.proxy = Some(Proxy {
        host: "127.0.0.1".to_string(),
        port: proxy_port,
        credentials: None,
    });
    let error = run(&settings, true).0.expect_err("407");
    match &error {
        NetError::Proxy { status, detail, .. } => {
            assert_eq!(*status, Some(407));
            assert!(
                detail.contains("407 Proxy Authentication Required"),
                "{detail}"
            );
            assert!(detail.contains("http://user:pass@host:port"), "{detail}");
        }
        other => panic!("expected a proxy error, got {other:?}"),
    }
    assert_eq!(error.phase(), "proxy");
}

// ---------------------------------------------------------------- MQTT with mosquitto

/// mosquitto with TLS on 127.0.0.1, requiring a device certificate from the device CA.
/// `identity_as_user`: the certificate's CN becomes the user name (accepted); otherwise the
/// client is anonymous and anonymous clients are refused (CONNACK "not authorized").
fn mosquitto(pki: &Pki, identity_as_user: bool) -> Peer {
    let port = free_port();
    let config = pki.path("mosquitto.conf");
    let text = format!(
        "listener {port} 127.0.0.1\n\
         cafile {ca}\ncertfile {cert}\nkeyfile {key}\n\
         require_certificate true\nuse_identity_as_username {identity_as_user}\n\
         allow_anonymous false\npersistence false\nuser root\n",
        ca = pki.path("device-ca.pem").display(),
        cert = pki.path("ec-chain.pem").display(),
        key = pki.path("leaf-ec.key").display(),
    );
    std::fs::write(&config, text).expect("write mosquitto.conf");
    let child = Command::new("mosquitto")
        .arg("-c")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto starts");
    let peer = Peer {
        child,
        port,
        _stdin: None,
    };
    wait_for_port(port, Path::new(&config));
    peer
}

fn wait_for_port(port: u16, what: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on {port} ({})", what.display());
}

fn mqtt_settings(pki: &Pki, port: u16, device: &str) -> ProbeSettings {
    let mut settings = settings(port);
    settings.client = Some(pki.identity(device));
    settings.mqtt = Some(MqttSettings {
        client_id: "my-thing".to_string(),
        keep_alive_secs: 30,
    });
    settings
}

#[test]
fn mqtt_connect_is_accepted() {
    let pki = Pki::new();
    let broker = mosquitto(&pki, true);
    let probe = run(&mqtt_settings(&pki, broker.port, "device"), true)
        .0
        .expect("probe succeeds");
    assert_eq!(probe.served, vec![pki.der("leaf-ec"), pki.der("inter")]);
    assert!(probe.client_auth.requested && probe.client_auth.sent);
    assert_eq!(probe.client_auth.rejection, None);
    assert!(
        matches!(
            probe.mqtt,
            Some(MqttOutcome::Accepted {
                session_present: false,
                ..
            })
        ),
        "{:?}",
        probe.mqtt
    );
    assert!(probe.timings.mqtt.is_some());
}

#[test]
fn mqtt_connect_is_refused_not_authorized() {
    let pki = Pki::new();
    let broker = mosquitto(&pki, false);
    let probe = run(&mqtt_settings(&pki, broker.port, "device"), true)
        .0
        .expect("probe succeeds");
    match probe.mqtt {
        Some(MqttOutcome::Refused { code, reason, .. }) => {
            assert_eq!(code, 5);
            assert_eq!(reason, "not authorized");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn mqtt_is_not_sent_over_an_unverified_chain() {
    let pki = Pki::new();
    let broker = mosquitto(&pki, true);
    let (result, calls) = run(&mqtt_settings(&pki, broker.port, "device"), false);
    let probe = result.expect("probe succeeds");
    assert_eq!(calls, 1);
    assert!(
        matches!(probe.mqtt, Some(MqttOutcome::NotSent { .. })),
        "{:?}",
        probe.mqtt
    );
    assert_eq!(probe.timings.mqtt, None);
}

#[test]
fn mqtt_broker_rejecting_the_device_certificate() {
    let pki = Pki::new();
    let broker = mosquitto(&pki, true);
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

#[test]
fn oversized_served_chain_fails_cleanly() {
    let pki = Pki::new();
    // About 200 intermediates: a Certificate message well over rustls's 64 KiB limit.
    let inter = std::fs::read_to_string(pki.path("inter.pem")).expect("inter.pem");
    std::fs::write(pki.path("huge-chain.pem"), inter.repeat(200)).expect("write chain");
    let server = s_server(
        &pki,
        "127.0.0.1",
        &[
            "-cert",
            "leaf-ec.pem",
            "-key",
            "leaf-ec.key",
            "-cert_chain",
            "huge-chain.pem",
        ],
    );
    for versions in [TlsVersions::Tls13, TlsVersions::Tls12] {
        let mut settings = settings(server.port);
        settings.versions = versions;
        let started = Instant::now();
        let error = run(&settings, true).0.expect_err("oversized chain");
        assert!(started.elapsed() < TIMEOUT, "{:?}", started.elapsed());
        assert!(matches!(error, NetError::Handshake { .. }), "{error:?}");
        assert!(error.to_string().contains("64 KiB"), "{error}");
    }
}
