//! What `doctor` gathered, as plain data: the device's settings, its files as the file system
//! shows them, its credentials as the device lint judged them, its CA file, what the network
//! showed (each port's probes with the probe engine's judgement of each served chain), and
//! what the account said. `gather` fills these in (all the I/O); the stages read them (no
//! I/O), so a stage can be tested on facts made by hand.

use std::net::SocketAddr;

use serde::Serialize;

use crate::chain::Cert;
use crate::doctor::config::{DeviceFile, DeviceSettings, ModeRule};
use crate::finding::Finding;
use crate::net::{ClientIdentity, NetError};
use crate::trust::Anchors;
pub use crate::verify::served::Handshake as Served;
use crate::verify::Policy;

/// Everything one run gathered, for the stages to judge.
pub struct Facts {
    pub device: DeviceSettings,
    /// The instant certificates are judged at (`--at`, or the clock), unix seconds.
    pub at: i64,
    /// The expires_soon window, in days (`--warn-days`).
    pub warn_days: u32,
    /// What the served chains were verified under (the time, the endpoint's name).
    pub policy: Policy,
    /// The MQTT client id the device connects with, when one is known.
    pub client_id: Option<String>,
    /// The MQTT version of the device's CONNECT and why, and its subscribes and publishes.
    pub mqtt: crate::doctor::gather::MqttPlan,
    /// How the device's MQTT travels and authenticates (`--transport`).
    pub transport: DeviceTransport,
    pub files: Vec<FileFacts>,
    pub credentials: CredentialFacts,
    pub trust: TrustFacts,
    /// None: no endpoint is named, so nothing was probed.
    pub network: Option<NetworkFacts>,
    /// The credentials provider, probed with the device's request; None: no role alias named.
    pub credentials_provider: Option<DoorFacts>,
    /// Greengrass's HTTPS data plane, probed with the device's identity; None: not Greengrass.
    pub data_plane: Option<DoorFacts>,
    pub account: AccountFacts,
    /// How long the steps on the device took, in milliseconds.
    pub millis: LocalMillis,
}

/// The durations of the steps that run on the device alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalMillis {
    pub config: f64,
    pub files: f64,
    pub credentials: f64,
    pub trust: f64,
}

// ------------------------------------------------------------------------------------------
// files

/// What one of the device's files is to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    Certificate,
    Key,
    RootCa,
    /// A configuration file the client reads (the Device Client holds them to modes too).
    Config,
}

impl FileRole {
    pub fn words(self) -> &'static str {
        match self {
            FileRole::Certificate => "device certificate",
            FileRole::Key => "private key",
            FileRole::RootCa => "root CA file",
            FileRole::Config => "configuration file",
        }
    }
}

/// What the file system says about one file and its directory.
#[derive(Clone, Debug, Serialize)]
pub struct FileFacts {
    pub role: FileRole,
    pub path: String,
    /// None: it could not be found or read; the words say why.
    pub problem: Option<String>,
    /// Permission bits, when known.
    pub mode: Option<u32>,
    pub dir_mode: Option<u32>,
    #[serde(skip)]
    pub rule: ModeRule,
    #[serde(skip)]
    pub dir_rule: ModeRule,
    #[serde(skip)]
    pub rule_source: &'static str,
}

impl FileFacts {
    pub fn new(role: FileRole, file: &DeviceFile) -> FileFacts {
        FileFacts {
            role,
            path: file.path.value.display().to_string(),
            problem: None,
            mode: None,
            dir_mode: None,
            rule: file.mode,
            dir_rule: file.dir_mode,
            rule_source: file.rule_source,
        }
    }
}

/// Whether a file of `role` is missing or unreadable.
pub fn file_unusable(files: &[FileFacts], role: FileRole) -> bool {
    files.iter().any(|f| f.role == role && f.problem.is_some())
}

// ------------------------------------------------------------------------------------------
// credentials

