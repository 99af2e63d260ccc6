//! The device's own settings, resolved: what a device configuration file says (the AWS IoT
//! Device Client JSON and its `http-proxy.conf`, the AWS IoT Greengrass v2 nucleus
//! `config.yaml` / `effectiveConfig.yaml`), overridden by flags, each value with where it came
//! from. The file reading happens through [`crate::source`]; nothing here touches the network
//! or reads the environment (`home` is passed in). The readers of each client are beside this
//! file: [`device_client`], [`greengrass`], [`sample`] (an AWS IoT Device SDK sample's command
//! line); [`read`] parses and recognises a file.

mod device_client;
mod greengrass;
pub mod read;
pub mod sample;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::net::MqttVersion;

/// Which client the settings are for: it decides the defaults and the file-mode rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// The AWS IoT Device Client (JSON configuration).
    DeviceClient,
    /// The AWS IoT Greengrass v2 nucleus (YAML configuration).
    Greengrass,
    /// An AWS IoT Device SDK sample's command line (`pubsub.py --endpoint ...`).
    SdkSample,
    /// No configuration file: the flags alone describe the device.
    Flags,
}

/// Where a value came from, for the report's settings table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Origin {
    /// A command-line flag, e.g. `--cert`.
    Flag { flag: String },
    /// A key of a configuration file, e.g. `system.certificateFilePath` in `config.yaml`.
    File { file: PathBuf, key: String },
    /// The client's default when the file and the flags are silent, with the reason.
    Default { why: String },
}

/// A value and its origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn flag(value: T, flag: &str) -> Sourced<T> {
        Sourced {
            value,
            origin: Origin::Flag {
                flag: flag.to_string(),
            },
        }
    }

    pub fn default(value: T, why: &str) -> Sourced<T> {
        Sourced {
            value,
            origin: Origin::Default {
                why: why.to_string(),
            },
        }
    }
}

/// What the file-mode check of the `files` stage must hold a file to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "mode")]
pub enum ModeRule {
    /// Exactly this mode (the Device Client compares for equality: a 0400 key is refused).
    Exactly(u32),
    /// No bits beyond these (a private key: no group or other access).
    AtMost(u32),
    /// The client warns when the mode is not exactly this, but starts (the Device Client's
    /// "recommended" modes: its config file 640, its `http-proxy.conf` 600).
    Recommended(u32),
    /// No rule.
    Any,
}

/// One file the device reads, with the rule its client holds it to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceFile {
    pub path: Sourced<PathBuf>,
    pub mode: ModeRule,
    /// The rule for the directory that holds it (the Device Client requires 0700 for the key,
    /// certificate and root CA directories).
    pub dir_mode: ModeRule,
    /// Where the rule comes from (a client's documentation), for the finding's message.
    pub rule_source: &'static str,
}

/// An HTTP CONNECT proxy the device goes through. The password is kept for the probe but is
/// never serialised or printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxySetting {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySetting")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What the flags say; each overrides the file.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub endpoint: Option<String>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca: Vec<PathBuf>,
    pub thing: Option<String>,
    pub client_id: Option<String>,
    pub ports: Option<Vec<u16>>,
    /// `--proxy URL`, already parsed.
    pub proxy: Option<ProxySetting>,
    /// Further configuration files (`--config` given again), recognised by content like the
    /// first: the Device Client's `http-proxy.conf` or its runtime config. At most one of all
    /// the files may be a client's main configuration.
    pub more_configs: Vec<PathBuf>,
    /// `--role-alias`: the role alias the device asks the credentials provider for.
    pub role_alias: Option<String>,
    /// `--credentials-endpoint`: the credentials provider's name (optionally `:PORT`).
    pub credentials_endpoint: Option<String>,
    /// `--mqtt-version`: the MQTT version of the CONNECT, over the client's own.
    pub mqtt_version: Option<MqttVersion>,
}

