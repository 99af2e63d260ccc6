//! Endpoint targets: from HOST[:PORT] as given (on the command line, a line of a targets file,
//! or the account's endpoint) and the options that apply to every target, to what each probe
//! dials, sends and verifies; and the `--save` subdirectory of each. No I/O: the command reads
//! the targets file and asks the account, then resolves what they gave here.

use serde::Serialize;

use crate::error::{Error, InputError};
use crate::net;

/// Where the endpoint name came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EndpointSource {
    /// HOST on the command line.
    Given,
    /// Asked of the account: DescribeEndpoint for this endpoint type, in this region.
    DescribeEndpoint {
        region: String,
        endpoint_type: &'static str,
    },
}

/// The options that shape every target, resolved from the command line and the environment.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--port`: the port of a target that names none (8443 without it).
    pub port: Option<u16>,
    /// `--servername`, checked: the name sent and verified instead of HOST.
    pub servername: Option<String>,
    /// `--no-sni`.
    pub no_sni: bool,
    /// The port when neither HOST:PORT nor `--port` names one [None: 8443]; 443 for MQTT
    /// over WebSocket or custom authentication.
    pub default_port: Option<u16>,
    /// `--alpn`: the protocols offered (empty names dropped); None: by port.
    pub alpn: Option<Vec<String>>,
    /// `--proxy`, parsed.
    pub proxy: Option<net::Proxy>,
    /// `--no-proxy`: HTTPS_PROXY does not apply.
    pub no_proxy: bool,
    /// `--connect`: the address dialled instead of HOST.
    pub connect: Option<String>,
    /// HTTPS_PROXY (or https_proxy), as set: parsed for a target it applies to.
    pub https_proxy: Option<String>,
    /// NO_PROXY (or no_proxy), as set: the hosts HTTPS_PROXY does not apply to.
    pub no_proxy_list: Option<String>,
    /// What the probe is for: it decides the default port and the ALPN offered on 443.
    pub door: Door,
}

/// The door of AWS IoT a probe knocks at (the AWS IoT developer guide's "Protocols, port
/// mappings, and authentication"; "Authorizing direct calls to AWS services").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Door {
    /// The data endpoint: 8443 by default; on 443, ALPN x-amzn-mqtt-ca.
    #[default]
    Data,
    /// The credentials provider: 443, no ALPN.
    Credentials,
    /// HTTPS publish with the device certificate: 8443 by default; on 443, ALPN x-amzn-http-ca.
    HttpsPublish,
}

/// A target as given: the text, where it came from, and its place for messages (FILE:LINE).
#[derive(Clone, Debug)]
pub struct Given {
    pub text: String,
    pub source: EndpointSource,
    pub place: Option<String>,
}

impl Given {
    /// HOST[:PORT] named on the command line.
    pub fn argument(text: &str) -> Given {
        Given {
            text: text.to_string(),
            source: EndpointSource::Given,
            place: None,
        }
    }
}

/// One target's address and names, resolved from HOST[:PORT] and the options.
#[derive(Clone, Debug)]
pub struct TargetAddress {
    pub source: EndpointSource,
    pub host: String,
    pub port: u16,
    /// The name verified against the leaf (the SNI name, or HOST when no SNI is sent).
    pub verified_name: String,
    pub sni: Option<String>,
    pub alpn: Vec<Vec<u8>>,
    pub proxy: Option<net::Proxy>,
}

/// The targets of a targets file's text `text`, each with its place `name:LINE`. A line of
/// more than one word, or a file naming no target, is an error naming the file (and line).
pub fn in_file(name: &str, text: &str) -> Result<Vec<Given>, Error> {
    let lines = lines(text).map_err(|(line, why)| Error::Usage(format!("{name}:{line}: {why}")))?;
    if lines.is_empty() {
        return Err(no_target(name));
    }
    Ok(lines
        .into_iter()
        .map(|(line, text)| Given {
            text,
            source: EndpointSource::Given,
            place: Some(format!("{name}:{line}")),
        })
        .collect())
}

/// The error of a targets file `name` that names no target.
pub fn no_target(name: &str) -> Error {
    InputError::new(
        name,
        "names no target: write one HOST[:PORT] a line (# starts a comment)",
    )
    .into()
}

/// The targets of a targets file, with their line numbers (from 1): one HOST[:PORT] a line;
/// `#` starts a comment (no host or port holds one), blank lines are skipped. `Err` names the
/// first line that holds more than one word.
pub fn lines(text: &str) -> Result<Vec<(usize, String)>, (usize, String)> {
    Ok(line_spans(text)?
        .into_iter()
        .map(|(line, span)| (line, text[span].to_string()))
        .collect())
}

