//! The only async code: connect, handshake, capture the served chain, optionally talk MQTT.
//!
//! The rest of the crate sees a synchronous facade, [`probe`]; it builds a current-thread
//! tokio runtime for the duration of one probe. All phases (resolve, connect, proxy,
//! handshake, post-handshake read, MQTT) share one deadline: `ProbeSettings::timeout` from
//! the start, or `ProbeSettings::deadline` when several probes of a target share it.
//!
//! The probe never judges the served chain: a capture-only verifier records it and asks the
//! caller's `chain_ok` callback, right then, inside the handshake. Nothing of the device's
//! identity (its certificate, a signature with its key) and no application data goes to a
//! server whose chain the callback refused: with a client identity, the handshake is ended
//! before rustls answers the server's CertificateRequest.
//!
//! Failures before any server certificate was seen are [`NetError`]s: nothing listening is
//! `Connect`, silence is `Timeout` of its phase, an HTTP (or other non-TLS) answer is `NotTls`,
//! a peer closing or resetting mid-handshake is `Closed`, garbage or an oversized handshake
//! message is `Handshake`. Failures after the Certificate (a rejected client certificate, a
//! bad server signature) are findings in the returned [`Probe`].

mod address;
mod capture;
mod error;
mod https;
mod mqtt;
mod mqtt_codec;
mod probe;
mod proxy;
mod tls;
mod ws;
#[cfg(feature = "aws")]
mod ws_sign;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub use address::split_host_port;
pub use error::{NetError, Phase};
pub use https::{
    check_role_alias, check_thing_name, MAX_BODY as HTTP_MAX_BODY, MAX_HEAD as HTTP_MAX_HEAD,
};
pub(crate) use probe::offline::{client_hello, replay_server_flight};
pub use proxy::parse_proxy;

/// What to probe and how; resolved from the command line by the caller.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// The endpoint name as the user typed it (or an IP literal).
    pub host: String,
    pub port: u16,
    /// Another address or name to dial ("[::1]", "127.0.0.1", "name", optionally with
    /// ":PORT"); `host` stays the SNI.
    pub connect_to: Option<String>,
    /// Server name to send as SNI; `None` sends no SNI.
    pub sni: Option<String>,
    /// ALPN protocols to offer, empty for none.
    pub alpn: Vec<Vec<u8>>,
    /// The time the whole probe may take, all phases together.
    pub timeout: Duration,
    /// When set, the probe ends by then instead of `timeout` from its start: several probes
    /// of one target (both handshakes of `--sig both`) share one budget. `timeout` still
    /// names the budget in messages.
    pub deadline: Option<Instant>,
    pub proxy: Option<Proxy>,
    pub versions: TlsVersions,
    pub sig: SigFilter,
    pub client: Option<ClientIdentity>,
    /// When set, after a handshake whose chain the caller accepted: CONNECT, CONNACK, DISCONNECT.
    pub mqtt: Option<MqttSettings>,
    /// Probes that share a turn take turns for their MQTT exchange (and only for it).
    pub mqtt_turn: Option<MqttTurn>,
    /// How MQTT rides on the TLS session: directly, or over a WebSocket.
    pub transport: Transport,
    /// When set (and `mqtt` is not), after a handshake whose chain the caller accepted: one
    /// HTTP/1.1 request and its answer, read with strict bounds.
    pub https: Option<HttpsRequest>,
}

/// An HTTP request to send over the verified session: the credentials provider's or HTTPS
/// publish's. The Host header is the SNI name (or the host when no SNI is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsRequest {
    pub method: HttpMethod,
    /// The request target: path and query, already percent-encoded.
    pub target: String,
    /// Headers beyond Host, User-Agent, Accept, Connection and Content-Length; names and
    /// values checked by the caller (no CR or LF).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub purpose: HttpsPurpose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// What the request is for: it decides how a successful answer's body is read, and what the
/// judgement says of each status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpsPurpose {
    /// The credentials provider's `{"credentials": {...}}`: the expiry and the access key
    /// id's last four characters are kept; the secret key and the token never leave the
    /// exchange, whose buffer is zeroized.
    Credentials {
        role_alias: String,
        /// The `x-amzn-iot-thingname` header sent, if any.
        thing: Option<String>,
    },
    /// HTTPS publish: a JSON `{"message": ...}` answer.
    Publish { topic: String },
}

/// The HTTP exchange of a probe: what it was for, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Https {
    pub purpose: HttpsPurpose,
    pub outcome: HttpsOutcome,
}