/// The credentials provider a device asks for AWS credentials with its certificate
/// (Greengrass's token exchange service: `iotCredEndpoint`, `iotRoleAlias`).
#[derive(Clone, Debug)]
pub struct CredentialsProvider {
    /// The endpoint (`HOST` or `HOST:PORT`); None: asked of the account (DescribeEndpoint).
    pub endpoint: Option<Sourced<String>>,
    pub role_alias: Sourced<String>,
}

/// Where a Greengrass core's HTTPS data plane is: the host and port it uses for deployments.
#[derive(Clone, Debug)]
pub struct DataPlane {
    pub host: String,
    pub port: u16,
    /// Where the host and the port came from, in words.
    pub origin: Origin,
}

/// The device's settings, resolved: file values, then flags over them, then the client's
/// defaults; relative paths and `~` resolved as the client resolves them.
#[derive(Clone, Debug)]
pub struct DeviceSettings {
    pub client: Client,
    /// The configuration file read, if any (and the proxy file beside it, if any).
    pub config_file: Option<PathBuf>,
    pub proxy_file: Option<PathBuf>,
    /// Every configuration file read (the main one, the Device Client's runtime config and
    /// `http-proxy.conf`), each with the mode its client wants; `path.origin` says why it was
    /// read (named by `--config`, or found beside the main file).
    pub config_files: Vec<DeviceFile>,
    pub endpoint: Option<Sourced<String>>,
    pub cert: Option<DeviceFile>,
    pub key: Option<DeviceFile>,
    /// The root CA files; empty: the client falls back to the system store (Device Client) or
    /// fails (Greengrass): the `config` stage says which.
    pub ca: Vec<DeviceFile>,
    pub thing: Option<Sourced<String>>,
    /// The MQTT client id (the Device Client uses the thing name).
    pub client_id: Option<Sourced<String>>,
    /// The MQTT version the device's client speaks: `--mqtt-version`, else what its
    /// configuration sets (Greengrass: `mqtt.version`, or the nucleus version's default),
    /// else 3.1.1; the origin says which.
    pub mqtt_version: Sourced<MqttVersion>,
    /// The ports to check, in the order the client tries them.
    pub ports: Sourced<Vec<u16>>,
    pub proxy: Option<Sourced<ProxySetting>>,
    pub region: Option<Sourced<String>>,
    /// The credentials provider, when a role alias is named (Greengrass, `--role-alias`).
    pub credentials_provider: Option<CredentialsProvider>,
    /// Greengrass's HTTPS data plane.
    pub data_plane: Option<DataPlane>,
    /// What the `config` stage found: a missing mandatory value, a proxy host the client
    /// refuses, Greengrass's MQTT port 443 without the data-plane port 443, a `pkcs11:` URI...
    pub findings: Vec<Finding>,
    /// The client's features the configuration turns on, for the `account` stage.
    pub features: Vec<crate::policy::features::Feature>,
    /// How the device's MQTT travels when its configuration says (an SDK sample's
    /// `--signing_region`, websocket or `--custom_auth_*` arguments); `--transport` wins.
    pub transport: Option<Sourced<crate::net::TransportRequest>>,
}

/// The ports checked when neither the file nor the flags name one: 8883 (MQTT), 443 (MQTT with
/// ALPN `x-amzn-mqtt-ca`) and 8443.
pub const DEFAULT_PORTS: [u16; 3] = [8883, 443, 8443];

/// Reads `config` and `overrides.more_configs` (when given; each format recognised by content),
/// then applies the flags. `home` resolves `~`. Err: a file cannot be read or parsed, is none
/// of the formats read, or two files are each a client's main configuration (exit 2, the file
/// named).
pub fn resolve(
    config: Option<&Path>,
    overrides: &Overrides,
    home: Option<&Path>,
) -> Result<DeviceSettings, Error> {
    let paths: Vec<&Path> = config
        .into_iter()
        .chain(overrides.more_configs.iter().map(PathBuf::as_path))
        .collect();
    let from_files = read_files(&paths, home)?;
    Ok(merge(from_files, overrides))
}

