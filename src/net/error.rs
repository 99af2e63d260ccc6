//! Why a probe could not run: one error per phase, each saying what to try next.

use std::io;
use std::time::Duration;

/// A network phase, named as it appears in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Preparing the probe: settings, runtime.
    Setup,
    /// Loading the client private key into the crypto provider.
    ClientIdentity,
    Resolve,
    Connect,
    Proxy,
    TlsHandshake,
    PostHandshake,
    Mqtt,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::ClientIdentity => "client_identity",
            Phase::Resolve => "resolve",
            Phase::Connect => "connect",
            Phase::Proxy => "proxy",
            Phase::TlsHandshake => "tls_handshake",
            Phase::PostHandshake => "post_handshake",
            Phase::Mqtt => "mqtt",
        }
    }

    /// The phase as a person reads it before the name of the peer.
    fn before_peer(self) -> &'static str {
        match self {
            Phase::Setup => "preparing to probe",
            Phase::ClientIdentity => "loading the client key for",
            Phase::Resolve => "resolving",
            Phase::Connect => "tcp connect to",
            Phase::Proxy => "proxy CONNECT through",
            Phase::TlsHandshake => "tls handshake with",
            Phase::PostHandshake => "reading after the tls handshake with",
            Phase::Mqtt => "mqtt with",
        }
    }
}

/// The probe could not get as far as seeing a server certificate.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("invalid probe settings: {0}")]
    Settings(String),

    #[error("the client private key cannot be used: {0}")]
    ClientKey(String),

    #[error(
        "could not resolve {host}: {detail}; check the endpoint name \
         (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and the DNS server"
    )]
    Resolve { host: String, detail: String },

    #[error("tcp connect to {addr} failed: {source}; {}", connect_hint(.source))]
    Connect { addr: String, source: io::Error },

    #[error("HTTP proxy {proxy}: {detail}")]
    Proxy {
        proxy: String,
        /// The proxy's HTTP status, when it answered one.
        status: Option<u16>,
        detail: String,
    },

    #[error(
        "{} {target} timed out after {}: {}",
        .phase.before_peer(), seconds(*.after), timeout_hint(*.phase)
    )]
    Timeout {
        phase: Phase,
        target: String,
        after: Duration,
    },

    #[error(
        "the server at {addr} does not speak TLS{}: it answered {preview:?}; \
         check the port (AWS IoT: 8883 MQTT, 8443 HTTPS, 443 with ALPN)",
        if .preview.starts_with("HTTP/") { " (it answered like an HTTP server?)" } else { "" }
    )]
    NotTls { addr: String, preview: String },

    #[error("tls handshake with {addr} failed: {detail}{}", handshake_hint(.alert.as_deref()))]
    Handshake {
        addr: String,
        detail: String,
        /// The alert the server sent, snake_case, when the failure was an alert.
        alert: Option<String>,
    },

    #[error(
        "the server at {addr} closed the connection during the tls handshake, before sending \
         a certificate: servers do this when they refuse the SNI name, the ALPN protocol or \
         the TLS version offered, and so do middleboxes"
    )]
    Closed { addr: String },

    #[error("{} phase failed: {source}", .phase.as_str())]
    Io { phase: Phase, source: io::Error },

    /// This process (or the system) has no file descriptor left: a local limit, not the
    /// target's doing.
    #[error(
        "no file descriptor left for the {} phase ({source}): the open-file limit is reached \
         here, not by the target; lower --concurrency or raise the limit (ulimit -n)",
        .phase.as_str()
    )]
    Descriptors { phase: Phase, source: io::Error },

    #[error(
        "no time left to probe {target}: earlier probes of it used up the {} of --timeout; \
         give a longer --timeout", seconds(*.after)
    )]
    NoTimeLeft { target: String, after: Duration },
}

impl NetError {
    /// An I/O failure in `phase`: [`NetError::Descriptors`] when no descriptor was left.
    pub(super) fn io(phase: Phase, source: io::Error) -> NetError {
        if crate::descriptors::exhausted(&source) {
            NetError::Descriptors { phase, source }
        } else {
            NetError::Io { phase, source }
        }
    }

    /// A failure of this machine, not of the network or the target: the settings, the
    /// client's key, or no file descriptor left.
    pub fn is_local(&self) -> bool {
        matches!(
            self,
            NetError::Settings(_) | NetError::ClientKey(_) | NetError::Descriptors { .. }
        )
    }

    /// The phase that failed, as JSON names it.
    pub fn phase(&self) -> &'static str {
        match self {
            NetError::Settings(_) | NetError::NoTimeLeft { .. } => Phase::Setup.as_str(),
            NetError::ClientKey(_) => Phase::ClientIdentity.as_str(),
            NetError::Resolve { .. } => Phase::Resolve.as_str(),
            NetError::Connect { .. } => Phase::Connect.as_str(),
            NetError::Proxy { .. } => Phase::Proxy.as_str(),
            NetError::Timeout { phase, .. }
            | NetError::Io { phase, .. }
            | NetError::Descriptors { phase, .. } => phase.as_str(),
            NetError::NotTls { .. } | NetError::Handshake { .. } | NetError::Closed { .. } => {
                Phase::TlsHandshake.as_str()
            }
        }
    }
}

/// "10 s", "1.5 s": durations as people give them on the command line.
pub(super) fn seconds(duration: Duration) -> String {
    let text = format!("{:.3}", duration.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

fn connect_hint(source: &io::Error) -> &'static str {
    match source.kind() {
        io::ErrorKind::ConnectionRefused => {
            "nothing listens on that port (AWS IoT listens on 8883, 8443 and 443)"
        }
        _ => {
            "a firewall may block the port (8883 is often blocked on corporate networks: \
             try 443 with ALPN x-amzn-mqtt-ca, or an HTTP proxy)"
        }
    }
}

fn timeout_hint(phase: Phase) -> &'static str {
    match phase {
        Phase::Resolve => "the DNS server did not answer",
        Phase::Connect => {
            "nothing answered the TCP connection; a firewall probably drops the port \
             (8883 is often blocked: try 443 with ALPN x-amzn-mqtt-ca, or an HTTP proxy)"
        }
        Phase::Proxy => "the proxy accepted TCP but did not answer the CONNECT request",
        Phase::TlsHandshake => {
            "the server accepted TCP but did not complete the handshake in time; AWS IoT on \
             port 443 stays silent without ALPN x-amzn-mqtt-ca (MQTT) or x-amzn-http-ca (HTTPS), \
             elsewhere a firewall or middlebox may hold the connection"
        }
        Phase::PostHandshake | Phase::Mqtt => "the server stopped answering",
        Phase::Setup | Phase::ClientIdentity => "",
    }
}

fn handshake_hint(alert: Option<&str>) -> String {
    alert
        .and_then(|a| crate::alerts::advice(a, crate::alerts::AlertStage::Negotiation))
        .map(|advice| format!("; {advice}"))
        .unwrap_or_default()
}
