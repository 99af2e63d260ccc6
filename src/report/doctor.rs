//! The doctor's report: the verdict, the first failing stage and what to do, the stages with
//! their findings, the settings with their origins (never a secret), the network facts per
//! port; drawn as human text, as JSON, and as a Markdown support report for a ticket.

use std::fmt::Write;

use serde::Serialize;

use super::endpoint::{HandshakeError, HandshakeReport};
use super::human;
use crate::doctor::config::{Client, DeviceFile, DeviceSettings, Sourced};
use crate::doctor::facts::{FileFacts, NetworkFacts, PortFacts};
use crate::doctor::stages::{Stage, StageId, Status};
use crate::doctor::verdict::DoctorVerdict;
use crate::finding::{Finding, Severity};
use crate::trust::Anchors;
use crate::verify::Policy;
use crate::when::rfc3339;

/// `doctor --json`, and what the text and the Markdown report show.
#[derive(Clone, Debug, Serialize)]
pub struct DoctorReport {
    pub schema_version: u32,
    pub command: &'static str,
    /// "ok" when no stage failed (warnings allowed), else "failed".
    pub verdict: DoctorVerdict,
    /// The first stage, in connection order, that failed.
    pub first_failure: Option<StageId>,
    /// What to do about it, in one sentence.
    pub advice: Option<String>,
    pub settings: SettingsView,
    pub stages: Vec<Stage>,
    /// The device's files as found on disk.
    pub files: Vec<FileFacts>,
    pub network: NetworkView,
    /// The whole run, wall time.
    pub duration_ms: f64,
    /// The device certificate file's certificates (DER), for the Markdown report.
    #[serde(skip)]
    pub device_certificates: Vec<Vec<u8>>,
}

/// The settings the stages ran with, each with where it came from. The proxy's password is
/// never part of it; key files are named, never read into it.
#[derive(Clone, Debug, Serialize)]
pub struct SettingsView {
    pub client: Client,
    pub config_file: Option<String>,
    pub proxy_file: Option<String>,
    /// Every configuration file read, with the mode rule its client holds it to.
    pub config_files: Vec<DeviceFile>,
    pub endpoint: Option<Sourced<String>>,
    pub cert: Option<DeviceFile>,
    pub key: Option<DeviceFile>,
    pub ca: Vec<DeviceFile>,
    pub thing: Option<Sourced<String>>,
    pub client_id: Option<Sourced<String>>,
    /// The MQTT version of the device's CONNECT ("3.1.1" or "5") and why.
    pub mqtt_version: Sourced<crate::net::MqttVersion>,
    /// How the device's MQTT travels and authenticates (`--transport`): `{kind: "tls"}`,
    /// `{kind: "wss_sigv4", region}`, `{kind: "wss_authorizer", authorizer}` or
    /// `{kind: "custom_auth", authorizer}`; never a credential.
    pub transport: crate::doctor::facts::DeviceTransport,
    pub ports: Sourced<Vec<u16>>,
    pub proxy: Option<Sourced<ProxyView>>,
    pub region: Option<Sourced<String>>,
    /// `--connect`: the address dialed instead of the endpoint's.
    pub connect: Option<String>,
    pub timeout_secs: f64,
    /// The instant certificates were judged at (`--at`, or the clock).
    pub at: String,
}

/// A proxy without its password.
#[derive(Clone, Debug, Serialize)]
pub struct ProxyView {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    /// A password is configured (it is never shown).
    pub password_set: bool,
}

