//! The doctor's stages: what each layer a connection passes through showed, judged from plain
//! facts (file modes, the device lint's judgement, served chains' judgements, probe results),
//! and the verdict over all of them. Pure: the files are read and the network is probed by
//! `cmd::doctor`, and every judgement here comes from an existing engine's findings or from
//! the few facts only the doctor has (modes against a client's rule, the clock against what
//! the server serves, which port answered).

use serde::Serialize;

use crate::alerts::{advice as alert_advice, AlertStage};
use crate::chain::Cert;
use crate::doctor::config::{Client, DeviceFile, DeviceSettings, ModeRule};
use crate::finding::{self, Code, Finding, Severity};
use crate::net::NetError;
use crate::trust::{known_issuer_of, KnownRoot, KNOWN_ROOTS, LEGACY_VERISIGN};
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

/// The verdict, the first failing stage and what to do about it, in one sentence that follows
/// the evidence of that stage.
pub fn verdict(
    stages: &[Stage],
    evidence: &Evidence,
) -> (DoctorVerdict, Option<StageId>, Option<String>) {
    match stages.iter().find(|s| s.failed()) {
        None => (DoctorVerdict::Ok, None, None),
        Some(stage) => (
            DoctorVerdict::Failed,
            Some(stage.id),
            Some(advice(stage, evidence)),
        ),
    }
}

// ------------------------------------------------------------------------------------------
// the evidence the advice follows

/// What the run showed beyond the failing stage's findings, for the advice: the facts that
/// tell one cause from another (where a chain leads, which ports were refused and which
/// dropped, the alert the server sent).
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// The client whose configuration was read, in words ("the AWS IoT Device Client").
    pub client: Option<&'static str>,
    pub endpoint: Option<String>,
    pub client_id: Option<String>,
    /// The device certificate's id in AWS IoT: the SHA-256 of its DER, hex.
    pub certificate_id: Option<String>,
    /// The root CA files as named.
    pub ca_files: Vec<String>,
    /// The catalogue roots the CA files hold, by file name ("AmazonRootCA1.pem").
    pub roots_held: Vec<&'static str>,
    /// Where each served chain leads, each end once.
    pub chain_ends: Vec<ChainEnd>,
    pub files: Vec<FileFacts>,
    /// Each port checked, in the order given.
    pub ports: Vec<PortEvidence>,
    /// The lookup of the name ran out of time (rather than being answered "no such name").
    pub resolve_timed_out: bool,
    pub at: i64,
    pub served: Vec<ServedValidity>,
    /// The alerts with which the server answered the device's certificate.
    pub alerts: Vec<String>,
    /// The return codes with which the broker refused CONNECT.
    pub mqtt_refusals: Vec<u8>,
}

/// One port as the tcp and tls stages saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortEvidence {
    pub port: u16,
    /// None: not tried (through a proxy, or the name did not resolve).
    pub tcp: Option<TcpState>,
    /// Set when TCP was accepted but no handshake came up.
    pub no_tls: Option<NoTls>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    Open,
    Refused,
    /// No answer within the deadline: a firewall dropping the packets.
    Dropped,
}

impl TcpState {
    pub fn of(result: &Result<std::net::SocketAddr, NetError>) -> TcpState {
        match result {
            Ok(_) => TcpState::Open,
            Err(NetError::Timeout { .. }) => TcpState::Dropped,
            Err(_) => TcpState::Refused,
        }
    }
}

/// How a port that accepted TCP failed to give a TLS session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoTls {
    /// Silence until the deadline.
    Silent,
    /// An answer that is not TLS (HTTP, a banner).
    NotTls,
    /// Closed or reset mid-handshake.
    Closed,
    Other,
}

impl NoTls {
    pub fn of(error: &NetError) -> NoTls {
        match error {
            NetError::Timeout { .. } | NetError::NoTimeLeft { .. } => NoTls::Silent,
            NetError::NotTls { .. } => NoTls::NotTls,
            NetError::Closed { .. } => NoTls::Closed,
            _ => NoTls::Other,
        }
    }
}

/// Where a served chain leads: the root named at the top of the path from its leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainEnd {
    /// A root of the catalogue (an Amazon root, or the legacy VeriSign root).
    Known {
        file: &'static str,
        label: &'static str,
    },
    /// Any other root, by name.
    Other(String),
}

impl ChainEnd {
    fn is_amazon(&self) -> bool {
        matches!(self, ChainEnd::Known { file, .. } if *file != LEGACY_VERISIGN)
    }
}

