//! Entry points for the fuzz targets in `fuzz/`: each takes arbitrary bytes and runs a real
//! path of the tool end to end, in memory, at a fixed instant. Not part of the tool's
//! interface; the targets call only these, so that internals can move without breaking them.
//!
//! Every function must return normally for every input: a panic is a bug in the tool.

use std::sync::OnceLock;
use std::time::Duration;

use crate::chain::{self, Cert, Chain, KeyInfo};
use crate::cmd::endpoint::judge;
use crate::keys::{self, PrivateKey};
use crate::net::{self, ClientIdentity, ProbeSettings, SigFilter, TlsVersions};
use crate::report::endpoint::{self as view, EndpointReport, EndpointView, HandshakeReport};
use crate::report::inspect::csr_view;
use crate::report::{human, json, CertView, ChainReport, VerifyChainJson, SCHEMA_VERSION};
use crate::source::{self, Kind, Object};
use crate::trust::{AnchorSource, Anchors};
use crate::verify::{self, Connection, Policy};

/// The instant every verification runs at: 2026-06-01T00:00:00Z, inside the validity of the
/// generated fixtures (see `fixtures/README.md`).
pub const AT: i64 = 1_780_272_000;

/// The endpoint name verified and sent as SNI; the generated server fixtures carry it.
pub const HOST: &str = "example-ats.iot.eu-west-1.amazonaws.com";

/// In [`verify_and_render`]'s input, what follows the first occurrence of this line is the
/// CA file; without it the whole input is both the chain and the CA file.
pub const CA_SEPARATOR: &[u8] = b"\n--- ca file ---\n";