/// A target's line number (from 1) and its byte span in the file's text.
pub type LineSpan = (usize, std::ops::Range<usize>);

/// [`lines`] as the byte span of each target in `text`, so that a long list is kept small.
pub fn line_spans(text: &str) -> Result<Vec<LineSpan>, (usize, String)> {
    let mut targets = Vec::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start_of_line = offset;
        offset += raw.len();
        let uncommented = raw.split('#').next().unwrap_or("");
        let line = uncommented.trim();
        if line.is_empty() {
            continue;
        }
        if line.split_whitespace().nth(1).is_some() {
            return Err((
                i + 1,
                format!(
                    "{:?}: write one HOST[:PORT] a line (# starts a comment)",
                    crate::quote::clipped(line)
                ),
            ));
        }
        let start = start_of_line + (uncommented.len() - uncommented.trim_start().len());
        targets.push((i + 1, start..start + line.len()));
    }
    Ok(targets)
}

/// Each target given, resolved as one target would be (an error names its place).
pub fn resolve_all(given: Vec<Given>, options: &Options) -> Result<Vec<TargetAddress>, Error> {
    given
        .into_iter()
        .map(|g| {
            resolve(&g.text, g.source, options).map_err(|e| match g.place {
                Some(place) => Error::Usage(format!("{place}: {e}")),
                None => e,
            })
        })
        .collect()
}

/// Keeps each target once, at its first place (names are case-insensitive; a trailing dot is
/// already gone), and says how many were dropped.
pub fn without_duplicates(addresses: Vec<TargetAddress>) -> (Vec<TargetAddress>, usize) {
    let mut seen = std::collections::HashSet::new();
    let before = addresses.len();
    let kept: Vec<TargetAddress> = addresses
        .into_iter()
        .filter(|a| seen.insert((a.host.to_ascii_lowercase(), a.port)))
        .collect();
    let dropped = before - kept.len();
    (kept, dropped)
}

/// Resolves HOST[:PORT] with `--port`, `--servername`, `--no-sni`, `--alpn` and the proxy
/// (`--proxy`, or HTTPS_PROXY unless NO_PROXY names the target).
pub fn resolve(
    target: &str,
    source: EndpointSource,
    options: &Options,
) -> Result<TargetAddress, Error> {
    let (host, port_in_target) = split_target(target)?;
    let port = match (port_in_target, options.port) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::Usage(format!(
                "port {a} in {target} contradicts --port {b}"
            )))
        }
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) if options.door == Door::Credentials => 443,
        (None, None) => options.default_port.unwrap_or(8443),
    };
    let host_is_ip = host.parse::<std::net::IpAddr>().is_ok();
    let host = host.strip_suffix('.').map(str::to_string).unwrap_or(host);
    let verified_name = match &options.servername {
        Some(name) => name.clone(),
        None => checked_host(&host, "HOST")?,
    };
    let sni = if options.no_sni || (host_is_ip && options.servername.is_none()) {
        None
    } else {
        Some(verified_name.clone())
    };
    let alpn: Vec<Vec<u8>> = match &options.alpn {
        Some(list) => list
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_bytes().to_vec())
            .collect(),
        None if port == 443 => match options.door {
            Door::Data => vec![b"x-amzn-mqtt-ca".to_vec()],
            Door::HttpsPublish => vec![b"x-amzn-http-ca".to_vec()],
            Door::Credentials => Vec::new(),
        },
        None => Vec::new(),
    };
    if let Some(p) = alpn.iter().find(|p| p.len() > 255) {
        return Err(Error::Usage(format!(
            "--alpn: a protocol name of {} bytes; TLS allows 1 to 255",
            p.len()
        )));
    }
    let proxy = match (&options.proxy, options.no_proxy) {
        (Some(proxy), _) => Some(proxy.clone()),
        (None, false)
            if !bypasses_proxy(
                options.no_proxy_list.as_deref(),
                &host,
                options.connect.as_deref(),
            ) =>
        {
            options
                .https_proxy
                .as_deref()
                .map(parse_proxy)
                .transpose()?
        }
        (None, _) => None,
    };
    Ok(TargetAddress {
        source,
        host,
        port,
        verified_name,
        sni,
        alpn,
        proxy,
    })
}

/// A name to verify must be a DNS name or an IP address.
pub fn checked_host(host: &str, option: &str) -> Result<String, Error> {
    let trimmed = host.trim_start_matches('[').trim_end_matches(']');
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    match rustls::pki_types::ServerName::try_from(trimmed) {
        Ok(_) => Ok(trimmed.to_string()),
        Err(_) if !trimmed.is_ascii() => Err(Error::Usage(format!(
            "{option} {:?}: an international name must be given in its ASCII (xn--) form",
            crate::quote::clipped(host)
        ))),
        Err(_) => Err(Error::Usage(format!(
            "{option} {:?} is neither a DNS name nor an IP address",
            crate::quote::clipped(host)
        ))),
    }
}

