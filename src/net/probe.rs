//! One probe from start to end: resolve, connect, proxy, handshake, settle, MQTT.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::{Resumption, Tls12Resumption};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::sign::CertifiedKey;
use rustls::{AlertDescription, ClientConfig, ClientConnection, ProtocolVersion};
use tokio::net::TcpStream;
use tokio::time::timeout_at;

use super::address::{bare_host, parse_host_port, HostPort};
use super::capture::{CaptureVerifier, Observed, RecordingResolver, TicketCounter};
use super::error::seconds;
use super::tls::{preview, Failure, TlsIo};
use super::{
    https, mqtt, proxy, ws, ChainCheck, ClientAuth, ClientIdentity, Https, MqttOutcome, NetError,
    Phase, Probe, ProbeSettings, Timings, TlsFacts, TlsVersions,
};

// The same client over bytes in memory, for fuzzing.
pub(super) mod offline;

/// The longest we wait after a TLS 1.3 handshake for the server's verdict on our certificate.
const SETTLE_WAIT: Duration = Duration::from_secs(1);

/// The time one probe may take: `--timeout` is one deadline shared by every phase (and by
/// the probes of one target, e.g. both handshakes of `--sig both`), not a limit per phase.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    pub deadline: tokio::time::Instant,
    /// The whole budget, as the user gave it, for messages.
    pub total: Duration,
}

impl Budget {
    fn new(settings: &ProbeSettings) -> Self {
        let deadline = settings
            .deadline
            .unwrap_or_else(|| Instant::now() + settings.timeout);
        Self {
            deadline: tokio::time::Instant::from_std(deadline),
            total: settings.timeout,
        }
    }

    fn until(deadline: Instant, total: Duration) -> Self {
        Self {
            deadline: tokio::time::Instant::from_std(deadline),
            total,
        }
    }

    /// The deadline, or `wait` from now if that comes first.
    fn at_most(self, wait: Duration) -> tokio::time::Instant {
        self.deadline.min(tokio::time::Instant::now() + wait)
    }
}

/// Why nothing more is sent after a chain the caller refused.
const UNVERIFIED: &str = "the served chain did not verify; no application data is sent over an \
                          unverified connection";

