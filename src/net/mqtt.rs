//! The MQTT exchange over an established byte stream: CONNECT and CONNACK, then the
//! SUBSCRIBEs and PUBLISHes asked for, each waited for, then DISCONNECT. MQTT 3.1.1 or 5;
//! packets are encoded and decoded by rumqttc's codec (see `mqtt_codec`), never by hand.
//!
//! The stream is anything `AsyncRead + AsyncWrite + Unpin`: the verified TLS session of a
//! probe, or a WebSocket carrying MQTT over it. A TLS alert that ends the stream is found
//! inside the `io::Error` (`InvalidData` around a `rustls::Error`, as [`super::tls::TlsIo`]
//! and tokio-rustls report it). Everything is bounded by the caller's deadline; a peer that
//! never answers, sends more than a broker would, or keeps talking after it closed ends the
//! exchange with an outcome, never a hang.

use std::io;
use std::time::Instant;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout_at;

use super::mqtt_codec::{self as codec, DecodeError, Incoming};
use super::{
    MqttOperation, MqttOperationKind, MqttOperationResult, MqttOutcome, MqttReason, MqttSession,
    MqttSettings, MqttVersion,
};

/// A CONNACK is a few bytes (MQTT 5: with properties, a few hundred); anything bigger than
/// this before it is not an MQTT broker talking.
const MAX_CONNACK: usize = 64 * 1024;

/// The largest packet read after CONNACK (announced to an MQTT 5 broker as the Maximum
/// Packet Size): messages on a subscribed topic may come before the SUBACK; AWS IoT's
/// largest message is 128 KB.
const MAX_PACKET: usize = 256 * 1024;

/// How the exchange ended, and the alert that ended it, if one did.
pub(super) struct Exchange {
    pub outcome: MqttOutcome,
    pub alert: Option<rustls::AlertDescription>,
}

/// Sends CONNECT and waits until `deadline` (the probe's) for CONNACK; on acceptance
/// subscribes and publishes as `settings` asks, each answer waited for by the same deadline,
/// then says goodbye properly (DISCONNECT, then the stream's shutdown) if the broker did not
/// end the session.
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
    let version = settings.version;

    let out = match codec::connect(settings, MAX_PACKET, MAX_PACKET) {
        Ok(out) => out,
        Err(error) => {
            return Exchange {
                outcome: MqttOutcome::NotSent {
                    reason: format!("the CONNECT packet cannot be encoded: {error}"),
                },
                alert: None,
            }
        }
    };
    let sent = timeout_at(deadline, send(io, &out)).await;
    if !matches!(sent, Ok(Ok(()))) {
        return closed(millis(), None);
    }

    let mut reader = Reader::new(version, MAX_CONNACK);
    let answer = match timeout_at(deadline, reader.next(io)).await {
        Ok(answer) => answer,
        Err(_elapsed) => {
            return Exchange {
                outcome: MqttOutcome::TimedOut { millis: millis() },
                alert: None,
            }
        }
    };
    let elapsed = millis();
    let outcome = match answer {
        Read::Packet(Incoming::ConnAck {
            session_present,
            reason,
        }) if reason.code == 0 => {
            reader.max = MAX_PACKET;
            let (session, open) = run_session(io, &mut reader, settings, deadline).await;
            if open {
                if let Some(goodbye) = codec::disconnect(version, MAX_PACKET) {
                    let _ = timeout_at(deadline, send(io, &goodbye)).await;
                }
                let _ = timeout_at(deadline, io.shutdown()).await;
            }
            MqttOutcome::Accepted {
                millis: elapsed,
                session_present,
                session,
            }
        }
        Read::Packet(Incoming::ConnAck { reason, .. })
        | Read::Packet(Incoming::Disconnect(reason)) => refused(reason, elapsed),
        Read::UnknownCode(code) => MqttOutcome::Refused {
            code,
            reason: unknown_connack(version, code),
            reason_string: None,
            millis: elapsed,
        },
        Read::Packet(other) => MqttOutcome::Unexpected {
            detail: format!("expected CONNACK, received {}", describe(&other)),
            millis: elapsed,
        },
        Read::Failed(detail) => MqttOutcome::Unexpected {
            detail: format!("{detail} in answer to CONNECT"),
            millis: elapsed,
        },
        Read::Closed(alert) => return closed(elapsed, alert),
    };
    Exchange {
        outcome,
        alert: None,
    }
}

