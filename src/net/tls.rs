//! Driving a rustls client connection over a tokio socket by hand.
//!
//! tokio-rustls would hide the connection state when a handshake fails; driving
//! `ClientConnection` directly keeps the negotiated version, suite and the received alert
//! available after a failure, and lets us look at the first bytes the server sent.
//!
//! Once the handshake is done, [`TlsIo`] is an ordinary `AsyncRead + AsyncWrite` byte stream
//! for what runs over it (MQTT, a WebSocket, HTTP). A TLS failure while reading (an alert, a
//! bad record) comes out as an `io::Error` of kind `InvalidData` whose inner error is the
//! `rustls::Error` (as with tokio-rustls), so a caller can still tell which alert ended it.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use rustls::ClientConnection;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
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
    /// TLS records taken from rustls and not yet fully written to the socket.
    outgoing: Vec<u8>,
    /// close_notify was queued by `poll_shutdown`.
    closing: bool,
}

impl TlsIo {
    pub fn new(tcp: TcpStream, conn: ClientConnection, prefix: Vec<u8>) -> Self {
        Self {
            tcp,
            conn,
            pending: prefix,
            received: 0,
            buffer: vec![0; 16 * 1024],
            outgoing: Vec::new(),
            closing: false,
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
        std::future::poll_fn(|cx| self.poll_send(cx)).await
    }

    /// Writes queued records to the socket until rustls has nothing more to send.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.outgoing.is_empty() {
                if !self.conn.wants_write() {
                    return Poll::Ready(Ok(()));
                }
                self.conn.write_tls(&mut self.outgoing)?;
                continue;
            }
            let n = ready!(Pin::new(&mut self.tcp).poll_write(cx, &self.outgoing))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.outgoing.drain(..n);
        }
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

    /// Moves plaintext rustls holds into `buf`; `Ready(Ok(false))` when it holds none yet.
    fn poll_plaintext(&mut self, buf: &mut ReadBuf<'_>) -> Poll<io::Result<bool>> {
        match self.conn.reader().read(buf.initialize_unfilled()) {
            Ok(n) => {
                buf.advance(n);
                Poll::Ready(Ok(true))
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Poll::Ready(Ok(false)),
            Err(error) => Poll::Ready(Err(error)),
        }
    }

    /// close_notify, then TCP FIN; best effort, the caller bounds it.
    pub async fn close(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush().await;
        let _ = self.tcp.shutdown().await;
    }
}

impl AsyncRead for TlsIo {
    /// Application data as it arrives. A peer's close_notify or TCP FIN is the end of the
    /// stream (`Ok` with nothing read); a TLS failure is `InvalidData` around the
    /// `rustls::Error`.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            // Plaintext rustls already holds goes first: rustls takes no more records while
            // it holds as much as it keeps, so a flooding peer is read at the caller's pace.
            if ready!(this.poll_plaintext(buf))? {
                return Poll::Ready(Ok(()));
            }
            if this.pending.is_empty() {
                let mut chunk = ReadBuf::new(&mut this.buffer);
                ready!(Pin::new(&mut this.tcp).poll_read(cx, &mut chunk))?;
                if chunk.filled().is_empty() {
                    return Poll::Ready(Ok(()));
                }
                let n = chunk.filled().len();
                this.pending.extend_from_slice(&this.buffer[..n]);
            }
            let mut rest = &this.pending[..];
            let taken = this.conn.read_tls(&mut rest)?;
            if taken == 0 {
                // After close_notify rustls takes nothing more; what follows is ignored.
                this.pending.clear();
                return Poll::Ready(Ok(()));
            }
            this.received += taken;
            this.pending.drain(..taken);
            if let Err(error) = this.conn.process_new_packets() {
                // rustls queued an alert telling the server why; try once to send it, for the
                // server's log, without waiting for it.
                let _ = this.poll_send(cx);
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, error)));
            }
        }
    }
}

impl AsyncWrite for TlsIo {
    /// Records queued earlier are sent first, so a peer that reads nothing holds the writer
    /// back instead of letting the queue grow.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        let n = this.conn.writer().write(data)?;
        // What does not go out now goes with the next write or flush.
        if let Poll::Ready(Err(error)) = this.poll_send(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.tcp).poll_flush(cx)
    }

    /// close_notify, then TCP FIN.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.closing {
            this.conn.send_close_notify();
            this.closing = true;
        }
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.tcp).poll_shutdown(cx)
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
