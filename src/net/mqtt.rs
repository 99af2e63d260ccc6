//! The MQTT 3.1.1 exchange over an established byte stream: CONNECT, CONNACK, DISCONNECT.
//! Packets are encoded and decoded by rumqttc's codec, never by hand.
//!
//! The stream is anything `AsyncRead + AsyncWrite + Unpin`: the verified TLS session of a
//! probe, or a WebSocket carrying MQTT over it. A TLS alert that ends the stream is found
//! inside the `io::Error` (`InvalidData` around a `rustls::Error`, as [`super::tls::TlsIo`]
//! and tokio-rustls report it).

use std::io;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout_at;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{ConnAck, Connect, ConnectReturnCode, Packet};
use rumqttc::mqttbytes::Error as CodecError;

use super::{MqttOutcome, MqttSettings};

/// A CONNACK is 4 bytes; anything bigger than this before it is not an MQTT broker talking.
const MAX_PACKET: usize = 64 * 1024;

/// How the exchange ended, and the alert that ended it, if one did.
pub(super) struct Exchange {
    pub outcome: MqttOutcome,
    pub alert: Option<rustls::AlertDescription>,
}

/// Sends CONNECT and waits until `deadline` (the probe's) for CONNACK; on acceptance says
/// goodbye properly (DISCONNECT, then the stream's shutdown).
pub(super) async fn exchange<S>(
    io: &mut S,
    settings: &MqttSettings,
    deadline: tokio::time::Instant,
) -> Exchange
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let start = Instant::now();
    let millis = || start.elapsed().as_secs_f64() * 1000.0;

    let mut connect = Connect::new(settings.client_id.clone());
    connect.keep_alive = settings.keep_alive_secs;
    connect.clean_session = true;
    if settings.username.is_some() || settings.password.is_some() {
        connect.set_login(
            settings.username.clone().unwrap_or_default(),
            settings.password.clone().unwrap_or_default(),
        );
    }
    let mut out = BytesMut::new();
    if let Err(error) = Packet::Connect(connect).write(&mut out, MAX_PACKET) {
        return Exchange {
            outcome: MqttOutcome::NotSent {
                reason: format!("the CONNECT packet cannot be encoded: {error}"),
            },
            alert: None,
        };
    }
    let sent = timeout_at(deadline, send(io, &out)).await;
    if !matches!(sent, Ok(Ok(()))) {
        return closed(millis(), None);
    }

    let answer = match timeout_at(deadline, read_connack(io)).await {
        Ok(answer) => answer,
        Err(_elapsed) => {
            return Exchange {
                outcome: MqttOutcome::TimedOut { millis: millis() },
                alert: None,
            }
        }
    };
    let elapsed = millis();
    match answer {
        Answer::ConnAck(ack) if ack.code == ConnectReturnCode::Success => {
            let mut goodbye = BytesMut::new();
            // A DISCONNECT is two fixed bytes; encoding it cannot fail below MAX_PACKET.
            if Packet::Disconnect.write(&mut goodbye, MAX_PACKET).is_ok() {
                let _ = timeout_at(deadline, send(io, &goodbye)).await;
            }
            let _ = timeout_at(deadline, io.shutdown()).await;
            Exchange {
                outcome: MqttOutcome::Accepted {
                    millis: elapsed,
                    session_present: ack.session_present,
                },
                alert: None,
            }
        }
        Answer::ConnAck(ack) => Exchange {
            outcome: MqttOutcome::Refused {
                code: ack.code as u8,
                reason: return_code_words(ack.code).to_string(),
                millis: elapsed,
            },
            alert: None,
        },
        Answer::UnknownCode(code) => Exchange {
            outcome: MqttOutcome::Refused {
                code,
                reason: "not an MQTT 3.1.1 return code (an MQTT 5 broker?)".to_string(),
                millis: elapsed,
            },
            alert: None,
        },
        Answer::Other(detail) => Exchange {
            outcome: MqttOutcome::Unexpected {
                detail,
                millis: elapsed,
            },
            alert: None,
        },
        Answer::Closed(alert) => closed(elapsed, alert),
    }
}