pub(super) async fn run(
    settings: &ProbeSettings,
    chain_ok: Arc<ChainCheck>,
) -> Result<Probe, NetError> {
    let budget = Budget::new(settings);
    if budget.deadline <= tokio::time::Instant::now() {
        // Only a deadline shared with earlier probes can be over before this one starts.
        return Err(NetError::NoTimeLeft {
            target: HostPort {
                host: bare_host(&settings.host).to_string(),
                port: settings.port,
            }
            .authority(),
            after: budget.total,
        });
    }
    let Client {
        conn,
        observed,
        sni,
    } = client(settings, chain_ok)?;

    let target = match &settings.connect_to {
        Some(text) => parse_host_port(text, settings.port).map_err(NetError::Settings)?,
        None => HostPort {
            host: bare_host(&settings.host).to_string(),
            port: settings.port,
        },
    };
    let dial = match &settings.proxy {
        Some(proxy) => HostPort {
            host: bare_host(&proxy.host).to_string(),
            port: proxy.port,
        },
        None => target.clone(),
    };
    let mut timings = Timings::default();

    let started = Instant::now();
    let addresses = resolve(&dial, budget).await?;
    timings.resolve = millis(started);

    let started = Instant::now();
    let (mut tcp, peer) = connect(&addresses, &dial, budget).await?;
    timings.connect = millis(started);

    let mut prefix = Vec::new();
    if let Some(proxy) = &settings.proxy {
        let started = Instant::now();
        let authority = target.authority();
        let tunnel = proxy::open_tunnel(&mut tcp, &authority, proxy.credentials.as_ref());
        prefix = match timeout_at(budget.deadline, tunnel).await {
            Err(_elapsed) => {
                return Err(NetError::Timeout {
                    phase: Phase::Proxy,
                    target: peer.to_string(),
                    after: budget.total,
                })
            }
            Ok(Err(refusal)) => {
                return Err(NetError::Proxy {
                    proxy: dial.authority(),
                    status: refusal.status,
                    detail: refusal.detail,
                })
            }
            Ok(Ok(prefix)) => prefix,
        };
        timings.proxy = Some(millis(started));
    }

    let label = match (&settings.proxy, target.ip()) {
        (Some(_), _) => format!("{} via proxy {peer}", target.authority()),
        (None, Some(_)) => peer.to_string(),
        (None, None) => format!("{} ({peer})", target.host),
    };
    let mut io = TlsIo::new(tcp, conn, prefix);
    let started = Instant::now();
    let handshake = timeout_at(budget.deadline, io.handshake()).await;
    timings.handshake = millis(started);

    // Failures before the server's Certificate are errors; after it, they are findings.
    let served = observed.served();
    let failure = match (handshake, served.is_some()) {
        (Ok(Ok(())), _) => None,
        // We ended the handshake ourselves, to keep the device's identity from a server whose
        // chain did not verify: not a failure of the server's.
        (Ok(Err(_)), true) if observed.withheld() => None,
        (Ok(Err(failure)), true) => Some(HandshakeFailure::from_failure(failure)),
        (Ok(Err(failure)), false) => return Err(handshake_error(failure, label)),
        (Err(_elapsed), true) => Some(HandshakeFailure {
            text: format!(
                "the handshake timed out after {} (the server's Certificate had arrived)",
                seconds(budget.total)
            ),
            alert: None,
        }),
        (Err(_elapsed), false) => {
            return Err(NetError::Timeout {
                phase: Phase::TlsHandshake,
                target: label,
                after: budget.total,
            })
        }
    };

    let mut probe = Probe {
        peer,
        via_proxy: settings.proxy.is_some(),
        served: served.unwrap_or_default(),
        tls: facts(&io.conn, sni),
        timings,
        client_auth: client_auth(&observed),
        upgrade: None,
        mqtt: None,
        mqtt_version: settings
            .mqtt
            .as_ref()
            .map(|m| m.version)
            .unwrap_or_default(),
        https: None,
        handshake_error: None,
    };

    if observed.withheld() {
        probe.mqtt = settings.mqtt.as_ref().map(|_| MqttOutcome::NotSent {
            reason: UNVERIFIED.to_string(),
        });
        probe.https = settings
            .https
            .as_ref()
            .map(|request| request.not_sent(UNVERIFIED));
        return Ok(probe);
    }

    if let Some(failure) = failure {
        // In TLS 1.2 a server that rejects the client certificate fails the handshake with an
        // alert; after a CertificateRequest, any alert is the server's answer to our identity.
        if probe.client_auth.requested {
            probe.client_auth.rejection = failure.alert.map(alert_name);
        }
        probe.handshake_error = Some(failure.text);
        probe.mqtt = settings.mqtt.as_ref().map(|_| MqttOutcome::NotSent {
            reason: "the tls handshake did not complete".to_string(),
        });
        probe.https = settings
            .https
            .as_ref()
            .map(|request| request.not_sent("the tls handshake did not complete"));
        return Ok(probe);
    }

    // The capture verifier asked the caller when the chain arrived; no answer means no trust.
    let verified = observed.verdict().unwrap_or(false);

    // TLS 1.3 moves the server's verdict on our certificate after the handshake: the client
    // is done once it sent its Finished, and a rejecting server answers that flight with an
    // alert (unknown_ca, certificate_required, ...). So when a certificate was requested, read
    // once more, bounded by SETTLE_WAIT. A NewSessionTicket or application data proves the
    // server accepted us and ends the wait early; silence until the bound is taken as
    // acceptance (the rest of the probe, e.g. MQTT, would still see a late alert). Without a
    // CertificateRequest there is no verdict to wait for.
    let mut settled = Settle::NotNeeded;
    if probe.client_auth.requested && probe.tls.version == "TLSv1.3" {
        let started = Instant::now();
        settled = settle(&mut io, &observed, budget.at_most(SETTLE_WAIT)).await;
        probe.timings.post_handshake = Some(millis(started));
        match &settled {
            Settle::Alert(alert) => {
                let name = alert_name(*alert);
                probe.handshake_error = Some(format!(
                    "the server sent the alert {name} right after the handshake"
                ));
                probe.client_auth.rejection = Some(name);
            }
            Settle::Closed => {
                probe.handshake_error = Some(
                    "the server closed the connection right after the handshake, without an \
                     alert; it may have rejected the client certificate"
                        .to_string(),
                );
            }
            Settle::Failed(text) => probe.handshake_error = Some(text.clone()),
            Settle::NotNeeded | Settle::Ticket | Settle::ApplicationData | Settle::Quiet => {}
        }
    }
    let alive = probe.handshake_error.is_none();

    if let super::Transport::WebSocket(websocket) = &settings.transport {
        let session = ws::session(
            &mut io,
            &settings.host,
            settings.port,
            websocket,
            settings.mqtt.as_ref(),
            verified && alive,
            budget.deadline,
        )
        .await;
        probe.timings.upgrade = Some(session.upgrade_millis);
        probe.timings.mqtt = session.mqtt_millis;
        probe.upgrade = Some(session.upgrade);
        probe.mqtt = session.mqtt;
        return Ok(probe);
    }

    if settings.mqtt.is_none() {
        if let Some(request) = &settings.https {
            if !verified {
                probe.https = Some(request.not_sent(UNVERIFIED));
            } else if !alive {
                probe.https =
                    Some(request.not_sent("the tls session ended right after the handshake"));
            } else {
                let started = Instant::now();
                let host = probe.tls.sni.clone().unwrap_or_else(|| {
                    HostPort {
                        host: bare_host(&settings.host).to_string(),
                        port: settings.port,
                    }
                    .authority()
                });
                let exchange = https::exchange(&mut io, &host, request, budget.deadline).await;
                probe.timings.https = Some(millis(started));
                // As with MQTT: a TLS 1.3 server silent through the settle wait may still be
                // rejecting our certificate now.
                if matches!(settled, Settle::Quiet) {
                    if let Some(alert) = exchange.alert {
                        probe.client_auth.rejection = Some(alert_name(alert));
                    }
                }
                probe.https = Some(Https {
                    purpose: request.purpose.clone(),
                    outcome: exchange.outcome,
                });
            }
            return Ok(probe);
        }
    }

    match &settings.mqtt {
        None => {
            if alive {
                let _ = timeout_at(budget.deadline, io.close()).await;
            }
        }
        Some(_) if !verified => {
            probe.mqtt = Some(MqttOutcome::NotSent {
                reason: UNVERIFIED.to_string(),
            });
        }
        Some(_) if !alive => {
            probe.mqtt = Some(MqttOutcome::NotSent {
                reason: "the tls session ended right after the handshake".to_string(),
            });
        }
        Some(mqtt_settings) => {
            let turn = match &settings.mqtt_turn {
                Some(turn) => match timeout_at(budget.deadline, turn.0.lock()).await {
                    Ok(guard) => Some(guard),
                    Err(_elapsed) => {
                        probe.mqtt = Some(MqttOutcome::NotSent {
                            reason: format!(
                                "no time left: another probe with the same client id used the \
                                 rest of the {} for its MQTT exchange",
                                seconds(budget.total)
                            ),
                        });
                        return Ok(probe);
                    }
                },
                None => None,
            };
            let started = Instant::now();
            let exchange = mqtt::exchange(&mut io, mqtt_settings, budget.deadline).await;
            drop(turn);
            probe.timings.mqtt = Some(millis(started));
            // Only a TLS 1.3 server that stayed silent through the settle wait may still be
            // rejecting our certificate now.
            if matches!(settled, Settle::Quiet) {
                probe.client_auth.rejection = exchange.alert.map(alert_name);
            }
            probe.mqtt = Some(exchange.outcome);
        }
    }
    Ok(probe)
}

