//! The AWS IoT Device Client's configuration, read as the client reads it
//! (awslabs/aws-iot-device-client @2e20e21, `source/config/Config.cpp`): the JSON config, the
//! runtime config written by fleet provisioning, and `http-proxy.conf`. Paths go through
//! `wordexp` there: `~` and `$HOME` are the home directory, a relative path is relative to the
//! working directory. A value of the wrong JSON type reads as empty (aws-crt's `JsonView`).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{
    from_file, origin_words, relative_note, Client, Credential, DeviceFile, FileSettings, ModeRule,
    Named, Names, Origin, ProxySetting, Sourced,
};
use crate::finding::{Code, Finding};

/// Where the rules of the `files` stage come from.
pub const RULE_SOURCE: &str = "AWS IoT Device Client docs/PERMISSIONS.md: modes are compared for \
equality (a 0400 key is refused: \"desired: 600, actual: 400\")";

/// The proxy file the client reads unless `--http-proxy-config` names another; doctor looks
/// for it beside the configuration file.
pub const PROXY_FILE: &str = "http-proxy.conf";
/// The runtime config fleet provisioning writes; doctor looks for it beside the configuration.
pub const RUNTIME_FILE: &str = "aws-iot-device-client-runtime.conf";

/// The Device Client sets no port; the ports checked when neither the flags name one.
pub const DEFAULT_PORTS: [u16; 2] = [443, 8883];
pub const DEFAULT_PORTS_WHY: &str = "the Device Client sets no port: the AWS IoT Device SDK \
connects on 443 with ALPN x-amzn-mqtt-ca where the platform has ALPN (Linux does), else on \
8883; both are checked";

/// The Device Client has no MQTT version setting: it connects with the Device SDK's MQTT 3.1.1
/// client (`SharedCrtResourceManager`: `Aws::Iot::MqttClient`, `Aws::Crt::Mqtt`).
pub const MQTT_VERSION_WHY: &str = "the Device Client speaks MQTT 3.1.1 (its Device SDK \
MQTT 3.1.1 client; it has no version setting)";

/// The largest config file the client opens (`Config::MAX_CONFIG_SIZE`).
const MAX_CONFIG_SIZE: usize = 5000;

pub(super) const NAMES: Names = Names {
    endpoint: "endpoint",
    endpoint_missing: "the Device Client stops: \"Endpoint is missing\"",
    cert: "cert",
    cert_missing: "the Device Client stops: \"Certificate is missing\"",
    key: "key",
    key_missing: "the Device Client stops: \"Private Key is missing\"",
    thing: "thing-name",
    thing_missing:
        "the Device Client stops: \"Thing name is missing\"; it is also its MQTT client id",
    ca: "root-ca",
    ca_missing: "the Device Client then uses the system trust store",
};

/// Reads the Device Client's files: the main config (if any), then the runtime config over it,
/// and the proxy file.
pub(super) fn read(
    main: Option<&Named>,
    proxy: Option<&Named>,
    runtime: Option<&Named>,
    home: Option<&Path>,
) -> FileSettings {
    let mut settings = FileSettings::new(Client::DeviceClient);
    if let Some(main) = main {
        settings.config_file = Some(main.path.clone());
        settings.config_files.push(config_file(
            main,
            ModeRule::Recommended(0o640),
            ModeRule::Recommended(0o745),
        ));
        let mut reader = Reader {
            file: &main.path,
            home,
            findings: Vec::new(),
        };
        if main.file.size > MAX_CONFIG_SIZE {
            reader.note(
                Code::ConfigRefused,
                format!(
                    "the file is {} bytes: the Device Client refuses config files over {MAX_CONFIG_SIZE} bytes (\"Unable to Parse Config file\")",
                    main.file.size
                ),
            );
        }
        read_main(&main.file.root, &mut reader, &mut settings);
        settings.findings.append(&mut reader.findings);
    }
    if let Some(runtime) = runtime {
        settings.config_files.push(config_file(
            runtime,
            ModeRule::Recommended(0o640),
            ModeRule::Any,
        ));
        read_runtime(runtime, home, &mut settings);
    }
    if let Some(proxy) = proxy {
        settings.config_files.push(config_file(
            proxy,
            ModeRule::Recommended(0o600),
            ModeRule::Any,
        ));
        settings.proxy_file = Some(proxy.path.clone());
        let mut reader = Reader {
            file: &proxy.path,
            home,
            findings: Vec::new(),
        };
        settings.proxy = read_proxy(&proxy.file.root, &mut reader);
        settings.findings.append(&mut reader.findings);
    }
    settings
}

