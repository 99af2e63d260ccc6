//! The doctor's stages: what each layer a connection passes through showed, judged from plain
//! facts (file modes, the device lint's judgement, served chains' judgements, probe results),
//! and the verdict over all of them. Pure: the files are read and the network is probed by
//! `cmd::doctor`, and every judgement here comes from an existing engine's findings or from
//! the few facts only the doctor has (modes against a client's rule, the clock against what
//! the server serves, which port answered).

use serde::Serialize;

use crate::doctor::config::{Client, DeviceFile, DeviceSettings, ModeRule};
use crate::finding::{self, Code, Finding, Severity};
use crate::net::NetError;
use crate::when::{rfc3339, Y2K};

/// The stages, in the order a connection passes through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageId {
    Config,
    Files,
    Credentials,
    Trust,
    Clock,
    Dns,
    Tcp,
    Tls,
    ClientAuth,
    Mqtt,
    Account,
}

impl StageId {
    pub const ALL: [StageId; 11] = [
        StageId::Config,
        StageId::Files,
        StageId::Credentials,
        StageId::Trust,
        StageId::Clock,
        StageId::Dns,
        StageId::Tcp,
        StageId::Tls,
        StageId::ClientAuth,
        StageId::Mqtt,
        StageId::Account,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StageId::Config => "config",
            StageId::Files => "files",
            StageId::Credentials => "credentials",
            StageId::Trust => "trust",
            StageId::Clock => "clock",
            StageId::Dns => "dns",
            StageId::Tcp => "tcp",
            StageId::Tls => "tls",
            StageId::ClientAuth => "client_auth",
            StageId::Mqtt => "mqtt",
            StageId::Account => "account",
        }
    }
}

/// How a stage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
        }
    }

    /// A stage that ran: fail with an error finding, warn with a warning, else ok (hints and
    /// notes explain, they do not change the status).
    pub fn of(findings: &[Finding]) -> Status {
        if findings.iter().any(Finding::is_error) {
            Status::Fail
        } else if findings.iter().any(|f| f.severity == Severity::Warning) {
            Status::Warn
        } else {
            Status::Ok
        }
    }
}

/// One stage's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Stage {
    pub id: StageId,
    pub status: Status,
    /// Why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The earlier stage whose failure kept this one from running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<StageId>,
    pub findings: Vec<Finding>,
    pub duration_ms: f64,
}

impl Stage {
    /// A stage that ran, with its findings (sorted by severity).
    pub fn judged(id: StageId, mut findings: Vec<Finding>, duration_ms: f64) -> Stage {
        finding::sort(&mut findings);
        Stage {
            id,
            status: Status::of(&findings),
            reason: None,
            depends_on: None,
            findings,
            duration_ms: round(duration_ms),
        }
    }

    /// A stage that did not run, and why.
    pub fn skipped(id: StageId, reason: impl Into<String>) -> Stage {
        Stage {
            id,
            status: Status::Skipped,
            reason: Some(reason.into()),
            depends_on: None,
            findings: Vec::new(),
            duration_ms: 0.0,
        }
    }

    /// A stage that could not run because `earlier` failed (or could not run either).
    pub fn blocked(id: StageId, earlier: StageId, reason: impl Into<String>) -> Stage {
        Stage {
            depends_on: Some(earlier),
            ..Stage::skipped(id, reason)
        }
    }

    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }

    /// The finding a one-line summary shows: the first (errors sort first).
    pub fn key_finding(&self) -> Option<&Finding> {
        self.findings.first()
    }
}

/// The verdict over all stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoctorVerdict {
    Ok,
    Failed,
}

/// The verdict, the first failing stage and what to do about it, in one sentence.
pub fn verdict(stages: &[Stage]) -> (DoctorVerdict, Option<StageId>, Option<String>) {
    match stages.iter().find(|s| s.failed()) {
        None => (DoctorVerdict::Ok, None, None),
        Some(stage) => (
            DoctorVerdict::Failed,
            Some(stage.id),
            Some(advice(stage).to_string()),
        ),
    }
}

