//! The device's own settings, resolved: what a device configuration file says (the AWS IoT
//! Device Client JSON and its `http-proxy.conf`, the AWS IoT Greengrass v2 nucleus
//! `config.yaml` / `effectiveConfig.yaml`), overridden by flags, each value with where it came
//! from. Pure: the file reading happens through [`crate::source`]; nothing here touches the
//! network.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::finding::Finding;

/// Which client the settings are for: it decides the defaults and the file-mode rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// The AWS IoT Device Client (JSON configuration).
    DeviceClient,
    /// The AWS IoT Greengrass v2 nucleus (YAML configuration).
    Greengrass,
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
}

/// The device's settings, resolved: file values, then flags over them, then the client's
/// defaults; relative paths and `~` resolved as the client resolves them.
#[derive(Clone, Debug)]
pub struct DeviceSettings {
    pub client: Client,
    /// The configuration file read, if any (and the proxy file beside it, if any).
    pub config_file: Option<PathBuf>,
    pub proxy_file: Option<PathBuf>,
    pub endpoint: Option<Sourced<String>>,
    pub cert: Option<DeviceFile>,
    pub key: Option<DeviceFile>,
    /// The root CA files; empty: the client falls back to the system store (Device Client) or
    /// fails (Greengrass): the `config` stage says which.
    pub ca: Vec<DeviceFile>,
    pub thing: Option<Sourced<String>>,
    /// The MQTT client id (the Device Client uses the thing name).
    pub client_id: Option<Sourced<String>>,
    /// The ports to check, in the order the client tries them.
    pub ports: Sourced<Vec<u16>>,
    pub proxy: Option<Sourced<ProxySetting>>,
    pub region: Option<Sourced<String>>,
    /// What the `config` stage found: a missing mandatory value, a proxy host the client
    /// refuses, Greengrass's MQTT port 443 without the data-plane port 443, a `pkcs11:` URI...
    pub findings: Vec<Finding>,
}

/// The ports checked when neither the file nor the flags name one: 8883 (MQTT), 443 (MQTT with
/// ALPN `x-amzn-mqtt-ca`) and 8443.
pub const DEFAULT_PORTS: [u16; 3] = [8883, 443, 8443];

/// Reads `config` (when given; the format detected by content), then applies the flags.
/// `home` resolves `~`. Err: the file cannot be read or parsed (exit 2, the file named).
pub fn resolve(
    config: Option<&Path>,
    overrides: &Overrides,
    home: Option<&Path>,
) -> Result<DeviceSettings, Error> {
    match config {
        Some(_path) => todo_config_file(),
        None => Ok(from_flags(overrides, home)),
    }
}

// Replaced by the Device Client and Greengrass readers.
fn todo_config_file() -> Result<DeviceSettings, Error> {
    Err(Error::Usage("--config is not read yet".to_string()))
}

/// The settings when no configuration file is given: the flags alone.
fn from_flags(overrides: &Overrides, _home: Option<&Path>) -> DeviceSettings {
    let file = |path: &PathBuf, flag: &str, mode: ModeRule| DeviceFile {
        path: Sourced::flag(path.clone(), flag),
        mode,
        dir_mode: ModeRule::Any,
        rule_source: "no client named: a private key must not be readable by group or others",
    };
    DeviceSettings {
        client: Client::Flags,
        config_file: None,
        proxy_file: None,
        endpoint: overrides
            .endpoint
            .clone()
            .map(|e| Sourced::flag(e, "--endpoint")),
        cert: overrides
            .cert
            .as_ref()
            .map(|p| file(p, "--cert", ModeRule::Any)),
        key: overrides
            .key
            .as_ref()
            .map(|p| file(p, "--key", ModeRule::AtMost(0o600))),
        ca: overrides
            .ca
            .iter()
            .map(|p| file(p, "--ca", ModeRule::Any))
            .collect(),
        thing: overrides.thing.clone().map(|t| Sourced::flag(t, "--thing")),
        client_id: overrides
            .client_id
            .clone()
            .map(|c| Sourced::flag(c, "--client-id"))
            .or_else(|| {
                overrides
                    .thing
                    .clone()
                    .map(|t| Sourced::default(t, "the thing name (no --client-id given)"))
            }),
        ports: overrides.ports.clone().map_or_else(
            || Sourced::default(DEFAULT_PORTS.to_vec(), "the ports AWS IoT serves MQTT on"),
            |p| Sourced::flag(p, "--ports"),
        ),
        proxy: overrides.proxy.clone().map(|p| Sourced::flag(p, "--proxy")),
        region: None,
        findings: Vec::new(),
    }
}
