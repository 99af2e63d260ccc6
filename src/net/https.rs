//! One HTTP/1.1 request over an established, verified TLS session, and its answer read with
//! strict bounds: the credentials provider's `GET /role-aliases/<alias>/credentials` and
//! HTTPS publish's `POST /topics/<topic>?qos=1`. The answer is parsed by httparse (head) and
//! serde_json (body), never by hand.
//!
//! Bounds: the head at most [`MAX_HEAD`] bytes and [`MAX_HEADERS`] headers; the body at most
//! [`MAX_BODY`] bytes, read into one buffer allocated once (an announced larger body is not
//! read at all; a longer one is cut off and the connection closed); everything by the probe's
//! deadline. Nothing is followed: a redirect is an answer like any other. An answer that is not
//! HTTP/1.x (HTTP/0.9's bare body included) is refused.
//!
//! Secrets: a credentials answer carries `secretAccessKey` and `sessionToken`. The body is
//! deserialised into a shape that has no field for them (serde skips them without copying),
//! only the expiry and the access key id's last four characters are kept, and the receive
//! buffer is zeroized when the exchange returns, whatever the outcome.

use std::io::Read;
use std::time::Instant;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::time::timeout_at;
use zeroize::{Zeroize, Zeroizing};

use super::tls::{Failure, TlsIo};
use super::{CredentialsSummary, HttpAnswer, Https, HttpsOutcome, HttpsPurpose, HttpsRequest};

/// The answer's status line and headers.
pub const MAX_HEAD: usize = 16 * 1024;
/// Header lines in the answer.
pub const MAX_HEADERS: usize = 64;
/// The answer's body: a credentials answer is about 1.5 KB, a publish answer under 100 bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// Characters of the answer's `message` kept for the report.
const MESSAGE_CHARS: usize = 300;

/// How the exchange ended, and the alert that ended it, if one did.
pub(super) struct Exchange {
    pub outcome: HttpsOutcome,
    pub alert: Option<rustls::AlertDescription>,
}

/// Sends `request` to `host` and reads the answer until `deadline` (the probe's).
pub(super) async fn exchange(
    io: &mut TlsIo,
    host: &str,
    request: &HttpsRequest,
    deadline: tokio::time::Instant,
) -> Exchange {
    let start = Instant::now();
    let millis = || start.elapsed().as_secs_f64() * 1000.0;

    let bytes = encode(host, request);
    let sent = async {
        io.write_all(&bytes).await?;
        AsyncWriteExt::flush(io).await
    };
    match timeout_at(deadline, sent).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            return Exchange {
                outcome: HttpsOutcome::Closed {
                    millis: millis(),
                    detail: format!("sending the request failed: {error}"),
                },
                alert: None,
            }
        }
        Err(_elapsed) => {
            return Exchange {
                outcome: HttpsOutcome::TimedOut {
                    millis: millis(),
                    received: 0,
                },
                alert: None,
            }
        }
    }

    // One allocation for the whole answer, zeroized on every way out of this function.
    let mut buffer = Zeroizing::new(vec![0u8; MAX_HEAD + MAX_BODY]);
    let mut reader = Reader {
        io,
        buffer: &mut buffer,
        filled: 0,
    };
    let read = timeout_at(deadline, reader.answer(&request.purpose)).await;
    let received = reader.filled;
    let (outcome, alert) = match read {
        Err(_elapsed) => (
            HttpsOutcome::TimedOut {
                millis: millis(),
                received,
            },
            None,
        ),
        Ok(Got::Done(mut answer)) => {
            answer.millis = millis();
            (HttpsOutcome::Answered(answer), None)
        }
        Ok(Got::TooLarge(detail)) => (
            HttpsOutcome::TooLarge {
                millis: millis(),
                detail,
            },
            None,
        ),
        Ok(Got::Malformed(detail)) => (
            HttpsOutcome::Malformed {
                millis: millis(),
                detail,
            },
            None,
        ),
        Ok(Got::Closed { detail, alert }) => (
            HttpsOutcome::Closed {
                millis: millis(),
                detail,
            },
            alert,
        ),
    };
    // Best effort: the answer is complete or refused; the deadline bounds the goodbye.
    let _ = timeout_at(deadline, io.close()).await;
    Exchange { outcome, alert }
}