impl SettingsView {
    pub fn of(device: &DeviceSettings, connect: Option<&str>, timeout_secs: f64, at: i64) -> Self {
        SettingsView {
            client: device.client,
            config_file: device.config_file.as_ref().map(|p| p.display().to_string()),
            proxy_file: device.proxy_file.as_ref().map(|p| p.display().to_string()),
            config_files: device.config_files.clone(),
            endpoint: device.endpoint.clone(),
            cert: device.cert.clone(),
            key: device.key.clone(),
            ca: device.ca.clone(),
            thing: device.thing.clone(),
            client_id: device.client_id.clone(),
            mqtt_version: device.mqtt_version.clone(),
            transport: Default::default(),
            ports: device.ports.clone(),
            proxy: device.proxy.as_ref().map(|p| Sourced {
                value: ProxyView {
                    host: p.value.host.clone(),
                    port: p.value.port,
                    username: p.value.username.clone(),
                    password_set: p.value.password.is_some(),
                },
                origin: p.origin.clone(),
            }),
            region: device.region.clone(),
            connect: connect.map(str::to_string),
            timeout_secs,
            at: rfc3339(at),
        }
    }
}

/// What the network stages saw.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NetworkView {
    /// The endpoint name: sent as SNI and verified against the served leaf.
    pub name: Option<String>,
    /// The name or address resolved and dialed (`--connect`, else the endpoint).
    pub dial: Option<String>,
    /// The HTTP proxy the probes went through, `host:port`.
    pub proxy: Option<String>,
    /// Every address the name resolved to; the one each port used is in `ports[].tcp`.
    pub addresses: Vec<String>,
    pub ports: Vec<PortView>,
}

/// One port's facts.
#[derive(Clone, Debug, Serialize)]
pub struct PortView {
    pub port: u16,
    /// "mqtt" (8883, 443 with ALPN, any other port) or "https" (8443).
    pub protocol: &'static str,
    pub alpn_offered: Vec<String>,
    /// None when the probes went through a proxy.
    pub tcp: Option<TcpView>,
    /// "rsa" and "ecdsa" (the chain served to each signature family, no client certificate)
    /// and "device" (as the device connects: its certificate, then MQTT on an MQTT port).
    pub handshakes: Vec<PortHandshake>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TcpView {
    pub open: bool,
    pub address: Option<String>,
    pub error: Option<String>,
    pub millis: f64,
}

/// A handshake that came up as far as the server's certificate, or why none did.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum PortHandshake {
    Done(Box<HandshakeReport>),
    Failed { sig: String, error: HandshakeError },
}

impl NetworkView {
    /// The view of what the network showed; `client_id` is the id the device's MQTT used;
    /// the served chains' reports are built from their judgements under `anchors`, `policy`.
    pub fn of(
        network: &NetworkFacts,
        client_id: Option<&str>,
        anchors: &Anchors,
        policy: &Policy,
    ) -> NetworkView {
        NetworkView {
            name: Some(network.name.clone()),
            dial: Some(network.dial.clone()),
            proxy: network.proxy.clone(),
            addresses: match &network.resolved {
                Some(Ok(addresses)) => addresses.iter().map(|a| a.ip().to_string()).collect(),
                _ => Vec::new(),
            },
            ports: network
                .ports
                .iter()
                .map(|port| PortView::of(port, client_id, anchors, policy))
                .collect(),
        }
    }
}

impl PortView {
    fn of(
        port: &PortFacts,
        client_id: Option<&str>,
        anchors: &Anchors,
        policy: &Policy,
    ) -> PortView {
        let tcp = port.tcp.as_ref().map(|tcp| TcpView {
            open: tcp.is_ok(),
            address: tcp.as_ref().ok().map(std::net::SocketAddr::to_string),
            error: tcp.as_ref().err().map(ToString::to_string),
            // Two decimals, as every duration of the report.
            millis: (port.tcp_ms * 100.0).round() / 100.0,
        });
        let handshakes = [
            ("rsa", &port.rsa),
            ("ecdsa", &port.ecdsa),
            ("device", &port.device),
        ]
        .into_iter()
        .filter_map(|(sig, h)| {
            let h = h.as_ref()?;
            Some(match &h.result {
                Ok(served) => {
                    let id = (sig == "device").then_some(client_id).flatten();
                    PortHandshake::Done(Box::new(HandshakeReport::of(
                        sig, served, anchors, policy, id,
                    )))
                }
                Err(e) => PortHandshake::Failed {
                    sig: sig.to_string(),
                    error: HandshakeError {
                        phase: e.phase(),
                        message: e.to_string(),
                    },
                },
            })
        })
        .collect();
        PortView {
            port: port.port,
            protocol: port.protocol,
            alpn_offered: port
                .alpn
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect(),
            tcp,
            handshakes,
        }
    }
}

