//! Records a TLS server's first flight as a seed for the `tls_server_bytes` target: sends the
//! ClientHello of `iotcheck::fuzzing::tls_server_bytes`'s client to ADDR and writes everything
//! the server answers (until it pauses for half a second or closes) to FILE.
//!
//! Usage: record_flight ADDR FILE

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, file] = args.as_slice() else {
        eprintln!("usage: record_flight ADDR FILE");
        std::process::exit(2);
    };
    let mut tcp = TcpStream::connect(addr).unwrap_or_else(|e| fail(&format!("{addr}: {e}")));
    tcp.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap_or_else(|e| fail(&e.to_string()));
    tcp.write_all(&iotcheck::fuzzing::client_hello())
        .unwrap_or_else(|e| fail(&format!("{addr}: {e}")));
    let mut flight = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match tcp.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => flight.extend_from_slice(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break
            }
            Err(e) => fail(&format!("{addr}: {e}")),
        }
        if flight.len() > 64 * 1024 {
            break;
        }
    }
    if flight.is_empty() {
        fail(&format!("{addr} sent nothing"));
    }
    std::fs::write(file, &flight).unwrap_or_else(|e| fail(&format!("{file}: {e}")));
    println!("{file}: {} bytes", flight.len());
}

fn fail(why: &str) -> ! {
    eprintln!("record_flight: {why}");
    std::process::exit(1);
}