/// A credential as a client names it: a file, or an object in a PKCS#11 token.
#[derive(Clone, Debug)]
enum Credential {
    File(Sourced<PathBuf>),
    /// A `pkcs11:` URI (Greengrass) or the Device Client's `secure-element` (the key only).
    Token(Origin),
}

/// What the configuration files say, before the flags.
#[derive(Clone, Debug)]
struct FileSettings {
    client: Client,
    config_file: Option<PathBuf>,
    proxy_file: Option<PathBuf>,
    config_files: Vec<DeviceFile>,
    endpoint: Option<Sourced<String>>,
    cert: Option<Credential>,
    key: Option<Credential>,
    ca: Option<Sourced<PathBuf>>,
    /// The Device Client's `root-ca` when it names no file: the client ignores it.
    ca_not_found: Option<Sourced<PathBuf>>,
    thing: Option<Sourced<String>>,
    /// The client id, when the configuration names one apart from the thing name.
    client_id: Option<Sourced<String>>,
    mqtt_version: Option<Sourced<MqttVersion>>,
    ports: Option<Sourced<Vec<u16>>>,
    proxy: Option<Sourced<ProxySetting>>,
    region: Option<Sourced<String>>,
    cred_endpoint: Option<Sourced<String>>,
    role_alias: Option<Sourced<String>>,
    data_plane: Option<DataPlane>,
    findings: Vec<Finding>,
    /// What the client's features need of the policies (`policy::features`).
    features: Vec<crate::policy::features::Feature>,
    transport: Option<Sourced<crate::net::TransportRequest>>,
}

impl FileSettings {
    fn new(client: Client) -> FileSettings {
        FileSettings {
            client,
            config_file: None,
            proxy_file: None,
            config_files: Vec::new(),
            endpoint: None,
            cert: None,
            key: None,
            ca: None,
            ca_not_found: None,
            thing: None,
            client_id: None,
            mqtt_version: None,
            ports: None,
            proxy: None,
            region: None,
            cred_endpoint: None,
            role_alias: None,
            data_plane: None,
            findings: Vec::new(),
            features: Vec::new(),
            transport: None,
        }
    }
}

/// A configuration file read, and whether the user named it or it was found beside the main one.
struct Named {
    path: PathBuf,
    file: read::ConfigFile,
    named: bool,
}