fn config_file(named: &Named, mode: ModeRule, dir_mode: ModeRule) -> DeviceFile {
    DeviceFile {
        path: Sourced {
            value: named.path.clone(),
            origin: named.origin(),
        },
        mode,
        dir_mode,
        rule_source: RULE_SOURCE,
    }
}

/// Reads values of one file as the client does, noting what it would ignore.
struct Reader<'a> {
    file: &'a Path,
    home: Option<&'a Path>,
    /// About `file`.
    findings: Vec<Finding>,
}

impl Reader<'_> {
    fn note(&mut self, code: Code, message: String) {
        let name = self.file.display().to_string();
        self.findings
            .push(Finding::new(code, message).on_file(&name));
    }

    /// A string value: absent, or of another type (read as empty by the client), is None.
    fn string(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match map.get(key)? {
            Value::String(s) if s.is_empty() => {
                self.note(
                    Code::ConfigIgnored,
                    format!("`{path}` is empty: the Device Client ignores it"),
                );
                None
            }
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => {
                self.note(
                    Code::ConfigIgnored,
                    format!(
                        "`{path}` is {}, not a string: the Device Client reads it as empty and ignores it",
                        json_kind(other)
                    ),
                );
                None
            }
        }
    }

    /// A path value, expanded as `wordexp` does for `~` and `$HOME`.
    fn path(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<Sourced<PathBuf>> {
        let raw = self.string(map, key, path)?;
        let origin = from_file(self.file, path);
        let value = expand(&raw, self.home, &origin, &mut self.findings, self.file);
        if let Some(note) = relative_note(&value, &origin, "the Device Client") {
            let name = self.file.display().to_string();
            self.findings.push(note.on_file(&name));
        }
        Some(Sourced { value, origin })
    }

    /// A boolean as aws-crt's `GetBool` reads it: anything but JSON `true` is false.
    fn flag(&mut self, map: &Map<String, Value>, key: &str, path: &str) -> bool {
        match map.get(key) {
            Some(Value::Bool(b)) => *b,
            None | Some(Value::Null) => false,
            Some(other) => {
                self.note(
                    Code::ConfigIgnored,
                    format!(
                        "`{path}` is {}, not true or false: the Device Client reads it as false",
                        json_kind(other)
                    ),
                );
                false
            }
        }
    }
}

fn read_main(root: &Map<String, Value>, reader: &mut Reader, parts: &mut FileSettings) {
    let file = reader.file;
    parts.endpoint = reader
        .string(root, "endpoint", "endpoint")
        .map(|value| Sourced {
            value,
            origin: from_file(file, "endpoint"),
        });
    parts.cert = reader.path(root, "cert", "cert").map(Credential::File);
    let secure_element = match root.get("secure-element") {
        Some(Value::Object(se)) => reader.flag(se, "enabled", "secure-element.enabled"),
        _ => false,
    };
    parts.key = if secure_element {
        // The key is taken from the token by its label; a `key` value is not used.
        Some(Credential::Token(from_file(file, "secure-element.enabled")))
    } else {
        reader.path(root, "key", "key").map(Credential::File)
    };
    if let Some(ca) = reader.path(root, "root-ca", "root-ca") {
        // `Config.cpp` keeps root-ca only when the file exists; otherwise it logs "Path ... to
        // RootCA is invalid. Ignoring... Will attempt to use default trust store."
        if std::fs::metadata(&ca.value).is_ok() {
            parts.ca = Some(ca);
        } else {
            parts.ca_not_found = Some(ca);
        }
    }
    parts.thing = root
        .get("thing-name")
        .and_then(Value::as_str)
        .map(|value| Sourced {
            value: value.to_string(),
            origin: from_file(file, "thing-name"),
        });
}

