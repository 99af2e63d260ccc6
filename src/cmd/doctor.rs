//! `iotcheck doctor`: from the device's own settings to the first failing stage. Load the
//! settings (`doctor::config`), gather the facts (`doctor::gather`: files, credentials,
//! probes, account), judge each stage (`doctor::stages`) and the verdict, report.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::doctor::config::{self, Overrides};
use crate::doctor::facts::DeviceTransport;
use crate::doctor::gather::{self, millis, Plan};
use crate::doctor::stages::{self, round};
use crate::doctor::verdict::{self, Evidence};
use crate::error::Error;
use crate::net::{Transport, TransportRequest, WebSocketAuth, WebSocketSettings};
use crate::outcome::Outcome;
use crate::output::{Placement, Target};
use crate::report::doctor::{self as view, DoctorReport, NetworkView, Provenance, SettingsView};
use crate::report::json;

/// Everything `doctor` needs, resolved.
pub struct Settings {
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
    /// Resolves `~` in the configuration's paths.
    pub home: Option<PathBuf>,
    /// `--connect`: dial this address (optionally with a port, when one port is checked).
    pub connect: Option<String>,
    /// One deadline for each port's probe as a whole: resolve, connect, handshakes, MQTT.
    pub timeout: Duration,
    pub at: i64,
    /// The expires_soon window, in days.
    pub warn_days: u32,
    /// Ask AWS about the certificate (off with `--no-account`).
    pub account: bool,
    /// The MQTT version and the subscribes and publishes after CONNECT.
    pub mqtt: crate::doctor::gather::MqttPlan,
    /// `--transport` and the authorizer: how the device's MQTT travels and authenticates.
    pub transport: TransportRequest,
    /// The clock, unix seconds: a WebSocket URL is signed at this instant (not `--at`).
    pub now: i64,
    pub report: Option<PathBuf>,
    pub force: bool,
    pub json: bool,
    /// Tool version and OS, for the Markdown report.
    pub provenance: Provenance,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let started = Instant::now();
    // The report's file is checked before anything runs, so that a run is never lost to it.
    if let Some(path) = &settings.report {
        report_target(path, settings.force).check()?;
    }

    let clock = Instant::now();
    let device = config::resolve(
        settings.config.as_deref(),
        &settings.overrides,
        settings.home.as_deref(),
    )?;
    let mut device = device;
    // `--transport` wins; else the transport the device's configuration describes.
    let request = match (&settings.transport, &device.transport) {
        (TransportRequest::Tls, Some(from_config)) => from_config.value.clone(),
        (request, _) => request.clone(),
    };
    let (transport, device_transport) = transport(settings, &request, &mut device)?;
    // The CONNECT speaks the version the device's client speaks (or `--mqtt-version`'s).
    let mqtt = gather::MqttPlan {
        version: device.mqtt_version.value,
        version_origin: config::origin_words(&device.mqtt_version.origin),
        authorizer: match &request {
            TransportRequest::CustomAuth(authorizer) => Some(authorizer.clone()),
            _ => None,
        },
        ..settings.mqtt.clone()
    };
    let plan = Plan {
        connect: settings.connect.clone(),
        timeout: settings.timeout,
        at: settings.at,
        warn_days: settings.warn_days,
        account: settings.account,
        mqtt,
        transport,
        device_transport,
    };
    let facts = gather::gather(device, millis(clock), &plan);

    let stages = stages::judge(&facts);
    let (verdict, first_failure, advice) = verdict::verdict(&stages, &Evidence::of(&facts));

    let report = DoctorReport {
        schema_version: crate::report::SCHEMA_VERSION,
        command: "doctor",
        verdict,
        first_failure,
        advice,
        settings: SettingsView {
            transport: facts.transport.clone(),
            ..SettingsView::of(
                &facts.device,
                settings.connect.as_deref(),
                settings.timeout.as_secs_f64(),
                settings.at,
            )
        },
        stages,
        files: facts.files.clone(),
        network: facts
            .network
            .as_ref()
            .map(|n| {
                NetworkView::of(
                    n,
                    facts.client_id.as_deref(),
                    &facts.trust.anchors,
                    &facts.policy,
                )
            })
            .unwrap_or_default(),
        duration_ms: round(millis(started)),
        device_certificates: facts.credentials.certificates.clone(),
    };
    if let Some(path) = &settings.report {
        report_target(path, settings.force)
            .write(view::markdown(&report, &settings.provenance).as_bytes())?;
    }
    let stdout = if settings.json {
        json::to_line(&report)
    } else {
        view::render(&report)
    };
    Ok(Outcome::new(stdout, report.passed()))
}

/// How the device's MQTT travels: for a SigV4-signed WebSocket the standard chain's
/// credentials, looked up once, and the URL signed for the region given, else the one in the
/// endpoint's name, else the configuration's, else the chain's. Over a WebSocket or with a
/// custom authorizer the device uses AWS IoT's 443: the ports checked are 443 unless
/// `--ports` names others.
fn transport(
    settings: &Settings,
    request: &TransportRequest,
    device: &mut config::DeviceSettings,
) -> Result<(Transport, DeviceTransport), Error> {
    let path = "/mqtt".to_string();
    let resolved = match request {
        TransportRequest::Tls => return Ok((Transport::Tls, DeviceTransport::Tls)),
        TransportRequest::CustomAuth(authorizer) => (
            Transport::Tls,
            DeviceTransport::CustomAuth {
                authorizer: authorizer.name.clone(),
            },
        ),
        TransportRequest::Wss {
            authorizer: Some(authorizer),
            ..
        } => (
            Transport::WebSocket(WebSocketSettings {
                path,
                auth: WebSocketAuth::CustomAuth(authorizer.clone()),
            }),
            DeviceTransport::WssAuthorizer {
                authorizer: authorizer.name.clone(),
            },
        ),
        TransportRequest::Wss {
            signing_region,
            authorizer: None,
        } => {
            let aws = crate::aws::AwsSettings {
                region: None,
                profile: None,
                timeout: settings.timeout,
            };
            let (credentials, chain) = crate::aws::signing_credentials(&aws)?;
            let name = device.endpoint.as_ref().map(|e| e.value.clone());
            let region = signing_region
                .clone()
                .or_else(|| name.as_deref().and_then(|n| crate::verify::classify(n).region))
                .or_else(|| device.region.as_ref().map(|r| r.value.clone()))
                .or(chain)
                .ok_or_else(|| {
                    Error::Usage(
                        "no region to sign the WebSocket URL for: the endpoint names none; give --signing-region or set AWS_REGION".into(),
                    )
                })?;
            (
                Transport::WebSocket(WebSocketSettings {
                    path,
                    auth: WebSocketAuth::SigV4 {
                        credentials,
                        region: region.clone(),
                        time: std::time::SystemTime::UNIX_EPOCH
                            + Duration::from_secs(u64::try_from(settings.now).unwrap_or(0)),
                    },
                }),
                DeviceTransport::WssSigv4 { region },
            )
        }
    };
    if !matches!(device.ports.origin, config::Origin::Flag { .. }) {
        device.ports = config::Sourced::default(
            vec![443],
            "AWS IoT serves MQTT over WebSocket and with custom authentication on 443",
        );
    }
    Ok(resolved)
}

/// The `--report` file: a new file, or with `--force` one that replaces a regular file.
fn report_target(path: &Path, force: bool) -> Target<'_> {
    Target {
        path,
        mode: 0o644,
        placement: if force {
            Placement::Replace
        } else {
            Placement::New
        },
        option: "--report",
        exists_hint: "--report never overwrites; choose another file or add --force",
    }
}