/// The resolve phase on its own, by `deadline`: an IP literal is not looked up.
pub(super) async fn resolve_alone(
    host: &str,
    port: u16,
    timeout: Duration,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, NetError> {
    let dial = HostPort {
        host: bare_host(host).to_string(),
        port,
    };
    resolve(&dial, Budget::until(deadline, timeout)).await
}

/// The connect phase on its own, by `deadline`: each address in turn, as a probe tries
/// them; the connection is closed at once. Returns the address that accepted.
pub(super) async fn connect_alone(
    addresses: &[SocketAddr],
    timeout: Duration,
    deadline: Instant,
) -> Result<SocketAddr, NetError> {
    let dial = match addresses.first() {
        Some(first) => HostPort {
            host: first.ip().to_string(),
            port: first.port(),
        },
        None => return Err(NetError::Settings("no address to connect to".to_string())),
    };
    let (tcp, address) = connect(addresses, &dial, Budget::until(deadline, timeout)).await?;
    drop(tcp);
    Ok(address)
}

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The client a probe drives: the rustls connection configured from the settings, what its
/// verifier and resolver observe, and the SNI it sends.
pub(super) struct Client {
    pub conn: ClientConnection,
    pub observed: Arc<Observed>,
    pub sni: Option<String>,
}

/// Builds the probe's client: the one place its TLS configuration is made (the network probe
/// and the in-memory replay both use it).
pub(super) fn client(
    settings: &ProbeSettings,
    chain_ok: Arc<ChainCheck>,
) -> Result<Client, NetError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let observed = Arc::new(Observed::default());
    let identity = load_identity(settings.client.as_ref(), &provider)?;
    let (server_name, sni) = server_name(settings)?;
    let config = client_config(
        settings,
        provider,
        &observed,
        chain_ok,
        identity,
        sni.is_some(),
    )?;
    let conn = ClientConnection::new(Arc::new(config), server_name)
        .map_err(|error| NetError::Settings(error.to_string()))?;
    Ok(Client {
        conn,
        observed,
        sni,
    })
}