/// How the HTTP exchange ended.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpsOutcome {
    /// A complete HTTP/1.x answer within the bounds.
    Answered(Box<HttpAnswer>),
    /// No complete answer by the deadline; `received` bytes of it had arrived.
    TimedOut { millis: f64, received: usize },
    /// The connection ended (an alert, close_notify, EOF, reset) before a complete answer.
    Closed { millis: f64, detail: String },
    /// The answer is not HTTP/1.x (HTTP/0.9, garbage) or its framing is broken.
    Malformed { millis: f64, detail: String },
    /// The answer's head or body exceeds the bounds; the rest was not read.
    TooLarge { millis: f64, detail: String },
    /// The request was not sent: the chain did not verify, or the TLS session was gone.
    NotSent { reason: String },
}

/// An HTTP answer, as much of it as a report needs: printable, clipped, and without any
/// secret (a credentials answer keeps only its expiry and four characters of the key id).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpAnswer {
    pub status: u16,
    pub reason: String,
    /// `x-amzn-ErrorType`, e.g. "AccessDeniedException".
    pub error_type: Option<String>,
    /// `Location`, when the server redirects (never followed).
    pub location: Option<String>,
    pub content_type: Option<String>,
    /// `x-amzn-RequestId`.
    pub request_id: Option<String>,
    /// The JSON body's `message`.
    pub message: Option<String>,
    pub credentials: Option<CredentialsSummary>,
    /// Why the body could not be read as expected (invalid JSON, missing fields).
    pub body_problem: Option<String>,
    pub body_bytes: usize,
    pub millis: f64,
}

/// What is kept of a credentials answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsSummary {
    /// `credentials.expiration` as sent (RFC 3339 on AWS).
    pub expiration: Option<String>,
    /// The last four characters of `credentials.accessKeyId`.
    pub access_key_suffix: Option<String>,
}

/// How the device's MQTT rides on the TLS session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Transport {
    /// MQTT directly on TLS (8883, or 443 with ALPN), authenticated by the client certificate.
    #[default]
    Tls,
    /// MQTT over a WebSocket (`wss://host/mqtt`, subprotocol `mqtt`) on the TLS session. The
    /// upgrade is asked for once the chain verified, with or without an MQTT exchange after it.
    WebSocket(WebSocketSettings),
}

/// The transport the user asked for, before credentials are looked up: what `--transport`,
/// `--signing-region` and `--authorizer ...` resolve to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TransportRequest {
    #[default]
    Tls,
    /// MQTT over WebSocket: presigned with SigV4 (credentials from the standard chain), or
    /// with a custom authorizer's headers when one is given.
    Wss {
        signing_region: Option<String>,
        authorizer: Option<Authorizer>,
    },
    /// MQTT on 443 with ALPN `mqtt`, the authorizer's parameters in the user name.
    CustomAuth(Authorizer),
}

impl TransportRequest {
    /// The ALPN protocol a device offers for it on AWS IoT's 443 (the Device SDKs' builders).
    pub fn alpn(&self) -> Option<&'static str> {
        match self {
            TransportRequest::Tls => None,
            TransportRequest::Wss { .. } => Some("http/1.1"),
            TransportRequest::CustomAuth(_) => Some("mqtt"),
        }
    }

    /// The values that must never appear in any output.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            TransportRequest::Tls
            | TransportRequest::Wss {
                authorizer: None, ..
            } => Vec::new(),
            TransportRequest::Wss {
                authorizer: Some(authorizer),
                ..
            }
            | TransportRequest::CustomAuth(authorizer) => authorizer.secrets(),
        }
    }
}

/// The WebSocket upgrade: where, and how it is authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketSettings {
    /// The path of the GET, "/mqtt" for AWS IoT.
    pub path: String,
    pub auth: WebSocketAuth,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebSocketAuth {
    /// The URL presigned with SigV4 for `iotdevicegateway` in `region`, at `time`.
    SigV4 {
        credentials: AwsCredentials,
        region: String,
        time: std::time::SystemTime,
    },
    /// A custom authorizer's headers on the GET.
    CustomAuth(Authorizer),
}

/// AWS credentials for signing, from the SDK's standard chain.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

// Written by hand so that the secret key and the token can never reach a log or a message.
impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A custom authorizer and the token it takes (AWS IoT custom authentication).
#[derive(Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// `x-amz-customauthorizer-name`.
    pub name: String,
    /// The authorizer's token key name: the parameter (or header) that carries the token.
    pub token_name: String,
    pub token: String,
    /// `x-amz-customauthorizer-signature`, when the authorizer has token signing enabled.
    pub signature: Option<String>,
}