/// The device certificate and key, as far as they could be read and linted.
pub struct CredentialFacts {
    pub state: Credentials,
    /// The device certificate, when the certificate file held one.
    pub device: Option<Cert>,
    /// The certificate file's certificates (DER), for the support report.
    pub certificates: Vec<Vec<u8>>,
    /// The identity the device presents; None when the pair cannot be used (the lint found
    /// an error, or the pair did not load).
    pub identity: Option<ClientIdentity>,
}

/// How far the credentials got.
pub enum Credentials {
    /// The key or certificate is in a PKCS#11 token: doctor can neither read nor present it.
    InToken,
    /// The settings name no certificate or no key.
    NotNamed,
    /// The files stage found the certificate or key missing or unreadable.
    Unreadable,
    /// The files hold no certificate or no key (the findings say what they hold).
    NotLoaded(Vec<Finding>),
    /// The device lint's findings, all of them (the stage takes those routed to it).
    Linted(Vec<Finding>),
}

impl CredentialFacts {
    pub fn without(state: Credentials) -> CredentialFacts {
        CredentialFacts {
            state,
            device: None,
            certificates: Vec::new(),
            identity: None,
        }
    }
}

// ------------------------------------------------------------------------------------------
// trust

/// The root CA files and the anchors the served chains are verified against.
pub struct TrustFacts {
    pub anchors: Anchors,
    pub files: CaFiles,
}

/// What the CA files are.
pub enum CaFiles {
    /// No CA file is named: the embedded Amazon roots stand in.
    NotGiven,
    /// The files stage found a CA file missing or unreadable.
    Unreadable,
    /// The files hold no usable anchor (the finding says why).
    Unusable(Finding),
    /// Each certificate the files hold.
    Read(Vec<RootFacts>),
}

/// One certificate of the CA files.
#[derive(Clone, Debug)]
pub struct RootFacts {
    pub name: String,
    pub not_before: i64,
    pub not_after: i64,
    /// Its file name in the catalogue of known roots ("AmazonRootCA1.pem"), when it is one.
    pub known: Option<&'static str>,
}

// ------------------------------------------------------------------------------------------
// network

/// How the device's MQTT travels and authenticates (`--transport`): it decides the ALPN on
/// every port, whether a certificate is presented, and what the MQTT stage's answer means.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DeviceTransport {
    /// MQTT on TLS, authenticated by the device certificate.
    #[default]
    Tls,
    /// MQTT over a WebSocket whose URL is presigned with SigV4 for `region`; AWS IoT
    /// authorizes it with the IAM policy of the credentials.
    WssSigv4 { region: String },
    /// MQTT over a WebSocket with a custom authorizer's headers.
    WssAuthorizer { authorizer: String },
    /// MQTT on 443 with ALPN `mqtt`, the authorizer's parameters in the user name.
    CustomAuth { authorizer: String },
}

impl DeviceTransport {
    /// The ALPN protocol the Device SDKs offer for it (None: by port, see [`port_protocol`]).
    pub fn alpn(&self) -> Option<&'static [u8]> {
        match self {
            DeviceTransport::Tls => None,
            DeviceTransport::WssSigv4 { .. } | DeviceTransport::WssAuthorizer { .. } => {
                Some(b"http/1.1")
            }
            DeviceTransport::CustomAuth { .. } => Some(b"mqtt"),
        }
    }

    /// In words, for messages: "a WebSocket presigned with SigV4 for eu-west-1".
    pub fn words(&self) -> String {
        match self {
            DeviceTransport::Tls => "TLS with the device certificate".to_string(),
            DeviceTransport::WssSigv4 { region } => {
                format!("a WebSocket presigned with SigV4 for {region}")
            }
            DeviceTransport::WssAuthorizer { authorizer } => {
                format!("a WebSocket with the custom authorizer {authorizer}'s headers")
            }
            DeviceTransport::CustomAuth { authorizer } => format!(
                "TLS with ALPN mqtt and the custom authorizer {authorizer} in the user name"
            ),
        }
    }
}