fn load_identity(
    client: Option<&ClientIdentity>,
    provider: &CryptoProvider,
) -> Result<Option<Arc<CertifiedKey>>, NetError> {
    let Some(client) = client else {
        return Ok(None);
    };
    if client.chain.is_empty() {
        return Err(NetError::ClientKey(
            "no client certificate goes with the key".to_string(),
        ));
    }
    let key = provider
        .key_provider
        .load_private_key(client.key.clone_key())
        .map_err(|error| NetError::ClientKey(error.to_string()))?;
    Ok(Some(Arc::new(CertifiedKey::new(client.chain.clone(), key))))
}

/// The name rustls is given, and the SNI it will actually send.
fn server_name(
    settings: &ProbeSettings,
) -> Result<(ServerName<'static>, Option<String>), NetError> {
    match &settings.sni {
        Some(name) => {
            let server_name = ServerName::try_from(bare_host(name).to_string()).map_err(|_| {
                NetError::Settings(format!("{name:?} cannot be sent as SNI: not a DNS name"))
            })?;
            // rustls never sends an IP address as SNI (RFC 6066 forbids it).
            let sent = matches!(server_name, ServerName::DnsName(_)).then(|| name.clone());
            Ok((server_name, sent))
        }
        None => {
            // rustls wants a name even when none is sent; with SNI disabled it stays in the
            // process, and the capture verifier ignores it.
            let server_name = ServerName::try_from(bare_host(&settings.host).to_string())
                .unwrap_or(ServerName::IpAddress(Ipv4Addr::LOCALHOST.into()));
            Ok((server_name, None))
        }
    }
}

