//! HTTP proxies: reading `--proxy` / `HTTPS_PROXY` URLs, and opening a tunnel with
//! `CONNECT host:port HTTP/1.1`.

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::{Host, Url};

use super::Proxy;

/// Reads a proxy URL, `http://[user:pass@]host:port`, with a real URL parser: user and
/// password are percent-decoded (`us%40er` is "us@er"), an IPv6 host is written in brackets,
/// and a URL without a scheme is taken as `http://`, as curl does. The error is one sentence
/// that shows the URL with its password replaced by `***`.
pub fn parse_proxy(text: &str) -> Result<Proxy, String> {
    let text = text.trim();
    let bad = |why: &str| {
        format!(
            "proxy {:?}: {why}; expected http://[user:pass@]host:port",
            redact_password(text)
        )
    };
    let full = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let url = Url::parse(&full).map_err(|error| match error {
        url::ParseError::EmptyHost => bad("the host is missing"),
        other => bad(&other.to_string()),
    })?;
    if url.scheme() != "http" {
        return Err(bad(
            "only http:// proxies are supported (CONNECT over plain HTTP)",
        ));
    }
    let host = match url.host() {
        None => return Err(bad("the host is missing")),
        Some(Host::Domain("")) => return Err(bad("the host is missing")),
        Some(Host::Domain(name)) => name.to_string(),
        Some(Host::Ipv4(address)) => address.to_string(),
        Some(Host::Ipv6(address)) => address.to_string(),
    };
    // The parser drops a port equal to the scheme's default, 80; only a port left out is
    // missing (proxies listen anywhere: 3128, 8080, ...).
    let port = match url.port() {
        Some(0) => return Err(bad("port 0 is not a port")),
        Some(port) => port,
        None if authority(&full).ends_with(":80") => 80,
        None => return Err(bad("the port is missing")),
    };
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| bad("the user name or password is not UTF-8 once percent-decoded"))
    };
    let user = decode(url.username())?;
    let password = url.password().map(decode).transpose()?;
    let credentials = match (user.is_empty(), password) {
        (true, None) => None,
        (_, password) => Some((user, password.unwrap_or_default())),
    };
    Ok(Proxy {
        host,
        port,
        credentials,
    })
}

/// The host and port part of a URL as written: after "scheme://" and any "user:pass@",
/// before any path.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// The URL with any password replaced by `***`, for messages; works on text that is not a
/// valid URL too.
pub(super) fn redact_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    match rest.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials
                .split_once(':')
                .map_or(credentials, |(user, _)| user);
            let separator = if scheme.is_empty() { "" } else { "://" };
            format!("{scheme}{separator}{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

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

    fn proxy(host: &str, port: u16, credentials: Option<(&str, &str)>) -> Proxy {
        Proxy {
            host: host.to_string(),
            port,
            credentials: credentials
                .map(|(user, password)| (user.to_string(), password.to_string())),
        }
    }

    #[test]
    fn proxy_urls_are_parsed_and_decoded() {
        let cases = [
            ("http://proxy.local:3128", proxy("proxy.local", 3128, None)),
            ("http://proxy.local:3128/", proxy("proxy.local", 3128, None)),
            ("HTTP://Proxy.Local:3128", proxy("proxy.local", 3128, None)),
            ("proxy.local:3128", proxy("proxy.local", 3128, None)),
            ("http://proxy.local:80", proxy("proxy.local", 80, None)),
            ("http://10.0.0.1:8080", proxy("10.0.0.1", 8080, None)),
            ("http://[::1]:3128", proxy("::1", 3128, None)),
            ("http://[fe80::1]:3128/", proxy("fe80::1", 3128, None)),
            (
                "http://u:p@proxy.local:3128/",
                proxy("proxy.local", 3128, Some(("u", "p"))),
            ),
            (
                "http://us%40er:p%3Ass@host:3128",
                proxy("host", 3128, Some(("us@er", "p:ss"))),
            ),
            (
                "http://user:p%40ss%2Fword@[::1]:3128",
                proxy("::1", 3128, Some(("user", "p@ss/word"))),
            ),
            (
                "http://user@host:3128",
                proxy("host", 3128, Some(("user", ""))),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_proxy(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn proxy_mistakes_are_named_without_the_password() {
        for (text, says) in [
            ("https://u:s3cret@proxy.local:3128", "only http:// proxies"),
            ("socks5://u:s3cret@proxy.local:1080", "only http:// proxies"),
            ("http://u:s3cret@proxy.local", "the port is missing"),
            ("http://u:s3cret@:3128", "the host is missing"),
            ("http://u:s3cret@", "the host is missing"),
            ("http://u:s3cret@proxy.local:99999", "invalid port number"),
            ("http://u:s3cret@proxy.local:0", "port 0"),
            ("http://u:s3cret@[::1:3128", "invalid IPv6 address"),
            ("http://u:s3cret@proxy local:3128", "invalid"),
            ("http://u:s3%ffcret@proxy.local:3128", "not UTF-8"),
        ] {
            let error = parse_proxy(text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
            assert!(!error.contains("s3"), "{text}: password shown: {error}");
            assert!(error.contains("u:***@"), "{text}: {error}");
            assert!(!error.contains('\n'), "{text}: {error}");
        }
        let shown = format!("{:?}", parse_proxy("http://u:s3cret@host:1"));
        assert!(!shown.contains("s3cret"), "{shown}");
    }

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