impl Named {
    fn origin(&self) -> Origin {
        if self.named {
            Origin::Flag {
                flag: "--config".to_string(),
            }
        } else {
            Origin::Default {
                why: "found beside the configuration file, where the client looks for it"
                    .to_string(),
            }
        }
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Reads every file named, recognises each, and hands them to their client's reader.
fn read_files(paths: &[&Path], home: Option<&Path>) -> Result<FileSettings, Error> {
    let mut files = Files::default();
    for &path in paths {
        let name = path.display().to_string();
        let file = read::read(path, &name)?;
        files.place(path, file)?;
    }
    files.read(home, true)
}

/// What configuration files' bytes say, flags applied: as [`resolve`] with these files, each
/// a name (for messages and origins; nothing is read from it) and its content. No file is
/// looked for beside them; `overrides.more_configs` is not read.
pub fn resolve_bytes(
    files: &[(&str, &[u8])],
    overrides: &Overrides,
    home: Option<&Path>,
) -> Result<DeviceSettings, Error> {
    let mut named = Files::default();
    for &(name, bytes) in files {
        let file = read::recognise(name, bytes)?;
        named.place(Path::new(name), file)?;
    }
    Ok(merge(named.read(home, false)?, overrides))
}

/// The configuration files named, each in the slot its format takes.
#[derive(Default)]
struct Files {
    main: Option<Named>,
    proxy: Option<Named>,
    runtime: Option<Named>,
}

impl Files {
    /// Takes a file into its slot; Err: the slot is taken (two files of one kind).
    fn place(&mut self, path: &Path, file: read::ConfigFile) -> Result<(), Error> {
        use read::Format;
        let slot = match file.format {
            Format::DeviceClient | Format::Greengrass | Format::SdkSample => &mut self.main,
            Format::DeviceClientProxy => &mut self.proxy,
            Format::DeviceClientRuntime => &mut self.runtime,
        };
        if let Some(first) = slot {
            return Err(Error::Usage(format!(
                "{}: {} is already read from {}: name each configuration file once",
                path.display(),
                describe(file.format),
                first.name()
            )));
        }
        *slot = Some(Named {
            path: path.to_path_buf(),
            file,
            named: true,
        });
        Ok(())
    }

    /// Hands the files to their client's reader; with `look_beside`, the Device Client's
    /// companion files not named are looked for beside its main configuration.
    fn read(self, home: Option<&Path>, look_beside: bool) -> Result<FileSettings, Error> {
        let Files {
            main,
            mut proxy,
            mut runtime,
        } = self;
        match main {
            Some(main) if main.file.format == read::Format::SdkSample => {
                if let Some(other) = proxy.as_ref().or(runtime.as_ref()) {
                    return Err(Error::Usage(format!(
                        "{}: {} belongs to the AWS IoT Device Client, but {} is an SDK sample's command line: name one client's files",
                        other.name(),
                        describe(other.file.format),
                        main.name()
                    )));
                }
                Ok(sample::read(&main, home))
            }
            Some(main) if main.file.format == read::Format::Greengrass => {
                if let Some(other) = proxy.as_ref().or(runtime.as_ref()) {
                    return Err(Error::Usage(format!(
                        "{}: {} belongs to the AWS IoT Device Client, but {} is a Greengrass configuration: name one client's files",
                        other.name(),
                        describe(other.file.format),
                        main.name()
                    )));
                }
                let mut settings = greengrass::read(&main, home);
                settings.features = crate::policy::features::from_config(&main.file.root, true);
                Ok(settings)
            }
            main => {
                if main.is_none() && proxy.is_none() && runtime.is_none() {
                    return Ok(FileSettings::new(Client::Flags));
                }
                let mut ignored = Vec::new();
                if let Some(main) = main.as_ref().filter(|_| look_beside) {
                    let dir = main.path.parent().unwrap_or(Path::new(""));
                    if proxy.is_none() {
                        proxy = beside(dir, device_client::PROXY_FILE, &mut ignored);
                    }
                    if runtime.is_none() {
                        runtime = beside(dir, device_client::RUNTIME_FILE, &mut ignored);
                    }
                }
                let mut settings =
                    device_client::read(main.as_ref(), proxy.as_ref(), runtime.as_ref(), home);
                if let Some(main) = &main {
                    settings.features =
                        crate::policy::features::from_config(&main.file.root, false);
                }
                settings.findings.extend(ignored);
                Ok(settings)
            }
        }
    }
}

/// Plain words for a recognised format, for messages.
fn describe(format: read::Format) -> &'static str {
    match format {
        read::Format::DeviceClient => "the AWS IoT Device Client configuration",
        read::Format::DeviceClientProxy => "the Device Client's HTTP proxy configuration",
        read::Format::DeviceClientRuntime => "the Device Client's runtime configuration",
        read::Format::Greengrass => "the Greengrass nucleus configuration",
        read::Format::SdkSample => "an AWS IoT Device SDK sample's command line",
    }
}

/// The Device Client's companion file `file_name` in `dir`, when there is one. One that cannot
/// be read is ignored by the client as well: a warning, not an error.
fn beside(dir: &Path, file_name: &str, findings: &mut Vec<Finding>) -> Option<Named> {
    let path = dir.join(file_name);
    std::fs::symlink_metadata(&path).ok()?;
    let name = path.display().to_string();
    match read::read(&path, &name) {
        Ok(file) => Some(Named {
            path,
            file,
            named: false,
        }),
        Err(e) => {
            findings.push(
                Finding::new(
                    Code::ConfigIgnored,
                    format!(
                        "{file_name} beside the configuration cannot be used ({}): the Device Client ignores it as well",
                        e.message
                    ),
                )
                .on_file(&name),
            );
            None
        }
    }
}

/// The mode rules of a client's files.
struct Rules {
    cert: (ModeRule, ModeRule),
    key: (ModeRule, ModeRule),
    ca: (ModeRule, ModeRule),
    source: &'static str,
}

impl Rules {
    fn of(client: Client) -> Rules {
        match client {
            Client::DeviceClient => Rules {
                cert: (ModeRule::Exactly(0o644), ModeRule::Exactly(0o700)),
                key: (ModeRule::Exactly(0o600), ModeRule::Exactly(0o700)),
                ca: (ModeRule::Exactly(0o644), ModeRule::Exactly(0o700)),
                source: device_client::RULE_SOURCE,
            },
            Client::Greengrass => Rules {
                cert: (ModeRule::Any, ModeRule::Any),
                key: (ModeRule::AtMost(0o600), ModeRule::Any),
                ca: (ModeRule::Any, ModeRule::Any),
                source: greengrass::RULE_SOURCE,
            },
            Client::SdkSample => Rules {
                cert: (ModeRule::Any, ModeRule::Any),
                key: (ModeRule::AtMost(0o600), ModeRule::Any),
                ca: (ModeRule::Any, ModeRule::Any),
                source: sample::RULE_SOURCE,
            },
            Client::Flags => Rules {
                cert: (ModeRule::Any, ModeRule::Any),
                key: (ModeRule::AtMost(0o600), ModeRule::Any),
                ca: (ModeRule::Any, ModeRule::Any),
                source: "no client named: a private key must not be readable by group or others",
            },
        }
    }