/// Where the chain `served` (DER, served order) leads: from the leaf up through the served
/// certificates that issued each other, to the root that the top one is, or names as its
/// issuer. A top issued by a known Amazon intermediate the server left out leads to that
/// intermediate's root. None when nothing parses.
pub fn chain_end(served: &[Vec<u8>]) -> Option<ChainEnd> {
    let certs: Vec<Cert> = served
        .iter()
        .filter_map(|der| Cert::from_der(der, "served").ok())
        .collect();
    let mut top = certs.first()?;
    let is_known_root = |cert: &Cert| {
        KNOWN_ROOTS.iter().any(|k| {
            let root = k.cert();
            root.subject_der == cert.subject_der && root.key.spki_der == cert.key.spki_der
        })
    };
    for _ in 0..certs.len() {
        if top.self_signed() || is_known_root(top) {
            break;
        }
        match certs
            .iter()
            .find(|c| !std::ptr::eq(*c, top) && top.names_issuer(c))
        {
            Some(issuer) => top = issuer,
            None => break,
        }
    }
    let known = |root: &'static KnownRoot| ChainEnd::Known {
        file: root.file,
        label: root.label,
    };
    // A root served cross-signed (Amazon Root CA 1 under Starfield) is that root: same name,
    // same key.
    let same_root = KNOWN_ROOTS.iter().find(|k| {
        let root = k.cert();
        root.subject_der == top.subject_der && root.key.spki_der == top.key.spki_der
    });
    if let Some(root) = same_root {
        return Some(known(root));
    }
    if top.self_signed() {
        return Some(
            KnownRoot::find(top)
                .map(known)
                .unwrap_or_else(|| ChainEnd::Other(top.display_name().to_string())),
        );
    }
    let issuer = KNOWN_ROOTS.iter().find(|k| {
        let root = k.cert();
        top.names_issuer(root) && top.signature_check(root).is_ok()
    });
    Some(match issuer {
        Some(root) => known(root),
        None => match known_issuer_of(top) {
            Some((_, root)) => known(root),
            None => ChainEnd::Other(top.issuer_display_name().to_string()),
        },
    })
}

/// How the clock stands against the served validities.
#[derive(Clone, Debug)]
enum Drift<'a> {
    Unset,
    Behind(&'a ServedValidity),
    Ahead(&'a ServedValidity),
}

fn drift(at: i64, served: &[ServedValidity]) -> Option<Drift<'_>> {
    if at < Y2K {
        return Some(Drift::Unset);
    }
    let earliest_end = served.iter().min_by_key(|s| s.not_after)?;
    let latest_start = served.iter().max_by_key(|s| s.not_before)?;
    if at < latest_start.not_before {
        Some(Drift::Behind(latest_start))
    } else if at > earliest_end.not_after {
        Some(Drift::Ahead(earliest_end))
    } else {
        None
    }
}

// ------------------------------------------------------------------------------------------
// advice

/// One plain sentence of what to do when `stage` failed, from its findings and the evidence.
fn advice(stage: &Stage, evidence: &Evidence) -> String {
    let codes: Vec<Code> = stage
        .findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| f.code)
        .collect();
    let lead = codes.first().copied();
    let has = |code: Code| stage.findings.iter().any(|f| f.code == code);
    match stage.id {
        StageId::Config => config_advice(lead),
        StageId::Files => files_advice(evidence),
        StageId::Credentials => credentials_advice(lead),
        StageId::Trust => trust_advice(lead, evidence, has(Code::LegacyRoot)),
        StageId::Clock => clock_advice(evidence),
        StageId::Dns => dns_advice(evidence),
        StageId::Tcp => tcp_advice(evidence),
        StageId::Tls => tls_advice(lead, evidence),
        StageId::ClientAuth => client_auth_advice(lead, evidence),
        StageId::Mqtt => mqtt_advice(lead, evidence),
        StageId::Account => account_advice(lead, evidence),
    }
}

fn config_advice(lead: Option<Code>) -> String {
    match lead {
        Some(Code::ConfigMissingValue) => "Give the endpoint, the device certificate and its key (--endpoint, --cert, --key), or the device's configuration file (--config).".into(),
        Some(Code::EndpointNotData) => "Put the device data endpoint in the configuration (aws iot describe-endpoint --endpoint-type iot:Data-ATS gives <prefix>-ats.iot.<region>.amazonaws.com).".into(),
        _ => "Fix the device's configuration file as the config findings say, then run doctor again.".into(),
    }
}

fn files_advice(evidence: &Evidence) -> String {
    let exactly = |facts: &FileFacts| -> Option<(String, u32, u32)> {
        let check = |mode: Option<u32>, rule: ModeRule, path: String| match (mode, rule) {
            (Some(mode), ModeRule::Exactly(want)) if mode & 0o777 != want => {
                Some((path, mode & 0o777, want))
            }
            _ => None,
        };
        check(facts.mode, facts.rule, facts.path.clone()).or_else(|| {
            let dir = std::path::Path::new(&facts.path)
                .parent()
                .map(|d| d.display().to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| ".".to_string());
            check(facts.dir_mode, facts.dir_rule, dir)
        })
    };
    if let Some(missing) = evidence.files.iter().find(|f| f.problem.is_some()) {
        let problem = missing.problem.as_deref().unwrap_or_default();
        return format!(
            "The {} {} {problem}: put the file in place (or correct the path the configuration names), readable by the device's user.",
            missing.role.words(),
            missing.path
        );
    }
    let wrong: Vec<(String, u32, u32)> = evidence.files.iter().filter_map(exactly).collect();
    match wrong.as_slice() {
        [] => "Set the modes the device's client requires, as the files findings name them, then run doctor again.".into(),
        [(path, mode, want), rest @ ..] => {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" (and {n} more the files findings name)"),
            };
            let client = evidence.client.unwrap_or("the device's client");
            format!(
                "Run chmod {want:o} {path}{more}: it has mode {mode:04o}, and {client} requires exactly {want:04o}, refusing any other mode, stricter ones too."
            )
        }
    }
}