/// What the network showed: the resolution, and each port's probes.
pub struct NetworkFacts {
    /// The endpoint name: sent as SNI and verified against the served leaf.
    pub name: String,
    /// The name or address resolved and dialed (`--connect`, else the endpoint).
    pub dial: String,
    /// The HTTP proxy the probes went through, `host:port`.
    pub proxy: Option<String>,
    /// Ok(addresses); None when the probes went through a proxy.
    pub resolved: Option<Result<Vec<SocketAddr>, NetError>>,
    pub resolve_ms: f64,
    pub ports: Vec<PortFacts>,
}

/// One port's probes.
pub struct PortFacts {
    pub port: u16,
    /// "mqtt" (8883, 443 with ALPN, any other port) or "https" (8443).
    pub protocol: &'static str,
    /// The ALPN protocols offered on it.
    pub alpn: Vec<Vec<u8>>,
    /// The port carries MQTT.
    pub mqtt: bool,
    /// None: not tried (the name did not resolve) or through a proxy.
    pub tcp: Option<Result<SocketAddr, NetError>>,
    pub tcp_ms: f64,
    /// The handshake offering only RSA signatures, no client certificate.
    pub rsa: Option<Handshake>,
    /// The handshake offering only ECDSA signatures, no client certificate.
    pub ecdsa: Option<Handshake>,
    /// As the device connects: its identity, then MQTT on an MQTT port.
    pub device: Option<Handshake>,
}

impl PortFacts {
    /// A port with nothing learned about it.
    pub fn untried(port: u16) -> PortFacts {
        PortFacts::untried_over(port, &DeviceTransport::Tls)
    }

    /// A port the device reaches over `transport`, with nothing learned about it.
    pub fn untried_over(port: u16, transport: &DeviceTransport) -> PortFacts {
        let (protocol, alpn) = port_protocol_over(port, transport);
        PortFacts {
            port,
            protocol,
            alpn,
            mqtt: protocol == "mqtt",
            tcp: None,
            tcp_ms: 0.0,
            rsa: None,
            ecdsa: None,
            device: None,
        }
    }

    /// A handshake without the device's identity was tried (TCP was accepted, or the probes
    /// went through a proxy).
    pub fn reached(&self) -> bool {
        self.rsa.is_some() || self.ecdsa.is_some()
    }

    /// The two handshakes without the device's identity.
    pub fn anonymous(&self) -> impl Iterator<Item = &Handshake> + Clone {
        [&self.rsa, &self.ecdsa].into_iter().flatten()
    }

    /// All three handshakes that ran.
    pub fn handshakes(&self) -> impl Iterator<Item = &Handshake> {
        [&self.rsa, &self.ecdsa, &self.device].into_iter().flatten()
    }

    /// Why no anonymous handshake came up, when none did: the first one's error.
    pub fn no_tls(&self) -> Option<&NetError> {
        if self.anonymous().all(|h| h.result.is_err()) {
            self.anonymous().find_map(|h| h.result.as_ref().err())
        } else {
            None
        }
    }
}

/// What a port carries as the device uses it, and the ALPN offered there: 443 carries MQTT
/// with ALPN x-amzn-mqtt-ca, 8443 HTTPS; any other port (8883, or a local port a test maps)
/// MQTT without ALPN.
pub fn port_protocol(port: u16) -> (&'static str, Vec<Vec<u8>>) {
    match port {
        443 => ("mqtt", vec![b"x-amzn-mqtt-ca".to_vec()]),
        8443 => ("https", Vec::new()),
        _ => ("mqtt", Vec::new()),
    }
}

