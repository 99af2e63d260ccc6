//! The AWS IoT Greengrass v2 nucleus configuration (`config.yaml` given to the installer with
//! `--init-config`, or the running core's `effectiveConfig.yaml`), read as the nucleus reads it
//! (aws-greengrass/aws-greengrass-nucleus: `DeviceConfiguration`, `KernelCommandLine.deTilde`,
//! `MqttClient`; the keys and defaults of the developer guide's greengrass-nucleus-component).
//! Values go through `Coerce` there: a number may be written as a string and the reverse.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{
    from_file, origin_words, relative_note, Client, Credential, DeviceFile, FileSettings, ModeRule,
    Named, Names, Origin, ProxySetting, Sourced,
};
use crate::finding::{Code, Finding};
use crate::net::MqttVersion;

/// Where the rules of the `files` stage come from.
pub const RULE_SOURCE: &str = "Greengrass sets no file modes: a private key must not be \
readable by group or others";

const NUCLEUS: &str = "aws.greengrass.Nucleus";
const CONFIGURATION: &str = "services.\"aws.greengrass.Nucleus\".configuration";
pub const CRED_ENDPOINT_KEY: &str =
    "services.\"aws.greengrass.Nucleus\".configuration.iotCredEndpoint";

/// `mqtt.version` (`MqttClient.MQTT_VERSION_KEY`): "mqtt5" (any case) makes the nucleus
/// connect with its MQTT 5 client, any other value with its MQTT 3.1.1 one; without it the
/// nucleus uses `DEFAULT_MQTT_VERSION`, "mqtt5". Nuclei before v2.10.0 (the release that
/// added MQTT 5, aws-greengrass-nucleus@f2c7bdd) have no such key and speak MQTT 3.1.1.
const MQTT5_SINCE: (u64, u64) = (2, 10);
/// Nuclei before v2.4.0 behind a proxy connected over a SigV4 WebSocket (`MqttClient`:
/// `withWebsockets(true).withWebsocketCredentialsProvider(...)`, removed in v2.4.0).
const WEBSOCKET_PROXY_UNTIL: (u64, u64) = (2, 4);
pub const MQTT_VERSION_UNKNOWN: &str = "the configuration names neither `mqtt.version` nor the \
nucleus version: MQTT 3.1.1, which every nucleus accepts (nuclei from v2.10.0 default to MQTT 5 \
unless `mqtt.version` is mqtt3)";

/// `MqttClient.DEFAULT_MQTT_PORT` and `DeviceConfiguration.GG_DATA_PLANE_PORT_DEFAULT`.
const DEFAULT_MQTT_PORT: u16 = 8883;
const DEFAULT_DATA_PLANE_PORT: u16 = 8443;

pub(super) const NAMES: Names = Names {
    endpoint: "services.\"aws.greengrass.Nucleus\".configuration.iotDataEndpoint",
    endpoint_missing:
        "the installer's --provision true writes it; without it the nucleus cannot connect",
    cert: "system.certificateFilePath",
    cert_missing: "the nucleus cannot authenticate",
    key: "system.privateKeyPath",
    key_missing: "the nucleus cannot authenticate",
    thing: "system.thingName",
    thing_missing: "the nucleus connects with the thing name as its MQTT client id",
    ca: "system.rootCaPath",
    ca_missing: "the nucleus fails with \"TLSAuthException: Failed to get trust manager\"",
};

/// Reads a Greengrass configuration.
pub(super) fn read(main: &Named, home: Option<&Path>) -> FileSettings {
    let mut settings = FileSettings::new(Client::Greengrass);
    settings.config_file = Some(main.path.clone());
    settings.config_files.push(DeviceFile {
        path: Sourced {
            value: main.path.clone(),
            origin: main.origin(),
        },
        mode: ModeRule::Any,
        dir_mode: ModeRule::Any,
        rule_source: RULE_SOURCE,
    });
    let mut reader = Reader {
        file: &main.path,
        home,
        rootpath: None,
        findings: Vec::new(),
    };
    read_values(&main.file.root, &mut reader, &mut settings);
    let name = main.name();
    settings
        .findings
        .extend(reader.findings.into_iter().map(|f| f.on_file(&name)));
    settings
}

struct Reader<'a> {
    file: &'a Path,
    home: Option<&'a Path>,
    /// `system.rootpath`, resolved: what `~root/` stands for.
    rootpath: Option<PathBuf>,
    findings: Vec<Finding>,
}