fn credentials_advice(lead: Option<Code>) -> String {
    match lead {
        Some(Code::KeyMismatch) => "The private key does not belong to the device certificate: install the key created with this certificate (or the certificate AWS IoT issued for this key).".into(),
        Some(Code::Expired) => "The device certificate has expired: issue a new one (aws iot create-certificate-from-csr --set-as-active), attach the thing's policy to it and install it on the device.".into(),
        Some(Code::NotYetValid) => "The device certificate is not valid yet at the device's time: set the device's clock (NTP or SNTP), or check the certificate's notBefore.".into(),
        Some(Code::Revoked) => "The device certificate is revoked: issue and register a new one, and install it on the device.".into(),
        Some(Code::ClientAuthNotAllowed) => "The device certificate does not allow TLS client authentication (its extended key usage lacks clientAuth): issue one that does, e.g. with aws iot create-certificate-from-csr.".into(),
        Some(Code::CertIsCa) => "The file named as the device certificate holds a CA certificate: name the device's own certificate (certificate.pem.crt as AWS IoT issued it).".into(),
        Some(Code::WeakKey | Code::UnsupportedKeyType) => "AWS IoT accepts RSA keys of 2048 bits or more and ECC P-256, P-384 or P-521 keys: create such a key and a certificate for it.".into(),
        Some(Code::ThingMismatch) => "The certificate is not the thing's: install the certificate issued for this thing, or name the right thing (--thing).".into(),
        Some(Code::KeyEncrypted) => "The private key is encrypted with a passphrase, which the device's client cannot use: store it unencrypted, readable only by the device's user.".into(),
        Some(
            Code::CertFileHoldsKey
            | Code::CertFileHoldsCsr
            | Code::CertFileHoldsPublicKey
            | Code::CertFileNotCertificate
            | Code::CertOrder
            | Code::Malformed,
        ) => "The file named as the device certificate does not hold a usable one (the credentials findings say what it holds): name the certificate AWS IoT issued (certificate.pem.crt).".into(),
        Some(
            Code::KeyFileHoldsCertificate
            | Code::KeyFileHoldsPublicKey
            | Code::KeyFileHoldsCsr
            | Code::KeyFileNotKey
            | Code::KeyUnreadable
            | Code::SeveralKeys
            | Code::DerNotPem,
        ) => "The file named as the private key does not hold one usable key (the credentials findings say what it holds): name the device's private key file (private.pem.key), in PEM.".into(),
        _ => "Install the device certificate and the private key that belong together, as AWS IoT issued or registered them (the credentials findings say what is wrong).".into(),
    }
}

fn trust_advice(lead: Option<Code>, evidence: &Evidence, holds_legacy: bool) -> String {
    let ca = match evidence.ca_files.as_slice() {
        [] => "the device's CA file".to_string(),
        files => format!("the device's CA file ({})", files.join(", ")),
    };
    let lacking: Vec<(&str, &str)> = evidence
        .chain_ends
        .iter()
        .filter_map(|end| match end {
            ChainEnd::Known { file, label } if end.is_amazon() => Some((*file, *label)),
            _ => None,
        })
        .filter(|(file, _)| !evidence.roots_held.contains(file))
        .collect();
    let foreign: Vec<&str> = evidence
        .chain_ends
        .iter()
        .filter_map(|end| match end {
            ChainEnd::Other(name) => Some(name.as_str()),
            ChainEnd::Known { .. } => None,
        })
        .collect();
    let legacy_served = evidence
        .chain_ends
        .iter()
        .any(|end| matches!(end, ChainEnd::Known { file, .. } if *file == LEGACY_VERISIGN));
    if let [name, ..] = foreign.as_slice() {
        return format!(
            "The served chain leads to \"{name}\", not to an Amazon root: a TLS-inspecting proxy or firewall is in the path, or this is the wrong endpoint; add \"{name}\" to {ca} only if it is your own broker's root."
        );
    }
    if legacy_served {
        return "The endpoint serves the VeriSign chain of the retired iot:Data endpoints: use the ATS endpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and AmazonRootCA1.pem and AmazonRootCA3.pem in the device's CA file.".into();
    }
    if !lacking.is_empty() {
        let labels: Vec<&str> = lacking.iter().map(|(_, label)| *label).collect();
        let files: Vec<&str> = lacking.iter().map(|(file, _)| *file).collect();
        let replace = if holds_legacy {
            " (instead of the VeriSign root of the retired iot:Data endpoints)"
        } else {
            ""
        };
        return format!(
            "The endpoint's chain leads to {}, which {ca} lacks: add {}{replace}.",
            labels.join(" and "),
            files.join(" and ")
        );
    }
    match lead {
        Some(Code::Expired) => format!("{} holds an expired root (the trust findings name it): replace it with the Amazon roots, AmazonRootCA1.pem (RSA) and AmazonRootCA3.pem (ECC).", capitalise(&ca)),
        _ => format!("Put the Amazon roots the endpoint's chains lead to in {ca}: AmazonRootCA1.pem (RSA) and AmazonRootCA3.pem (ECC)."),
    }
}