/// The runtime config replaces `cert`, `key` and `thing-name` when fleet provisioning completed
/// and all three are set (`FleetProvisioningRuntimeConfig::Validate`).
fn read_runtime(runtime: &Named, home: Option<&Path>, settings: &mut FileSettings) {
    let mut reader = Reader {
        file: &runtime.path,
        home,
        findings: Vec::new(),
    };
    read_runtime_values(runtime, &mut reader, settings);
    settings.findings.append(&mut reader.findings);
}

fn read_runtime_values(runtime: &Named, reader: &mut Reader, settings: &mut FileSettings) {
    let Some(Value::Object(rc)) = runtime.file.root.get("runtime-config") else {
        reader.note(
            Code::ConfigIgnored,
            "`runtime-config` is not an object: the Device Client ignores this file".to_string(),
        );
        return;
    };
    if !reader.flag(rc, "completed-fp", "runtime-config.completed-fp") {
        reader.note(
            Code::ConfigNote,
            "`runtime-config.completed-fp` is not true: fleet provisioning has not completed, so the Device Client ignores this file".to_string(),
        );
        return;
    }
    let cert = reader.path(rc, "cert", "runtime-config.cert");
    let key = reader.path(rc, "key", "runtime-config.key");
    let thing = reader
        .string(rc, "thing-name", "runtime-config.thing-name")
        .map(|value| Sourced {
            value,
            origin: from_file(&runtime.path, "runtime-config.thing-name"),
        });
    match (cert, key, thing) {
        (Some(cert), Some(key), Some(thing)) => {
            settings.cert = Some(Credential::File(cert));
            settings.key = Some(Credential::File(key));
            settings.thing = Some(thing);
            reader.note(
                Code::ConfigNote,
                "fleet provisioning completed: the Device Client takes cert, key and thing-name from this runtime config, over the main configuration and its own command line".to_string(),
            );
        }
        _ => reader.note(
            Code::ConfigIgnored,
            "the runtime config lacks one of cert, key and thing-name: the Device Client ignores it (\"Failed to Validate runtime configurations\")".to_string(),
        ),
    }
}

