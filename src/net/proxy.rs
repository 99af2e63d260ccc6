//! Opening a tunnel through an HTTP proxy with `CONNECT host:port HTTP/1.1`.

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A proxy answer larger than this is not an answer to CONNECT.
const MAX_RESPONSE: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;

/// Why the proxy did not open the tunnel.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Refusal {
    pub status: Option<u16>,
    pub detail: String,
}

/// Asks the proxy for a tunnel to `authority`; returns any bytes the proxy sent after its
/// answer (they belong to the tunnelled server).
pub(super) async fn open_tunnel(
    tcp: &mut TcpStream,
    authority: &str,
    credentials: Option<&(String, String)>,
) -> Result<Vec<u8>, Refusal> {
    let request = connect_request(authority, credentials);
    tcp.write_all(request.as_bytes())
        .await
        .map_err(|error| refusal(None, format!("sending CONNECT failed: {error}")))?;

    let mut received = Vec::new();
    let mut chunk = [0u8; 2048];
    loop {
        let n = tcp
            .read(&mut chunk)
            .await
            .map_err(|error| refusal(None, format!("reading its answer failed: {error}")))?;
        if n == 0 {
            return Err(refusal(
                None,
                "closed the connection without answering CONNECT".to_string(),
            ));
        }
        received.extend_from_slice(&chunk[..n]);
        if let Some(result) = parse_answer(&received, authority, credentials.is_some())? {
            return Ok(result);
        }
        if received.len() > MAX_RESPONSE {
            return Err(refusal(
                None,
                format!("answered more than {MAX_RESPONSE} bytes without ending its headers"),
            ));
        }
    }
}

fn connect_request(authority: &str, credentials: Option<&(String, String)>) -> String {
    let mut request = format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: iotcheck/{}\r\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some((user, password)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    request
}

/// `Ok(None)` while the headers are incomplete; `Ok(Some(leftover))` on a 2xx answer.
fn parse_answer(
    received: &[u8],
    authority: &str,
    sent_credentials: bool,
) -> Result<Option<Vec<u8>>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let length = match response.parse(received) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => {
            return Err(refusal(
                None,
                format!(
                    "answered something that is not HTTP ({error}): {:?}; is it an HTTP proxy?",
                    super::tls::preview(received)
                ),
            ))
        }
    };
    // httparse fills both once the answer is complete; 0 and "" only guard odd input.
    let code = response.code.unwrap_or(0);
    let status_line = format!(
        "HTTP/1.{} {} {}",
        response.version.unwrap_or(1),
        code,
        response.reason.unwrap_or("")
    );
    let status_line = status_line.trim_end();
    let advice = match code {
        200..=299 => return Ok(Some(received[length..].to_vec())),
        407 if sent_credentials => "the proxy refused the credentials given".to_string(),
        407 => "the proxy needs credentials: use http://user:pass@host:port".to_string(),
        403 => {
            format!("the proxy does not allow a tunnel to {authority} (many allow only port 443)")
        }
        502..=504 => format!("the proxy could not reach {authority}"),
        _ => format!("the proxy did not open a tunnel to {authority}"),
    };
    Err(refusal(
        Some(code),
        format!("answered {status_line:?}: {advice}"),
    ))
}

fn refusal(status: Option<u16>, detail: String) -> Refusal {
    Refusal { status, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_carries_host_and_basic_credentials() {
        let credentials = ("user".to_string(), "pa:ss".to_string());
        let request = connect_request("[::1]:8883", Some(&credentials));
        assert!(request.starts_with("CONNECT [::1]:8883 HTTP/1.1\r\nHost: [::1]:8883\r\n"));
        // base64("user:pa:ss")
        assert!(request.contains("Proxy-Authorization: Basic dXNlcjpwYTpzcw==\r\n"));
        assert!(request.ends_with("\r\n\r\n"));
        assert!(!connect_request("a:1", None).contains("Proxy-Authorization"));
    }

    #[test]
    fn answers_are_classified() {
        let ok = parse_answer(
            b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03",
            "a:1",
            false,
        );
        assert_eq!(ok, Ok(Some(vec![0x16, 0x03])));
        assert_eq!(parse_answer(b"HTTP/1.1 200 OK\r\n", "a:1", false), Ok(None));

        let denied = parse_answer(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
            "a:1",
            false,
        );
        let denied = denied.expect_err("407 is a refusal");
        assert_eq!(denied.status, Some(407));
        assert!(denied.detail.contains("407 Proxy Authentication Required"));
        assert!(denied.detail.contains("http://user:pass@host:port"));

        let forbidden = parse_answer(b"HTTP/1.0 403 Forbidden\r\n\r\n", "a:8883", true);
        assert_eq!(forbidden.expect_err("403").status, Some(403));
        let garbage = parse_answer(b"\x16\x03\x01 nope", "a:1", false);
        assert_eq!(garbage.expect_err("not http").status, None);
    }
}
