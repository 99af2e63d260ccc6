//! The doctor's stages: each turns the gathered [`Facts`] into a [`Stage`] (a status and its
//! findings) and, when it is the first to fail, into one sentence of advice that follows the
//! [`Evidence`]. Pure: no file is read and nothing is probed here.
//!
//! One file per stage, each with `judge` and `advice`; [`STAGES`] lists them in the order a
//! connection passes through them, and [`route`] routes the shared engines' findings to them.
//!
//! # Adding a stage
//!
//! Write `stages/<name>.rs` with `pub fn judge(&Facts, &Earlier) -> Stage` and
//! `pub fn advice(&Stage, &Evidence) -> String`, add its [`StageId`] variant and its row in
//! [`STAGES`] (where it stands in the connection's order), and, when it takes findings of a
//! shared engine, their rows in [`route::ROUTES`]. If it needs facts nobody gathers yet, add
//! them to `facts.rs` and gather them in `gather/`. Nothing else changes: the verdict, the
//! advice, the renderers and the JSON follow the table.

use serde::Serialize;

use crate::doctor::facts::Facts;
use crate::doctor::verdict::Evidence;
use crate::finding::{self, Code, Finding, Severity, Subject};

pub mod account;
pub mod client_auth;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod credentials_provider;
pub mod data_plane;
pub mod dns;
pub mod files;
pub mod mqtt;
pub mod route;
pub mod tcp;
pub mod tls;
pub mod trust;

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
    CredentialsProvider,
    DataPlane,
    Account,
}

/// One stage: what it is called, how it judges, what it advises.
pub struct StageDef {
    pub id: StageId,
    pub judge: fn(&Facts, &Earlier) -> Stage,
    pub advice: fn(&Stage, &Evidence) -> String,
}

/// Every stage, in the order a connection passes through them: the order they are judged
/// in (a stage sees the ones above it), reported in, and in which the first failure is found.
pub const STAGES: [StageDef; 13] = [
    StageDef {
        id: StageId::Config,
        judge: config::judge,
        advice: config::advice,
    },
    StageDef {
        id: StageId::Files,
        judge: files::judge,
        advice: files::advice,
    },
    StageDef {
        id: StageId::Credentials,
        judge: credentials::judge,
        advice: credentials::advice,
    },
    StageDef {
        id: StageId::Trust,
        judge: trust::judge,
        advice: trust::advice,
    },
    StageDef {
        id: StageId::Clock,
        judge: clock::judge,
        advice: clock::advice,
    },
    StageDef {
        id: StageId::Dns,
        judge: dns::judge,
        advice: dns::advice,
    },
    StageDef {
        id: StageId::Tcp,
        judge: tcp::judge,
        advice: tcp::advice,
    },
    StageDef {
        id: StageId::Tls,
        judge: tls::judge,
        advice: tls::advice,
    },
    StageDef {
        id: StageId::ClientAuth,
        judge: client_auth::judge,
        advice: client_auth::advice,
    },
    StageDef {
        id: StageId::Mqtt,
        judge: mqtt::judge,
        advice: mqtt::advice,
    },
    StageDef {
        id: StageId::CredentialsProvider,
        judge: credentials_provider::judge,
        advice: credentials_provider::advice,
    },
    StageDef {
        id: StageId::DataPlane,
        judge: data_plane::judge,
        advice: data_plane::advice,
    },
    StageDef {
        id: StageId::Account,
        judge: account::judge,
        advice: account::advice,
    },
];

impl StageId {
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
            StageId::CredentialsProvider => "credentials_provider",
            StageId::DataPlane => "data_plane",
            StageId::Account => "account",
        }
    }

    /// This stage's row in [`STAGES`].
    pub fn def(self) -> &'static StageDef {
        // Every StageId has its row (a test holds the table to the enum).
        STAGES.iter().find(|s| s.id == self).unwrap_or(&STAGES[0])
    }
}

/// Every stage judged, in order.
pub fn judge(facts: &Facts) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::with_capacity(STAGES.len());
    for def in &STAGES {
        let stage = (def.judge)(facts, &Earlier(&stages));
        stages.push(stage);
    }
    stages
}

/// The stages judged before the one being judged.
pub struct Earlier<'a>(pub &'a [Stage]);

impl Earlier<'_> {
    pub fn get(&self, id: StageId) -> Option<&Stage> {
        self.0.iter().find(|s| s.id == id)
    }

    pub fn failed(&self, id: StageId) -> bool {
        self.get(id).is_some_and(Stage::failed)
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

    /// The codes of its error findings, in order.
    pub fn error_codes(&self) -> impl Iterator<Item = Code> + '_ {
        self.findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| f.code)
    }

    /// The code of its first error finding: what its advice follows.
    pub fn lead(&self) -> Option<Code> {
        self.error_codes().next()
    }

    pub fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}

/// Milliseconds to two decimals.
pub fn round(ms: f64) -> f64 {
    (ms * 100.0).round() / 100.0
}

/// Findings of one stage gathered from several ports and handshakes: the same judgement seen
/// on several of them is said once, naming where.
#[derive(Default)]
pub struct Gathered {
    entries: Vec<(Code, String, Option<Subject>, Vec<String>)>,
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

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_stage_once_in_connection_order() {
        let ids: Vec<StageId> = STAGES.iter().map(|s| s.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "in the enum's order, each once");
        assert_eq!(ids.len(), 13);
        for id in ids {
            assert_eq!(id.def().id, id);
        }
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

    #[test]
    fn a_stage_sees_the_ones_judged_before_it() {
        let stages = judge(&testing::facts());
        let ids: Vec<StageId> = stages.iter().map(|s| s.id).collect();
        assert_eq!(ids, STAGES.iter().map(|s| s.id).collect::<Vec<_>>());
        // No endpoint: the network stages wait for config.
        let tcp = stages.iter().find(|s| s.id == StageId::Tcp).unwrap();
        assert_eq!(tcp.depends_on, Some(StageId::Config));
    }
}
