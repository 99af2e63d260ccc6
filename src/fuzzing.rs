//! Entry points for the fuzz targets in `fuzz/`: each takes arbitrary bytes and runs a real
//! path of the tool end to end, in memory, at a fixed instant. Not part of the tool's
//! interface; the targets call only these, so that internals can move without breaking them.
//!
//! Every function must return normally for every input: a panic is a bug in the tool.

use std::sync::OnceLock;
use std::time::Duration;

use crate::chain::{self, Cert, Chain, KeyInfo};
use crate::doctor::config::{self as device_config, Overrides};
use crate::doctor::{stages, verdict};
use crate::fleet::{self, FleetIndex, FleetPolicy, Summary};
use crate::keys::PrivateKey;
use crate::net::{self, ClientIdentity, ProbeSettings, SigFilter, TlsVersions};
use crate::report::doctor::{self as doctor_view, DoctorReport, Provenance, SettingsView};
use crate::report::endpoint::{self as view, EndpointReport, EndpointView};
use crate::report::fleet::{self as fleet_view, SummaryView};
use crate::report::inspect::CsrView;
use crate::report::{human, json, CertView, ChainReport, VerifyChainJson, SCHEMA_VERSION};
use crate::source::{self, Kind, Object};
use crate::targets::{self, Options};
use crate::trust::{AnchorSource, Anchors};
use crate::verify::served::{self, Family, Served};
use crate::verify::{self, Crls, Policy};

/// The instant every verification runs at: 2026-06-01T00:00:00Z, inside the validity of the
/// generated fixtures (see `fixtures/README.md`).
pub const AT: i64 = 1_780_272_000;

/// The endpoint name verified and sent as SNI; the generated server fixtures carry it.
pub const HOST: &str = "example-ats.iot.eu-west-1.amazonaws.com";

/// In [`verify_and_render`]'s input, what follows the first occurrence of this line is the
/// CA file; without it the whole input is both the chain and the CA file.
pub const CA_SEPARATOR: &[u8] = b"\n--- ca file ---\n";

/// In [`config_and_lists`]'s configuration input, the line between two files.
pub const FILE_SEPARATOR: &[u8] = b"\n--- next file ---\n";

/// Reading an input file whole (`source::parse`), then every object in it the way `inspect`
/// and the key loading do: certificates into the model, private keys loaded by the crypto
/// library and matched against the file's certificates, public keys and CSRs described. Then
/// the same bytes as a `--crl` file (each CRL judged against the file's own certificates and
/// the test device CAs, the file's certificates looked up in it) and as one file of a
/// `fleet` (judged as a device certificate against the test device CAs and that CRL file,
/// indexed twice so that it repeats, reported as a line, a JSON element and a summary).
pub fn input(data: &[u8]) {
    file_as_pem(data);
    file_as_crl_and_fleet(data);
}

fn file_as_pem(data: &[u8]) {
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
                let _ = source::KeyFormat::of_der(&object.der);
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
                let _ = chain::Csr::from_der(&object.der).map(|csr| CsrView::of(&csr));
            }
            Kind::EncryptedPrivateKey | Kind::Crl | Kind::Other(_) => {}
        }
    }
}

/// `--crl FILE` and one file of `fleet` on the same bytes (see [`input`]).
fn file_as_crl_and_fleet(data: &[u8]) {
    human::set_color(false);
    let own = certificates("fuzz.pem", data).unwrap_or_default();
    let device_cas = device_cas();
    let issuers: Vec<&Cert> = own.iter().chain(&device_cas.certs).collect();
    let mut crls = Crls::none();
    crls.add_file("fuzz.crl", data, &issuers, AT);
    for crl in &crls.crls {
        let _ = (crl.issuer.len(), crl.this_update, crl.revoked);
    }
    for cert in &own {
        if let Some(revocation) = crls.revocation_of(cert) {
            let _ = revocation.words();
        }
    }
    let _ = crls.engine_lists(&own).len();

    let policy = FleetPolicy {
        anchors: device_cas,
        crls: &crls,
        at: AT,
        warn_days: crate::chain::DEFAULT_WARN_DAYS,
        thing_pattern: Some(thing_pattern()),
    };
    let mut file = fleet::judge_bytes("fuzz.pem".to_string(), data, &policy);
    let mut summary = Summary::new(crls.findings.clone(), 0);
    if let Some(keys) = file.index.clone() {
        let certificate = keys.certificate;
        let index = FleetIndex::build([(0, keys.clone()), (1, keys)]);
        let name = |_: u32| "fuzz.pem".to_string();
        file.add(index.findings(1, certificate, name));
    }
    summary.add(&file);
    let _ = fleet_view::file_line(&file);
    let _ = fleet_view::json_file(&file, true);
    let view = SummaryView::build(
        &summary,
        device_cas,
        &crls,
        AT,
        crate::chain::DEFAULT_WARN_DAYS,
    );
    let _ = fleet_view::render(&view);
    let _ = fleet_view::json_tail(&view);
    let _ = fleet_view::prometheus(&view);
}