impl DoctorReport {
    pub fn passed(&self) -> bool {
        self.verdict == DoctorVerdict::Ok
    }
}

// ------------------------------------------------------------------------------------------
// human text

/// The human report: the verdict and what to do first, then the stage table, then the
/// findings of each stage.
pub fn render(report: &DoctorReport) -> String {
    let mut out = String::new();
    let target = report
        .network
        .name
        .as_deref()
        .map(human::clean)
        .unwrap_or_else(|| "(no endpoint)".to_string());
    match (&report.first_failure, &report.advice) {
        (Some(stage), Some(advice)) => {
            let _ = writeln!(
                out,
                "{}  {target}  {}",
                human::bad("FAILED"),
                human::dim(&format!("first failing stage: {}", stage.as_str()))
            );
            // The advice quotes paths and names from the configuration and the environment.
            let _ = writeln!(out, "  {}", human::clean(advice));
        }
        _ => {
            let warnings = report
                .stages
                .iter()
                .filter(|s| s.status == Status::Warn)
                .count();
            let detail = match warnings {
                0 => "no stage failed".to_string(),
                n => format!("no stage failed, {n} with warnings"),
            };
            let _ = writeln!(
                out,
                "{}  {target}  {}",
                human::ok("OK"),
                human::dim(&detail)
            );
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        human::dim("stage        status    time        key finding")
    );
    for stage in &report.stages {
        let status = status_word(stage.status);
        let time = if stage.status == Status::Skipped {
            String::new()
        } else {
            format!("{:.1} ms", stage.duration_ms)
        };
        let key = match (stage.key_finding(), &stage.reason) {
            (Some(f), _) => format!("{}: {}", f.code, shorten(&human::clean(&f.message), 64)),
            (None, Some(reason)) => {
                let after = stage
                    .depends_on
                    .map(|d| format!("after {}: ", d.as_str()))
                    .unwrap_or_default();
                human::dim(&shorten(&format!("{after}{}", human::clean(reason)), 72))
            }
            (None, None) => String::new(),
        };
        let line = format!("{:<12} {status} {:>10}  {key}", stage.id.as_str(), time);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for stage in report.stages.iter().filter(|s| !s.findings.is_empty()) {
        let _ = writeln!(out, "\n{}", human::dim(stage.id.as_str()));
        human::finding_lines(&mut out, &stage.findings);
    }
    out
}

/// The status word padded to one column before it is colored.
fn status_word(status: Status) -> String {
    let word = format!("{:<8}", status.as_str());
    match status {
        Status::Ok => human::ok(&word),
        Status::Warn => human::warn(&word),
        Status::Fail => human::bad(&word),
        Status::Skipped => human::dim(&word),
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 1).collect();
    format!("{cut}…")
}

// ------------------------------------------------------------------------------------------
// Markdown support report

/// Where the report was made, for its header.
pub struct Provenance {
    pub version: String,
    pub os: String,
}

/// The Markdown support report: everything a support engineer needs, no secret. The device
/// certificate and the served chains are certificates only (rendered by `report::pem`, which
/// takes no other kind of object); settings hold file names, never file contents; the proxy
/// password is not part of the settings view.
pub fn markdown(report: &DoctorReport, provenance: &Provenance) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# iotcheck doctor report\n");
    let verdict = match report.verdict {
        DoctorVerdict::Ok => "**ok**: no stage failed".to_string(),
        DoctorVerdict::Failed => format!(
            "**failed**: first failing stage `{}`",
            report.first_failure.map_or("?", StageId::as_str)
        ),
    };
    let _ = writeln!(out, "- verdict: {verdict}");
    if let Some(advice) = &report.advice {
        let _ = writeln!(out, "- what to do: {}", md(advice));
    }
    let _ = writeln!(out, "- tool: {}", md(&provenance.version));
    let _ = writeln!(out, "- OS: {}", md(&provenance.os));
    let _ = writeln!(
        out,
        "- judged at: {} (run took {:.1} ms)",
        report.settings.at, report.duration_ms
    );

    let _ = writeln!(out, "\n## Settings\n");
    let _ = writeln!(out, "| setting | value | from |\n|---|---|---|");
    for (name, value, origin) in settings_rows(&report.settings) {
        let _ = writeln!(out, "| {name} | {} | {} |", cell(&value), cell(&origin));
    }

    let _ = writeln!(out, "\n## Stages\n");
    let _ = writeln!(
        out,
        "| stage | status | time | key finding |\n|---|---|---|---|"
    );
    for stage in &report.stages {
        let key = match (stage.key_finding(), &stage.reason) {
            (Some(f), _) => format!("`{}` {}", f.code, cell(&f.message)),
            (None, Some(reason)) => match stage.depends_on {
                Some(d) => format!("after `{}`: {}", d.as_str(), cell(reason)),
                None => cell(reason),
            },
            (None, None) => String::new(),
        };
        let time = if stage.status == Status::Skipped {
            "-".to_string()
        } else {
            format!("{:.1} ms", stage.duration_ms)
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {time} | {key} |",
            stage.id.as_str(),
            stage.status.as_str()
        );
    }

    let _ = writeln!(out, "\n## Findings\n");
    let mut any = false;
    for stage in report.stages.iter().filter(|s| !s.findings.is_empty()) {
        any = true;
        let _ = writeln!(out, "### `{}`\n", stage.id.as_str());
        for f in &stage.findings {
            let _ = writeln!(out, "- {}", finding_line(f));
        }
        out.push('\n');
    }
    if !any {
        let _ = writeln!(out, "None.\n");
    }

    if !report.files.is_empty() {
        let _ = writeln!(out, "## Files\n");
        let _ = writeln!(
            out,
            "| file | path | mode | directory mode | problem |\n|---|---|---|---|---|"
        );
        for f in &report.files {
            let mode =
                |m: Option<u32>| m.map_or("-".to_string(), |m| format!("{:04o}", m & 0o7777));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.role.words(),
                cell(&f.path),
                mode(f.mode),
                mode(f.dir_mode),
                f.problem.as_deref().map(cell).unwrap_or_default()
            );
        }
        out.push('\n');
    }

    network_markdown(&mut out, &report.network);

    if !report.device_certificates.is_empty() {
        let _ = writeln!(out, "## Device certificate\n");
        let _ = writeln!(
            out,
            "The certificate file's certificates (public; never the key).\n"
        );
        let _ = writeln!(out, "```pem");
        out.push_str(&super::pem::certificates(
            report.device_certificates.iter().map(Vec::as_slice),
        ));
        let _ = writeln!(out, "```");
    }
    out
}