/// The proxy file (`HttpProxyConfig::LoadFromJson` and `Validate`). Used only when
/// `http-proxy-enabled` is JSON `true`. Findings are about `file`; the caller names it.
fn read_proxy(root: &Map<String, Value>, reader: &mut Reader) -> Option<Sourced<ProxySetting>> {
    let file = reader.file;
    if !reader.flag(root, "http-proxy-enabled", "http-proxy-enabled") {
        reader.note(
            Code::ConfigNote,
            "`http-proxy-enabled` is not true: the Device Client connects without the proxy"
                .to_string(),
        );
        return None;
    }
    let host = reader.string(root, "http-proxy-host", "http-proxy-host");
    let port = match root.get("http-proxy-port") {
        Some(Value::String(s)) => match leading_int(s) {
            Some(p) if (1..=65535).contains(&p) => Some(p as u16),
            _ => {
                reader.note(
                    Code::ConfigRefused,
                    "`http-proxy-port` is not a port number from 1 to 65535: the Device Client refuses to start (\"Valid value of proxy port field must be specified\")".to_string(),
                );
                None
            }
        },
        Some(Value::Number(n)) => {
            reader.note(
                Code::ConfigRefused,
                "`http-proxy-port` is a JSON number: the Device Client reads it only as a string (\"9999\") and refuses to start; quote it".to_string(),
            );
            // doctor still probes through the proxy the file means.
            n.as_u64()
                .filter(|p| (1..=65535).contains(p))
                .map(|p| p as u16)
        }
        _ => {
            reader.note(
                Code::ConfigRefused,
                "`http-proxy-port` is not set: the Device Client refuses to start (\"Valid value of proxy port field must be specified\")".to_string(),
            );
            None
        }
    };
    let method = root.get("http-proxy-auth-method").and_then(Value::as_str);
    let auth = match method {
        Some("UserNameAndPassword") => true,
        Some("None") => false,
        Some(_) => {
            reader.note(
                Code::ConfigIgnored,
                "`http-proxy-auth-method` is neither UserNameAndPassword nor None (the names are case-sensitive): the Device Client connects to the proxy without credentials".to_string(),
            );
            false
        }
        None => {
            reader.note(
                Code::ConfigNote,
                "`http-proxy-auth-method` is not set: the Device Client connects to the proxy without credentials".to_string(),
            );
            false
        }
    };
    let (username, password) = if auth {
        let username = reader.string(root, "http-proxy-username", "http-proxy-username");
        let password = reader.string(root, "http-proxy-password", "http-proxy-password");
        for (value, key) in [
            (username.is_none(), "http-proxy-username"),
            (password.is_none(), "http-proxy-password"),
        ] {
            if value {
                reader.note(
                    Code::ConfigMissingValue,
                    format!("`http-proxy-auth-method` is UserNameAndPassword but `{key}` is not set: the Device Client refuses to start"),
                );
            }
        }
        (username, password)
    } else {
        (None, None)
    };
    let Some(host) = host else {
        reader.note(
            Code::ConfigMissingValue,
            "`http-proxy-host` is not set: the Device Client refuses to start (\"Proxy host name field must be specified\")".to_string(),
        );
        return None;
    };
    if !is_private_ipv4(&host) {
        reader.note(
            Code::ConfigRefused,
            format!(
                "`http-proxy-host` is {}: the Device Client accepts only a private IPv4 address (10/8, 172.16/12, 192.168/16) and refuses to start (\"Proxy host IP address must be a private IP address\")",
                host_kind(&host)
            ),
        );
    }
    let port = port?;
    Some(Sourced {
        value: ProxySetting {
            host,
            port,
            username,
            password,
        },
        origin: from_file(file, "http-proxy-host"),
    })
}

/// `ProxyUtils::ValidateHostIpAddress`: `inet_pton(AF_INET)` and the three private ranges.
fn is_private_ipv4(host: &str) -> bool {
    host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_private())
}

fn host_kind(host: &str) -> &'static str {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) if ip.is_loopback() => "a loopback address",
        Ok(std::net::IpAddr::V4(_)) => "an IPv4 address outside the private ranges",
        Ok(std::net::IpAddr::V6(_)) => "an IPv6 address",
        Err(_) => "a host name, not an IP address",
    }
}

/// `std::stoi`: optional leading white space and sign, then digits; the rest is ignored.
fn leading_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let n: i64 = digits[..end.min(10)].parse().ok()?;
    Some(sign * n)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `wordexp` on a path: `~`, `~/…`, `$HOME` and `${HOME}` become the home directory. Other shell
/// words (`~user`, other variables) are left as written, with a note.
fn expand(
    raw: &str,
    home: Option<&Path>,
    origin: &Origin,
    findings: &mut Vec<Finding>,
    file: &Path,
) -> PathBuf {
    let name = file.display().to_string();
    let rest = ["~", "$HOME", "${HOME}"].iter().find_map(|prefix| {
        let rest = raw.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    });
    match (rest, home) {
        (Some(rest), Some(home)) => return home.join(rest.trim_start_matches('/')),
        (Some(_), None) => findings.push(
            Finding::new(
                Code::ConfigNote,
                format!(
                    "{} starts with ~ but the home directory is unknown: it is checked as written",
                    origin_words(origin)
                ),
            )
            .on_file(&name),
        ),
        (None, _) if raw.starts_with('~') || raw.contains('$') => findings.push(
            Finding::new(
                Code::ConfigNote,
                format!(
                    "{} holds a shell word doctor does not expand (~user or a variable other than $HOME): it is checked as written",
                    origin_words(origin)
                ),
            )
            .on_file(&name),
        ),
        (None, _) => {}
    }
    PathBuf::from(raw)
}
