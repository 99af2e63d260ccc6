//! The peers of every network test, shared by the unit tests of `net` and the integration
//! tests: real servers (`openssl s_server`, mosquitto, tinyproxy) and hostile ones (silent,
//! closing, garbage, flooding, answering like HTTP), plain or behind TLS. All on loopback.
//!
//! No helper picks a port and then hopes it is still free: s_server binds port 0 and reports
//! the port it got; mosquitto and tinyproxy cannot, so they are started on a free port and,
//! if another process took it first, started again on a new one. A server counts as ready
//! only when it says so in its own log, never because something accepts on the port.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How long a server may take to say it is ready: a bound for a hang only, generous because
/// on a loaded machine several moto servers importing Python at once take tens of seconds.
const STARTUP: Duration = Duration::from_secs(60);
/// How often a server that lost its port to another process is started again.
const ATTEMPTS: usize = 10;
/// The longest a hostile peer keeps a connection open.
const HOLD: Duration = Duration::from_secs(30);
/// A flood's write size: under TLS, records smaller than the 16 KiB maximum, so that more
/// than one record's plaintext can complete in one read of the client.
pub const FLOOD_PIECE: usize = 9000;

/// A server process, killed when dropped, with everything it printed.
pub struct Peer {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
    // s_server closes connections when its stdin ends: keep it open.
    _stdin: Option<ChildStdin>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Everything the server printed so far, stdout and stderr, one line each.
    pub fn output(&self) -> String {
        self.log
            .lock()
            .map(|log| log.join("\n"))
            .unwrap_or_default()
    }

    /// Waits up to `wait` until the server printed a line containing `text`.
    pub fn printed(&self, text: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            if self.output().contains(text) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts `command` with stdout and stderr read line by line into a log; every line is also
/// sent to the returned channel, which closes when both streams have ended (the process died).
fn spawn_logged(command: &mut Command) -> (Peer, Receiver<String>) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let (lines, received) = mpsc::channel();
    let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("piped stdout"));
    let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("piped stderr"));
    for stream in [stdout, stderr] {
        let (log, lines) = (Arc::clone(&log), lines.clone());
        // Keeps draining, so that the server never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut log) = log.lock() {
                    log.push(line.clone());
                }
                let _ = lines.send(line);
            }
        });
    }
    let stdin = child.stdin.take();
    let peer = Peer {
        child,
        port: 0,
        log,
        _stdin: stdin,
    };
    (peer, received)
}

/// Reads the server's lines until `ready` says one announces readiness (returning what it
/// made of that line), the server ended (`None`), or the startup time ran out (panic).
fn wait_ready<T>(
    lines: &Receiver<String>,
    what: &str,
    mut ready: impl FnMut(&str) -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + STARTUP;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                if let Some(found) = ready(&line) {
                    return Some(found);
                }
            }
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => panic!("{what} did not start within {STARTUP:?}"),
        }
    }
}

/// A loopback port nothing listens on: the discard port, below the ephemeral range that the
/// tests' own servers get their ports from.
pub const CLOSED_PORT: u16 = 9;