/// One plain sentence of what to do when `stage` failed, by its lead finding.
fn advice(stage: &Stage) -> &'static str {
    let lead = stage.findings.first().map(|f| f.code);
    match (stage.id, lead) {
        (StageId::Config, Some(Code::ConfigMissingValue)) => {
            "Give the endpoint, the device certificate and its key (--endpoint, --cert, --key), or the device's configuration file (--config)."
        }
        (StageId::Config, _) => {
            "Fix the device's configuration file as the config findings say, then run doctor again."
        }
        (StageId::Files, Some(Code::FileMode)) => {
            "Set the modes the device's client requires (the findings name each file and mode, e.g. chmod 600 on the key for the Device Client), then run doctor again."
        }
        (StageId::Files, _) => {
            "Put the files the configuration names in place (or correct the paths), readable by the device's user."
        }
        (StageId::Credentials, _) => {
            "Install the device certificate and the private key that belong together, as AWS IoT issued or registered them (the credentials findings say what is wrong)."
        }
        (StageId::Trust, _) => {
            "Put the Amazon roots the endpoint's chains lead to in the device's CA file: AmazonRootCA1.pem (RSA) and AmazonRootCA3.pem (ECC)."
        }
        (StageId::Clock, _) => {
            "Set the device's clock (enable NTP or SNTP before connecting), then run doctor again."
        }
        (StageId::Dns, _) => {
            "Check the endpoint name (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and the device's DNS server."
        }
        (StageId::Tcp, _) => {
            "Open the blocked port in the firewall, or configure the device for one that is open (443 with ALPN x-amzn-mqtt-ca, or an HTTP proxy)."
        }
        (StageId::Tls, Some(Code::NoTlsSession)) => {
            "Check that the endpoint and port are AWS IoT's (443 needs ALPN x-amzn-mqtt-ca), and that no middlebox intercepts TLS."
        }
        (StageId::Tls, _) => {
            "The server's chain does not verify for the endpoint name: use the endpoint from aws iot describe-endpoint --endpoint-type iot:Data-ATS and check what intercepts the connection."
        }
        (StageId::ClientAuth, _) => {
            "Register and activate the device certificate in the endpoint's account and region (aws iot describe-certificate), or install the certificate that is registered."
        }
        (StageId::Mqtt, _) => {
            "Attach a policy to the certificate that allows iot:Connect for this client id, and make sure no other connection uses the same client id."
        }
        (StageId::Account, _) => {
            "Fix what the account findings name in AWS IoT (certificate status, attached policy, thing), then run doctor again."
        }
    }
}

// ------------------------------------------------------------------------------------------
// config

/// The `config` stage: what the configuration reader found, and, without a file, the
/// values the flags left out.
pub fn config_stage(settings: &DeviceSettings, duration_ms: f64) -> Stage {
    let mut findings = settings.findings.clone();
    if settings.client == Client::Flags {
        let missing: Vec<&str> = [
            (settings.endpoint.is_none(), "--endpoint"),
            (settings.cert.is_none(), "--cert"),
            (settings.key.is_none(), "--key"),
        ]
        .into_iter()
        .filter_map(|(missing, flag)| missing.then_some(flag))
        .collect();
        if !missing.is_empty() {
            findings.push(Finding::new(
                Code::ConfigMissingValue,
                format!(
                    "no configuration file, and {} not given: give them, or the device's configuration file with --config",
                    missing.join(", ")
                ),
            ));
        }
    }
    Stage::judged(StageId::Config, findings, duration_ms)
}

// ------------------------------------------------------------------------------------------
// files

/// What one of the device's files is to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    Certificate,
    Key,
    RootCa,
    /// A configuration file the client reads (the Device Client holds them to modes too).
    Config,
}

impl FileRole {
    pub fn words(self) -> &'static str {
        match self {
            FileRole::Certificate => "device certificate",
            FileRole::Key => "private key",
            FileRole::RootCa => "root CA file",
            FileRole::Config => "configuration file",
        }
    }
}

