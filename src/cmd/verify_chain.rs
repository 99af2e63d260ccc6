//! `iotcheck verify-chain`: the offline verification of given certificates: load, verify,
//! report.

use crate::chain::{self, Chain};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::report::{
    self, human, json, ChainReport, Output, Renderings, VerifyChainJson, SCHEMA_VERSION,
};
use crate::source::Input;
use crate::trust::Anchors;
use crate::verify::{self, Crls, Policy};

pub struct Settings {
    pub inputs: Vec<Input>,
    /// `--ca`: exactly these anchors; empty: the embedded Amazon roots.
    pub ca: Vec<Input>,
    /// The CRLs of `--crl`.
    pub crl: Vec<Input>,
    pub at: i64,
    pub warn_days: u32,
    pub host: Option<String>,
    pub output: Output,
}

pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let anchors = Anchors::load(&settings.ca)?;
    let chain = Chain::arrange(chain::load(&settings.inputs)?);
    let policy = Policy {
        at: settings.at,
        host: settings.host.clone(),
        device_not_before: None,
        warn_days: settings.warn_days,
    };
    // A CRL is signed by an anchor or by a certificate of the chain.
    let issuers: Vec<&crate::chain::Cert> = anchors.certs.iter().chain(&chain.certs).collect();
    let crls = Crls::load(&settings.crl, &issuers, settings.at)?;
    let judgement = verify::verify_with(&chain, &anchors, &policy, &crls);
    let report = ChainReport::build(&chain, &anchors, &policy, &judgement);
    let (stdout, stderr) = report::shown(
        settings.output,
        Renderings {
            text: || human::verify_chain(&report),
            brief: || human::verify_chain_brief(&report),
            json: || {
                json::to_line(&VerifyChainJson {
                    schema_version: SCHEMA_VERSION,
                    command: "verify-chain",
                    report: &report,
                })
            },
            pem: |path| {
                if path {
                    report::pem::path(&report)
                } else {
                    Some(report::pem::certificates(
                        report.chain.iter().map(|c| c.der.as_slice()),
                    ))
                }
            },
        },
    );
    Ok(Outcome::new(stdout, report.is_valid()).with_stderr(stderr))
}