impl Reader<'_> {
    fn note(&mut self, code: Code, message: String) {
        self.findings.push(Finding::new(code, message));
    }

    /// `Coerce.toString`: a scalar of any type, as text; empty is unset.
    fn string(
        &mut self,
        map: Option<&Map<String, Value>>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        let text = match map?.get(key)? {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => return None,
            Value::Array(_) | Value::Object(_) => {
                self.note(
                    Code::ConfigIgnored,
                    format!("`{path}` is a list or a mapping, not a value: it is ignored"),
                );
                return None;
            }
        };
        (!text.is_empty()).then_some(text)
    }

    /// `Coerce.toInt` for a port: a number, or a string holding one.
    fn port(&mut self, map: Option<&Map<String, Value>>, key: &str, path: &str) -> Option<u16> {
        let text = self.string(map, key, path)?;
        let number = text
            .parse::<f64>()
            .ok()
            .filter(|n| n.fract() == 0.0 && (1.0..=65535.0).contains(n));
        match number {
            Some(n) => Some(n as u16),
            None => {
                self.note(
                    Code::ConfigRefused,
                    format!("`{path}` is not a port number from 1 to 65535: the nucleus cannot connect with it"),
                );
                None
            }
        }
    }

    /// A path as `deTilde` resolves it: `~/` is the home directory of the user the nucleus runs
    /// as; `~root/`, `~config/` and `~packages/` are the root path and its `config` and
    /// `packages` folders. Anything else is taken as written.
    fn path(&mut self, raw: &str, path: &str) -> Sourced<PathBuf> {
        let origin = from_file(self.file, path);
        let value = self.detilde(raw, &origin);
        if let Some(note) = relative_note(&value, &origin, "the nucleus") {
            self.findings.push(note);
        }
        Sourced { value, origin }
    }

    fn detilde(&mut self, raw: &str, origin: &Origin) -> PathBuf {
        if let Some(rest) = raw.strip_prefix("~/") {
            if let Some(home) = self.home {
                return home.join(rest);
            }
            self.note(
                Code::ConfigNote,
                format!(
                    "{} starts with ~/ but the home directory is unknown: it is checked as written",
                    origin_words(origin)
                ),
            );
            return PathBuf::from(raw);
        }
        for (prefix, below) in [
            ("~root/", ""),
            ("~config/", "config"),
            ("~packages/", "packages"),
        ] {
            if let Some(rest) = raw.strip_prefix(prefix) {
                if let Some(root) = &self.rootpath {
                    return root.join(below).join(rest);
                }
                self.note(
                    Code::ConfigNote,
                    format!(
                        "{} starts with {prefix} but `system.rootpath` is not set (the installer's -Droot gives it): it is checked as written",
                        origin_words(origin)
                    ),
                );
                return PathBuf::from(raw);
            }
        }
        PathBuf::from(raw)
    }

    /// The certificate or key: a file, or a `pkcs11:` URI naming an object in a token.
    fn credential(&mut self, system: Option<&Map<String, Value>>, key: &str) -> Option<Credential> {
        let path = format!("system.{key}");
        let raw = self.string(system, key, &path)?;
        if raw.starts_with("pkcs11:") {
            return Some(Credential::Token(from_file(self.file, &path)));
        }
        Some(Credential::File(self.path(&raw, &path)))
    }
}

fn object<'a>(map: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a Map<String, Value>> {
    map?.get(key)?.as_object()
}