/// What the file system says about one file and its directory.
#[derive(Clone, Debug, Serialize)]
pub struct FileFacts {
    pub role: FileRole,
    pub path: String,
    /// None: it could not be found or read; the words say why.
    pub problem: Option<String>,
    /// Permission bits, when known.
    pub mode: Option<u32>,
    pub dir_mode: Option<u32>,
    #[serde(skip)]
    pub rule: ModeRule,
    #[serde(skip)]
    pub dir_rule: ModeRule,
    #[serde(skip)]
    pub rule_source: &'static str,
}

impl FileFacts {
    pub fn new(role: FileRole, file: &DeviceFile) -> FileFacts {
        FileFacts {
            role,
            path: file.path.value.display().to_string(),
            problem: None,
            mode: None,
            dir_mode: None,
            rule: file.mode,
            dir_rule: file.dir_mode,
            rule_source: file.rule_source,
        }
    }
}

/// The `files` stage: each file present and readable, with the modes its client requires.
pub fn files_stage(files: &[FileFacts], duration_ms: f64) -> Stage {
    let mut findings = Vec::new();
    for file in files {
        if let Some(problem) = &file.problem {
            findings.push(
                Finding::new(
                    Code::FileMissing,
                    format!("the {} {}: {problem}", file.role.words(), file.path),
                )
                .on_file(&file.path),
            );
            continue;
        }
        if let Some(finding) = mode_finding(file, file.mode, file.rule, false) {
            findings.push(finding);
        }
        if let Some(finding) = mode_finding(file, file.dir_mode, file.dir_rule, true) {
            findings.push(finding);
        }
    }
    Stage::judged(StageId::Files, findings, duration_ms)
}