impl HttpsRequest {
    /// The credentials provider's request: `GET /role-aliases/<alias>/credentials`, with the
    /// thing name in `x-amzn-iot-thingname` when given (the AWS IoT developer guide,
    /// "Authorizing direct calls to AWS services"). The names are checked first
    /// ([`check_role_alias`], [`check_thing_name`]).
    pub fn credentials(role_alias: &str, thing: Option<&str>) -> Result<HttpsRequest, String> {
        check_role_alias(role_alias)?;
        if let Some(thing) = thing {
            check_thing_name(thing)?;
        }
        let target = target(["role-aliases", role_alias, "credentials"], None)?;
        Ok(HttpsRequest {
            method: super::HttpMethod::Get,
            target,
            headers: thing
                .map(|t| vec![("x-amzn-iot-thingname".to_string(), t.to_string())])
                .unwrap_or_default(),
            body: Vec::new(),
            purpose: HttpsPurpose::Credentials {
                role_alias: role_alias.to_string(),
                thing: thing.map(str::to_string),
            },
        })
    }

    /// HTTPS publish's request: `POST /topics/<topic>?qos=1` with `payload` (the AWS IoT
    /// developer guide, "HTTPS": "Publishing to a topic").
    pub fn publish(topic: &str, payload: &[u8]) -> Result<HttpsRequest, String> {
        if topic.is_empty() || topic.len() > 256 {
            return Err(format!(
                "--https-publish: a topic of {} bytes; AWS IoT takes 1 to 256",
                topic.len()
            ));
        }
        if topic.contains(['+', '#']) {
            return Err("--https-publish: a topic to publish to has no wildcards (+, #)".into());
        }
        let mut segments = vec!["topics"];
        segments.extend(topic.split('/'));
        let target = target(segments, Some("qos=1"))?;
        Ok(HttpsRequest {
            method: super::HttpMethod::Post,
            target,
            headers: vec![(
                "Content-Type".to_string(),
                "application/octet-stream".to_string(),
            )],
            body: payload.to_vec(),
            purpose: HttpsPurpose::Publish {
                topic: topic.to_string(),
            },
        })
    }

    /// This request's exchange when it was not sent, and why.
    pub(super) fn not_sent(&self, reason: &str) -> Https {
        Https {
            purpose: self.purpose.clone(),
            outcome: HttpsOutcome::NotSent {
                reason: reason.to_string(),
            },
        }
    }
}

/// A role alias as AWS IoT names them: 1 to 128 of `[A-Za-z0-9=,@_-]`.
pub fn check_role_alias(alias: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "=,@_-".contains(c);
    if alias.is_empty() || alias.len() > 128 || !alias.chars().all(allowed) {
        return Err(format!(
            "--role-alias {:?}: AWS IoT role aliases are 1 to 128 letters, digits and =,@_-",
            crate::quote::clip(alias, 64)
        ));
    }
    Ok(())
}

/// A thing name as AWS IoT names them: 1 to 128 of `[A-Za-z0-9:_-]`.
pub fn check_thing_name(thing: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ":_-".contains(c);
    if thing.is_empty() || thing.len() > 128 || !thing.chars().all(allowed) {
        return Err(format!(
            "--thing {:?}: AWS IoT thing names are 1 to 128 letters, digits and :_-",
            crate::quote::clip(thing, 64)
        ));
    }
    Ok(())
}

/// A request target from path segments (each percent-encoded by the url crate) and a query.
fn target<'a>(
    segments: impl IntoIterator<Item = &'a str>,
    query: Option<&str>,
) -> Result<String, String> {
    let mut url = url::Url::parse("https://request.invalid/")
        .map_err(|e| format!("cannot build the request: {e}"))?;
    url.path_segments_mut()
        .map_err(|()| "cannot build the request path".to_string())?
        .clear()
        .extend(segments);
    url.set_query(query);
    Ok(url[url::Position::BeforePath..].to_string())
}

/// The request's bytes: the request line, Host, the caller's headers, and the body.
fn encode(host: &str, request: &HttpsRequest) -> Vec<u8> {
    let mut out = format!(
        "{} {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: iotcheck/{}\r\nAccept: application/json\r\nConnection: close\r\n",
        request.method.as_str(),
        request.target,
        env!("CARGO_PKG_VERSION"),
    );
    for (name, value) in &request.headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    if request.method == super::HttpMethod::Post || !request.body.is_empty() {
        out.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&request.body);
    bytes
}