/// The subdirectory of `--save DIR` for one of several targets: HOST_PORT, with every
/// character other than letters, digits, dots and dashes (an IPv6 address's colons) as `_`.
pub fn save_dir_name(host: &str, port: u16) -> String {
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{host}_{port}")
}

/// HOST, HOST:PORT, [V6] or [V6]:PORT; a bare IPv6 address is taken whole.
pub fn split_target(target: &str) -> Result<(String, Option<u16>), Error> {
    net::split_host_port(target).map_err(Error::Usage)
}

/// `http://[user:pass@]host:port`; the message never shows the password.
pub fn parse_proxy(url: &str) -> Result<net::Proxy, Error> {
    net::parse_proxy(url).map_err(Error::Usage)
}

/// True when NO_PROXY names the host or the --connect address: `*`, a name, or a domain
/// suffix (`.example.com` or `example.com`).
fn bypasses_proxy(no_proxy: Option<&str>, host: &str, connect: Option<&str>) -> bool {
    let Some(list) = no_proxy else {
        return false;
    };
    let connect_host = connect.and_then(|c| split_target(c).ok()).map(|(h, _)| h);
    let names: Vec<&str> = std::iter::once(host)
        .chain(connect_host.as_deref())
        .collect();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let domain = entry.trim_start_matches('.');
            entry == "*"
                || names.iter().any(|n| {
                    n.eq_ignore_ascii_case(domain)
                        || n.to_ascii_lowercase()
                            .ends_with(&format!(".{}", domain.to_ascii_lowercase()))
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_host_and_port() {
        let ok = |t: &str| split_target(t).unwrap();
        assert_eq!(ok("a.example:443"), ("a.example".into(), Some(443)));
        assert_eq!(ok("a.example"), ("a.example".into(), None));
        assert_eq!(ok("[::1]:8883"), ("::1".into(), Some(8883)));
        assert_eq!(ok("::1"), ("::1".into(), None));
        assert!(split_target("a.example:x").is_err());
        assert!(split_target(":443").is_err());
    }

    #[test]
    fn no_proxy_names_hosts_domains_and_connect_addresses() {
        assert!(bypasses_proxy(
            Some("localhost, .example.com"),
            "a.example.com",
            None
        ));
        assert!(bypasses_proxy(
            Some("127.0.0.1"),
            "x.iot.eu-west-1.amazonaws.com",
            Some("127.0.0.1:8443")
        ));
        assert!(bypasses_proxy(Some("*"), "anything", None));
        assert!(!bypasses_proxy(Some("example.org"), "a.example.com", None));
        assert!(!bypasses_proxy(None, "a.example.com", None));
    }

    #[test]
    fn targets_files_hold_one_target_a_line_with_comments() {
        let text = "# production\n\na-ats.iot.eu-west-1.amazonaws.com:8883  # eu\r\n  [::1]:8883\n\t#\nb.example\n";
        assert_eq!(
            lines(text).unwrap(),
            [
                (3, "a-ats.iot.eu-west-1.amazonaws.com:8883".to_string()),
                (4, "[::1]:8883".to_string()),
                (6, "b.example".to_string()),
            ]
        );
        assert_eq!(lines("# none\n\n").unwrap(), []);
        let spans = line_spans(text).unwrap();
        let spanned: Vec<&str> = spans.iter().map(|(_, span)| &text[span.clone()]).collect();
        assert_eq!(
            spanned,
            [
                "a-ats.iot.eu-west-1.amazonaws.com:8883",
                "[::1]:8883",
                "b.example"
            ]
        );
        let (line, why) = lines("a.example\na.example b.example\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(why.contains("one HOST[:PORT] a line"), "{why}");
    }

    #[test]
    fn a_target_given_twice_is_kept_once_at_its_first_place() {
        let given = [
            "A.example:8883",
            "b.example",
            "a.example.:8883",
            "b.example:8443",
        ]
        .map(Given::argument)
        .to_vec();
        let (kept, dropped) = without_duplicates(resolve_all(given, &Options::default()).unwrap());
        let kept: Vec<(&str, u16)> = kept.iter().map(|a| (a.host.as_str(), a.port)).collect();
        assert_eq!(kept, [("A.example", 8883), ("b.example", 8443)]);
        assert_eq!(dropped, 2);
    }
}
