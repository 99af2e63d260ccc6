//! MQTT over WebSocket (`--transport wss`): the HTTP upgrade over the probe's own TLS stream
//! (whose chain was verified first), and the WebSocket as a byte stream for the MQTT layer.
//!
//! tungstenite writes the GET, reads and checks the answer (status 101, `Upgrade`,
//! `Connection`, `Sec-WebSocket-Accept`, the subprotocol) and frames the bytes; it has no TLS
//! of its own. Its handshake reads at most 64 KiB of answer headers. A refusal (403, 426, ...)
//! is read to the end of its body, up to [`MAX_BODY`], within the probe's deadline, so that
//! AWS IoT's reason ("Signature expired", "does not match") can be reported.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::time::timeout_at;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::{mqtt, MqttOutcome, MqttSettings, UpgradeOutcome, WebSocketAuth, WebSocketSettings};

/// The most of a refusal's body that is read and kept: AWS IoT's are a few hundred bytes.
pub(super) const MAX_BODY: usize = 8 * 1024;

/// An MQTT packet in this exchange is small; a frame or message above this is not a broker.
const MAX_MESSAGE: usize = 256 * 1024;

/// The GET that asks for the upgrade: where, and what it carries beside the standard headers.
pub(super) struct UpgradeRequest {
    /// `wss://host[:port]/path?query`, the query possibly presigned.
    pub url: String,
    /// Headers to add (custom authentication's), name and value.
    pub headers: Vec<(String, String)>,
    /// The values that must never be shown (signature, token, authorizer token): removed
    /// from anything the server sends back before it is reported.
    pub secrets: Vec<String>,
}

/// What a WebSocket session showed: the upgrade's answer, then MQTT's when asked for.
pub(super) struct Session {
    pub upgrade: UpgradeOutcome,
    pub upgrade_millis: f64,
    pub mqtt: Option<MqttOutcome>,
    pub mqtt_millis: Option<f64>,
}

/// The upgrade, and MQTT over the WebSocket when `mqtt` is set, on the probe's TLS stream.
/// `allowed` is false when the chain did not verify (or the session is gone): then nothing
/// is sent, neither the signed request nor a CONNECT.
pub(super) async fn session<S>(
    stream: &mut S,
    host: &str,
    port: u16,
    settings: &WebSocketSettings,
    mqtt: Option<&MqttSettings>,
    allowed: bool,
    deadline: tokio::time::Instant,
) -> Session
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let started = Instant::now();
    let not_sent = |reason: String| Session {
        upgrade: UpgradeOutcome::NotSent {
            reason: reason.clone(),
        },
        upgrade_millis: 0.0,
        mqtt: mqtt.map(|_| MqttOutcome::NotSent {
            reason: "the WebSocket upgrade was not asked for".to_string(),
        }),
        mqtt_millis: None,
    };
    if !allowed {
        return not_sent(
            "the served chain did not verify (or the TLS session ended); nothing is sent over \
             an unverified connection"
                .to_string(),
        );
    }
    let request = match request(host, port, settings) {
        Ok(request) => request,
        Err(reason) => return not_sent(reason),
    };
    let answer = upgrade(stream, &request, deadline).await;
    let (socket, upgrade) = match answer {
        Answer::Switched(socket, outcome) => (Some(socket), outcome),
        Answer::Failed(outcome) => (None, outcome),
        Answer::Refused(refusal) => (None, refusal.read_rest(stream, deadline).await),
    };
    let upgrade_millis = started.elapsed().as_secs_f64() * 1000.0;
    let Some(socket) = socket else {
        return Session {
            upgrade,
            upgrade_millis,
            mqtt: mqtt.map(|_| MqttOutcome::NotSent {
                reason: "the WebSocket upgrade did not succeed".to_string(),
            }),
            mqtt_millis: None,
        };
    };
    let mut bytes = WsBytes::new(socket);
    let (mqtt, mqtt_millis) = match mqtt {
        Some(mqtt_settings) => {
            let started = Instant::now();
            let exchange = mqtt::exchange(&mut bytes, mqtt_settings, deadline).await;
            (
                Some(exchange.outcome),
                Some(started.elapsed().as_secs_f64() * 1000.0),
            )
        }
        None => {
            let _ = timeout_at(deadline, tokio::io::AsyncWriteExt::shutdown(&mut bytes)).await;
            (None, None)
        }
    };
    Session {
        upgrade,
        upgrade_millis,
        mqtt,
        mqtt_millis,
    }
}