fn client_config(
    settings: &ProbeSettings,
    provider: Arc<CryptoProvider>,
    observed: &Arc<Observed>,
    chain_ok: Arc<ChainCheck>,
    identity: Option<Arc<CertifiedKey>>,
    send_sni: bool,
) -> Result<ClientConfig, NetError> {
    let versions: &[&'static rustls::SupportedProtocolVersion] = match settings.versions {
        TlsVersions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12 => &[&rustls::version::TLS12],
        TlsVersions::Tls13 => &[&rustls::version::TLS13],
    };
    let verifier = CaptureVerifier::new(
        provider.signature_verification_algorithms,
        settings.sig,
        Arc::clone(observed),
        chain_ok,
        identity.is_some(),
    );
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|error| NetError::Settings(error.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_cert_resolver(Arc::new(RecordingResolver::new(
            identity,
            Arc::clone(observed),
        )));
    config.alpn_protocols = settings.alpn.clone();
    config.enable_sni = send_sni;
    config.resumption = Resumption::store(Arc::new(TicketCounter::new(Arc::clone(observed))))
        .tls12_resumption(Tls12Resumption::Disabled);
    Ok(config)
}

async fn resolve(dial: &HostPort, budget: Budget) -> Result<Vec<SocketAddr>, NetError> {
    resolve_with(dial, budget, |host, port| async move {
        tokio::net::lookup_host((host.as_str(), port))
            .await
            .map(Iterator::collect)
    })
    .await
}

/// Resolves with `lookup` (the system resolver, or a stand-in in tests); an IP literal is
/// never looked up.
async fn resolve_with<Lookup, Answer>(
    dial: &HostPort,
    budget: Budget,
    lookup: Lookup,
) -> Result<Vec<SocketAddr>, NetError>
where
    Lookup: FnOnce(String, u16) -> Answer,
    Answer: std::future::Future<Output = std::io::Result<Vec<SocketAddr>>>,
{
    if let Some(ip) = dial.ip() {
        return Ok(vec![SocketAddr::new(ip, dial.port)]);
    }
    match timeout_at(budget.deadline, lookup(dial.host.clone(), dial.port)).await {
        Err(_elapsed) => Err(NetError::Timeout {
            phase: Phase::Resolve,
            target: dial.host.clone(),
            after: budget.total,
        }),
        Ok(Err(error)) if crate::descriptors::exhausted(&error) => Err(NetError::Descriptors {
            phase: Phase::Resolve,
            source: error,
        }),
        Ok(Err(error)) => Err(NetError::Resolve {
            host: dial.host.clone(),
            detail: error.to_string(),
        }),
        Ok(Ok(addresses)) if addresses.is_empty() => Err(NetError::Resolve {
            host: dial.host.clone(),
            detail: "the name has no addresses".to_string(),
        }),
        Ok(Ok(addresses)) => Ok(addresses),
    }
}

/// Tries each address in turn, within the probe's budget.
async fn connect(
    addresses: &[SocketAddr],
    dial: &HostPort,
    budget: Budget,
) -> Result<(TcpStream, SocketAddr), NetError> {
    let attempts = async {
        let mut last_error = None;
        for address in addresses {
            match TcpStream::connect(address).await {
                Ok(tcp) => return Ok((tcp, *address)),
                Err(error) => last_error = Some((*address, error)),
            }
        }
        Err(last_error)
    };
    match timeout_at(budget.deadline, attempts).await {
        Ok(Ok((tcp, address))) => {
            // Handshake flights are written whole; Nagle would only delay them.
            let _ = tcp.set_nodelay(true);
            Ok((tcp, address))
        }
        Ok(Err(Some((_, source)))) if crate::descriptors::exhausted(&source) => {
            Err(NetError::Descriptors {
                phase: Phase::Connect,
                source,
            })
        }
        Ok(Err(Some((address, source)))) => Err(NetError::Connect {
            addr: address.to_string(),
            source,
        }),
        Ok(Err(None)) => Err(NetError::Resolve {
            host: dial.host.clone(),
            detail: "the name has no addresses".to_string(),
        }),
        Err(_elapsed) => Err(NetError::Timeout {
            phase: Phase::Connect,
            target: match addresses {
                [only] => only.to_string(),
                _ => dial.authority(),
            },
            after: budget.total,
        }),
    }
}

/// A handshake that failed after the server's Certificate, in words.
struct HandshakeFailure {
    text: String,
    alert: Option<AlertDescription>,
}

impl HandshakeFailure {
    fn from_failure(failure: Failure) -> Self {
        let (text, alert) = match failure {
            Failure::Tls(rustls::Error::AlertReceived(alert)) => (
                format!("the server sent the alert {}", alert_name(alert)),
                Some(alert),
            ),
            Failure::Tls(error) => (tls_error_words(&error), None),
            Failure::Eof => ("the server closed the connection".to_string(), None),
            Failure::Io(error) => (error.to_string(), None),
            Failure::NotTls(bytes) => (
                format!(
                    "the server sent bytes that are not TLS: {:?}",
                    preview(&bytes)
                ),
                None,
            ),
        };
        Self { text, alert }
    }
}

/// The one translation of a handshake failure (before any certificate) into an error.
fn handshake_error(failure: Failure, addr: String) -> NetError {
    use std::io::ErrorKind;
    match failure {
        Failure::NotTls(bytes) => NetError::NotTls {
            addr,
            preview: preview(&bytes),
        },
        Failure::Eof => NetError::Closed { addr },
        Failure::Io(error)
            if matches!(
                error.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            ) =>
        {
            NetError::Closed { addr }
        }
        Failure::Io(source) => NetError::io(Phase::TlsHandshake, source),
        Failure::Tls(rustls::Error::AlertReceived(alert)) => {
            let name = alert_name(alert);
            NetError::Handshake {
                addr,
                detail: format!("the server sent the alert {name}"),
                alert: Some(name),
            }
        }
        Failure::Tls(error) => NetError::Handshake {
            addr,
            detail: tls_error_words(&error),
            alert: None,
        },
    }
}

/// rustls's words, with the one case a field engineer needs explained spelled out.
fn tls_error_words(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidMessage(rustls::InvalidMessage::HandshakePayloadTooLarge) => {
            "the server sent a handshake message (usually its certificate chain) larger than \
             the 64 KiB a TLS client accepts; devices with small TLS buffers fail far earlier"
                .to_string()
        }
        other => other.to_string(),
    }
}