/// As [`port_protocol`] for a device on `transport`: over a WebSocket or with a custom
/// authorizer every port checked carries MQTT with that transport's ALPN (AWS IoT serves them
/// on 443; tests map it to another port).
pub fn port_protocol_over(port: u16, transport: &DeviceTransport) -> (&'static str, Vec<Vec<u8>>) {
    match transport.alpn() {
        None => port_protocol(port),
        Some(alpn) => ("mqtt", vec![alpn.to_vec()]),
    }
}

/// One handshake and how long it took.
pub struct Handshake {
    pub result: Result<Served, NetError>,
    pub ms: f64,
}

/// A served leaf's validity, unix seconds.
#[derive(Clone, Debug)]
pub struct Validity {
    /// Where it was seen, e.g. "port 8883", "the root CA file".
    pub label: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
}

impl Validity {
    pub fn of(cert: &Cert, label: impl Into<String>) -> Validity {
        Validity {
            label: label.into(),
            subject: cert.display_name().to_string(),
            not_before: cert.not_before,
            not_after: cert.not_after,
        }
    }
}

impl NetworkFacts {
    /// The earlier network stage that kept the TLS stages from running: `dns` when the name
    /// did not resolve, `tcp` when no port accepted.
    pub fn blocker(&self) -> Option<crate::doctor::stages::StageId> {
        use crate::doctor::stages::StageId;
        if matches!(self.resolved, Some(Err(_))) {
            Some(StageId::Dns)
        } else if self.resolved.is_some() && !self.ports.iter().any(PortFacts::reached) {
            Some(StageId::Tcp)
        } else {
            None
        }
    }

    /// The ports on which a handshake was tried.
    pub fn reached(&self) -> impl Iterator<Item = &PortFacts> {
        self.ports.iter().filter(|p| p.reached())
    }

    /// Each served leaf's validity, labelled by port.
    pub fn served_validities(&self) -> Vec<Validity> {
        let mut all = Vec::new();
        for port in self.reached() {
            for h in port.handshakes() {
                let Ok(served) = &h.result else { continue };
                if let Some(leaf) = served
                    .probe
                    .served
                    .first()
                    .and_then(|der| Cert::from_der(der, "served").ok())
                {
                    all.push(Validity::of(&leaf, format!("port {}", port.port)));
                }
            }
        }
        all
    }
}

// ------------------------------------------------------------------------------------------
// the credentials provider and the data plane

/// One HTTPS door of AWS IoT the device uses beside MQTT, as probed.
pub struct DoorFacts {
    /// The name sent as SNI, verified and (for the credentials provider) in the Host header.
    pub host: String,
    pub port: u16,
    /// Where the name came from, in words ("iotCredEndpoint in config.yaml", "DescribeEndpoint").
    pub source: String,
    pub outcome: DoorOutcome,
    pub ms: f64,
}

/// What became of a door's probe.
pub enum DoorOutcome {
    /// Not probed, and why (no endpoint, a name AWS IoT cannot have, the account not asked).
    NotProbed(String),
    /// The device's identity could not be loaded: the credentials stage says why.
    NoIdentity,
    /// The handshake (and, for the credentials provider, the request) as the engine judged it;
    /// Err: no TLS session came up.
    Probed(Box<Result<Served, NetError>>),
}

// ------------------------------------------------------------------------------------------
// account

/// What the account said about the device certificate, or why it was not asked.
pub enum AccountFacts {
    /// `--no-account`.
    Off,
    /// Built without AWS support.
    NotBuilt,
    /// No readable device certificate to ask about.
    NoCertificate,
    /// No client id to ask about.
    NoClientId,
    /// The account checks' findings.
    Asked { findings: Vec<Finding>, ms: f64 },
    /// AWS could not be asked (no credentials, no region): the words say why.
    NotAsked { error: String, ms: f64 },
    /// AWS was asked and gave no answer to judge (unreachable, timed out, throttled, access
    /// denied, an answer that could not be read, an error of the API): the words say which.
    NoAnswer { error: String, ms: f64 },
    /// The check stopped unexpectedly.
    Stopped,
}
