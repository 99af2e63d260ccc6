//! `iotcheck doctor`: from the device's own settings to the first failing stage. Load the
//! settings (`doctor::config`), look at the files, lint the credentials (`verify::device`),
//! probe every port as the device would (`net`, verified with the chain verifier), ask the
//! account (`aws`, `verify::account`) meanwhile, judge each stage (`doctor::stages`), report.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::Outcome;
use crate::aws::{self, AwsSettings};
use crate::chain::Cert;
use crate::cmd::endpoint::{load_identity, probe_judged};
use crate::doctor::config::{self, Client, DeviceSettings, Overrides};
use crate::doctor::stages::{
    self, Evidence, FileFacts, FileRole, Gathered, NoTls, PortEvidence, ServedValidity, Stage,
    StageId, TcpState,
};
use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::net::{
    self, ClientIdentity, MqttOutcome, MqttSettings, NetError, Probe, ProbeSettings, SigFilter,
    TlsVersions,
};
use crate::output::{Placement, Target};
use crate::report::doctor::{
    self as view, DoctorReport, NetworkView, PortHandshake, PortView, Provenance, SettingsView,
    TcpView,
};
use crate::report::endpoint::{HandshakeError, HandshakeReport};
use crate::report::{json, ChainReport};
use crate::source::{self, Input, Loaded};
use crate::trust::{Anchors, KnownRoot, LEGACY_VERISIGN};
use crate::verify::account::{judge as judge_account, Questions};
use crate::verify::crl::Crls;
use crate::verify::device::{lint, DeviceInput, KeyMode};
use crate::verify::{classify, connection_findings, Connection, Policy};

/// Everything `doctor` needs, resolved.
pub struct Settings {
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
    /// Resolves `~` in the configuration's paths.
    pub home: Option<PathBuf>,
    /// `--connect`: dial this address (optionally with a port, when one port is checked).
    pub connect: Option<String>,
    /// One deadline for each port's probe as a whole: resolve, connect, handshakes, MQTT.
    pub timeout: Duration,
    pub at: i64,
    /// The expires_soon window, in days.
    pub warn_days: u32,
    /// Ask AWS about the certificate (off with `--no-account`).
    pub account: bool,
    pub report: Option<PathBuf>,
    pub force: bool,
    pub json: bool,
    /// Tool version and OS, for the Markdown report.
    pub provenance: Provenance,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let started = Instant::now();
    // The report's file is checked before anything runs, so that a run is never lost to it.
    if let Some(path) = &settings.report {
        report_target(path, settings.force).check()?;
    }
    let clock = Instant::now();
    let device = config::resolve(
        settings.config.as_deref(),
        &settings.overrides,
        settings.home.as_deref(),
    )?;
    let config_stage = stages::config_stage(&device, millis(clock));

    let clock = Instant::now();
    let files = file_facts(&device);
    let files_stage = stages::files_stage(&files, millis(clock));

    let clock = Instant::now();
    let credentials = credentials(&device, &files, settings.at, settings.warn_days);
    let credentials_stage = Stage {
        duration_ms: round(millis(clock)),
        ..credentials.stage.clone()
    };

    let clock = Instant::now();
    let trust = anchors(&device, &files, settings.at);
    let trust_offline_ms = millis(clock);

    let client_id = device
        .client_id
        .as_ref()
        .map(|c| c.value.clone())
        .or_else(|| {
            credentials
                .device
                .as_ref()
                .and_then(|d| d.subject_cn.clone())
        });
    let endpoint = device.endpoint.as_ref().map(|e| e.value.clone());
    let policy = Policy {
        at: settings.at,
        host: endpoint.clone(),
        device_not_before: credentials.device.as_ref().map(|d| d.not_before),
        warn_days: settings.warn_days,
    };

    // The account is asked while the network stages run.
    let (network, account_stage) = std::thread::scope(|scope| {
        let account = scope.spawn(|| {
            account_stage(
                settings,
                &device,
                &credentials,
                &files_stage,
                client_id.as_deref(),
            )
        });
        let network = match &endpoint {
            Some(name) => Some(network(
                settings,
                &device,
                name,
                &trust.anchors,
                &policy,
                credentials.identity.as_ref(),
                client_id.as_deref(),
            )),
            None => None,
        };
        let account = account.join().unwrap_or_else(|_| {
            Stage::skipped(StageId::Account, "the account check stopped unexpectedly")
        });
        (network, account)
    });

    let mut all = vec![config_stage, files_stage, credentials_stage];
    let network_stages = match &network {
        Some(network) => network_stages(network, &trust, trust_offline_ms, &credentials, settings),
        None => {
            let mut stages = vec![trust_offline_stage(&trust, trust_offline_ms)];
            stages.push(match stages::clock_stage(settings.at, &[], 0.0) {
                Some(stage) => stage,
                None => Stage::blocked(
                    StageId::Clock,
                    StageId::Config,
                    "no endpoint to take the time from",
                ),
            });
            for id in [
                StageId::Dns,
                StageId::Tcp,
                StageId::Tls,
                StageId::ClientAuth,
                StageId::Mqtt,
            ] {
                stages.push(Stage::blocked(id, StageId::Config, "no endpoint is named"));
            }
            stages
        }
    };
    all.extend(network_stages);
    all.push(account_stage);