enum Got {
    Done(Box<HttpAnswer>),
    TooLarge(String),
    Malformed(String),
    Closed {
        detail: String,
        alert: Option<rustls::AlertDescription>,
    },
}

struct Reader<'a> {
    io: &'a mut TlsIo,
    buffer: &'a mut [u8],
    filled: usize,
}

/// How the body's end is known.
enum Framing {
    Length(usize),
    Chunked,
    /// Until the server closes (HTTP/1.0 style).
    Close,
}

impl Reader<'_> {
    async fn answer(&mut self, purpose: &HttpsPurpose) -> Got {
        // The head.
        let (head, head_len) = loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            let limit = self.filled.min(MAX_HEAD);
            match response.parse(&self.buffer[..limit]) {
                Ok(httparse::Status::Complete(len)) => break (Head::of(&response), len),
                Ok(httparse::Status::Partial) if limit >= MAX_HEAD => {
                    return Got::TooLarge(format!(
                        "the answer's status line and headers exceed {MAX_HEAD} bytes"
                    ))
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => {
                    return Got::TooLarge(format!("the answer has more than {MAX_HEADERS} headers"))
                }
                Err(error) => return Got::Malformed(not_http(&self.buffer[..limit], error)),
            }
            match self.fill(MAX_HEAD).await {
                Ok(true) => {}
                Ok(false) if self.filled == 0 => {
                    return Got::Closed {
                        detail: "the server closed the connection without answering the request"
                            .to_string(),
                        alert: None,
                    }
                }
                Ok(false) => {
                    return Got::Malformed(format!(
                    "the server closed the connection after {} bytes of an incomplete HTTP head",
                    self.filled
                ))
                }
                Err(closed) => return closed,
            }
        };
        let framing = match head.framing() {
            Ok(framing) => framing,
            Err(why) => return Got::Malformed(why),
        };
        // The body: a 1xx, 204 or 304 has none.
        let body_range = if matches!(head.status, 100..=199 | 204 | 304) {
            head_len..head_len
        } else {
            match self.body(head_len, framing).await {
                Ok(range) => range,
                Err(read) => return read,
            }
        };
        let body = &self.buffer[body_range.clone()];
        let mut answer = HttpAnswer {
            status: head.status,
            reason: head.reason,
            error_type: head.error_type,
            location: head.location,
            content_type: head.content_type,
            request_id: head.request_id,
            message: None,
            credentials: None,
            body_problem: None,
            body_bytes: body.len(),
            millis: 0.0,
        };
        read_body(body, purpose, &mut answer);
        Got::Done(Box::new(answer))
    }

    /// Reads the body that starts at `start`, as `framing` says, within [`MAX_BODY`]; chunked
    /// bodies are decoded in place (httparse reads the chunk sizes).
    async fn body(
        &mut self,
        start: usize,
        framing: Framing,
    ) -> Result<std::ops::Range<usize>, Got> {
        match framing {
            Framing::Length(length) => {
                if length > MAX_BODY {
                    return Err(Got::TooLarge(format!(
                        "the answer announces a body of {length} bytes; at most {MAX_BODY} are read"
                    )));
                }
                let end = start + length;
                while self.filled < end {
                    if !self.fill(end).await? {
                        return Err(Got::Malformed(format!(
                            "the server closed the connection after {} of the {length} body bytes it announced",
                            self.filled - start
                        )));
                    }
                }
                Ok(start..end)
            }
            Framing::Close => {
                let limit = start + MAX_BODY;
                loop {
                    if self.filled > limit {
                        return Err(Got::TooLarge(format!(
                            "the answer's body exceeds {MAX_BODY} bytes"
                        )));
                    }
                    if !self.fill(limit + 1).await? {
                        return Ok(start..self.filled);
                    }
                }
            }
            Framing::Chunked => {
                // Decoded bytes are moved down to `out`; the raw chunks follow them.
                let mut out = start;
                let mut at = start;
                loop {
                    let size = loop {
                        match httparse::parse_chunk_size(&self.buffer[at..self.filled]) {
                            Ok(httparse::Status::Complete((used, size))) => {
                                at += used;
                                break size;
                            }
                            Ok(httparse::Status::Partial) => {
                                if !self.fill(self.buffer.len()).await? {
                                    return Err(Got::Malformed(
                                        "the server closed the connection inside a chunked body"
                                            .to_string(),
                                    ));
                                }
                            }
                            Err(_) => {
                                return Err(Got::Malformed(
                                    "the answer's chunked body has an invalid chunk size"
                                        .to_string(),
                                ))
                            }
                        }
                    };
                    let size = usize::try_from(size).unwrap_or(usize::MAX);
                    if size == 0 {
                        return Ok(start..out);
                    }
                    if (out - start).saturating_add(size) > MAX_BODY {
                        return Err(Got::TooLarge(format!(
                            "the answer's chunked body exceeds {MAX_BODY} bytes"
                        )));
                    }
                    // The chunk and its CRLF.
                    let end = at + size + 2;
                    while self.filled < end {
                        if !self.fill(end).await? {
                            return Err(Got::Malformed(
                                "the server closed the connection inside a chunk".to_string(),
                            ));
                        }
                    }
                    if &self.buffer[at + size..end] != b"\r\n" {
                        return Err(Got::Malformed(
                            "a chunk of the answer's body does not end with CRLF".to_string(),
                        ));
                    }
                    self.buffer.copy_within(at..at + size, out);
                    out += size;
                    at = end;
                }
            }
        }
    }

    /// Reads more of the answer into the buffer, up to `until` (at most the buffer's size).
    /// `Ok(false)` once the server closed (close_notify or EOF) with nothing more to give;
    /// `Err` for an alert, invalid TLS, an answer that does not fit.
    async fn fill(&mut self, until: usize) -> Result<bool, Got> {
        let until = until.min(self.buffer.len());
        if self.filled >= self.buffer.len() {
            return Err(Got::TooLarge(format!(
                "the answer exceeds {} bytes",
                self.buffer.len()
            )));
        }
        loop {
            // Plaintext rustls already holds first.
            match self
                .io
                .conn
                .reader()
                .read(&mut self.buffer[self.filled..until.max(self.filled + 1)])
            {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.filled += n;
                    return Ok(true);
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                // The peer closed TCP without close_notify: what was received stands.
                Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(false)
                }
                Err(error) => {
                    return Err(Got::Closed {
                        detail: format!("reading the answer failed: {error}"),
                        alert: None,
                    })
                }
            }
            match self.io.read_once().await {
                Ok(_) => {}
                Err(Failure::Tls(rustls::Error::AlertReceived(alert))) => {
                    return Err(Got::Closed {
                        detail: format!(
                            "the server sent the alert {} instead of an answer",
                            super::probe::alert_name(alert)
                        ),
                        alert: Some(alert),
                    })
                }
                Err(Failure::Tls(error)) => {
                    return Err(Got::Closed {
                        detail: format!("the server sent invalid TLS data: {error}"),
                        alert: None,
                    })
                }
                Err(Failure::Eof | Failure::NotTls(_)) => return Ok(false),
                Err(Failure::Io(error)) => {
                    return Err(Got::Closed {
                        detail: format!("the connection failed while reading the answer: {error}"),
                        alert: None,
                    })
                }
            }
        }
    }
}

