//! The exporter's configuration file (TOML): which targets `/probe` may reach
//! (`allowed_targets`), how each module probes (`[modules.NAME]`: what `endpoint` can be told),
//! and the fleets audited in the background (`[[fleet]]`). Read, checked and loaded here, whole
//! or not at all: an unknown key is an error naming the key and its line, and every file a
//! module or fleet names (CA files, the device's certificate and key) is read at load time, so
//! that a reload with a broken file keeps the configuration that works.
//!
//! The file holds paths, never keys or secrets: a value that looks like PEM text, or a proxy
//! URL with a password, is refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

use crate::chain::{Cert, DEFAULT_WARN_DAYS};
use crate::error::Error;
use crate::identity;
use crate::net::{ClientIdentity, MqttSettings, SigFilter, TlsVersions};
use crate::source::Input;
use crate::targets::Options;
use crate::trust::Anchors;
use crate::verify::Crls;

use super::allow::Pattern;

/// The address `serve` listens on when neither `--listen` nor the file names one: loopback
/// only; all interfaces only when asked.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9877";

/// Probes that run at once when the file does not say.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// A module's probe budget when it names none (and no scrape timeout is shorter).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A fleet's rescan interval when it names none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// At most this many modules and fleets: each is a label value.
pub const MAX_NAMES: usize = 64;

/// The configuration, loaded: every file it names read, every pattern compiled.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, as named.
    pub file: String,
    pub listen: Option<String>,
    pub allowed: Vec<Pattern>,
    pub concurrency: usize,
    pub modules: BTreeMap<String, Module>,
    pub fleets: Vec<Fleet>,
}

/// How a module probes a target: what `endpoint` can be told, loaded.
#[derive(Debug)]
pub struct Module {
    pub name: String,
    pub anchors: Anchors,
    /// The device's identity, presented when the server asks; with it the probe judges the
    /// whole connection (a server that refuses the device fails it).
    pub client: Option<ClientIdentity>,
    pub device: Option<Cert>,
    pub mqtt: Option<MqttSettings>,
    /// Port, server name, SNI, ALPN, proxy and dial address, as `endpoint` resolves a target.
    pub options: Options,
    pub versions: TlsVersions,
    pub sig: SigFilter,
    /// `sig = "both"`: two handshakes, RSA only and ECDSA only.
    pub both: bool,
    pub timeout: Duration,
    pub warn_days: u32,
    pub insecure: bool,
}

/// A fleet audited in the background with the fleet engine.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub name: String,
    pub paths: Vec<PathBuf>,
    pub ca: Vec<PathBuf>,
    pub crl: Vec<PathBuf>,
    pub interval: Duration,
    pub warn_days: u32,
    pub thing_pattern: Option<Regex>,
}