fn read_values(root: &Map<String, Value>, reader: &mut Reader, settings: &mut FileSettings) {
    let file = reader.file;
    let system = object(Some(root), "system");
    let nucleus = object(object(Some(root), "services"), NUCLEUS);
    let configuration = object(nucleus, "configuration");
    if system.is_none() {
        reader.note(
            Code::ConfigNote,
            "no `system` section: the certificate, key, root CA and thing name come from the flags alone".to_string(),
        );
    }
    if configuration.is_none() {
        reader.note(
            Code::ConfigNote,
            format!("no `{CONFIGURATION}` section: the endpoint and ports come from the flags and the nucleus defaults"),
        );
    }

    if let Some(raw) = reader.string(system, "rootpath", "system.rootpath") {
        let origin = from_file(file, "system.rootpath");
        // `~root/` cannot refer to the root path itself.
        reader.rootpath = Some(reader.detilde(&raw, &origin));
    }
    settings.cert = reader.credential(system, "certificateFilePath");
    settings.key = reader.credential(system, "privateKeyPath");
    settings.ca = reader
        .string(system, "rootCaPath", "system.rootCaPath")
        .map(|raw| reader.path(&raw, "system.rootCaPath"));
    let sourced = |value: String, key: &str| Sourced {
        value,
        origin: from_file(file, key),
    };
    settings.thing = reader
        .string(system, "thingName", "system.thingName")
        .map(|v| sourced(v, "system.thingName"));
    let endpoint_key = format!("{CONFIGURATION}.iotDataEndpoint");
    settings.endpoint = reader
        .string(configuration, "iotDataEndpoint", &endpoint_key)
        .map(|v| sourced(v, &endpoint_key));
    let region_key = format!("{CONFIGURATION}.awsRegion");
    settings.region = reader
        .string(configuration, "awsRegion", &region_key)
        .map(|v| sourced(v, &region_key));

    let cred_key = format!("{CONFIGURATION}.iotCredEndpoint");
    settings.cred_endpoint = reader
        .string(configuration, "iotCredEndpoint", &cred_key)
        .map(|v| sourced(v, &cred_key));
    let alias_key = format!("{CONFIGURATION}.iotRoleAlias");
    settings.role_alias = reader
        .string(configuration, "iotRoleAlias", &alias_key)
        .map(|v| sourced(v, &alias_key));

    settings.mqtt_version = mqtt_version(nucleus, configuration, reader);
    let (ports, plane_port) = ports(configuration, reader);
    settings.ports = Some(ports);
    settings.data_plane = data_plane(configuration, reader, settings, plane_port);
    settings.proxy = proxy(configuration, reader, settings.endpoint.as_ref());
    if let Some(named) = reader.string(
        nucleus,
        "version",
        "services.\"aws.greengrass.Nucleus\".version",
    ) {
        let behind_proxy =
            object(configuration, "networkProxy").is_some_and(|p| p.contains_key("proxy"));
        if behind_proxy && major_minor(&named).is_some_and(|r| r < WEBSOCKET_PROXY_UNTIL) {
            // MqttClient before v2.4.0: with a proxy, `withWebsockets(true)` and the token
            // exchange service's credentials, signed for awsRegion.
            reader.note(
                Code::ConfigNote,
                format!("nucleus {named} behind a network proxy connects MQTT over a WebSocket signed with its token exchange role's credentials (for awsRegion), not with its certificate: that role must allow iot:Connect, iot:Publish, iot:Subscribe and iot:Receive; check it with --transport wss and that role's credentials (nucleus 2.4.0 and later use the certificate)"),
            );
        }
    }
}

/// The MQTT version the nucleus connects with (`MqttClient.getNewMqttClient`): `mqtt.version`
/// when set, else the default of the nucleus version the file names; None when it names
/// neither.
fn mqtt_version(
    nucleus: Option<&Map<String, Value>>,
    configuration: Option<&Map<String, Value>>,
    reader: &mut Reader,
) -> Option<Sourced<MqttVersion>> {
    let key = format!("{CONFIGURATION}.mqtt.version");
    let nucleus_version = reader.string(
        nucleus,
        "version",
        "services.\"aws.greengrass.Nucleus\".version",
    );
    let release = nucleus_version.as_deref().and_then(major_minor);
    if let Some(value) = reader.string(object(configuration, "mqtt"), "version", &key) {
        let version = if value.eq_ignore_ascii_case("mqtt5") {
            MqttVersion::V5
        } else {
            if !value.eq_ignore_ascii_case("mqtt3") {
                reader.note(
                    Code::ConfigNote,
                    "`mqtt.version` is neither mqtt5 nor mqtt3: the nucleus connects with MQTT 3.1.1".to_string(),
                );
            }
            MqttVersion::V311
        };
        if version == MqttVersion::V5 && release.is_some_and(|r| r < MQTT5_SINCE) {
            reader.note(
                Code::ConfigIgnored,
                format!(
                    "`mqtt.version` is mqtt5 but the nucleus is {}: nuclei before v2.10.0 ignore it and speak MQTT 3.1.1",
                    nucleus_version.as_deref().unwrap_or_default()
                ),
            );
            return Some(Sourced {
                value: MqttVersion::V311,
                origin: Origin::Default {
                    why: format!(
                        "nucleus {} predates MQTT 5 (v2.10.0) and ignores `mqtt.version`",
                        nucleus_version.as_deref().unwrap_or_default()
                    ),
                },
            });
        }
        return Some(Sourced {
            value: version,
            origin: from_file(reader.file, &key),
        });
    }
    let (release, named) = (release?, nucleus_version.unwrap_or_default());
    Some(if release < MQTT5_SINCE {
        Sourced::default(
            MqttVersion::V311,
            &format!("nucleus {named} predates MQTT 5 (v2.10.0): it speaks MQTT 3.1.1"),
        )
    } else {
        Sourced::default(
            MqttVersion::V5,
            &format!("no `mqtt.version`: nucleus {named} defaults to mqtt5 (since v2.10.0)"),
        )
    })
}