fn settings_rows(s: &SettingsView) -> Vec<(&'static str, String, String)> {
    let mut rows = Vec::new();
    let client = match s.client {
        Client::DeviceClient => "AWS IoT Device Client",
        Client::Greengrass => "AWS IoT Greengrass v2 nucleus",
        Client::SdkSample => "AWS IoT Device SDK sample (command line)",
        Client::Flags => "none (flags only)",
    };
    rows.push(("client", client.to_string(), String::new()));
    for f in &s.config_files {
        rows.push((
            "configuration file",
            f.path.value.display().to_string(),
            origin_words(&f.path.origin),
        ));
    }
    let sourced = |name, v: &Option<Sourced<String>>, rows: &mut Vec<_>| {
        if let Some(v) = v {
            rows.push((name, v.value.clone(), origin_words(&v.origin)));
        }
    };
    sourced("endpoint", &s.endpoint, &mut rows);
    for (name, file) in [("certificate", &s.cert), ("key", &s.key)] {
        if let Some(f) = file {
            rows.push((
                name,
                f.path.value.display().to_string(),
                origin_words(&f.path.origin),
            ));
        }
    }
    for ca in &s.ca {
        rows.push((
            "root CA",
            ca.path.value.display().to_string(),
            origin_words(&ca.path.origin),
        ));
    }
    sourced("thing", &s.thing, &mut rows);
    sourced("client id", &s.client_id, &mut rows);
    rows.push((
        "MQTT version",
        s.mqtt_version.value.name().to_string(),
        origin_words(&s.mqtt_version.origin),
    ));
    if s.transport != crate::doctor::facts::DeviceTransport::Tls {
        rows.push(("transport", s.transport.words(), "--transport".to_string()));
    }
    let ports: Vec<String> = s.ports.value.iter().map(u16::to_string).collect();
    rows.push(("ports", ports.join(", "), origin_words(&s.ports.origin)));
    if let Some(p) = &s.proxy {
        let user = p
            .value
            .username
            .as_deref()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default();
        let password = if p.value.password_set {
            " (password set, not shown)"
        } else {
            ""
        };
        rows.push((
            "proxy",
            format!("{}:{}{user}{password}", p.value.host, p.value.port),
            origin_words(&p.origin),
        ));
    }
    sourced("region", &s.region, &mut rows);
    if let Some(c) = &s.connect {
        rows.push(("connect to", c.clone(), "--connect".to_string()));
    }
    rows.push(("timeout", format!("{} s", s.timeout_secs), String::new()));
    rows
}