/// The subscribes, then the publishes, each answered or not by the deadline. Returns the
/// session and whether it is still open (ours to close).
async fn run_session<S>(
    io: &mut S,
    reader: &mut Reader,
    settings: &MqttSettings,
    deadline: tokio::time::Instant,
) -> (MqttSession, bool)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let version = settings.version;
    let mut session = MqttSession::default();
    let mut open = true;
    let wanted = settings
        .subscribe
        .iter()
        .map(|filter| (MqttOperationKind::Subscribe, filter))
        .chain(
            settings
                .publish
                .iter()
                .map(|topic| (MqttOperationKind::Publish, topic)),
        );
    for (pkid, (kind, topic)) in (1u16..).zip(wanted) {
        let mut operation = MqttOperation {
            kind,
            topic: topic.clone(),
            result: MqttOperationResult::NotSent,
            millis: 0.0,
        };
        if !open {
            session.operations.push(operation);
            continue;
        }
        let packet = match kind {
            MqttOperationKind::Subscribe => codec::subscribe(version, pkid, topic, MAX_PACKET),
            MqttOperationKind::Publish => codec::publish(version, pkid, topic, MAX_PACKET),
        };
        let packet = match packet {
            Ok(packet) => packet,
            Err(error) => {
                operation.result = MqttOperationResult::Unexpected {
                    detail: format!("the packet cannot be encoded: {error}"),
                };
                session.operations.push(operation);
                continue;
            }
        };
        let started = Instant::now();
        let (result, ended) = match timeout_at(deadline, send(io, &packet)).await {
            Ok(Ok(())) => match timeout_at(deadline, answer(io, reader, kind, pkid)).await {
                Ok(answer) => answer,
                Err(_elapsed) => (MqttOperationResult::TimedOut, Ended::NoTime),
            },
            Ok(Err(_)) => (MqttOperationResult::Closed, Ended::Closed),
            Err(_elapsed) => (MqttOperationResult::TimedOut, Ended::NoTime),
        };
        operation.result = result;
        operation.millis = started.elapsed().as_secs_f64() * 1000.0;
        session.operations.push(operation);
        match ended {
            Ended::Open => {}
            Ended::Disconnect(reason) => {
                session.disconnect = Some(reason);
                open = false;
            }
            Ended::Closed | Ended::NoTime | Ended::Broken => open = false,
        }
    }
    (session, open)
}

/// Why the session cannot go on after an operation.
enum Ended {
    Open,
    /// The broker sent DISCONNECT (MQTT 5).
    Disconnect(MqttReason),
    Closed,
    /// The deadline passed.
    NoTime,
    /// The broker sent something no answer can follow.
    Broken,
}

/// Reads until the answer to packet `pkid`: messages and PINGRESP are skipped.
async fn answer<S: AsyncRead + Unpin>(
    io: &mut S,
    reader: &mut Reader,
    kind: MqttOperationKind,
    pkid: u16,
) -> (MqttOperationResult, Ended) {
    loop {
        let unexpected =
            |detail: String| (MqttOperationResult::Unexpected { detail }, Ended::Broken);
        match reader.next(io).await {
            Read::Packet(Incoming::Publish | Incoming::PingResp) => continue,
            Read::Packet(Incoming::PubAck { pkid: id, reason })
                if kind == MqttOperationKind::Publish && id == pkid =>
            {
                return (MqttOperationResult::Acked(reason), Ended::Open)
            }
            Read::Packet(Incoming::SubAck { pkid: id, reasons })
                if kind == MqttOperationKind::Subscribe && id == pkid =>
            {
                return match reasons.into_iter().next() {
                    Some(reason) => (MqttOperationResult::Acked(reason), Ended::Open),
                    None => unexpected("a SUBACK without a reason code".to_string()),
                };
            }
            Read::Packet(Incoming::Disconnect(reason)) => {
                return (MqttOperationResult::Closed, Ended::Disconnect(reason))
            }
            Read::Packet(other) => {
                return unexpected(format!("received {} instead", describe(&other)))
            }
            Read::UnknownCode(code) => {
                return unexpected(format!("a CONNACK (code {code}) after the CONNACK"))
            }
            Read::Failed(detail) => return unexpected(detail),
            Read::Closed(_) => return (MqttOperationResult::Closed, Ended::Closed),
        }
    }
}