/// The GET for these settings: `wss://host[:port]/path`, presigned or with the authorizer's
/// headers.
fn request(host: &str, port: u16, settings: &WebSocketSettings) -> Result<UpgradeRequest, String> {
    let host = super::address::bare_host(host);
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let authority = if port == 443 {
        host
    } else {
        format!("{host}:{port}")
    };
    match &settings.auth {
        WebSocketAuth::CustomAuth(authorizer) => Ok(UpgradeRequest {
            url: format!("wss://{authority}{}", settings.path),
            headers: authorizer.parameters(),
            secrets: authorizer.secrets(),
        }),
        #[cfg(feature = "aws")]
        WebSocketAuth::SigV4 {
            credentials,
            region,
            time,
        } => {
            let presigned =
                super::ws_sign::presign(&authority, &settings.path, region, credentials, *time)?;
            Ok(UpgradeRequest {
                url: presigned.url,
                headers: Vec::new(),
                secrets: presigned.secrets,
            })
        }
        #[cfg(not(feature = "aws"))]
        WebSocketAuth::SigV4 { .. } => Err(
            "this iotcheck was built without AWS support (cargo feature `aws`): it cannot sign"
                .to_string(),
        ),
    }
}

/// The answer to the upgrade request.
pub(super) enum Answer<W> {
    /// 101: the WebSocket, ready for MQTT.
    Switched(W, UpgradeOutcome),
    /// Another status: its body is still to be read with [`Refusal::read_rest`].
    Refused(Refusal),
    /// No valid answer, or the request was not sent.
    Failed(UpgradeOutcome),
}

/// A refusal as its headers arrived.
pub(super) struct Refusal {
    status: u16,
    reason: String,
    error_type: Option<String>,
    length: Option<usize>,
    body: Vec<u8>,
    started: Instant,
    secrets: Vec<String>,
}

impl Refusal {
    /// Reads the rest of the body from the stream the answer came on, then says what it was.
    pub async fn read_rest<S: AsyncRead + Unpin>(
        mut self,
        stream: &mut S,
        deadline: tokio::time::Instant,
    ) -> UpgradeOutcome {
        read_body(stream, &mut self.body, self.length, deadline).await;
        self.body.truncate(MAX_BODY);
        UpgradeOutcome::Refused {
            status: self.status,
            reason: self.reason,
            error_type: self.error_type,
            body: redact(&printable(&self.body), &self.secrets),
            millis: self.started.elapsed().as_secs_f64() * 1000.0,
        }
    }
}

/// Asks for the upgrade over `stream` by `deadline`.
pub(super) async fn upgrade<'s, S>(
    stream: &'s mut S,
    request: &UpgradeRequest,
    deadline: tokio::time::Instant,
) -> Answer<WebSocketStream<&'s mut S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let started = Instant::now();
    let millis = || started.elapsed().as_secs_f64() * 1000.0;
    let mut http = match request.url.as_str().into_client_request() {
        Ok(http) => http,
        Err(error) => {
            return Answer::Failed(UpgradeOutcome::NotSent {
                reason: format!(
                    "the upgrade request cannot be built: {}",
                    redact(&error.to_string(), &request.secrets)
                ),
            })
        }
    };
    let headers = http.headers_mut();
    headers.insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
    for (name, value) in &request.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Answer::Failed(UpgradeOutcome::NotSent {
                reason: format!("the header {name:?} cannot be sent: not valid in HTTP"),
            });
        };
        headers.insert(name, value);
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let handshake = tokio_tungstenite::client_async_with_config(http, stream, Some(config));
    let answer = match timeout_at(deadline, handshake).await {
        Err(_elapsed) => return Answer::Failed(UpgradeOutcome::TimedOut { millis: millis() }),
        Ok(answer) => answer,
    };
    match answer {
        Ok((socket, response)) => {
            let subprotocol = response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|value| value.to_str().ok())
                .map(str::to_string);
            Answer::Switched(
                socket,
                UpgradeOutcome::Switched {
                    millis: millis(),
                    subprotocol,
                },
            )
        }
        Err(WsError::Http(response)) => {
            let status = response.status();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .map(|value| redact(value, &request.secrets))
            };
            Answer::Refused(Refusal {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_string(),
                error_type: header("x-amzn-ErrorType"),
                length: header("content-length").and_then(|text| text.trim().parse().ok()),
                body: response.body().clone().unwrap_or_default(),
                started,
                secrets: request.secrets.clone(),
            })
        }
        Err(error) => Answer::Failed(UpgradeOutcome::Failed {
            detail: redact(&failure_words(&error), &request.secrets),
            millis: millis(),
        }),
    }
}