fn origin_words(origin: &crate::doctor::config::Origin) -> String {
    use crate::doctor::config::Origin;
    match origin {
        Origin::Flag { flag } => flag.clone(),
        Origin::File { file, key } => format!("{} ({key})", file.display()),
        Origin::Default { why } => format!("default: {why}"),
    }
}

fn network_markdown(out: &mut String, network: &NetworkView) {
    if network.ports.is_empty() && network.addresses.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Network\n");
    if let Some(name) = &network.name {
        let _ = writeln!(out, "- endpoint name (SNI, verified): {}", md(name));
    }
    if let Some(dial) = &network.dial {
        let _ = writeln!(out, "- dialed: {}", md(dial));
    }
    if let Some(proxy) = &network.proxy {
        let _ = writeln!(out, "- through the proxy: {}", md(proxy));
    }
    if !network.addresses.is_empty() {
        let _ = writeln!(out, "- addresses: {}", md(&network.addresses.join(", ")));
    }
    for port in &network.ports {
        let alpn = if port.alpn_offered.is_empty() {
            "no ALPN".to_string()
        } else {
            format!("ALPN {}", port.alpn_offered.join(","))
        };
        let _ = writeln!(
            out,
            "\n### Port {} ({}, {alpn})\n",
            port.port, port.protocol
        );
        if let Some(tcp) = &port.tcp {
            let what = match (&tcp.address, &tcp.error) {
                (Some(a), _) => format!("open at {a}"),
                (None, Some(e)) => format!("not open: {e}"),
                (None, None) => "not open".to_string(),
            };
            let _ = writeln!(out, "- tcp: {} ({:.1} ms)", md(&what), tcp.millis);
        }
        for h in &port.handshakes {
            match h {
                PortHandshake::Failed { sig, error } => {
                    let _ = writeln!(
                        out,
                        "- handshake `{sig}`: no TLS session ({}): {}",
                        error.phase,
                        md(&error.message)
                    );
                }
                PortHandshake::Done(h) => handshake_markdown(out, h),
            }
        }
    }
    out.push('\n');
}