fn clock_advice(evidence: &Evidence) -> String {
    match drift(evidence.at, &evidence.served) {
        Some(Drift::Unset) => format!(
            "The device's clock is unset (it says {}): enable NTP or SNTP and let it sync before the device connects.",
            rfc3339(evidence.at)
        ),
        Some(Drift::Behind(served)) => format!(
            "The device's clock is behind (it says {}, before the server's certificate became valid at {}): set it from NTP or SNTP before connecting.",
            rfc3339(evidence.at),
            rfc3339(served.not_before)
        ),
        Some(Drift::Ahead(served)) => format!(
            "The device's clock is ahead of the server's certificate, which expired at {} by it (it says {}): set the clock from NTP or SNTP; if the clock is right, the server serves an expired certificate and is not AWS IoT.",
            rfc3339(served.not_after),
            rfc3339(evidence.at)
        ),
        None => "Set the device's clock (enable NTP or SNTP before connecting), then run doctor again.".into(),
    }
}

fn dns_advice(evidence: &Evidence) -> String {
    let name = evidence.endpoint.as_deref().unwrap_or("the endpoint");
    if evidence.resolve_timed_out {
        format!("The device's DNS server did not answer for {name} within --timeout: check the DNS server the device uses and that the network lets DNS through.")
    } else {
        format!("{name} does not resolve: check the endpoint name (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and the device's DNS server.")
    }
}

fn tcp_advice(evidence: &Evidence) -> String {
    let with = |state: TcpState| -> Vec<String> {
        evidence
            .ports
            .iter()
            .filter(|p| p.tcp == Some(state))
            .map(|p| p.port.to_string())
            .collect()
    };
    let (open, refused, dropped) = (
        with(TcpState::Open),
        with(TcpState::Refused),
        with(TcpState::Dropped),
    );
    let list = |ports: &[String]| {
        let word = if ports.len() == 1 { "port" } else { "ports" };
        format!("{word} {}", ports.join(", "))
    };
    if !open.is_empty() {
        let failed: Vec<String> = refused.iter().chain(&dropped).cloned().collect();
        let how = match (refused.is_empty(), dropped.is_empty()) {
            (false, true) => "refused",
            (true, false) => "silently dropped",
            _ => "refused or dropped",
        };
        return format!(
            "Only {} accepted; {} {how}: open {} in the firewall for outbound TCP to the endpoint, or configure the device for {} (443 needs ALPN x-amzn-mqtt-ca for MQTT).",
            list(&open),
            list(&failed),
            if failed.len() == 1 { "it" } else { "them" },
            list(&open)
        );
    }
    match (refused.is_empty(), dropped.is_empty()) {
        (false, true) => format!(
            "Every port was refused ({}): nothing of AWS IoT listens at the address dialed, or a firewall rejects the connections; check the endpoint (and --connect), then the firewall.",
            list(&refused)
        ),
        (true, false) => format!(
            "Every port was silently dropped ({}): a firewall blocks outbound TCP to the endpoint; open 8883 or 443, or give the device an HTTP proxy the network allows.",
            list(&dropped)
        ),
        _ => "No port accepted TCP (some refused, some dropped): check the address dialed and the firewall for outbound TCP to the endpoint on 8883, 443 and 8443.".into(),
    }
}