// The file's syntax. New probe options (MQTT 5, publish and subscribe checks, transports,
// credentials-provider checks) are added as fields of `ModuleFile`, then loaded into `Module`
// in `module()` and passed on in `probe::settings`: `deny_unknown_fields` keeps every key the
// exporter does not know an error until then.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<String>,
    #[serde(default)]
    allowed_targets: Vec<toml::Spanned<String>>,
    max_concurrent_probes: Option<toml::Spanned<usize>>,
    #[serde(default)]
    modules: BTreeMap<String, toml::Spanned<ModuleFile>>,
    #[serde(default)]
    fleet: Vec<toml::Spanned<FleetFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleFile {
    /// CA files the device trusts; none: the embedded Amazon roots.
    #[serde(default)]
    ca: Vec<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    /// The port of a target that names none (8443 without it).
    port: Option<u16>,
    /// ALPN protocols; none given: by port (x-amzn-mqtt-ca on 443).
    alpn: Option<Vec<String>>,
    servername: Option<String>,
    #[serde(default)]
    no_sni: bool,
    /// Dial this address instead of the target (the target stays the name verified).
    connect: Option<String>,
    proxy: Option<String>,
    #[serde(default)]
    sig: SigName,
    #[serde(default)]
    tls: TlsName,
    #[serde(default)]
    mqtt: bool,
    client_id: Option<String>,
    /// Seconds.
    timeout: Option<f64>,
    warn_days: Option<u32>,
    #[serde(default)]
    insecure: bool,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum SigName {
    #[default]
    Any,
    Rsa,
    Ecdsa,
    Both,
}

#[derive(Deserialize, Default, Clone, Copy)]
enum TlsName {
    #[default]
    #[serde(rename = "both")]
    Both,
    #[serde(rename = "1.2")]
    Tls12,
    #[serde(rename = "1.3")]
    Tls13,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    name: String,
    paths: Vec<PathBuf>,
    ca: Vec<PathBuf>,
    #[serde(default)]
    crl: Vec<PathBuf>,
    /// Seconds between the end of a scan and the start of the next.
    interval: Option<f64>,
    warn_days: Option<u32>,
    thing_pattern: Option<String>,
}

/// Reads and loads the configuration file `path`. Every error names the file, and the line
/// where the file says where.
pub fn load(path: &Path) -> Result<Config, Error> {
    let name = path.display().to_string();
    let text = crate::source::read_text(&Input::Path(path.to_path_buf()))?;
    parse(&name, &text)
}

/// Loads the configuration `text` of the file `name`.
pub fn parse(name: &str, text: &str) -> Result<Config, Error> {
    let at = |span: std::ops::Range<usize>, why: String| {
        Error::Usage(format!("{name}:{}: {why}", line_of(text, span.start)))
    };
    let file: File = toml::from_str(text).map_err(|e| {
        let why = message(e.message());
        match e.span() {
            Some(span) => at(span, why),
            None => Error::Usage(format!("{name}: {why}")),
        }
    })?;

    let mut allowed = Vec::with_capacity(file.allowed_targets.len());
    for pattern in &file.allowed_targets {
        let parsed = Pattern::parse(pattern.get_ref())
            .map_err(|why| at(pattern.span(), format!("allowed_targets: {why}")))?;
        allowed.push(parsed);
    }
    let concurrency = match &file.max_concurrent_probes {
        Some(n) if *n.get_ref() == 0 || *n.get_ref() > 4096 => {
            return Err(at(
                n.span(),
                "max_concurrent_probes: give 1 to 4096".to_string(),
            ))
        }
        Some(n) => *n.get_ref(),
        None => DEFAULT_CONCURRENCY,
    };
    if file.modules.len() > MAX_NAMES || file.fleet.len() > MAX_NAMES {
        return Err(Error::Usage(format!(
            "{name}: more than {MAX_NAMES} modules or fleets: each is a label value; keep them few"
        )));
    }
    let mut modules = BTreeMap::new();
    for (module_name, spanned) in &file.modules {
        let line = line_of(text, spanned.span().start);
        check_name(module_name).map_err(|why| {
            Error::Usage(format!("{name}:{line}: [modules.{module_name}]: {why}"))
        })?;
        let module = module(module_name, spanned.get_ref())
            .map_err(|e| Error::Usage(format!("{name}:{line}: [modules.{module_name}]: {e}")))?;
        modules.insert(module_name.clone(), module);
    }
    let mut fleets: Vec<Fleet> = Vec::new();
    for spanned in &file.fleet {
        let line = line_of(text, spanned.span().start);
        let loaded = fleet(spanned.get_ref())
            .map_err(|e| Error::Usage(format!("{name}:{line}: [[fleet]]: {e}")))?;
        if fleets.iter().any(|f| f.name == loaded.name) {
            return Err(Error::Usage(format!(
                "{name}:{line}: [[fleet]]: a second fleet named {:?}: names label the metrics, so each must be unique",
                loaded.name
            )));
        }
        fleets.push(loaded);
    }
    Ok(Config {
        file: name.to_string(),
        listen: file.listen,
        allowed,
        concurrency,
        modules,
        fleets,
    })
}

/// A module's settings loaded: its CA files, its identity, its options checked.
fn module(name: &str, file: &ModuleFile) -> Result<Module, Error> {
    let paths = file.ca.iter().chain(&file.cert).chain(&file.key);
    for path in paths {
        no_inline_secret(path)?;
    }
    let inputs: Vec<Input> = file.ca.iter().map(|p| Input::Path(p.clone())).collect();
    let anchors = Anchors::load(&inputs)?;
    let (client, device) = match (&file.cert, &file.key) {
        (Some(cert), Some(key)) => {
            let (identity, device) =
                identity::load(&Input::Path(cert.clone()), &Input::Path(key.clone()))?;
            (Some(identity), Some(device))
        }
        (None, None) => (None, None),
        _ => {
            return Err(Error::Usage(
                "cert and key go together: give both or neither".into(),
            ))
        }
    };
    let mqtt = if file.mqtt {
        let client_id = match (&file.client_id, &device) {
            (Some(id), _) => id.clone(),
            (None, Some(d)) => d.subject_cn.clone().ok_or_else(|| {
                Error::Usage("the device certificate has no CN: give client_id".into())
            })?,
            (None, None) => return Err(Error::Usage("mqtt = true needs cert and key".into())),
        };
        if client_id.is_empty() || client_id.len() > 128 {
            return Err(Error::Usage(format!(
                "client_id of {} bytes: AWS IoT takes 1 to 128 bytes",
                client_id.len()
            )));
        }
        Some(MqttSettings::new(client_id, 30))
    } else {
        if file.client_id.is_some() {
            return Err(Error::Usage(
                "client_id is for MQTT CONNECT: add mqtt = true".into(),
            ));
        }
        None
    };
    let proxy = match &file.proxy {
        Some(url) => {
            let proxy = crate::targets::parse_proxy(url)?;
            if proxy.credentials.is_some() {
                return Err(Error::Usage(
                    "proxy: the URL holds a user name and password; the configuration holds no secrets (use a proxy that needs none from this host)".into(),
                ));
            }
            Some(proxy)
        }
        None => None,
    };
    let servername = file
        .servername
        .as_deref()
        .map(|s| crate::targets::checked_host(s, "servername"))
        .transpose()?;
    let timeout = seconds(file.timeout, DEFAULT_TIMEOUT, "timeout")?;
    let (sig, both) = match file.sig {
        SigName::Any => (SigFilter::Any, false),
        SigName::Rsa => (SigFilter::Rsa, false),
        SigName::Ecdsa => (SigFilter::Ecdsa, false),
        SigName::Both => (SigFilter::Any, true),
    };
    Ok(Module {
        name: name.to_string(),
        anchors,
        client,
        device,
        mqtt,
        options: Options {
            port: file.port,
            default_port: None,
            servername,
            no_sni: file.no_sni,
            alpn: file.alpn.clone(),
            proxy,
            // Environment variables do not reach the exporter's probes: a module says all.
            no_proxy: true,
            connect: file.connect.clone(),
            https_proxy: None,
            no_proxy_list: None,
            door: Default::default(),
        },
        versions: match file.tls {
            TlsName::Both => TlsVersions::Both,
            TlsName::Tls12 => TlsVersions::Tls12,
            TlsName::Tls13 => TlsVersions::Tls13,
        },
        sig,
        both,
        timeout,
        warn_days: file.warn_days.unwrap_or(DEFAULT_WARN_DAYS),
        insecure: file.insecure,
    })
}

/// A fleet's settings checked; its CA and CRL files are read at every scan, so that a CA
/// file replaced on disk is used at the next scan.
fn fleet(file: &FleetFile) -> Result<Fleet, Error> {
    check_name(&file.name).map_err(|why| Error::Usage(format!("name: {why}")))?;
    if file.paths.is_empty() {
        return Err(Error::Usage("paths: name at least one directory".into()));
    }
    if file.ca.is_empty() {
        return Err(Error::Usage(
            "ca: name the device CA the fleet's certificates chain to".into(),
        ));
    }
    for path in file.paths.iter().chain(&file.ca).chain(&file.crl) {
        no_inline_secret(path)?;
    }
    // The CA files must load now: a fleet that can never be judged is a configuration error.
    let inputs: Vec<Input> = file.ca.iter().map(|p| Input::Path(p.clone())).collect();
    Anchors::from_files(&inputs)?;
    let thing_pattern = file
        .thing_pattern
        .as_deref()
        .map(crate::fleet::thing_pattern)
        .transpose()
        .map_err(Error::Usage)?;
    let interval = seconds(file.interval, DEFAULT_INTERVAL, "interval")?;
    Ok(Fleet {
        name: file.name.clone(),
        paths: file.paths.clone(),
        ca: file.ca.clone(),
        crl: file.crl.clone(),
        interval,
        warn_days: file.warn_days.unwrap_or(DEFAULT_WARN_DAYS),
        thing_pattern,
    })
}

/// CRLs of a fleet loaded against its CAs, at `at`.
pub fn fleet_inputs(fleet: &Fleet, at: i64) -> Result<(Anchors, Crls), Error> {
    let ca: Vec<Input> = fleet.ca.iter().map(|p| Input::Path(p.clone())).collect();
    let anchors = Anchors::from_files(&ca)?;
    let crl: Vec<Input> = fleet.crl.iter().map(|p| Input::Path(p.clone())).collect();
    let issuers: Vec<&Cert> = anchors.certs.iter().collect();
    let crls = Crls::load(&crl, &issuers, at)?;
    Ok((anchors, crls))
}

/// A duration in seconds, from 0.1 s to a day.
fn seconds(value: Option<f64>, default: Duration, key: &str) -> Result<Duration, Error> {
    match value {
        None => Ok(default),
        Some(s) if s.is_finite() && (0.1..=86_400.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        Some(_) => Err(Error::Usage(format!(
            "{key}: give seconds from 0.1 to 86400"
        ))),
    }
}

/// Module and fleet names label metrics: short, and plain.
fn check_name(name: &str) -> Result<(), String> {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if name.is_empty() || name.len() > 64 || !plain {
        return Err(format!(
            "{:?}: a name is 1 to 64 letters, digits, '_', '-' or '.'",
            crate::quote::clipped(name)
        ));
    }
    Ok(())
}

/// A path that holds PEM text or several lines is a key or certificate pasted inline: refused
/// without quoting it.
fn no_inline_secret(path: &Path) -> Result<(), Error> {
    let text = path.to_string_lossy();
    if text.contains("-----BEGIN") || text.contains('\n') {
        return Err(Error::Usage(
            "a value that should be a path holds PEM text: the configuration names files, never holds keys or certificates".into(),
        ));
    }
    Ok(())
}

/// The line (from 1) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The parser's message, without a value it may quote (a misplaced secret stays unsaid).
fn message(text: &str) -> String {
    let first = text
        .lines()
        .next()
        .unwrap_or("invalid configuration")
        .trim();
    match first.strip_prefix("invalid type: string \"") {
        Some(rest) => match rest.split_once("\", ") {
            Some((_, expected)) => format!("invalid type: a string, {expected}"),
            None => "invalid type: a string".to_string(),
        },
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse("serve.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let e = error("allowed_targets = []\n\n[modules.tls]\nport = 8883\ncolour = \"red\"\n");
        assert!(e.starts_with("serve.toml:5:"), "{e}");
        assert!(e.contains("colour"), "{e}");
        let e = error("listen = \"127.0.0.1:1\"\nmax_probes = 3\n");
        assert!(
            e.starts_with("serve.toml:2:") && e.contains("max_probes"),
            "{e}"
        );
        let e = error("[[fleet]]\nname = \"a\"\npaths = [\"/x\"]\nca = [\"/y\"]\nintervall = 3\n");
        assert!(
            e.starts_with("serve.toml:5:") && e.contains("intervall"),
            "{e}"
        );
    }

    #[test]
    fn a_minimal_file_loads_with_its_defaults() {
        let config = parse(
            "serve.toml",
            "allowed_targets = [\"*.iot.*.amazonaws.com\"]\n[modules.tls]\n",
        )
        .unwrap();
        assert_eq!(config.concurrency, DEFAULT_CONCURRENCY);
        let module = &config.modules["tls"];
        assert_eq!(module.timeout, DEFAULT_TIMEOUT);
        assert!(module.client.is_none() && module.mqtt.is_none());
        assert!(module.options.no_proxy);
    }

    #[test]
    fn secrets_are_refused_and_never_quoted() {
        let e = error("[modules.m]\nproxy = \"http://user:hunter2@proxy:3128\"\n");
        assert!(e.contains("no secrets") && !e.contains("hunter2"), "{e}");
        let e =
            error("[modules.m]\ncert = \"-----BEGIN PRIVATE KEY-----\\nMIIsecret\"\nkey = \"k\"\n");
        assert!(e.contains("PEM text") && !e.contains("MIIsecret"), "{e}");
        let e = error("[modules.m]\nmqtt = \"s3cr3t\"\n");
        assert!(
            !e.contains("s3cr3t") && e.starts_with("serve.toml:2:"),
            "{e}"
        );
    }

    #[test]
    fn values_are_checked() {
        assert!(error("[modules.m]\nsig = \"dsa\"\n").contains("dsa"));
        assert!(error("[modules.m]\ntimeout = 0\n").contains("timeout"));
        assert!(error("[modules.m]\ncert = \"a.pem\"\n").contains("cert and key"));
        assert!(error("[modules.m]\nmqtt = true\n").contains("needs cert and key"));
        assert!(error("[modules.\"a b\"]\n").contains("a name is"));
        assert!(error("max_concurrent_probes = 0\n").starts_with("serve.toml:1:"));
        assert!(error("allowed_targets = [\"a:b:c\"]\n").starts_with("serve.toml:1:"));
    }
}