    fn file(&self, path: Sourced<PathBuf>, (mode, dir_mode): (ModeRule, ModeRule)) -> DeviceFile {
        DeviceFile {
            path,
            mode,
            dir_mode,
            rule_source: self.source,
        }
    }
}

/// The flags over the files, then the client's defaults and what the `config` stage finds.
fn merge(file: FileSettings, overrides: &Overrides) -> DeviceSettings {
    let client = file.client;
    let rules = Rules::of(client);
    let subject = file.config_file.as_ref().map(|p| p.display().to_string());
    let mut findings = file.findings;
    let mut say = |finding: Finding| {
        findings.push(match &subject {
            Some(s) if finding.subject.is_none() => finding.on_file(s),
            _ => finding,
        })
    };
    let names = names(client);

    let endpoint = match &overrides.endpoint {
        Some(e) => Some(Sourced::flag(e.clone(), "--endpoint")),
        None => file.endpoint,
    };
    let mut credential = |flag: &Option<PathBuf>,
                          flag_name: &str,
                          from_file: Option<Credential>,
                          rule: (ModeRule, ModeRule),
                          what: &str| {
        if let Some(path) = flag {
            return Some(rules.file(Sourced::flag(path.clone(), flag_name), rule));
        }
        match from_file {
            Some(Credential::File(path)) => Some(rules.file(path, rule)),
            Some(Credential::Token(origin)) => {
                say(Finding::new(
                    Code::CredentialInToken,
                    format!(
                        "the {what} is in a PKCS#11 token ({}): not a file, so the {what} file checks are skipped",
                        origin_words(&origin)
                    ),
                ));
                None
            }
            None => None,
        }
    };
    let cert_from_file = file.cert;
    let key_from_file = file.key;
    let key_in_token = matches!(key_from_file, Some(Credential::Token(_)));
    let cert_in_token = matches!(cert_from_file, Some(Credential::Token(_)));
    let cert = credential(
        &overrides.cert,
        "--cert",
        cert_from_file,
        rules.cert,
        "device certificate",
    );
    let key = credential(
        &overrides.key,
        "--key",
        key_from_file,
        rules.key,
        "private key",
    );
    let ca: Vec<DeviceFile> = if overrides.ca.is_empty() {
        file.ca
            .map(|path| rules.file(path, rules.ca))
            .into_iter()
            .collect()
    } else {
        overrides
            .ca
            .iter()
            .map(|p| rules.file(Sourced::flag(p.clone(), "--ca"), rules.ca))
            .collect()
    };
    let thing = match &overrides.thing {
        Some(t) => Some(Sourced::flag(t.clone(), "--thing")),
        None => file.thing,
    };
    let client_id = match (&overrides.client_id, &thing) {
        (Some(c), _) => Some(Sourced::flag(c.clone(), "--client-id")),
        (None, _) if file.client_id.is_some() => file.client_id,
        // A sample without --client_id connects with a random id: the `config` stage says so.
        (None, _) if client == Client::SdkSample => None,
        // The Device Client and the Greengrass nucleus connect with the thing name.
        (None, Some(t)) if client != Client::Flags => Some(t.clone()),
        (None, Some(t)) => Some(Sourced::default(
            t.value.clone(),
            "the thing name (no --client-id given)",
        )),
        (None, None) => None,
    };
    let mqtt_version = match (overrides.mqtt_version, file.mqtt_version) {
        (Some(v), _) => Sourced::flag(v, "--mqtt-version"),
        (None, Some(v)) => v,
        (None, None) => Sourced::default(
            MqttVersion::V311,
            match client {
                Client::DeviceClient => device_client::MQTT_VERSION_WHY,
                Client::Greengrass => greengrass::MQTT_VERSION_UNKNOWN,
                Client::SdkSample => sample::MQTT_VERSION_WHY,
                Client::Flags => "the default: no configuration names the client's MQTT version",
            },
        ),
    };
    let ports = match (&overrides.ports, file.ports) {
        (Some(p), _) => Sourced::flag(p.clone(), "--ports"),
        (None, Some(p)) => p,
        (None, None) if client == Client::DeviceClient => Sourced::default(
            device_client::DEFAULT_PORTS.to_vec(),
            device_client::DEFAULT_PORTS_WHY,
        ),
        (None, None) => {
            Sourced::default(DEFAULT_PORTS.to_vec(), "the ports AWS IoT serves MQTT on")
        }
    };
    let proxy = match &overrides.proxy {
        Some(p) => Some(Sourced::flag(p.clone(), "--proxy")),
        None => file.proxy,
    };

    if client != Client::Flags {
        let missing = |what: &str, key: &str, flag: &str, consequence: &str| {
            Finding::new(
                Code::ConfigMissingValue,
                format!("no {what}: set `{key}` or pass {flag} ({consequence})"),
            )
        };
        let endpoint_set = endpoint.as_ref().is_some_and(|e| !e.value.is_empty());
        if !endpoint_set {
            say(missing(
                "endpoint",
                names.endpoint,
                "--endpoint",
                names.endpoint_missing,
            ));
        }
        if cert.is_none() && !cert_in_token {
            say(missing(
                "device certificate",
                names.cert,
                "--cert",
                names.cert_missing,
            ));
        }
        if key.is_none() && !key_in_token {
            say(missing(
                "private key",
                names.key,
                "--key",
                names.key_missing,
            ));
        }
        if client != Client::SdkSample && thing.as_ref().is_none_or(|t| t.value.is_empty()) {
            say(missing(
                "thing name",
                names.thing,
                "--thing",
                names.thing_missing,
            ));
        }
        if ca.is_empty() {
            match client {
                Client::SdkSample => say(Finding::new(
                    Code::CaSystemStore,
                    "no --ca_file: the sample uses the system trust store (\"Path to AmazonRootCA1.pem (optional, system trust store used by default)\"): the connection then depends on the OS CA bundle; pass --ca_file with Amazon Root CA 1",
                )),
                Client::DeviceClient => {
                    let why = match &file.ca_not_found {
                        Some(path) => format!(
                            "`root-ca` names {}, which does not exist: the Device Client ignores it",
                            path.value.display()
                        ),
                        None => "no `root-ca` is set".to_string(),
                    };
                    say(Finding::new(
                        Code::CaSystemStore,
                        format!(
                            "{why} and falls back to the system trust store (\"Will attempt to use default trust store\"): the connection then depends on the OS CA bundle; set `root-ca` to a file with Amazon Root CA 1 and 3"
                        ),
                    ));
                }
                _ => say(missing("root CA", names.ca, "--ca", names.ca_missing)),
            }
        }
    }
    let classification = endpoint
        .as_ref()
        .filter(|e| !e.value.is_empty())
        .map(|e| crate::verify::classify(&e.value));
    if let Some(c) = &classification {
        use crate::verify::EndpointKind;
        match c.kind {
            EndpointKind::LegacyData => say(Finding::new(
                Code::LegacyEndpoint,
                "the endpoint is a legacy iot:Data endpoint (no -ats): AWS retired its VeriSign chain; use `aws iot describe-endpoint --endpoint-type iot:Data-ATS` and the Amazon roots",
            )),
            EndpointKind::CredentialProvider => say(Finding::new(
                Code::EndpointNotData,
                format!(
                    "the endpoint is the credential provider's (`{}` holds it for Greengrass), not the data endpoint: use `aws iot describe-endpoint --endpoint-type iot:Data-ATS`",
                    greengrass::CRED_ENDPOINT_KEY
                ),
            )),
            EndpointKind::IpLiteral => say(Finding::new(
                Code::IpLiteral,
                "the endpoint is an IP address: no SNI is sent and the certificate's names cannot match; use the endpoint name",
            )),
            _ => {}
        }
    }
    let region = file.region.or_else(|| {
        classification
            .and_then(|c| c.region)
            .map(|r| Sourced::default(r, "the region in the endpoint's name"))
    });

    let role_alias = match &overrides.role_alias {
        Some(alias) => Some(Sourced::flag(alias.clone(), "--role-alias")),
        None => file.role_alias,
    };
    let cred_endpoint = match &overrides.credentials_endpoint {
        Some(e) => Some(Sourced::flag(e.clone(), "--credentials-endpoint")),
        None => file.cred_endpoint,
    };
    let credentials_provider = role_alias.map(|role_alias| CredentialsProvider {
        endpoint: cred_endpoint,
        role_alias,
    });

    DeviceSettings {
        client,
        config_file: file.config_file,
        proxy_file: file.proxy_file,
        config_files: file.config_files,
        endpoint,
        cert,
        key,
        ca,
        thing,
        client_id,
        mqtt_version,
        ports,
        proxy,
        region,
        credentials_provider,
        data_plane: file.data_plane,
        findings,
        features: file.features,
        transport: file.transport,
    }
}

/// Where a client keeps each value, and what it does without it: for the messages of
/// `config_missing_value`.
struct Names {
    endpoint: &'static str,
    endpoint_missing: &'static str,
    cert: &'static str,
    cert_missing: &'static str,
    key: &'static str,
    key_missing: &'static str,
    thing: &'static str,
    thing_missing: &'static str,
    ca: &'static str,
    ca_missing: &'static str,
}

fn names(client: Client) -> Names {
    match client {
        Client::Greengrass => greengrass::NAMES,
        Client::SdkSample => sample::NAMES,
        _ => device_client::NAMES,
    }
}

/// "aws-iot-device-client.conf `secure-element.enabled`", for messages.
pub fn origin_words(origin: &Origin) -> String {
    match origin {
        Origin::Flag { flag } => flag.clone(),
        Origin::File { file, key } => format!("{} `{key}`", file.display()),
        Origin::Default { why } => why.clone(),
    }
}

/// A file value's origin.
fn from_file(file: &Path, key: &str) -> Origin {
    Origin::File {
        file: file.to_path_buf(),
        key: key.to_string(),
    }
}

/// Whether a path is relative once `~` is resolved: the client resolves it against its working
/// directory, which for an installed service is `/`.
fn relative_note(path: &Path, origin: &Origin, client: &str) -> Option<Finding> {
    if path.is_absolute() || path.as_os_str().is_empty() {
        return None;
    }
    Some(Finding::new(
        Code::ConfigNote,
        format!(
            "{} is a relative path: {client} resolves it against its working directory (/ when it runs as a systemd service) and doctor against the directory it runs in; write an absolute path",
            origin_words(origin)
        ),
    ))
}
