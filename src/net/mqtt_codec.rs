//! MQTT 3.1.1 and MQTT 5 packets for the probe's exchange, through rumqttc's codec
//! (`mqttbytes::v4` and `v5::mqttbytes::v5`): the packets we send, and what a broker sends
//! told the same way for both versions, with each reason code's name in the specification.

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::{self as mqtt3, v4, QoS};
use rumqttc::v5::mqttbytes::{self as mqtt5, v5};

use super::{MqttReason, MqttSettings, MqttVersion};

/// A packet from the broker, told the same way for both versions.
#[derive(Debug)]
pub(super) enum Incoming {
    ConnAck {
        session_present: bool,
        reason: MqttReason,
    },
    PubAck {
        pkid: u16,
        reason: MqttReason,
    },
    SubAck {
        pkid: u16,
        reasons: Vec<MqttReason>,
    },
    Disconnect(MqttReason),
    /// A message (on a subscribed topic, a retained one): not an answer, skipped.
    Publish,
    PingResp,
    /// Any other packet, by its name and size.
    Other {
        name: &'static str,
        size: usize,
    },
}

/// Why no packet came out of the bytes received so far.
#[derive(Debug)]
pub(super) enum DecodeError {
    /// The packet is not complete yet.
    NeedMore,
    /// The packet announces more bytes than `max`; it is not read.
    TooLarge(usize),
    /// A CONNACK with a code that the version does not define.
    UnknownConnAckCode(u8),
    Malformed(String),
}

/// Takes one packet off the front of `received`; leaves it untouched when incomplete.
pub(super) fn decode(
    version: MqttVersion,
    received: &mut BytesMut,
    max: usize,
) -> Result<Incoming, DecodeError> {
    match version {
        MqttVersion::V311 => decode_v4(received, max),
        MqttVersion::V5 => decode_v5(received, max),
    }
}

fn decode_v4(received: &mut BytesMut, max: usize) -> Result<Incoming, DecodeError> {
    let packet = match v4::Packet::read(received, max) {
        Ok(packet) => packet,
        Err(mqtt3::Error::InsufficientBytes(_)) => return Err(DecodeError::NeedMore),
        Err(mqtt3::Error::PayloadSizeLimitExceeded(size)) => {
            return Err(DecodeError::TooLarge(size))
        }
        Err(mqtt3::Error::InvalidConnectReturnCode(code)) => {
            return Err(DecodeError::UnknownConnAckCode(code))
        }
        Err(error) => return Err(DecodeError::Malformed(error.to_string())),
    };
    let size = packet.size();
    Ok(match packet {
        v4::Packet::ConnAck(ack) => Incoming::ConnAck {
            session_present: ack.session_present,
            reason: reason(ack.code as u8, connack_v4_words(ack.code), None),
        },
        // A 3.1.1 PUBACK carries no code: receiving it is the acceptance.
        v4::Packet::PubAck(ack) => Incoming::PubAck {
            pkid: ack.pkid,
            reason: reason(0, "accepted (MQTT 3.1.1 PUBACK, no code)", None),
        },
        v4::Packet::SubAck(ack) => Incoming::SubAck {
            pkid: ack.pkid,
            reasons: ack
                .return_codes
                .iter()
                .map(|code| match code {
                    v4::SubscribeReasonCode::Success(qos) => {
                        reason(*qos as u8, granted_words(*qos as u8), None)
                    }
                    v4::SubscribeReasonCode::Failure => reason(0x80, "failure", None),
                })
                .collect(),
        },
        v4::Packet::Disconnect => Incoming::Other {
            name: "DISCONNECT",
            size,
        },
        v4::Packet::Publish(_) => Incoming::Publish,
        v4::Packet::PingResp => Incoming::PingResp,
        other => Incoming::Other {
            name: packet_name_v4(&other),
            size,
        },
    })
}

