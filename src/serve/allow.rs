//! `allowed_targets`: the targets `/probe` may reach, as glob patterns of `host[:port]`, so
//! that whoever can reach the exporter cannot turn it into a scanner of other hosts.
//!
//! In the host, `*` stands for any run of characters within one DNS label (it never crosses
//! a dot) and `?` for one character; names compare without regard to case. The port is a
//! number or `*`; a pattern without one allows the ports AWS IoT listens on (8883, 8443, 443).

/// The ports a pattern without a port allows.
pub const IOT_PORTS: [u16; 3] = [8883, 8443, 443];

/// One pattern of `allowed_targets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Lower case.
    host: String,
    port: PortPattern,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PortPattern {
    Any,
    One(u16),
    Iot,
}

impl Pattern {
    /// `host`, `host:port`, `host:*`, `[v6]:port`; a bare IPv6 address is taken whole.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let text = text.trim();
        let quoted = crate::quote::clipped(text);
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("{quoted:?}: an IPv6 address in [ ] lacks its ]"))?;
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(format!("{quoted:?}: expected :PORT after ]")),
                },
            }
        } else if text.matches(':').count() > 1 && text.parse::<std::net::Ipv6Addr>().is_ok() {
            (text, None)
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (text, None),
            }
        };
        if host.is_empty() {
            return Err(format!("{quoted:?}: the host is missing"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-.*?_:".contains(c);
        if !host.chars().all(allowed)
            || (host.contains(':')
                && !text.starts_with('[')
                && host.parse::<std::net::Ipv6Addr>().is_err())
        {
            return Err(format!(
                "{quoted:?}: write host[:port] with letters, digits, '-', '.', and the wildcards '*' and '?'"
            ));
        }
        let port =
            match port {
                None => PortPattern::Iot,
                Some("*") => PortPattern::Any,
                Some(p) => PortPattern::One(p.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(
                    || format!("{quoted:?}: the port is a number from 1 to 65535, or *"),
                )?),
            };
        Ok(Pattern {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether this pattern allows `host` (as the target names it, without brackets) on `port`.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::One(p) => p == port,
            PortPattern::Iot => IOT_PORTS.contains(&port),
        };
        port_ok && glob(self.host.as_bytes(), host.to_ascii_lowercase().as_bytes())
    }
}

/// Whether any pattern allows `host` on `port`.
pub fn allowed(patterns: &[Pattern], host: &str, port: u16) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.strip_suffix('.').unwrap_or(host);
    patterns.iter().any(|p| p.allows(host, port))
}

/// Label by label: as many labels, each matching its pattern (`*` any run of bytes, `?` one
/// byte; no label holds a dot, so neither ever crosses one).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let patterns: Vec<&[u8]> = pattern.split(|&b| b == b'.').collect();
    let labels: Vec<&[u8]> = text.split(|&b| b == b'.').collect();
    patterns.len() == labels.len()
        && patterns
            .iter()
            .zip(&labels)
            .all(|(pattern, label)| label_glob(pattern, label))
}

/// One label. Iterative with one backtrack point: at most pattern × text steps.
fn label_glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == text[t] || pattern[p] == b'?') {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(pattern: &str, host: &str, port: u16) -> bool {
        Pattern::parse(pattern).unwrap().allows(host, port)
    }

    #[test]
    fn a_star_stays_within_one_label() {
        let p = "*-ats.iot.*.amazonaws.com";
        assert!(allows(p, "abc123-ats.iot.eu-west-1.amazonaws.com", 8883));
        assert!(allows(p, "ABC123-ATS.iot.eu-west-1.amazonaws.com", 443));
        assert!(!allows(p, "abc123-ats.iot.eu-west-1.evil.com", 8883));
        assert!(!allows(p, "x.abc123-ats.iot.eu-west-1.amazonaws.com", 8883));
        assert!(!allows(p, "evil.com#-ats.iot.x.amazonaws.com", 8883));
        assert!(!allows("*.example.com", "a.b.example.com", 8883));
        assert!(allows("*.example.com", "a.example.com", 8443));
        assert!(allows("127.0.0.?", "127.0.0.1", 8883));
        assert!(!allows("127.0.0.?", "127.0.0.10", 8883));
    }

    #[test]
    fn ports_are_the_iot_ports_unless_named() {
        assert!(!allows("example.com", "example.com", 22));
        assert!(allows("example.com:*", "example.com", 22));
        assert!(allows("example.com:2222", "example.com", 2222));
        assert!(!allows("example.com:2222", "example.com", 2223));
        assert!(allows("[::1]:*", "::1", 9));
        assert!(allows("::1", "::1", 8883));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in [
            "",
            ":80",
            "a b",
            "host:0",
            "host:x",
            "[::1",
            "a/b",
            "host:99999",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn many_stars_stay_cheap() {
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let text = "a".repeat(60);
        assert!(!allows(pattern, &text, 8883));
    }
}
