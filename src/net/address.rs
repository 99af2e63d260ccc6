//! Host and port text: the one parser of `HOST[:PORT]` (the endpoint target, `--connect`) and
//! the writing of `host:port` authorities.

use std::net::{IpAddr, Ipv6Addr};

/// A host (name or IP literal, without brackets) and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HostPort {
    pub host: String,
    pub port: u16,
}

impl HostPort {
    /// `host:port`, with IPv6 literals in brackets as URLs and CONNECT requests need them.
    pub fn authority(&self) -> String {
        if self.host.parse::<Ipv6Addr>().is_ok() {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

/// Parses "name", "name:PORT", "127.0.0.1", "127.0.0.1:PORT", "::1", "[::1]", "[::1]:PORT";
/// the port defaults to `default_port`.
pub(super) fn parse_host_port(text: &str, default_port: u16) -> Result<HostPort, String> {
    let (host, port) = split_host_port(text)?;
    Ok(HostPort {
        host,
        port: port.unwrap_or(default_port),
    })
}

/// Splits "name", "name:PORT", "127.0.0.1:PORT", "::1", "[::1]" or "[::1]:PORT" into the
/// host (IPv6 without brackets) and the port, if one was given.
pub fn split_host_port(text: &str) -> Result<(String, Option<u16>), String> {
    let text = text.trim();
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{text:?}: missing ']' after the IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| {
                format!("{text:?}: expected ':PORT' after the IPv6 address in brackets")
            })?),
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("{text:?}: {host:?} is not an IPv6 address"));
        }
        (host, port)
    } else if text.parse::<Ipv6Addr>().is_ok() {
        (text, None)
    } else {
        match text.rsplit_once(':') {
            Some((host, _)) if host.contains(':') => {
                return Err(format!(
                    "{text:?}: write IPv6 addresses with a port in brackets, e.g. [::1]:8883"
                ))
            }
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{text:?}: the host is empty"));
    }
    let port = match port {
        None => None,
        Some(port) => Some(
            port.parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| format!("{text:?}: {port:?} is not a port number (1-65535)"))?,
        ),
    };
    Ok((host.to_string(), port))
}

/// The host as typed, without the brackets someone may have put around an IPv6 literal.
pub(super) fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(host: &str, port: u16) -> HostPort {
        HostPort {
            host: host.to_string(),
            port,
        }
    }

    #[test]
    fn parses_every_spelling_of_connect() {
        assert_eq!(
            parse_host_port("127.0.0.1", 8883),
            Ok(hp("127.0.0.1", 8883))
        );
        assert_eq!(parse_host_port("127.0.0.1:1", 8883), Ok(hp("127.0.0.1", 1)));
        assert_eq!(parse_host_port("::1", 8883), Ok(hp("::1", 8883)));
        assert_eq!(parse_host_port("[::1]", 8883), Ok(hp("::1", 8883)));
        assert_eq!(parse_host_port("[::1]:8443", 8883), Ok(hp("::1", 8443)));
        assert_eq!(
            parse_host_port("name.example", 443),
            Ok(hp("name.example", 443))
        );
        assert_eq!(
            parse_host_port("name.example:80", 443),
            Ok(hp("name.example", 80))
        );
    }

    #[test]
    fn rejects_malformed_connect() {
        for bad in [
            "", ":80", "[::1", "[::1]80", "[nope]:1", "h:0", "h:70000", "h:x", "a:b:c",
        ] {
            assert!(parse_host_port(bad, 1).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn authority_brackets_ipv6_only() {
        assert_eq!(hp("::1", 8443).authority(), "[::1]:8443");
        assert_eq!(hp("10.0.0.1", 8443).authority(), "10.0.0.1:8443");
        assert_eq!(hp("a.example", 1).authority(), "a.example:1");
        assert_eq!(bare_host("[::1]"), "::1");
        assert_eq!(bare_host("a.example"), "a.example");
    }
}