fn decode_v5(received: &mut BytesMut, max: usize) -> Result<Incoming, DecodeError> {
    let max_u32 = u32::try_from(max).unwrap_or(u32::MAX);
    // rumqttc reads a DISCONNECT without a reason code (remaining length 0, "normal
    // disconnection") as an error; its fixed header says what it is.
    match v5::check(received.iter(), Some(max_u32)) {
        Ok(header)
            if header.frame_length() == 2
                && matches!(header.packet_type(), Ok(v5::PacketType::Disconnect)) =>
        {
            let _ = received.split_to(2);
            return Ok(Incoming::Disconnect(reason(0, disconnect_words(0), None)));
        }
        Ok(_) => {}
        Err(mqtt5::Error::InsufficientBytes(_)) => return Err(DecodeError::NeedMore),
        Err(mqtt5::Error::PayloadSizeLimitExceeded { pkt_size, .. }) => {
            return Err(DecodeError::TooLarge(pkt_size))
        }
        Err(error) => return Err(DecodeError::Malformed(error.to_string())),
    }
    let packet = match v5::Packet::read(received, Some(max_u32)) {
        Ok(packet) => packet,
        Err(mqtt5::Error::InsufficientBytes(_)) => return Err(DecodeError::NeedMore),
        Err(mqtt5::Error::InvalidConnectReturnCode(code)) => {
            return Err(DecodeError::UnknownConnAckCode(code))
        }
        Err(error) => return Err(DecodeError::Malformed(error.to_string())),
    };
    let size = packet.size();
    Ok(match packet {
        v5::Packet::ConnAck(ack) => {
            let code = connack_v5_code(ack.code);
            Incoming::ConnAck {
                session_present: ack.session_present,
                reason: reason(
                    code,
                    reason_words(code),
                    ack.properties.and_then(|p| p.reason_string),
                ),
            }
        }
        v5::Packet::PubAck(ack) => {
            let code = puback_v5_code(ack.reason);
            Incoming::PubAck {
                pkid: ack.pkid,
                reason: reason(
                    code,
                    reason_words(code),
                    ack.properties.and_then(|p| p.reason_string),
                ),
            }
        }
        v5::Packet::SubAck(ack) => {
            let text = ack.properties.and_then(|p| p.reason_string);
            Incoming::SubAck {
                pkid: ack.pkid,
                reasons: ack
                    .return_codes
                    .iter()
                    .map(|code| match code {
                        v5::SubscribeReasonCode::Success(qos) => {
                            reason(*qos as u8, granted_words(*qos as u8), text.clone())
                        }
                        other => {
                            let code = suback_v5_code(*other);
                            reason(code, reason_words(code), text.clone())
                        }
                    })
                    .collect(),
            }
        }
        v5::Packet::Disconnect(disconnect) => {
            let code = disconnect.reason_code as u8;
            Incoming::Disconnect(reason(
                code,
                disconnect_words(code),
                disconnect.properties.and_then(|p| p.reason_string),
            ))
        }
        v5::Packet::Publish(_) => Incoming::Publish,
        v5::Packet::PingResp(_) => Incoming::PingResp,
        other => Incoming::Other {
            name: packet_name_v5(&other),
            size,
        },
    })
}

/// The CONNECT for `settings`, announcing (MQTT 5) the largest packet we read.
pub(super) fn connect(
    settings: &MqttSettings,
    max_incoming: usize,
    max: usize,
) -> Result<BytesMut, String> {
    let mut out = BytesMut::new();
    let login = settings.username.is_some() || settings.password.is_some();
    let username = settings.username.clone().unwrap_or_default();
    let password = settings.password.clone().unwrap_or_default();
    let written = match settings.version {
        MqttVersion::V311 => {
            let mut connect = v4::Connect::new(settings.client_id.clone());
            connect.keep_alive = settings.keep_alive_secs;
            connect.clean_session = true;
            if login {
                connect.set_login(username, password);
            }
            v4::Packet::Connect(connect)
                .write(&mut out, max)
                .map_err(|error| error.to_string())
        }
        MqttVersion::V5 => {
            let properties = v5::ConnectProperties {
                max_packet_size: u32::try_from(max_incoming).ok(),
                ..v5::ConnectProperties::new()
            };
            let connect = v5::Connect {
                keep_alive: settings.keep_alive_secs,
                client_id: settings.client_id.clone(),
                clean_start: true,
                properties: Some(properties),
            };
            let login = login.then(|| v5::Login::new(username, password));
            v5::Packet::Connect(connect, None, login)
                .write(&mut out, u32::try_from(max).ok())
                .map_err(|error| error.to_string())
        }
    };
    written.map(|_| out)
}