fn handshake_markdown(out: &mut String, h: &HandshakeReport) {
    let chain = if h.chain_verified {
        "chain verified".to_string()
    } else {
        format!(
            "chain does not verify (`{}`)",
            h.report.lead().map_or("?", |f| f.code.as_str())
        )
    };
    let _ = writeln!(out, "- handshake `{}`: {chain}", h.sig);
    if let Some(t) = &h.tls {
        let ms = &t.timings_ms;
        let _ = writeln!(
            out,
            "  - TLS: {} {} {}, ALPN {}, SNI {}, peer {}",
            md(&t.version),
            md(&t.cipher_suite),
            md(t.key_exchange_group.as_deref().unwrap_or("-")),
            md(t.alpn.as_deref().unwrap_or("none")),
            md(t.sni.as_deref().unwrap_or("none")),
            md(&t.address)
        );
        let mut timing = format!(
            "resolve {:.1} ms, connect {:.1} ms, handshake {:.1} ms",
            ms.resolve, ms.connect, ms.handshake
        );
        if let Some(p) = ms.post_handshake {
            let _ = write!(timing, ", post-handshake read {p:.1} ms");
        }
        if let Some(m) = ms.mqtt {
            let _ = write!(timing, ", mqtt {m:.1} ms");
        }
        let _ = writeln!(out, "  - timings: {timing}");
        if let Some(e) = &t.handshake_error {
            let _ = writeln!(out, "  - handshake error: {}", md(e));
        }
    }
    if let Some(ca) = &h.client_auth {
        if h.sig == "device" {
            let fate = match (ca.requested, ca.sent, ca.accepted, &ca.rejection) {
                (false, _, _, _) => "not requested".to_string(),
                (true, false, _, _) if ca.withheld => "withheld: the chain did not verify".into(),
                (true, false, _, _) => "requested, none sent".into(),
                (true, true, Some(true), _) => "sent, accepted".into(),
                (true, true, _, Some(alert)) => format!("sent, rejected ({alert})"),
                (true, true, _, None) => "sent, handshake failed".into(),
            };
            let _ = writeln!(out, "  - client certificate: {}", md(&fate));
        }
    }
    if let Some(m) = &h.mqtt {
        let mut text = format!("{:?}", m.outcome).to_lowercase();
        if let Some(code) = m.return_code {
            let _ = write!(text, ", return code {code}");
        }
        if let Some(reason) = &m.reason {
            let _ = write!(text, ": {reason}");
        }
        let _ = writeln!(
            out,
            "  - MQTT (client id {}): {}",
            md(m.client_id.as_deref().unwrap_or("-")),
            md(&text)
        );
    }
    if !h.report.chain.is_empty() {
        let _ = writeln!(out, "\n  Served chain (`{}`), in served order:\n", h.sig);
        let _ = writeln!(out, "```pem");
        out.push_str(&super::pem::certificates(
            h.report.chain.iter().map(|c| c.der.as_slice()),
        ));
        let _ = writeln!(out, "```\n");
    }
}

fn finding_line(f: &Finding) -> String {
    let severity = match f.severity {
        Severity::Error => "**error**",
        Severity::Warning => "warning",
        Severity::Hint => "hint",
        Severity::Info => "info",
    };
    format!("{severity} `{}`: {}", f.code, md(&f.message))
}