/// Reads the rest of a refusal's body: to its Content-Length (or the peer's close when none
/// was given), never more than [`MAX_BODY`], never past `deadline`. What came is kept.
async fn read_body<S: AsyncRead + Unpin>(
    stream: &mut S,
    body: &mut Vec<u8>,
    length: Option<usize>,
    deadline: tokio::time::Instant,
) {
    let wanted = length.unwrap_or(MAX_BODY).min(MAX_BODY);
    let mut chunk = [0u8; 2048];
    while body.len() < wanted {
        match timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
}

/// What went wrong in the upgrade other than a refusal, in words.
fn failure_words(error: &WsError) -> String {
    match error {
        WsError::AttackAttempt => "the answer to the upgrade request has headers larger than \
                                   64 KiB (or arrives in hundreds of tiny pieces): not an AWS IoT \
                                   endpoint"
            .to_string(),
        WsError::Capacity(capacity) => format!(
            "the answer to the upgrade request is too large ({capacity}): not an AWS IoT endpoint"
        ),
        WsError::Protocol(protocol) => {
            format!("the server's answer is not a valid WebSocket upgrade: {protocol}")
        }
        WsError::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
            "the server closed the connection without answering the upgrade request".to_string()
        }
        other => format!("the upgrade failed: {other}"),
    }
}