/// Device configuration files or an `endpoint --targets` file, chosen by the first byte: even,
/// the rest is one to three configuration files separated by [`FILE_SEPARATOR`] lines, read
/// as `doctor --config` reads them (syntax, format recognised by content, the client's
/// reader, the flags' defaults and findings; no file looked for beside them) and the
/// settings and the `config` stage reported as doctor does (human text, JSON, Markdown); odd,
/// the rest is a targets file, each line resolved as `endpoint --targets FILE` resolves it
/// (with HTTPS_PROXY and NO_PROXY set).
pub fn config_and_lists(data: &[u8]) {
    match data.split_first() {
        Some((first, rest)) if first % 2 == 0 => device_configuration(rest),
        Some((_, rest)) => targets_file(rest),
        None => {}
    }
}

/// The home directory `~` stands for in [`config_and_lists`].
pub const HOME: &str = "/home/device";

fn device_configuration(data: &[u8]) {
    human::set_color(false);
    let files = configuration_files(data);
    let home = std::path::Path::new(HOME);
    let device = match device_config::resolve_bytes(&files, &Overrides::default(), Some(home)) {
        Ok(device) => device,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let config = stages::config::of(&device, 0.0);
    let all = vec![config];
    // The advice is chosen from the configuration's evidence alone, as a run whose network
    // stages did not get to run.
    let evidence = verdict::Evidence {
        endpoint: device.endpoint.as_ref().map(|e| e.value.clone()),
        client_id: device.client_id.as_ref().map(|c| c.value.clone()),
        at: AT,
        ..Default::default()
    };
    let (verdict, first_failure, advice) = verdict::verdict(&all, &evidence);
    let report = DoctorReport {
        schema_version: SCHEMA_VERSION,
        command: "doctor",
        verdict,
        first_failure,
        advice,
        settings: SettingsView::of(&device, None, 10.0, AT),
        stages: all,
        files: Vec::new(),
        network: Default::default(),
        duration_ms: 0.0,
        device_certificates: Vec::new(),
    };
    let _ = doctor_view::render(&report);
    let _ = json::to_line(&report);
    let provenance = Provenance {
        version: "0.0.0".to_string(),
        os: "linux".to_string(),
    };
    let _ = doctor_view::markdown(&report, &provenance);
}

/// One to three configuration files, named for messages, split at [`FILE_SEPARATOR`] lines
/// (the third file runs to the end).
fn configuration_files(data: &[u8]) -> Vec<(&'static str, &[u8])> {
    const NAMES: [&str; 3] = [
        "/etc/device/first.conf",
        "/etc/device/second.conf",
        "/etc/device/third.conf",
    ];
    let mut files: Vec<(&str, &[u8])> = Vec::new();
    let mut rest = data;
    while files.len() < NAMES.len() - 1 {
        let Some(at) = find(rest, FILE_SEPARATOR) else {
            break;
        };
        files.push((NAMES[files.len()], &rest[..at]));
        rest = &rest[at + FILE_SEPARATOR.len()..];
    }
    files.push((NAMES[files.len()], rest));
    files
}

fn targets_file(data: &[u8]) {
    let text = match source::text("targets.txt", data.to_vec()) {
        Ok(text) => text,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let given = match targets::in_file("targets.txt", &text) {
        Ok(given) => given,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    match targets::resolve_all(given, &target_options()) {
        Ok(addresses) => {
            let (addresses, _duplicates) = targets::without_duplicates(addresses);
            for address in addresses {
                let _ = targets::save_dir_name(&address.host, address.port);
                let _ = verify::classify(&address.host);
                let _ = (address.source, address.verified_name, address.sni);
                let _ = (address.alpn, address.proxy.map(|p| format!("{p:?}")));
            }
        }
        Err(error) => {
            let _ = error.to_string();
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
    // As `endpoint` does: the one engine judges the served chain as it arrives (the device
    // identity goes only to a server whose chain verified), then the capture.
    let handshake = served::handshake_with(test_roots(), &policy, false, |chain_ok| {
        net::replay_server_flight(settings, data, chain_ok)
    });
    let handshake = match handshake {
        Ok(handshake) => handshake,
        Err(error) => {
            let _ = (error.to_string(), error.phase());
            return;
        }
    };
    let served = Served::new(
        HOST,
        settings.sni.is_some(),
        vec![Family {
            sig: "any",
            outcome: Ok(handshake),
        }],
    );
    let endpoint = EndpointView {
        host: HOST.to_string(),
        port: settings.port,
        verified_name: HOST.to_string(),
        sni: settings.sni.clone(),
        alpn_offered: vec!["x-amzn-mqtt-ca".to_string()],
        classification: served.classification.clone(),
        source: view::EndpointSource::Given,
        saved: Vec::new(),
    };
    let report = EndpointReport::of(endpoint, &served, test_roots(), &policy, None);
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
            transport: Default::default(),
            https: None,
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

/// The options of `endpoint --targets targets.txt` in [`targets_file`]: the defaults, with
/// HTTPS_PROXY set and NO_PROXY naming `example.com`.
fn target_options() -> Options {
    Options {
        https_proxy: Some("http://user:secret@10.0.0.1:3128".to_string()),
        no_proxy_list: Some("localhost, .example.com".to_string()),
        ..Options::default()
    }
}

/// The generated test device CAs, which issue the device fixtures.
fn device_cas() -> &'static Anchors {
    static CAS: OnceLock<Anchors> = OnceLock::new();
    CAS.get_or_init(|| {
        let mut bundle = include_bytes!("../fixtures/device/device-ca.pem").to_vec();
        bundle.extend_from_slice(include_bytes!("../fixtures/device/other-device-ca.pem"));
        Anchors {
            certs: certificates("device-cas.pem", &bundle).unwrap_or_default(),
            source: AnchorSource::Files(vec!["device-cas.pem".to_string()]),
        }
    })
}

/// A `--thing-pattern` like a fleet's naming scheme.
fn thing_pattern() -> &'static regex::Regex {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    // A fixed, valid pattern: failing here is a bug worth a loud stop.
    PATTERN.get_or_init(|| fleet::thing_pattern("TestThing-[a-z0-9]+").expect("a valid pattern"))
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
            config_and_lists(data);
            for selector in [b'0', b'1'] {
                config_and_lists(&[&[selector], data].concat());
            }
        }
    }

    fn seed_settings(seed: &[u8]) -> Result<device_config::DeviceSettings, crate::error::Error> {
        assert_eq!(seed[0], b'0');
        let files = configuration_files(&seed[1..]);
        let home = std::path::Path::new(HOME);
        device_config::resolve_bytes(&files, &Overrides::default(), Some(home))
    }

    fn codes(settings: &device_config::DeviceSettings) -> Vec<crate::finding::Code> {
        settings.findings.iter().map(|f| f.code).collect()
    }

    /// The configuration seeds are the documented examples, and read as doctor reads them.
    #[test]
    fn configuration_seeds_read_as_doctor_reads_them() {
        use crate::doctor::config::Client;
        use crate::finding::Code;
        let device = seed_settings(include_bytes!(
            "../fuzz/seeds/config_and_lists/device-client-and-proxy"
        ))
        .unwrap();
        assert_eq!(device.client, Client::DeviceClient);
        assert_eq!(
            device.endpoint.unwrap().value,
            "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com"
        );
        assert_eq!(
            device.key.unwrap().path.value,
            std::path::Path::new("/home/device/certs/private.pem.key")
        );
        let proxy = device.proxy.unwrap().value;
        assert_eq!((proxy.host.as_str(), proxy.port), ("10.0.0.140", 9999));
        assert_eq!(device.config_files.len(), 2);
        assert!(
            device
                .findings
                .iter()
                .any(|f| f.code == Code::CaSystemStore),
            "{:?}",
            device.findings
        );

        let runtime = seed_settings(include_bytes!(
            "../fuzz/seeds/config_and_lists/device-client-proxy-runtime"
        ))
        .unwrap();
        assert_eq!(runtime.thing.unwrap().value, "pump-0042-provisioned");
        assert_eq!(
            runtime.cert.unwrap().path.value,
            std::path::Path::new("/home/device/certs/provisioned.pem.crt")
        );

        let element = seed_settings(include_bytes!(
            "../fuzz/seeds/config_and_lists/device-client-secure-element"
        ))
        .unwrap();
        assert!(element.key.is_none());
        assert!(codes(&element).contains(&Code::CredentialInToken));

        let template = seed_settings(include_bytes!(
            "../fuzz/seeds/config_and_lists/device-client-template"
        ))
        .unwrap_err()
        .to_string();
        assert!(template.contains("secure-element-slot-id"), "{template}");

        let greengrass =
            seed_settings(include_bytes!("../fuzz/seeds/config_and_lists/greengrass")).unwrap();
        assert_eq!(greengrass.client, Client::Greengrass);
        assert_eq!(greengrass.ports.value, [443]);
        // An https:// proxy: the probes go without it.
        assert!(greengrass.proxy.is_none());

        let variant = seed_settings(include_bytes!(
            "../fuzz/seeds/config_and_lists/greengrass-pkcs11-proxy"
        ))
        .unwrap();
        assert!(variant.cert.is_none());
        assert!(codes(&variant).contains(&Code::PortSplit));
        assert_eq!(variant.ports.value, [443, 8443]);
        let proxy = variant.proxy.unwrap().value;
        assert_eq!((proxy.host.as_str(), proxy.port), ("10.1.2.3", 3128));
        assert_eq!(proxy.username.as_deref(), Some("u@x"));

        let flow = seed_settings(include_bytes!(
            "../fuzz/seeds/config_and_lists/greengrass-flow"
        ))
        .unwrap();
        assert_eq!(
            flow.ca[0].path.value,
            std::path::Path::new("/home/device/gg/AmazonRootCA1.pem")
        );
        let aliases = seed_settings(include_bytes!(
            "../fuzz/seeds/config_and_lists/greengrass-aliases"
        ))
        .unwrap();
        assert_eq!(aliases.thing.unwrap().value, "core");
    }

    #[test]
    fn targets_seed_resolves_as_endpoint_targets_does() {
        let seed = include_bytes!("../fuzz/seeds/config_and_lists/targets");
        assert_eq!(seed[0] % 2, 1);
        let text = source::text("targets.txt", seed[1..].to_vec()).unwrap();
        let given = targets::in_file("targets.txt", &text).unwrap();
        let (addresses, duplicates) =
            targets::without_duplicates(targets::resolve_all(given, &target_options()).unwrap());
        assert_eq!(duplicates, 1);
        let hosts: Vec<(&str, u16, bool)> = addresses
            .iter()
            .map(|a| (a.host.as_str(), a.port, a.proxy.is_some()))
            .collect();
        assert_eq!(
            hosts,
            [
                ("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com", 8443, true),
                ("a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com", 8883, true),
                ("::1", 8443, true),
                ("127.0.0.1", 443, true),
                ("broker.example.com", 443, false),
            ]
        );
        let two = include_bytes!("../fuzz/seeds/config_and_lists/targets-two-words");
        let text = source::text("targets.txt", two[1..].to_vec()).unwrap();
        let error = targets::in_file("targets.txt", &text).unwrap_err();
        assert!(error.to_string().starts_with("targets.txt:1: "), "{error}");
    }

    /// Inputs that once hung or crashed a target, replayed: each returns.
    #[test]
    fn regressions_return_quickly() {
        // 60 noProxyAddresses entries `\w{500}`: a minute of Unicode regex compiling.
        let data = include_bytes!("../fuzz/regressions/config_and_lists/no-proxy-expressions");
        let started = std::time::Instant::now();
        config_and_lists(data);
        let elapsed = started.elapsed();
        // A hang bound, not a speed check: the input once took over a minute; the margin
        // leaves room for a loaded machine.
        assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    }

    /// The CRL seed revokes the device fixture: the lookup and the fleet's judgement see it.
    #[test]
    fn crl_seed_revokes_the_device_fixture() {
        use crate::finding::Code;
        let data = include_bytes!("../fuzz/seeds/input/device-and-crl.pem");
        let own = certificates("fuzz.pem", data).unwrap();
        let issuers: Vec<&Cert> = own.iter().chain(&device_cas().certs).collect();
        let mut crls = Crls::none();
        crls.add_file("fuzz.crl", data, &issuers, AT);
        assert!(crls.findings.is_empty(), "{:?}", crls.findings);
        let revocation = crls.revocation_of(&own[0]).unwrap();
        assert_eq!(revocation.reason, Some("keyCompromise"));
        let policy = FleetPolicy {
            anchors: device_cas(),
            crls: &crls,
            at: AT,
            warn_days: crate::chain::DEFAULT_WARN_DAYS,
            thing_pattern: Some(thing_pattern()),
        };
        let file = fleet::judge_bytes("fuzz.pem".to_string(), data, &policy);
        let found: Vec<Code> = file.findings.iter().map(|f| f.code).collect();
        assert!(found.contains(&Code::Revoked), "{found:?}");
        for seed in [
            &include_bytes!("../fuzz/seeds/input/crl-expired.pem")[..],
            include_bytes!("../fuzz/seeds/input/crl-other-ca.pem"),
            include_bytes!("../fuzz/seeds/input/crl.der"),
        ] {
            input(seed);
        }
    }
}