/// How the wait after a TLS 1.3 handshake ended.
enum Settle {
    NotNeeded,
    Ticket,
    ApplicationData,
    /// Nothing arrived within the wait.
    Quiet,
    Alert(AlertDescription),
    Closed,
    Failed(String),
}

async fn settle(io: &mut TlsIo, observed: &Observed, until: tokio::time::Instant) -> Settle {
    let watch = async {
        loop {
            if observed.tickets() > 0 {
                return Settle::Ticket;
            }
            match io.read_once().await {
                Ok(progress) if progress.plaintext > 0 => return Settle::ApplicationData,
                Ok(progress) if progress.peer_closed => return Settle::Closed,
                Ok(_) => {}
                Err(Failure::Tls(rustls::Error::AlertReceived(alert))) => {
                    return Settle::Alert(alert)
                }
                Err(Failure::Tls(error)) => return Settle::Failed(tls_error_words(&error)),
                Err(Failure::Eof | Failure::Io(_) | Failure::NotTls(_)) => return Settle::Closed,
            }
        }
    };
    timeout_at(until, watch).await.unwrap_or(Settle::Quiet)
}

fn facts(conn: &ClientConnection, sni: Option<String>) -> TlsFacts {
    let version = match conn.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|suite| {
            let suite = suite.suite();
            suite
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("{suite:?}"))
        })
        .unwrap_or_default();
    let key_exchange_group = conn.negotiated_key_exchange_group().map(|group| {
        let name = group.name();
        name.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{name:?}"))
    });
    TlsFacts {
        version,
        cipher_suite,
        key_exchange_group,
        alpn: conn
            .alpn_protocol()
            .map(|protocol| String::from_utf8_lossy(protocol).into_owned()),
        sni,
    }
}