fn tls_advice(lead: Option<Code>, evidence: &Evidence) -> String {
    let name = evidence.endpoint.as_deref().unwrap_or("the endpoint");
    let failing: Vec<&PortEvidence> = evidence
        .ports
        .iter()
        .filter(|p| p.no_tls.is_some())
        .collect();
    match lead {
        Some(Code::NoTlsSession) => {
            let port = failing.first().map(|p| p.port);
            match (port, failing.first().and_then(|p| p.no_tls)) {
                (Some(443), Some(NoTls::Silent)) => "Port 443 accepted TCP but stayed silent: AWS IoT answers MQTT there only with ALPN x-amzn-mqtt-ca (configure the device's TLS stack to send it), or a middlebox holds the connection.".into(),
                (Some(port), Some(NoTls::Silent)) => format!("Port {port} accepted TCP but never answered the TLS handshake: a firewall or middlebox holds the connection, or the address dialed is not AWS IoT's; check the path to {name}."),
                (Some(port), Some(NoTls::NotTls)) => format!("Port {port} answered with something that is not TLS (a captive portal, a proxy or another service): check the address dialed and the network's proxy for {name}."),
                (Some(port), Some(NoTls::Closed)) => format!("Port {port} closed the connection during the TLS handshake: a firewall or middlebox cuts TLS to {name}, or the server refuses the TLS versions or SNI offered."),
                _ => format!("No TLS session came up with {name}: check that the endpoint and port are AWS IoT's (443 needs ALPN x-amzn-mqtt-ca) and that no middlebox intercepts TLS."),
            }
        }
        Some(Code::NameMismatch) => format!("The served certificate is not valid for {name}: use the endpoint aws iot describe-endpoint --endpoint-type iot:Data-ATS gives, and check that nothing in the path intercepts TLS."),
        Some(Code::Expired | Code::NotYetValid) => "The server serves a certificate that is not valid at the device's time: check the device's clock; if it is right, something in the path that is not AWS IoT answers.".into(),
        Some(Code::HandshakeFailed) => format!("The TLS handshake with {name} failed after the server's certificate (the tls findings say how): check that the device's TLS stack and what answers agree on versions and algorithms, and that nothing intercepts TLS."),
        _ => format!("The server's chain does not verify for {name}: use the endpoint from aws iot describe-endpoint --endpoint-type iot:Data-ATS and check what intercepts the connection."),
    }
}

fn client_auth_advice(lead: Option<Code>, evidence: &Evidence) -> String {
    let id = evidence
        .certificate_id
        .as_deref()
        .map_or(String::from("<certificate id>"), |id| id.to_string());
    let check = format!(
        "check it with aws iot describe-certificate --certificate-id {id} in the endpoint's account and region"
    );
    match (lead, evidence.alerts.first()) {
        (Some(Code::ClientCertRejected), Some(alert)) => {
            let meaning = alert_advice(alert, AlertStage::ClientAuth).unwrap_or(
                "the certificate is not registered in this account and region, is inactive, or its CA is not registered",
            );
            format!("The server rejected the device certificate with the alert {alert} ({meaning}): {check}, register and activate it (or register its CA), or install the certificate that is.")
        }
        (Some(Code::ClientCertRejected), None) => format!("The server closed the connection after the device certificate: it is likely not registered in this account and region, inactive, or its CA is not registered; {check}."),
        (Some(Code::NoTlsSession), _) => "The device's own handshake did not come up (the client_auth findings say how) although the others did: check the device's certificate and key are the ones this endpoint expects.".into(),
        _ => format!("Register and activate the device certificate in the endpoint's account and region ({check}), or install the certificate that is registered."),
    }
}

fn mqtt_advice(lead: Option<Code>, evidence: &Evidence) -> String {
    let id = evidence
        .client_id
        .as_deref()
        .unwrap_or("the device's client id");
    let policy = format!("the certificate's policy must allow iot:Connect on arn:aws:iot:<region>:<account>:client/{id}");
    match (lead, evidence.mqtt_refusals.first()) {
        (Some(Code::MqttRefused), Some(2)) => format!("The broker rejected the client id {id} (return code 2): use the id the policy allows, at most 128 characters, unique among the account's devices."),
        (Some(Code::MqttRefused), Some(4 | 5)) => format!("The broker refused CONNECT as not authorized: {policy}, attached to the certificate."),
        (Some(Code::MqttRefused), Some(3)) => "The broker is unavailable (return code 3): try again later, and check the AWS Health Dashboard for the region.".into(),
        (Some(Code::MqttRefused), _) => format!("The broker refused CONNECT: {policy}, and the client id must be the one it names."),
        (Some(Code::MqttClosed), _) => format!("The broker closed the connection after CONNECT: on AWS IoT {policy}, or another connection already uses the client id {id} (each device needs its own)."),
        (Some(Code::MqttTimeout), _) => "The broker took CONNECT but never answered: on 443 AWS IoT needs ALPN x-amzn-mqtt-ca for MQTT; elsewhere check that the endpoint is AWS IoT's data endpoint.".into(),
        (Some(Code::MqttUnexpected), _) => "What answered CONNECT is not an MQTT broker: check the endpoint and port (8443 is HTTPS; MQTT is 8883, or 443 with ALPN x-amzn-mqtt-ca).".into(),
        _ => format!("Attach a policy to the certificate that allows iot:Connect for the client id {id}, and make sure no other connection uses the same client id."),
    }
}