/// A QoS 1 SUBSCRIBE to one filter; under MQTT 5 without retained messages.
pub(super) fn subscribe(
    version: MqttVersion,
    pkid: u16,
    filter: &str,
    max: usize,
) -> Result<BytesMut, String> {
    let mut out = BytesMut::new();
    let written = match version {
        MqttVersion::V311 => {
            let mut subscribe = v4::Subscribe::new(filter, QoS::AtLeastOnce);
            subscribe.pkid = pkid;
            v4::Packet::Subscribe(subscribe)
                .write(&mut out, max)
                .map_err(|error| error.to_string())
        }
        MqttVersion::V5 => {
            let mut wanted = v5::Filter::new(filter, mqtt5::QoS::AtLeastOnce);
            wanted.retain_forward_rule = v5::RetainForwardRule::Never;
            let mut subscribe = v5::Subscribe::new(wanted, None);
            subscribe.pkid = pkid;
            v5::Packet::Subscribe(subscribe)
                .write(&mut out, u32::try_from(max).ok())
                .map_err(|error| error.to_string())
        }
    };
    written.map(|_| out)
}

/// A QoS 1 PUBLISH of an empty, not retained message.
pub(super) fn publish(
    version: MqttVersion,
    pkid: u16,
    topic: &str,
    max: usize,
) -> Result<BytesMut, String> {
    let mut out = BytesMut::new();
    let written = match version {
        MqttVersion::V311 => {
            let mut publish = v4::Publish::new(topic, QoS::AtLeastOnce, Vec::new());
            publish.pkid = pkid;
            v4::Packet::Publish(publish)
                .write(&mut out, max)
                .map_err(|error| error.to_string())
        }
        MqttVersion::V5 => {
            let mut publish = v5::Publish::new(topic, mqtt5::QoS::AtLeastOnce, Bytes::new(), None);
            publish.pkid = pkid;
            v5::Packet::Publish(publish)
                .write(&mut out, u32::try_from(max).ok())
                .map_err(|error| error.to_string())
        }
    };
    written.map(|_| out)
}

/// The client's DISCONNECT (normal disconnection).
pub(super) fn disconnect(version: MqttVersion, max: usize) -> Option<BytesMut> {
    let mut out = BytesMut::new();
    let written = match version {
        MqttVersion::V311 => v4::Packet::Disconnect.write(&mut out, max).is_ok(),
        MqttVersion::V5 => v5::Packet::Disconnect(v5::Disconnect::new(
            v5::DisconnectReasonCode::NormalDisconnection,
        ))
        .write(&mut out, u32::try_from(max).ok())
        .is_ok(),
    };
    written.then_some(out)
}

fn reason(code: u8, words: &str, reason_string: Option<String>) -> MqttReason {
    MqttReason {
        code,
        reason: words.to_string(),
        reason_string,
    }
}

/// The MQTT 3.1.1 meaning of a CONNACK return code (section 3.2.2.3).
pub(super) fn connack_v4_words(code: v4::ConnectReturnCode) -> &'static str {
    match code {
        v4::ConnectReturnCode::Success => "connection accepted",
        v4::ConnectReturnCode::RefusedProtocolVersion => "unacceptable protocol version",
        v4::ConnectReturnCode::BadClientId => "identifier rejected",
        v4::ConnectReturnCode::ServiceUnavailable => "server unavailable",
        v4::ConnectReturnCode::BadUserNamePassword => "bad user name or password",
        v4::ConnectReturnCode::NotAuthorized => "not authorized",
    }
}

