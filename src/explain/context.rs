//! What a text reveals about the device's setup: its endpoint, port, files and client id, so
//! that the suggested checks can be printed with them filled in.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

/// The first of each kind found in the text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    /// An AWS IoT endpoint (`<prefix>-ats.iot.<region>.amazonaws.com`).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// A root CA file (caPath).
    pub ca_file: Option<String>,
    /// A certificate file (certPath).
    pub cert_file: Option<String>,
    /// A private key file (keyPath).
    pub key_file: Option<String>,
    pub client_id: Option<String>,
}

struct Patterns {
    host: Regex,
    port: Regex,
    file: Regex,
    ca: Regex,
    client_id: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        // Fixed expressions, exercised by the tests below: compiling them cannot fail.
        let re = |s: &str| Regex::new(s).expect("a fixed expression compiles");
        Patterns {
            host: re(
                r"(?i)(?:^|[^a-z0-9.-])([a-z0-9][a-z0-9-]*\.iot\.[a-z]{2}(?:-[a-z]+)+-[0-9]\.amazonaws\.com(?:\.cn)?)(?::([0-9]{2,5}))?",
            ),
            port: re(r"(?i)\bport\b[\s:=]*([0-9]{2,5})\b|:(8883|8443|443)\b"),
            file: re(r"(?i)(?:^|[\s'\x22=(\[,:])([\w./~-]*\w\.(?:pem|crt|key|cer|der)(?:\.crt|\.key)?)\b"),
            ca: re(r"(?i)root|cacert|ca[_-]?bundle|(?:^|[/_.-])ca(?:[_.-]|$)"),
            client_id: re(r#"(?i)\bclient[_ -]?id\b"?\s*[:=]\s*"?([A-Za-z0-9_:.-]{1,128})"#),
        }
    })
}

impl Context {
    /// Takes from one line what is not known yet.
    pub fn absorb(&mut self, line: &str) {
        if self.is_complete() {
            return;
        }
        // The expressions run only where their words are: most lines have none of them.
        let lower = line.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        let p = patterns();
        if self.host.is_none() && has(&["amazonaws.com"]) {
            if let Some(c) = p.host.captures(line) {
                self.host = Some(c[1].to_ascii_lowercase());
                if self.port.is_none() {
                    self.port = c.get(2).and_then(|m| m.as_str().parse().ok());
                }
            }
        }
        if self.port.is_none() && has(&["port", ":8883", ":8443", ":443"]) {
            if let Some(c) = p.port.captures(line) {
                let found = c.get(1).or_else(|| c.get(2));
                self.port = found
                    .and_then(|m| m.as_str().parse().ok())
                    .filter(|&p| p > 0);
            }
        }
        let files = [".pem", ".crt", ".key", ".cer", ".der"];
        let want_files =
            self.ca_file.is_none() || self.cert_file.is_none() || self.key_file.is_none();
        for c in p
            .file
            .captures_iter(line)
            .take_while(|_| want_files)
            .filter(|_| has(&files))
        {
            let name = c[1].to_string();
            let base = name
                .rsplit('/')
                .next()
                .unwrap_or(&name)
                .to_ascii_lowercase();
            let slot = if base.contains("key") {
                &mut self.key_file
            } else if p.ca.is_match(&base) {
                &mut self.ca_file
            } else {
                &mut self.cert_file
            };
            if slot.is_none() {
                *slot = Some(name);
            }
        }
        if self.client_id.is_none() && has(&["client"]) {
            if let Some(c) = p.client_id.captures(line) {
                self.client_id = Some(c[1].to_string());
            }
        }
    }

    fn is_complete(&self) -> bool {
        self.host.is_some()
            && self.port.is_some()
            && self.ca_file.is_some()
            && self.cert_file.is_some()
            && self.key_file.is_some()
            && self.client_id.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(lines: &[&str]) -> Context {
        let mut c = Context::default();
        for l in lines {
            c.absorb(l);
        }
        c
    }

    #[test]
    fn endpoint_port_files_and_client_id_are_found() {
        let c = of(&[
            "Connecting to a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com:8883",
            "--root-ca /certs/AmazonRootCA1.pem --cert /certs/device.pem.crt --key /certs/private.pem.key",
            r#"{"clientId": "Sensor-1", "eventType": "disconnected"}"#,
        ]);
        assert_eq!(
            c.host.as_deref(),
            Some("a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com")
        );
        assert_eq!(c.port, Some(8883));
        assert_eq!(c.ca_file.as_deref(), Some("/certs/AmazonRootCA1.pem"));
        assert_eq!(c.cert_file.as_deref(), Some("/certs/device.pem.crt"));
        assert_eq!(c.key_file.as_deref(), Some("/certs/private.pem.key"));
        assert_eq!(c.client_id.as_deref(), Some("Sensor-1"));
    }

    #[test]
    fn a_certificate_is_not_taken_for_a_ca_and_other_hosts_are_ignored() {
        let c = of(&[
            "loading certificate.pem.crt",
            "GET https://c2abc.credentials.iot.us-east-1.amazonaws.com/role-aliases",
            "port 443 blocked",
        ]);
        assert_eq!(c.cert_file.as_deref(), Some("certificate.pem.crt"));
        assert_eq!(c.ca_file, None);
        assert_eq!(c.host, None);
        assert_eq!(c.port, Some(443));
    }
}