/// Text from outside, safe in Markdown prose: controls escaped, markup characters that could
/// start a link, an image or HTML escaped.
fn md(text: &str) -> String {
    let cleaned = human::clean(text);
    let mut out = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        if matches!(c, '<' | '>' | '[' | ']' | '`' | '*' | '_' | '|' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text in a table cell: one line.
fn cell(text: &str) -> String {
    md(&text.replace(['\n', '\r'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::config::{ModeRule, ProxySetting};
    use crate::doctor::facts::FileRole;
    use crate::finding::Code;
    use std::path::PathBuf;

    /// Sets the window title, clears the screen, forges a line, reverses what follows, and
    /// uses a C1 CSI and a zero-width space.
    const HOSTILE: &str = "\x1b]0;owned\x07\x1b[2J\nall stages ok\u{202e}\u{9b}31m\u{200b}\r";

    /// A character a terminal acts on or hides (the newline that ends a line aside).
    fn raw(c: char) -> bool {
        (c.is_control() && c != '\n') || human::hidden_or_reordering(c)
    }

    fn hostile_report() -> DoctorReport {
        let text = |what: &str| format!("{what}{HOSTILE}");
        // Built by hand: a view is given settings, it never resolves them.
        let flag = |value: String, name: &str| Some(Sourced::flag(value, name));
        let named = |path: String, name: &str| DeviceFile {
            path: Sourced::flag(PathBuf::from(path), name),
            mode: ModeRule::Any,
            dir_mode: ModeRule::Any,
            rule_source: "none",
        };
        let device = DeviceSettings {
            client: Client::Flags,
            config_file: Some(PathBuf::from(text("/config"))),
            proxy_file: None,
            config_files: vec![named(text("/config"), "--config")],
            endpoint: flag(text("endpoint"), "--endpoint"),
            cert: Some(named(text("/cert"), "--cert")),
            key: Some(named(text("/key"), "--key")),
            ca: vec![named(text("/ca"), "--ca")],
            thing: flag(text("thing"), "--thing"),
            client_id: flag(text("client"), "--client-id"),
            mqtt_version: Sourced::flag(crate::net::MqttVersion::V5, "--mqtt-version"),
            ports: Sourced::flag(vec![8883], "--ports"),
            proxy: Some(Sourced::flag(
                ProxySetting {
                    host: text("proxy"),
                    port: 3128,
                    username: Some(text("user")),
                    password: Some("pr0xy-s3cret".into()),
                },
                "--proxy",
            )),
            region: flag(text("region"), "--region"),
            credentials_provider: None,
            data_plane: None,
            findings: Vec::new(),
            features: Vec::new(),
            transport: None,
        };
        let file = device.cert.clone().expect("a certificate is named");
        let mut facts = FileFacts::new(FileRole::Certificate, &file);
        facts.problem = Some(text("problem"));
        let stages = vec![
            Stage::judged(
                StageId::Files,
                vec![Finding::new(Code::FileMissing, text("finding"))],
                0.0,
            ),
            Stage::blocked(StageId::Credentials, StageId::Files, text("reason")),
        ];
        DoctorReport {
            schema_version: 2,
            command: "doctor",
            verdict: DoctorVerdict::Failed,
            first_failure: Some(StageId::Files),
            advice: Some(text("advice")),
            settings: SettingsView::of(&device, Some(&text("connect")), 5.0, 0),
            stages,
            files: vec![facts],
            network: NetworkView {
                name: Some(text("name")),
                dial: Some(text("dial")),
                proxy: Some(text("proxy")),
                addresses: vec![text("address")],
                ports: vec![PortView {
                    port: 8883,
                    protocol: "mqtt",
                    alpn_offered: Vec::new(),
                    tcp: Some(TcpView {
                        open: false,
                        address: None,
                        error: Some(text("tcp")),
                        millis: 1.0,
                    }),
                    handshakes: vec![PortHandshake::Failed {
                        sig: "rsa".into(),
                        error: HandshakeError {
                            phase: "tls_handshake",
                            message: text("handshake"),
                        },
                    }],
                }],
            },
            duration_ms: 1.0,
            device_certificates: Vec::new(),
        }
    }

    #[test]
    fn hostile_text_is_escaped_by_every_renderer() {
        human::set_color(false);
        let report = hostile_report();
        let provenance = Provenance {
            version: format!("1{HOSTILE}"),
            os: format!("linux{HOSTILE}"),
        };
        for (what, output) in [
            ("text", render(&report)),
            ("json", crate::report::json::to_line(&report)),
            ("markdown", markdown(&report, &provenance)),
        ] {
            assert!(
                !output.chars().any(raw),
                "{what}: a raw control in\n{output:?}"
            );
            assert!(
                !output
                    .lines()
                    .any(|l| l.trim_start().starts_with("all stages ok")),
                "{what}: a forged line in\n{output}"
            );
            // What was escaped is still there to read.
            assert!(output.contains("advice"), "{what}");
            assert!(!output.contains("pr0xy-s3cret"), "{what}: {output}");
        }
    }
}