enum Answer {
    ConnAck(ConnAck),
    UnknownCode(u8),
    Other(String),
    Closed(Option<rustls::AlertDescription>),
}

/// Writes a whole packet and flushes it.
async fn send<S: AsyncWrite + Unpin>(io: &mut S, packet: &[u8]) -> io::Result<()> {
    io.write_all(packet).await?;
    io.flush().await
}

/// Reads until a whole packet arrived. Only a connection that ended (EOF, reset,
/// close_notify, an alert) is `Closed`, the broker's way of refusing; whatever else a peer
/// does instead of answering (too much, garbage, records that are not valid TLS) is `Other`.
async fn read_connack<S: AsyncRead + Unpin>(io: &mut S) -> Answer {
    let mut received = BytesMut::new();
    let mut chunk = vec![0u8; 4096];
    loop {
        if !received.is_empty() {
            let mut stream = received.clone();
            match Packet::read(&mut stream, MAX_PACKET) {
                Ok(Packet::ConnAck(ack)) => return Answer::ConnAck(ack),
                Ok(other) => {
                    return Answer::Other(format!(
                        "expected CONNACK, received {} ({} bytes)",
                        packet_name(&other),
                        other.size()
                    ))
                }
                Err(CodecError::InvalidConnectReturnCode(code)) => {
                    return Answer::UnknownCode(code)
                }
                Err(CodecError::InsufficientBytes(_)) => {}
                Err(error) => {
                    return Answer::Other(format!("malformed answer to CONNECT: {error}"))
                }
            }
        }
        if received.len() > MAX_PACKET {
            return Answer::Other(format!(
                "more than {MAX_PACKET} bytes without a complete packet"
            ));
        }
        match io.read(&mut chunk).await {
            Ok(0) => return Answer::Closed(None),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(error) => return read_failure(error),
        }
    }
}

/// What a failed read says: an alert or a disconnect ends the connection (`Closed`); invalid
/// TLS data or another error is `Other`.
fn read_failure(error: io::Error) -> Answer {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(alert) => Answer::Closed(Some(*alert)),
            other => Answer::Other(format!("the server sent invalid TLS data: {other}")),
        };
    }
    if is_disconnect(&error) {
        Answer::Closed(None)
    } else {
        Answer::Other(format!("reading the answer failed: {error}"))
    }
}

fn is_disconnect(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
    )
}

/// A packet's type as MQTT names it; the packet itself may be large and is not shown.
fn packet_name(packet: &Packet) -> &'static str {
    match packet {
        Packet::Connect(_) => "CONNECT",
        Packet::ConnAck(_) => "CONNACK",
        Packet::Publish(_) => "PUBLISH",
        Packet::PubAck(_) => "PUBACK",
        Packet::PubRec(_) => "PUBREC",
        Packet::PubRel(_) => "PUBREL",
        Packet::PubComp(_) => "PUBCOMP",
        Packet::Subscribe(_) => "SUBSCRIBE",
        Packet::SubAck(_) => "SUBACK",
        Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingReq => "PINGREQ",
        Packet::PingResp => "PINGRESP",
        Packet::Disconnect => "DISCONNECT",
    }
}

fn closed(millis: f64, alert: Option<rustls::AlertDescription>) -> Exchange {
    Exchange {
        outcome: MqttOutcome::Closed { millis },
        alert,
    }
}

/// The MQTT 3.1.1 meaning of a CONNACK return code (section 3.2.2.3).
fn return_code_words(code: ConnectReturnCode) -> &'static str {
    match code {
        ConnectReturnCode::Success => "connection accepted",
        ConnectReturnCode::RefusedProtocolVersion => "unacceptable protocol version",
        ConnectReturnCode::BadClientId => "identifier rejected",
        ConnectReturnCode::ServiceUnavailable => "server unavailable",
        ConnectReturnCode::BadUserNamePassword => "bad user name or password",
        ConnectReturnCode::NotAuthorized => "not authorized",
    }
}