fn account_advice(lead: Option<Code>, evidence: &Evidence) -> String {
    let id = evidence
        .certificate_id
        .as_deref()
        .map_or(String::from("<certificate id>"), |id| id.to_string());
    let client = evidence
        .client_id
        .as_deref()
        .unwrap_or("the device's client id");
    match lead {
        Some(Code::CertNotRegistered) => "The device certificate is not registered in this account and region: register it (aws iot register-certificate-without-ca, or register-certificate with its CA) and activate it, or check the account and region the device uses.".into(),
        Some(Code::CertInactive) => format!("The device certificate is registered but inactive: aws iot update-certificate --certificate-id {id} --new-status ACTIVE."),
        Some(Code::CertPendingActivation) => format!("The device certificate waits for activation: aws iot update-certificate --certificate-id {id} --new-status ACTIVE."),
        Some(Code::CertRevoked) => "The device certificate is revoked in AWS IoT: issue, register and install a new one.".into(),
        Some(Code::CertPendingTransfer) => "The device certificate is being transferred to another account: accept or cancel the transfer (aws iot accept-certificate-transfer / cancel-certificate-transfer).".into(),
        Some(Code::CaInactive) => "The CA that issued the device certificate is registered but inactive: activate it (aws iot update-ca-certificate --new-status ACTIVE).".into(),
        Some(Code::NoPolicy) => format!("No policy is attached to the device certificate: attach one that allows iot:Connect for the client id {client} (aws iot attach-policy --target <certificate arn>)."),
        Some(Code::PolicyDeniesConnect) => format!("The certificate's policies do not allow iot:Connect for the client id {client}: allow arn:aws:iot:<region>:<account>:client/{client}, or connect with an id they allow."),
        Some(Code::PolicyDeniesPublish | Code::PolicyDeniesSubscribe | Code::PolicyDeniesReceive) => "The certificate's policies deny a topic the device uses (the account findings name it): allow it in the policy attached to the certificate.".into(),
        _ => "Fix what the account findings name in AWS IoT (certificate status, attached policy, thing), then run doctor again.".into(),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
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
    match drift(at, served) {
        Some(Drift::Behind(latest_start)) => findings.push(Finding::new(
            Code::ClockSkew,
            format!(
                "the clock says {}, before {} ({}) became valid at {}: the clock is behind",
                rfc3339(at),
                latest_start.subject,
                latest_start.label,
                rfc3339(latest_start.not_before)
            ),
        )),
        Some(Drift::Ahead(earliest_end)) => findings.push(Finding::new(
            Code::ClockSkew,
            format!(
                "the clock says {}, after {} ({}) expired at {}: the clock is ahead, or the server serves an expired certificate",
                rfc3339(at),
                earliest_end.subject,
                earliest_end.label,
                rfc3339(earliest_end.not_after)
            ),
        )),
        Some(Drift::Unset) | None => {}
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
        let (verdict, first, advice) = verdict(&stages, &Evidence::default());
        assert_eq!(verdict, DoctorVerdict::Failed);
        assert_eq!(first, Some(StageId::Tcp));
        assert!(advice.unwrap().contains("firewall"));
        assert_eq!(
            serde_json::to_value(&stages[2]).unwrap()["depends_on"],
            "tcp"
        );
    }

    fn served(pem_text: &str) -> Vec<Vec<u8>> {
        ::pem::parse_many(pem_text)
            .unwrap()
            .into_iter()
            .map(|p| p.contents().to_vec())
            .collect()
    }

    const TEST_CHAIN: &str = include_str!("../../fixtures/server/rsa-chain.pem");
    const AWS_CHAIN: &str = include_str!("../../fixtures/aws/eu-central-1-chain.pem");
    const AMAZON_ROOT_3: &str = include_str!("../../fixtures/aws/AmazonRootCA3.pem");
    const CROSS_SIGNED_ROOT_1: &str =
        include_str!("../../fixtures/aws/SFSRootCAG2_cross_AmazonRootCA1.pem");
    const VERISIGN: &str = include_str!("../../fixtures/aws/VeriSign_Class3_G5.pem");

    fn amazon(file: &'static str) -> ChainEnd {
        let root = KNOWN_ROOTS.iter().find(|k| k.file == file).unwrap();
        ChainEnd::Known {
            file: root.file,
            label: root.label,
        }
    }

    #[test]
    fn chains_are_followed_to_their_root() {
        assert_eq!(
            chain_end(&served(TEST_CHAIN)),
            Some(ChainEnd::Other("iotcheck Test Root RSA".into()))
        );
        assert_eq!(
            chain_end(&served(AWS_CHAIN)),
            Some(amazon("AmazonRootCA1.pem"))
        );
        // A root served itself, or cross-signed by another, is that root.
        assert_eq!(
            chain_end(&served(AMAZON_ROOT_3)),
            Some(amazon("AmazonRootCA3.pem"))
        );
        assert_eq!(
            chain_end(&served(CROSS_SIGNED_ROOT_1)),
            Some(amazon("AmazonRootCA1.pem"))
        );
        assert_eq!(chain_end(&[b"junk".to_vec()]), None);
    }

    fn failed(id: StageId, code: Code) -> Stage {
        Stage::judged(id, vec![Finding::new(code, "x")], 0.0)
    }

    fn advice_for(id: StageId, codes: &[Code], evidence: &Evidence) -> String {
        let findings = codes.iter().map(|c| Finding::new(*c, "x")).collect();
        advice(&Stage::judged(id, findings, 0.0), evidence)
    }

    #[test]
    fn trust_advice_follows_where_the_chain_leads() {
        let evidence = |ends: Vec<ChainEnd>, held: Vec<&'static str>| Evidence {
            ca_files: vec!["root-ca.pem".into()],
            chain_ends: ends,
            roots_held: held,
            ..Evidence::default()
        };
        // A chain to a root that is not Amazon's: said plainly, no Amazon file offered.
        let foreign = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::UntrustedRoot],
            &evidence(
                vec![ChainEnd::Other("iotcheck Test Root RSA".into())],
                vec!["AmazonRootCA1.pem"],
            ),
        );
        assert!(
            foreign.contains("leads to \"iotcheck Test Root RSA\", not to an Amazon root"),
            "{foreign}"
        );
        assert!(
            foreign.contains("TLS-inspecting proxy or firewall"),
            "{foreign}"
        );
        assert!(foreign.contains("wrong endpoint"), "{foreign}");
        assert!(
            foreign.contains("only if it is your own broker"),
            "{foreign}"
        );
        assert!(!foreign.contains("AmazonRootCA"), "{foreign}");
        // An Amazon root the CA file lacks: that file, and only that one.
        let ecc = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::MissingRoot],
            &evidence(
                vec![amazon("AmazonRootCA1.pem"), amazon("AmazonRootCA3.pem")],
                vec!["AmazonRootCA1.pem"],
            ),
        );
        assert!(ecc.contains("add AmazonRootCA3.pem."), "{ecc}");
        assert!(ecc.contains("root-ca.pem"), "{ecc}");
        assert!(!ecc.contains("AmazonRootCA1.pem"), "{ecc}");
        // Both lacking, the CA file holding the retired VeriSign root.
        let both = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::LegacyRoot],
            &evidence(
                vec![amazon("AmazonRootCA1.pem"), amazon("AmazonRootCA3.pem")],
                vec![LEGACY_VERISIGN],
            ),
        );
        assert!(
            both.contains("add AmazonRootCA1.pem and AmazonRootCA3.pem (instead of the VeriSign"),
            "{both}"
        );
        // The endpoint serves the legacy chain.
        let legacy = KNOWN_ROOTS
            .iter()
            .find(|k| k.file == LEGACY_VERISIGN)
            .unwrap();
        assert_eq!(
            chain_end(&served(VERISIGN)),
            Some(ChainEnd::Known {
                file: legacy.file,
                label: legacy.label
            })
        );
        let retired = advice_for(
            StageId::Trust,
            &[Code::UnknownIssuer, Code::LegacyEndpoint],
            &evidence(chain_end(&served(VERISIGN)).into_iter().collect(), vec![]),
        );
        assert!(retired.contains("retired iot:Data"), "{retired}");
        assert!(retired.contains("iot:Data-ATS"), "{retired}");
    }

    #[test]
    fn tcp_advice_tells_refused_from_dropped_and_all_from_some() {
        let ports = |states: &[(u16, TcpState)]| Evidence {
            ports: states
                .iter()
                .map(|&(port, state)| PortEvidence {
                    port,
                    tcp: Some(state),
                    no_tls: None,
                })
                .collect(),
            ..Evidence::default()
        };
        let stage = failed(StageId::Tcp, Code::TcpRefused);
        let refused = advice(
            &stage,
            &ports(&[(8883, TcpState::Refused), (443, TcpState::Refused)]),
        );
        assert!(
            refused.starts_with("Every port was refused (ports 8883, 443)"),
            "{refused}"
        );
        let dropped = advice(
            &stage,
            &ports(&[(8883, TcpState::Dropped), (443, TcpState::Dropped)]),
        );
        assert!(
            dropped.starts_with("Every port was silently dropped"),
            "{dropped}"
        );
        assert!(dropped.contains("HTTP proxy"), "{dropped}");
        let some = advice(
            &stage,
            &ports(&[(8883, TcpState::Dropped), (443, TcpState::Open)]),
        );
        assert!(
            some.starts_with("Only port 443 accepted; port 8883 silently dropped"),
            "{some}"
        );
        assert!(some.contains("x-amzn-mqtt-ca"), "{some}");
    }

    #[test]
    fn tls_advice_follows_how_the_port_failed() {
        let port = |port: u16, how: NoTls| Evidence {
            endpoint: Some("abc-ats.iot.eu-west-1.amazonaws.com".into()),
            ports: vec![PortEvidence {
                port,
                tcp: Some(TcpState::Open),
                no_tls: Some(how),
            }],
            ..Evidence::default()
        };
        let stage = failed(StageId::Tls, Code::NoTlsSession);
        assert!(advice(&stage, &port(443, NoTls::Silent)).contains("ALPN x-amzn-mqtt-ca"));
        let silent = advice(&stage, &port(8883, NoTls::Silent));
        assert!(
            silent.contains("never answered the TLS handshake"),
            "{silent}"
        );
        assert!(advice(&stage, &port(8883, NoTls::NotTls)).contains("not TLS"));
        assert!(advice(&stage, &port(8883, NoTls::Closed)).contains("closed the connection"));
        let name = advice(
            &failed(StageId::Tls, Code::NameMismatch),
            &port(8883, NoTls::Other),
        );
        assert!(
            name.contains("not valid for abc-ats.iot.eu-west-1.amazonaws.com"),
            "{name}"
        );
    }

    #[test]
    fn client_auth_advice_names_the_alert_and_its_causes() {
        let evidence = Evidence {
            certificate_id: Some("ab12".into()),
            alerts: vec!["unknown_ca".into()],
            ..Evidence::default()
        };
        let text = advice(
            &failed(StageId::ClientAuth, Code::ClientCertRejected),
            &evidence,
        );
        assert!(text.contains("with the alert unknown_ca"), "{text}");
        assert!(text.contains("issuer is not registered"), "{text}");
        assert!(text.contains("--certificate-id ab12"), "{text}");
        let bad = Evidence {
            alerts: vec!["bad_certificate".into()],
            ..evidence
        };
        let text = advice(&failed(StageId::ClientAuth, Code::ClientCertRejected), &bad);
        assert!(text.contains("not registered in this account and region, or is inactive"));
    }

    #[test]
    fn mqtt_advice_follows_the_broker_answer() {
        let evidence = |codes: Vec<u8>| Evidence {
            client_id: Some("TestThing-ec".into()),
            mqtt_refusals: codes,
            ..Evidence::default()
        };
        let closed = advice(&failed(StageId::Mqtt, Code::MqttClosed), &evidence(vec![]));
        assert!(closed.contains("client/TestThing-ec"), "{closed}");
        assert!(
            closed.contains("another connection already uses"),
            "{closed}"
        );
        let refused = advice(
            &failed(StageId::Mqtt, Code::MqttRefused),
            &evidence(vec![5]),
        );
        assert!(refused.contains("not authorized"), "{refused}");
        let id = advice(
            &failed(StageId::Mqtt, Code::MqttRefused),
            &evidence(vec![2]),
        );
        assert!(id.contains("rejected the client id TestThing-ec"), "{id}");
        let silent = advice(&failed(StageId::Mqtt, Code::MqttTimeout), &evidence(vec![]));
        assert!(silent.contains("never answered"), "{silent}");
    }

    #[test]
    fn the_other_stages_advice_follows_their_findings() {
        // files: the exact file and mode.
        let key = file(FileRole::Key, 0o400, ModeRule::Exactly(0o600));
        let evidence = Evidence {
            client: Some("the AWS IoT Device Client"),
            files: vec![key],
            ..Evidence::default()
        };
        let text = advice(&failed(StageId::Files, Code::FileMode), &evidence);
        assert!(
            text.starts_with(
                "Run chmod 600 /d/k.pem: it has mode 0400, and the AWS IoT Device Client \
                 requires exactly 0600"
            ),
            "{text}"
        );
        let mut gone = file(FileRole::Key, 0o600, ModeRule::Exactly(0o600));
        gone.problem = Some("does not exist".into());
        let text = advice(
            &failed(StageId::Files, Code::FileMissing),
            &Evidence {
                files: vec![gone],
                ..Evidence::default()
            },
        );
        assert!(
            text.starts_with("The private key /d/k.pem does not exist"),
            "{text}"
        );
        // credentials: by what is wrong.
        let none = Evidence::default();
        assert!(
            advice(&failed(StageId::Credentials, Code::KeyMismatch), &none)
                .contains("does not belong to the device certificate")
        );
        assert!(advice(&failed(StageId::Credentials, Code::Expired), &none).contains("has expired"));
        // clock: unset, behind, ahead.
        let validity = ServedValidity {
            label: "port 8883".into(),
            subject: "*.iot.eu-west-1.amazonaws.com".into(),
            not_before: 1_700_000_000,
            not_after: 1_800_000_000,
        };
        let clock = |at: i64| Evidence {
            at,
            served: vec![validity.clone()],
            ..Evidence::default()
        };
        let stage = failed(StageId::Clock, Code::ClockSkew);
        assert!(advice(&stage, &clock(0)).contains("is unset"));
        assert!(advice(&stage, &clock(1_600_000_000)).contains("is behind"));
        assert!(advice(&stage, &clock(1_900_000_000)).contains("is ahead"));
        // dns: silence or no such name.
        let dns = failed(StageId::Dns, Code::DnsFailed);
        let named = Evidence {
            endpoint: Some("abc-ats.iot.eu-west-1.amazonaws.com".into()),
            ..Evidence::default()
        };
        assert!(advice(&dns, &named).contains("does not resolve"));
        let silent = Evidence {
            resolve_timed_out: true,
            ..named
        };
        assert!(advice(&dns, &silent).contains("did not answer"));
        // account: by the account finding.
        let id = Evidence {
            certificate_id: Some("ab12".into()),
            ..Evidence::default()
        };
        assert!(advice(&failed(StageId::Account, Code::CertInactive), &id)
            .contains("update-certificate --certificate-id ab12 --new-status ACTIVE"));
        assert!(
            advice(&failed(StageId::Account, Code::CertNotRegistered), &id)
                .contains("not registered in this account and region")
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