impl Authorizer {
    /// The values that must never be shown.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![self.token.clone()];
        secrets.extend(self.signature.clone());
        secrets
    }

    /// The parameters AWS IoT reads, in the order the developer guide gives them; it reads
    /// them in any order.
    pub fn parameters(&self) -> Vec<(String, String)> {
        let mut parameters = vec![("x-amz-customauthorizer-name".to_string(), self.name.clone())];
        if let Some(signature) = &self.signature {
            parameters.push((
                "x-amz-customauthorizer-signature".to_string(),
                signature.clone(),
            ));
        }
        parameters.push((self.token_name.clone(), self.token.clone()));
        parameters
    }

    /// The MQTT user name that carries the parameters: `?name=value&...`, URL-encoded.
    pub fn username(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::from("?"));
        for (name, value) in self.parameters() {
            query.append_pair(&name, &value);
        }
        query.finish()
    }
}

// Written by hand so that the token and its signature can never reach a log or a message.
impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("name", &self.name)
            .field("token_name", &self.token_name)
            .field("token", &"<redacted>")
            .field("signature", &self.signature.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The server's answer to the WebSocket upgrade request.
#[derive(Debug, Clone, PartialEq)]
pub enum UpgradeOutcome {
    /// 101 Switching Protocols, checked (Sec-WebSocket-Accept, Upgrade, Connection).
    Switched {
        millis: f64,
        /// The subprotocol the server chose (`mqtt` for AWS IoT).
        subprotocol: Option<String>,
    },
    /// Any other status, with AWS's `x-amzn-ErrorType` and the start of the body (secrets
    /// removed).
    Refused {
        status: u16,
        reason: String,
        error_type: Option<String>,
        body: String,
        millis: f64,
    },
    /// Not a valid answer: oversized, closed, not HTTP, a bad Sec-WebSocket-Accept.
    Failed {
        detail: String,
        millis: f64,
    },
    TimedOut {
        millis: f64,
    },
    /// The request was not sent: the chain did not verify, or it could not be built.
    NotSent {
        reason: String,
    },
}

/// One turn at a time for the MQTT exchanges of probes that present the same client id: a
/// broker (AWS IoT) drops an earlier connection of a client id when another one connects.
/// The handshakes before it still run at once. Works across the probes' runtimes.
#[derive(Clone, Debug, Default)]
pub struct MqttTurn(Arc<tokio::sync::Mutex<()>>);

/// An HTTP CONNECT proxy (see [`parse_proxy`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// User name and password for `Proxy-Authorization: Basic`.
    pub credentials: Option<(String, String)>,
}

// Written by hand so that the password can never reach a log or an error message.
impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "credentials",
                &self
                    .credentials
                    .as_ref()
                    .map(|(user, _)| (user, "<redacted>")),
            )
            .finish()
    }
}

/// The TLS versions the client offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsVersions {
    #[default]
    Both,
    Tls12,
    Tls13,
}

/// Which signature schemes the client offers; a server with both an RSA and an ECDSA
/// certificate serves the chain that matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SigFilter {
    #[default]
    Any,
    Rsa,
    Ecdsa,
}

/// The device certificate chain and its private key.
pub struct ClientIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

// Written by hand so that key bytes can never reach a log or an error message.
impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("chain_len", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

// `PrivateKeyDer` is deliberately not `Clone`; `clone_key` is its explicit copy.
impl Clone for ClientIdentity {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

/// The MQTT CONNECT to send after a verified handshake, and what to do once it is accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct MqttSettings {
    pub client_id: String,
    pub keep_alive_secs: u16,
    /// The CONNECT's user name. Custom authentication carries the authorizer's name and
    /// token in it (`NAME?x-amz-customauthorizer-name=...`), so it is never shown whole.
    pub username: Option<String>,
    /// The CONNECT's password (a secret: never shown).
    pub password: Option<String>,
    pub version: MqttVersion,
    /// Topic filters to SUBSCRIBE to (QoS 1) after CONNACK, in order, each waited for.
    pub subscribe: Vec<String>,
    /// Topics to PUBLISH to (QoS 1, empty payload, not retained) after the subscribes, in
    /// order, each waited for. Nothing is published unless it is listed here.
    pub publish: Vec<String>,
}

/// The MQTT protocol the CONNECT speaks; serialised as reports name it ("3.1.1", "5").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub enum MqttVersion {
    /// MQTT 3.1.1 (protocol level 4): what most device clients speak.
    #[default]
    #[serde(rename = "3.1.1")]
    V311,
    /// MQTT 5: the broker gives reason codes and reason strings.
    #[serde(rename = "5")]
    V5,
}