fn mode_finding(file: &FileFacts, mode: Option<u32>, rule: ModeRule, dir: bool) -> Option<Finding> {
    let mode = mode? & 0o777;
    let what = if dir {
        format!("the directory of the {} {}", file.role.words(), file.path)
    } else {
        format!("the {} {}", file.role.words(), file.path)
    };
    match rule {
        ModeRule::Exactly(want) if mode != want => Some(
            Finding::new(
                Code::FileMode,
                format!(
                    "{what} has mode {mode:04o}; its client requires exactly {want:04o} and refuses any other ({}): chmod {want:o} it",
                    file.rule_source
                ),
            )
            .on_file(&file.path),
        ),
        ModeRule::Recommended(want) if mode != want => Some(
            Finding::new(
                Code::FileModeRecommended,
                format!(
                    "{what} has mode {mode:04o}; its client recommends {want:04o} and warns at start ({}): chmod {want:o} it",
                    file.rule_source
                ),
            )
            .on_file(&file.path),
        ),
        ModeRule::AtMost(allowed) if mode & !allowed != 0 => {
            let code = if file.role == FileRole::Key && !dir {
                Code::KeyPermissions
            } else {
                Code::FileMode
            };
            Some(
                Finding::new(
                    code,
                    format!(
                        "{what} has mode {mode:04o}, more than {allowed:04o} allows ({}): chmod {allowed:o} it",
                        file.rule_source
                    ),
                )
                .on_file(&file.path),
            )
        }
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// credentials

/// The codes of the device lint that the `files` stage judges instead (it knows the client's
/// rule), and a note that speaks of the `device` command's `--ca`, which means the device's
/// own CA there, not the root CA file the doctor reads.
pub fn owned_by_files_stage(code: Code) -> bool {
    matches!(
        code,
        Code::KeyPermissions | Code::KeyPermissionsUnknown | Code::DeviceCaNotChecked
    )
}

// ------------------------------------------------------------------------------------------
// trust

/// The codes of a chain judgement that say the CA file lacks what the chain leads to: the
/// `trust` stage's. The rest (names, validity, the served chain's shape) are the `tls`
/// stage's. An unknown issuer behind a missing intermediate is the server's fault, not the
/// CA file's.
pub fn is_trust_finding(code: Code, chain_findings: &[Finding]) -> bool {
    let intermediate_missing = chain_findings
        .iter()
        .any(|f| f.code == Code::MissingIntermediate);
    match code {
        Code::UnknownIssuer => !intermediate_missing,
        Code::MissingRoot
        | Code::UntrustedRoot
        | Code::LegacyRoot
        | Code::LegacyEndpoint
        | Code::SingleRoot
        | Code::IntermediateAnchor
        | Code::AnchorOutsideValidity
        | Code::NoAnchors => true,
        _ => false,
    }
}

// ------------------------------------------------------------------------------------------
// clock

/// A served leaf's validity, unix seconds.
#[derive(Clone, Debug)]
pub struct ServedValidity {
    /// Where it was served, e.g. "port 8883".
    pub label: String,
    pub subject: String,
    pub not_before: i64,
    pub not_after: i64,
}

/// The `clock` stage: the clock against the validity of every served leaf (a server's own
/// certificate is valid now, so the real time is inside each window); before 2000 the clock
/// is unset. `None` when there is nothing to compare with and the clock looks set.
pub fn clock_stage(at: i64, served: &[ServedValidity], duration_ms: f64) -> Option<Stage> {
    let mut findings = Vec::new();
    if at < Y2K {
        findings.push(Finding::new(
            Code::ClockSkew,
            format!("the clock says {}, before 2000: it is not set", rfc3339(at)),
        ));
        findings.push(Finding::new(
            Code::ClockUnset,
            "the device clock looks unset: certificates are not valid at that time; set it (NTP or SNTP) before connecting",
        ));
        return Some(Stage::judged(StageId::Clock, findings, duration_ms));
    }
    if served.is_empty() {
        return None;
    }
    let earliest_end = served.iter().min_by_key(|s| s.not_after)?;
    let latest_start = served.iter().max_by_key(|s| s.not_before)?;
    if at < latest_start.not_before {
        findings.push(Finding::new(
            Code::ClockSkew,
            format!(
                "the clock says {}, before {} ({}) became valid at {}: the clock is behind",
                rfc3339(at),
                latest_start.subject,
                latest_start.label,
                rfc3339(latest_start.not_before)
            ),
        ));
    } else if at > earliest_end.not_after {
        findings.push(Finding::new(
            Code::ClockSkew,
            format!(
                "the clock says {}, after {} ({}) expired at {}: the clock is ahead, or the server serves an expired certificate",
                rfc3339(at),
                earliest_end.subject,
                earliest_end.label,
                rfc3339(earliest_end.not_after)
            ),
        ));
    }
    Some(Stage::judged(StageId::Clock, findings, duration_ms))
}

// ------------------------------------------------------------------------------------------
// dns and tcp

/// The `dns` finding of a failed resolution.
pub fn dns_finding(name: &str, error: &NetError) -> Finding {
    Finding::new(Code::DnsFailed, format!("{name}: {error}"))
}

/// The `tcp` finding of a port that did not accept.
pub fn tcp_finding(port: u16, error: &NetError) -> Finding {
    let code = match error {
        NetError::Timeout { .. } => Code::TcpTimeout,
        _ => Code::TcpRefused,
    };
    Finding::new(code, format!("port {port}: {error}"))
}

/// The `tls` finding of a port that accepted TCP but gave no TLS session.
pub fn no_tls_finding(port: u16, error: &NetError) -> Finding {
    Finding::new(Code::NoTlsSession, format!("port {port}: {error}"))
}

// ------------------------------------------------------------------------------------------
// findings of several ports

/// Findings of one stage gathered from several ports and handshakes: the same judgement seen
/// on several of them is said once, naming where.
#[derive(Default)]
pub struct Gathered {
    entries: Vec<(Code, String, Option<crate::finding::Subject>, Vec<String>)>,
}

impl Gathered {
    pub fn add(&mut self, finding: Finding, label: &str) {
        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|e| e.0 == finding.code && e.1 == finding.message)
        {
            if !entry.3.iter().any(|l| l == label) {
                entry.3.push(label.to_string());
            }
            return;
        }
        self.entries.push((
            finding.code,
            finding.message,
            finding.subject,
            vec![label.to_string()],
        ));
    }

    /// The findings, each prefixed with where it was seen (unless `bare`).
    pub fn findings(self, bare: bool) -> Vec<Finding> {
        self.entries
            .into_iter()
            .map(|(code, message, subject, labels)| {
                let message = if bare || labels.iter().all(String::is_empty) {
                    message
                } else {
                    format!("{}: {message}", labels.join(", "))
                };
                Finding {
                    code,
                    severity: code.severity(),
                    subject,
                    message,
                }
            })
            .collect()
    }
}

fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::config::Sourced;
    use std::path::PathBuf;

    fn file(role: FileRole, mode: u32, rule: ModeRule) -> FileFacts {
        FileFacts {
            mode: Some(mode),
            dir_mode: Some(0o700),
            ..FileFacts::new(
                role,
                &DeviceFile {
                    path: Sourced::flag(PathBuf::from("/d/k.pem"), "--key"),
                    mode: rule,
                    dir_mode: ModeRule::Exactly(0o700),
                    rule_source: "rule",
                },
            )
        }
    }

    #[test]
    fn exact_modes_refuse_a_stricter_key() {
        let stage = files_stage(&[file(FileRole::Key, 0o400, ModeRule::Exactly(0o600))], 0.0);
        assert_eq!(stage.status, Status::Fail);
        assert_eq!(stage.findings[0].code, Code::FileMode);
        assert!(stage.findings[0].message.contains("0400"));
        let stage = files_stage(&[file(FileRole::Key, 0o600, ModeRule::Exactly(0o600))], 0.0);
        assert_eq!(stage.status, Status::Ok);
    }

    #[test]
    fn an_open_key_without_a_client_is_a_warning() {
        let stage = files_stage(&[file(FileRole::Key, 0o644, ModeRule::AtMost(0o600))], 0.0);
        assert_eq!(stage.status, Status::Warn);
        assert_eq!(stage.findings[0].code, Code::KeyPermissions);
        let stage = files_stage(&[file(FileRole::Key, 0o400, ModeRule::AtMost(0o600))], 0.0);
        assert_eq!(stage.status, Status::Ok);
    }

    #[test]
    fn the_clock_is_judged_against_what_is_served() {
        let served = [ServedValidity {
            label: "port 8883".into(),
            subject: "*.iot.eu-west-1.amazonaws.com".into(),
            not_before: 1_700_000_000,
            not_after: 1_800_000_000,
        }];
        let ok = clock_stage(1_750_000_000, &served, 0.0).unwrap();
        assert_eq!(ok.status, Status::Ok);
        let behind = clock_stage(1_600_000_000, &served, 0.0).unwrap();
        assert_eq!(behind.findings[0].code, Code::ClockSkew);
        assert!(behind.findings[0].message.contains("behind"));
        let unset = clock_stage(0, &[], 0.0).unwrap();
        assert_eq!(unset.status, Status::Fail);
        assert!(unset.findings.iter().any(|f| f.code == Code::ClockUnset));
        assert!(clock_stage(1_750_000_000, &[], 0.0).is_none());
    }

    #[test]
    fn the_first_failing_stage_decides_the_verdict() {
        let stages = vec![
            Stage::judged(StageId::Config, vec![], 0.0),
            Stage::judged(
                StageId::Tcp,
                vec![Finding::new(Code::TcpRefused, "port 9: refused")],
                0.0,
            ),
            Stage::blocked(StageId::Tls, StageId::Tcp, "no port accepted TCP"),
        ];
        let (verdict, first, advice) = verdict(&stages);
        assert_eq!(verdict, DoctorVerdict::Failed);
        assert_eq!(first, Some(StageId::Tcp));
        assert!(advice.unwrap().contains("firewall"));
        assert_eq!(
            serde_json::to_value(&stages[2]).unwrap()["depends_on"],
            "tcp"
        );
    }

    #[test]
    fn the_same_finding_on_several_ports_is_said_once() {
        let mut gathered = Gathered::default();
        gathered.add(Finding::new(Code::NameMismatch, "not valid"), "port 1");
        gathered.add(Finding::new(Code::NameMismatch, "not valid"), "port 2");
        gathered.add(Finding::new(Code::LargeChain, "big"), "port 2");
        let findings = gathered.findings(false);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].message, "port 1, port 2: not valid");
    }
}