/// Text from a server made fit to show: printable ASCII and line breaks kept, the rest
/// escaped.
fn printable(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .flat_map(|character| match character {
            '\n' | '\r' | '\t' => vec![' '],
            ' '..='~' => vec![character],
            other => other.escape_default().collect(),
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `text` with every secret (and its percent-encoded form) replaced: a server may echo the
/// request back.
pub(super) fn redact(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|secret| secret.len() >= 4) {
        let encoded: String =
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>();
        let percent: String =
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        for form in [secret.as_str(), encoded.as_str(), percent.as_str()] {
            if text.contains(form) {
                text = text.replace(form, "<redacted>");
            }
        }
    }
    text
}

/// The WebSocket as the MQTT layer sees it: a byte stream, each write one binary message
/// (as AWS IoT expects: MQTT in binary frames), reads taking binary messages in order.
/// Pings are answered by tungstenite; a text message is a protocol error; the server's Close
/// is the end of the stream.
pub(super) struct WsBytes<S> {
    socket: WebSocketStream<S>,
    received: bytes::Bytes,
}

impl<S> WsBytes<S> {
    pub fn new(socket: WebSocketStream<S>) -> Self {
        Self {
            socket,
            received: bytes::Bytes::new(),
        }
    }
}

fn io_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(io) => io,
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            io::Error::new(io::ErrorKind::ConnectionAborted, "the WebSocket is closed")
        }
        other => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("WebSocket protocol: {other}"),
        ),
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsBytes<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.received.is_empty() {
                let n = this.received.len().min(buf.remaining());
                buf.put_slice(&this.received.split_to(n));
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut this.socket).poll_next(cx)) {
                None | Some(Ok(Message::Close(_))) => return Poll::Ready(Ok(())),
                Some(Ok(Message::Binary(data))) => this.received = data,
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the server sent a text message: MQTT over WebSocket is binary",
                    )))
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsBytes<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let socket = &mut self.get_mut().socket;
        ready!(Pin::new(&mut *socket).poll_ready(cx)).map_err(io_error)?;
        Pin::new(&mut *socket)
            .start_send(Message::Binary(bytes::Bytes::copy_from_slice(data)))
            .map_err(io_error)?;
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket)
            .poll_flush(cx)
            .map_err(io_error)
    }

    /// Sends the WebSocket Close and waits for it to go out (not for the server's).
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(Pin::new(&mut self.get_mut().socket).poll_close(cx)) {
            Ok(()) | Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => Poll::Ready(Ok(())),
            Err(error) => Poll::Ready(Err(io_error(error))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn deadline() -> tokio::time::Instant {
        // A hang bound only: every exchange here ends at once.
        tokio::time::Instant::now() + std::time::Duration::from_secs(30)
    }

    fn request() -> UpgradeRequest {
        UpgradeRequest {
            url: "wss://example.com/mqtt?X-Amz-Signature=abcdef0123".to_string(),
            headers: vec![("x-amz-customauthorizer-name".into(), "auth".into())],
            secrets: vec!["abcdef0123".to_string()],
        }
    }

    /// A server that reads the request and answers with `answer`, then closes.
    async fn answered(answer: Vec<u8>) -> (UpgradeOutcome, String) {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        let serve = tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut chunk = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = server.read(&mut chunk).await.expect("read");
                seen.extend_from_slice(&chunk[..n]);
            }
            let _ = server.write_all(&answer).await;
            let _ = server.shutdown().await;
            String::from_utf8_lossy(&seen).into_owned()
        });
        let outcome = match upgrade(&mut client, &request(), deadline()).await {
            Answer::Switched(_, outcome) | Answer::Failed(outcome) => outcome,
            Answer::Refused(refusal) => refusal.read_rest(&mut client, deadline()).await,
        };
        (outcome, serve.await.expect("server"))
    }

    #[tokio::test]
    async fn a_refusal_is_read_with_its_body_and_secrets_removed() {
        let body = r#"{"message":"Signature expired: 20260101T000000Z is now earlier than 20260102T000000Z; sig abcdef0123"}"#;
        let answer = format!(
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-amzn-ErrorType: ForbiddenException:\r\n\r\n{body}",
            body.len()
        );
        let (outcome, request) = answered(answer.into_bytes()).await;
        assert!(request.starts_with("GET /mqtt?X-Amz-Signature=abcdef0123 HTTP/1.1\r\n"));
        assert!(request
            .to_ascii_lowercase()
            .contains("sec-websocket-protocol: mqtt\r\n"));
        assert!(request.contains("x-amz-customauthorizer-name: auth\r\n"));
        let UpgradeOutcome::Refused {
            status,
            error_type,
            body,
            ..
        } = outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!(status, 403);
        assert_eq!(error_type.as_deref(), Some("ForbiddenException:"));
        assert!(body.contains("Signature expired"), "{body}");
        assert!(!body.contains("abcdef0123"), "{body}");
    }

    #[tokio::test]
    async fn oversized_headers_end_the_upgrade() {
        let mut long = b"HTTP/1.1 101 Switching Protocols\r\nX-Filler: ".to_vec();
        long.resize(200 * 1024, b'a');
        let mut many = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
        for _ in 0..200 {
            many.extend_from_slice(b"X-Filler: a\r\n");
        }
        many.extend_from_slice(b"\r\n");
        for (answer, words) in [(long, "64 KiB"), (many, "too large")] {
            let (outcome, _) = answered(answer).await;
            let UpgradeOutcome::Failed { detail, .. } = outcome else {
                panic!("{outcome:?}")
            };
            assert!(detail.contains(words), "{detail}");
        }
    }

    #[tokio::test]
    async fn a_large_refusal_body_is_cut() {
        let answer = format!(
            "HTTP/1.1 426 Upgrade Required\r\ncontent-length: {}\r\n\r\n{}",
            1 << 20,
            "x".repeat(1 << 20)
        );
        let (outcome, _) = answered(answer.into_bytes()).await;
        let UpgradeOutcome::Refused { status, body, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(status, 426);
        assert_eq!(body.len(), MAX_BODY);
    }

    #[test]
    fn secrets_are_redacted_in_every_form() {
        let secrets = vec!["a/b+c=".to_string()];
        assert_eq!(redact("x a/b+c= y", &secrets), "x <redacted> y");
        assert_eq!(redact("x a%2Fb%2Bc%3D y", &secrets), "x <redacted> y");
    }
}
