//! Driving a rustls client connection over a tokio socket by hand.
//!
//! tokio-rustls would hide the connection state when a handshake fails; driving
//! `ClientConnection` directly keeps the negotiated version, suite and the received alert
//! available after a failure, and lets us look at the first bytes the server sent.

use std::io::{self, Read, Write};

use rustls::ClientConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How many of the server's first bytes to keep for a "does not speak TLS" report.
pub(super) const PREVIEW_LEN: usize = 48;

/// rustls refuses more TLS bytes while this much received plaintext waits to be read.
const PLAINTEXT_LIMIT: usize = 16 * 1024;

/// Why reading from or writing to the TLS connection stopped.
#[derive(Debug)]
pub(super) enum Failure {
    /// The server's first bytes are not a TLS record.
    NotTls(Vec<u8>),
    /// rustls refused what it received, or received an alert.
    Tls(rustls::Error),
    /// The peer closed TCP.
    Eof,
    Io(io::Error),
}

/// What a read brought in.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Progress {
    /// Application data waiting in rustls.
    pub plaintext: usize,
    /// The peer sent close_notify.
    pub peer_closed: bool,
}

pub(super) struct TlsIo {
    tcp: TcpStream,
    pub conn: ClientConnection,
    /// Received bytes rustls has not taken yet: at first, what arrived after a proxy's
    /// answer; later, what came in while rustls held as much plaintext as it keeps.
    pending: Vec<u8>,
    received: usize,
    buffer: Vec<u8>,
}

impl TlsIo {
    pub fn new(tcp: TcpStream, conn: ClientConnection, prefix: Vec<u8>) -> Self {
        Self {
            tcp,
            conn,
            pending: prefix,
            received: 0,
            buffer: vec![0; 16 * 1024],
        }
    }

    /// Drives the handshake until rustls has nothing more to do and our last flight is sent.
    pub async fn handshake(&mut self) -> Result<(), Failure> {
        loop {
            self.flush().await.map_err(Failure::Io)?;
            if !self.conn.is_handshaking() {
                return Ok(());
            }
            self.read_once().await?;
        }
    }

    /// Sends everything rustls has queued (handshake messages, alerts, records).
    pub async fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            let mut out = Vec::new();
            self.conn.write_tls(&mut out)?;
            self.tcp.write_all(&out).await?;
        }
        Ok(())
    }

    /// Reads once from the socket (unless received bytes are still pending) and lets rustls
    /// process what it takes. When rustls holds as much plaintext as it keeps, the rest
    /// stays pending until the caller has taken the plaintext: a peer that floods is read
    /// at the caller's pace, never mistaken for a broken connection.
    pub async fn read_once(&mut self) -> Result<Progress, Failure> {
        if self.pending.is_empty() {
            let n = self.tcp.read(&mut self.buffer).await.map_err(Failure::Io)?;
            if n == 0 {
                return Err(Failure::Eof);
            }
            self.pending.extend_from_slice(&self.buffer[..n]);
        }
        if self.received == 0 && !looks_like_tls(&self.pending) {
            return Err(Failure::NotTls(
                self.pending[..self.pending.len().min(PREVIEW_LEN)].to_vec(),
            ));
        }

        let mut progress = Progress::default();
        let mut taken = 0;
        while taken < self.pending.len() && progress.plaintext <= PLAINTEXT_LIMIT {
            let mut rest = &self.pending[taken..];
            let n = self.conn.read_tls(&mut rest).map_err(Failure::Io)?;
            if n == 0 {
                // After close_notify rustls takes nothing more; what follows is ignored.
                taken = self.pending.len();
                break;
            }
            taken += n;
            match self.conn.process_new_packets() {
                Ok(state) => {
                    progress = Progress {
                        plaintext: state.plaintext_bytes_to_read(),
                        peer_closed: state.peer_has_closed(),
                    };
                }
                Err(error) => {
                    // rustls queued an alert telling the server why; it helps the server's log.
                    let _ = self.flush().await;
                    return Err(Failure::Tls(error));
                }
            }
        }
        self.received += taken;
        self.pending.drain(..taken);
        Ok(progress)
    }

    /// Queues application data and sends it.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.conn.writer().write_all(data)?;
        self.flush().await
    }

    /// Moves received application data into `out`; `Ok(true)` once the peer sent close_notify.
    pub fn take_plaintext(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        let mut chunk = [0u8; 4096];
        loop {
            match self.conn.reader().read(&mut chunk) {
                Ok(0) => return Ok(true),
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) => return Err(error),
            }
        }
    }

    /// close_notify, then TCP FIN; best effort, the caller bounds it.
    pub async fn close(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush().await;
        let _ = self.tcp.shutdown().await;
    }
}

/// A TLS server's first record is a handshake (22) or an alert (21), version major 3.
pub(super) fn looks_like_tls(bytes: &[u8]) -> bool {
    match bytes {
        [] => true,
        [content_type] => matches!(content_type, 21 | 22),
        [content_type, major, ..] => matches!(content_type, 21 | 22) && *major == 3,
    }
}

/// The server's first bytes as text a person can read: printable ASCII kept, the rest
/// escaped, cut at the first line break.
pub(super) fn preview(bytes: &[u8]) -> String {
    let line = bytes
        .split(|byte| *byte == b'\r' || *byte == b'\n')
        .next()
        .unwrap_or_default();
    line.iter()
        .flat_map(|byte| std::ascii::escape_default(*byte))
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_tls_records() {
        assert!(looks_like_tls(&[22, 3, 3, 0, 10]));
        assert!(looks_like_tls(&[21, 3, 1]));
        assert!(!looks_like_tls(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(!looks_like_tls(b"SSH-2.0-OpenSSH"));
        assert!(!looks_like_tls(&[22, 0]));
    }

    #[test]
    fn preview_is_one_printable_line() {
        assert_eq!(
            preview(b"HTTP/1.1 400 Bad Request\r\nServer: x"),
            "HTTP/1.1 400 Bad Request"
        );
        assert_eq!(preview(&[0x01, b'a', 0xff]), "\\x01a\\xff");
    }
}
