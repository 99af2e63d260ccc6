//! A probe's TLS client without a socket: the same configuration, capture hooks and record
//! logic as [`super::run`], driven over server bytes held in memory. Used to fuzz the handshake
//! with arbitrary server flights; there is no network, no runtime and no clock here.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rustls::ClientConnection;

use super::{alert_name, client, client_auth, facts, handshake_error, Client, HandshakeFailure};
use crate::net::tls::{looks_like_tls, Failure, PREVIEW_LEN};
use crate::net::{ChainCheck, NetError, Probe, ProbeSettings, Timings};

/// The most bytes one socket read brings in, as in `TlsIo`.
const READ_SIZE: usize = 16 * 1024;

/// An upper bound on read rounds; each round consumes at least one byte anyway.
const MAX_ROUNDS: usize = 1024;

/// Runs the handshake part of a probe against `server`, the bytes a server would send, in
/// the order it would send them. Whatever the client writes (its ClientHello, alerts) is
/// dropped. The result is what [`crate::net::probe`] returns for the same server: `Err` when
/// no certificate was captured, otherwise a [`Probe`] (with `handshake_error` set when the
/// handshake did not complete). No post-handshake read and no MQTT happen here.
pub(crate) fn replay_server_flight(
    settings: &ProbeSettings,
    server: &[u8],
    chain_ok: Arc<ChainCheck>,
) -> Result<Probe, NetError> {
    let Client {
        mut conn,
        observed,
        sni,
    } = client(settings, chain_ok)?;

    let handshake = drive(&mut conn, server);
    let served = observed.served();
    let failure = match (handshake, served.is_some()) {
        (Ok(()), _) => None,
        (Err(failure), true) => Some(HandshakeFailure::from_failure(failure)),
        (Err(failure), false) => return Err(handshake_error(failure, PEER.to_string())),
    };
    let mut probe = Probe {
        peer: PEER,
        via_proxy: false,
        served: served.unwrap_or_default(),
        tls: facts(&conn, sni),
        timings: Timings::default(),
        client_auth: client_auth(&observed),
        upgrade: None,
        mqtt: None,
        mqtt_version: Default::default(),
        https: None,
        handshake_error: None,
    };
    if let Some(failure) = failure {
        if probe.client_auth.requested {
            probe.client_auth.rejection = failure.alert.map(alert_name);
        }
        probe.handshake_error = Some(failure.text);
    }
    Ok(probe)
}

/// The ClientHello a probe with these settings sends first (the record bytes), for recording
/// real servers' answers.
pub(crate) fn client_hello(settings: &ProbeSettings) -> Result<Vec<u8>, NetError> {
    // The ClientHello goes out before any chain arrives: the check is never asked.
    let accept: Arc<ChainCheck> = Arc::new(|_: &[Vec<u8>]| true);
    let Client { mut conn, .. } = client(settings, accept)?;
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out)
            .map_err(|error| NetError::Settings(error.to_string()))?;
    }
    Ok(out)
}

/// A stand-in for the peer address a socket would have had.
const PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8443);

/// `TlsIo::handshake` over memory: write, then read at most [`READ_SIZE`] bytes at a time and
/// let rustls process them, until the handshake completes, rustls fails, or the bytes run out
/// (the server closing the connection).
fn drive(conn: &mut ClientConnection, server: &[u8]) -> Result<(), Failure> {
    let mut rest = server;
    let mut received = 0;
    let mut sink = Vec::new();
    for _ in 0..MAX_ROUNDS {
        while conn.wants_write() {
            sink.clear();
            conn.write_tls(&mut sink).map_err(Failure::Io)?;
        }
        if !conn.is_handshaking() {
            return Ok(());
        }
        if rest.is_empty() {
            return Err(Failure::Eof);
        }
        let (mut chunk, after) = rest.split_at(rest.len().min(READ_SIZE));
        rest = after;
        if received == 0 && !looks_like_tls(chunk) {
            return Err(Failure::NotTls(
                chunk[..chunk.len().min(PREVIEW_LEN)].to_vec(),
            ));
        }
        received += chunk.len();
        while !chunk.is_empty() {
            if conn.read_tls(&mut chunk).map_err(Failure::Io)? == 0 {
                return Err(Failure::Io(io::Error::other("tls receive buffer is full")));
            }
            conn.process_new_packets().map_err(Failure::Tls)?;
        }
    }
    Err(Failure::Eof)
}