/// "2.9.4" as (2, 9); None when the text is not a version.
fn major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts
        .next()?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some((major, minor))
}

/// The data plane the nucleus uses for deployments (`DeviceConfiguration`): with
/// `greengrassDataPlaneEndpoint: iotdata`, the AWS IoT data endpoint; otherwise
/// `greengrass-ats.iot.<region>.amazonaws.com` (the developer guide's "Allow device traffic
/// through a proxy or firewall"); on `greengrassDataPlanePort` (8443, or 443 with ALPN
/// x-amzn-http-ca).
fn data_plane(
    configuration: Option<&Map<String, Value>>,
    reader: &mut Reader,
    settings: &FileSettings,
    port: u16,
) -> Option<super::DataPlane> {
    let key = format!("{CONFIGURATION}.greengrassDataPlaneEndpoint");
    let choice = reader.string(configuration, "greengrassDataPlaneEndpoint", &key);
    let (host, why) = match choice.as_deref() {
        Some(c) if c.eq_ignore_ascii_case("iotdata") => (
            settings.endpoint.as_ref()?.value.clone(),
            format!("{key} is iotdata: the AWS IoT data endpoint (iotDataEndpoint)"),
        ),
        _ => {
            let region = settings.region.as_ref()?.value.clone();
            (
                format!("greengrass-ats.iot.{region}.amazonaws.com"),
                format!("the nucleus's data plane in awsRegion {region} ({key} not iotdata)"),
            )
        }
    };
    Some(super::DataPlane {
        host,
        port,
        origin: Origin::Default {
            why: format!("{why}, on greengrassDataPlanePort {port}"),
        },
    })
}

/// The two ports the nucleus uses: MQTT (`mqtt.port`, 8883) and the HTTPS data plane
/// (`greengrassDataPlanePort`, 8443), with the finding for a firewall that opens only 443;
/// and the data plane's port on its own.
fn ports(
    configuration: Option<&Map<String, Value>>,
    reader: &mut Reader,
) -> (Sourced<Vec<u16>>, u16) {
    let mqtt_key = format!("{CONFIGURATION}.mqtt.port");
    let plane_key = format!("{CONFIGURATION}.greengrassDataPlanePort");
    let mqtt = reader.port(object(configuration, "mqtt"), "port", &mqtt_key);
    let plane = reader.port(configuration, "greengrassDataPlanePort", &plane_key);
    if let Some(p) = plane.filter(|p| ![443, 8443].contains(p)) {
        reader.note(
            Code::ConfigIgnored,
            format!("`greengrassDataPlanePort` is {p}: Greengrass documents only 443 and 8443 for the data plane"),
        );
    }
    let mqtt_port = mqtt.unwrap_or(DEFAULT_MQTT_PORT);
    let plane_port = plane.unwrap_or(DEFAULT_DATA_PLANE_PORT);
    if mqtt_port == 443 && plane_port != 443 {
        reader.note(
            Code::PortSplit,
            format!(
                "`mqtt.port` is 443 but the data plane stays on {plane_port}{}: a firewall that opens only 443 also needs `greengrassDataPlanePort: 443` (nucleus 2.0.4 or later; deployments use the data plane)",
                if plane.is_none() { " (the default)" } else { "" }
            ),
        );
    }
    let mut value = vec![mqtt_port];
    if plane_port != mqtt_port {
        value.push(plane_port);
    }
    let origin = match (mqtt, plane) {
        (None, None) => Origin::Default {
            why: format!(
                "the nucleus defaults: MQTT on {DEFAULT_MQTT_PORT} (mqtt.port), the HTTPS data plane on {DEFAULT_DATA_PLANE_PORT} (greengrassDataPlanePort)"
            ),
        },
        (Some(_), None) => from_file(
            reader.file,
            &format!("{mqtt_key} (greengrassDataPlanePort: the default, {DEFAULT_DATA_PLANE_PORT})"),
        ),
        (None, Some(_)) => from_file(
            reader.file,
            &format!("{plane_key} (mqtt.port: the default, {DEFAULT_MQTT_PORT})"),
        ),
        (Some(_), Some(_)) => from_file(reader.file, &format!("{mqtt_key}, {plane_key}")),
    };
    (Sourced { value, origin }, plane_port)
}