/// The parts of the head the report and the judgement use; values clipped and made printable.
struct Head {
    status: u16,
    reason: String,
    error_type: Option<String>,
    location: Option<String>,
    content_type: Option<String>,
    request_id: Option<String>,
    content_length: Vec<String>,
    transfer_encoding: Vec<String>,
}

impl Head {
    fn of(response: &httparse::Response) -> Head {
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| printable(h.value, 200))
        };
        let all = |name: &str| {
            response
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| printable(h.value, 200))
                .collect()
        };
        Head {
            status: response.code.unwrap_or(0),
            reason: response
                .reason
                .map(|r| printable(r.as_bytes(), 100))
                .unwrap_or_default(),
            error_type: header("x-amzn-ErrorType"),
            location: header("Location"),
            content_type: header("Content-Type"),
            request_id: header("x-amzn-RequestId"),
            content_length: all("Content-Length"),
            transfer_encoding: all("Transfer-Encoding"),
        }
    }

    /// How the body ends (RFC 9112 section 6.3): chunked wins over a length; lengths that
    /// disagree or do not parse are refused.
    fn framing(&self) -> Result<Framing, String> {
        if let Some(last) = self.transfer_encoding.last() {
            let chunked = last
                .rsplit(',')
                .next()
                .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"));
            return if chunked {
                Ok(Framing::Chunked)
            } else {
                Ok(Framing::Close)
            };
        }
        let mut length = None;
        for value in &self.content_length {
            for part in value.split(',') {
                let parsed: usize = part.trim().parse().map_err(|_| {
                    format!("the answer's Content-Length {value:?} is not a number")
                })?;
                if length.is_some_and(|l| l != parsed) {
                    return Err("the answer has Content-Length values that disagree".to_string());
                }
                length = Some(parsed);
            }
        }
        Ok(length.map(Framing::Length).unwrap_or(Framing::Close))
    }
}