/// Reading an input file whole (`source::parse`), then every object in it the way `inspect`
/// and the key loading do: certificates into the model, private keys loaded by the crypto
/// library and matched against the file's certificates, public keys and CSRs described.
pub fn input(data: &[u8]) {
    let _ = source::parse_expecting("fuzz.key", data, "a private key").map_err(|e| e.to_string());
    let loaded = match source::parse("fuzz.pem", data) {
        Ok(loaded) => loaded,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let _ = loaded.contents_described();
    let certificates: Vec<Object> = loaded.of_kind(&Kind::Certificate).cloned().collect();
    if certificates.is_empty() {
        let _ = source::not_a_certificate(&loaded).to_string();
    }
    let _ = chain::parse(&certificates).map_err(|e| e.to_string());
    let count = loaded.objects.len();
    let mut cert_keys: Vec<KeyInfo> = Vec::new();
    for object in &loaded.objects {
        let origin = object.origin(count);
        let _ = (object.kind.describe(), object.kind.code());
        match &object.kind {
            Kind::Certificate => {
                if let Ok(cert) = Cert::from_der(&object.der, origin) {
                    let _ = CertView::of(&cert, 0, "leaf", AT);
                    let _ = (cert.validity_words(AT), cert.extended_key_usage_text());
                    let _ = (cert.key.describe(), cert.key.weakness(), cert.self_signed());
                    cert_keys.push(cert.key.clone());
                }
            }
            Kind::PrivateKey(format) => {
                let _ = keys::der_private_key_format(&object.der);
                if let Ok(key) = PrivateKey::load(*format, &object.der) {
                    let _ = format!("{key:?}");
                    let _ = cert_keys.iter().any(|k| key.matches(k));
                    let _ = key.to_der();
                }
            }
            Kind::PublicKey => {
                if let Some(key) = KeyInfo::from_spki_der(&object.der) {
                    let _ = (key.describe(), key.weakness());
                }
            }
            Kind::CertificateRequest => {
                let _ = csr_view(&object.der);
            }
            Kind::EncryptedPrivateKey | Kind::Crl | Kind::Other(_) => {}
        }
    }
}

/// `verify-chain` on bytes: the input before [`CA_SEPARATOR`] is read as a certificate file
/// and arranged into a chain, verified at [`AT`] against the embedded roots and against the
/// certificates after the separator as a `--ca` file (or, without a separator, the input's
/// own certificates), and each report is rendered as human text and as JSON.
pub fn verify_and_render(data: &[u8]) {
    human::set_color(false);
    let (given, ca_file) = match find(data, CA_SEPARATOR) {
        Some(at) => (&data[..at], &data[at + CA_SEPARATOR.len()..]),
        None => (data, data),
    };
    let Some(certs) = certificates("chain.pem", given) else {
        return;
    };
    let chain = Chain::arrange(certs);

    let embedded = Policy {
        at: AT,
        host: None,
        device_not_before: None,
        warn_days: crate::chain::DEFAULT_WARN_DAYS,
    };
    verify_chain(&chain, &Anchors::embedded(), &embedded);

    if let Some(ca_certs) = certificates("ca.pem", ca_file) {
        let mut anchors = Anchors {
            certs: Vec::new(),
            source: AnchorSource::Files(vec!["ca.pem".to_string()]),
        };
        for cert in ca_certs {
            if !anchors.certs.iter().any(|c| c.sha256 == cert.sha256) {
                anchors.certs.push(cert);
            }
        }
        let named = Policy {
            at: AT,
            host: Some(HOST.to_string()),
            device_not_before: Some(AT - 86_400),
            warn_days: crate::chain::DEFAULT_WARN_DAYS,
        };
        verify_chain(&chain, &anchors, &named);
    }
}

/// `endpoint` against a server whose bytes are `data`: a rustls client configured as the
/// probe configures it (capture verifier, client-certificate resolver with a device identity,
/// ALPN, SNI, TLS 1.2 and 1.3) runs its handshake over the bytes in memory; what it captured
/// is verified against the test roots at [`AT`] and the endpoint report is rendered as human
/// text and as JSON, as `endpoint` does.
pub fn tls_server_bytes(data: &[u8]) {
    human::set_color(false);
    let settings = probe_settings();
    let policy = Policy {
        at: AT,
        host: Some(HOST.to_string()),
        device_not_before: Some(AT - 86_400),
        warn_days: crate::chain::DEFAULT_WARN_DAYS,
    };
    // As `endpoint` does: the served chain is judged as it arrives, and the device identity
    // goes only to a server whose chain verified.
    let check_policy = policy.clone();
    let chain_ok: std::sync::Arc<net::ChainCheck> =
        std::sync::Arc::new(move |served: &[Vec<u8>]| {
            judge(served, test_roots(), &check_policy).is_valid()
        });
    let probe = match net::replay_server_flight(settings, data, chain_ok) {
        Ok(probe) => probe,
        Err(error) => {
            let _ = (error.to_string(), error.phase());
            return;
        }
    };
    let chain = judge(&probe.served, test_roots(), &policy);
    let classification = verify::classify(HOST);
    let findings = verify::connection_findings(&Connection {
        probe: &probe,
        chain_verified: chain.is_valid(),
        served_bytes: chain.total_bytes,
        insecure: false,
    });
    let report = HandshakeReport::new("any", chain, &probe, None, findings);
    let endpoint_findings = verify::endpoint_findings(&classification, false);
    let endpoint = EndpointView {
        host: HOST.to_string(),
        port: settings.port,
        verified_name: HOST.to_string(),
        sni: settings.sni.clone(),
        alpn_offered: vec!["x-amzn-mqtt-ca".to_string()],
        classification,
        source: view::EndpointSource::Given,
        saved: Vec::new(),
    };
    let report = EndpointReport::new(endpoint, endpoint_findings, vec![report]);
    let _ = view::render(&report);
    let _ = json::to_line(&report);
}

/// The ClientHello [`tls_server_bytes`]'s client sends, for recording real servers' first
/// flights as seeds.
pub fn client_hello() -> Vec<u8> {
    // The settings are fixed and valid; failing here is a bug worth a loud stop.
    net::client_hello(probe_settings()).expect("the fuzzing probe settings are valid")
}

/// The certificates of one input, as `verify-chain` reads a file: None where it would stop
/// with an error.
fn certificates(name: &str, bytes: &[u8]) -> Option<Vec<Cert>> {
    let loaded = source::parse(name, bytes).ok()?;
    let objects: Vec<Object> = loaded.of_kind(&Kind::Certificate).cloned().collect();
    if objects.is_empty() {
        return None;
    }
    chain::parse(&objects).ok()
}

/// Verifies, builds the report and renders it both ways, as `verify-chain` does.
fn verify_chain(chain: &Chain, anchors: &Anchors, policy: &Policy) {
    let judgement = verify::verify(chain, anchors, policy);
    let report = ChainReport::build(chain, anchors, policy, &judgement);
    let _ = json::to_line(&VerifyChainJson {
        schema_version: SCHEMA_VERSION,
        command: "verify-chain",
        report: &report,
    });
    let _ = human::verify_chain(&report);
}

/// The probe settings of `endpoint HOST:443 --cert ec.pem --key ec.key`: SNI, ALPN
/// `x-amzn-mqtt-ca`, TLS 1.2 and 1.3, every signature scheme, the fixture device identity.
fn probe_settings() -> &'static ProbeSettings {
    static SETTINGS: OnceLock<ProbeSettings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        let cert = pem_contents(include_bytes!("../fixtures/device/ec.pem"));
        let key = pem_contents(include_bytes!("../fixtures/device/ec.key"));
        ProbeSettings {
            host: HOST.to_string(),
            port: 443,
            connect_to: None,
            sni: Some(HOST.to_string()),
            alpn: vec![b"x-amzn-mqtt-ca".to_vec()],
            timeout: Duration::from_secs(10),
            deadline: None,
            mqtt_turn: None,
            proxy: None,
            versions: TlsVersions::Both,
            sig: SigFilter::Any,
            client: Some(ClientIdentity {
                chain: vec![cert.into()],
                key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
            }),
            mqtt: None,
        }
    })
}