/// What one read of a packet brought.
enum Read {
    Packet(Incoming),
    /// A CONNACK whose code the version does not define.
    UnknownCode(u8),
    /// Too much, garbage, records that are not valid TLS.
    Failed(String),
    /// The connection ended (EOF, reset, close_notify, an alert).
    Closed(Option<rustls::AlertDescription>),
}

/// Packets off the stream, one at a time, never more than `max` bytes buffered.
struct Reader {
    version: MqttVersion,
    max: usize,
    received: BytesMut,
    chunk: Vec<u8>,
}

impl Reader {
    fn new(version: MqttVersion, max: usize) -> Self {
        Self {
            version,
            max,
            received: BytesMut::new(),
            chunk: vec![0; 16 * 1024],
        }
    }

    /// Reads until a whole packet arrived. Only a connection that ended is `Closed`, the
    /// broker's way of refusing; whatever else a peer does instead of answering is `Failed`.
    async fn next<S: AsyncRead + Unpin>(&mut self, io: &mut S) -> Read {
        loop {
            if !self.received.is_empty() {
                match codec::decode(self.version, &mut self.received, self.max) {
                    Ok(packet) => return Read::Packet(packet),
                    Err(DecodeError::NeedMore) => {}
                    Err(DecodeError::TooLarge(size)) => {
                        return Read::Failed(format!(
                            "a packet of {size} bytes announced, more than the {} read here",
                            self.max
                        ))
                    }
                    Err(DecodeError::UnknownConnAckCode(code)) => return Read::UnknownCode(code),
                    Err(DecodeError::Malformed(error)) => {
                        return Read::Failed(format!("a malformed packet ({error})"))
                    }
                }
            }
            if self.received.len() > self.max {
                return Read::Failed(format!(
                    "more than {} bytes without a complete packet",
                    self.max
                ));
            }
            match io.read(&mut self.chunk).await {
                Ok(0) => return Read::Closed(None),
                Ok(n) => self.received.extend_from_slice(&self.chunk[..n]),
                Err(error) => return read_failure(error),
            }
        }
    }
}

/// Writes a whole packet and flushes it.
async fn send<S: AsyncWrite + Unpin>(io: &mut S, packet: &[u8]) -> io::Result<()> {
    io.write_all(packet).await?;
    io.flush().await
}

/// What a failed read says: an alert or a disconnect ends the connection (`Closed`); invalid
/// TLS data or another error is `Failed`.
fn read_failure(error: io::Error) -> Read {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(alert) => Read::Closed(Some(*alert)),
            other => Read::Failed(format!("the server sent invalid TLS data: {other}")),
        };
    }
    if is_disconnect(&error) {
        Read::Closed(None)
    } else {
        Read::Failed(format!("reading failed: {error}"))
    }
}

fn is_disconnect(error: &io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
    )
}

/// A packet named by its type (and size); its content may be large and is not shown.
fn describe(packet: &Incoming) -> String {
    match packet {
        Incoming::ConnAck { .. } => "CONNACK".to_string(),
        Incoming::PubAck { pkid, .. } => format!("PUBACK (packet id {pkid})"),
        Incoming::SubAck { pkid, .. } => format!("SUBACK (packet id {pkid})"),
        Incoming::Disconnect(reason) => format!("DISCONNECT (0x{:02X})", reason.code),
        Incoming::Publish => "PUBLISH".to_string(),
        Incoming::PingResp => "PINGRESP".to_string(),
        Incoming::Other { name, size } => format!("{name} ({size} bytes)"),
    }
}

fn refused(reason: MqttReason, millis: f64) -> MqttOutcome {
    MqttOutcome::Refused {
        code: reason.code,
        reason: reason.reason,
        reason_string: reason.reason_string,
        millis,
    }
}

/// A CONNACK code the version does not define: the broker may speak the other version.
fn unknown_connack(version: MqttVersion, code: u8) -> String {
    match version {
        MqttVersion::V311 => "not an MQTT 3.1.1 return code (an MQTT 5 broker?)".to_string(),
        MqttVersion::V5 => match codec::connack_v4_number_words(code) {
            Some(words) => format!(
                "{words}: an MQTT 3.1.1 return code, the broker does not speak MQTT 5 (try --mqtt-version 3)"
            ),
            None => "not an MQTT 5 reason code".to_string(),
        },
    }
}

fn closed(millis: f64, alert: Option<rustls::AlertDescription>) -> Exchange {
    Exchange {
        outcome: MqttOutcome::Closed { millis },
        alert,
    }
}
