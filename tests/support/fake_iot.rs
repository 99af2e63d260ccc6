//! A loopback fake of the AWS IoT API for the tests of what iotcheck does with answers the
//! real API never gives: each request (method and path, e.g. `GET /certificates/ID`) is
//! handed to a function of the test, which answers anything: valid JSON, garbage, a body of
//! a gigabyte or one that never ends, nesting a hundred thousand levels deep. Plain HTTP/1.1,
//! one request per connection (every answer closes it). Bodies are streamed, never built
//! whole, so that the test's own memory stays small.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path with its query.
    pub path: String,
}

/// What the fake sends back.
pub enum Answer {
    /// A JSON body with this status.
    Json(u16, String),
    /// Exactly these bytes, status line and headers included.
    Raw(Vec<u8>),
    /// A 200 whose body is `prefix`, then `piece` repeated until `length` bytes in all
    /// (declared with Content-Length), or without end in chunks (`length` None).
    Stream {
        prefix: Vec<u8>,
        piece: Vec<u8>,
        length: Option<u64>,
    },
}

impl Answer {
    pub fn ok(body: impl Into<String>) -> Answer {
        Answer::Json(200, body.into())
    }
}

/// A valid DescribeCertificate answer for the certificate `id`.
pub fn certificate_description(id: &str) -> String {
    format!(
        r#"{{"certificateDescription":{{"certificateArn":"arn:aws:iot:eu-west-1:123456789012:cert/{id}","certificateId":"{id}","status":"ACTIVE","creationDate":1.7E9,"certificateMode":"SNI_ONLY"}}}}"#
    )
}

/// Starts the fake on 127.0.0.1; returns its port. It serves until the test process ends.
pub fn start(answer: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake IoT API");
    let port = listener.local_addr().expect("local address").port();
    let answer = Arc::new(answer);
    thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            let answer = Arc::clone(&answer);
            thread::spawn(move || serve(socket, &*answer));
        }
    });
    port
}

fn serve(socket: TcpStream, answer: &dyn Fn(&Request) -> Answer) {
    let Ok(reader) = socket.try_clone() else {
        return;
    };
    let Some(request) = read_request(&mut BufReader::new(reader)) else {
        return;
    };
    let mut out = socket;
    let _ = send(&mut out, answer(&request));
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let method = words.next()?.to_string();
    let path = words.next()?.to_string();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path })
}

fn send(out: &mut TcpStream, answer: Answer) -> std::io::Result<()> {
    match answer {
        Answer::Json(status, body) => {
            write!(
                out,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
        }
        Answer::Raw(bytes) => out.write_all(&bytes)?,
        Answer::Stream {
            prefix,
            piece,
            length: Some(length),
        } => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
            )?;
            out.write_all(&prefix)?;
            let mut left = length.saturating_sub(prefix.len() as u64);
            while left > 0 {
                let n = left.min(piece.len() as u64) as usize;
                out.write_all(&piece[..n])?;
                left -= n as u64;
            }
        }
        Answer::Stream {
            prefix,
            piece,
            length: None,
        } => {
            out.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            )?;
            // An empty chunk would end the body.
            if !prefix.is_empty() {
                write!(out, "{:x}\r\n", prefix.len())?;
                out.write_all(&prefix)?;
                out.write_all(b"\r\n")?;
            }
            // Until the client goes away.
            loop {
                write!(out, "{:x}\r\n", piece.len())?;
                out.write_all(&piece)?;
                out.write_all(b"\r\n")?;
            }
        }
    }
    out.flush()
}