/// The generated test roots (RSA and ECC), which issue the server fixtures.
fn test_roots() -> &'static Anchors {
    static ROOTS: OnceLock<Anchors> = OnceLock::new();
    ROOTS.get_or_init(|| Anchors {
        certs: certificates(
            "test-roots.pem",
            include_bytes!("../fixtures/roots/test-roots.pem"),
        )
        .unwrap_or_default(),
        source: AnchorSource::Files(vec!["test-roots.pem".to_string()]),
    })
}

fn pem_contents(text: &[u8]) -> Vec<u8> {
    // Embedded fixtures, checked by the tests below.
    ::pem::parse(text)
        .map(::pem::Pem::into_contents)
        .unwrap_or_default()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept() -> std::sync::Arc<net::ChainCheck> {
        std::sync::Arc::new(|_: &[Vec<u8>]| true)
    }

    #[test]
    fn embedded_fixtures_load() {
        assert_eq!(test_roots().certs.len(), 2);
        let client = probe_settings().client.as_ref().unwrap();
        assert!(!client.chain[0].is_empty());
        assert!(client_hello().starts_with(&[22, 3]));
    }

    /// In TLS 1.2 the Certificate and CertificateRequest arrive in the clear: a recorded
    /// flight reaches the capture, and the (unverifiable) key exchange signature fails after it.
    #[test]
    fn a_recorded_tls12_flight_reaches_the_capture() {
        let flight = include_bytes!("../fuzz/seeds/tls_server_bytes/tls12-ec-request");
        let probe = net::replay_server_flight(probe_settings(), flight, accept()).unwrap();
        assert_eq!(probe.served.len(), 2);
        assert_eq!(probe.tls.version, "TLSv1.2");
        assert!(probe.client_auth.requested);
        assert!(probe.handshake_error.is_some());
    }

    #[test]
    fn an_http_answer_is_not_tls() {
        let flight = include_bytes!("../fuzz/seeds/tls_server_bytes/http");
        let error = net::replay_server_flight(probe_settings(), flight, accept()).unwrap_err();
        assert!(matches!(error, net::NetError::NotTls { .. }), "{error}");
    }

    #[test]
    fn entry_points_survive_fixtures_and_junk() {
        let chain = include_bytes!("../fixtures/server/rsa-chain.pem");
        let roots = include_bytes!("../fixtures/roots/test-roots.pem");
        let mut both = chain.to_vec();
        both.extend_from_slice(CA_SEPARATOR);
        both.extend_from_slice(roots);
        for data in [
            &chain[..],
            &both,
            b"",
            b"\x16\x03\x03\x00\x01",
            b"-----BEGIN ",
        ] {
            input(data);
            verify_and_render(data);
            tls_server_bytes(data);
        }
    }
}