/// `networkProxy.proxy`: `url` (`scheme://userinfo@host:port`), `username`, `password`, and
/// `noProxyAddresses`, which the nucleus matches against the endpoint as Java regular
/// expressions (`endpoint::matches`).
fn proxy(
    configuration: Option<&Map<String, Value>>,
    reader: &mut Reader,
    endpoint: Option<&Sourced<String>>,
) -> Option<Sourced<ProxySetting>> {
    let network = object(configuration, "networkProxy");
    let proxy = object(network, "proxy");
    let url_key = format!("{CONFIGURATION}.networkProxy.proxy.url");
    let raw = reader.string(proxy, "url", &url_key)?;
    let Ok(url) = url::Url::parse(&raw) else {
        reader.note(
            Code::ConfigRefused,
            "`networkProxy.proxy.url` is not a URL (scheme://host:port): the nucleus cannot use the proxy".to_string(),
        );
        return None;
    };
    let scheme = url.scheme().to_string();
    if scheme != "http" && scheme != "https" {
        reader.note(
            Code::ConfigRefused,
            "`networkProxy.proxy.url` must start with http:// or https://: the nucleus cannot use the proxy".to_string(),
        );
        return None;
    }
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_string(),
        _ => {
            reader.note(
                Code::ConfigRefused,
                "`networkProxy.proxy.url` has no host: the nucleus cannot use the proxy"
                    .to_string(),
            );
            return None;
        }
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8_lossy()
            .into_owned()
    };
    let in_url = !url.username().is_empty();
    let username_key = format!("{CONFIGURATION}.networkProxy.proxy.username");
    let password_key = format!("{CONFIGURATION}.networkProxy.proxy.password");
    let username = reader.string(proxy, "username", &username_key);
    let password = reader.string(proxy, "password", &password_key);
    let (username, password) = if in_url {
        if username.is_some() || password.is_some() {
            reader.note(
                Code::ConfigNote,
                "`networkProxy.proxy.url` carries user info: the nucleus uses it and ignores `proxy.username` and `proxy.password`".to_string(),
            );
        }
        (Some(decode(url.username())), url.password().map(decode))
    } else {
        (username, password)
    };
    if let (Some(list), Some(endpoint)) = (
        reader.string(network, "noProxyAddresses", "networkProxy.noProxyAddresses"),
        endpoint,
    ) {
        if bypasses(&list, &endpoint.value) {
            reader.note(
                Code::ConfigNote,
                "`networkProxy.noProxyAddresses` matches the data endpoint: the nucleus connects to it without the proxy".to_string(),
            );
            return None;
        }
    }
    if scheme == "https" {
        reader.note(
            Code::ConfigNote,
            "the proxy is https://: the nucleus (2.5.0 or later) needs the proxy's CA certificate appended to the file at `system.rootCaPath`, so that file also holds a root that is not Amazon's; doctor's probes speak to http:// proxies only and connect without it (pass --proxy to name one)".to_string(),
        );
        return None;
    }
    Some(Sourced {
        value: ProxySetting {
            host,
            port,
            username,
            password,
        },
        origin: from_file(reader.file, &url_key),
    })
}

/// Whether `endpoint` matches an entry of the comma-separated list, each a Java regular
/// expression matched against the whole name (`String.matches`). As in Java by default, the
/// classes (`\w`, `\d`, `\s`, `(?i)`) are ASCII ones. An entry that is not a valid expression
/// matches nothing, nor does one too large once compiled: the list comes from a file, and an
/// unbounded compile of a few hundred bytes (`\w{500}` a few times over, in Unicode) takes
/// minutes.
fn bypasses(list: &str, endpoint: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            regex::bytes::RegexBuilder::new(&format!("^(?:{entry})$"))
                .unicode(false)
                .size_limit(NO_PROXY_COMPILED_LIMIT)
                .dfa_size_limit(NO_PROXY_COMPILED_LIMIT)
                .build()
                .is_ok_and(|re| re.is_match(endpoint.as_bytes()))
        })
}

/// The most one `noProxyAddresses` entry may take once compiled, in bytes: a host name or a
/// domain pattern takes a few kilobytes.
const NO_PROXY_COMPILED_LIMIT: usize = 1 << 16;
