//! `iotcheck doctor`: from the device's own settings to the first failing stage. Load the
//! settings (`doctor::config`), gather the facts (`doctor::gather`: files, credentials,
//! probes, account), judge each stage (`doctor::stages`) and the verdict, report.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::doctor::config::{self, Overrides};
use crate::doctor::gather::{self, millis, Plan};
use crate::doctor::stages::{self, round};
use crate::doctor::verdict::{self, Evidence};
use crate::error::Error;
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
    // The CONNECT speaks the version the device's client speaks (or `--mqtt-version`'s).
    let mqtt = gather::MqttPlan {
        version: device.mqtt_version.value,
        version_origin: config::origin_words(&device.mqtt_version.origin),
        ..settings.mqtt.clone()
    };
    let plan = Plan {
        connect: settings.connect.clone(),
        timeout: settings.timeout,
        at: settings.at,
        warn_days: settings.warn_days,
        account: settings.account,
        mqtt,
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
        settings: SettingsView::of(
            &facts.device,
            settings.connect.as_deref(),
            settings.timeout.as_secs_f64(),
            settings.at,
        ),
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