/// An MQTT 3.1.1 return code by its number (1-5), for an answer to an MQTT 5 CONNECT.
pub(super) fn connack_v4_number_words(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => return None,
    })
}

fn granted_words(qos: u8) -> &'static str {
    match qos {
        0 => "granted QoS 0",
        1 => "granted QoS 1",
        _ => "granted QoS 2",
    }
}

/// The names MQTT 5 gives its reason codes (section 2.4, table 2-6) for CONNACK, PUBACK
/// and SUBACK, where 0x00 is success.
pub fn reason_words(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x10 => "no matching subscribers",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keep alive timeout",
        0x8E => "session taken over",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "not an MQTT 5 reason code",
    }
}

/// A DISCONNECT's reason code by name: 0x00 is "normal disconnection" there.
pub fn disconnect_words(code: u8) -> &'static str {
    match code {
        0x00 => "normal disconnection",
        0x04 => "disconnect with will message",
        other => reason_words(other),
    }
}

// rumqttc decodes reason codes into enums and keeps its own number tables private; these
// give the numbers back (MQTT 5, section 2.4).
fn connack_v5_code(code: v5::ConnectReturnCode) -> u8 {
    use v5::ConnectReturnCode as C;
    match code {
        C::Success => 0x00,
        C::RefusedProtocolVersion => 0x01,
        C::BadClientId => 0x02,
        C::ServiceUnavailable => 0x03,
        C::UnspecifiedError => 0x80,
        C::MalformedPacket => 0x81,
        C::ProtocolError => 0x82,
        C::ImplementationSpecificError => 0x83,
        C::UnsupportedProtocolVersion => 0x84,
        C::ClientIdentifierNotValid => 0x85,
        C::BadUserNamePassword => 0x86,
        C::NotAuthorized => 0x87,
        C::ServerUnavailable => 0x88,
        C::ServerBusy => 0x89,
        C::Banned => 0x8A,
        C::BadAuthenticationMethod => 0x8C,
        C::TopicNameInvalid => 0x90,
        C::PacketTooLarge => 0x95,
        C::QuotaExceeded => 0x97,
        C::PayloadFormatInvalid => 0x99,
        C::RetainNotSupported => 0x9A,
        C::QoSNotSupported => 0x9B,
        C::UseAnotherServer => 0x9C,
        C::ServerMoved => 0x9D,
        C::ConnectionRateExceeded => 0x9F,
    }
}

fn puback_v5_code(reason: v5::PubAckReason) -> u8 {
    use v5::PubAckReason as R;
    match reason {
        R::Success => 0x00,
        R::NoMatchingSubscribers => 0x10,
        R::UnspecifiedError => 0x80,
        R::ImplementationSpecificError => 0x83,
        R::NotAuthorized => 0x87,
        R::TopicNameInvalid => 0x90,
        R::PacketIdentifierInUse => 0x91,
        R::QuotaExceeded => 0x97,
        R::PayloadFormatInvalid => 0x99,
    }
}

fn suback_v5_code(reason: v5::SubscribeReasonCode) -> u8 {
    use v5::SubscribeReasonCode as R;
    match reason {
        R::Success(qos) => qos as u8,
        R::Failure | R::Unspecified => 0x80,
        R::ImplementationSpecific => 0x83,
        R::NotAuthorized => 0x87,
        R::TopicFilterInvalid => 0x8F,
        R::PkidInUse => 0x91,
        R::QuotaExceeded => 0x97,
        R::SharedSubscriptionsNotSupported => 0x9E,
        R::SubscriptionIdNotSupported => 0xA1,
        R::WildcardSubscriptionsNotSupported => 0xA2,
    }
}