/// A port that was free a moment ago (for servers that cannot bind port 0 themselves).
fn free_port(host: &str) -> u16 {
    TcpListener::bind((host, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// `openssl s_server` listening on `host` ("127.0.0.1" or "[::1]"), port chosen by the
/// kernel, started in `dir` (relative paths in `args` are relative to it).
pub fn s_server(dir: &Path, host: &str, args: &[&str]) -> Peer {
    let (mut peer, lines) = spawn_logged(
        Command::new("openssl")
            .arg("s_server")
            .arg("-accept")
            .arg(format!("{host}:0"))
            .args(args)
            .current_dir(dir),
    );
    // "ACCEPT 127.0.0.1:PORT" or "ACCEPT [::1]:PORT", printed once it listens.
    let port = wait_ready(&lines, "openssl s_server", |line| {
        line.strip_prefix("ACCEPT ")
            .and_then(|address| address.rsplit_once(':'))
            .and_then(|(_, port)| port.trim().parse::<u16>().ok())
    });
    peer.port = port.unwrap_or_else(|| panic!("openssl s_server ended:\n{}", peer.output()));
    peer
}

/// mosquitto on 127.0.0.1 with `settings` (everything but the listener line), its config
/// written into `dir`.
pub fn mosquitto(dir: &Path, settings: &str) -> Peer {
    start_on_free_port("mosquitto", |port| {
        let config = dir.join(format!("mosquitto-{port}.conf"));
        std::fs::write(&config, format!("listener {port} 127.0.0.1\n{settings}"))
            .expect("write mosquitto.conf");
        let mut command = Command::new("mosquitto");
        command.arg("-c").arg(config);
        (command, "mosquitto version", " running")
    })
}

/// tinyproxy on 127.0.0.1 (or `::1` when `ipv6`), optionally demanding Basic credentials,
/// its config written into `dir`.
pub fn tinyproxy(dir: &Path, ipv6: bool, credentials: Option<(&str, &str)>) -> Peer {
    let (listen, allow) = if ipv6 {
        ("::1", "::1")
    } else {
        ("127.0.0.1", "127.0.0.1")
    };
    start_on_free_port("tinyproxy", |port| {
        let mut config = format!(
            "Port {port}\nListen {listen}\nAllow {allow}\nTimeout 10\nMaxClients 10\n\
             LogLevel Info\nUser nobody\nGroup nogroup\n"
        );
        if let Some((user, password)) = credentials {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let path = dir.join(format!("tinyproxy-{port}.conf"));
        std::fs::write(&path, config).expect("write tinyproxy.conf");
        let mut command = Command::new("tinyproxy");
        command.arg("-d").arg("-c").arg(path);
        (command, "Starting main loop", "Accepting connections")
    })
}

/// moto's AWS emulator (its server, through `tests/support/moto_server.py`) on 127.0.0.1,
/// computing AWS IoT certificate ids from the DER as AWS does. It never contacts AWS.
pub fn moto() -> Peer {
    let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_server.py");
    start_on_free_port("moto_server", |port| {
        let mut command = Command::new("python3");
        command
            .arg("-u")
            .arg(&launcher)
            .args(["-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .env("MOTO_IOT_USE_VALID_CERT", "true")
            .env("MOTO_EXIT_AT_EOF", "1");
        (command, "Running on", "127.0.0.1")
    })
}

/// Starts a server that takes its port from its configuration: on a free port, and again on
/// another when it ends before saying it listens (the port was taken in between).
/// `configure` returns the command and two texts that together mark its "ready" line.
fn start_on_free_port(
    what: &str,
    mut configure: impl FnMut(u16) -> (Command, &'static str, &'static str),
) -> Peer {
    let mut last_output = String::new();
    for _attempt in 0..ATTEMPTS {
        let port = free_port("127.0.0.1");
        let (mut command, first, second) = configure(port);
        let (mut peer, lines) = spawn_logged(&mut command);
        let ready = wait_ready(&lines, what, |line| {
            (line.contains(first) && line.contains(second)).then_some(())
        });
        if ready.is_some() {
            peer.port = port;
            return peer;
        }
        last_output = peer.output();
    }
    panic!("{what} could not listen on any of {ATTEMPTS} ports; last output:\n{last_output}");
}

/// What a hostile peer does after reading the client's first bytes.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Says nothing, holding the connection open (for at most 30 s).
    Silent,
    /// Closes the connection (for TLS: close_notify first).
    Close,
    /// After `delay`, sends `bytes` once, then stays silent.
    Answer { delay: Duration, bytes: Vec<u8> },
    /// Sends `bytes` again and again until the client goes away, in writes of at most
    /// [`FLOOD_PIECE`] bytes (under TLS, one record each).
    Flood(Vec<u8>),
}

impl Behaviour {
    /// Sends `bytes` once, at once, then stays silent: garbage, or an HTTP answer.
    pub fn send(bytes: &[u8]) -> Behaviour {
        Behaviour::Answer {
            delay: Duration::ZERO,
            bytes: bytes.to_vec(),
        }
    }
}

/// A TCP server on 127.0.0.1 that treats every connection with `behaviour`; returns its port.
pub fn hostile(behaviour: Behaviour) -> u16 {
    serve(move |mut socket| {
        if behave(&mut socket, &behaviour) {
            let _ = socket.shutdown(Shutdown::Both);
        }
    })
}

/// A TLS server on 127.0.0.1 serving `chain_pem` with `key_pem` (no client authentication)
/// that completes the handshake, then treats the connection with `behaviour`, like a broker
/// answering (or not) a CONNECT.
pub fn tls_peer(chain_pem: &Path, key_pem: &Path, behaviour: Behaviour) -> u16 {
    let config = server_config(chain_pem, key_pem);
    serve(move |socket| {
        let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(connection, socket);
        if behave(&mut tls, &behaviour) {
            tls.conn.send_close_notify();
            let _ = tls.conn.complete_io(&mut tls.sock);
        }
    })
}

/// A TLS server on 127.0.0.1 serving `chain_pem` with `key_pem` (no client authentication)
/// that hands each connection, once its handshake is done, to `script`: a scripted broker.
/// The connection is closed (close_notify, then TCP) when `script` returns.
pub fn tls_peer_with(
    chain_pem: &Path,
    key_pem: &Path,
    script: impl Fn(&mut rustls::StreamOwned<rustls::ServerConnection, TcpStream>)
        + Send
        + Sync
        + 'static,
) -> u16 {
    let config = server_config(chain_pem, key_pem);
    serve(move |socket| {
        // A client that goes silent must not hold this thread for ever.
        let _ = socket.set_read_timeout(Some(Duration::from_secs(30)));
        let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(connection, socket);
        script(&mut tls);
        tls.conn.send_close_notify();
        let _ = tls.conn.complete_io(&mut tls.sock);
        let _ = tls.sock.shutdown(Shutdown::Both);
    })
}

/// The TLS servers' configuration: `chain_pem` served with `key_pem`, no client
/// authentication, the one crypto provider.
fn server_config(chain_pem: &Path, key_pem: &Path) -> Arc<rustls::ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(chain_pem)
        .expect("server chain file")
        .collect::<Result<_, _>>()
        .expect("server chain parses");
    let key = PrivateKeyDer::from_pem_file(key_pem).expect("server key parses");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server certificate and key match");
    Arc::new(config)
}

/// Accepts connections on 127.0.0.1 and hands each to `handle` on a thread of its own.
fn serve(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a hostile peer");
    let port = listener.local_addr().expect("local address").port();
    let handle = Arc::new(handle);
    thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            let handle = Arc::clone(&handle);
            thread::spawn(move || handle(socket));
        }
    });
    port
}

/// Reads once (a ClientHello, a CONNECT request, an MQTT CONNECT), then behaves; returns
/// true when the caller should close the connection.
fn behave(stream: &mut (impl Read + Write), behaviour: &Behaviour) -> bool {
    let mut first = [0u8; 4096];
    let _ = stream.read(&mut first);
    match behaviour {
        Behaviour::Silent => {
            thread::sleep(HOLD);
            false
        }
        Behaviour::Close => true,
        Behaviour::Answer { delay, bytes } => {
            thread::sleep(*delay);
            if stream
                .write_all(bytes)
                .and_then(|()| stream.flush())
                .is_ok()
            {
                thread::sleep(HOLD);
            }
            false
        }
        Behaviour::Flood(bytes) => {
            let started = Instant::now();
            'flood: while started.elapsed() < HOLD {
                for piece in bytes.chunks(FLOOD_PIECE) {
                    if stream.write_all(piece).is_err() {
                        break 'flood;
                    }
                }
            }
            false
        }
    }
}

/// The credentials provider and HTTPS publish stand-in (`tests/support/credentials_peer.py`)
/// on 127.0.0.1, port chosen by the kernel: it serves a leaf for the eu-west-1 credentials and
/// data endpoints' names issued by `issuer` (certificate and key), requires a client
/// certificate issued by `client_ca`, and takes `sni` as the credentials endpoint's name.
pub fn credentials_peer(issuer: (&Path, &Path), client_ca: &Path, sni: &str) -> Peer {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/credentials_peer.py");
    let (mut peer, lines) = spawn_logged(
        Command::new("python3")
            .arg("-u")
            .arg(&script)
            .arg("--issuer-cert")
            .arg(issuer.0)
            .arg("--issuer-key")
            .arg(issuer.1)
            .arg("--client-ca")
            .arg(client_ca)
            .arg("--sni")
            .arg(sni),
    );
    let port = wait_ready(&lines, "credentials_peer.py", |line| {
        line.strip_prefix("LISTENING ")
            .and_then(|port| port.trim().parse::<u16>().ok())
    });
    match port {
        Some(port) => peer.port = port,
        None => panic!(
            "credentials_peer.py (python3 with its ssl module) did not start:\n{}",
            peer.output()
        ),
    }
    peer
}