fn client_auth(observed: &Observed) -> ClientAuth {
    match observed.request() {
        None => ClientAuth::default(),
        Some(request) => ClientAuth {
            requested: true,
            acceptable_ca_names: request.ca_names,
            signature_schemes: request.schemes,
            sent: request.sent && !observed.withheld(),
            withheld: observed.withheld(),
            rejection: None,
        },
    }
}

/// An alert as JSON names it: rustls's `BadCertificate` becomes "bad_certificate".
pub(super) fn alert_name(alert: AlertDescription) -> String {
    let Some(camel) = alert.as_str() else {
        return format!("unknown_alert_{}", u8::from(alert));
    };
    // A word starts at an upper-case letter after a lower-case one, or at the last capital of
    // an acronym ("UnknownPSKIdentity": unknown, psk, identity).
    let characters: Vec<char> = camel.chars().collect();
    let mut snake = String::with_capacity(camel.len() + 4);
    for (index, character) in characters.iter().enumerate() {
        let previous = index.checked_sub(1).map(|before| characters[before]);
        let next = characters.get(index + 1);
        let starts_word = character.is_ascii_uppercase()
            && match previous {
                None => false,
                Some(previous) if previous.is_ascii_lowercase() => true,
                Some(_) => next.is_some_and(|next| next.is_ascii_lowercase()),
            };
        if starts_word {
            snake.push('_');
        }
        snake.push(character.to_ascii_lowercase());
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(total: Duration) -> Budget {
        Budget {
            deadline: tokio::time::Instant::now() + total,
            total,
        }
    }

    fn dial(host: &str) -> HostPort {
        HostPort {
            host: host.to_string(),
            port: 8883,
        }
    }

    // The system resolver is never asked: names are answered by stand-ins.
    #[tokio::test]
    async fn resolution_failures_are_named() {
        let limit = budget(Duration::from_millis(100));
        let error = resolve_with(&dial("a.example"), limit, |_, _| async {
            Err(std::io::Error::other("no such host"))
        })
        .await
        .expect_err("lookup failed");
        assert_eq!(error.phase(), "resolve");
        assert!(
            error
                .to_string()
                .starts_with("could not resolve a.example: no such host; check the endpoint name"),
            "{error}"
        );

        let error = resolve_with(&dial("a.example"), limit, |_, _| async { Ok(Vec::new()) })
            .await
            .expect_err("no addresses");
        assert!(
            error.to_string().contains("the name has no addresses"),
            "{error}"
        );

        let error = resolve_with(&dial("a.example"), limit, |_, _| std::future::pending())
            .await
            .expect_err("silent resolver");
        assert!(
            matches!(
                error,
                NetError::Timeout {
                    phase: Phase::Resolve,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .starts_with("resolving a.example timed out"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn ip_literals_are_not_looked_up() {
        let addresses = resolve_with(
            &dial("::1"),
            budget(Duration::from_millis(100)),
            |_, _| async { Err(std::io::Error::other("must not be asked")) },
        )
        .await
        .expect("an IP literal needs no lookup");
        assert_eq!(addresses, vec!["[::1]:8883".parse().expect("address")]);
    }

    #[test]
    fn alert_names_are_snake_case() {
        assert_eq!(
            alert_name(AlertDescription::BadCertificate),
            "bad_certificate"
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::CertificateRequired),
            "certificate_required"
        );
        assert_eq!(
            alert_name(AlertDescription::CertificateExpired),
            "certificate_expired"
        );
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
        assert_eq!(
            alert_name(AlertDescription::UnknownPSKIdentity),
            "unknown_psk_identity"
        );
        assert_eq!(
            alert_name(AlertDescription::Unknown(200)),
            "unknown_alert_200"
        );
    }
}