impl MqttVersion {
    /// "3.1.1" or "5", as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            MqttVersion::V311 => "3.1.1",
            MqttVersion::V5 => "5",
        }
    }
}

impl MqttSettings {
    /// An MQTT 3.1.1 CONNECT with a client id and keep-alive only, as a device with a
    /// certificate sends, and nothing after it.
    pub fn new(client_id: impl Into<String>, keep_alive_secs: u16) -> Self {
        Self {
            client_id: client_id.into(),
            keep_alive_secs,
            username: None,
            password: None,
            version: MqttVersion::V311,
            subscribe: Vec::new(),
            publish: Vec::new(),
        }
    }
}

// Written by hand: the user name may carry a custom authorizer's token, the password is one.
impl fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttSettings")
            .field("client_id", &self.client_id)
            .field("keep_alive_secs", &self.keep_alive_secs)
            .field("username", &self.username.as_ref().map(|_| "<redacted>"))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("version", &self.version)
            .field("subscribe", &self.subscribe)
            .field("publish", &self.publish)
            .finish()
    }
}

/// What the probe saw. Returned whenever at least one server certificate was captured,
/// even if the handshake failed afterwards (see `handshake_error`).
#[derive(Debug, Clone)]
pub struct Probe {
    /// The address actually connected: the proxy's when `via_proxy` is true.
    pub peer: SocketAddr,
    pub via_proxy: bool,
    /// Served certificates, DER, in served order, even when invalid.
    pub served: Vec<Vec<u8>>,
    pub tls: TlsFacts,
    pub timings: Timings,
    pub client_auth: ClientAuth,
    /// `None` unless the transport is a WebSocket.
    pub upgrade: Option<UpgradeOutcome>,
    /// `None` when no MQTT exchange was asked for.
    pub mqtt: Option<MqttOutcome>,
    /// The MQTT version the exchange spoke (or would have).
    pub mqtt_version: MqttVersion,
    /// `None` when no HTTP request was asked for.
    pub https: Option<Https>,
    /// Set when the TLS session did not come up although the chain was captured: the
    /// handshake failed after the server's Certificate (TLS 1.2 client-certificate rejection,
    /// a bad server signature, a timeout), or, in TLS 1.3, the server tore the connection
    /// down right after the handshake. The words come from the TLS layer.
    pub handshake_error: Option<String>,
}

/// What was negotiated. After a failed handshake these are what was known at the failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFacts {
    /// "TLSv1.2" or "TLSv1.3"; empty if the server never chose.
    pub version: String,
    /// IANA name as rustls spells it, e.g. "TLS13_AES_256_GCM_SHA384"; empty if unknown.
    pub cipher_suite: String,
    /// e.g. "X25519", "secp256r1", "X25519MLKEM768".
    pub key_exchange_group: Option<String>,
    /// The ALPN protocol the server selected.
    pub alpn: Option<String>,
    /// The SNI actually sent.
    pub sni: Option<String>,
}

/// Milliseconds spent in each phase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    pub resolve: f64,
    pub connect: f64,
    pub proxy: Option<f64>,
    pub handshake: f64,
    /// The bounded read after a TLS 1.3 handshake in which the server asked for a client
    /// certificate (that is where a rejection arrives).
    pub post_handshake: Option<f64>,
    /// The WebSocket upgrade request and its answer.
    pub upgrade: Option<f64>,
    pub mqtt: Option<f64>,
    /// The HTTP request and its answer.
    pub https: Option<f64>,
}

/// Client authentication as the server asked for it and answered it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAuth {
    /// The server sent a CertificateRequest.
    pub requested: bool,
    /// DER-encoded distinguished names from the CertificateRequest (may be empty).
    pub acceptable_ca_names: Vec<Vec<u8>>,
    /// Schemes the server accepts for the client's signature, as rustls names them.
    pub signature_schemes: Vec<String>,
    /// We sent a certificate.
    pub sent: bool,
    /// A certificate was configured and asked for, but not sent: the served chain did not
    /// verify, so the handshake was ended before any of the device's identity went out.
    pub withheld: bool,
    /// The alert with which the server ended the connection after asking for a client
    /// certificate, in snake_case ("bad_certificate", "unknown_ca", "certificate_required").
    pub rejection: Option<String>,
}