/// What a credentials answer may hold that is kept: no field for the secret access key or the
/// session token, so serde skips them without a copy.
#[derive(Deserialize)]
struct CredentialsBody {
    credentials: Option<CredentialsFields>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct CredentialsFields {
    #[serde(rename = "accessKeyId")]
    access_key_id: Option<String>,
    expiration: Option<String>,
    #[serde(rename = "secretAccessKey")]
    secret_access_key: Option<serde::de::IgnoredAny>,
    #[serde(rename = "sessionToken")]
    session_token: Option<serde::de::IgnoredAny>,
}

/// Any other JSON answer (an error, a publish acknowledgement): its message.
#[derive(Deserialize)]
struct MessageBody {
    message: Option<String>,
}

/// Reads what is kept of the body into `answer`.
fn read_body(body: &[u8], purpose: &HttpsPurpose, answer: &mut HttpAnswer) {
    if body.is_empty() {
        return;
    }
    let json = answer
        .content_type
        .as_deref()
        .is_none_or(|t| t.to_ascii_lowercase().contains("json"));
    let success = (200..300).contains(&answer.status);
    match purpose {
        HttpsPurpose::Credentials { .. } if success => {
            match serde_json::from_slice::<CredentialsBody>(body) {
                Ok(parsed) => {
                    answer.message = parsed.message.map(|m| clip(&m));
                    let Some(mut fields) = parsed.credentials else {
                        answer.body_problem =
                            Some("the answer has no \"credentials\" object".to_string());
                        return;
                    };
                    let mut missing = Vec::new();
                    if fields.access_key_id.is_none() {
                        missing.push("accessKeyId");
                    }
                    if fields.secret_access_key.is_none() {
                        missing.push("secretAccessKey");
                    }
                    if fields.session_token.is_none() {
                        missing.push("sessionToken");
                    }
                    if fields.expiration.is_none() {
                        missing.push("expiration");
                    }
                    let suffix = fields.access_key_id.as_ref().map(|id| {
                        let chars: Vec<char> = id.chars().collect();
                        let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
                        printable(tail.as_bytes(), 4)
                    });
                    if let Some(id) = fields.access_key_id.as_mut() {
                        id.zeroize();
                    }
                    if !missing.is_empty() {
                        answer.body_problem = Some(format!(
                            "the \"credentials\" object lacks {}",
                            missing.join(", ")
                        ));
                    }
                    answer.credentials = Some(CredentialsSummary {
                        expiration: fields.expiration.map(|e| printable(e.as_bytes(), 64)),
                        access_key_suffix: suffix,
                    });
                }
                Err(error) => {
                    // serde_json's message names a line and column, never the text.
                    answer.body_problem = Some(format!("the answer is not valid JSON: {error}"));
                }
            }
        }
        _ if json => match serde_json::from_slice::<MessageBody>(body) {
            Ok(parsed) => answer.message = parsed.message.map(|m| clip(&m)),
            Err(error) => {
                answer.body_problem = Some(format!("the answer is not valid JSON: {error}"))
            }
        },
        _ => {}
    }
}

/// An answer that is not HTTP/1.x, in words. Its bytes are not quoted: an HTTP/0.9 answer
/// is a bare body, and a credentials body holds secrets.
fn not_http(received: &[u8], error: httparse::Error) -> String {
    match error {
        httparse::Error::Version => format!(
            "the answer does not start with an HTTP/1.x status line (an HTTP/0.9 bare body, or not HTTP at all; {} bytes received, not shown)",
            received.len()
        ),
        other => format!(
            "the answer is not valid HTTP/1.x ({other}; {} bytes received, not shown)",
            received.len()
        ),
    }
}

/// A message from the server, clipped and made printable.
fn clip(text: &str) -> String {
    printable(text.as_bytes(), MESSAGE_CHARS)
}

/// Outside bytes as one printable line of at most `max` characters.
fn printable(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: HttpsPurpose = HttpsPurpose::Credentials {
        role_alias: String::new(),
        thing: None,
    };

    fn answer(status: u16, content_type: Option<&str>) -> HttpAnswer {
        HttpAnswer {
            status,
            reason: String::new(),
            error_type: None,
            location: None,
            content_type: content_type.map(str::to_string),
            request_id: None,
            message: None,
            credentials: None,
            body_problem: None,
            body_bytes: 0,
            millis: 0.0,
        }
    }

    #[test]
    fn a_credentials_answer_keeps_only_the_expiry_and_four_characters() {
        let body = br#"{"credentials":{"accessKeyId":"ASIAFAKEKEYID1234WXYZ","secretAccessKey":"FAKE-SECRET-never-shown","sessionToken":"FAKE-TOKEN-never-shown==","expiration":"2026-06-01T01:00:00Z"}}"#;
        let mut a = answer(200, Some("application/json"));
        read_body(body, &CREDENTIALS, &mut a);
        let kept = a.credentials.clone().expect("credentials");
        assert_eq!(kept.access_key_suffix.as_deref(), Some("WXYZ"));
        assert_eq!(kept.expiration.as_deref(), Some("2026-06-01T01:00:00Z"));
        assert!(a.body_problem.is_none());
        let debug = format!("{a:?}");
        assert!(!debug.contains("FAKE-SECRET") && !debug.contains("FAKE-TOKEN"));
        assert!(!debug.contains("ASIAFAKE"));
    }

    #[test]
    fn missing_fields_and_invalid_json_are_named_without_quoting_the_body() {
        let mut a = answer(200, Some("application/json"));
        read_body(
            br#"{"credentials":{"accessKeyId":"AKIDXXXX1234"}}"#,
            &CREDENTIALS,
            &mut a,
        );
        assert_eq!(
            a.body_problem.as_deref(),
            Some("the \"credentials\" object lacks secretAccessKey, sessionToken, expiration")
        );
        let mut a = answer(200, Some("application/json"));
        read_body(
            b"{\"credentials\": {\"secretAccessKey\": \"SECRETX",
            &CREDENTIALS,
            &mut a,
        );
        let problem = a.body_problem.expect("invalid JSON");
        assert!(
            problem.starts_with("the answer is not valid JSON"),
            "{problem}"
        );
        assert!(!problem.contains("SECRETX"), "{problem}");
    }

    #[test]
    fn error_answers_keep_their_message() {
        let mut a = answer(403, Some("application/json"));
        read_body(
            br#"{"message":"Invalid thing name passed"}"#,
            &CREDENTIALS,
            &mut a,
        );
        assert_eq!(a.message.as_deref(), Some("Invalid thing name passed"));
        assert!(a.credentials.is_none());
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let head = |lengths: &[&str], encodings: &[&str]| Head {
            status: 200,
            reason: String::new(),
            error_type: None,
            location: None,
            content_type: None,
            request_id: None,
            content_length: lengths.iter().map(|s| s.to_string()).collect(),
            transfer_encoding: encodings.iter().map(|s| s.to_string()).collect(),
        };
        assert!(matches!(
            head(&["12"], &[]).framing(),
            Ok(Framing::Length(12))
        ));
        assert!(matches!(
            head(&["12", "12"], &[]).framing(),
            Ok(Framing::Length(12))
        ));
        assert!(head(&["12", "13"], &[]).framing().is_err());
        assert!(head(&["-1"], &[]).framing().is_err());
        assert!(matches!(
            head(&["12"], &["chunked"]).framing(),
            Ok(Framing::Chunked)
        ));
        assert!(matches!(head(&[], &[]).framing(), Ok(Framing::Close)));
    }

    #[test]
    fn requests_are_http_1_1_with_host_and_length() {
        let request = HttpsRequest {
            method: super::super::HttpMethod::Post,
            target: "/topics/a%2Fb?qos=1".to_string(),
            headers: vec![("x-amzn-iot-thingname".to_string(), "Sensor1".to_string())],
            body: b"{}".to_vec(),
            purpose: HttpsPurpose::Publish {
                topic: "a/b".to_string(),
            },
        };
        let text = String::from_utf8(encode("h.example", &request)).expect("ASCII");
        assert!(text.starts_with("POST /topics/a%2Fb?qos=1 HTTP/1.1\r\nHost: h.example\r\n"));
        assert!(text.contains("x-amzn-iot-thingname: Sensor1\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