    let evidence = evidence(
        &device,
        &files,
        &trust,
        &credentials,
        network.as_ref(),
        client_id,
        settings.at,
    );
    let (verdict, first_failure, advice) = stages::verdict(&all, &evidence);
    let report = DoctorReport {
        schema_version: crate::report::SCHEMA_VERSION,
        command: "doctor",
        verdict,
        first_failure,
        advice,
        settings: SettingsView::of(
            &device,
            settings.connect.as_deref(),
            settings.timeout.as_secs_f64(),
            settings.at,
        ),
        stages: all,
        files,
        network: network.map(|n| n.view).unwrap_or_default(),
        duration_ms: round(millis(started)),
        device_certificates: credentials.certificates.clone(),
    };
    if let Some(path) = &settings.report {
        report_target(path, settings.force)
            .write(view::markdown(&report, &settings.provenance).as_bytes())?;
    }
    let stdout = if settings.json {
        json::to_line(&report)
    } else {
        view::render(&report)
    };
    Ok(Outcome::new(stdout, report.passed()))
}

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

// ------------------------------------------------------------------------------------------
// files

/// Each file the settings name, as the file system shows it to this user.
fn file_facts(device: &DeviceSettings) -> Vec<FileFacts> {
    let named = device
        .cert
        .iter()
        .map(|f| (FileRole::Certificate, f))
        .chain(device.key.iter().map(|f| (FileRole::Key, f)))
        .chain(device.ca.iter().map(|f| (FileRole::RootCa, f)))
        .chain(device.config_files.iter().map(|f| (FileRole::Config, f)));
    named
        .map(|(role, file)| {
            let mut facts = FileFacts::new(role, file);
            let path = &file.path.value;
            match std::fs::metadata(path) {
                Err(e) => facts.problem = Some(io_words(&e)),
                Ok(meta) if !meta.is_file() => {
                    let what = if meta.is_dir() {
                        "a directory"
                    } else {
                        source::special_file_kind(&meta.file_type())
                    };
                    facts.problem = Some(format!("is {what}, not a regular file"))
                }
                Ok(meta) => {
                    facts.mode = mode_of(&meta);
                    if let Err(e) = std::fs::File::open(path) {
                        facts.problem = Some(io_words(&e));
                    }
                }
            }
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            facts.dir_mode = std::fs::metadata(dir).ok().and_then(|m| mode_of(&m));
            facts
        })
        .collect()
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_string(),
        std::io::ErrorKind::PermissionDenied => {
            "cannot be read by this user (permission denied): run doctor as the device's user"
                .to_string()
        }
        _ => format!("cannot be read ({e})"),
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(meta.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

fn file_unusable(files: &[FileFacts], role: FileRole) -> bool {
    files.iter().any(|f| f.role == role && f.problem.is_some())
}

// ------------------------------------------------------------------------------------------
// credentials

/// The `credentials` stage and what it loaded for the later ones.
struct Credentials {
    stage: Stage,
    /// The device certificate, when the certificate file held one.
    device: Option<Cert>,
    /// The certificate file's certificates (DER), for the support report.
    certificates: Vec<Vec<u8>>,
    /// The identity the device presents; None when the pair cannot be used.
    identity: Option<ClientIdentity>,
}

fn credentials(
    device: &DeviceSettings,
    files: &[FileFacts],
    at: i64,
    warn_days: u32,
) -> Credentials {
    let blocked = |stage| Credentials {
        stage,
        device: None,
        certificates: Vec::new(),
        identity: None,
    };
    if device
        .findings
        .iter()
        .any(|f| f.code == Code::CredentialInToken)
    {
        return blocked(Stage::skipped(
            StageId::Credentials,
            "the key or certificate is in a PKCS#11 token: doctor cannot read it, nor present it",
        ));
    }
    let (Some(cert), Some(key)) = (&device.cert, &device.key) else {
        return blocked(Stage::blocked(
            StageId::Credentials,
            StageId::Config,
            "no device certificate or key is named",
        ));
    };
    if file_unusable(files, FileRole::Certificate) || file_unusable(files, FileRole::Key) {
        return blocked(Stage::blocked(
            StageId::Credentials,
            StageId::Files,
            "the device certificate or key cannot be read",
        ));
    }
    let cert_input = Input::Path(cert.path.value.clone());
    let key_input = Input::Path(key.path.value.clone());
    let read = |input: &Input, what: &str, code: Code| -> Result<Loaded, Finding> {
        source::read_expecting(input, what)
            .map_err(|e| Finding::new(code, e.to_string()).on_file(&input.name()))
    };
    let (cert_file, key_file) = match (
        read(
            &cert_input,
            "a device certificate",
            Code::CertFileNotCertificate,
        ),
        read(&key_input, "a private key", Code::KeyFileNotKey),
    ) {
        (Ok(c), Ok(k)) => (c, k),
        (c, k) => {
            let findings = [c.err(), k.err()].into_iter().flatten().collect();
            return blocked(Stage::judged(StageId::Credentials, findings, 0.0));
        }
    };
    let key_mode = files
        .iter()
        .find(|f| f.role == FileRole::Key)
        .and_then(|f| f.mode)
        .map_or(KeyMode::Unknown, KeyMode::File);
    let judgement = lint(&DeviceInput {
        cert_file: &cert_file,
        key_file: &key_file,
        key_mode,
        anchors: None,
        thing: device.thing.as_ref().map(|t| t.value.as_str()),
        at,
        warn_days,
        crls: &Crls::none(),
    });
    let certificates = cert_file
        .of_kind(&source::Kind::Certificate)
        .map(|o| o.der.clone())
        .collect();
    match judgement {
        Err(e) => blocked(Stage::judged(
            StageId::Credentials,
            vec![Finding::new(Code::CertFileNotCertificate, e.to_string())
                .on_file(&cert_input.name())],
            0.0,
        )),
        Ok(judgement) => {
            let findings: Vec<Finding> = judgement
                .findings
                .into_iter()
                .filter(|f| !stages::owned_by_files_stage(f.code))
                .collect();
            let stage = Stage::judged(StageId::Credentials, findings, 0.0);
            let identity = if stage.failed() {
                None
            } else {
                load_identity(&cert_input, &key_input)
                    .ok()
                    .map(|(id, _)| id)
            };
            Credentials {
                stage,
                device: judgement.chain.map(|c| c.leaf().clone()),
                certificates,
                identity,
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// trust, offline

/// The anchors the served chains are verified against, and what the CA file alone shows.
struct Trust {
    anchors: Anchors,
    /// Set when the CA file cannot be used at all: the stage cannot run.
    blocked: Option<Stage>,
    findings: Vec<Finding>,
}

fn anchors(device: &DeviceSettings, files: &[FileFacts], at: i64) -> Trust {
    if device.ca.is_empty() {
        return Trust {
            anchors: Anchors::embedded(),
            blocked: None,
            findings: vec![Finding::new(
                Code::CaNotGiven,
                "no root CA file is named: the served chains are verified against the embedded Amazon roots; the device's TLS stack decides what it trusts",
            )],
        };
    }
    let empty = Anchors {
        certs: Vec::new(),
        source: crate::trust::AnchorSource::Files(
            device
                .ca
                .iter()
                .map(|f| f.path.value.display().to_string())
                .collect(),
        ),
    };
    if file_unusable(files, FileRole::RootCa) {
        return Trust {
            anchors: empty,
            blocked: Some(Stage::blocked(
                StageId::Trust,
                StageId::Files,
                "the root CA file cannot be read",
            )),
            findings: Vec::new(),
        };
    }
    let inputs: Vec<Input> = device
        .ca
        .iter()
        .map(|f| Input::Path(f.path.value.clone()))
        .collect();
    let anchors = match Anchors::from_files(&inputs) {
        Ok(anchors) => anchors,
        Err(e) => {
            return Trust {
                anchors: empty,
                blocked: None,
                findings: vec![Finding::new(Code::NoAnchors, e.to_string()).on_file(&e.file)],
            }
        }
    };
    let mut findings = Vec::new();
    for cert in &anchors.certs {
        let name = cert.display_name();
        if !cert.is_valid_at(at) && at > cert.not_after {
            findings.push(Finding::new(
                Code::Expired,
                format!(
                    "the root CA file holds {name}, expired on {}: remove it and add the root the endpoint needs",
                    crate::when::rfc3339(cert.not_after)
                ),
            ));
        } else if cert.not_after - at < 30 * 86_400 && cert.not_after > at {
            findings.push(Finding::new(
                Code::ExpiresSoon,
                format!(
                    "the root CA file holds {name}, which expires on {}: add its successor now",
                    crate::when::rfc3339(cert.not_after)
                ),
            ));
        }
        if KnownRoot::find(cert).is_some_and(|k| k.file == LEGACY_VERISIGN) {
            findings.push(Finding::new(
                Code::LegacyRoot,
                "the root CA file holds the VeriSign Class 3 G5 root of the retired iot:Data endpoints; ATS endpoints need Amazon Root CA 1 (RSA) and 3 (ECC)",
            ));
        }
    }
    Trust {
        anchors,
        blocked: None,
        findings,
    }
}

fn trust_offline_stage(trust: &Trust, ms: f64) -> Stage {
    match &trust.blocked {
        Some(stage) => stage.clone(),
        None => Stage::judged(StageId::Trust, trust.findings.clone(), ms),
    }
}

// ------------------------------------------------------------------------------------------
// the network

/// What the network showed: the resolution, and each port's probes.
struct Network {
    /// Ok(addresses); None when the probes went through a proxy.
    resolved: Option<Result<Vec<SocketAddr>, NetError>>,
    resolve_ms: f64,
    ports: Vec<PortRun>,
    view: NetworkView,
}

struct PortRun {
    port: u16,
    mqtt: bool,
    /// None: not tried (the name did not resolve) or through a proxy.
    tcp: Option<Result<SocketAddr, NetError>>,
    tcp_ms: f64,
    rsa: Option<Handshake>,
    ecdsa: Option<Handshake>,
    /// As the device connects: its identity, then MQTT on an MQTT port.
    device: Option<Handshake>,
}

struct Handshake {
    result: Result<(Probe, ChainReport), NetError>,
    ms: f64,
}

/// 443 carries MQTT with ALPN x-amzn-mqtt-ca, 8443 HTTPS; any other port (8883, or a local
/// port a test maps) MQTT without ALPN.
fn port_protocol(port: u16) -> (&'static str, Vec<Vec<u8>>) {
    match port {
        443 => ("mqtt", vec![b"x-amzn-mqtt-ca".to_vec()]),
        8443 => ("https", Vec::new()),
        _ => ("mqtt", Vec::new()),
    }
}

#[allow(clippy::too_many_arguments)]
fn network(
    settings: &Settings,
    device: &DeviceSettings,
    name: &str,
    anchors: &Anchors,
    policy: &Policy,
    identity: Option<&ClientIdentity>,
    client_id: Option<&str>,
) -> Network {
    let ports = device.ports.value.clone();
    let proxy = device.proxy.as_ref().map(|p| net::Proxy {
        host: p.value.host.clone(),
        port: p.value.port,
        credentials: p
            .value
            .username
            .clone()
            .map(|u| (u, p.value.password.clone().unwrap_or_default())),
    });
    let (dial_host, dial_port) = match &settings.connect {
        Some(text) => match net::split_host_port(text) {
            Ok((host, port)) => (host, port),
            Err(_) => (text.clone(), None),
        },
        None => (name.to_string(), None),
    };
    let sni = name
        .parse::<std::net::IpAddr>()
        .is_err()
        .then(|| name.to_string());

    // One deadline bounds each port's whole probe, the shared lookup included: a slow lookup
    // followed by a silent port ends by `--timeout`, not after a timeout per phase.
    let clock = Instant::now();
    let deadline = clock + settings.timeout;
    let resolved = match &proxy {
        Some(_) => None,
        None => Some(net::resolve(
            &dial_host,
            dial_port.or(ports.first().copied()).unwrap_or(8883),
            settings.timeout,
            deadline,
        )),
    };
    let resolve_ms = millis(clock);

    // MQTT CONNECT goes out on one port at a time: AWS IoT drops an earlier connection of the
    // same client id when another one connects. The handshakes before it run at once.
    let mqtt_turn = net::MqttTurn::default();
    let runs: Vec<PortRun> = std::thread::scope(|scope| {
        let handles: Vec<_> = ports
            .iter()
            .map(|&port| {
                let (resolved, proxy, sni, mqtt_turn) = (&resolved, &proxy, &sni, &mqtt_turn);
                scope.spawn(move || {
                    let (protocol, alpn) = port_protocol(port);
                    let base = ProbeSettings {
                        host: name.to_string(),
                        port,
                        connect_to: None,
                        sni: sni.clone(),
                        alpn,
                        timeout: settings.timeout,
                        deadline: Some(deadline),
                        proxy: proxy.clone(),
                        versions: TlsVersions::Both,
                        sig: SigFilter::Any,
                        client: None,
                        mqtt: None,
                        mqtt_turn: Some(mqtt_turn.clone()),
                    };
                    port_run(
                        base,
                        protocol == "mqtt",
                        resolved.as_ref(),
                        dial_port,
                        proxy.as_ref().map(|_| dial_host_for_proxy(settings, port)),
                        anchors,
                        policy,
                        identity,
                        client_id,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&ports)
            .map(|(h, &port)| {
                // A probe never panics on input; if one did, its port shows nothing.
                h.join().unwrap_or(PortRun {
                    port,
                    mqtt: false,
                    tcp: None,
                    tcp_ms: 0.0,
                    rsa: None,
                    ecdsa: None,
                    device: None,
                })
            })
            .collect()
    });

    let view = NetworkView {
        name: Some(name.to_string()),
        dial: Some(dial_host.clone()),
        proxy: proxy.as_ref().map(|p| format!("{}:{}", p.host, p.port)),
        addresses: match &resolved {
            Some(Ok(addresses)) => addresses.iter().map(|a| a.ip().to_string()).collect(),
            _ => Vec::new(),
        },
        ports: runs.iter().map(|run| port_view(run, client_id)).collect(),
    };
    Network {
        resolved,
        resolve_ms,
        ports: runs,
        view,
    }
}

/// With a proxy, the probe asks it for `--connect` (when given) on the port, else the endpoint.
fn dial_host_for_proxy(settings: &Settings, port: u16) -> Option<String> {
    settings
        .connect
        .as_ref()
        .map(|c| match net::split_host_port(c) {
            Ok((host, Some(p))) => authority(&host, p),
            Ok((host, None)) => authority(&host, port),
            Err(_) => c.clone(),
        })
}

fn authority(host: &str, port: u16) -> String {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One port: TCP, then the three handshakes at once.
#[allow(clippy::too_many_arguments)]
fn port_run(
    base: ProbeSettings,
    mqtt_port: bool,
    resolved: Option<&Result<Vec<SocketAddr>, NetError>>,
    dial_port: Option<u16>,
    proxy_target: Option<Option<String>>,
    anchors: &Anchors,
    policy: &Policy,
    identity: Option<&ClientIdentity>,
    client_id: Option<&str>,
) -> PortRun {
    let port = base.port;
    let mut run = PortRun {
        port,
        mqtt: mqtt_port,
        tcp: None,
        tcp_ms: 0.0,
        rsa: None,
        ecdsa: None,
        device: None,
    };
    let connect_to = match (resolved, proxy_target) {
        (_, Some(target)) => target,
        (Some(Ok(addresses)), None) => {
            let port = dial_port.unwrap_or(port);
            let addresses: Vec<SocketAddr> = addresses
                .iter()
                .map(|a| SocketAddr::new(a.ip(), port))
                .collect();
            let clock = Instant::now();
            let deadline = base.deadline.unwrap_or_else(|| clock + base.timeout);
            let tcp = net::connect(&addresses, base.timeout, deadline);
            run.tcp_ms = millis(clock);
            let accepted = tcp.as_ref().ok().copied();
            run.tcp = Some(tcp);
            match accepted {
                // The probes dial the address that accepted: no second lookup.
                Some(address) => Some(address.to_string()),
                None => return run,
            }
        }
        (Some(Err(_)) | None, None) => return run,
    };
    let probe = |sig: SigFilter, device: bool| {
        let mut settings = ProbeSettings {
            connect_to: connect_to.clone(),
            sig,
            ..base.clone()
        };
        if device {
            settings.client = identity.cloned();
            settings.mqtt = match (mqtt_port, client_id) {
                (true, Some(id)) => Some(MqttSettings {
                    client_id: id.to_string(),
                    keep_alive_secs: 30,
                }),
                _ => None,
            };
        }
        let clock = Instant::now();
        let result = probe_judged(&settings, anchors, policy, false);
        Handshake {
            result,
            ms: millis(clock),
        }
    };
    std::thread::scope(|scope| {
        let rsa = scope.spawn(|| probe(SigFilter::Rsa, false));
        let ecdsa = scope.spawn(|| probe(SigFilter::Ecdsa, false));
        let device = identity.map(|_| scope.spawn(|| probe(SigFilter::Any, true)));
        run.rsa = rsa.join().ok();
        run.ecdsa = ecdsa.join().ok();
        run.device = device.and_then(|d| d.join().ok());
    });
    run
}

fn port_view(run: &PortRun, client_id: Option<&str>) -> PortView {
    let (protocol, alpn) = port_protocol(run.port);
    let tcp = run.tcp.as_ref().map(|tcp| TcpView {
        open: tcp.is_ok(),
        address: tcp.as_ref().ok().map(SocketAddr::to_string),
        error: tcp.as_ref().err().map(NetError::to_string),
        millis: round(run.tcp_ms),
    });
    let handshakes = [
        ("rsa", &run.rsa),
        ("ecdsa", &run.ecdsa),
        ("device", &run.device),
    ]
    .into_iter()
    .filter_map(|(sig, h)| {
        let h = h.as_ref()?;
        Some(match &h.result {
            Ok((probe, chain)) => {
                let findings = connection_findings(&Connection {
                    probe,
                    chain_verified: chain.is_valid(),
                    served_bytes: chain.total_bytes,
                    insecure: false,
                });
                let id = (sig == "device").then_some(client_id).flatten();
                PortHandshake::Done(Box::new(HandshakeReport::new(
                    sig,
                    chain.clone(),
                    probe,
                    id,
                    findings,
                )))
            }
            Err(e) => PortHandshake::Failed {
                sig: sig.to_string(),
                error: HandshakeError {
                    phase: e.phase(),
                    message: e.to_string(),
                },
            },
        })
    })
    .collect();
    PortView {
        port: run.port,
        protocol,
        alpn_offered: alpn
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        tcp,
        handshakes,
    }
}

// ------------------------------------------------------------------------------------------
// the network stages

/// trust, clock, dns, tcp, tls, client_auth and mqtt, from what the network showed.
fn network_stages(
    network: &Network,
    trust: &Trust,
    trust_offline_ms: f64,
    credentials: &Credentials,
    settings: &Settings,
) -> Vec<Stage> {
    // dns
    let dns = match &network.resolved {
        None => Stage::skipped(
            StageId::Dns,
            "the device connects through an HTTP proxy: the proxy resolves the endpoint",
        ),
        Some(Ok(_)) => Stage::judged(StageId::Dns, Vec::new(), network.resolve_ms),
        Some(Err(e)) => Stage::judged(
            StageId::Dns,
            vec![stages::dns_finding(
                network.view.dial.as_deref().unwrap_or(""),
                e,
            )],
            network.resolve_ms,
        ),
    };

    // tcp
    let tcp = if dns.failed() {
        Stage::blocked(StageId::Tcp, StageId::Dns, "the name did not resolve")
    } else if network.resolved.is_none() {
        Stage::skipped(
            StageId::Tcp,
            "the device connects through an HTTP proxy: the tls stage's probes go through it",
        )
    } else {
        let findings = network
            .ports
            .iter()
            .filter_map(|run| match &run.tcp {
                Some(Err(e)) => Some(stages::tcp_finding(run.port, e)),
                _ => None,
            })
            .collect();
        let ms = network.ports.iter().map(|r| r.tcp_ms).fold(0.0, f64::max);
        Stage::judged(StageId::Tcp, findings, ms)
    };
    let reached: Vec<&PortRun> = network
        .ports
        .iter()
        .filter(|r| r.rsa.is_some() || r.ecdsa.is_some())
        .collect();

    // tls and the served chains' trust findings
    let mut tls_findings = Gathered::default();
    let mut trust_findings = Gathered::default();
    let mut served = Vec::new();
    let mut tls_ms: f64 = 0.0;
    for run in &reached {
        let label = format!("port {}", run.port);
        let families = [&run.rsa, &run.ecdsa];
        let outcomes: Vec<&Handshake> = families.iter().filter_map(|h| h.as_ref()).collect();
        tls_ms = outcomes.iter().map(|h| h.ms).fold(tls_ms, f64::max);
        if outcomes.iter().all(|h| h.result.is_err()) {
            if let Some(Err(e)) = outcomes.first().map(|h| &h.result) {
                tls_findings.add(stages::no_tls_finding(run.port, e), "");
            }
            continue;
        }
        let all = families.into_iter().chain([&run.device]).flatten();
        for h in all {
            let Ok((probe, chain)) = &h.result else {
                continue;
            };
            for f in &chain.findings {
                if stages::is_trust_finding(f.code, &chain.findings) {
                    trust_findings.add(f.clone(), "");
                } else {
                    tls_findings.add(f.clone(), &label);
                }
            }
            if let Some(leaf) = probe
                .served
                .first()
                .and_then(|der| Cert::from_der(der, "served").ok())
            {
                served.push(ServedValidity {
                    label: label.clone(),
                    subject: leaf.display_name().to_string(),
                    not_before: leaf.not_before,
                    not_after: leaf.not_after,
                });
            }
            let without_identity = probe.client_auth.requested && !probe.client_auth.sent;
            for f in connection_findings(&Connection {
                probe,
                chain_verified: chain.is_valid(),
                served_bytes: chain.total_bytes,
                insecure: false,
            }) {
                let tls_level = match f.code {
                    Code::LargeChain => true,
                    // Without the device's certificate a server that requires one ends the
                    // handshake: that is the client_auth stage's question, asked there.
                    Code::HandshakeFailed => !without_identity && !probe.client_auth.requested,
                    _ => false,
                };
                if tls_level {
                    tls_findings.add(f, &label);
                }
            }
        }
    }
    let network_blocker = if dns.failed() {
        Some(StageId::Dns)
    } else if reached.is_empty() && network.resolved.is_some() {
        Some(StageId::Tcp)
    } else {
        None
    };
    let tls = match network_blocker {
        Some(blocker) => Stage::blocked(StageId::Tls, blocker, "no port accepted a TCP connection"),
        None => Stage::judged(StageId::Tls, tls_findings.findings(false), tls_ms),
    };

    let trust_stage = match &trust.blocked {
        Some(stage) => stage.clone(),
        None => {
            let mut findings = trust.findings.clone();
            findings.extend(trust_findings.findings(true));
            Stage::judged(StageId::Trust, findings, trust_offline_ms)
        }
    };

    let clock = match stages::clock_stage(settings.at, &served, 0.0) {
        Some(stage) => stage,
        None => Stage::blocked(
            StageId::Clock,
            network_blocker.unwrap_or(StageId::Tls),
            "no certificate was served to compare the clock with",
        ),
    };

    // Why the device's identity was not sent over a port: the chain did not verify.
    let chain_blocker = if trust_stage.failed() {
        StageId::Trust
    } else if clock.failed() {
        StageId::Clock
    } else {
        StageId::Tls
    };
    let (client_auth, mqtt) =
        identity_stages(&reached, network_blocker, chain_blocker, credentials);
    vec![trust_stage, clock, dns, tcp, tls, client_auth, mqtt]
}

/// client_auth and mqtt, from the device's handshakes.
fn identity_stages(
    reached: &[&PortRun],
    network_blocker: Option<StageId>,
    chain_blocker: StageId,
    credentials: &Credentials,
) -> (Stage, Stage) {
    if let Some(blocker) = network_blocker {
        let reason = "no port accepted a TCP connection";
        return (
            Stage::blocked(StageId::ClientAuth, blocker, reason),
            Stage::blocked(StageId::Mqtt, blocker, reason),
        );
    }
    if credentials.identity.is_none() {
        let earlier = credentials.stage.depends_on.unwrap_or(StageId::Credentials);
        let reason = "no usable device certificate and key to present";
        return (
            Stage::blocked(StageId::ClientAuth, earlier, reason),
            Stage::blocked(StageId::Mqtt, earlier, reason),
        );
    }
    let mut auth = Gathered::default();
    let mut mqtt = Gathered::default();
    let (mut auth_ran, mut mqtt_ran, mut mqtt_ports) = (false, false, false);
    let mut mqtt_blocker = None;
    let (mut auth_ms, mut mqtt_ms): (f64, f64) = (0.0, 0.0);
    for run in reached {
        mqtt_ports |= run.mqtt;
        let Some(device) = &run.device else {
            continue;
        };
        let label = format!("port {}", run.port);
        let (probe, chain) = match &device.result {
            Ok(done) => done,
            Err(e) => {
                auth_ran = true;
                auth.add(stages::no_tls_finding(run.port, e), "");
                continue;
            }
        };
        if !chain.is_valid() || probe.client_auth.withheld {
            mqtt_blocker.get_or_insert(chain_blocker);
            continue;
        }
        auth_ran = true;
        let t = &probe.timings;
        auth_ms = auth_ms.max(t.handshake + t.post_handshake.unwrap_or(0.0));
        let findings = connection_findings(&Connection {
            probe,
            chain_verified: true,
            served_bytes: chain.total_bytes,
            insecure: false,
        });
        let mut rejected = false;
        for f in findings {
            match f.code {
                Code::ClientCertRejected | Code::ClientCertNotSent | Code::HandshakeFailed => {
                    rejected |= f.is_error();
                    auth.add(f, &label);
                }
                // MQTT is the next stage's; the chain's size is the tls stage's.
                _ => {}
            }
        }
        match &probe.mqtt {
            None => {}
            Some(MqttOutcome::NotSent { .. }) if rejected => {
                mqtt_blocker.get_or_insert(StageId::ClientAuth);
            }
            Some(MqttOutcome::NotSent { reason }) => {
                mqtt_ran = true;
                auth.add(
                    Finding::new(
                        Code::MqttNotSent,
                        format!("MQTT CONNECT was not sent: {reason}"),
                    ),
                    &label,
                );
            }
            Some(_) => {
                mqtt_ran = true;
                mqtt_ms = mqtt_ms.max(probe.timings.mqtt.unwrap_or(0.0));
                for f in connection_findings(&Connection {
                    probe,
                    chain_verified: true,
                    served_bytes: chain.total_bytes,
                    insecure: false,
                }) {
                    if matches!(
                        f.code,
                        Code::MqttRefused
                            | Code::MqttClosed
                            | Code::MqttTimeout
                            | Code::MqttUnexpected
                    ) {
                        mqtt.add(f, &label);
                    }
                }
            }
        }
    }
    let client_auth = if auth_ran {
        Stage::judged(StageId::ClientAuth, auth.findings(false), auth_ms)
    } else {
        Stage::blocked(
            StageId::ClientAuth,
            chain_blocker,
            "the served chain did not verify, so the device certificate was not sent (as a device does not send it)",
        )
    };
    let mqtt = if mqtt_ran {
        Stage::judged(StageId::Mqtt, mqtt.findings(false), mqtt_ms)
    } else if !mqtt_ports {
        Stage::skipped(
            StageId::Mqtt,
            "no MQTT port among the ports checked (8443 is HTTPS)",
        )
    } else if let Some(blocker) = mqtt_blocker {
        let reason = if blocker == StageId::ClientAuth {
            "the device certificate was rejected, so no CONNECT could be sent"
        } else {
            "the served chain did not verify, so no CONNECT was sent"
        };
        Stage::blocked(StageId::Mqtt, blocker, reason)
    } else {
        Stage::skipped(
            StageId::Mqtt,
            "no client id: give --client-id or --thing (the certificate has no CN)",
        )
    };
    (client_auth, mqtt)
}

// ------------------------------------------------------------------------------------------
// account

fn account_stage(
    settings: &Settings,
    device: &DeviceSettings,
    credentials: &Credentials,
    files: &Stage,
    client_id: Option<&str>,
) -> Stage {
    if !settings.account {
        return Stage::skipped(StageId::Account, "--no-account");
    }
    if !cfg!(feature = "aws") {
        return Stage::skipped(
            StageId::Account,
            "this iotcheck was built without AWS support (cargo feature aws)",
        );
    }
    let Some(cert) = &credentials.device else {
        let earlier = credentials
            .stage
            .depends_on
            .or(files.failed().then_some(StageId::Files))
            .unwrap_or(StageId::Credentials);
        return Stage::blocked(
            StageId::Account,
            earlier,
            "no readable device certificate to ask about",
        );
    };
    let Some(client_id) = client_id else {
        return Stage::skipped(
            StageId::Account,
            "no client id: give --client-id or --thing (the certificate has no CN)",
        );
    };
    let region = device.region.as_ref().map(|r| r.value.clone()).or_else(|| {
        device
            .endpoint
            .as_ref()
            .and_then(|e| classify(&e.value).region)
    });
    let aws_settings = AwsSettings {
        region,
        profile: None,
        timeout: settings.timeout,
    };
    let clock = Instant::now();
    match aws::account_facts(&aws_settings, &cert.sha256, client_id) {
        Ok(facts) => {
            let judgement = judge_account(
                &facts,
                cert,
                &Questions {
                    client_id: client_id.to_string(),
                    thing: device.thing.as_ref().map(|t| t.value.clone()),
                    publish: Vec::new(),
                    subscribe: Vec::new(),
                },
            );
            Stage::judged(StageId::Account, judgement.findings, millis(clock))
        }
        Err(e) => Stage {
            duration_ms: round(millis(clock)),
            ..Stage::skipped(StageId::Account, format!("AWS was not asked: {e}"))
        },
    }
}

// ------------------------------------------------------------------------------------------
// the evidence the advice follows

/// The facts the advice sentence follows: where the served chains lead, what each port did,
/// the server's alerts and the broker's answers.
fn evidence(
    device: &DeviceSettings,
    files: &[FileFacts],
    trust: &Trust,
    credentials: &Credentials,
    network: Option<&Network>,
    client_id: Option<String>,
    at: i64,
) -> Evidence {
    let mut evidence = Evidence {
        client: match device.client {
            Client::DeviceClient => Some("the AWS IoT Device Client"),
            Client::Greengrass => Some("the AWS IoT Greengrass nucleus"),
            Client::Flags => None,
        },
        endpoint: device.endpoint.as_ref().map(|e| e.value.clone()),
        client_id,
        certificate_id: credentials.device.as_ref().map(|c| c.sha256.clone()),
        ca_files: device
            .ca
            .iter()
            .map(|f| f.path.value.display().to_string())
            .collect(),
        roots_held: trust
            .anchors
            .certs
            .iter()
            .filter_map(KnownRoot::find)
            .map(|k| k.file)
            .collect(),
        files: files.to_vec(),
        at,
        ..Evidence::default()
    };
    let Some(network) = network else {
        return evidence;
    };
    evidence.resolve_timed_out = matches!(network.resolved, Some(Err(NetError::Timeout { .. })));
    for run in &network.ports {
        let handshakes: Vec<&Handshake> = [&run.rsa, &run.ecdsa, &run.device]
            .into_iter()
            .flatten()
            .collect();
        let anonymous = [&run.rsa, &run.ecdsa].into_iter().flatten();
        let no_tls = anonymous
            .clone()
            .all(|h| h.result.is_err())
            .then(|| anonymous.filter_map(|h| h.result.as_ref().err()).next())
            .flatten()
            .map(NoTls::of);
        evidence.ports.push(PortEvidence {
            port: run.port,
            tcp: run.tcp.as_ref().map(TcpState::of),
            no_tls,
        });
        for h in handshakes {
            let Ok((probe, _)) = &h.result else {
                continue;
            };
            if let Some(end) = stages::chain_end(&probe.served) {
                if !evidence.chain_ends.contains(&end) {
                    evidence.chain_ends.push(end);
                }
            }
            if let Some(served) = probe
                .served
                .first()
                .and_then(|der| Cert::from_der(der, "served").ok())
            {
                evidence.served.push(ServedValidity {
                    label: format!("port {}", run.port),
                    subject: served.display_name().to_string(),
                    not_before: served.not_before,
                    not_after: served.not_after,
                });
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

// ------------------------------------------------------------------------------------------
// the Markdown report's file

/// The `--report` file: a new file, or with `--force` one that replaces a regular file.
fn report_target(path: &Path, force: bool) -> Target<'_> {
    Target {
        path,
        mode: 0o644,
        placement: if force {
            Placement::Replace
        } else {
            Placement::New
        },
        option: "--report",
        exists_hint: "--report never overwrites; choose another file or add --force",
    }
}