/// A packet's type as MQTT names it; the packet itself may be large and is not shown.
pub(super) fn packet_name_v4(packet: &v4::Packet) -> &'static str {
    match packet {
        v4::Packet::Connect(_) => "CONNECT",
        v4::Packet::ConnAck(_) => "CONNACK",
        v4::Packet::Publish(_) => "PUBLISH",
        v4::Packet::PubAck(_) => "PUBACK",
        v4::Packet::PubRec(_) => "PUBREC",
        v4::Packet::PubRel(_) => "PUBREL",
        v4::Packet::PubComp(_) => "PUBCOMP",
        v4::Packet::Subscribe(_) => "SUBSCRIBE",
        v4::Packet::SubAck(_) => "SUBACK",
        v4::Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        v4::Packet::UnsubAck(_) => "UNSUBACK",
        v4::Packet::PingReq => "PINGREQ",
        v4::Packet::PingResp => "PINGRESP",
        v4::Packet::Disconnect => "DISCONNECT",
    }
}

fn packet_name_v5(packet: &v5::Packet) -> &'static str {
    match packet {
        v5::Packet::Auth(_) => "AUTH",
        v5::Packet::Connect(..) => "CONNECT",
        v5::Packet::ConnAck(_) => "CONNACK",
        v5::Packet::Publish(_) => "PUBLISH",
        v5::Packet::PubAck(_) => "PUBACK",
        v5::Packet::PingReq(_) => "PINGREQ",
        v5::Packet::PingResp(_) => "PINGRESP",
        v5::Packet::Subscribe(_) => "SUBSCRIBE",
        v5::Packet::SubAck(_) => "SUBACK",
        v5::Packet::PubRec(_) => "PUBREC",
        v5::Packet::PubRel(_) => "PUBREL",
        v5::Packet::PubComp(_) => "PUBCOMP",
        v5::Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        v5::Packet::UnsubAck(_) => "UNSUBACK",
        v5::Packet::Disconnect(_) => "DISCONNECT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(version: MqttVersion) -> MqttSettings {
        MqttSettings {
            version,
            ..MqttSettings::new("thing", 30)
        }
    }

    #[test]
    fn packets_round_trip_through_the_codec() {
        for version in [MqttVersion::V311, MqttVersion::V5] {
            for packet in [
                connect(&settings(version), 1024, 1024).unwrap(),
                subscribe(version, 1, "a/#", 1024).unwrap(),
                publish(version, 2, "a/b", 1024).unwrap(),
                disconnect(version, 1024).unwrap(),
            ] {
                let mut bytes = packet.clone();
                match decode(version, &mut bytes, 1024) {
                    Ok(Incoming::Other { .. } | Incoming::Publish | Incoming::Disconnect(_)) => {}
                    other => panic!("{version:?}: {other:?}"),
                }
                assert!(bytes.is_empty(), "{version:?}: one whole packet");
            }
        }
    }

    #[test]
    fn an_incomplete_packet_is_left_in_place() {
        let mut whole = publish(MqttVersion::V5, 1, "a/b", 1024).unwrap();
        let mut part = whole.split_to(3);
        assert!(matches!(
            decode(MqttVersion::V5, &mut part, 1024),
            Err(DecodeError::NeedMore)
        ));
        assert_eq!(part.len(), 3);
    }

    #[test]
    fn a_huge_announced_packet_is_refused_unread() {
        // A PUBLISH announcing 50 MB (remaining length 52 428 800) after 5 header bytes.
        let header = BytesMut::from(&[0x30u8, 0x80, 0x80, 0x80, 0x19][..]);
        for version in [MqttVersion::V311, MqttVersion::V5] {
            let mut bytes = header.clone();
            assert!(
                matches!(
                    decode(version, &mut bytes, 64 * 1024),
                    Err(DecodeError::TooLarge(52_428_800))
                ),
                "{version:?}"
            );
        }
    }

    #[test]
    fn reason_codes_have_their_names() {
        assert_eq!(reason_words(0x87), "not authorized");
        assert_eq!(reason_words(0x9F), "connection rate exceeded");
        assert_eq!(disconnect_words(0x8E), "session taken over");
        assert_eq!(disconnect_words(0x00), "normal disconnection");
        assert_eq!(connack_v4_number_words(5), Some("not authorized"));
    }
}
