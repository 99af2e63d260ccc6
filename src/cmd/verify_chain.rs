//! `iotcheck verify-chain`: the offline verification of given certificates.

use crate::app::Outcome;
use crate::chain::{self, Chain};
use crate::error::Error;
use crate::report::{human, json, ChainReport, VerifyChainJson, SCHEMA_VERSION};
use crate::source::Input;
use crate::trust::Anchors;
use crate::verify::{self, Policy};

pub struct Settings {
    pub inputs: Vec<Input>,
    pub anchors: Anchors,
    pub at: i64,
    pub host: Option<String>,
    pub json: bool,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let certs = chain::load(&settings.inputs)?;
    let chain = Chain::arrange(certs);
    let policy = Policy {
        at: settings.at,
        host: settings.host.clone(),
        device_not_before: None,
    };
    let verdict = verify::verify(&chain, &settings.anchors, &policy);
    let report = ChainReport::build(&chain, &settings.anchors, &policy, &verdict);
    let stdout = if settings.json {
        json::to_line(&VerifyChainJson {
            schema_version: SCHEMA_VERSION,
            command: "verify-chain",
            report: &report,
        })
    } else {
        let mut out = String::new();
        let leaf = &report.chain[report.leaf];
        let title = leaf.subject_cn.as_deref().unwrap_or(&leaf.subject);
        let detail = match report.problems.first() {
            Some(lead) => format!("{} problem(s), lead: {}", report.problems.len(), lead.code),
            None => "a valid path exists".to_string(),
        };
        human::verdict_line(&mut out, title, report.is_valid(), &detail);
        human::chain_report(&mut out, &report);
        out
    };
    Ok(Outcome::new(stdout, report.is_valid()))
}