/// How the MQTT exchange ended.
#[derive(Debug, Clone, PartialEq)]
pub enum MqttOutcome {
    Accepted {
        millis: f64,
        session_present: bool,
        /// The subscribes and publishes after CONNACK, and how the session ended.
        session: MqttSession,
    },
    /// A CONNACK with a refusal: the MQTT 3.1.1 return code or MQTT 5 reason code as sent.
    /// An MQTT 5 DISCONNECT in place of the CONNACK is told the same way.
    Refused {
        code: u8,
        reason: String,
        /// MQTT 5's reason string, as the broker sent it.
        reason_string: Option<String>,
        millis: f64,
    },
    /// The connection closed (EOF, reset, close_notify or an alert) without a CONNACK.
    Closed { millis: f64 },
    /// No CONNACK within the timeout.
    TimedOut { millis: f64 },
    /// The server answered with something other than a CONNACK.
    Unexpected { detail: String, millis: f64 },
    /// CONNECT was not sent: the chain did not verify, or the TLS session was already gone.
    NotSent { reason: String },
}

/// What happened after an accepted CONNECT.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MqttSession {
    /// The subscribes, then the publishes, in the order given.
    pub operations: Vec<MqttOperation>,
    /// The broker's DISCONNECT (MQTT 5), when it sent one.
    pub disconnect: Option<MqttReason>,
}

/// A reason code as the broker sent it, with its name in the MQTT specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttReason {
    pub code: u8,
    /// The specification's name for the code ("not authorized").
    pub reason: String,
    /// MQTT 5's reason string, as the broker sent it.
    pub reason_string: Option<String>,
}

/// One SUBSCRIBE or PUBLISH after CONNACK.
#[derive(Debug, Clone, PartialEq)]
pub struct MqttOperation {
    pub kind: MqttOperationKind,
    /// The topic (PUBLISH) or topic filter (SUBSCRIBE).
    pub topic: String,
    pub result: MqttOperationResult,
    /// From sending the packet to its answer (0 when not sent).
    pub millis: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MqttOperationKind {
    Subscribe,
    Publish,
}

/// How a SUBSCRIBE or PUBLISH was answered.
#[derive(Debug, Clone, PartialEq)]
pub enum MqttOperationResult {
    /// SUBACK or PUBACK. The code as sent: an MQTT 5 reason code; for MQTT 3.1.1 the SUBACK
    /// return code (0-2 granted, 0x80 failure), and 0 for a PUBACK, which carries none.
    Acked(MqttReason),
    /// The connection ended before the answer: with MQTT 3.1.1, AWS IoT's way of refusing a
    /// PUBLISH or SUBSCRIBE its policy does not allow.
    Closed,
    /// No answer within the timeout.
    TimedOut,
    /// The broker answered with something else, or more than a broker sends.
    Unexpected { detail: String },
    /// Not sent: the session had already ended.
    NotSent,
}

impl MqttReason {
    /// Reason codes from 0x80 up are failures (MQTT 5 section 2.4; the 3.1.1 SUBACK's 0x80).
    pub fn is_failure(&self) -> bool {
        self.code >= 0x80
    }
}

/// The caller's judgement of a served chain (DER, served order): true when it verified, or
/// when the user accepts it anyway (`--insecure`).
pub type ChainCheck = dyn Fn(&[Vec<u8>]) -> bool + Send + Sync;

/// Runs the probe.
///
/// `chain_ok` is called once, as soon as the server's Certificate message was received and
/// before the client answers it. When it returns false, neither the client certificate
/// (the handshake is ended if the server asked for one) nor application data (MQTT) is sent.
///
/// `Err` only when no server certificate was seen; once one was captured the result is
/// `Ok` and the failure is recorded in the `Probe`.
pub fn probe(settings: &ProbeSettings, chain_ok: Arc<ChainCheck>) -> Result<Probe, NetError> {
    runtime()?.block_on(probe::run(settings, chain_ok))
}

/// Resolves `host` by `deadline`, as the first phase of a probe does (an IP literal is not
/// looked up): for a caller that reports the phases one by one and bounds them together.
/// `timeout` names the budget the deadline came from, in messages.
pub fn resolve(
    host: &str,
    port: u16,
    timeout: Duration,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, NetError> {
    runtime()?.block_on(probe::resolve_alone(host, port, timeout, deadline))
}

/// Opens a TCP connection to the first of `addresses` that accepts, by `deadline`, and
/// closes it at once, as the second phase of a probe does; returns the address that accepted.
pub fn connect(
    addresses: &[SocketAddr],
    timeout: Duration,
    deadline: Instant,
) -> Result<SocketAddr, NetError> {
    runtime()?.block_on(probe::connect_alone(addresses, timeout, deadline))
}

fn runtime() -> Result<tokio::runtime::Runtime, NetError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|source| NetError::io(Phase::Setup, source))
}
