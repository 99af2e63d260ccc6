//! `iotcheck doctor`: from the device's own settings to the first failing stage. Load the
//! settings (`doctor::config`), look at the files, lint the credentials (`verify::device`),
//! probe every port as the device would (`net`, verified with the chain verifier), ask the
//! account (`aws`, `verify::account`) meanwhile, judge each stage (`doctor::stages`), report.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::aws::{self, AwsSettings};
use crate::chain::Cert;
use crate::doctor::config::{self, Client, DeviceSettings, Overrides};
use crate::doctor::stages::{
    self, Evidence, FileFacts, FileRole, Gathered, NoTls, PortEvidence, ServedValidity, Stage,
    StageId, TcpState,
};
use crate::error::Error;
use crate::finding::{Code, Finding};
use crate::identity::load as load_identity;
use crate::net::{
    self, ClientIdentity, MqttOutcome, MqttSettings, NetError, Probe, ProbeSettings, SigFilter,
    TlsVersions,
};
use crate::outcome::Outcome;
use crate::output::{Placement, Target};
use crate::report::doctor::{
    self as view, DoctorReport, NetworkView, PortHandshake, PortView, Provenance, SettingsView,
    TcpView,
};
use crate::report::endpoint::{chain_report, HandshakeError, HandshakeReport};
use crate::report::{json, ChainReport};
use crate::source::{self, Input, Loaded};
use crate::trust::{Anchors, KnownRoot, LEGACY_VERISIGN};
use crate::verify::account::{judge as judge_account, Questions};
use crate::verify::crl::Crls;
use crate::verify::device::{lint, DeviceInput, KeyMode};
use crate::verify::served;
use crate::verify::{classify, connection_findings, Connection, Policy};

mod judge;
mod local;
mod network;

use judge::*;
use local::*;
use network::*;

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
    let config_stage = stages::config_stage(&device, millis(clock));

    let clock = Instant::now();
    let files = file_facts(&device);
    let files_stage = stages::files_stage(&files, millis(clock));

    let clock = Instant::now();
    let credentials = credentials(&device, &files, settings.at, settings.warn_days);
    let credentials_stage = Stage {
        duration_ms: round(millis(clock)),
        ..credentials.stage.clone()
    };

    let clock = Instant::now();
    let trust = anchors(&device, &files, settings.at);
    let trust_offline_ms = millis(clock);

    let client_id = device
        .client_id
        .as_ref()
        .map(|c| c.value.clone())
        .or_else(|| {
            credentials
                .device
                .as_ref()
                .and_then(|d| d.subject_cn.clone())
        });
    let endpoint = device.endpoint.as_ref().map(|e| e.value.clone());
    let policy = Policy {
        at: settings.at,
        host: endpoint.clone(),
        device_not_before: credentials.device.as_ref().map(|d| d.not_before),
        warn_days: settings.warn_days,
    };

    // The account is asked while the network stages run.
    let (network, account_stage) = std::thread::scope(|scope| {
        let account = scope.spawn(|| {
            account_stage(
                settings,
                &device,
                &credentials,
                &files_stage,
                client_id.as_deref(),
            )
        });
        let network = match &endpoint {
            Some(name) => Some(network(
                settings,
                &device,
                name,
                &trust.anchors,
                &policy,
                credentials.identity.as_ref(),
                client_id.as_deref(),
            )),
            None => None,
        };
        let account = account.join().unwrap_or_else(|_| {
            Stage::skipped(StageId::Account, "the account check stopped unexpectedly")
        });
        (network, account)
    });

    let mut all = vec![config_stage, files_stage, credentials_stage];
    let network_stages = match &network {
        Some(network) => network_stages(network, &trust, trust_offline_ms, &credentials, settings),
        None => {
            let mut stages = vec![trust_offline_stage(&trust, trust_offline_ms)];
            stages.push(match stages::clock_stage(settings.at, &[], 0.0) {
                Some(stage) => stage,
                None => Stage::blocked(
                    StageId::Clock,
                    StageId::Config,
                    "no endpoint to take the time from",
                ),
            });
            for id in [
                StageId::Dns,
                StageId::Tcp,
                StageId::Tls,
                StageId::ClientAuth,
                StageId::Mqtt,
            ] {
                stages.push(Stage::blocked(id, StageId::Config, "no endpoint is named"));
            }
            stages
        }
    };
    all.extend(network_stages);
    all.push(account_stage);

    let evidence = evidence(
        &device,
        &files,
        &trust,
        &credentials,
        network.as_ref(),
        client_id,
        settings.at,
    );
    let (verdict, first_failure, advice) = stages::verdict(&all, &evidence);
    let report = DoctorReport {
        schema_version: crate::report::SCHEMA_VERSION,
        command: "doctor",
        verdict,
        first_failure,
        advice,
        settings: SettingsView::of(
            &device,
            settings.connect.as_deref(),
            settings.timeout.as_secs_f64(),
            settings.at,
        ),
        stages: all,
        files,
        network: network.map(|n| n.view).unwrap_or_default(),
        duration_ms: round(millis(started)),
        device_certificates: credentials.certificates.clone(),
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

pub(super) fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

pub(super) fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

// ------------------------------------------------------------------------------------------
// the Markdown report's file

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
